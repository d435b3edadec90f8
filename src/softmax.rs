//! The softmax family: `logsumexp`, `softmax`, `log_softmax`, numerically stable for any
//! finite logits (±1e308 included).
//!
//! # Shapes
//! Batched functions take logits of shape `(N, C)`: one row per sample, **the class axis is
//! axis 1** (columns), as in PyTorch's `dim=1`. The `_vector` forms take one unbatched row
//! `(C,)`.
//!
//! # Formulas (natural logarithms: results in nats)
//! With `m = max_j z_j` and `s = Σ_{j ≠ argmax} exp(z_j − m)`:
//!
//! * `logsumexp(z) = log Σ_j exp(z_j) = m + log1p(s)`
//! * `log_softmax(z)_i = (z_i − m) − log1p(s)`
//! * `softmax(z)_i = exp(z_i − m) / (1 + s)`
//!
//! Subtracting the maximum keeps every exponent ≤ 0, so nothing overflows; `log1p(s)` keeps the
//! digits when one logit dominates (`s` tiny). Shift invariance, `log_softmax(z + c) =
//! log_softmax(z)`, is theorem T6 in the book's chapter on the proof.
//!
//! # Non-finite logits
//! * `−∞` is a legal logit: it means probability exactly 0.
//! * A row of only `−∞`: `logsumexp` is `−∞` (log of an empty sum); `softmax` and `log_softmax`
//!   return [`Error::AllNegInfRow`] (the distribution would be 0/0).
//! * `NaN` and `+∞` are refused with [`Error::InvalidValue`]. PyTorch propagates NaN silently; a
//!   verification suite should say where the NaN came from instead.
//!
//! # Precision
//! Generic over [`Real`] (`f32` or `f64`): an `f32` input is computed in `f64` and each result
//! rounded once to `f32` (see [`crate::real`]).
//!
//! # Layout
//! nalgebra stores matrices column-major, so a sample (a row) is strided. Each row is copied
//! into a small contiguous buffer before its reduction; this keeps the kernel simple and
//! obviously correct, which is what a teaching crate needs first.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};
use crate::real::{Real, narrow, narrow_vec, widen, widen_vec};

/// Validate logits: no NaN, no +∞. `−∞` is allowed.
pub(crate) fn check_logits(what: &'static str, logits: &DMatrix<f64>) -> Result<()> {
    check_no_nan_or_plus_inf(
        what,
        logits,
        "+inf is not a logit (softmax would be inf/inf); use a large finite value",
    )
}

/// Refuse NaN and +∞ (explaining +∞ with `plus_inf`); `−∞` is allowed.
pub(crate) fn check_no_nan_or_plus_inf(
    what: &'static str,
    logits: &DMatrix<f64>,
    plus_inf: &'static str,
) -> Result<()> {
    for c in 0..logits.ncols() {
        for r in 0..logits.nrows() {
            let v = logits[(r, c)];
            if v.is_nan() {
                return Err(Error::InvalidValue {
                    what,
                    row: r,
                    col: c,
                    value: v,
                    reason: "NaN is not a number",
                });
            }
            if v == f64::INFINITY {
                return Err(Error::InvalidValue {
                    what,
                    row: r,
                    col: c,
                    value: v,
                    reason: plus_inf,
                });
            }
        }
    }
    Ok(())
}

/// `(m, s)` for one row: the maximum and `Σ_{j ≠ first argmax} exp(z_j − m)`.
/// For a row of only −∞, `m = −∞` and `s = 0`.
pub(crate) fn max_and_tail(row: &[f64]) -> (f64, f64) {
    let mut arg = 0;
    let mut m = f64::NEG_INFINITY;
    for (j, &z) in row.iter().enumerate() {
        if z > m {
            m = z;
            arg = j;
        }
    }
    if m == f64::NEG_INFINITY {
        return (m, 0.0);
    }
    let s = row
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != arg)
        .map(|(_, &z)| (z - m).exp())
        .sum();
    (m, s)
}

/// log Σ exp of one row; `−∞` for an empty or all-`−∞` row.
pub(crate) fn logsumexp_row(row: &[f64]) -> f64 {
    let (m, s) = max_and_tail(row);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + s.ln_1p()
}

/// `log_softmax` of one row into `out`; returns `false` for an all-`−∞` row.
pub(crate) fn log_softmax_row(row: &[f64], out: &mut [f64]) -> bool {
    let (m, s) = max_and_tail(row);
    if m == f64::NEG_INFINITY {
        return false;
    }
    let l = s.ln_1p();
    for (o, &z) in out.iter_mut().zip(row) {
        *o = (z - m) - l;
    }
    true
}

/// `softmax` of one row into `out`; returns `false` for an all-`−∞` row.
pub(crate) fn softmax_row(row: &[f64], out: &mut [f64]) -> bool {
    let (m, s) = max_and_tail(row);
    if m == f64::NEG_INFINITY {
        return false;
    }
    let d = 1.0 + s;
    for (o, &z) in out.iter_mut().zip(row) {
        *o = (z - m).exp() / d;
    }
    true
}

