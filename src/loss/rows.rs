//! The cross-entropy and the softmax family on PyTorch's memory layout: logits `(N, C)` as a
//! row-major slice of `N·C` numbers (class axis 1, each row contiguous), targets and outputs
//! likewise. This is the fast entry point for large inputs — a language model's
//! `(tokens, vocabulary)` logits — and the one the benchmarks measure: one read of the logits
//! for a forward pass, the gradient written in the same sweep (into a caller's buffer, or
//! over the logits themselves as Liger-Kernel does), no widened copy of `f32` input, and the
//! rows spread over the cores with the `rayon` feature.
//!
//! Semantics, options and errors are those of [`super::cross_entropy`] and
//! [`crate::softmax`]; `N` is `logits.len() / classes`. An error is reported by the reference
//! loops ([`super::reference`]), on a copy of the input: bad input costs time, good input
//! does not.

use nalgebra::DMatrix;

use super::cross_entropy::{FastTarget, fast_cross_entropy, prepared};
use super::fast::{self, Family, Layout, Plan, RowEnd, RowsTarget};
use super::{CrossEntropyOptions, Loss, Target, reference};
use crate::error::{Error, Result};
use crate::real::Real;

/// The target of a row-major call: class indices `(N,)`, or probabilities `(N, C)` row-major.
#[derive(Clone, Copy, Debug)]
pub enum RowTarget<'a, T: Real = f64> {
    /// One class index per row (or `ignore_index`).
    Indices(&'a [i64]),
    /// One distribution per row, row-major like the logits.
    Probabilities(&'a [T]),
}

/// `N` for `len` numbers of `classes` classes, or the error that the matrix API gives.
fn rows_of(len: usize, classes: usize, what: &'static str) -> Result<usize> {
    if classes == 0 {
        return Err(Error::Empty("input has zero classes (C = 0)"));
    }
    if !len.is_multiple_of(classes) {
        return Err(Error::ShapeMismatch {
            what,
            expected: format!("a multiple of C = {classes} numbers"),
            got: format!("{len}"),
        });
    }
    Ok(len / classes)
}

fn buffer_len(len: usize, expected: usize, what: &'static str) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what,
            expected: format!("{expected} numbers"),
            got: format!("{len}"),
        })
    }
}

/// The matrix API's answer on a copy: the reference reports the error (or, if it finds none,
/// its value is the answer).
fn via_matrix<T: Real>(
    logits: &[T],
    n: usize,
    classes: usize,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let z = DMatrix::from_row_slice(n, classes, logits);
    let probs;
    let target = match target {
        RowTarget::Indices(t) => Target::Indices(t),
        RowTarget::Probabilities(p) => {
            buffer_len(p.len(), logits.len(), "target")?;
            probs = DMatrix::from_row_slice(n, classes, p);
            Target::Probabilities(&probs)
        }
    };
    let (l, g) = reference::cross_entropy_generic(&z, target, opts, want_grad)?;
    Ok((l, g))
}

