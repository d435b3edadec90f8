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
//! `shape` | the input's shape, e.g. `[0, 3]`; it must agree with the nested list, and is needed only where the list cannot say it: after an empty list (`"input": [], "shape": [0, 3]` is an empty batch of 3 classes, which `[]` alone, shape `(0,)`, is not) | the nested list's shape
//! `target` | nested list or number; for `cross_entropy` and `nll_loss` JSON **integers** are class indices (as written: `2` and `-0` are integers, `2.0`, `-0.0` and `2e0` are not) and any non-integer number makes it a probability target | required for losses
//! `weight` | class weights `(C,)` for `cross_entropy`/`nll_loss`; element weights broadcast to the input for the binary losses | none
//! `pos_weight` | `binary_cross_entropy_with_logits` only, broadcast to the input | none
//! `ignore_index` | `cross_entropy`, `nll_loss` | −100
//! `label_smoothing` | `cross_entropy` | 0.0
//! `reduction` | `none`, `mean`, `sum`; `batchmean` for `kl_div` | `mean`
//! `log_target` | `kl_div` | false
//! `dim` | `log_softmax`, `softmax`, `logsumexp`: the axis, an integer in `−ndim..ndim` as PyTorch's `dim` (`−1` is the last axis) | the class axis: 1, or 0 for a 1-D input
//! `dtype` | `float64` or `float32` (values are rounded to it, as `torch.tensor(…, dtype=…)` does) | `float64`
//! `grad` | also return the gradient of the (summed) output with respect to `input` | false
//! `name` | any string, echoed back | none
//!
//! Non-finite numbers are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON
//! has no literal for them); `"inf"`, `"-inf"` and `"nan"` are accepted too, in any case.
//! Unknown fields, and options the operation does not take, are errors (so a misspelt option
//! cannot be silently ignored).
//!
//! **`dim`.** Without `dim` the softmax family acts on the class axis, as the losses do. PyTorch's
//! `torch.softmax`, `torch.log_softmax` and `torch.logsumexp` require `dim`, and the implicit
//! choice of `F.softmax(x)` without it is deprecated (and takes dim 0 for 0-, 1- and 3-D
//! inputs, 1 otherwise: not the class axis of a 3-D input): write `dim` when comparing with
//! PyTorch beyond 2-D inputs. A list of dims and `keepdim` (`logsumexp`) are not supported. An
//! axis the input does not have is [`Error::ShapeMismatch`] (PyTorch: `IndexError: Dimension
//! out of range`).
//!
//! **`shape`.** It applies to `input`; the other arrays take their shapes from their nested
//! lists: the class-index target of an empty batch `(0, C)` is `[]`, and an empty target list
//! of a binary loss or of `kl_div` (whose target has the input's shape) takes the input's shape
//! when that shape fits it. A `shape` that disagrees with the nested list is a
//! [`CaseError::Invalid`] case, like a ragged list; its sizes, zeros left out, may multiply to
//! at most [`crate::error::MAX_ELEMENTS`] ([`Error::TooLarge`]).
//!
//! # A result
//! `{"output": …, "grad": …}` with the output's shape (a number when reduced) and the
//! gradient with the input's shape, or `{"error": {"kind": "ClassIndexOutOfRange", "message":
//! "…"}}` where `kind` is [`CaseError::kind`]: `"InvalidCase"` for a case that cannot be read,
//! otherwise the loss's [`Error`] variant ([`Error::kind`]). Values of a `float32` case
//! are the exact `f32` results, printed as JSON numbers (PyTorch's `tensor.double().tolist()`).
//! A file or stdin holding a JSON array of cases gives an array of results, in order.
//!
//! # Memory
//! [`Document::write`] (what `ce-mle loss` runs) reads the numbers of every nested list
//! straight into flat buffers (8 bytes a number in `float64`, 4 in `float32`, class indices 8),
//! never into a tree of JSON values; it lets go of the document's text before computing, and
//! writes each result as it is serialised, the output before the gradient is computed for
//! `log_softmax` and `logsumexp`. What remains is the operation's own buffers (the input, the
//! output, the gradient and the kernel's working copies). [`run_json`] and [`result_of`]
//! build a [`Value`] of the result, for small cases.

use std::fmt;
use std::io;
use std::ops::Range;

use ndarray::{ArrayD, IxDyn};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap as _, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, MAX_ELEMENTS};
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

/// Why a case has no result: it cannot be read as a case, or the operation refused it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// A case that cannot be read: bad JSON, an unknown field or operation, a ragged nested
    /// list, a `shape` that disagrees with its nested list, an option the operation does not
    /// take.
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

/// A `serde_json` error without its position: the position is within one case's text, not
/// the document's, and a case built as a [`Value`] ([`result_of`]) has none.
fn serde_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    match msg.strip_suffix(&at) {
        Some(m) if e.line() > 0 => m.to_string(),
        _ => msg,
    }
}

