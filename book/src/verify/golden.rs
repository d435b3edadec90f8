//! PyTorch golden values: the committed fixtures written with real PyTorch
//! (`tools/golden/generate.py`) and with mpmath (`tools/precise/exact_functional.py`), compared
//! with this crate. Used by `ce-mle verify` (rows P1 and P2) and by `book/tests/golden_*.rs`.
//!
//! # Agreement required
//! * float64: `|ours − torch| ≤ 1e-12·max(|ours|, |torch|) + 1e-15`;
//! * float32: `|ours − torch| ≤ 2e-6·max(|ours|, |torch|) + 2⁻²³·M`, with M the largest
//!   magnitude in the array: PyTorch's float32 kernels round intermediate quantities of that
//!   size, so an element that is mathematically 0 comes out as noise of that order;
//! * non-finite values must be identical.
//!
//! Where we disagree with PyTorch, the case passes only if we agree with the exact value (same
//! tolerances) and PyTorch does not. Where PyTorch answers and we refuse, the case must be a
//! documented difference (the table in [`ce_mle::loss`]). Where PyTorch raises, we must return an
//! error too.

use std::collections::BTreeMap;

use nalgebra::{DMatrix, DVector};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use ce_mle::loss::{CrossEntropyOptions, Target};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::{Adam, AdamW, Optimizer, Sgd};

/// PyTorch's outputs for the `ce-mle loss` cases.
pub const TORCH_FUNCTIONAL: &str = include_str!("../../../tests/fixtures/torch_functional.json");
/// Exact values of the same cases (mpmath).
pub const EXACT_FUNCTIONAL: &str = include_str!("../../../tests/fixtures/exact_functional.json");
/// PyTorch's float64 trajectories of the article's program under nine optimisers.
pub const TORCH_TRAINING: &str = include_str!("../../../tests/fixtures/torch_training.json");

/// Where PyTorch returns NaN somewhere (output or gradient) and we refuse, our error is one of
/// these kinds (see the table in [`ce_mle::loss`]).
pub const NAN_KINDS: &[&str] = &["UndefinedMean", "AllNegInfRow", "InvalidValue", "Empty"];

/// Where PyTorch answers with a number and we refuse, on purpose: `(case name, our kind)`.
pub const REFUSED: &[(&str, &str)] = &[
    // PyTorch accepts −0.1 and silently applies no smoothing.
    ("ce/odd/ls-0.1", "InvalidLabelSmoothing"),
    ("ce/odd/prob/not_normalised", "InvalidDistribution"),
    ("ce/odd/weight_negative", "InvalidWeight"),
    ("bcel/odd/target_outside", "InvalidValue"),
    // A NaN logit in an ignored row: PyTorch's loss skips it (its gradient row is NaN).
    ("ce/odd/nan_logit_ignored_row", "InvalidValue"),
    ("ce/odd/nan_logit_ignored_row/ls0.1", "InvalidValue"),
];

/// Elements smaller than this fraction of the array's largest are left out of the reported
/// worst *relative* error (they are still held to the absolute floor).
const REPORT_FLOOR: f64 = 1e-6;

fn fixture_error(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Core(ce_mle::Error::InvalidFile {
        path: format!("tests/fixtures ({what})"),
        reason: detail.to_string(),
    })
}

/// `(relative, absolute)` tolerance of a dtype for an array whose largest magnitude is
/// `largest`.
#[must_use]
pub fn tolerance(dtype: &str, largest: f64) -> (f64, f64) {
    match dtype {
        "float32" => (2e-6, f64::from(f32::EPSILON) * largest),
        _ => (1e-12, 1e-15),
    }
}

fn leaf(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        _ => f64::NAN,
    }
}

fn flatten(v: &Value) -> (Vec<usize>, Vec<f64>) {
    fn walk(v: &Value, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<f64>) {
        match v {
            Value::Array(items) => {
                if shape.len() == depth {
                    shape.push(items.len());
                }
                for i in items {
                    walk(i, depth + 1, shape, out);
                }
            }
            other => out.push(leaf(other)),
        }
    }
    let mut shape = Vec::new();
    let mut out = Vec::new();
    walk(v, 0, &mut shape, &mut out);
    (shape, out)
}

fn has_nan(v: &Value) -> bool {
    flatten(v).1.iter().any(|x| x.is_nan())
}

/// How one array compares: the worst relative error (over elements above the absolute floor
/// and at least `REPORT_FLOOR` = 10⁻⁶ of the largest) and the worst use of the tolerance
/// (≤ 1 passes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Agreement {
    /// Worst `|a − b| / max(|a|, |b|)`.
    pub relative: f64,
    /// Worst `|a − b| / (rel·max(|a|, |b|) + abs)`.
    pub usage: f64,
}

