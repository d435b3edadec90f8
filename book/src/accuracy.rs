//! Accuracy in ULPs on hard cases: ours against PyTorch 2.15.
//!
//! The cases, their exact values correctly rounded to `f64` and `f32`, and PyTorch's errors
//! are in `tests/fixtures/precise_hard.json`, written by `tools/precise/hard_cases.py` (mpmath
//! at 80 digits; PyTorch run by `tools/precise/hard_cases_torch.py`). This module runs the
//! same inputs through the library, measures the error of every output element in ULPs
//! ([`ulp_error`]) and keeps the worst per function and precision ([`measure`]);
//! `book/tests/ulp.rs` asserts the targets on it and [`ulp_table`] renders the table of the
//! book's appendix for maintainers.
//!
//! # The measure
//! For a result `r` and the exact value correctly rounded to the result's precision `c`:
//! `err = |r − c| / ulp(c)`, where `ulp(c)` is the spacing of the format at `|c|`:
//! `2^(e − p + 1)` for `2^e ≤ |c| < 2^(e+1)` (`p` = 53 or 24 significant bits; at a power of
//! two the gap *above*), and the smallest subnormal (`2^−1074`, `2^−149`) for `c = 0` and
//! throughout the subnormal range. A correctly rounded result scores 0, a faithfully rounded
//! one at most 1. An infinite `c` must be matched exactly (else the error is infinite), and a
//! NaN result has an infinite error.

use std::fmt::Write as _;

use nalgebra::DMatrix;
use serde_json::Value;

use crate::error::{Error, Result};
use ce_mle::loss::{
    BceWithLogitsOptions, CrossEntropyOptions, Reduction, Target, binary_cross_entropy_with_logits,
    cross_entropy,
};
use ce_mle::real::Real;
use ce_mle::softmax::{log_softmax, logsumexp, softmax};

/// The committed fixture (see the module docs).
pub const PRECISE_HARD: &str = include_str!("../../tests/fixtures/precise_hard.json");

/// The functions measured, in table order, with their targets (worst ULPs allowed in
/// both precisions; for `softmax` only on rows with C ≤ [`SOFTMAX_TARGET_MAX_C`]).
pub const FUNCTIONS: [(&str, f64); 5] = [
    ("log_softmax", 4.0),
    ("softmax", 4.0),
    ("logsumexp", 4.0),
    ("cross_entropy", 2.0),
    ("bce_with_logits", 2.0),
];

/// The softmax target applies to rows of at most this many classes.
pub const SOFTMAX_TARGET_MAX_C: usize = 1000;

/// The precisions, in table order.
pub const DTYPES: [&str; 2] = ["float64", "float32"];

/// The spacing of the format at `|c|` (module docs): `dtype` is `"float64"` or `"float32"`.
/// `c` must be finite (and, for `float32`, a `float32` value).
#[must_use]
pub fn ulp(c: f64, dtype: &str) -> f64 {
    pow2(ulp_exponent(c, dtype))
}

/// `k` with `ulp(c) = 2^k`.
fn ulp_exponent(c: f64, dtype: &str) -> i32 {
    let (p, emin) = if dtype == "float32" {
        (24, -126)
    } else {
        (53, -1022)
    };
    let a = c.abs();
    let e = if a == 0.0 || a < 2f64.powi(emin) {
        emin
    } else {
        // the binary exponent of a normal f64 (float32 values are normal f64s)
        ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023
    };
    e - p + 1
}

/// `2^k` for `−1074 ≤ k ≤ 1023`, exactly.
fn pow2(k: i32) -> f64 {
    let half = k / 2;
    2f64.powi(half) * 2f64.powi(k - half)
}

/// `|r − c| / ulp(c)` (module docs); `dtype` is the precision of `r` and `c`.
#[must_use]
pub fn ulp_error(r: f64, c: f64, dtype: &str) -> f64 {
    if r.is_nan() {
        return f64::INFINITY;
    }
    if c.is_infinite() || r.is_infinite() {
        return if r == c { 0.0 } else { f64::INFINITY };
    }
    // `r − c` is exact when r and c are within a factor 2 of each other (Sterbenz); otherwise
    // its rounding is far below the size of the error. Dividing by a power of two in two
    // steps keeps the quotient exact (no intermediate overflow).
    let d = (r - c).abs();
    let k = ulp_exponent(c, dtype);
    let half = -k / 2;
    d * 2f64.powi(half) * 2f64.powi(-k - half)
}

