//! Seeded synthetic data sets for experiments: labels from a noisy linear rule with many
//! irrelevant features (a set small and wide enough to overfit: [`noisy_rule`]), Gaussian
//! classes whose inputs can be shifted ([`gaussian_classes`], [`shift_inputs`]), and
//! augmentation by input noise ([`jitter`]).
//!
//! Everything is small and full-batch: the book's listings run these in unoptimised builds.

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::StandardNormal;

use super::Classification;
use crate::error::{Error, Result};

/// Labels from a linear rule on the first three of `d ≥ 3` features (the class, among 3, whose
/// feature is largest), each replaced by a uniformly random label with probability `noise`;
/// the other `d − 3` features are pure noise, which a flexible model can memorise.
///
/// # Errors
/// [`Error::Empty`] for `n = 0`; [`Error::InvalidHyperParameter`] for `d < 3` or `noise` outside
/// `[0, 1]`.
pub fn noisy_rule<R: Rng + ?Sized>(
    n: usize,
    d: usize,
    noise: f64,
    r: &mut R,
) -> Result<Classification> {
    if n == 0 {
        return Err(Error::Empty("n must be > 0"));
    }
    if d < 3 {
        return Err(Error::InvalidHyperParameter {
            name: "d",
            value: d as f64,
            reason: "the rule reads three features",
        });
    }
    if !(0.0..=1.0).contains(&noise) {
        return Err(Error::InvalidHyperParameter {
            name: "noise",
            value: noise,
            reason: "a probability must be in [0, 1]",
        });
    }
    let x = DMatrix::from_fn(n, d, |_, _| r.sample::<f64, _>(StandardNormal));
    let y = (0..n)
        .map(|i| {
            if r.random_bool(noise) {
                r.random_range(0..3)
            } else {
                (0..3)
                    .max_by(|&a, &b| x[(i, a)].total_cmp(&x[(i, b)]))
                    .unwrap_or(0) as i64
            }
        })
        .collect();
    Ok(Classification { x, y, classes: 3 })
}
/// `n` samples of `C` Gaussian classes with identity covariance times `sigma²`: labels uniform
/// in `0..C`, then `x = means[y] + sigma·ε`. `means` is `(C, d)`, one row per class.
///
/// With equal covariances the true posterior `p(y | x)` is a softmax of functions linear in
/// `x`, so a `Linear` softmax classifier is well specified for this data.
///
/// # Errors
/// [`Error::Empty`] for `n = 0` or no class; [`Error::InvalidHyperParameter`] for a
/// non-positive `sigma`.
pub fn gaussian_classes<R: Rng + ?Sized>(
    n: usize,
    means: &DMatrix<f64>,
    sigma: f64,
    r: &mut R,
) -> Result<Classification> {
    if n == 0 || means.nrows() == 0 || means.ncols() == 0 {
        return Err(Error::Empty("n, classes and dimensions must be > 0"));
    }
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(Error::InvalidHyperParameter {
            name: "sigma",
            value: sigma,
            reason: "must be finite and > 0",
        });
    }
    let c = means.nrows();
    let y: Vec<i64> = (0..n).map(|_| r.random_range(0..c) as i64).collect();
    let x = DMatrix::from_fn(n, means.ncols(), |i, j| {
        means[(y[i] as usize, j)] + sigma * r.sample::<f64, _>(StandardNormal)
    });
    Ok(Classification { x, y, classes: c })
}

/// `data` with every input moved by `delta` (a covariate shift: the labels stay).
///
/// # Errors
/// [`Error::ShapeMismatch`] if `delta` does not have one entry per feature.
pub fn shift_inputs(data: &Classification, delta: &DVector<f64>) -> Result<Classification> {
    if delta.len() != data.x.ncols() {
        return Err(Error::ShapeMismatch {
            what: "shift",
            expected: format!("{} entries", data.x.ncols()),
            got: format!("{}", delta.len()),
        });
    }
    let mut x = data.x.clone();
    for mut row in x.row_iter_mut() {
        row += delta.transpose();
    }
    Ok(Classification {
        x,
        y: data.y.clone(),
        classes: data.classes,
    })
}

/// Data augmentation by input noise: `data` followed by `copies` copies of it, each input plus
/// independent `N(0, sigma²)` noise, labels unchanged.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for a negative or non-finite `sigma`.
pub fn jitter<R: Rng + ?Sized>(
    data: &Classification,
    copies: usize,
    sigma: f64,
    r: &mut R,
) -> Result<Classification> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::InvalidHyperParameter {
            name: "sigma",
            value: sigma,
            reason: "must be finite and >= 0",
        });
    }
    let (n, d) = data.x.shape();
    let mut x = DMatrix::zeros(n * (copies + 1), d);
    let mut y = Vec::with_capacity(n * (copies + 1));
    for k in 0..=copies {
        for i in 0..n {
            for j in 0..d {
                let e = if k == 0 {
                    0.0
                } else {
                    sigma * r.sample::<f64, _>(StandardNormal)
                };
                x[(k * n + i, j)] = data.x[(i, j)] + e;
            }
            y.push(data.y[i]);
        }
    }
    Ok(Classification {
        x,
        y,
        classes: data.classes,
    })
}