/// Compare two nested lists under the tolerance of `dtype`.
///
/// # Errors
/// A message for a shape or non-finite mismatch, or an element outside the tolerance.
pub fn compare(
    ours: &Value,
    reference: &Value,
    dtype: &str,
) -> std::result::Result<Agreement, String> {
    let (sa, a) = flatten(ours);
    let (sb, b) = flatten(reference);
    if sa != sb {
        return Err(format!("shape {sa:?} vs {sb:?}"));
    }
    let largest = b
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let (rel, abs) = tolerance(dtype, largest);
    let mut agreement = Agreement::default();
    for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
        if !x.is_finite() || !y.is_finite() {
            if !((x.is_nan() && y.is_nan()) || x == y) {
                return Err(format!("element {i}: {x} vs {y}"));
            }
            continue;
        }
        let scale = x.abs().max(y.abs());
        let diff = (x - y).abs();
        let usage = if diff == 0.0 {
            0.0
        } else {
            diff / (rel * scale + abs)
        };
        if usage > 1.0 {
            return Err(format!(
                "element {i}: {x:e} vs {y:e} (relative {:.2e})",
                diff / scale
            ));
        }
        agreement.usage = agreement.usage.max(usage);
        if scale > abs && scale >= REPORT_FLOOR * largest {
            agreement.relative = agreement.relative.max(diff / scale);
        }
    }
    Ok(agreement)
}

/// The worst agreement for one `(op, dtype, part)` group and the case where it occurred.
#[derive(Clone, Debug, PartialEq)]
pub struct Worst {
    /// The agreement.
    pub agreement: Agreement,
    /// The case's name.
    pub case: String,
}

/// Everything the functional comparison found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunctionalReport {
    /// PyTorch's version string from the fixture.
    pub torch_version: String,
    /// Number of cases.
    pub cases: usize,
    /// Worst agreement with PyTorch per `(op, dtype, "output" | "grad")`.
    pub worst: BTreeMap<(String, String, String), Worst>,
    /// Inputs both refuse: `(PyTorch exception, our error kind)` → count.
    pub rejections: BTreeMap<(String, String), usize>,
    /// Documented refusals: our error kind → count.
    pub refusals: BTreeMap<String, usize>,
    /// Where PyTorch is off and we match the exact value: one line each.
    pub torch_off: Vec<String>,
    /// Disagreements that fail the comparison: one line each.
    pub failures: Vec<String>,
}

impl FunctionalReport {
    /// The worst tolerance use over every comparison with PyTorch (≤ 1 passes).
    #[must_use]
    pub fn worst_usage(&self) -> f64 {
        self.worst
            .values()
            .fold(0.0, |m, w| m.max(w.agreement.usage))
    }

    /// The worst relative error with PyTorch in `dtype` over every op and part.
    #[must_use]
    pub fn worst_relative(&self, dtype: &str) -> f64 {
        self.worst
            .iter()
            .filter(|((_, d, _), _)| d == dtype)
            .fold(0.0, |m, (_, w)| m.max(w.agreement.relative))
    }
}

