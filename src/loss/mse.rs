//! Mean squared error, the Gaussian negative log-likelihood up to constants.

use nalgebra::DMatrix;

use super::{Loss, Reduction, reduce};
use crate::error::{Error, Result, shape};

/// Squared error `l = (x − y)²` per element of `(N, K)` inputs, as PyTorch's `F.mse_loss`;
/// `Mean` divides by N·K.
///
/// # Formula (T8)
/// For a Gaussian model `y ~ N(x, σ²)` with σ fixed,
/// `−ln p(y | x) = (y − x)² / (2σ²) + ln(σ√(2π))`, so minimising the squared error is
/// maximising the Gaussian likelihood: the same argmin, the loss scaled by `1/(2σ²)` and
/// shifted by a constant.
///
/// # Errors
/// [`Error::ShapeMismatch`]; [`Error::InvalidValue`] for a non-finite entry; [`Error::Empty`]
/// for no element with `Mean`.
pub fn mse_loss(input: &DMatrix<f64>, target: &DMatrix<f64>, reduction: Reduction) -> Result<Loss> {
    if input.shape() != target.shape() {
        return Err(Error::ShapeMismatch {
            what: "target",
            expected: shape(input.nrows(), input.ncols()),
            got: shape(target.nrows(), target.ncols()),
        });
    }
    let mut per = Vec::with_capacity(input.len());
    for col in 0..input.ncols() {
        for row in 0..input.nrows() {
            for (what, v) in [("input", input[(row, col)]), ("target", target[(row, col)])] {
                if !v.is_finite() {
                    return Err(Error::InvalidValue {
                        what,
                        row,
                        col,
                        value: v,
                        reason: "squared error needs finite values",
                    });
                }
            }
            per.push((input[(row, col)] - target[(row, col)]).powi(2));
        }
    }
    let n = per.len() as f64;
    Ok(reduce(per, reduction, n)?.0)
}
