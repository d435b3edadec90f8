//! Seeded synthetic data. Every generator takes a seed and uses ChaCha8, so the same seed gives
//! the same numbers on every machine and in every build profile.

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

pub mod synthetic;

use crate::error::{Error, Result, check_elements};

/// The seed used by the book and the CLI unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_240_521;

/// A seeded random number generator (ChaCha8).
#[must_use]
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A classification data set: features `(N, D)`, one row per sample, and class labels `(N,)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// Features, `(N, D)`.
    pub x: DMatrix<f64>,
    /// Labels in `0..classes`, `(N,)` (as `i64`, PyTorch's target type).
    pub y: Vec<i64>,
    /// Number of classes C.
    pub classes: usize,
}

/// The article's data: `x ~ N(0, 1)` of shape `(n, features)` and labels drawn uniformly
/// from `0..classes`, both from `rng` (the features first, row by row, then the labels).
/// The article uses `n = 32`, `features = 10`, `classes = 5`.
///
/// # Errors
/// [`Error::Empty`] if any size is 0; [`Error::TooLarge`] beyond
/// [`crate::error::MAX_ELEMENTS`] features in all.
pub fn random_classification<R: Rng + ?Sized>(
    n: usize,
    features: usize,
    classes: usize,
    rng: &mut R,
) -> Result<Classification> {
    if n == 0 || features == 0 || classes == 0 {
        return Err(Error::Empty("n, features and classes must all be > 0"));
    }
    check_elements("n * features", n, features)?;
    let mut x = DMatrix::zeros(n, features);
    for r in 0..n {
        for c in 0..features {
            x[(r, c)] = rng.sample(StandardNormal);
        }
    }
    let y = (0..n)
        .map(|_| rng.random_range(0..classes) as i64)
        .collect();
    Ok(Classification { x, y, classes })
}