/// The worst error of one function in one precision, ours and PyTorch's.
#[derive(Clone, Debug)]
pub struct Worst {
    /// The function (`FUNCTIONS`).
    pub function: &'static str,
    /// `"float64"` or `"float32"`.
    pub dtype: &'static str,
    /// The target (ULPs).
    pub target: f64,
    /// Our worst error over the cases the target applies to.
    pub ours: f64,
    /// The case and output element of `ours`: `"case[element]"`.
    pub ours_case: String,
    /// Our result there, and the correctly rounded value.
    pub ours_value: (f64, f64),
    /// Our worst error over every case (softmax with C > 1000 included).
    pub ours_all: f64,
    /// The case of `ours_all`.
    pub ours_all_case: String,
    /// PyTorch's worst finite error (measured by the generator), over every case.
    pub torch: f64,
    /// The case of `torch`.
    pub torch_case: String,
    /// The cases where PyTorch's error is infinite (a NaN, or a wrong infinity).
    pub torch_infinite: Vec<String>,
    /// Our worst error per case (over its output elements), in fixture order.
    pub per_case: Vec<(String, f64)>,
}

fn fixture_error(detail: impl std::fmt::Display) -> Error {
    Error::Core(ce_mle::Error::InvalidFile {
        path: "tests/fixtures/precise_hard.json".to_string(),
        reason: detail.to_string(),
    })
}

fn num(v: &Value) -> Result<f64> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| fixture_error("bad number")),
        Value::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        Value::String(s) if s == "NaN" => Ok(f64::NAN),
        _ => Err(fixture_error(format!("not a number: {v}"))),
    }
}

/// The float64 logits of a row: segments `[value, count]` or `{start, step, count}` (the
/// values `start + (j as f64) * step`), expanded exactly as the generator does.
pub fn expand_logits(segments: &Value) -> Result<Vec<f64>> {
    let segs = segments
        .as_array()
        .ok_or_else(|| fixture_error("logits are not a list"))?;
    let mut out = Vec::new();
    for s in segs {
        if let Some(pair) = s.as_array() {
            let v = num(&pair[0])?;
            let n = pair[1].as_u64().ok_or_else(|| fixture_error("bad count"))?;
            out.extend(std::iter::repeat_n(v, n as usize));
        } else {
            let a = num(&s["start"])?;
            let b = num(&s["step"])?;
            let n = s["count"]
                .as_u64()
                .ok_or_else(|| fixture_error("bad count"))?;
            out.extend((0..n).map(|j| a + (j as f64) * b));
        }
    }
    Ok(out)
}

/// Expand a run-length encoded list `[[value, count], …]`.
fn expand_runs(runs: &Value) -> Result<Vec<f64>> {
    let runs = runs
        .as_array()
        .ok_or_else(|| fixture_error("not a run list"))?;
    let mut out = Vec::new();
    for r in runs {
        let v = num(&r[0])?;
        let n = r[1].as_u64().ok_or_else(|| fixture_error("bad count"))?;
        out.extend(std::iter::repeat_n(v, n as usize));
    }
    Ok(out)
}

/// Our results for one case, function and precision, as `f64` (exact for `f32`).
fn ours<T: Real>(case: &Value, function: &str) -> Result<Vec<f64>> {
    let round = |v: &[f64]| v.iter().map(|&x| T::round_from_f64(x)).collect::<Vec<T>>();
    let back = |v: &[T]| v.iter().map(|x| x.as_f64()).collect::<Vec<f64>>();
    if function == "bce_with_logits" {
        let x = DMatrix::from_row_slice(1, 1, &round(&[num(&case["x"])?]));
        let y = DMatrix::from_row_slice(1, 1, &round(&[num(&case["y"])?]));
        let opts = BceWithLogitsOptions {
            reduction: Reduction::None,
            ..BceWithLogitsOptions::default()
        };
        let l = binary_cross_entropy_with_logits(&x, &y, &opts)?;
        return Ok(back(l.per_sample().map_or(&[][..], |v| v.as_slice())));
    }
    let z = round(&expand_logits(&case["logits"])?);
    let z = DMatrix::from_row_slice(1, z.len(), &z);
    Ok(match function {
        "logsumexp" => back(logsumexp(&z)?.as_slice()),
        "log_softmax" => back(log_softmax(&z)?.as_slice()),
        "softmax" => back(softmax(&z)?.as_slice()),
        "cross_entropy" => {
            let t = case["target"]
                .as_i64()
                .ok_or_else(|| fixture_error("bad target"))?;
            let opts = CrossEntropyOptions::default().reduction(Reduction::None);
            let l = cross_entropy(&z, Target::Indices(&[t]), &opts)?;
            back(l.per_sample().map_or(&[][..], |v| v.as_slice()))
        }
        other => return Err(fixture_error(format!("unknown function {other}"))),
    })
}