// ------------------------------------------------------------------------------ the document

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// A full parse that keeps nothing but the kind of the value: `serde_json`'s errors (syntax,
/// numbers out of range, nesting deeper than its limit) are exactly those of a parse into a
/// [`Value`], at no cost in memory.
struct Check(Kind);

impl<'de> Deserialize<'de> for Check {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(CheckVisitor)
    }
}

struct CheckVisitor;

impl<'de> Visitor<'de> for CheckVisitor {
    type Value = Check;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Check, E> {
        Ok(Check(Kind::Bool))
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Check, E> {
        Ok(Check(Kind::Number))
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Check, E> {
        Ok(Check(Kind::Number))
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Check, E> {
        Ok(Check(Kind::Number))
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Check, E> {
        Ok(Check(Kind::String))
    }
    fn visit_unit<E>(self) -> std::result::Result<Check, E> {
        Ok(Check(Kind::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Check, A::Error> {
        while seq.next_element::<Check>()?.is_some() {}
        Ok(Check(Kind::Array))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Check, A::Error> {
        while map.next_entry::<Check, Check>()?.is_some() {}
        Ok(Check(Kind::Object))
    }
}

/// A JSON document of cases, checked and ready to evaluate: one case (an object) or a list
/// of cases. [`Document::write`] evaluates and writes them; this is `ce-mle loss`.
#[derive(Debug)]
pub struct Document {
    text: String,
    /// `None`: the text is one case; otherwise the byte ranges of the cases of the list.
    cases: Option<Vec<Range<usize>>>,
}

impl Document {
    /// Check a document: valid JSON, and an object or an array.
    ///
    /// # Errors
    /// [`CaseError::Invalid`] if the text is not JSON, or is neither an object nor an array.
    pub fn parse(text: String) -> Result<Self> {
        let not_json = |e: serde_json::Error| bad(format!("not valid JSON: {e}"));
        let Check(kind) = serde_json::from_str(&text).map_err(not_json)?;
        let got = match kind {
            Kind::Object => return Ok(Self { text, cases: None }),
            Kind::Array => {
                let ranges = {
                    let raws: Vec<&RawValue> = serde_json::from_str(&text).map_err(not_json)?;
                    let base = text.as_ptr() as usize;
                    raws.iter()
                        .map(|r| {
                            let start = r.get().as_ptr() as usize - base;
                            start..start + r.get().len()
                        })
                        .collect()
                };
                return Ok(Self {
                    text,
                    cases: Some(ranges),
                });
            }
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
        };
        Err(bad(format!(
            "expected a case (a JSON object) or a list of cases, got {got}"
        )))
    }

    /// Number of cases: 1 for a single case.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cases.as_ref().map_or(1, Vec::len)
    }

    /// `true` for an empty list of cases.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Evaluate every case and write the results as JSON to `out` (indented when `pretty`, as
    /// `serde_json::to_string_pretty`), each as soon as it is computed: one result (an object)
    /// for one case, a list of results for a list. No trailing newline. A case that fails gives
    /// an `{"error": …}` result, not an `Err`.
    ///
    /// # Errors
    /// The errors of `out`.
    pub fn write<W: io::Write>(self, out: W, pretty: bool) -> io::Result<()> {
        if pretty {
            self.write_with(&mut serde_json::Serializer::pretty(out))
        } else {
            self.write_with(&mut serde_json::Serializer::new(out))
        }
    }

    fn write_with<W: io::Write, F: serde_json::ser::Formatter>(
        self,
        ser: &mut serde_json::Serializer<W, F>,
    ) -> io::Result<()> {
        let n = self.len();
        let (single, results) = self.results();
        if single {
            for r in results {
                r.serialize_into(&mut *ser)?;
            }
        } else {
            let mut seq = ser.serialize_seq(Some(n))?;
            for r in results {
                seq.serialize_element(&Once::new(r))?;
            }
            SerializeSeq::end(seq)?;
        }
        Ok(())
    }

    /// Every case read into typed buffers, then the text let go; the results are computed
    /// one by one as the iterator is consumed. `true` for a single case.
    fn results(self) -> (bool, impl Iterator<Item = CaseResult>) {
        let prepared: Vec<Prepared> = match &self.cases {
            None => vec![prepare(&self.text)],
            Some(ranges) => ranges
                .iter()
                .map(|r| prepare(self.text.get(r.clone()).unwrap_or_default()))
                .collect(),
        };
        let single = self.cases.is_none();
        drop(self);
        (single, prepared.into_iter().map(Prepared::evaluate))
    }
}

/// Evaluate a JSON document: one case (an object) gives one result, an array of cases an array
/// of results (see [`Document::write`] for large documents: this one builds a [`Value`]).
///
/// # Errors
/// [`CaseError::Invalid`] if the text is not JSON, or is neither an object nor an array.
pub fn run_json(text: &str) -> Result<Value> {
    let (single, results) = Document::parse(text.to_owned())?.results();
    let mut values: Vec<Value> = results.map(CaseResult::into_value).collect();
    if single {
        Ok(values.pop().unwrap_or(Value::Null))
    } else {
        Ok(Value::Array(values))
    }
}

/// The JSON result of one case value: parsed, evaluated, and errors reported as
/// `{"error": {"kind", "message"}}` (see the module docs).
#[must_use]
pub fn result_of(case: &Value) -> Value {
    let text = case.to_string();
    prepare(&text).evaluate().into_value()
}

// ------------------------------------------------------------------------------ one case

/// `Some(value)` for any value present, `null` included (the `name` echoed back).
fn present<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A `name`: a string or `null`, echoed back as written.
fn name<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    let v = Value::deserialize(d)?;
    Option::<String>::deserialize(&v).map_err(serde::de::Error::custom)?;
    Ok(Some(v))
}

/// A case as written: the arrays still as JSON text (the struct's name is in `serde`'s
/// messages: "expected struct Case").
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case<'a> {
    #[serde(default, deserialize_with = "name")]
    name: Option<Value>,
    op: Op,
    #[serde(borrow)]
    input: &'a RawValue,
    #[serde(borrow, default)]
    target: Option<&'a RawValue>,
    #[serde(borrow, default)]
    weight: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pos_weight: Option<&'a RawValue>,
    ignore_index: Option<i64>,
    label_smoothing: Option<f64>,
    reduction: Option<String>,
    log_target: Option<bool>,
    dim: Option<i64>,
    shape: Option<Vec<usize>>,
    #[serde(default)]
    dtype: Dtype,
    #[serde(default)]
    grad: bool,
}

/// Only the `name` of a case that cannot be read, to echo it back.
#[derive(Deserialize)]
struct NameOnly {
    #[serde(default, deserialize_with = "present")]
    name: Option<Value>,
}

/// A case read into typed buffers, in its dtype.
enum AnyCase {
    F64(Typed<f64>),
    F32(Typed<f32>),
}

/// A case with its arrays read (their errors are reported when they are used, in the order
/// the checks run).
struct Typed<T> {
    input: Tensor<T>,
    args: Args<T>,
}

/// Everything of a case but its input.
struct Args<T> {
    op: Op,
    target: Option<Tensor<T>>,
    weight: Option<Tensor<T>>,
    pos_weight: Option<Tensor<T>>,
    ignore_index: Option<i64>,
    label_smoothing: Option<f64>,
    reduction: Option<String>,
    log_target: Option<bool>,
    dim: Option<i64>,
    shape: Option<Vec<usize>>,
    grad: bool,
}

struct Prepared {
    name: Option<Value>,
    case: Result<AnyCase>,
}

fn prepare(raw: &str) -> Prepared {
    match serde_json::from_str::<Case<'_>>(raw) {
        Ok(rc) => Prepared {
            name: rc.name.clone(),
            case: Ok(match rc.dtype {
                Dtype::Float64 => AnyCase::F64(read_case(&rc)),
                Dtype::Float32 => AnyCase::F32(read_case(&rc)),
            }),
        },
        Err(e) => Prepared {
            name: serde_json::from_str::<NameOnly>(raw)
                .ok()
                .and_then(|n| n.name),
            case: Err(bad(serde_message(&e))),
        },
    }
}

fn read_case<T: Real>(rc: &Case<'_>) -> Typed<T> {
    // Only the class-index losses tell integers from other numbers.
    let target_leaves = if matches!(rc.op, Op::CrossEntropy | Op::NllLoss) {
        Leaf::Auto
    } else {
        Leaf::Float
    };
    Typed {
        input: read_tensor(rc.input.get(), "input", Leaf::Float),
        args: Args {
            op: rc.op,
            target: rc
                .target
                .map(|t| read_tensor(t.get(), "target", target_leaves)),
            weight: rc
                .weight
                .map(|w| read_tensor(w.get(), "weight", Leaf::Float)),
            pos_weight: rc
                .pos_weight
                .map(|w| read_tensor(w.get(), "pos_weight", Leaf::Float)),
            ignore_index: rc.ignore_index,
            label_smoothing: rc.label_smoothing,
            reduction: rc.reduction.clone(),
            log_target: rc.log_target,
            dim: rc.dim,
            shape: rc.shape.clone(),
            grad: rc.grad,
        },
    }
}

impl Prepared {
    fn evaluate(self) -> CaseResult {
        let result = self.case.and_then(|c| match c {
            AnyCase::F64(c) => run(c).map(AnyComputed::F64),
            AnyCase::F32(c) => run(c).map(AnyComputed::F32),
        });
        CaseResult {
            name: self.name,
            result,
        }
    }
}

// ------------------------------------------------------------------------------ nested lists

/// How the leaves of a nested list are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    /// Every number as a float of the case's dtype.
    Float,
    /// JSON integers kept as class indices while every leaf is one (a `target`).
    Auto,
}

/// A nested list read into one flat buffer, row-major, with its shape.
struct Tensor<T> {
    what: &'static str,
    /// A ragged list or too many elements: reported when the array is used.
    shape: Result<Vec<usize>>,
    leaves: Leaves<T>,
}

enum Leaves<T> {
    /// Every leaf so far a JSON integer that fits in int64 ([`Leaf::Auto`] only); `neg_zero`:
    /// the positions written `-0`, which are `-0.0` as floats.
    Ints {
        values: Vec<i64>,
        neg_zero: Vec<usize>,
    },
    /// `big`: the first leaf that is not an int64 is an integer beyond int64 (its text).
    Floats { values: Vec<T>, big: Option<String> },
    /// A leaf that is not a number: its error; `big` as for `Floats`.
    Bad {
        error: CaseError,
        big: Option<String>,
    },
}

/// A nested list as class indices, or as something else.
enum Indices<T> {
    Yes(ArrayD<i64>),
    No(Tensor<T>),
}

impl<T: Real> Leaves<T> {
    fn push_float(&mut self, x: f64) {
        if let Leaves::Floats { values, .. } = self {
            values.push(T::round_from_f64(x));
        }
    }

    /// Leave [`Leaves::Ints`]: the integers so far as floats.
    fn make_floats(&mut self, big: Option<String>) {
        if let Leaves::Ints { values, neg_zero } = self {
            let mut floats: Vec<T> = Vec::with_capacity(values.capacity());
            floats.extend(values.iter().map(|&i| T::round_from_f64(i as f64)));
            for &p in neg_zero.iter() {
                floats[p] = T::round_from_f64(-0.0);
            }
            *self = Leaves::Floats {
                values: floats,
                big,
            };
        }
    }

    fn fail(&mut self, error: CaseError) {
        let big = match self {
            Leaves::Ints { .. } => None,
            Leaves::Floats { big, .. } => big.take(),
            Leaves::Bad { .. } => return,
        };
        *self = Leaves::Bad { error, big };
    }
}

/// A non-finite spelling, or the error of a string that is not one.
fn non_finite(s: &str, what: &str) -> Result<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Ok(f64::NAN),
        "infinity" | "inf" | "+infinity" | "+inf" => Ok(f64::INFINITY),
        "-infinity" | "-inf" => Ok(f64::NEG_INFINITY),
        _ => Err(bad(format!(
            "{what}: the string {s:?} is not a number (non-finite values are \"NaN\", \"Infinity\", \"-Infinity\")"
        ))),
    }
}

/// Read a nested list of numbers (`raw`: valid JSON, checked by [`Document::parse`] or
/// written from a [`Value`]) into a flat buffer: one pass, no tree. Raggedness is checked
/// with the messages of the nesting rules: every list at one depth has one length, and
/// numbers are all at the deepest level.
fn read_tensor<T: Real>(raw: &str, what: &'static str, mode: Leaf) -> Tensor<T> {
    let b = raw.as_bytes();
    // A leaf follows a comma or opens a list: at most this many leaves.
    let capacity = b.iter().filter(|&&c| c == b',').count() + 1;
    let mut leaves = match mode {
        Leaf::Float => Leaves::Floats {
            values: Vec::with_capacity(capacity),
            big: None,
        },
        Leaf::Auto => Leaves::Ints {
            values: Vec::with_capacity(capacity),
            neg_zero: Vec::new(),
        },
    };
    // `shape[d]`: the length of the lists at depth d, `None` until the first one closes.
    let mut shape: Vec<Option<usize>> = Vec::new();
    // Items so far in each open list.
    let mut open: Vec<usize> = Vec::new();
    let mut count = 0usize;
    let mut ragged = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'[' => {
                let depth = open.len();
                if let Some(c) = open.last_mut() {
                    *c += 1;
                }
                if depth == shape.len() {
                    if count > 0 {
                        ragged = Some(format!(
                            "{what}: ragged nested list (a list where a number was expected at depth {depth})"
                        ));
                        break;
                    }
                    shape.push(None);
                }
                open.push(0);
                i += 1;
            }
            b']' => {
                let depth = open.len().saturating_sub(1);
                let n = open.pop().unwrap_or(0);
                if let Some(slot) = shape.get_mut(depth) {
                    match *slot {
                        None => *slot = Some(n),
                        Some(m) if m != n => {
                            ragged = Some(format!(
                                "{what}: ragged nested list (lengths {m} and {n} at depth {depth})"
                            ));
                            break;
                        }
                        Some(_) => {}
                    }
                }
                i += 1;
            }
            _ => {
                let depth = open.len();
                if let Some(c) = open.last_mut() {
                    *c += 1;
                }
                if depth != shape.len() {
                    ragged = Some(format!(
                        "{what}: ragged nested list (a number where a list was expected at depth {depth})"
                    ));
                    break;
                }
                i = read_leaf(raw, i, count, what, &mut leaves);
                count += 1;
            }
        }
    }
    let shape = match ragged {
        Some(msg) => Err(bad(msg)),
        None => {
            let shape: Vec<usize> = shape.into_iter().map(Option::unwrap_or_default).collect();
            let n = shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d))
                .unwrap_or(usize::MAX);
            crate::error::check_elements("elements of a case array", n, 1)
                .map(|()| shape)
                .map_err(CaseError::from)
        }
    };
    Tensor {
        what,
        shape,
        leaves,
    }
}

