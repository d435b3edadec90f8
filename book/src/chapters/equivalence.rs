//! The equivalence: the worked example (d2l's) and the conditional example.
//!
//! The numbers and figures of `book/{en,zh}/src/equivalence.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/equivalence.rs`) asserts it uses.

use std::fmt::Write as _;

use nalgebra::DMatrix;

use ce_mle::information::{cross_entropy_between, entropy, kl_divergence};
use ce_mle::likelihood::categorical_mle;
use ce_mle::loss::{CrossEntropyOptions, Reduction, Target, cross_entropy};

use super::information::{SOFT_P, SOFT_Q};
use super::{Anchored, Outputs, book_err, dist, fixed6, prose_number, scalar, tuple_exact};
use crate::error::Result;

/// Predicted distributions of the chapter's worked example (two samples, three classes;
/// the example of d2l's softmax-regression section).
pub const WORKED_PROBS: [[f64; 3]; 2] = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]];
/// Observed classes of the worked example.
pub const WORKED_LABELS: [usize; 2] = [0, 2];

/// Inputs of the equivalence chapter's conditional example (two distinct inputs).
pub const COND_INPUTS: [usize; 8] = [0, 0, 0, 0, 1, 1, 1, 1];
/// Labels of the conditional example (three classes).
pub const COND_LABELS: [usize; 8] = [0, 0, 0, 1, 2, 2, 1, 2];

/// Logits whose softmax is `probs` (row-wise `ln`); rows must sum to 1.
fn logits_of(probs: &[[f64; 3]]) -> DMatrix<f64> {
    DMatrix::from_fn(probs.len(), 3, |r, c| probs[r][c].ln())
}

fn worked_targets() -> Vec<i64> {
    WORKED_LABELS.iter().map(|&y| y as i64).collect()
}

/// Table of the worked example: per-sample `q`, the probability of the observed class and
/// its cross-entropy `−ln q_{i,y_i}` (computed by [`cross_entropy`] on `ln q`), then the
/// sum. Column heads are formulas, so both languages include the same table.
fn equivalence_worked() -> Result<String> {
    let per = cross_entropy(
        &logits_of(&WORKED_PROBS),
        Target::Indices(&worked_targets()),
        &CrossEntropyOptions::default().reduction(Reduction::None),
    )?;
    let per = per
        .per_sample()
        .ok_or_else(|| book_err("Reduction::None returned a scalar"))?;
    let mut s = String::from(
        "| $i$ | $y_i$ | $q_{i,0}$ | $q_{i,1}$ | $q_{i,2}$ | $q_{i,y_i}$ | $-\\log q_{i,y_i}$ |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (i, (q, &y)) in WORKED_PROBS.iter().zip(&WORKED_LABELS).enumerate() {
        let _ = writeln!(
            s,
            "| {} | {y} | {} | {} | {} | {} | {} |",
            i + 1,
            q[0],
            q[1],
            q[2],
            q[y],
            fixed6(per[i])
        );
    }
    let _ = writeln!(s, "| $\\sum$ | | | | | | {} |", fixed6(per.sum()));
    Ok(s)
}

/// The empirical conditional distributions `p̂(y | x)` of the conditional example, one row
/// per input (`inputs` are indices `0..X`, `labels` classes `0..classes`).
///
/// # Errors
/// [`ce_mle::Error::ClassIndexOutOfRange`] for a label `≥ classes`.
pub fn conditional_frequencies(
    inputs: &[usize],
    labels: &[usize],
    classes: usize,
) -> ce_mle::Result<DMatrix<f64>> {
    let n_inputs = inputs.iter().max().map_or(0, |m| m + 1);
    let mut p = DMatrix::zeros(n_inputs, classes);
    for (row, (&x, &y)) in inputs.iter().zip(labels).enumerate() {
        if y >= classes {
            return Err(ce_mle::Error::ClassIndexOutOfRange {
                row,
                index: y as i64,
                classes,
                ignore_index: -100,
            });
        }
        p[(x, y)] += 1.0;
    }
    for mut row in p.row_iter_mut() {
        let n = row.sum();
        if n > 0.0 {
            row /= n;
        }
    }
    Ok(p)
}

