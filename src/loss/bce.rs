//! Binary cross-entropy from logits: the Bernoulli negative log-likelihood.

use nalgebra::{DMatrix, DVector};

use super::{Loss, Reduction, check_weights, reduce};
use crate::error::{Error, Result, shape};

/// Options of [`binary_cross_entropy_with_logits`], as PyTorch's `BCEWithLogitsLoss`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BceWithLogitsOptions {
    /// Per-element weights, same shape as the input `(N, K)`; `None` means all 1.
    /// (PyTorch broadcasts; pass the broadcast matrix here.)
    pub weight: Option<DMatrix<f64>>,
    /// Weight of the positive term per label (column), `(K,)`; `None` means all 1.
    pub pos_weight: Option<DVector<f64>>,
    /// Default [`Reduction::Mean`] (over all N·K elements).
    pub reduction: Reduction,
}

/// `softplus(x) = log(1 + e^x)`, stable for every x (±∞ included).
pub(crate) fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The logistic sigmoid `σ(x) = 1 / (1 + e^{−x})`, without overflow.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn bce_impl(
    input: &DMatrix<f64>,
    target: &DMatrix<f64>,
    opts: &BceWithLogitsOptions,
    want_grad: bool,
) -> Result<(Loss, Option<DMatrix<f64>>)> {
    let (n, k) = input.shape();
    if target.shape() != (n, k) {
        return Err(Error::ShapeMismatch {
            what: "target",
            expected: shape(n, k),
            got: shape(target.nrows(), target.ncols()),
        });
    }
    if let Some(w) = &opts.weight {
        if w.shape() != (n, k) {
            return Err(Error::ShapeMismatch {
                what: "weight",
                expected: shape(n, k),
                got: shape(w.nrows(), w.ncols()),
            });
        }
        check_weights("weight", w.as_slice())?;
    }
    if let Some(pw) = &opts.pos_weight {
        if pw.len() != k {
            return Err(Error::ShapeMismatch {
                what: "pos_weight",
                expected: format!("({k},)"),
                got: format!("({},)", pw.len()),
            });
        }
        check_weights("pos_weight", pw.as_slice())?;
    }
    let mut per = Vec::with_capacity(n * k);
    let mut grad = want_grad.then(|| DMatrix::zeros(n, k));
    for col in 0..k {
        let pw = opts.pos_weight.as_ref().map_or(1.0, |p| p[col]);
        for row in 0..n {
            let x = input[(row, col)];
            let y = target[(row, col)];
            if x.is_nan() {
                return Err(Error::InvalidValue {
                    what: "input",
                    row,
                    col,
                    value: x,
                    reason: "NaN is not a logit",
                });
            }
            if !(0.0..=1.0).contains(&y) {
                return Err(Error::InvalidValue {
                    what: "target",
                    row,
                    col,
                    value: y,
                    reason: "a binary target is a probability in [0, 1]",
                });
            }
            let w = opts.weight.as_ref().map_or(1.0, |w| w[(row, col)]);
            // −log σ(x) = softplus(−x), −log(1 − σ(x)) = softplus(x); a zero coefficient
            // drops its term even where softplus is infinite.
            let a = pw * y;
            let b = 1.0 - y;
            let mut l = 0.0;
            if a != 0.0 {
                l += a * softplus(-x);
            }
            if b != 0.0 {
                l += b * softplus(x);
            }
            per.push(if w == 0.0 { 0.0 } else { w * l });
            if let Some(g) = grad.as_mut() {
                g[(row, col)] = w * (b * sigmoid(x) - a * sigmoid(-x));
            }
        }
    }
    let count = per.len() as f64;
    let (loss, scale) = reduce(per, opts.reduction, count)?;
    if let Some(g) = grad.as_mut()
        && scale != 1.0
    {
        *g /= scale;
    }
    Ok((loss, grad))
}

/// Binary cross-entropy between logits `x` and targets `y ∈ [0, 1]`, both `(N, K)` (K
/// independent labels per sample), as PyTorch's `F.binary_cross_entropy_with_logits`. In nats.
///
/// # Formula (T7)
/// `l = −w·[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))] = w·[pw·y·softplus(−x) + (1 − y)·softplus(x)]`,
/// evaluated through `softplus(x) = max(x, 0) + log1p(e^{−|x|})`, never as `log(σ(x))`
/// (which loses everything once `σ(x)` rounds to 0 or 1). With `pw = w = 1` and `y ∈ {0, 1}`
/// this is `−ln` of the Bernoulli pmf `σ(x)^y (1 − σ(x))^{1−y}`: BCE is the Bernoulli NLL.
/// `Mean` divides by N·K. `Reduction::None` returns the elements in column-major order.
///
/// ±∞ logits are allowed (a term with a zero coefficient is dropped, so `x = −∞, y = 0`
/// gives 0, not NaN).
///
/// # Errors
/// [`Error::ShapeMismatch`] (target, weight, pos_weight), [`Error::InvalidWeight`],
/// [`Error::InvalidValue`] (NaN logit, target outside [0, 1]), [`Error::Empty`] (no
/// element with `Mean`).
pub fn binary_cross_entropy_with_logits(
    input: &DMatrix<f64>,
    target: &DMatrix<f64>,
    opts: &BceWithLogitsOptions,
) -> Result<Loss> {
    Ok(bce_impl(input, target, opts, false)?.0)
}

/// [`binary_cross_entropy_with_logits`] and its gradient with respect to the input:
/// `∂l/∂x = w·[(1 − y)·σ(x) − pw·y·σ(−x)]` (= `w·(σ(x) − y)` when `pw = 1`), divided by
/// N·K under `Mean`.
///
/// # Errors
/// As [`binary_cross_entropy_with_logits`].
pub fn binary_cross_entropy_with_logits_with_grad(
    input: &DMatrix<f64>,
    target: &DMatrix<f64>,
    opts: &BceWithLogitsOptions,
) -> Result<(Loss, DMatrix<f64>)> {
    let (l, g) = bce_impl(input, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}