/// Read the leaf at byte `i` of `raw` (leaf number `index`) into `leaves`; the byte after it.
fn read_leaf<T: Real>(
    raw: &str,
    i: usize,
    index: usize,
    what: &str,
    leaves: &mut Leaves<T>,
) -> usize {
    let b = raw.as_bytes();
    match b[i] {
        b'-' | b'0'..=b'9' => {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                j += 1;
            }
            let text = &raw[i..j];
            let integer = !text.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'));
            if let Leaves::Ints { values, neg_zero } = leaves {
                if integer {
                    if let Ok(v) = text.parse::<i64>() {
                        if v == 0 && text.starts_with('-') {
                            neg_zero.push(index);
                        }
                        values.push(v);
                        return j;
                    }
                    leaves.make_floats(Some(text.to_string()));
                } else {
                    leaves.make_floats(None);
                }
            }
            match text.parse::<f64>() {
                Ok(x) => leaves.push_float(x),
                Err(_) => leaves.fail(bad(format!("{what}: {text} is not a number"))),
            }
            j
        }
        b'"' => {
            let mut j = i + 1;
            let mut escaped = false;
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' {
                    escaped = true;
                    j += 1;
                }
                j += 1;
            }
            let end = (j + 1).min(b.len());
            let s = if escaped {
                serde_json::from_str::<String>(&raw[i..end]).unwrap_or_default()
            } else {
                raw[i + 1..j.min(b.len())].to_string()
            };
            leaves.make_floats(None);
            match non_finite(&s, what) {
                Ok(x) => leaves.push_float(x),
                Err(e) => leaves.fail(e),
            }
            end
        }
        _ => {
            // An object, `true`, `false` or `null`: not a number.
            let mut stream = serde_json::Deserializer::from_str(&raw[i..]).into_iter::<Value>();
            let other = stream.next().and_then(std::result::Result::ok);
            let end = i + stream.byte_offset().max(1);
            leaves.make_floats(None);
            let shown = other.map_or_else(|| raw[i..end].to_string(), |v| v.to_string());
            leaves.fail(bad(format!("{what}: {shown} is not a number")));
            end
        }
    }
}

