//! Seeded synthetic experiments of the book's practical chapters: a data set small and wide
//! enough to overfit ([`noisy_rule`], [`overfit_setup`]), Gaussian classes whose test inputs can
//! be shifted ([`gaussian_classes`], [`shift_inputs`]), data augmentation by input noise
//! ([`jitter`]), and calibration ([`calibration_error`]).
//!
//! Everything is full-batch and small: the book's listings run these in unoptimised builds.

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::data::{Classification, rng};
use crate::error::{Error, Result};
use crate::nn::{Linear, SoftmaxClassifier};

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

/// Size of the overfitting set-up: training samples.
pub const OVERFIT_TRAIN: usize = 100;
/// Validation samples.
pub const OVERFIT_VALIDATION: usize = 200;
/// Features (3 informative).
pub const OVERFIT_FEATURES: usize = 60;
/// Label noise.
pub const OVERFIT_NOISE: f64 = 0.2;
/// Seed.
pub const OVERFIT_SEED: u64 = 7;

/// The overfitting set-up of the tradeoffs and strategies chapters: an untrained
/// `Linear(60 → 3)`, 100 training and 200 validation samples of [`noisy_rule`] (noise 0.2),
/// all from seed [`OVERFIT_SEED`].
///
/// # Errors
/// None in practice (the sizes are valid); as [`noisy_rule`] and [`Linear::new`].
pub fn overfit_setup() -> Result<(SoftmaxClassifier, Classification, Classification)> {
    let mut r = rng(OVERFIT_SEED);
    let train = noisy_rule(OVERFIT_TRAIN, OVERFIT_FEATURES, OVERFIT_NOISE, &mut r)?;
    let val = noisy_rule(OVERFIT_VALIDATION, OVERFIT_FEATURES, OVERFIT_NOISE, &mut r)?;
    let model = SoftmaxClassifier::new(Linear::new(OVERFIT_FEATURES, 3, &mut r)?);
    Ok((model, train, val))
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

/// Expected calibration error with `bins` equal-width bins of the top probability: the
/// sample-weighted mean over bins of |accuracy − mean top probability|. 0 for a perfectly
/// calibrated model (in the limit of many samples).
///
/// # Errors
/// [`Error::Empty`] for no sample or no bin; errors of the model.
pub fn calibration_error(
    model: &SoftmaxClassifier,
    data: &Classification,
    bins: usize,
) -> Result<f64> {
    if bins == 0 || data.y.is_empty() {
        return Err(Error::Empty("need samples and at least one bin"));
    }
    let q = model.predict_proba(&data.x)?;
    let mut sum_p = vec![0.0; bins];
    let mut hits = vec![0.0; bins];
    let mut count = vec![0usize; bins];
    for (i, row) in q.row_iter().enumerate() {
        let (k, &p) = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .ok_or(Error::Empty("no class"))?;
        let b = ((p * bins as f64) as usize).min(bins - 1);
        sum_p[b] += p;
        hits[b] += f64::from(u8::from(k as i64 == data.y[i]));
        count[b] += 1;
    }
    let n = data.y.len() as f64;
    Ok((0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| (hits[b] - sum_p[b]).abs() / n)
        .sum())
}
