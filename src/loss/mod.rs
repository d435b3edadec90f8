//! Losses with PyTorch's semantics, and their gradients with respect to the input.
//!
//! * [`cross_entropy`] — `torch.nn.functional.cross_entropy`: logits `(N, C)`, class axis 1,
//!   class-index or probability targets, `weight`, `ignore_index`, `label_smoothing`, reductions.
//! * [`nll_loss`] — `torch.nn.functional.nll_loss` on log-probabilities.
//!   `cross_entropy(z, y) = nll_loss(log_softmax(z), y)` when `label_smoothing = 0`.
//! * [`binary_cross_entropy_with_logits`] — the Bernoulli negative log-likelihood, computed
//!   stably from logits.
//! * [`mse_loss`] — squared error, the Gaussian negative log-likelihood up to constants.
//!
//! All losses are in nats. Each `*_with_grad` form also returns `∂loss/∂input` with the same
//! shape as the input. For `Reduction::None` that gradient is of `Σ_n l_n` (what PyTorch's
//! `loss.backward(torch.ones_like(loss))` gives).
//!
//! # Where we differ from PyTorch, on purpose
//! PyTorch's answer | ours
//! ---|---
//! `Mean` with every target ignored (or zero total weight) → NaN | [`Error::UndefinedMean`]
//! NaN logits → NaN loss (even in an ignored row) | [`Error::InvalidValue`]
//! `+∞` logit → NaN loss | [`Error::InvalidValue`] (`−∞` is allowed: probability 0)
//! negative `label_smoothing` accepted | [`Error::InvalidLabelSmoothing`]
//! negative or non-finite class weights accepted | [`Error::InvalidWeight`]
//! probability targets not checked | rows must be distributions ([`crate::information::PROB_SUM_TOL`])
//! BCE targets outside `[0, 1]` accepted | [`Error::InvalidValue`]
//! `mse_loss` with ±∞ → ∞ or NaN | [`Error::InvalidValue`]
//! empty batch with `Mean` → NaN | [`Error::Empty`]
//!
//! Under `Mean` with class-index targets the class weights are divided by their maximum before
//! use (that mean, `Σ l_n / Σ w_{y_n}`, does not depend on their scale), so weights near
//! `f64::MAX` or in the subnormal range give the same answer as moderate ones instead of
//! overflowing or losing digits. With probability targets the mean divides by N and does
//! depend on the scale, so the weights are used as given.
//!
//! Sources: PyTorch docs for `CrossEntropyLoss`, `NLLLoss`, `BCEWithLogitsLoss`;
//! book chapter "Cross-entropy is maximum likelihood".

mod bce;
mod cross_entropy;
mod mse;

pub use bce::{
    BceWithLogitsOptions, binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_with_grad,
};
pub use cross_entropy::{
    CrossEntropyOptions, NllLossOptions, Target, cross_entropy, cross_entropy_with_grad, nll_loss,
    nll_loss_with_grad,
};

pub use mse::mse_loss;

use nalgebra::DVector;

use crate::error::{Error, Result};

/// How per-sample losses are combined, as PyTorch's `reduction` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// One loss per sample, `(N,)`.
    None,
    /// Weighted mean: `Σ_n l_n / Σ_n w_{y_n}` for class-index targets (the sum of the kept
    /// rows' class weights, **not** N), `Σ_n l_n / N` for probability targets,
    /// `Σ l / (number of elements)` for binary losses.
    #[default]
    Mean,
    /// `Σ_n l_n`.
    Sum,
}

/// A loss value: a scalar for `Mean`/`Sum`, a vector for `Reduction::None`.
#[derive(Clone, Debug, PartialEq)]
pub enum Loss {
    /// The reduced value.
    Scalar(f64),
    /// Per-sample values `(N,)` (per element for binary losses, in column-major order).
    PerSample(DVector<f64>),
}

impl Loss {
    /// The scalar, or `None` for a per-sample result.
    #[must_use]
    pub fn scalar(&self) -> Option<f64> {
        match self {
            Loss::Scalar(v) => Some(*v),
            Loss::PerSample(_) => None,
        }
    }

    /// The per-sample vector, or `None` for a scalar.
    #[must_use]
    pub fn per_sample(&self) -> Option<&DVector<f64>> {
        match self {
            Loss::Scalar(_) => None,
            Loss::PerSample(v) => Some(v),
        }
    }
}

/// Reduce per-sample losses; `denom` is the mean's denominator.
fn reduce(per: Vec<f64>, reduction: Reduction, denom: f64) -> Result<(Loss, f64)> {
    match reduction {
        Reduction::None => Ok((Loss::PerSample(DVector::from_vec(per)), 1.0)),
        // `+ 0.0`: an empty sum is 0, not the −0.0 that `f64::sum` starts from.
        Reduction::Sum => Ok((Loss::Scalar(per.iter().sum::<f64>() + 0.0), 1.0)),
        Reduction::Mean => {
            if per.is_empty() {
                return Err(Error::Empty(
                    "the batch has no samples, so the mean is undefined",
                ));
            }
            if denom <= 0.0 {
                return Err(Error::UndefinedMean);
            }
            Ok((Loss::Scalar(per.iter().sum::<f64>() / denom), denom))
        }
    }
}

/// Check a weight vector: finite and non-negative.
fn check_weights(what: &'static str, w: &[f64]) -> Result<()> {
    for (index, &value) in w.iter().enumerate() {
        if !value.is_finite() || value < 0.0 {
            return Err(Error::InvalidWeight { what, index, value });
        }
    }
    Ok(())
}
