//! Loss cases as JSON, with PyTorch's argument names: the format of `ce-mle loss` and of the
//! PyTorch golden fixtures (`tests/fixtures/torch_functional.json`).
//!
//! A reader who wants to know whether PyTorch and this crate agree on their own numbers writes
//! the call they would make in PyTorch as JSON, runs `ce-mle loss case.json` (or pipes it to
//! stdin), and compares.
//!
//! # A case
//! ```json
//! {"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]], "target": [0],
//!  "reduction": "mean", "dtype": "float64", "grad": true}
//! ```
//! Field | meaning | default
//! ---|---|---
//! `op` | `cross_entropy`, `nll_loss`, `binary_cross_entropy_with_logits`, `binary_cross_entropy`, `kl_div`, `log_softmax`, `softmax`, `logsumexp` | required
//! `input` | nested list; the nesting gives the shape (`(C,)`, `(N, C)`, `(N, C, d1, …)`) | required
//! `target` | nested list or number; for `cross_entropy` and `nll_loss` JSON **integers** are class indices and any non-integer number makes it a probability target | required for losses
//! `weight` | class weights `(C,)` for `cross_entropy`/`nll_loss`; element weights broadcast to the input for the binary losses | none
//! `pos_weight` | `binary_cross_entropy_with_logits` only, broadcast to the input | none
//! `ignore_index` | `cross_entropy`, `nll_loss` | −100
//! `label_smoothing` | `cross_entropy` | 0.0
//! `reduction` | `none`, `mean`, `sum`; `batchmean` for `kl_div` | `mean`
//! `log_target` | `kl_div` | false
//! `dtype` | `float64` or `float32` (values are rounded to it, as `torch.tensor(…, dtype=…)` does) | `float64`
//! `grad` | also return the gradient of the (summed) output with respect to `input` | false
//! `name` | any string, echoed back | none
//!
//! Non-finite numbers are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON
//! has no literal for them); `"inf"`, `"-inf"` and `"nan"` are accepted too, in any case.
//! The softmax-family operations act on the class axis: `dim=1`, or `dim=0` for a 1-D input.
//! Unknown fields, and options the operation does not take, are errors (so a misspelt option
//! cannot be silently ignored).
//!
//! # A result
//! `{"output": …, "grad": …}` with the output's shape (a number when reduced) and the
//! gradient with the input's shape, or `{"error": {"kind": "ClassIndexOutOfRange", "message":
//! "…"}}` where `kind` is [`CaseError::kind`]: `"InvalidCase"` for a case that cannot be read,
//! otherwise the loss's [`Error`] variant ([`Error::kind`]). Values of a `float32` case
//! are the exact `f32` results, printed as JSON numbers (PyTorch's `tensor.double().tolist()`).
//! A file or stdin holding a JSON array of cases gives an array of results, in order.

use ndarray::{ArrayD, IxDyn};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::error::Error;
use crate::loss::nd::{self, NdOutput, NdTarget, SoftmaxOp};
use crate::loss::{CrossEntropyOptions, KlDivReduction, NllLossOptions, Reduction};
use crate::real::Real;

/// The operation of a case (PyTorch's function name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `F.cross_entropy`.
    CrossEntropy,
    /// `F.nll_loss`.
    NllLoss,
    /// `F.binary_cross_entropy_with_logits`.
    BinaryCrossEntropyWithLogits,
    /// `F.binary_cross_entropy`.
    BinaryCrossEntropy,
    /// `F.kl_div`.
    KlDiv,
    /// `torch.log_softmax`.
    LogSoftmax,
    /// `torch.softmax`.
    Softmax,
    /// `torch.logsumexp`.
    Logsumexp,
}

/// PyTorch's `dtype` of a case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dtype {
    /// `torch.float64`.
    #[default]
    Float64,
    /// `torch.float32`.
    Float32,
}

/// One case, as written in JSON (see the module docs).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Echoed back in the result.
    pub name: Option<String>,
    /// The operation.
    pub op: Op,
    /// The input, a nested list.
    pub input: Value,
    /// The target.
    pub target: Option<Value>,
    /// Class or element weights.
    pub weight: Option<Value>,
    /// Positive-class weights (BCE with logits).
    pub pos_weight: Option<Value>,
    /// Skipped class index.
    pub ignore_index: Option<i64>,
    /// Label smoothing ε.
    pub label_smoothing: Option<f64>,
    /// `none`, `mean`, `sum`, `batchmean`.
    pub reduction: Option<String>,
    /// KL with a log-probability target.
    pub log_target: Option<bool>,
    /// `float64` (default) or `float32`.
    #[serde(default)]
    pub dtype: Dtype,
    /// Return the gradient too.
    #[serde(default)]
    pub grad: bool,
}

