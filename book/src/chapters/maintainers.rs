//! The appendix for maintainers: accuracy in ULPs on hard cases, ours and PyTorch's
//! ([`crate::accuracy`]), and why PyTorch's worst entries are so large.

use std::fmt::Write as _;

use super::{Anchored, Outputs, book_err};
use crate::accuracy::{measure, torch_far_off, ulp_table};
use crate::error::Result;

/// PyTorch errors at least this large (in ULPs) are explained in the appendix.
const FAR_OFF_ULPS: f64 = 1e6;

/// `x` in scientific notation with 3 decimals, as prose: `−6.609 × 10⁻³⁰⁵` (U+2212 minus,
/// superscript exponent); `0` for zero.
fn sci_prose(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    let s = format!("{x:.3e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let sup: String = exp
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹']
                [d.to_digit(10).unwrap_or(0) as usize],
        })
        .collect();
    match mantissa {
        "1.000" => format!("10{sup}"),
        m => format!("{} × 10{sup}", m.replace('-', "−")),
    }
}

/// The rows (no header: each book writes its own) of the table of PyTorch's results that are
/// [`FAR_OFF_ULPS`] or more from the exact value: function, precision, case, PyTorch's value,
/// the exact value. The appendix says that PyTorch returns 0 in each of them; checked here.
fn far_off_rows() -> Result<String> {
    let rows = torch_far_off(FAR_OFF_ULPS)?;
    if rows.is_empty() || rows.iter().any(|r| r.torch != 0.0) {
        return Err(book_err(format!(
            "the maintainers' appendix says PyTorch returns 0 wherever it is a million ULPs \
             off: {rows:?}"
        )));
    }
    let mut s = String::new();
    for r in rows {
        let _ = writeln!(
            s,
            "| `{}` | {} | `{}` | {} | {} |",
            r.function,
            r.dtype,
            r.case,
            sci_prose(r.torch),
            sci_prose(r.exact)
        );
    }
    Ok(s)
}

/// The numbers the appendix and the options chapter quote: PyTorch's version, and the float32
/// softmax on its worst case (a long row), PyTorch's error and ours.
fn maintainers_values() -> Result<String> {
    let doc: serde_json::Value = serde_json::from_str(crate::accuracy::PRECISE_HARD)
        .map_err(|e| book_err(format!("precise_hard.json: {e}")))?;
    let version = doc["torch_version"]
        .as_str()
        .and_then(|v| v.split('+').next())
        .ok_or_else(|| book_err("precise_hard.json: no torch_version"))?;
    let rows = measure()?;
    let softmax32 = rows
        .iter()
        .find(|w| w.function == "softmax" && w.dtype == "float32")
        .ok_or_else(|| book_err("no float32 softmax row"))?;
    let case = doc["cases"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["name"].as_str() == Some(softmax32.torch_case.as_str()))
        })
        .ok_or_else(|| book_err("the float32 softmax case is missing"))?;
    let classes = crate::accuracy::expand_logits(&case["logits"])?.len();
    if classes < 10_000 || softmax32.ours_all > 1.0 || softmax32.torch <= 1.0 {
        return Err(book_err(
            "the options chapter says PyTorch's float32 softmax is worst on a long row, where \
             ours is correctly or faithfully rounded: update it",
        ));
    }
    let mut a = Anchored::default();
    a.put("torch_version", version);
    a.put("far_off", sci_prose(FAR_OFF_ULPS));
    a.put("f32_softmax_torch", format!("{:.0}", softmax32.torch));
    a.put("f32_softmax_ours", format!("{:.0}", softmax32.ours_all));
    a.put("f32_softmax_case", &softmax32.torch_case);
    a.put("f32_softmax_classes", classes);
    Ok(a.0)
}

/// The appendix's files under `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "maintainers",
    files: &[
        "maintainers-ulp.md",
        "maintainers-torch.md",
        "maintainers-values.txt",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![ulp_table()?, far_off_rows()?, maintainers_values()?])
}
