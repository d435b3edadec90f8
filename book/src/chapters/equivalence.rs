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

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "equivalence",
    files: &["equivalence-worked.md", "equivalence-values.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![equivalence_worked()?, equivalence_values()?])
}
