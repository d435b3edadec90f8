//! The slow, obviously-correct loops: the cross-entropy and the softmax family one row at a
//! time, in `f64` (an `f32` input is widened first), with the rows copied out of nalgebra's
//! column-major storage. The fast kernels ([`super::cross_entropy`], [`crate::softmax`],
//! [`super::rows`]) are tested against these, as PyTorch tests its kernels against a plain
//! reference; these are also what reports the error when the fast path meets bad input.
//!
//! Accuracy: the per-sample loss is `−log_softmax(z)_y` of one row (`log_softmax_row`):
//! `log1p(s)` for the largest logit, `(m − z_y) + log1p(s)` otherwise (no cancellation, `s`
//! compensated), within 1 ULP in `f64` and correctly rounded in `f32` on the hard cases of
//! `tests/fixtures/precise_hard.json` (measured by `book/tests/ulp.rs`).

use nalgebra::{DMatrix, DVector};

use super::{CrossEntropyOptions, Loss, Reduction, Target, check_weights, narrow_loss, reduce};
use crate::error::{Error, Result, shape};
use crate::information::check_distribution;
use crate::real::{Real, narrow, narrow_vec, widen, widen_vec};
use crate::softmax::{
    check_logits, check_no_nan_or_plus_inf, log_softmax_row, logsumexp_f64, map_rows, softmax_row,
};

/// Validated common inputs.
pub(crate) struct Checked {
    pub(crate) n: usize,
    pub(crate) c: usize,
    /// The class weights, divided by their maximum under `Mean` for index targets (see the
    /// module docs).
    pub(crate) weight: Option<Vec<f64>>,
}

/// `scale_mean`: divide the weights by their maximum under `Mean`. Only valid where the mean's
/// denominator is the sum of the weights (class-index targets), so that the scale cancels.
pub(crate) fn check_common(
    log_probs: bool,
    input: &DMatrix<f64>,
    weight: &Option<DVector<f64>>,
    reduction: Reduction,
    scale_mean: bool,
) -> Result<Checked> {
    let (n, c) = input.shape();
    if c == 0 {
        return Err(Error::Empty("input has zero classes (C = 0)"));
    }
    if log_probs {
        check_no_nan_or_plus_inf(
            "input",
            input,
            "+inf is not a log-probability (those are <= 0)",
        )?;
    } else {
        check_logits("input", input)?;
    }
    let weight = match weight {
        Some(w) => {
            if w.len() != c {
                return Err(Error::ShapeMismatch {
                    what: "weight",
                    expected: format!("({c},)"),
                    got: format!("({},)", w.len()),
                });
            }
            check_weights("weight", w.as_slice())?;
            let max = w.max();
            if scale_mean && reduction == Reduction::Mean && max > 0.0 {
                Some(w.iter().map(|x| x / max).collect())
            } else {
                Some(w.as_slice().to_vec())
            }
        }
        None => None,
    };
    Ok(Checked { n, c, weight })
}

/// `Some(class)` for a kept row, `None` for an ignored one.
pub(crate) fn class_of(row: usize, t: i64, c: usize, ignore_index: i64) -> Result<Option<usize>> {
    if t == ignore_index {
        return Ok(None);
    }
    if t < 0 || t as u64 >= c as u64 {
        return Err(Error::ClassIndexOutOfRange {
            row,
            index: t,
            classes: c,
            ignore_index,
        });
    }
    Ok(Some(t as usize))
}

fn row_of(m: &DMatrix<f64>, r: usize, buf: &mut [f64]) {
    for (j, x) in buf.iter_mut().enumerate() {
        *x = m[(r, j)];
    }
}

/// `a · b`, except that a zero coefficient wins over an infinite factor (`0 · ∞ = 0`): a term
/// that the formula multiplies by zero is absent, not NaN.
pub(crate) fn term(a: f64, b: f64) -> f64 {
    if a == 0.0 { 0.0 } else { a * b }
}