/// Why a case has no result: it cannot be read as a case, or the operation refused it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// A case that cannot be read: bad JSON, an unknown field or operation, a ragged nested
    /// list, an option the operation does not take.
    #[error("invalid case: {0}")]
    Invalid(String),
    /// The operation refused its arguments (the error the Rust API returns).
    #[error(transparent)]
    Loss(#[from] Error),
}

impl CaseError {
    /// `"InvalidCase"` for [`CaseError::Invalid`], otherwise the [`Error::kind`] of the loss
    /// error: the `error.kind` field of a result.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            CaseError::Invalid(_) => "InvalidCase",
            CaseError::Loss(e) => e.kind(),
        }
    }
}

/// `Result` with [`CaseError`].
pub type Result<T> = std::result::Result<T, CaseError>;

fn bad(msg: impl Into<String>) -> CaseError {
    CaseError::Invalid(msg.into())
}

/// A number of a nested list: a JSON number or one of the non-finite spellings.
fn leaf_f64(v: &Value, what: &str) -> Result<f64> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| bad(format!("{what}: {n} is not representable as a float"))),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "nan" => Ok(f64::NAN),
            "infinity" | "inf" | "+infinity" | "+inf" => Ok(f64::INFINITY),
            "-infinity" | "-inf" => Ok(f64::NEG_INFINITY),
            _ => Err(bad(format!(
                "{what}: the string {s:?} is not a number (non-finite values are \"NaN\", \"Infinity\", \"-Infinity\")"
            ))),
        },
        other => Err(bad(format!("{what}: {other} is not a number"))),
    }
}

/// Walk a nested list: its shape and its leaves in row-major order.
fn flatten<'v>(v: &'v Value, what: &str) -> Result<(Vec<usize>, Vec<&'v Value>)> {
    fn walk<'v>(
        v: &'v Value,
        depth: usize,
        shape: &mut Vec<usize>,
        leaves: &mut Vec<&'v Value>,
        what: &str,
    ) -> Result<()> {
        match v {
            Value::Array(items) => {
                if depth == shape.len() {
                    if leaves.is_empty() && depth == shape.len() {
                        shape.push(items.len());
                    } else {
                        return Err(bad(format!(
                            "{what}: ragged nested list (a list where a number was expected at depth {depth})"
                        )));
                    }
                } else if shape[depth] != items.len() {
                    return Err(bad(format!(
                        "{what}: ragged nested list (lengths {} and {} at depth {depth})",
                        shape[depth],
                        items.len()
                    )));
                }
                for item in items {
                    walk(item, depth + 1, shape, leaves, what)?;
                }
                Ok(())
            }
            leaf => {
                if depth != shape.len() {
                    return Err(bad(format!(
                        "{what}: ragged nested list (a number where a list was expected at depth {depth})"
                    )));
                }
                leaves.push(leaf);
                Ok(())
            }
        }
    }
    let mut shape = Vec::new();
    let mut leaves = Vec::new();
    walk(v, 0, &mut shape, &mut leaves, what)?;
    crate::error::check_elements(
        "elements of a case array",
        shape.iter().product::<usize>(),
        1,
    )?;
    Ok((shape, leaves))
}

fn float_array<T: Real>(v: &Value, what: &str) -> Result<ArrayD<T>> {
    let (shape, leaves) = flatten(v, what)?;
    let data = leaves
        .into_iter()
        .map(|l| leaf_f64(l, what).map(T::round_from_f64))
        .collect::<Result<Vec<T>>>()?;
    ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|e| bad(format!("{what}: {e}")))
}

/// `Some(indices)` when every leaf is a JSON integer.
fn index_array(v: &Value, what: &str) -> Result<Option<ArrayD<i64>>> {
    let (shape, leaves) = flatten(v, what)?;
    let mut data = Vec::with_capacity(leaves.len());
    for l in leaves {
        match l {
            Value::Number(n) if n.is_i64() => data.push(n.as_i64().unwrap_or_default()),
            Value::Number(n) if n.is_u64() => {
                return Err(bad(format!("{what}: {n} does not fit in int64")));
            }
            _ => return Ok(None),
        }
    }
    ArrayD::from_shape_vec(IxDyn(&shape), data)
        .map(Some)
        .map_err(|e| bad(format!("{what}: {e}")))
}