/// Every number the equivalence chapter quotes, as `ANCHOR` regions.
fn equivalence_values() -> Result<String> {
    let mut a = Anchored::default();
    a.put(
        "tolerance",
        prose_number(&format!("{:e}", super::LISTING_TOLERANCE)),
    );

    // Worked example: CE per sample, sum = NLL, mean = NLL / N.
    let targets = worked_targets();
    let logits = logits_of(&WORKED_PROBS);
    let ce = |r: Reduction| -> Result<f64> {
        scalar(&cross_entropy(
            &logits,
            Target::Indices(&targets),
            &CrossEntropyOptions::default().reduction(r),
        )?)
    };
    let observed: Vec<f64> = WORKED_PROBS
        .iter()
        .zip(&WORKED_LABELS)
        .map(|(q, &y)| q[y])
        .collect();
    let likelihood: f64 = observed.iter().product();
    a.put("worked_q0", tuple_exact(&WORKED_PROBS[0]));
    a.put("worked_q1", tuple_exact(&WORKED_PROBS[1]));
    a.put(
        "worked_labels",
        format!("({}, {})", WORKED_LABELS[0], WORKED_LABELS[1]),
    );
    a.put("worked_likelihood", format!("{likelihood:.2}"));
    a.put(
        "worked_nll",
        fixed6(ce_mle::likelihood::negative_log_likelihood(&observed)?),
    );
    a.put("worked_sum_ce", fixed6(ce(Reduction::Sum)?));
    a.put("worked_mean_ce", fixed6(ce(Reduction::Mean)?));

    // The conditional example: the best conditional model and its loss.
    let p = conditional_frequencies(&COND_INPUTS, &COND_LABELS, 3)?;
    let rows: Vec<String> = p
        .row_iter()
        .map(|r| tuple_exact(&r.iter().copied().collect::<Vec<_>>()))
        .collect();
    a.put("cond_pairs", {
        let pairs: Vec<String> = COND_INPUTS
            .iter()
            .zip(&COND_LABELS)
            .map(|(x, y)| format!("({x}, {y})"))
            .collect();
        pairs.join(", ")
    });
    a.put("cond_p0", &rows[0]);
    a.put("cond_p1", &rows[1]);
    let n = COND_INPUTS.len() as f64;
    let mut h_cond = 0.0;
    for x in 0..p.nrows() {
        let share = COND_INPUTS.iter().filter(|&&i| i == x).count() as f64 / n;
        h_cond += share * entropy(&p.row(x).transpose())?;
    }
    a.put("cond_entropy", fixed6(h_cond));
    let marginal = categorical_mle(&COND_LABELS, 3)?;
    a.put("cond_marginal", tuple_exact(marginal.as_slice()));
    a.put("cond_marginal_entropy", fixed6(entropy(&marginal)?));

    // Soft target: CE = H + KL.
    let p = dist(&SOFT_P);
    let q = dist(&SOFT_Q);
    a.put("soft_p", tuple_exact(&SOFT_P));
    a.put("soft_q", tuple_exact(&SOFT_Q));
    a.put("soft_entropy", fixed6(entropy(&p)?));
    a.put("soft_kl", fixed6(kl_divergence(&p, &q)?));
    a.put("soft_ce", fixed6(cross_entropy_between(&p, &q)?));
    let z = DMatrix::from_fn(1, 3, |_, k| SOFT_Q[k].ln());
    let target = DMatrix::from_row_slice(1, 3, &SOFT_P);
    a.put(
        "soft_loss",
        fixed6(scalar(&cross_entropy(
            &z,
            Target::Probabilities(&target),
            &CrossEntropyOptions::default(),
        )?)?),
    );
    Ok(a.0)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A box of the lanes diagram: `(x, y, width, lines)`, 54 pixels high.
fn lane_box(svg: &mut String, (x, y, w): (f64, f64, f64), color: &str, lines: &[String]) {
    let _ = writeln!(
        svg,
        r#"<rect x="{x}" y="{y}" width="{w}" height="54" rx="8" fill="none" stroke="{color}" stroke-width="2"/>"#
    );
    let top = y + 27.0 - 9.0 * (lines.len() as f64 - 1.0);
    for (i, l) in lines.iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="14" text-anchor="middle" dominant-baseline="middle">{}</text>"#,
            x + w / 2.0,
            top + 18.0 * i as f64,
            xml_escape(l)
        );
    }
}

/// An arrow from `(x1, y1)` to `(x2, y2)`.
fn arrow(svg: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), color: &str) {
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = dx.hypot(dy);
    let (ux, uy) = (dx / len, dy / len);
    let (bx, by) = (x2 - 10.0 * ux, y2 - 10.0 * uy);
    let _ = writeln!(
        svg,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{bx:.1}" y2="{by:.1}" stroke="{color}" stroke-width="2"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<polygon points="{x2:.1},{y2:.1} {:.1},{:.1} {:.1},{:.1}" fill="{color}"/>"#,
        bx - 5.0 * uy,
        by + 5.0 * ux,
        bx + 5.0 * uy,
        by - 5.0 * ux
    );
}