impl<T: Real> Tensor<T> {
    /// The array as floats of the case's dtype.
    fn floats(self) -> Result<ArrayD<T>> {
        let shape = self.shape?;
        let values = match self.leaves {
            Leaves::Bad { error, .. } => return Err(error),
            mut ints @ Leaves::Ints { .. } => {
                ints.make_floats(None);
                match ints {
                    Leaves::Floats { values, .. } => values,
                    _ => Vec::new(),
                }
            }
            Leaves::Floats { values, .. } => values,
        };
        ArrayD::from_shape_vec(IxDyn(&shape), values)
            .map_err(|e| bad(format!("{}: {e}", self.what)))
    }

    /// Class indices when every leaf is a JSON integer.
    fn indices(self) -> Result<Indices<T>> {
        let shape = match &self.shape {
            Ok(s) => s.clone(),
            Err(e) => return Err(e.clone()),
        };
        match self.leaves {
            Leaves::Ints { values, .. } => ArrayD::from_shape_vec(IxDyn(&shape), values)
                .map(Indices::Yes)
                .map_err(|e| bad(format!("{}: {e}", self.what))),
            Leaves::Floats { big: Some(t), .. } | Leaves::Bad { big: Some(t), .. } => {
                Err(bad(format!("{}: {t} does not fit in int64", self.what)))
            }
            leaves => Ok(Indices::No(Tensor {
                what: self.what,
                shape: self.shape,
                leaves,
            })),
        }
    }
}

