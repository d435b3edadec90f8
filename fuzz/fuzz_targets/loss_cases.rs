//! The loss API as `ce-mle loss` sees it: `ce_mle::torch_json::result_of` on JSON cases built from
//! the fuzz bytes — every operation, arbitrary shapes (0-size and K-dimensional included),
//! options of the right and wrong types, `float32` / `float64`, and values drawn from special
//! bit patterns (NaN, ±inf, ±0, subnormals, extremes) or raw `f64` bits.
//!
//! A first byte `0xFF` instead feeds the rest of the input as JSON text to
//! `ce_mle::torch_json::run_json` (malformed JSON, deep nesting, huge numbers).
//!
//! Invariants (besides "no panic"):
//! * the result is an object with exactly one of `output` / `error`;
//! * an `error` has a non-empty `kind` and `message`;
//! * a `float32` case's numbers are exact `f32` values;
//! * when every number of the case is finite and at most 700 in magnitude, no output or
//!   gradient entry is NaN;
//! * evaluating the same case twice gives the same result (determinism).
#![no_main]

use libfuzzer_sys::arbitrary::{Result as AResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value, json};

const OPS: [&str; 8] = [
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "kl_div",
    "log_softmax",
    "softmax",
    "logsumexp",
];

const REDUCTIONS: [&str; 5] = ["mean", "sum", "none", "batchmean", "average"];

const SPECIAL: [f64; 18] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    0.25,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MIN_POSITIVE,
    5e-324, // smallest subnormal
    -5e-324,
    f64::MAX,
    f64::MIN,
    1e-45,  // f32 subnormal range
    3.5e38, // overflows f32
    1e300,
    -1e300,
];

/// A number as the case format writes it (non-finite values as strings).
fn number(x: f64, finite: &mut bool) -> Value {
    if x.is_nan() {
        *finite = false;
        Value::String("NaN".into())
    } else if x == f64::INFINITY {
        *finite = false;
        Value::String("Infinity".into())
    } else if x == f64::NEG_INFINITY {
        *finite = false;
        Value::String("-Infinity".into())
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// A leaf value; `finite` is cleared when it is not finite in the case's dtype (`f32`
/// rounds values beyond `f32::MAX` to infinity).
fn float(u: &mut Unstructured<'_>, finite: &mut bool, f32_case: bool) -> AResult<Value> {
    let x = match u.int_in_range(0u8..=3)? {
        0 => f64::from_bits(u.arbitrary::<u64>()?),
        1 => f64::from(u.int_in_range(-8i8..=8)?) * 0.5,
        _ => *u.choose(&SPECIAL)?,
    };
    // "Finite" for the NaN invariant means well-scaled: beyond 700, exp() and products can
    // overflow (inf − inf, inf·0 = NaN), as the first two runs found in kl_div (see
    // tests/catalogue.rs, `fuzz_kl_div_overflow_*`).
    if x.abs() > 700.0 || (f32_case && !(x as f32).is_finite()) {
        *finite = false;
    }
    Ok(number(x, finite))
}

fn index(u: &mut Unstructured<'_>, classes: usize) -> AResult<Value> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => json!(-100),
        1 => json!(u.arbitrary::<i64>()?),
        2 => json!(-1),
        3 => json!(classes),
        _ => json!(u.int_in_range(0..=classes.max(1) as i64 - 1)?),
    })
}

/// A nested list of the given shape, leaves from `leaf`.
fn nested(
    u: &mut Unstructured<'_>,
    shape: &[usize],
    leaf: &mut dyn FnMut(&mut Unstructured<'_>) -> AResult<Value>,
) -> AResult<Value> {
    match shape.split_first() {
        None => leaf(u),
        Some((&n, rest)) => {
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(nested(u, rest, leaf)?);
            }
            Ok(Value::Array(items))
        }
    }
}

fn shape(u: &mut Unstructured<'_>) -> AResult<Vec<usize>> {
    let ndim = u.int_in_range(0usize..=4)?;
    let mut s = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        s.push(u.int_in_range(0usize..=4)?);
    }
    Ok(s)
}

/// Mostly the input's shape, sometimes a perturbed or unrelated one.
fn related(u: &mut Unstructured<'_>, base: &[usize]) -> AResult<Vec<usize>> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => shape(u)?,
        1 if !base.is_empty() => base[1..].to_vec(),
        2 if base.len() >= 2 => {
            // PyTorch's index-target shape: the class axis removed.
            let mut s = base.to_vec();
            s.remove(1);
            s
        }
        3 => {
            let mut s = base.to_vec();
            if let Some(last) = s.last_mut() {
                *last = u.int_in_range(0usize..=4)?;
            }
            s
        }
        _ => base.to_vec(),
    })
}

