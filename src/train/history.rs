//! The record of a training run, and its CSV / JSON files.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// Per-epoch record of a run: the training loss, the validation loss when there is a
/// validation split, and the penalty.
///
/// **The losses are data losses**: mean cross-entropy (nats) of the labels under the model,
/// *without* the penalty, as a PyTorch user who adds `λ·‖w‖` to the loss before
/// `backward()` usually still prints `criterion(output, y)`. The objective actually minimised
/// is `train[e] + penalty[e]` ([`History::objective`]).
///
/// Entry `e` (0-based) is measured at the start of epoch `e + 1`, before its update, with the
/// same parameters for all three vectors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Training data loss (mean cross-entropy, nats) at each epoch, penalty excluded.
    pub train: Vec<f64>,
    /// Validation data loss at each epoch (empty without a validation split).
    pub validation: Vec<f64>,
    /// The penalty `λ₂‖W‖₂² + λ₁‖W‖₁` at each epoch (nats; all 0 without a penalty; empty
    /// when recorded by a caller that does not track it).
    pub penalty: Vec<f64>,
    /// `Some(e)` when early stopping ended the run at epoch `e` (1-based, the last one
    /// recorded: its loss is measured but no update follows); `None` when all epochs ran.
    pub stopped_at: Option<usize>,
}

/// File format of a written [`History`], chosen by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryFormat {
    /// `.csv`: header `epoch,train_loss,validation_loss,penalty`, one row per epoch.
    Csv,
    /// `.json`: one object of parallel arrays (see [`History::to_json`]).
    Json,
}

impl HistoryFormat {
    /// The format named by `path`'s extension (`.csv` or `.json`, any case).
    ///
    /// # Errors
    /// [`Error::InvalidFile`] for any other extension or none.
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("json") => Ok(Self::Json),
            _ => Err(Error::InvalidFile {
                path: path.display().to_string(),
                reason: "a history file must end in .csv or .json".into(),
            }),
        }
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize)]
struct JsonHistory<'a> {
    units: &'static str,
    losses_include_penalty: bool,
    epoch: Vec<usize>,
    train_loss: &'a [f64],
    validation_loss: Option<&'a [f64]>,
    penalty: &'a [f64],
    stopped_at: Option<usize>,
}

impl History {
    /// Number of epochs recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.train.len()
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.train.is_empty()
    }

    /// The penalised training objective `train[e] + penalty[e]` (nats) at each epoch (the
    /// training loss alone where no penalty was recorded).
    #[must_use]
    pub fn objective(&self) -> Vec<f64> {
        self.train
            .iter()
            .enumerate()
            .map(|(e, l)| l + self.penalty.get(e).copied().unwrap_or(0.0))
            .collect()
    }

    /// The loss table, one line every `print_every` epochs, in the format of
    /// [`super::TrainReport::table`]: `Epoch [10/100], Loss: 1.7234` (training data loss, 4
    /// decimals), followed by `, Val Loss: 1.8012` when there is a validation split.
    /// `total_epochs` is the planned number of epochs (the run may have stopped early).
    #[must_use]
    pub fn table(&self, total_epochs: usize, print_every: usize) -> String {
        let mut s = String::new();
        for (e, l) in self.train.iter().enumerate() {
            let epoch = e + 1;
            if print_every > 0 && epoch % print_every == 0 {
                let _ = write!(s, "Epoch [{epoch}/{total_epochs}], Loss: {l:.4}");
                if let Some(v) = self.validation.get(e) {
                    let _ = write!(s, ", Val Loss: {v:.4}");
                }
                s.push('\n');
            }
        }
        s
    }

    /// CSV: header `epoch,train_loss,validation_loss,penalty`, then one row per epoch (epoch
    /// 1-based; losses in nats with every digit Rust needs to round-trip the `f64`;
    /// `validation_loss` empty without a validation split).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut s = String::from("epoch,train_loss,validation_loss,penalty\n");
        for (e, l) in self.train.iter().enumerate() {
            let v = self
                .validation
                .get(e)
                .map_or(String::new(), |v| v.to_string());
            let p = self.penalty.get(e).copied().unwrap_or(0.0);
            let _ = writeln!(s, "{},{l},{v},{p}", e + 1);
        }
        s
    }

    /// JSON, one line: `{"units": "nats", "losses_include_penalty": false, "epoch": [1, 2, …],
    /// "train_loss": […], "validation_loss": […] or null, "penalty": […], "stopped_at": e or
    /// null}` (serde_json).
    ///
    /// # Errors
    /// [`Error::InvalidFile`] if serialisation fails (it does not for finite values; a NaN is
    /// written as `null`).
    #[cfg(feature = "serde")]
    pub fn to_json(&self) -> Result<String> {
        let doc = JsonHistory {
            units: "nats",
            losses_include_penalty: false,
            epoch: (1..=self.train.len()).collect(),
            train_loss: &self.train,
            validation_loss: (!self.validation.is_empty()).then_some(self.validation.as_slice()),
            penalty: &self.penalty,
            stopped_at: self.stopped_at,
        };
        serde_json::to_string(&doc)
            .map(|s| s + "\n")
            .map_err(|e| Error::InvalidFile {
                path: "<history>".into(),
                reason: e.to_string(),
            })
    }

    /// Write the history to `path` as CSV or JSON according to its extension
    /// ([`HistoryFormat::from_path`]), atomically: a temporary file in the same directory is
    /// renamed over `path`, so an interrupted run leaves the old file or none, never half of one.
    ///
    /// # Errors
    /// [`Error::InvalidFile`] for an extension other than `.csv` / `.json` (and for `.json`
    /// without the `serde` feature); [`Error::Io`] if the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = match HistoryFormat::from_path(path)? {
            HistoryFormat::Csv => self.to_csv(),
            #[cfg(feature = "serde")]
            HistoryFormat::Json => self.to_json()?,
            #[cfg(not(feature = "serde"))]
            HistoryFormat::Json => {
                return Err(Error::InvalidFile {
                    path: path.display().to_string(),
                    reason: "writing JSON needs ce-mle's `serde` feature".into(),
                });
            }
        };
        crate::fsio::write_atomic(path, text.as_bytes())
    }
}