/// `x` moved `k` representable values up (toward +∞) in its precision.
fn nudge(x: f64, k: u32, dtype: &str) -> f64 {
    let mut x = x;
    for _ in 0..k {
        x = if dtype == "float32" {
            f64::from((x as f32).next_up())
        } else {
            x.next_up()
        };
    }
    x
}

/// [`measure`] with every one of our results first moved `nudge_ulps` representable values
/// up: a check that the measure has teeth (a result 3 values off is reported as about 3).
///
/// # Errors
/// As [`measure`].
pub fn measure_nudged(nudge_ulps: u32) -> Result<Vec<Worst>> {
    let doc: Value = serde_json::from_str(PRECISE_HARD).map_err(fixture_error)?;
    let cases = doc["cases"]
        .as_array()
        .ok_or_else(|| fixture_error("no cases"))?;
    let mut rows = Vec::new();
    for (function, target) in FUNCTIONS {
        for dtype in DTYPES {
            let mut w = Worst {
                function,
                dtype,
                target,
                ours: 0.0,
                ours_case: String::new(),
                ours_value: (0.0, 0.0),
                ours_all: 0.0,
                ours_all_case: String::new(),
                torch: 0.0,
                torch_case: String::new(),
                torch_infinite: Vec::new(),
                per_case: Vec::new(),
            };
            for case in cases {
                let Some(exp) = case[dtype].get(function) else {
                    continue;
                };
                let name = case["name"].as_str().unwrap_or("?");
                let expected = expand_runs(&exp["rounded"])?;
                let t = num(&exp["torch_ulp"])?;
                if t.is_infinite() {
                    w.torch_infinite.push(name.to_string());
                } else if t > w.torch || w.torch_case.is_empty() {
                    w.torch = t.max(w.torch);
                    w.torch_case = name.to_string();
                }
                let got = if dtype == "float32" {
                    ours::<f32>(case, function)?
                } else {
                    ours::<f64>(case, function)?
                };
                if got.len() != expected.len() {
                    return Err(fixture_error(format!(
                        "{name}: {} outputs, expected {}",
                        got.len(),
                        expected.len()
                    )));
                }
                let applies = function != "softmax" || expected.len() <= SOFTMAX_TARGET_MAX_C;
                let mut case_worst = 0.0;
                for (i, (&r, &c)) in got.iter().zip(&expected).enumerate() {
                    let r = if nudge_ulps > 0 && r.is_finite() {
                        nudge(r, nudge_ulps, dtype)
                    } else {
                        r
                    };
                    let e = ulp_error(r, c, dtype);
                    let at = || format!("{name}[{i}]");
                    if e > case_worst {
                        case_worst = e;
                    }
                    if e > w.ours_all || w.ours_all_case.is_empty() {
                        w.ours_all = e.max(w.ours_all);
                        w.ours_all_case = at();
                    }
                    if applies && (e > w.ours || w.ours_case.is_empty()) {
                        w.ours = e.max(w.ours);
                        w.ours_case = at();
                        w.ours_value = (r, c);
                    }
                }
                w.per_case.push((name.to_string(), case_worst));
            }
            rows.push(w);
        }
    }
    Ok(rows)
}

/// Our worst error per function and precision on every hard case, with PyTorch's.
///
/// # Errors
/// [`ce_mle::Error::InvalidFile`] if the fixture is malformed; any error of the functions measured
/// (none is expected: the cases are valid inputs).
pub fn measure() -> Result<Vec<Worst>> {
    measure_nudged(0)
}

