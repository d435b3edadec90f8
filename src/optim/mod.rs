//! Optimisers with PyTorch's update rules: [`Sgd`], [`Adam`] and [`AdamW`].
//!
//! An optimiser updates a list of parameter buffers in place from gradients of the same
//! shapes, in the same order at every call: `step(&mut [&mut [f64]], &[&[f64]])`. A nalgebra
//! matrix gives its buffer with `as_mut_slice()`. The per-parameter state (momentum, moment
//! estimates) is created on the first step and tied to the position in the list.
//!
//! Sources: PyTorch docs for `torch.optim.SGD` and `torch.optim.Adam` (the algorithm boxes);
//! Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2015.

mod adam;
mod sgd;

pub use adam::{Adam, AdamState, AdamW};
pub use sgd::Sgd;

use crate::error::{Error, Result};

/// A first-order optimiser: one update of every parameter from its gradient.
pub trait Optimizer {
    /// Apply one update. `params[i]` and `grads[i]` must have the same length, and the list
    /// must keep its order and lengths from call to call.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the lists or buffers disagree in length (with each other or
    /// with the first successful call); [`Error::InvalidValue`] for a NaN or infinite gradient
    /// or parameter. A failed call changes nothing.
    fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) -> Result<()>;
}

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::InvalidHyperParameter {
            name,
            value,
            reason: "must be finite and > 0",
        });
    }
    Ok(())
}

pub(crate) fn check_unit(name: &'static str, value: f64) -> Result<()> {
    if !(0.0..1.0).contains(&value) {
        return Err(Error::InvalidHyperParameter {
            name,
            value,
            reason: "must be in [0, 1)",
        });
    }
    Ok(())
}

pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::InvalidHyperParameter {
            name,
            value,
            reason: "must be finite and >= 0",
        });
    }
    Ok(())
}

/// Validate one step: as many gradients as parameters, equal lengths, the same layout as the
/// first successful step (`layout`, `None` before it), finite gradients and parameters.
/// Nothing is changed when it fails, so a bad call cannot corrupt the optimiser's state.
pub(crate) fn check_step(
    params: &[&mut [f64]],
    grads: &[&[f64]],
    layout: Option<&[Vec<f64>]>,
) -> Result<()> {
    if params.len() != grads.len() {
        return Err(Error::ShapeMismatch {
            what: "grads",
            expected: format!("{} buffers", params.len()),
            got: format!("{} buffers", grads.len()),
        });
    }
    if let Some(state) = layout
        && state.len() != params.len()
    {
        return Err(Error::ShapeMismatch {
            what: "params",
            expected: format!("{} buffers (as at the first step)", state.len()),
            got: format!("{} buffers", params.len()),
        });
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let expected = layout.map_or(p.len(), |s| s[i].len());
        if p.len() != g.len() || p.len() != expected {
            return Err(Error::ShapeMismatch {
                what: "grads",
                expected: format!("buffer {i} of length {expected}"),
                got: format!("param length {}, grad length {}", p.len(), g.len()),
            });
        }
        for (what, buf) in [("grads", *g), ("params", &**p)] {
            if let Some(j) = buf.iter().position(|x| !x.is_finite()) {
                return Err(Error::InvalidValue {
                    what,
                    row: i,
                    col: j,
                    value: buf[j],
                    reason: "optimisers need finite parameters and gradients (did training diverge?)",
                });
            }
        }
    }
    Ok(())
}

/// Zeroed state buffers shaped like `params`.
pub(crate) fn zeros_like(params: &[&mut [f64]]) -> Vec<Vec<f64>> {
    params.iter().map(|p| vec![0.0; p.len()]).collect()
}