fn fast_target<T: Real>(t: RowTarget<'_, T>) -> FastTarget<'_, T> {
    match t {
        RowTarget::Indices(i) => FastTarget::Indices(i),
        RowTarget::Probabilities(p) => FastTarget::Probabilities(p),
    }
}

/// [`super::cross_entropy`] of row-major logits `(N, C)` (`logits.len() = N·C`), in nats.
///
/// # Errors
/// As [`super::cross_entropy`]; [`Error::ShapeMismatch`] if `logits.len()` is not a multiple
/// of `classes` (or a probability target has another length), [`Error::Empty`] for
/// `classes = 0`.
///
/// # Examples
/// ```
/// use ce_mle::loss::CrossEntropyOptions;
/// use ce_mle::loss::rows::{RowTarget, cross_entropy};
/// // Two rows of three classes, PyTorch's layout.
/// let z = [2.0f32, 1.0, 0.1, 0.0, 0.0, 0.0];
/// let l = cross_entropy(&z, 3, RowTarget::Indices(&[0, 2]), &CrossEntropyOptions::default())?;
/// let want = (0.417_030_0 + 3f64.ln()) / 2.0;
/// assert!((f64::from(l.scalar().unwrap()) - want).abs() < 1e-6);
/// # Ok::<(), ce_mle::Error>(())
/// ```
pub fn cross_entropy<T: Real>(
    logits: &[T],
    classes: usize,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<Loss<T>> {
    let n = rows_of(logits.len(), classes, "input")?;
    match fast_cross_entropy(
        logits,
        Layout::rows(n, classes),
        fast_target(target),
        opts,
        None,
    ) {
        Some(l) => Ok(l),
        None => Ok(via_matrix(logits, n, classes, target, opts, false)?.0),
    }
}

/// [`cross_entropy`] and its gradient with respect to the logits, written into `grad`
/// (row-major, `logits.len()` numbers; every element is written).
///
/// # Errors
/// As [`cross_entropy`]; [`Error::ShapeMismatch`] if `grad` has another length.
pub fn cross_entropy_with_grad<T: Real>(
    logits: &[T],
    classes: usize,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    grad: &mut [T],
) -> Result<Loss<T>> {
    let n = rows_of(logits.len(), classes, "input")?;
    buffer_len(grad.len(), logits.len(), "grad")?;
    let layout = Layout::rows(n, classes);
    match fast_cross_entropy(logits, layout, fast_target(target), opts, Some(grad)) {
        Some(l) => Ok(l),
        None => {
            let (l, g) = via_matrix(logits, n, classes, target, opts, true)?;
            copy_row_major(g.as_ref(), grad);
            Ok(l)
        }
    }
}

/// [`cross_entropy`], with its gradient written over the logits (Liger-Kernel's in-place
/// backward): no second `N·C` buffer.
///
/// The options and the target are checked before anything is written. A NaN or `+∞` logit
/// (or a kept row of only `−∞`) is found as its row is read: that row is left as it was, the
/// other rows receive their gradients, and the error names the first such element in
/// row-major order. (One exception: under `Mean`, class weights so unequal that the
/// denominator `Σ w_y` has no finite reciprocal — the kept rows' weights summing to less than
/// `2^-1024` of the largest weight — are left to the reference loops, which report any error
/// before writing anything.)
///
/// # Errors
/// As [`cross_entropy`].
pub fn cross_entropy_backward_in_place<T: Real>(
    logits: &mut [T],
    classes: usize,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<Loss<T>> {
    let n = rows_of(logits.len(), classes, "input")?;
    let layout = Layout::rows(n, classes);
    let prep = match prepared(layout, fast_target(target), opts) {
        // An error of the options or the target: reported before anything is written.
        Err(_) => return Ok(via_matrix(logits, n, classes, target, opts, false)?.0),
        // A case that the fast path leaves to the reference (see `Prepared::fast_scale`),
        // whose gradient is then written over the logits.
        Ok(p) if !p.fast_scale() => {
            let (l, g) = via_matrix(logits, n, classes, target, opts, true)?;
            copy_row_major(g.as_ref(), logits);
            return Ok(l);
        }
        Ok(p) => p,
    };
    let rows_target = match (&prep.classes, target) {
        (Some(cl), _) => RowsTarget::Classes(cl),
        (None, RowTarget::Probabilities(p)) => RowsTarget::Probabilities(p),
        (None, RowTarget::Indices(_)) => unreachable!("class targets are prepared"),
    };
    let plan = Plan {
        layout,
        target: rows_target,
        weight: prep.weight.as_deref(),
        eps: opts.label_smoothing,
        grad_scale: prep.grad_scale,
    };
    let (per, ends) = fast::cross_entropy_in_place(logits, &plan);
    if let Some(r) = ends.iter().position(|e| *e != RowEnd::Done) {
        let row = &logits[r * classes..(r + 1) * classes];
        return Err(match ends[r] {
            RowEnd::AllNegInf => Error::AllNegInfRow { row: r },
            _ => bad_element(row, r),
        });
    }
    let (loss, _) = super::reduce(per, opts.reduction, prep.denom)?;
    Ok(super::narrow_loss(loss))
}

/// The error of the first NaN or `+∞` of row `r` (the reference's words).
fn bad_element<T: Real>(row: &[T], r: usize) -> Error {
    let (col, value) = row
        .iter()
        .map(|x| x.as_f64())
        .enumerate()
        .find(|(_, x)| x.is_nan() || *x == f64::INFINITY)
        .unwrap_or((0, f64::NAN));
    Error::InvalidValue {
        what: "input",
        row: r,
        col,
        value,
        reason: if value.is_nan() {
            "NaN is not a number"
        } else {
            "+inf is not a logit (softmax would be inf/inf); use a large finite value"
        },
    }
}

fn copy_row_major<T: Real>(g: Option<&DMatrix<T>>, out: &mut [T]) {
    if let Some(g) = g {
        let c = g.ncols();
        for (r, row) in out.chunks_exact_mut(c.max(1)).enumerate() {
            for (k, o) in row.iter_mut().enumerate() {
                *o = g[(r, k)];
            }
        }
    }
}

/// Row-wise `log_softmax` of row-major logits `(N, C)` into `out` (same length).
///
/// # Errors
/// As [`crate::softmax::log_softmax`]; [`Error::ShapeMismatch`] for a length that is not a
/// multiple of `classes` or an `out` of another length.
pub fn log_softmax<T: Real>(logits: &[T], classes: usize, out: &mut [T]) -> Result<()> {
    family(logits, classes, out, Family::LogSoftmax)
}

/// Row-wise `softmax` of row-major logits `(N, C)` into `out` (same length).
///
/// # Errors
/// As [`log_softmax`].
pub fn softmax<T: Real>(logits: &[T], classes: usize, out: &mut [T]) -> Result<()> {
    family(logits, classes, out, Family::Softmax)
}

/// [`rows_of`] with the softmax family's words for `C = 0` (those of [`crate::softmax`]).
fn family_rows_of(len: usize, classes: usize) -> Result<usize> {
    if classes == 0 {
        return Err(Error::Empty("logits have zero classes (C = 0)"));
    }
    rows_of(len, classes, "input")
}

fn family<T: Real>(logits: &[T], classes: usize, out: &mut [T], which: Family) -> Result<()> {
    let n = family_rows_of(logits.len(), classes)?;
    buffer_len(out.len(), logits.len(), "out")?;
    match fast::family(logits, Layout::rows(n, classes), which, out) {
        Ok(None) => Ok(()),
        Ok(Some(row)) => Err(Error::AllNegInfRow { row }),
        Err(_) => {
            let z = DMatrix::from_row_slice(n, classes, logits);
            let m = match which {
                Family::LogSoftmax => reference::log_softmax(&z)?,
                Family::Softmax => reference::softmax(&z)?,
            };
            copy_row_major(Some(&m), out);
            Ok(())
        }
    }
}

/// Row-wise `logsumexp` of row-major logits `(N, C)` into `out` (`N` numbers).
///
/// # Errors
/// As [`crate::softmax::logsumexp`]; [`Error::ShapeMismatch`] for a length that is not a
/// multiple of `classes` or an `out` of another length than `N`.
pub fn logsumexp<T: Real>(logits: &[T], classes: usize, out: &mut [T]) -> Result<()> {
    let n = family_rows_of(logits.len(), classes)?;
    buffer_len(out.len(), n, "out")?;
    let layout = Layout::rows(n, classes);
    let lse = fast::all_stats(logits, layout)
        .ok()
        .map(|st| fast::logsumexps(&st));
    match lse {
        Some(Ok(v)) => {
            for (o, x) in out.iter_mut().zip(v) {
                *o = T::round_from_f64(x);
            }
            Ok(())
        }
        // A NaN/+∞ (the reference reports it) or a row whose sum cancels (it recomputes it).
        _ => {
            let z = DMatrix::from_row_slice(n, classes, logits);
            let v = reference::logsumexp(&z)?;
            out.copy_from_slice(v.as_slice());
            Ok(())
        }
    }
}

pub use super::kernel::limit_simd;

/// The matrix API on the same numbers (for the tests' comparisons).
#[doc(hidden)]
pub fn via_matrix_with_grad<T: Real>(
    logits: &[T],
    classes: usize,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let n = rows_of(logits.len(), classes, "input")?;
    let z = DMatrix::from_row_slice(n, classes, logits);
    let probs;
    let target = match target {
        RowTarget::Indices(t) => Target::Indices(t),
        RowTarget::Probabilities(p) => {
            probs = DMatrix::from_row_slice(n, classes, p);
            Target::Probabilities(&probs)
        }
    };
    super::cross_entropy_with_grad(&z, target, opts)
}