/// A nested list of shape `listed` can be an array of shape `shape` though the shapes differ:
/// the list is empty, and cannot say the sizes after its empty axis.
fn empty_list_of(listed: &[usize], shape: &[usize]) -> bool {
    listed.last() == Some(&0) && shape.len() > listed.len() && shape.starts_with(listed)
}

/// A target that must have the input's shape (binary losses, `kl_div`), written as an empty
/// list that the input's shape fits (`[]` for a `(0, C)` input): the input's shape.
fn same_shape_target<T: Real>(t: ArrayD<T>, input: &[usize]) -> ArrayD<T> {
    if empty_list_of(t.shape(), input) {
        ArrayD::from_shape_vec(IxDyn(input), Vec::new()).unwrap_or(t)
    } else {
        t
    }
}

/// The input with the case's `shape`: it must be the nested list's, except that after an
/// empty list the list cannot say the sizes of the axes that follow.
fn with_shape<T: Real>(input: ArrayD<T>, shape: Option<&[usize]>) -> Result<ArrayD<T>> {
    let Some(shape) = shape else {
        return Ok(input);
    };
    let listed = input.shape();
    if listed == shape {
        return Ok(input);
    }
    if !empty_list_of(listed, shape) {
        return Err(bad(format!(
            "shape {shape:?} does not match the nested list of input, whose shape is {listed:?}"
        )));
    }
    let nonzero = shape
        .iter()
        .filter(|&&d| d > 0)
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS);
    if nonzero.is_none() {
        let value = shape
            .iter()
            .filter(|&&d| d > 0)
            .fold(1u128, |n, &d| n.saturating_mul(d as u128));
        return Err(Error::TooLarge {
            what: "sizes in shape (zeros left out), multiplied",
            value,
            limit: MAX_ELEMENTS as u128,
        }
        .into());
    }
    // Here the list is empty, and so is the array of `shape`.
    ArrayD::from_shape_vec(IxDyn(shape), Vec::new()).map_err(|e| bad(format!("shape: {e}")))
}