/// The two-lane diagram of the worked example: the likelihood lane (probabilities of the
/// observed labels → product → −log) and the cross-entropy lane (one-hot targets → a
/// cross-entropy per sample → sum), landing on the same number. Every number is computed
/// here: the product directly, the cross-entropies by [`cross_entropy`]; the function fails
/// if the two lanes disagree by more than [`super::LISTING_TOLERANCE`].
fn lanes_figure(lang: &str) -> Result<String> {
    super::check_lang(lang)?;
    let zh = lang == "zh";
    let observed: Vec<f64> = WORKED_PROBS
        .iter()
        .zip(&WORKED_LABELS)
        .map(|(q, &y)| q[y])
        .collect();
    let likelihood: f64 = observed.iter().product();
    let nll = -likelihood.ln();
    let per = cross_entropy(
        &logits_of(&WORKED_PROBS),
        Target::Indices(&worked_targets()),
        &CrossEntropyOptions::default().reduction(Reduction::None),
    )?;
    let per = per
        .per_sample()
        .ok_or_else(|| book_err("Reduction::None returned a scalar"))?
        .clone();
    let sum = per.sum();
    if (sum - nll).abs() > super::LISTING_TOLERANCE {
        return Err(book_err("the two lanes of the diagram disagree"));
    }
    let one_hot = |y: usize| {
        let v: Vec<&str> = (0..3).map(|c| if c == y { "1" } else { "0" }).collect();
        format!("({})", v.join(", "))
    };
    let t = |en: &str, z: &str| if zh { z.to_owned() } else { en.to_owned() };
    let blue = "#0072B2";
    let red = "#D55E00";
    let (w, h) = (760.0, 300.0);
    let mut svg = String::new();
    let lang_attr = if zh { r#" xml:lang="zh-Hans""# } else { "" };
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg"{lang_attr} width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="24" font-size="15" fill="{blue}">{}</text>"#,
        xml_escape(&t("likelihood lane", "似然这一路"))
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="284" font-size="15" fill="{red}">{}</text>"#,
        xml_escape(&t("cross-entropy lane", "交叉熵这一路"))
    );
    // Likelihood lane.
    lane_box(
        &mut svg,
        (10.0, 36.0, 200.0),
        blue,
        &[
            t("probabilities of the labels", "观测标签的概率"),
            format!("{}, {}", observed[0], observed[1]),
        ],
    );
    lane_box(
        &mut svg,
        (260.0, 36.0, 200.0),
        blue,
        &[t("multiply: L", "相乘：L"), format!("{likelihood}")],
    );
    lane_box(
        &mut svg,
        (510.0, 36.0, 130.0),
        blue,
        &[t("−log L", "−log L"), fixed6(nll)],
    );
    // Cross-entropy lane.
    lane_box(
        &mut svg,
        (10.0, 210.0, 200.0),
        red,
        &[
            t("one-hot targets", "独热编码目标"),
            format!(
                "{} {}",
                one_hot(WORKED_LABELS[0]),
                one_hot(WORKED_LABELS[1])
            ),
        ],
    );
    lane_box(
        &mut svg,
        (260.0, 210.0, 200.0),
        red,
        &[
            t("cross-entropy per sample", "每个样本的交叉熵"),
            format!("{}, {}", fixed6(per[0]), fixed6(per[1])),
        ],
    );
    lane_box(
        &mut svg,
        (510.0, 210.0, 130.0),
        red,
        &[t("sum", "求和"), fixed6(sum)],
    );
    // The common result.
    let _ = writeln!(
        svg,
        r##"<rect x="660" y="123" width="90" height="54" rx="8" fill="none" stroke="#000000" stroke-width="2.5"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="705" y="150" font-size="15" font-weight="bold" text-anchor="middle" dominant-baseline="middle">{}</text>"#,
        fixed6(sum)
    );
    arrow(&mut svg, (210.0, 63.0), (260.0, 63.0), blue);
    arrow(&mut svg, (460.0, 63.0), (510.0, 63.0), blue);
    arrow(&mut svg, (640.0, 63.0), (690.0, 123.0), blue);
    arrow(&mut svg, (210.0, 237.0), (260.0, 237.0), red);
    arrow(&mut svg, (460.0, 237.0), (510.0, 237.0), red);
    arrow(&mut svg, (640.0, 237.0), (690.0, 177.0), red);
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "equivalence",
    files: &[
        "equivalence-worked.md",
        "equivalence-values.txt",
        "equivalence-lanes.en.svg",
        "equivalence-lanes.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![
        equivalence_worked()?,
        equivalence_values()?,
        lanes_figure("en")?,
        lanes_figure("zh")?,
    ])
}
