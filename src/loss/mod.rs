//! Losses with PyTorch's semantics, and their gradients with respect to the input.
//!
//! * [`cross_entropy`] — `torch.nn.functional.cross_entropy`: logits `(N, C)`, class axis 1,
//!   class-index or probability targets, `weight`, `ignore_index`, `label_smoothing`, reductions.
//! * [`nll_loss`] — `torch.nn.functional.nll_loss` on log-probabilities.
//!   `cross_entropy(z, y) = nll_loss(log_softmax(z), y)` when `label_smoothing = 0`.
//! * [`linear_cross_entropy`] — `torch.nn.functional.linear_cross_entropy`: the cross-entropy
//!   of `X·Wᵀ + b` without the `(N, V)` logits (a language model's head), chunked over tokens.
//! * [`binary_cross_entropy_with_logits`], [`binary_cross_entropy`] — the Bernoulli negative
//!   log-likelihood, from logits (stably) or from probabilities.
//! * [`kl_div`] — `torch.nn.functional.kl_div`.
//! * [`mse_loss`] — squared error, the Gaussian negative log-likelihood up to constants.
//!
//! The same functions on other memory layouts: [`rows`] (row-major slices, PyTorch's layout
//! and the fastest entry point; the gradient can be written over the logits) and `nd`
//! (`ndarray`, K-dimensional inputs with the class axis at `dim`, feature `ndarray`).
//!
//! # Fast kernels and the reference
//! The cross-entropy and the softmax family run on vectorised kernels (`kernel` and `fast`,
//! private): one read of each row for the forward pass (an online log-sum-exp keeps the
//! maximum and the sum together), the gradient written in the same sweep, `f32` input read as
//! it is (each element widened in registers, never a widened copy of the buffer), rows spread
//! over the cores with the `rayon` feature (the results do not depend on the number of
//! threads or on the vector width). The straightforward loops they replaced are kept in
//! [`reference`](mod@reference), and the tests compare the two on every option, layout and bad input: the
//! reference defines the semantics, the kernels must agree with it to a few ULP and return
//! the same errors.
//!
//! All losses are in nats, generic over [`Real`] (`f32` or `f64`: an `f32` input is computed
//! in `f64` and rounded once, see [`crate::real`]; [`mse_loss`] is `f64` only). Each
//! `*_with_grad` form also returns `∂loss/∂input` with the same shape as the input. For `Reduction::None` that gradient is of `Σ_n l_n` (what PyTorch's
//! `loss.backward(torch.ones_like(loss))` gives).
//!
//! # Accuracy
//! Worst error in ULPs of the correctly rounded exact value, measured by `book/tests/ulp.rs` on the
//! cases of `tests/fixtures/precise_hard.json` (exact values from mpmath at 80 digits,
//! `tools/precise/hard_cases.py`; one sample or element, no options):
//!
//! loss | `f64` | `f32` | PyTorch 2.15 `float64` | PyTorch 2.15 `float32`
//! ---|---|---|---|---
//! [`cross_entropy`] | 1 | 0 | 6.5e15 (`[0.1, −700.3]`, target 0: 0 for 6.6e-305) | 1.4e7 (`[30, 0]`, target 0: 0 for 9.4e-14)
//! [`binary_cross_entropy_with_logits`] | 0 | 0 | 5.5e15 (`x = −40, y = 0`: 0 for 4.2e-18; NaN at `x = ±∞` with a matching target) | 1.0e7 (same cases)
//!
//! The target the test asserts is 2 ULP. Cross-entropy with a class index is `log1p(s)` when
//! the target is the largest logit (with `s` summed compensated, see [`crate::softmax`]) and
//! `(m − z_y) + log1p(s)` otherwise, so a loss of 1e-300 keeps its digits; PyTorch's
//! `float32` loss of one dominant logit among C = 50 000 (1.03e-4) is 6% off. BCE with logits
//! is `softplus` through `log1p(e^{−|x|})`. Reductions over many samples add in plain `f64`.
//!
//! # Where we differ from PyTorch, on purpose
//! Measured with PyTorch 2.15 (`tests/fixtures/torch_functional.json`, checked by
//! `book/tests/golden_functional.rs`):
//!
//! PyTorch's answer | ours
//! ---|---
//! `Mean` with every target ignored (or zero total weight) → NaN loss (gradient 0) | [`Error::UndefinedMean`]
//! NaN logit → NaN loss; in an ignored row a finite loss but a NaN gradient row | [`Error::InvalidValue`]
//! `+∞` logit → NaN loss | [`Error::InvalidValue`] (`−∞` is allowed: probability 0)
//! softmax / log_softmax / cross-entropy of a row of only `−∞` → NaN | [`Error::AllNegInfRow`] (`logsumexp` gives `−∞` in both)
//! negative `label_smoothing` accepted | [`Error::InvalidLabelSmoothing`]
//! negative or non-finite class weights accepted | [`Error::InvalidWeight`]
//! probability targets not checked | rows must be distributions ([`crate::information::PROB_SUM_TOL`])
//! BCE targets outside `[0, 1]` accepted | [`Error::InvalidValue`]
//! `kl_div` with a negative target → NaN | [`Error::InvalidValue`]
//! `kl_div` with an input > 0, a target > 1 or a log-target > 0 accepted (1e300 or a log-target above 709.8 give NaN) | [`Error::InvalidValue`]
//! `kl_div` with `log_target` and a target of `−∞` (probability 0) → NaN (`0·∞`) | that term is 0, its limit
//! zero classes with probability targets, or an empty batch, with `Mean` → NaN | [`Error::Empty`]
//! `mse_loss` with ±∞ → ∞ or NaN | [`Error::InvalidValue`]
//!
//! Not semantics but accuracy: where PyTorch's value is off (e.g. the `logsumexp` gradient at
//! tied maxima of 1e300, which it gives as 1 instead of ½, or `softplus(−30)` in BCE with
//! logits, 1.3% low), the golden test requires ours to match a 60-digit reference instead.
//!
//! # Inputs both refuse
//! PyTorch raises | we return
//! ---|---
//! `IndexError` (class index ≥ C or negative and not `ignore_index`) | [`Error::ClassIndexOutOfRange`]
//! `IndexError` (C = 0 with index targets) | [`Error::Empty`]
//! `ValueError` (batch size of target ≠ input's; BCE target shape ≠ input's) | [`Error::ShapeMismatch`]
//! `RuntimeError` (weight of the wrong length; K-dimensional target of the wrong shape; probability target of the wrong shape; `kl_div` shapes that do not broadcast) | [`Error::ShapeMismatch`]
//! `RuntimeError` (`label_smoothing` > 1) | [`Error::InvalidLabelSmoothing`]
//! `RuntimeError` (`ignore_index` with probability targets) | [`Error::IgnoreIndexWithProbabilities`]
//! `RuntimeError` (BCE input outside `[0, 1]`) | [`Error::InvalidValue`]
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
pub(crate) mod fast;
pub(crate) mod kernel;
mod kl_div;
mod linear;
mod mse;
#[cfg(feature = "ndarray")]
pub mod nd;
pub mod reference;
pub mod rows;