fn cross_entropy_impl(
    logits: &DMatrix<f64>,
    target: Target<'_, f64>,
    opts: &CrossEntropyOptions<f64>,
    want_grad: bool,
) -> Result<(Loss, Option<DMatrix<f64>>)> {
    let by_index = matches!(target, Target::Indices(_));
    let ck = check_common(false, logits, &opts.weight, opts.reduction, by_index)?;
    let (n, c) = (ck.n, ck.c);
    let eps = opts.label_smoothing;
    if !(0.0..=1.0).contains(&eps) {
        return Err(Error::InvalidLabelSmoothing(eps));
    }
    let w = |k: usize| ck.weight.as_ref().map_or(1.0, |w| w[k]);
    let w_total: f64 = (0..c).map(w).sum();
    let cf = c as f64;

    let mut per = Vec::with_capacity(n);
    let mut grad = want_grad.then(|| DMatrix::zeros(n, c));
    let mut z = vec![0.0; c];
    let mut lq = vec![0.0; c];
    let mut denom = 0.0;

    match target {
        Target::Indices(t) => {
            if t.len() != n {
                return Err(Error::ShapeMismatch {
                    what: "target",
                    expected: format!("({n},)"),
                    got: format!("({},)", t.len()),
                });
            }
            for (r, &tr) in t.iter().enumerate() {
                let Some(y) = class_of(r, tr, c, opts.ignore_index)? else {
                    per.push(0.0);
                    continue;
                };
                row_of(logits, r, &mut z);
                if !log_softmax_row(&z, &mut lq) {
                    return Err(Error::AllNegInfRow { row: r });
                }
                let wy = w(y);
                let nll = term(wy, -lq[y]);
                let smooth: f64 = (0..c).map(|k| term(w(k), -lq[k])).sum::<f64>() / cf;
                per.push(term(1.0 - eps, nll) + term(eps, smooth));
                denom += wy;
                if let Some(g) = grad.as_mut() {
                    for k in 0..c {
                        let q = lq[k].exp();
                        let hard = wy * (q - if k == y { 1.0 } else { 0.0 });
                        let soft = (w_total * q - w(k)) / cf;
                        // Without smoothing the smoothing term is absent, not 0·∞ = NaN when
                        // the weights' total overflows (PyTorch: finite).
                        g[(r, k)] = (1.0 - eps) * hard + term(eps, soft);
                    }
                }
            }
        }
        Target::Probabilities(p) => {
            if p.shape() != (n, c) {
                return Err(Error::ShapeMismatch {
                    what: "target",
                    expected: shape(n, c),
                    got: shape(p.nrows(), p.ncols()),
                });
            }
            if opts.ignore_index >= 0 {
                return Err(Error::IgnoreIndexWithProbabilities);
            }
            let mut pr = vec![0.0; c];
            for r in 0..n {
                row_of(p, r, &mut pr);
                check_distribution("target", r, &pr)?;
                row_of(logits, r, &mut z);
                if !log_softmax_row(&z, &mut lq) {
                    return Err(Error::AllNegInfRow { row: r });
                }
                for x in pr.iter_mut() {
                    *x = (1.0 - eps) * *x + eps / cf;
                }
                per.push((0..c).map(|k| term(w(k) * pr[k], -lq[k])).sum());
                if let Some(g) = grad.as_mut() {
                    let mass: f64 = (0..c).map(|k| w(k) * pr[k]).sum();
                    for k in 0..c {
                        g[(r, k)] = lq[k].exp() * mass - w(k) * pr[k];
                    }
                }
            }
            denom = n as f64;
        }
    }
    let (loss, scale) = reduce(per, opts.reduction, denom)?;
    if let Some(g) = grad.as_mut()
        && scale != 1.0
    {
        *g /= scale;
    }
    Ok((loss, grad))
}

/// The reference cross-entropy and, with `want_grad`, its gradient: widen to `f64` (a copy for
/// `f32`), one row at a time (`log_softmax_row`), round once to `T`. Formula, options
/// and errors as [`super::cross_entropy`].
///
/// # Errors
/// As [`super::cross_entropy`].
pub fn cross_entropy_generic<T: Real>(
    logits: &DMatrix<T>,
    target: Target<'_, T>,
    opts: &CrossEntropyOptions<T>,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let z = widen(logits);
    let probs;
    let target = match target {
        Target::Indices(t) => Target::Indices(t),
        Target::Probabilities(p) => {
            probs = widen(p);
            Target::Probabilities(&*probs)
        }
    };
    let opts = CrossEntropyOptions {
        weight: opts.weight.as_ref().map(|w| widen_vec(w).into_owned()),
        ignore_index: opts.ignore_index,
        reduction: opts.reduction,
        label_smoothing: opts.label_smoothing,
    };
    let (l, g) = cross_entropy_impl(&z, target, &opts, want_grad)?;
    Ok((narrow_loss(l), g.map(narrow)))
}

/// The reference [`super::cross_entropy`].
///
/// # Errors
/// As [`super::cross_entropy`].
pub fn cross_entropy<T: Real>(
    logits: &DMatrix<T>,
    target: Target<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<Loss<T>> {
    Ok(cross_entropy_generic(logits, target, opts, false)?.0)
}

/// The reference [`super::cross_entropy_with_grad`].
///
/// # Errors
/// As [`super::cross_entropy`].
pub fn cross_entropy_with_grad<T: Real>(
    logits: &DMatrix<T>,
    target: Target<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let (l, g) = cross_entropy_generic(logits, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}

/// The reference [`crate::softmax::softmax`].
///
/// # Errors
/// As [`crate::softmax::softmax`].
pub fn softmax<T: Real>(logits: &DMatrix<T>) -> Result<DMatrix<T>> {
    Ok(narrow(map_rows(&widen(logits), softmax_row)?))
}

/// The reference [`crate::softmax::log_softmax`].
///
/// # Errors
/// As [`crate::softmax::softmax`].
pub fn log_softmax<T: Real>(logits: &DMatrix<T>) -> Result<DMatrix<T>> {
    Ok(narrow(map_rows(&widen(logits), log_softmax_row)?))
}

/// The reference [`crate::softmax::logsumexp`].
///
/// # Errors
/// As [`crate::softmax::logsumexp`].
pub fn logsumexp<T: Real>(logits: &DMatrix<T>) -> Result<DVector<T>> {
    Ok(narrow_vec(logsumexp_f64(&widen(logits))?))
}