// ------------------------------------------------------------------------------ evaluation

fn reduction(op: Op, r: Option<&str>) -> Result<Reduction> {
    match r {
        None | Some("mean") => Ok(Reduction::Mean),
        Some("sum") => Ok(Reduction::Sum),
        Some("none") => Ok(Reduction::None),
        Some(other) => Err(bad(format!(
            "reduction {other:?} is not valid for {op:?}: use \"none\", \"mean\" or \"sum\""
        ))),
    }
}

fn kl_reduction(r: Option<&str>) -> Result<KlDivReduction> {
    match r {
        None | Some("mean") => Ok(KlDivReduction::Mean),
        Some("sum") => Ok(KlDivReduction::Sum),
        Some("none") => Ok(KlDivReduction::None),
        Some("batchmean") => Ok(KlDivReduction::BatchMean),
        Some(other) => Err(bad(format!(
            "reduction {other:?} is not valid for kl_div: use \"none\", \"mean\", \"batchmean\" or \"sum\""
        ))),
    }
}

impl<T: Real> Args<T> {
    /// Refuse options the operation does not take.
    fn only(&self, allowed: &[&str]) -> Result<()> {
        let set = [
            ("target", self.target.is_some()),
            ("weight", self.weight.is_some()),
            ("pos_weight", self.pos_weight.is_some()),
            ("ignore_index", self.ignore_index.is_some()),
            ("label_smoothing", self.label_smoothing.is_some()),
            ("reduction", self.reduction.is_some()),
            ("log_target", self.log_target.is_some()),
            ("dim", self.dim.is_some()),
        ];
        for (name, present) in set {
            if present && !allowed.contains(&name) {
                return Err(bad(format!("{:?} takes no {name}", self.op)));
            }
        }
        Ok(())
    }

    fn target(&mut self) -> Result<Tensor<T>> {
        self.target
            .take()
            .ok_or_else(|| bad(format!("{:?} needs a target", self.op)))
    }

    fn reduction(&self) -> Result<Reduction> {
        reduction(self.op, self.reduction.as_deref())
    }
}

fn optional<T: Real>(t: Option<Tensor<T>>) -> Result<Option<ArrayD<T>>> {
    t.map(Tensor::floats).transpose()
}

