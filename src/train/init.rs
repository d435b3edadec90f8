//! A recorded starting point: a data set and a layer's initial parameters, read from JSON
//! (e.g. the PyTorch fixture `tests/fixtures/torch_training.json`), so that a run can start
//! exactly where PyTorch's did.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::Deserialize;

use crate::data::Classification;
use crate::error::{Error, Result, check_elements};
use crate::nn::{Linear, SoftmaxClassifier};

#[derive(Deserialize)]
struct InitParams {
    weight: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

#[derive(Deserialize)]
struct InitFile {
    x: Vec<Vec<f64>>,
    y: Vec<i64>,
    init: InitParams,
}

/// A data set and an untrained model, as recorded in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedStart {
    /// The data: features `(N, in_features)` and labels `(N,)`; `classes = out_features`.
    pub data: Classification,
    /// The untrained model `Linear(in_features → out_features)`.
    pub model: SoftmaxClassifier,
}

fn rows_to_matrix(what: &str, rows: &[Vec<f64>]) -> std::result::Result<DMatrix<f64>, String> {
    let n = rows.len();
    let d = rows.first().map_or(0, Vec::len);
    if n == 0 || d == 0 {
        return Err(format!("{what} must be a non-empty list of non-empty rows"));
    }
    if let Some(i) = rows.iter().position(|r| r.len() != d) {
        return Err(format!(
            "{what}[{i}] has {} entries but {what}[0] has {d}: rows must have equal lengths",
            rows[i].len()
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        if let Some(j) = r.iter().position(|v| !v.is_finite()) {
            return Err(format!("{what}[{i}][{j}] = {} is not finite", r[j]));
        }
    }
    check_elements("rows * columns", n, d).map_err(|e| e.to_string())?;
    Ok(DMatrix::from_fn(n, d, |i, j| rows[i][j]))
}

impl RecordedStart {
    /// Parse a recorded start from JSON text:
    /// `{"x": [[N × in floats]], "y": [N class indices], "init": {"weight": [[out × in]],
    /// "bias": [out]}}` (PyTorch's shapes: `weight` is `(out_features, in_features)`, as
    /// `nn.Linear.weight`). Other fields, anywhere, are ignored. `path` only names the source
    /// in error messages.
    ///
    /// # Errors
    /// [`Error::InvalidFile`] for malformed JSON, a missing field, ragged rows, non-finite
    /// numbers, shapes that do not fit together, or a label outside `0..out_features`.
    pub fn from_json(text: &str, path: &str) -> Result<Self> {
        let bad = |reason: String| Error::InvalidFile {
            path: path.to_string(),
            reason,
        };
        let f: InitFile = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "not a recorded start ({{x, y, init: {{weight, bias}}}}): {e}"
            ))
        })?;
        let x = rows_to_matrix("x", &f.x).map_err(bad)?;
        let weight = rows_to_matrix("init.weight", &f.init.weight).map_err(bad)?;
        let (n, d) = x.shape();
        let (classes, inputs) = weight.shape();
        if f.y.len() != n {
            return Err(bad(format!(
                "y has {} labels but x has {n} rows",
                f.y.len()
            )));
        }
        if inputs != d {
            return Err(bad(format!(
                "init.weight is ({classes}, {inputs}) but x has {d} features: expected ({classes}, {d})"
            )));
        }
        if f.init.bias.len() != classes {
            return Err(bad(format!(
                "init.bias has {} entries but init.weight has {classes} rows",
                f.init.bias.len()
            )));
        }
        if let Some(j) = f.init.bias.iter().position(|v| !v.is_finite()) {
            return Err(bad(format!(
                "init.bias[{j}] = {} is not finite",
                f.init.bias[j]
            )));
        }
        if let Some(i) =
            f.y.iter()
                .position(|&c| c < 0 || c as u64 >= classes as u64)
        {
            return Err(bad(format!(
                "y[{i}] = {} is not a class index in 0..{classes}",
                f.y[i]
            )));
        }
        let linear = Linear::from_parameters(weight, DVector::from_vec(f.init.bias))
            .map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            data: Classification { x, y: f.y, classes },
            model: SoftmaxClassifier::new(linear),
        })
    }

    /// Read a recorded start from a JSON file (format: [`Self::from_json`]).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; otherwise as [`Self::from_json`].
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json(&text, &path.display().to_string())
    }
}
