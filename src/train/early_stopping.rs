//! Early stopping on a validation split.

use crate::error::{Error, Result};

/// Stop training when the validation loss has not improved for `patience` epochs, as Keras'
/// `EarlyStopping` (PyTorch has no built-in one).
///
/// An epoch *improves* when its validation loss is below the best so far by more than
/// `min_delta`. After `patience` epochs in a row without improvement, [`Self::update`] says
/// stop; the best epoch is then `patience` epochs back. With `restore_best`, the parameters
/// of the best epoch are kept and [`Self::restore`] writes them back.
///
/// Why it works: the training loss is the NLL of the training
/// set, which a flexible model keeps lowering by memorising it; the validation loss estimates
/// the expected NLL on new data, which stops improving once the model starts to overfit.
///
/// With a penalty ([`super::fit_with`]), the decision is still taken on the validation *data*
/// loss (mean cross-entropy, penalty excluded): the quantity of interest on new data is the
/// likelihood, not the training objective.
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    restore_best: bool,
    best: Option<(usize, f64)>,
    wait: usize,
    best_params: Option<Vec<Vec<f64>>>,
}

impl EarlyStopping {
    /// # Errors
    /// [`Error::InvalidHyperParameter`] if `patience` is 0 or `min_delta` is negative or not
    /// finite.
    pub fn new(patience: usize, min_delta: f64, restore_best: bool) -> Result<Self> {
        if patience == 0 {
            return Err(Error::InvalidHyperParameter {
                name: "patience",
                value: 0.0,
                reason: "must be >= 1",
            });
        }
        if !(min_delta.is_finite() && min_delta >= 0.0) {
            return Err(Error::InvalidHyperParameter {
                name: "min_delta",
                value: min_delta,
                reason: "must be finite and >= 0",
            });
        }
        Ok(Self {
            patience,
            min_delta,
            restore_best,
            best: None,
            wait: 0,
            best_params: None,
        })
    }

    /// Record epoch `epoch` (validation loss `val_loss`, current parameters `params`) and say
    /// whether to stop now.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for a NaN validation loss.
    pub fn update(&mut self, epoch: usize, val_loss: f64, params: &[&[f64]]) -> Result<bool> {
        if val_loss.is_nan() {
            return Err(Error::InvalidValue {
                what: "val_loss",
                row: epoch,
                col: 0,
                value: val_loss,
                reason: "a validation loss cannot be NaN",
            });
        }
        let improved = self
            .best
            .is_none_or(|(_, best)| val_loss < best - self.min_delta);
        if improved {
            self.best = Some((epoch, val_loss));
            self.wait = 0;
            if self.restore_best {
                self.best_params = Some(params.iter().map(|p| p.to_vec()).collect());
            }
        } else {
            self.wait += 1;
        }
        Ok(self.wait >= self.patience)
    }

    /// The best epoch and its validation loss so far.
    #[must_use]
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best
    }

    /// Write the best epoch's parameters back (with `restore_best`). Returns whether it did.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `params` does not have the saved layout.
    pub fn restore(&self, params: &mut [&mut [f64]]) -> Result<bool> {
        let Some(saved) = &self.best_params else {
            return Ok(false);
        };
        if saved.len() != params.len()
            || saved
                .iter()
                .zip(params.iter())
                .any(|(s, p)| s.len() != p.len())
        {
            return Err(Error::ShapeMismatch {
                what: "params",
                expected: format!("{} buffers as saved", saved.len()),
                got: format!("{} buffers", params.len()),
            });
        }
        for (p, s) in params.iter_mut().zip(saved) {
            p.copy_from_slice(s);
        }
        Ok(true)
    }
}