pub use bce::{
    BCE_GRAD_EPS, BCE_LOG_CLAMP, BceOptions, BceWithLogitsOptions, binary_cross_entropy,
    binary_cross_entropy_with_grad, binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_with_grad,
};
pub use cross_entropy::{
    CrossEntropyOptions, NllLossOptions, Target, cross_entropy, cross_entropy_with_grad, nll_loss,
    nll_loss_with_grad,
};
pub use kl_div::{KlDivOptions, KlDivReduction, kl_div, kl_div_with_grad};
pub use linear::{
    DEFAULT_CHUNK_BYTES, Linear, LinearCrossEntropyOptions, LinearGrads, linear_cross_entropy,
    linear_cross_entropy_with_grad,
};

pub use mse::mse_loss;

use nalgebra::DVector;

use crate::error::{Error, Result};
use crate::real::{Real, narrow_vec};

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

/// A loss value: a scalar for `Mean`/`Sum`, a vector for `Reduction::None`. `T` is the input's
/// floating-point type (`f64` by default, or `f32`).
#[derive(Clone, Debug, PartialEq)]
pub enum Loss<T: Real = f64> {
    /// The reduced value.
    Scalar(T),
    /// Per-sample values `(N,)` (per element for binary losses, in column-major order).
    PerSample(DVector<T>),
}

impl<T: Real> Loss<T> {
    /// The scalar, or `None` for a per-sample result.
    #[must_use]
    pub fn scalar(&self) -> Option<T> {
        match self {
            Loss::Scalar(v) => Some(*v),
            Loss::PerSample(_) => None,
        }
    }

    /// The per-sample vector, or `None` for a scalar.
    #[must_use]
    pub fn per_sample(&self) -> Option<&DVector<T>> {
        match self {
            Loss::Scalar(_) => None,
            Loss::PerSample(v) => Some(v),
        }
    }
}

/// Round an `f64` loss to `T` (each value once).
pub(crate) fn narrow_loss<T: Real>(l: Loss<f64>) -> Loss<T> {
    match l {
        Loss::Scalar(v) => Loss::Scalar(T::round_from_f64(v)),
        Loss::PerSample(v) => Loss::PerSample(narrow_vec(v)),
    }
}

/// Reduce per-sample losses; `denom` is the mean's denominator.
fn reduce(per: Vec<f64>, reduction: Reduction, denom: f64) -> Result<(Loss, f64)> {
    match reduction {
        Reduction::None => Ok((Loss::PerSample(DVector::from_vec(per)), 1.0)),
        // `+ 0.0`: an empty sum is 0, not the −0.0 that `f64::sum` starts from.
        Reduction::Sum => Ok((Loss::Scalar(per.iter().sum::<f64>() + 0.0), 1.0)),
        Reduction::Mean => {
            mean_denominator(per.len(), denom)?;
            Ok((Loss::Scalar(per.iter().sum::<f64>() / denom), denom))
        }
    }
}

/// The errors of a `Mean` over `n` samples whose weights sum to `denom`.
fn mean_denominator(n: usize, denom: f64) -> Result<()> {
    if n == 0 {
        return Err(Error::Empty(
            "the batch has no samples, so the mean is undefined",
        ));
    }
    if denom <= 0.0 {
        return Err(Error::UndefinedMean);
    }
    Ok(())
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
