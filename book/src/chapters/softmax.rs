//! Softmax: overflow and underflow, shift invariance, the gradient softmax − y by finite
//! differences, the Hessian.
//!
//! The numbers and figures of `book/{en,zh}/src/softmax.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/softmax.rs`) asserts it uses.

use std::fmt::Write as _;

use nalgebra::{DMatrix, DVector};

use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy, cross_entropy_with_grad};
use ce_mle::softmax::{log_softmax, logsumexp, softmax};

use super::{
    Anchored, Outputs, book_err, fixed6, prose_number, scalar, sci_tex, trimmed, tuple_exact,
    tuple_fixed6,
};
use crate::error::Result;

/// Logits whose naive softmax overflows (softmax chapter).
pub const BIG_LOGITS: [f64; 3] = [1000.0, 999.0, 998.0];
/// Logits whose naive log-sum-exp underflows (softmax chapter).
pub const SMALL_LOGITS: [f64; 2] = [-1000.0, -1000.0];
/// Logits where one class dominates: the loss of class 0 is `log1p(e^{-40})` (softmax chapter).
pub const DOMINANT_LOGITS: [f64; 2] = [0.0, -40.0];
/// Shift added to the logits in the softmax chapter's invariance example.
pub const SHIFT: f64 = 100.0;
/// Step of the central finite differences of the softmax chapter.
pub const FD_STEP: f64 = 1e-6;
/// Logits of the chapter's gradient example.
pub const GRAD_LOGITS: [f64; 3] = [2.0, 1.0, 0.1];
/// Observed class of the chapter's gradient example.
pub const GRAD_LABEL: usize = 0;

/// The Hessian of `logsumexp` at `z`: `diag(q) − q qᵀ` with `q = softmax(z)`.
#[must_use]
pub fn softmax_hessian(q: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_diagonal(q) - q * q.transpose()
}

fn softmax_values() -> Result<String> {
    let mut a = Anchored::default();
    // Naive evaluation overflows / underflows; the stable one does not.
    let big = DMatrix::from_row_slice(1, 3, &BIG_LOGITS);
    let naive_num = BIG_LOGITS[0].exp();
    let naive_den: f64 = BIG_LOGITS.iter().map(|z| z.exp()).sum();
    a.put("big_z", tuple_exact(&BIG_LOGITS));
    a.put("big_naive", format!("{:?}", naive_num / naive_den));
    let q: Vec<f64> = softmax(&big)?.row(0).iter().copied().collect();
    a.put("big_stable", tuple_fixed6(&q));
    let small = DMatrix::from_row_slice(1, 2, &SMALL_LOGITS);
    let naive_lse = SMALL_LOGITS.iter().map(|z| z.exp()).sum::<f64>().ln();
    a.put("small_z", tuple_exact(&SMALL_LOGITS));
    a.put("small_naive", prose_number(&format!("{naive_lse:?}")));
    a.put("small_stable", prose_number(&fixed6(logsumexp(&small)?[0])));
    let dom = DMatrix::from_row_slice(1, 2, &DOMINANT_LOGITS);
    let exact = (DOMINANT_LOGITS[1] - DOMINANT_LOGITS[0]).exp().ln_1p();
    let naive = (1.0 + (DOMINANT_LOGITS[1] - DOMINANT_LOGITS[0]).exp()).ln();
    a.put("dom_z", tuple_exact(&DOMINANT_LOGITS));
    a.put("dom_stable", sci_tex(-log_softmax(&dom)?[(0, 0)], 6));
    a.put("dom_exact", sci_tex(exact, 6));
    a.put("dom_naive", format!("{naive:?}"));
    // The gradient q − y of that loss: its class-1 component is q₁ > 0 (the chapter says so).
    let (_, dom_grad) =
        cross_entropy_with_grad(&dom, Target::Indices(&[0]), &CrossEntropyOptions::default())?;
    if dom_grad[(0, 1)] <= 0.0 {
        return Err(book_err(
            "the softmax chapter says q₁ > 0 at the dominant logits",
        ));
    }
    a.put("dom_q1", sci_tex(dom_grad[(0, 1)], 6));

    // Shift invariance and the bounds of logsumexp.
    let z = DMatrix::from_row_slice(1, 3, &GRAD_LOGITS);
    let lse = logsumexp(&z)?[0];
    let m = GRAD_LOGITS.iter().copied().fold(f64::MIN, f64::max);
    a.put("shift", SHIFT);
    a.put("lse", fixed6(lse));
    a.put("lse_max", trimmed(m));
    a.put("lse_upper", fixed6(m + 3f64.ln()));
    let ls: Vec<f64> = log_softmax(&z)?.row(0).iter().copied().collect();
    a.put("log_softmax", tuple_fixed6(&ls));

    // The gradient, softmax − y, and finite differences.
    let y = GRAD_LABEL;
    let opts = CrossEntropyOptions::default();
    let (_, g) = cross_entropy_with_grad(&z, Target::Indices(&[y as i64]), &opts)?;
    let q = softmax(&z)?;
    a.put("grad_z", tuple_exact(&GRAD_LOGITS));
    a.put("grad_y", y);
    let qv: Vec<f64> = q.row(0).iter().copied().collect();
    let gv: Vec<f64> = g.row(0).iter().copied().collect();
    a.put("grad_softmax", tuple_fixed6(&qv));
    a.put("grad_value", prose_number(&tuple_fixed6(&gv)));
    let mut worst = 0.0_f64;
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += FD_STEP;
        down[(0, k)] -= FD_STEP;
        let f = |z: &DMatrix<f64>| -> Result<f64> {
            scalar(&cross_entropy(z, Target::Indices(&[y as i64]), &opts)?)
        };
        let numeric = (f(&up)? - f(&down)?) / (2.0 * FD_STEP);
        worst = worst.max((numeric - g[(0, k)]).abs());
    }
    // TeX (the step sits in `$h = …$`): 10^{-6}, not 1e-6, which would read as e − 6.
    let step = format!("{FD_STEP:e}");
    a.put(
        "fd_step",
        match step.split_once('e') {
            Some(("1", exp)) => format!("10^{{{exp}}}"),
            _ => sci_tex(FD_STEP, 1),
        },
    );
    a.put("fd_error", prose_number(&format!("{worst:.1e}")));

    // The Hessian and its eigenvalues.
    let qd = DVector::from_row_slice(&qv);
    let h = softmax_hessian(&qd);
    let mut eig: Vec<f64> = h
        .clone()
        .symmetric_eigen()
        .eigenvalues
        .iter()
        .copied()
        .collect();
    eig.sort_by(f64::total_cmp);
    // The smallest is 0 up to rounding (the chapter says so): quote the other two.
    if eig[0].abs() > 1e-12 {
        return Err(book_err("the softmax chapter says one eigenvalue is 0"));
    }
    a.put("hessian_eig_1", fixed6(eig[1]));
    a.put("hessian_eig_2", fixed6(eig[2]));
    let mut rows = String::new();
    for r in 0..3 {
        let cells: Vec<String> = (0..3).map(|c| fixed6(h[(r, c)])).collect();
        let _ = write!(rows, "{}", cells.join(" & "));
        if r < 2 {
            rows.push_str(" \\\\ ");
        }
    }
    a.put("hessian_tex", rows);
    Ok(a.0)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "softmax",
    files: &["softmax-values.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![softmax_values()?])
}