fn class_weight<T: Real>(t: Option<Tensor<T>>) -> Result<Option<nalgebra::DVector<T>>> {
    match optional(t)? {
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

fn run<T: Real>(case: Typed<T>) -> Result<Computed<T>> {
    let Typed {
        input,
        args: mut case,
    } = case;
    let input = with_shape(input.floats()?, case.shape.as_deref())?;
    let want = case.grad;
    match case.op {
        Op::CrossEntropy => {
            case.only(&[
                "target",
                "weight",
                "ignore_index",
                "label_smoothing",
                "reduction",
            ])?;
            let mut opts = CrossEntropyOptions::<T>::default()
                .reduction(case.reduction()?)
                .label_smoothing(case.label_smoothing.unwrap_or(0.0));
            if let Some(i) = case.ignore_index {
                opts = opts.ignore_index(i);
            }
            opts.weight = class_weight(case.weight.take())?;
            let t = case.target()?;
            let probabilities = match t.indices()? {
                // An empty list has no numbers to tell: its shape decides.
                Indices::Yes(idx) if idx.is_empty() && idx.shape() == input.shape() => {
                    ArrayD::from_shape_vec(IxDyn(idx.shape()), Vec::new())
                        .map_err(|e| bad(format!("target: {e}")))?
                }
                Indices::Yes(idx) => {
                    return Ok(nd::cross_entropy(
                        input.view(),
                        NdTarget::Indices(idx.view()),
                        &opts,
                        want,
                    )?
                    .into());
                }
                Indices::No(t) => t.floats()?,
            };
            if probabilities.shape() != input.shape() {
                return Err(Error::ShapeMismatch {
                    what: "target",
                    expected: format!(
                        "the input's shape {:?} for a probability target (class indices must be JSON integers such as 2, not 2.0)",
                        input.shape()
                    ),
                    got: format!("{:?}", probabilities.shape()),
                }
                .into());
            }
            Ok(nd::cross_entropy(
                input.view(),
                NdTarget::Probabilities(probabilities.view()),
                &opts,
                want,
            )?
            .into())
        }
        Op::NllLoss => {
            case.only(&["target", "weight", "ignore_index", "reduction"])?;
            let mut opts = NllLossOptions::<T> {
                weight: class_weight(case.weight.take())?,
                reduction: case.reduction()?,
                ..NllLossOptions::default()
            };
            if let Some(i) = case.ignore_index {
                opts.ignore_index = i;
            }
            let Indices::Yes(idx) = case.target()?.indices()? else {
                return Err(bad(
                    "nll_loss needs class indices as JSON integers (e.g. 2, not 2.0)",
                ));
            };
            Ok(nd::nll_loss(input.view(), idx.view(), &opts, want)?.into())
        }
        Op::BinaryCrossEntropyWithLogits => {
            case.only(&["target", "weight", "pos_weight", "reduction"])?;
            let t = same_shape_target(case.target()?.floats()?, input.shape());
            let w = optional(case.weight.take())?;
            let pw = optional(case.pos_weight.take())?;
            Ok(nd::binary_cross_entropy_with_logits(
                input.view(),
                t.view(),
                w.as_ref().map(ArrayD::view),
                pw.as_ref().map(ArrayD::view),
                case.reduction()?,
                want,
            )?
            .into())
        }
        Op::BinaryCrossEntropy => {
            case.only(&["target", "weight", "reduction"])?;
            let t = same_shape_target(case.target()?.floats()?, input.shape());
            let w = optional(case.weight.take())?;
            Ok(nd::binary_cross_entropy(
                input.view(),
                t.view(),
                w.as_ref().map(ArrayD::view),
                case.reduction()?,
                want,
            )?
            .into())
        }
        Op::KlDiv => {
            case.only(&["target", "reduction", "log_target"])?;
            let t = same_shape_target(case.target()?.floats()?, input.shape());
            Ok(nd::kl_div(
                input.view(),
                t.view(),
                kl_reduction(case.reduction.as_deref())?,
                case.log_target.unwrap_or(false),
                want,
            )?
            .into())
        }
        Op::LogSoftmax | Op::Softmax | Op::Logsumexp => {
            case.only(&["dim"])?;
            let op = match case.op {
                Op::LogSoftmax => SoftmaxOp::LogSoftmax,
                Op::Softmax => SoftmaxOp::Softmax,
                _ => SoftmaxOp::LogSumExp,
            };
            let ndim = input.ndim() as isize;
            // Beyond isize: out of range for any input, as `isize::MAX` is.
            let dim = case.dim.map(|d| isize::try_from(d).unwrap_or(isize::MAX));
            let axis = match dim.unwrap_or(isize::from(ndim > 1)) {
                d if d < 0 => d + ndim,
                d => d,
            };
            // The gradients of log_softmax and logsumexp are computed after the output has
            // been written and let go (see `Grad::Family`), when nothing can fail there: every
            // slice along the axis holds a finite number and no NaN or +∞ (otherwise the
            // kernel computes both, and reports what it refuses). Softmax's gradient is zero.
            let deferred = want
                && op != SoftmaxOp::Softmax
                && (0..ndim).contains(&axis)
                && finite_lanes(&input, axis as usize);
            let out = match dim {
                None => nd::softmax_family(input.view(), op, want && !deferred)?,
                Some(d) => nd::softmax_family_dim(input.view(), op, d, want && !deferred)?,
            };
            if !deferred {
                return Ok(out.into());
            }
            let axis = axis as usize;
            Ok(Computed {
                output: out.output,
                grad: Some(Grad::Family {
                    input,
                    axis,
                    log_softmax: op == SoftmaxOp::LogSoftmax,
                }),
            })
        }
    }
}

/// Every slice along `axis` holds a finite number, and no NaN or +∞: the softmax along it
/// cannot fail.
fn finite_lanes<T: Real>(input: &ArrayD<T>, axis: usize) -> bool {
    input.lanes(ndarray::Axis(axis)).into_iter().all(|lane| {
        let mut finite = false;
        for x in lane {
            let x = x.as_f64();
            if x.is_nan() || x == f64::INFINITY {
                return false;
            }
            finite |= x.is_finite();
        }
        finite
    })
}

// ------------------------------------------------------------------------------ results

/// A result of one case: the output, and the gradient when asked for.
struct Computed<T> {
    output: ArrayD<T>,
    grad: Option<Grad<T>>,
}

impl<T: Real> From<NdOutput<T>> for Computed<T> {
    fn from(o: NdOutput<T>) -> Self {
        Self {
            output: o.output,
            grad: o.grad.map(Grad::Ready),
        }
    }
}

/// A gradient, computed or still to compute.
enum Grad<T> {
    Ready(ArrayD<T>),
    /// The gradient of Σ log_softmax (`1 − C·s`) or of Σ logsumexp (`s`) along `axis`, with
    /// `s` the softmax in `f64`: the formulas of [`nd::softmax_family_dim`], computed once the
    /// output has been written and let go, so that the input, the output and the working
    /// copies of the gradient are never all held at once (`torch_json::
    /// deferred_softmax_family_gradients_are_the_kernels` holds the two to the same bits).
    Family {
        input: ArrayD<T>,
        axis: usize,
        log_softmax: bool,
    },
}

impl<T: Real> Grad<T> {
    fn resolve(self) -> crate::error::Result<ArrayD<T>> {
        match self {
            Grad::Ready(g) => Ok(g),
            Grad::Family {
                input,
                axis,
                log_softmax,
            } => {
                let c = input.shape().get(axis).copied().unwrap_or(0) as f64;
                let wide = input.mapv_into_any(|x| x.as_f64());
                let s =
                    nd::softmax_family_dim(wide.view(), SoftmaxOp::Softmax, axis as isize, false)?
                        .output;
                drop(wide);
                Ok(s.mapv_into_any(|s| {
                    T::round_from_f64(if log_softmax { 1.0 - c * s } else { s })
                }))
            }
        }
    }
}

/// A computed result, in its dtype.
enum AnyComputed {
    F64(Computed<f64>),
    F32(Computed<f32>),
}

/// One result: `name` (echoed), then `output` and `grad`, or `error`.
struct CaseResult {
    name: Option<Value>,
    result: Result<AnyComputed>,
}

impl CaseResult {
    fn into_value(self) -> Value {
        serde_json::to_value(Once::new(self)).unwrap_or_else(|e| Value::String(e.to_string()))
    }

    /// Write the result, letting go of each array once it is written.
    fn serialize_into<S: Serializer>(self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let entries = match &self.result {
            Ok(AnyComputed::F64(c)) => 1 + usize::from(c.grad.is_some()),
            Ok(AnyComputed::F32(c)) => 1 + usize::from(c.grad.is_some()),
            Err(_) => 1,
        };
        let mut m = s.serialize_map(Some(entries + usize::from(self.name.is_some())))?;
        if let Some(n) = &self.name {
            m.serialize_entry("name", n)?;
        }
        match self.result {
            Ok(AnyComputed::F64(c)) => output_entries(&mut m, c)?,
            Ok(AnyComputed::F32(c)) => output_entries(&mut m, c)?,
            Err(e) => m.serialize_entry("error", &ErrorJson(&e))?,
        }
        m.end()
    }
}

/// A [`CaseResult`] as `Serialize` (written once: serialising consumes it).
struct Once(std::cell::RefCell<Option<CaseResult>>);

impl Once {
    fn new(r: CaseResult) -> Self {
        Self(std::cell::RefCell::new(Some(r)))
    }
}

impl Serialize for Once {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0.borrow_mut().take() {
            Some(r) => r.serialize_into(s),
            None => Err(serde::ser::Error::custom("a result is written once")),
        }
    }
}

/// An array as a nested list (a number for a 0-dimensional array), serialised as it is read.
struct Nested<'a, T> {
    data: &'a [T],
    shape: &'a [usize],
}