fn build_case(u: &mut Unstructured<'_>, finite: &mut bool) -> AResult<Value> {
    let mut case = Map::new();
    let op = *u.choose(&OPS)?;
    case.insert("op".into(), json!(op));
    let f32_case = u.arbitrary::<bool>()?;
    if f32_case {
        case.insert("dtype".into(), json!("float32"));
    } else if u.arbitrary::<bool>()? {
        case.insert("dtype".into(), json!("float64"));
    }
    let in_shape = shape(u)?;
    let classes = match in_shape.len() {
        0 => 1,
        1 => in_shape[0],
        _ => in_shape[1],
    };
    case.insert(
        "input".into(),
        nested(u, &in_shape, &mut |u| float(u, finite, f32_case))?,
    );
    if u.arbitrary::<bool>()? {
        case.insert("grad".into(), json!(true));
    }
    // The target: class indices (cross_entropy, nll_loss) or floats.
    if u.int_in_range(0u8..=7)? != 0 {
        let t_shape = related(u, &in_shape)?;
        let t = if matches!(op, "cross_entropy" | "nll_loss") && u.arbitrary::<bool>()? {
            nested(u, &t_shape, &mut |u| index(u, classes))?
        } else {
            nested(u, &t_shape, &mut |u| float(u, finite, f32_case))?
        };
        case.insert("target".into(), t);
    }
    if u.int_in_range(0u8..=3)? == 0 {
        let w_shape = if u.arbitrary::<bool>()? {
            vec![classes]
        } else {
            related(u, &in_shape)?
        };
        case.insert(
            "weight".into(),
            nested(u, &w_shape, &mut |u| float(u, finite, f32_case))?,
        );
    }
    if u.int_in_range(0u8..=5)? == 0 {
        let w_shape = related(u, &in_shape)?;
        case.insert(
            "pos_weight".into(),
            nested(u, &w_shape, &mut |u| float(u, finite, f32_case))?,
        );
    }
    if u.int_in_range(0u8..=3)? == 0 {
        let i = index(u, classes)?;
        case.insert("ignore_index".into(), i);
    }
    if u.int_in_range(0u8..=3)? == 0 {
        let x = match u.int_in_range(0u8..=2)? {
            0 => f64::from(u.int_in_range(-2i8..=12)?) / 10.0,
            1 => f64::from_bits(u.arbitrary::<u64>()?),
            _ => *u.choose(&SPECIAL)?,
        };
        // A non-finite smoothing cannot be written as a JSON number: it becomes a string.
        case.insert("label_smoothing".into(), number(x, &mut true));
    }
    if u.int_in_range(0u8..=2)? == 0 {
        case.insert("reduction".into(), json!(*u.choose(&REDUCTIONS)?));
    }
    if u.int_in_range(0u8..=5)? == 0 {
        case.insert("log_target".into(), json!(u.arbitrary::<bool>()?));
    }
    if u.int_in_range(0u8..=31)? == 0 {
        case.insert("name".into(), json!("fuzz"));
    }
    if u.int_in_range(0u8..=63)? == 0 {
        case.insert("unexpected".into(), json!(1));
    }
    Ok(Value::Object(case))
}

/// Every number of a nested result, NaN spelt as the string `"NaN"`.
fn leaves(v: &Value, out: &mut Vec<Option<f64>>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| leaves(i, out)),
        Value::Number(n) => out.push(n.as_f64()),
        Value::String(s) if s == "NaN" => out.push(Some(f64::NAN)),
        Value::String(s) if s == "Infinity" => out.push(Some(f64::INFINITY)),
        Value::String(s) if s == "-Infinity" => out.push(Some(f64::NEG_INFINITY)),
        other => panic!("unexpected leaf in a result: {other}"),
    }
}

fn check(case: &Value, finite: bool) {
    let result = ce_mle::torch_json::result_of(case);
    let again = ce_mle::torch_json::result_of(case);
    assert_eq!(result, again, "not deterministic: {case}");
    let obj = result.as_object().expect("a result is an object");
    match (obj.get("output"), obj.get("error")) {
        (Some(out), None) => {
            let f32_case = case.get("dtype") == Some(&json!("float32"));
            let mut nums = Vec::new();
            leaves(out, &mut nums);
            if let Some(g) = obj.get("grad") {
                leaves(g, &mut nums);
            }
            for x in nums {
                let x = x.expect("every result number is an f64");
                if f32_case && x.is_finite() {
                    assert_eq!(f64::from(x as f32), x, "not an f32 value: {case}");
                }
                if finite {
                    assert!(!x.is_nan(), "NaN from finite inputs: {case} -> {result}");
                }
            }
        }
        (None, Some(err)) => {
            let kind = err["kind"].as_str().expect("error.kind");
            let msg = err["message"].as_str().expect("error.message");
            assert!(!kind.is_empty() && !msg.is_empty());
        }
        _ => panic!("a result has exactly one of output/error: {result}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some((&0xFF, text)) = data.split_first() {
        if let Ok(text) = std::str::from_utf8(text) {
            let _ = ce_mle::torch_json::run_json(text);
        }
        return;
    }
    let mut u = Unstructured::new(data);
    let mut finite = true;
    if let Ok(case) = build_case(&mut u, &mut finite) {
        check(&case, finite);
    }
});