/// Run every case of [`TORCH_FUNCTIONAL`] through [`ce_mle::torch_json::result_of`] and compare.
///
/// # Errors
/// [`ce_mle::Error::InvalidFile`] if a fixture cannot be read; disagreements are in the report.
pub fn functional() -> Result<FunctionalReport> {
    let fixture: Value =
        serde_json::from_str(TORCH_FUNCTIONAL).map_err(|e| fixture_error("torch", e))?;
    let exact_doc: Value =
        serde_json::from_str(EXACT_FUNCTIONAL).map_err(|e| fixture_error("exact", e))?;
    let cases = fixture["cases"]
        .as_array()
        .ok_or_else(|| fixture_error("torch", "no cases array"))?;
    let exact = exact_doc["cases"]
        .as_object()
        .ok_or_else(|| fixture_error("exact", "no cases object"))?;
    let mut rep = FunctionalReport {
        torch_version: fixture["torch_version"].as_str().unwrap_or("?").to_string(),
        cases: cases.len(),
        ..FunctionalReport::default()
    };
    for c in cases {
        let name = c["name"].as_str().unwrap_or("?").to_string();
        let case = &c["case"];
        let op = case["op"].as_str().unwrap_or("?").to_string();
        let dtype = case["dtype"].as_str().unwrap_or("float64").to_string();
        let ours = ce_mle::torch_json::result_of(case);
        let torch = &c["torch"];
        match (torch.get("error"), ours.get("error")) {
            (Some(te), Some(oe)) => {
                let key = (
                    te["type"].as_str().unwrap_or("?").to_string(),
                    oe["kind"].as_str().unwrap_or("?").to_string(),
                );
                *rep.rejections.entry(key).or_default() += 1;
            }
            (Some(te), None) => rep.failures.push(format!(
                "{name}: PyTorch raises {} ({}) but we answered",
                te["type"], te["message"]
            )),
            (None, Some(oe)) => {
                let kind = oe["kind"].as_str().unwrap_or("?");
                let torch_nan = has_nan(&torch["output"]) || torch.get("grad").is_some_and(has_nan);
                let documented = if torch_nan {
                    NAN_KINDS.contains(&kind)
                } else {
                    REFUSED.iter().any(|(n, k)| *n == name && *k == kind)
                };
                if documented {
                    *rep.refusals.entry(kind.to_string()).or_default() += 1;
                } else {
                    rep.failures
                        .push(format!("{name}: PyTorch answers but we refuse: {oe}"));
                }
            }
            (None, None) => {
                for part in ["output", "grad"] {
                    let (Some(t), Some(o)) = (torch.get(part), ours.get(part)) else {
                        if torch.get(part).is_some() != ours.get(part).is_some() {
                            rep.failures
                                .push(format!("{name}: {part} present on one side only"));
                        }
                        continue;
                    };
                    let torch_nan = has_nan(t);
                    let vs_torch = if torch_nan {
                        Err("PyTorch returned NaN".to_string())
                    } else {
                        compare(o, t, &dtype)
                    };
                    match vs_torch {
                        Ok(a) => {
                            let key = (op.clone(), dtype.clone(), part.to_string());
                            let w = rep.worst.entry(key).or_insert(Worst {
                                agreement: Agreement::default(),
                                case: name.clone(),
                            });
                            if a.relative >= w.agreement.relative {
                                w.agreement.relative = a.relative;
                                w.case.clone_from(&name);
                            }
                            w.agreement.usage = w.agreement.usage.max(a.usage);
                        }
                        Err(msg) => {
                            let Some(x) = exact.get(&name).and_then(|e| e.get(part)) else {
                                rep.failures
                                    .push(format!("{name} ({part}): {msg}; no exact value"));
                                continue;
                            };
                            let theirs = if torch_nan {
                                Err("NaN".to_string())
                            } else {
                                compare(t, x, &dtype)
                            };
                            match (compare(o, x, &dtype), theirs) {
                                (Ok(a), Err(_)) => rep.torch_off.push(format!(
                                    "{name} ({part}): ours within {:.1e} relative of the exact value; vs PyTorch {msg}",
                                    a.relative
                                )),
                                (ours, theirs) => rep.failures.push(format!(
                                    "{name} ({part}): {msg}; ours vs exact {ours:?}; PyTorch vs exact {theirs:?}"
                                )),
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(rep)
}

#[derive(Deserialize)]
struct TrainingFixture {
    torch_version: String,
    epochs: usize,
    x: Vec<Vec<f64>>,
    y: Vec<i64>,
    init: Params,
    runs: Vec<Run>,
}

#[derive(Deserialize)]
struct Params {
    weight: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

#[derive(Deserialize)]
struct Run {
    name: String,
    optimizer: String,
    lr: f64,
    weight_decay: f64,
    momentum: Option<f64>,
    dampening: Option<f64>,
    nesterov: Option<bool>,
    betas: Option<(f64, f64)>,
    eps: Option<f64>,
    amsgrad: Option<bool>,
    losses: Vec<f64>,
    printed: Vec<String>,
    params: BTreeMap<String, Params>,
}

fn matrix(rows: &[Vec<f64>], what: &str) -> Result<DMatrix<f64>> {
    let ncols = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != ncols) {
        return Err(fixture_error(
            "training",
            format!("{what} is not rectangular"),
        ));
    }
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Ok(DMatrix::from_row_slice(rows.len(), ncols, &flat))
}

fn optimizer(run: &Run) -> Result<Box<dyn Optimizer>> {
    let need = |v: Option<f64>, what: &str| {
        v.ok_or_else(|| fixture_error("training", format!("run {} lacks {what}", run.name)))
    };
    let flag = |v: Option<bool>, what: &str| {
        v.ok_or_else(|| fixture_error("training", format!("run {} lacks {what}", run.name)))
    };
    Ok(match run.optimizer.as_str() {
        "sgd" => Box::new(
            Sgd::with_options(run.lr, need(run.momentum, "momentum")?, run.weight_decay)?
                .dampening(need(run.dampening, "dampening")?)?
                .nesterov(flag(run.nesterov, "nesterov")?)?,
        ),
        "adam" | "adamw" => {
            let betas = run
                .betas
                .ok_or_else(|| fixture_error("training", "betas missing"))?;
            let eps = need(run.eps, "eps")?;
            let amsgrad = flag(run.amsgrad, "amsgrad")?;
            if run.optimizer == "adam" {
                Box::new(Adam::with_options(run.lr, betas, eps, run.weight_decay)?.amsgrad(amsgrad))
            } else {
                Box::new(
                    AdamW::with_options(run.lr, betas, eps, run.weight_decay)?.amsgrad(amsgrad),
                )
            }
        }
        other => {
            return Err(fixture_error(
                "training",
                format!("run {}: unknown optimizer {other:?}", run.name),
            ));
        }
    })
}

/// One optimiser run replayed against PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct RunAgreement {
    /// The run's name (`sgd`, `adam`, …).
    pub name: String,
    /// Worst relative error of the loss over every epoch.
    pub loss_relative: f64,
    /// Worst relative error of the parameters after steps 1, 10, 100.
    pub param_relative: f64,
    /// Worst tolerance use (≤ 1 passes) over losses and parameters, with `1e-12` relative and
    /// `1e-15` absolute.
    pub usage: f64,
    /// Our "Epoch [k/100], Loss: …" lines equal PyTorch's printed lines.
    pub printed_equal: bool,
    /// Our printed lines.
    pub printed: Vec<String>,
    /// PyTorch's printed lines.
    pub torch_printed: Vec<String>,
}

/// PyTorch's version and the replay of every run of [`TORCH_TRAINING`].
///
/// # Errors
/// [`ce_mle::Error::InvalidFile`] for a malformed fixture; errors of the model or the optimisers.
pub fn training() -> Result<(String, Vec<RunAgreement>)> {
    let f: TrainingFixture =
        serde_json::from_str(TORCH_TRAINING).map_err(|e| fixture_error("training", e))?;
    let x = matrix(&f.x, "x")?;
    let opts = CrossEntropyOptions::default();
    let mut out = Vec::new();
    for run in &f.runs {
        if run.losses.len() != f.epochs {
            return Err(fixture_error(
                "training",
                format!("run {}: losses", run.name),
            ));
        }
        let linear = Linear::from_parameters(
            matrix(&f.init.weight, "init.weight")?,
            DVector::from_vec(f.init.bias.clone()),
        )?;
        let mut model = SoftmaxClassifier::new(linear);
        let mut opt = optimizer(run)?;
        let mut agreement = RunAgreement {
            name: run.name.clone(),
            loss_relative: 0.0,
            param_relative: 0.0,
            usage: 0.0,
            printed_equal: false,
            printed: Vec::new(),
            torch_printed: run.printed.clone(),
        };
        let mut see = |ours: f64, torch: f64, param: bool| {
            let d = (ours - torch).abs();
            let m = ours.abs().max(torch.abs());
            let usage = if d.is_nan() {
                f64::INFINITY
            } else {
                d / (1e-12 * m + 1e-15)
            };
            let rel = if m > 0.0 { d / m } else { 0.0 };
            agreement.usage = agreement.usage.max(usage);
            if param {
                agreement.param_relative = agreement.param_relative.max(rel);
            } else {
                agreement.loss_relative = agreement.loss_relative.max(rel);
            }
        };
        let mut printed = Vec::new();
        for epoch in 0..f.epochs {
            let (loss, g) = model.loss_and_grad(&x, Target::Indices(&f.y), &opts)?;
            let loss = loss.scalar().unwrap_or(f64::NAN);
            see(loss, run.losses[epoch], false);
            if (epoch + 1) % 10 == 0 {
                printed.push(format!(
                    "Epoch [{}/{}], Loss: {:.4}",
                    epoch + 1,
                    f.epochs,
                    loss
                ));
            }
            opt.step(
                &mut model.linear.parameters_mut(),
                &[g.weight.as_slice(), g.bias.as_slice()],
            )?;
            if let Some(p) = run.params.get(&(epoch + 1).to_string()) {
                let w = matrix(&p.weight, "params.weight")?;
                if w.shape() != model.linear.weight.shape()
                    || p.bias.len() != model.linear.bias.len()
                {
                    return Err(fixture_error(
                        "training",
                        format!("run {}: parameter shapes", run.name),
                    ));
                }
                for (a, b) in model.linear.weight.iter().zip(w.iter()) {
                    see(*a, *b, true);
                }
                for (a, b) in model.linear.bias.iter().zip(&p.bias) {
                    see(*a, *b, true);
                }
            }
        }
        agreement.printed_equal = printed == run.printed;
        agreement.printed = printed;
        out.push(agreement);
    }
    Ok((f.torch_version, out))
}