impl<T: Real> Serialize for Nested<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.shape.split_first() {
            None => {
                let x = self.data.first().map_or(f64::NAN, |x| x.as_f64());
                if x.is_nan() {
                    s.serialize_str("NaN")
                } else if x == f64::INFINITY {
                    s.serialize_str("Infinity")
                } else if x == f64::NEG_INFINITY {
                    s.serialize_str("-Infinity")
                } else {
                    s.serialize_f64(x)
                }
            }
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                let mut seq = s.serialize_seq(Some(n))?;
                for i in 0..n {
                    let data = self.data.get(i * stride..(i + 1) * stride).unwrap_or(&[]);
                    seq.serialize_element(&Nested { data, shape: rest })?;
                }
                seq.end()
            }
        }
    }
}

/// An array as a nested list.
struct AsNested<'a, T>(&'a ArrayD<T>);

impl<T: Real> Serialize for AsNested<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let std = self.0.as_standard_layout();
        Nested {
            data: std.as_slice().unwrap_or(&[]),
            shape: self.0.shape(),
        }
        .serialize(s)
    }
}

struct ErrorJson<'a>(&'a CaseError);

impl Serialize for ErrorJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("kind", self.0.kind())?;
        m.serialize_entry("message", &self.0.to_string())?;
        m.end()
    }
}

fn output_entries<M: serde::ser::SerializeMap, T: Real>(
    m: &mut M,
    c: Computed<T>,
) -> std::result::Result<(), M::Error> {
    let Computed { output, grad } = c;
    m.serialize_entry("output", &AsNested(&output))?;
    drop(output);
    if let Some(g) = grad {
        // The output was computed from the same input: its checks have passed.
        let g = g.resolve().map_err(serde::ser::Error::custom)?;
        m.serialize_entry("grad", &AsNested(&g))?;
    }
    Ok(())
}