fn check_classes(logits: &DMatrix<f64>) -> Result<()> {
    if logits.ncols() == 0 {
        return Err(Error::Empty("logits have zero classes (C = 0)"));
    }
    check_logits("logits", logits)
}

fn map_rows(logits: &DMatrix<f64>, f: fn(&[f64], &mut [f64]) -> bool) -> Result<DMatrix<f64>> {
    check_classes(logits)?;
    let (n, c) = logits.shape();
    let mut out = DMatrix::zeros(n, c);
    let mut row = vec![0.0; c];
    let mut res = vec![0.0; c];
    for r in 0..n {
        for (j, x) in row.iter_mut().enumerate() {
            *x = logits[(r, j)];
        }
        if !f(&row, &mut res) {
            return Err(Error::AllNegInfRow { row: r });
        }
        for (j, &v) in res.iter().enumerate() {
            out[(r, j)] = v;
        }
    }
    Ok(out)
}

/// Row-wise `log Σ_j exp(z_{n,j})` of logits `(N, C)` → `(N,)`, in nats. PyTorch:
/// `torch.logsumexp(z, dim=1)`.
///
/// Stable for any finite input: `logsumexp([f64::MAX, f64::MAX]) = f64::MAX` (the exact value
/// `MAX + ln 2` rounds to it), and a row of only `−∞` gives `−∞`.
/// Bounds (T6): `max z ≤ logsumexp(z) ≤ max z + ln C`.
///
/// # Errors
/// [`Error::Empty`] if C = 0; [`Error::InvalidValue`] for NaN or +∞.
///
/// # Examples
/// ```
/// # use nalgebra::DMatrix;
/// let z = DMatrix::from_row_slice(1, 2, &[0.0, 0.0]);
/// let lse = ce_mle::softmax::logsumexp(&z).unwrap();
/// assert!((lse[0] - 2f64.ln()).abs() < 1e-15);
/// ```
pub fn logsumexp<T: Real>(logits: &DMatrix<T>) -> Result<DVector<T>> {
    Ok(narrow_vec(logsumexp_f64(&widen(logits))?))
}

pub(crate) fn logsumexp_f64(logits: &DMatrix<f64>) -> Result<DVector<f64>> {
    check_classes(logits)?;
    let (n, c) = logits.shape();
    let mut row = vec![0.0; c];
    Ok(DVector::from_iterator(
        n,
        (0..n).map(|r| {
            for (j, x) in row.iter_mut().enumerate() {
                *x = logits[(r, j)];
            }
            logsumexp_row(&row)
        }),
    ))
}

/// Row-wise softmax of logits `(N, C)` → probabilities `(N, C)`; each row sums to 1.
/// `softmax(z)_i = exp(z_i) / Σ_j exp(z_j)`. PyTorch: `torch.softmax(z, dim=1)`.
///
/// # Errors
/// [`Error::Empty`] if C = 0; [`Error::InvalidValue`] for NaN or +∞;
/// [`Error::AllNegInfRow`] for a row of only −∞ (PyTorch returns NaN there).
pub fn softmax<T: Real>(logits: &DMatrix<T>) -> Result<DMatrix<T>> {
    Ok(narrow(map_rows(&widen(logits), softmax_row)?))
}

/// Row-wise `log softmax` of logits `(N, C)` → log-probabilities `(N, C)`, in nats:
/// `z_i − logsumexp(z)`, computed as `(z_i − m) − log1p(s)` (module docs).
/// PyTorch: `torch.log_softmax(z, dim=1)`.
///
/// # Errors
/// As [`softmax`].
pub fn log_softmax<T: Real>(logits: &DMatrix<T>) -> Result<DMatrix<T>> {
    Ok(narrow(map_rows(&widen(logits), log_softmax_row)?))
}

fn as_row<T: Real>(v: &DVector<T>) -> DMatrix<f64> {
    let v = widen_vec(v);
    DMatrix::from_row_slice(1, v.len(), v.as_slice())
}

/// [`logsumexp`] of one unbatched row `(C,)`.
///
/// # Errors
/// As [`logsumexp`].
pub fn logsumexp_vector<T: Real>(logits: &DVector<T>) -> Result<T> {
    Ok(T::round_from_f64(logsumexp_f64(&as_row(logits))?[0]))
}

/// [`softmax`] of one unbatched row `(C,)`.
///
/// # Errors
/// As [`softmax`].
pub fn softmax_vector<T: Real>(logits: &DVector<T>) -> Result<DVector<T>> {
    let m = map_rows(&as_row(logits), softmax_row)?;
    Ok(DVector::from_iterator(
        m.ncols(),
        m.iter().map(|&x| T::round_from_f64(x)),
    ))
}

/// [`log_softmax`] of one unbatched row `(C,)`.
///
/// # Errors
/// As [`softmax`].
pub fn log_softmax_vector<T: Real>(logits: &DVector<T>) -> Result<DVector<T>> {
    let m = map_rows(&as_row(logits), log_softmax_row)?;
    Ok(DVector::from_iterator(
        m.ncols(),
        m.iter().map(|&x| T::round_from_f64(x)),
    ))
}