fn number(x: f64) -> Value {
    if x.is_nan() {
        Value::String("NaN".into())
    } else if x == f64::INFINITY {
        Value::String("Infinity".into())
    } else if x == f64::NEG_INFINITY {
        Value::String("-Infinity".into())
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// An array as a nested list (a number for a 0-dimensional array).
pub fn to_nested<T: Real>(a: &ArrayD<T>) -> Value {
    fn build<T: Real>(data: &[T], shape: &[usize]) -> Value {
        match shape.split_first() {
            None => number(data.first().map_or(f64::NAN, |x| x.as_f64())),
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                Value::Array(
                    (0..n)
                        .map(|i| build(&data[i * stride..(i + 1) * stride], rest))
                        .collect(),
                )
            }
        }
    }
    let std = a.as_standard_layout();
    build(std.as_slice().unwrap_or(&[]), a.shape())
}

fn reduction(case: &Case) -> Result<Reduction> {
    match case.reduction.as_deref() {
        None | Some("mean") => Ok(Reduction::Mean),
        Some("sum") => Ok(Reduction::Sum),
        Some("none") => Ok(Reduction::None),
        Some(other) => Err(bad(format!(
            "reduction {other:?} is not valid for {:?}: use \"none\", \"mean\" or \"sum\"",
            case.op
        ))),
    }
}

fn kl_reduction(case: &Case) -> Result<KlDivReduction> {
    match case.reduction.as_deref() {
        None | Some("mean") => Ok(KlDivReduction::Mean),
        Some("sum") => Ok(KlDivReduction::Sum),
        Some("none") => Ok(KlDivReduction::None),
        Some("batchmean") => Ok(KlDivReduction::BatchMean),
        Some(other) => Err(bad(format!(
            "reduction {other:?} is not valid for kl_div: use \"none\", \"mean\", \"batchmean\" or \"sum\""
        ))),
    }
}

/// Refuse options the operation does not take.
fn only(case: &Case, allowed: &[&str]) -> Result<()> {
    let set = [
        ("target", case.target.is_some()),
        ("weight", case.weight.is_some()),
        ("pos_weight", case.pos_weight.is_some()),
        ("ignore_index", case.ignore_index.is_some()),
        ("label_smoothing", case.label_smoothing.is_some()),
        ("reduction", case.reduction.is_some()),
        ("log_target", case.log_target.is_some()),
    ];
    for (name, present) in set {
        if present && !allowed.contains(&name) {
            return Err(bad(format!("{:?} takes no {name}", case.op)));
        }
    }
    Ok(())
}

fn target(case: &Case) -> Result<&Value> {
    case.target
        .as_ref()
        .ok_or_else(|| bad(format!("{:?} needs a target", case.op)))
}

fn optional<T: Real>(v: &Option<Value>, what: &str) -> Result<Option<ArrayD<T>>> {
    v.as_ref().map(|v| float_array::<T>(v, what)).transpose()
}

fn class_weight<T: Real>(case: &Case) -> Result<Option<nalgebra::DVector<T>>> {
    match optional::<T>(&case.weight, "weight")? {
        None => Ok(None),
        Some(w) if w.ndim() == 1 => Ok(Some(nalgebra::DVector::from_iterator(
            w.len(),
            w.iter().copied(),
        ))),
        Some(w) => Err(Error::ShapeMismatch {
            what: "weight",
            expected: "(C,)".into(),
            got: format!("{:?}", w.shape()),
        }
        .into()),
    }
}

fn run_typed<T: Real>(case: &Case) -> Result<NdOutput<T>> {
    let input = float_array::<T>(&case.input, "input")?;
    let want = case.grad;
    match case.op {
        Op::CrossEntropy => {
            only(
                case,
                &[
                    "target",
                    "weight",
                    "ignore_index",
                    "label_smoothing",
                    "reduction",
                ],
            )?;
            let mut opts = CrossEntropyOptions::<T>::default()
                .reduction(reduction(case)?)
                .label_smoothing(case.label_smoothing.unwrap_or(0.0));
            if let Some(i) = case.ignore_index {
                opts = opts.ignore_index(i);
            }
            opts.weight = class_weight::<T>(case)?;
            let t = target(case)?;
            // An empty list has no numbers to tell: its shape decides.
            let idx =
                index_array(t, "target")?.filter(|i| !(i.is_empty() && i.shape() == input.shape()));
            match idx {
                Some(idx) => Ok(nd::cross_entropy(
                    input.view(),
                    NdTarget::Indices(idx.view()),
                    &opts,
                    want,
                )?),
                None => {
                    let p = float_array::<T>(t, "target")?;
                    if p.shape() != input.shape() {
                        return Err(Error::ShapeMismatch {
                            what: "target",
                            expected: format!(
                                "the input's shape {:?} for a probability target (class indices must be JSON integers such as 2, not 2.0)",
                                input.shape()
                            ),
                            got: format!("{:?}", p.shape()),
                        }
                        .into());
                    }
                    Ok(nd::cross_entropy(
                        input.view(),
                        NdTarget::Probabilities(p.view()),
                        &opts,
                        want,
                    )?)
                }
            }
        }
        Op::NllLoss => {
            only(case, &["target", "weight", "ignore_index", "reduction"])?;
            let mut opts = NllLossOptions::<T> {
                weight: class_weight::<T>(case)?,
                reduction: reduction(case)?,
                ..NllLossOptions::default()
            };
            if let Some(i) = case.ignore_index {
                opts.ignore_index = i;
            }
            let idx = index_array(target(case)?, "target")?.ok_or_else(|| {
                bad("nll_loss needs class indices as JSON integers (e.g. 2, not 2.0)")
            })?;
            Ok(nd::nll_loss(input.view(), idx.view(), &opts, want)?)
        }
        Op::BinaryCrossEntropyWithLogits => {
            only(case, &["target", "weight", "pos_weight", "reduction"])?;
            let t = float_array::<T>(target(case)?, "target")?;
            let w = optional::<T>(&case.weight, "weight")?;
            let pw = optional::<T>(&case.pos_weight, "pos_weight")?;
            Ok(nd::binary_cross_entropy_with_logits(
                input.view(),
                t.view(),
                w.as_ref().map(ArrayD::view),
                pw.as_ref().map(ArrayD::view),
                reduction(case)?,
                want,
            )?)
        }
        Op::BinaryCrossEntropy => {
            only(case, &["target", "weight", "reduction"])?;
            let t = float_array::<T>(target(case)?, "target")?;
            let w = optional::<T>(&case.weight, "weight")?;
            Ok(nd::binary_cross_entropy(
                input.view(),
                t.view(),
                w.as_ref().map(ArrayD::view),
                reduction(case)?,
                want,
            )?)
        }
        Op::KlDiv => {
            only(case, &["target", "reduction", "log_target"])?;
            let t = float_array::<T>(target(case)?, "target")?;
            Ok(nd::kl_div(
                input.view(),
                t.view(),
                kl_reduction(case)?,
                case.log_target.unwrap_or(false),
                want,
            )?)
        }
        Op::LogSoftmax | Op::Softmax | Op::Logsumexp => {
            only(case, &[])?;
            let op = match case.op {
                Op::LogSoftmax => SoftmaxOp::LogSoftmax,
                Op::Softmax => SoftmaxOp::Softmax,
                _ => SoftmaxOp::LogSumExp,
            };
            Ok(nd::softmax_family(input.view(), op, want)?)
        }
    }
}

fn output_json<T: Real>(out: &NdOutput<T>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("output".into(), to_nested(&out.output));
    if let Some(g) = &out.grad {
        m.insert("grad".into(), to_nested(g));
    }
    m
}

/// Evaluate one case: `Ok` with the output (and gradient) as JSON, or the error.
///
/// # Errors
/// [`CaseError::Loss`] with any [`Error`] of the operation, or [`CaseError::Invalid`] for a
/// case that cannot be read.
pub fn evaluate(case: &Case) -> Result<Map<String, Value>> {
    match case.dtype {
        Dtype::Float64 => run_typed::<f64>(case).map(|o| output_json(&o)),
        Dtype::Float32 => run_typed::<f32>(case).map(|o| output_json(&o)),
    }
}

/// The JSON result of one case value: parsed, evaluated, and errors reported as
/// `{"error": {"kind", "message"}}` (see the module docs).
#[must_use]
pub fn result_of(case: &Value) -> Value {
    let mut m = Map::new();
    if let Some(n) = case.get("name") {
        m.insert("name".into(), n.clone());
    }
    let result = Case::deserialize(case)
        .map_err(|e| bad(e.to_string()))
        .and_then(|c| evaluate(&c));
    match result {
        Ok(out) => m.extend(out),
        Err(e) => {
            let mut err = Map::new();
            err.insert("kind".into(), Value::String(e.kind().into()));
            err.insert("message".into(), Value::String(e.to_string()));
            m.insert("error".into(), Value::Object(err));
        }
    }
    Value::Object(m)
}

/// Evaluate a JSON document: one case (an object) gives one result, an array of cases an array
/// of results.
///
/// # Errors
/// [`CaseError::Invalid`] if the text is not JSON, or is neither an object nor an array.
pub fn run_json(text: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    match v {
        Value::Array(cases) => Ok(Value::Array(cases.iter().map(result_of).collect())),
        Value::Object(_) => Ok(result_of(&v)),
        other => Err(bad(format!(
            "expected a case (a JSON object) or a list of cases, got {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                _ => "a string",
            }
        ))),
    }
}