/// PyTorch's result at its worst output element for one function and precision, where that
/// error is at least a million ULPs: what it returned and what the exact value is.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchFarOff {
    /// The function (`FUNCTIONS`).
    pub function: &'static str,
    /// `"float64"` or `"float32"`.
    pub dtype: &'static str,
    /// The case of PyTorch's worst error (as in [`Worst::torch_case`]).
    pub case: String,
    /// PyTorch's result at the worst element.
    pub torch: f64,
    /// The exact value there, correctly rounded to `dtype`.
    pub exact: f64,
    /// The error in ULPs ([`ulp_error`]).
    pub ulps: f64,
}

/// For every function and precision whose worst PyTorch error (finite) is at least
/// `min_ulps`, the element where it occurs, with PyTorch's value and the exact one (from the
/// fixture), in table order.
///
/// # Errors
/// As [`measure`].
pub fn torch_far_off(min_ulps: f64) -> Result<Vec<TorchFarOff>> {
    let doc: Value = serde_json::from_str(PRECISE_HARD).map_err(fixture_error)?;
    let cases = doc["cases"]
        .as_array()
        .ok_or_else(|| fixture_error("no cases"))?;
    let mut out = Vec::new();
    for w in measure()? {
        if !(w.torch.is_finite() && w.torch >= min_ulps) {
            continue;
        }
        let case = cases
            .iter()
            .find(|c| c["name"].as_str() == Some(w.torch_case.as_str()))
            .ok_or_else(|| fixture_error(format!("no case {}", w.torch_case)))?;
        let exp = &case[w.dtype][w.function];
        let rounded = expand_runs(&exp["rounded"])?;
        let torch = match &exp["torch"] {
            Value::Array(_) => expand_runs(&exp["torch"])?,
            v => vec![num(v)?],
        };
        let worst = torch
            .iter()
            .zip(&rounded)
            .map(|(&t, &c)| (t, c, ulp_error(t, c, w.dtype)))
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .ok_or_else(|| fixture_error(format!("{}: no output", w.torch_case)))?;
        out.push(TorchFarOff {
            function: w.function,
            dtype: w.dtype,
            case: w.torch_case.clone(),
            torch: worst.0,
            exact: worst.1,
            ulps: worst.2,
        });
    }
    Ok(out)
}

/// An error in ULPs for the table: integers as such, large ones in scientific notation.
fn fmt_ulp(e: f64) -> String {
    if e.is_infinite() {
        "∞".to_string()
    } else if e >= 1e5 {
        let exp = e.log10().floor() as i32;
        let sup: String = exp
            .to_string()
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹']
                    [d.to_digit(10).unwrap_or(0) as usize],
            })
            .collect();
        format!("{:.1} × 10{sup}", e / 10f64.powi(exp))
    } else if e == e.round() {
        format!("{e:.0}")
    } else {
        format!("{e:.2}")
    }
}

/// The rows of the maintainers' appendix ULP table (`book/generated/maintainers-ulp.md`; each
/// book writes the header in its language): worst error in ULPs per function and precision,
/// ce-mle against PyTorch, on the cases of `tests/fixtures/precise_hard.json`. The columns:
/// function, dtype, target, ce-mle, its worst case, PyTorch, PyTorch's worst case.
///
/// # Errors
/// As [`measure`].
pub fn ulp_table() -> Result<String> {
    let rows = measure()?;
    let mut s = String::new();
    for w in &rows {
        let target = if w.function == "softmax" {
            format!("≤ {} (C ≤ {SOFTMAX_TARGET_MAX_C})", w.target)
        } else {
            format!("≤ {}", w.target)
        };
        let ours = if w.ours_all > w.ours {
            format!(
                "{} ({} at C > {SOFTMAX_TARGET_MAX_C})",
                fmt_ulp(w.ours),
                fmt_ulp(w.ours_all)
            )
        } else {
            fmt_ulp(w.ours)
        };
        let case = if w.ours == 0.0 {
            "—".to_string()
        } else {
            format!("`{}`", w.ours_case)
        };
        let mut torch_case = format!("`{}`", w.torch_case);
        if !w.torch_infinite.is_empty() {
            let list: Vec<String> = w.torch_infinite.iter().map(|c| format!("`{c}`")).collect();
            let _ = write!(torch_case, "; NaN at {}", list.join(", "));
        }
        let _ = writeln!(
            s,
            "| `{}` | {} | {target} | {ours} | {case} | {} | {torch_case} |",
            w.function,
            w.dtype,
            fmt_ulp(w.torch),
        );
    }
    Ok(s)
}
