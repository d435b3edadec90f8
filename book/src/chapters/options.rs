//! PyTorch's options: class weights, ignore_index, label smoothing, reductions, the JSON case.
//!
//! The numbers and figures of `book/{en,zh}/src/options.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/options.rs`) asserts it uses.

use nalgebra::{DMatrix, DVector};

use ce_mle::information::entropy;
use ce_mle::loss::{CrossEntropyOptions, Reduction, Target, cross_entropy};

use super::{
    Anchored, Outputs, book_err, dist, fixed6, prose_number, scalar, trimmed, tuple_exact,
    tuple_fixed6,
};
use crate::error::Result;

/// Logits of the options chapter's examples (three samples, three classes).
pub const OPT_LOGITS: [[f64; 3]; 3] = [[2.0, 0.5, -1.0], [0.0, 1.0, 0.0], [-0.5, 0.0, 1.5]];
/// Labels of the options chapter's examples.
pub const OPT_LABELS: [i64; 3] = [0, 2, 2];
/// Class weights of the options chapter's example.
pub const OPT_WEIGHTS: [f64; 3] = [1.0, 2.0, 0.5];
/// The `ce-mle loss` case of the options chapter (the README's example).
pub const JSON_CASE: &str =
    r#"{"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]], "target": [0], "grad": true}"#;
/// Label smoothing ε of the chapter's example.
pub const SMOOTHING: f64 = 0.1;

fn opt_logits() -> DMatrix<f64> {
    DMatrix::from_fn(3, 3, |r, c| OPT_LOGITS[r][c])
}

fn options_values() -> Result<String> {
    let mut a = Anchored::default();
    let z = opt_logits();
    let none = CrossEntropyOptions::default().reduction(Reduction::None);
    let per = cross_entropy(&z, Target::Indices(&OPT_LABELS), &none)?;
    let per = per
        .per_sample()
        .ok_or_else(|| book_err("Reduction::None returned a scalar"))?
        .clone();
    a.put(
        "labels",
        format!("({})", OPT_LABELS.map(|y| y.to_string()).join(", ")),
    );
    a.put("per_sample", tuple_fixed6(per.as_slice()));
    let rows: Vec<String> = OPT_LOGITS
        .iter()
        .map(|r| r.map(trimmed).join(" & "))
        .collect();
    a.put("logits_tex", rows.join(" \\\\ "));
    a.put(
        "ignore_default",
        prose_number(
            &CrossEntropyOptions::<f64>::default()
                .ignore_index
                .to_string(),
        ),
    );
    a.put("sum", fixed6(per.sum()));
    a.put("mean", fixed6(per.sum() / 3.0));

    // Class weights.
    let w = DVector::from_row_slice(&OPT_WEIGHTS);
    a.put("weights", tuple_exact(&OPT_WEIGHTS));
    let weighted = CrossEntropyOptions::default().weight(w.clone());
    let wmean = scalar(&cross_entropy(&z, Target::Indices(&OPT_LABELS), &weighted)?)?;
    let wsum = scalar(&cross_entropy(
        &z,
        Target::Indices(&OPT_LABELS),
        &weighted.clone().reduction(Reduction::Sum),
    )?)?;
    let wy: f64 = OPT_LABELS.iter().map(|&y| OPT_WEIGHTS[y as usize]).sum();
    a.put("w_sum_loss", fixed6(wsum));
    a.put("w_denominator", trimmed(wy));
    a.put("w_mean", fixed6(wmean));
    a.put("w_mean_over_n", fixed6(wsum / 3.0));
    let one_hot = DMatrix::from_fn(3, 3, |r, c| {
        if OPT_LABELS[r] as usize == c {
            1.0
        } else {
            0.0
        }
    });
    let prob_mean = scalar(&cross_entropy(
        &z,
        Target::Probabilities(&one_hot),
        &weighted,
    )?)?;
    a.put("w_prob_mean", fixed6(prob_mean));

    // Ignored rows.
    let ign = scalar(&cross_entropy(
        &z,
        Target::Indices(&[OPT_LABELS[0], -100, OPT_LABELS[2]]),
        &CrossEntropyOptions::default(),
    )?)?;
    a.put("ignore_mean", fixed6(ign));

    // Label smoothing: T9.
    let eps = SMOOTHING;
    let c = 3.0;
    let smoothed: Vec<f64> = (0..3)
        .map(|k| if k == 0 { 1.0 - eps } else { 0.0 } + eps / c)
        .collect();
    let zs = DMatrix::from_fn(1, 3, |_, k| smoothed[k].ln());
    let best = scalar(&cross_entropy(
        &zs,
        Target::Indices(&[0]),
        &CrossEntropyOptions::default().label_smoothing(eps),
    )?)?;
    a.put("smooth_eps", eps);
    a.put("smooth_target", tuple_fixed6(&smoothed));
    a.put("smooth_min_ce", fixed6(best));
    a.put("smooth_entropy", fixed6(entropy(&dist(&smoothed))?));
    a.put("smooth_q0", fixed6(smoothed[0]));
    let ls_mean = scalar(&cross_entropy(
        &z,
        Target::Indices(&OPT_LABELS),
        &CrossEntropyOptions::default().label_smoothing(eps),
    )?)?;
    a.put("smooth_mean", fixed6(ls_mean));

    // float32 against float64.
    let z32 = z.map(|v| v as f32);
    let l32 = cross_entropy(
        &z32,
        Target::Indices(&OPT_LABELS),
        &CrossEntropyOptions::<f32>::default(),
    )?
    .scalar()
    .ok_or_else(|| book_err("a reduced loss returned a vector"))?;
    let l64 = per.sum() / 3.0;
    a.put("f32_loss", format!("{l32:?}"));
    a.put("f64_loss", format!("{l64:?}"));
    a.put(
        "f32_rel",
        prose_number(&format!("{:.1e}", ((f64::from(l32) - l64) / l64).abs())),
    );
    a.put(
        "f32_unit",
        prose_number(&format!("{:.1e}", f64::from(f32::EPSILON) / 2.0)),
    );

    // The JSON command and the golden fixtures.
    let out = ce_mle::torch_json::run_json(JSON_CASE)?;
    a.put("json_case", JSON_CASE);
    a.put(
        "json_result",
        serde_json::to_string(&out).map_err(book_err)?,
    );
    let v: serde_json::Value =
        serde_json::from_str(crate::verify::golden::TORCH_FUNCTIONAL).map_err(book_err)?;
    let n = v
        .as_array()
        .map(Vec::len)
        .or_else(|| v.get("cases").and_then(|c| c.as_array()).map(Vec::len))
        .ok_or_else(|| book_err("the PyTorch fixture is neither a list nor has `cases`"))?;
    a.put("golden_cases", n);
    if let Some(version) = v.get("torch_version").and_then(|t| t.as_str()) {
        a.put(
            "torch_version",
            version.split('+').next().unwrap_or(version),
        );
    }
    Ok(a.0)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "options",
    files: &["options-values.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![options_values()?])
}
