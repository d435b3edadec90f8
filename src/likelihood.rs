//! Likelihood of i.i.d. data and closed-form maximum likelihood estimates.
//!
//! For observations `x_1..x_N` drawn independently from `p(x | θ)`, the likelihood is
//! `L(θ) = Π_i p(x_i | θ)` and the log-likelihood `ℓ(θ) = Σ_i log p(x_i | θ)` (nats). The log
//! turns a product that underflows (a few hundred factors of 0.1 are already 0 in f64) into a
//! sum that does not, and as log is increasing, both have the same maximiser.
//!
//! Book: chapter "Cross-entropy is maximum likelihood", section on likelihood.

use nalgebra::DVector;

use crate::error::{Error, Result, check_elements};

/// `ℓ = Σ_i ln p_i` for the probabilities `p_i = p(x_i | θ)` the model gave to the observed
/// data, in nats. An observation of probability 0 gives `−∞`.
///
/// # Errors
/// [`Error::InvalidValue`] if a `p_i` is not in `[0, 1]`.
pub fn log_likelihood(probs: &[f64]) -> Result<f64> {
    for (i, &p) in probs.iter().enumerate() {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::InvalidValue {
                what: "probs",
                row: i,
                col: 0,
                value: p,
                reason: "a probability must be in [0, 1]",
            });
        }
    }
    // `+ 0.0`: the log-likelihood of no observation is 0 (f64's empty sum is −0.0).
    Ok(probs.iter().map(|p| p.ln()).sum::<f64>() + 0.0)
}

/// `NLL = −ℓ = −Σ_i ln p_i`, in nats (see [`log_likelihood`]). T2: equal to the summed
/// cross-entropy of the one-hot targets.
///
/// # Errors
/// As [`log_likelihood`].
pub fn negative_log_likelihood(probs: &[f64]) -> Result<f64> {
    Ok(-log_likelihood(probs)?)
}

/// Class counts `n_c` of labels in `0..classes`.
///
/// # Errors
/// [`Error::Empty`] if `classes = 0`; [`Error::TooLarge`] beyond
/// [`crate::error::MAX_ELEMENTS`] classes; [`Error::InvalidValue`] for a label ≥
/// `classes`.
pub fn class_counts(labels: &[usize], classes: usize) -> Result<Vec<usize>> {
    if classes == 0 {
        return Err(Error::Empty("zero classes"));
    }
    check_elements("classes", classes, 1)?;
    let mut n = vec![0usize; classes];
    for (row, &y) in labels.iter().enumerate() {
        if y >= classes {
            return Err(Error::InvalidValue {
                what: "labels",
                row,
                col: 0,
                value: y as f64,
                reason: "a label must be smaller than the number of classes",
            });
        }
        n[y] += 1;
    }
    Ok(n)
}

/// Maximum likelihood estimate of a categorical distribution from labels:
/// `q̂_c = n_c / N`, the empirical frequencies (T4; derived with a Lagrange multiplier for
/// `Σ q = 1` in the book). The minimum of the mean cross-entropy is `H(q̂)`.
///
/// # Errors
/// As [`class_counts`], and [`Error::Empty`] for no labels.
pub fn categorical_mle(labels: &[usize], classes: usize) -> Result<DVector<f64>> {
    if labels.is_empty() {
        return Err(Error::Empty("no observations: the MLE is undefined"));
    }
    let n = class_counts(labels, classes)?;
    let total = labels.len() as f64;
    Ok(DVector::from_iterator(
        classes,
        n.iter().map(|&k| k as f64 / total),
    ))
}

/// Bernoulli MLE `p̂ = (number of ones) / N` from 0/1 outcomes.
///
/// # Errors
/// [`Error::Empty`] for no observations.
pub fn bernoulli_mle(outcomes: &[bool]) -> Result<f64> {
    if outcomes.is_empty() {
        return Err(Error::Empty("no observations: the MLE is undefined"));
    }
    Ok(outcomes.iter().filter(|&&b| b).count() as f64 / outcomes.len() as f64)
}

/// Gaussian MLE `(μ̂, σ̂²)`: the sample mean and the **biased** variance `Σ (x − μ̂)² / N`
/// (the MLE divides by N, not N − 1).
///
/// # Errors
/// [`Error::Empty`] for no observations; [`Error::InvalidValue`] for a non-finite sample.
pub fn gaussian_mle(xs: &[f64]) -> Result<(f64, f64)> {
    if xs.is_empty() {
        return Err(Error::Empty("no observations: the MLE is undefined"));
    }
    if let Some((i, &x)) = xs.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(Error::InvalidValue {
            what: "xs",
            row: i,
            col: 0,
            value: x,
            reason: "samples must be finite",
        });
    }
    // Work on x / max|x| so that neither the sum nor the squares overflow for huge samples.
    let scale = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if scale == 0.0 {
        return Ok((0.0, 0.0));
    }
    let n = xs.len() as f64;
    let mu = xs.iter().map(|x| x / scale).sum::<f64>() / n;
    let var = xs.iter().map(|x| (x / scale - mu).powi(2)).sum::<f64>() / n;
    Ok((mu * scale, var * scale * scale))
}
