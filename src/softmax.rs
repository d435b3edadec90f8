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
//! log_softmax(z)`, is theorem T6 of the book's softmax chapter.
//!
//! # Accuracy to the last bits
//! Three refinements of the formulas above, so that the results are within a few ULPs of the
//! exact values (targets: `log_softmax`, `logsumexp` ≤ 4 ULP, `softmax` ≤ 4 ULP for C ≤ 1000;
//! the book's appendix tabulates what `book/tests/ulp.rs` measures, next to PyTorch):
//!
//! * **`z_j − m` exactly.** The difference is split without error into `d + e` (`d` the
//!   rounded difference, `e` its rounding error, Knuth's two-sum), and `exp(z_j − m)` is
//!   evaluated as `exp(d)·(1 + e)`. Otherwise a difference that does not fit in 53 bits (e.g.
//!   `−700.3 − 0.1`) passes its rounding, relative `2^−53·|d|`, on to the exponential: 149 ULP
//!   for `softmax([0.1, −700.3])`. `log_softmax` uses `(d − log1p(s)) + e`.
//! * **`s` compensated.** `s = Σ exp(z_j − m)` is summed with compensation, so that its error
//!   does not grow with C, and without the maximum's own term (exactly 1), so that a tail far
//!   below 1 keeps its digits in `log1p(s)`. `softmax` divides by `1 + s` as a double-double.
//! * **Cancellation in `logsumexp`.** When `m < 0 < log1p(s)` nearly cancel (`log1p(s)`
//!   between `|m|/2` and `4|m|`), `s` and `log1p(s)` are recomputed in double-double
//!   arithmetic (about 106 bits) and added to `m` exactly: `logsumexp` of `[−fl(ln 2),
//!   −fl(ln 2)]` is `ln 2 − fl(ln 2) = 2.3e-17`, which plain `f64` (and PyTorch) give as 0.
//!   Only such rows (e.g. `logsumexp` of log-probabilities) take this slow path.
//!
//! `f32` input is computed in `f64` without a widened copy (see [`crate::loss`]'s fast
//! kernels) and each result rounded once.
//!
//! # Non-finite logits
//! * `−∞` is a legal logit: it means probability exactly 0.
//! * A row of only `−∞`: `logsumexp` is `−∞` (log of an empty sum); `softmax` and `log_softmax`
//!   return [`Error::AllNegInfRow`] (the distribution would be 0/0).
//! * `NaN` and `+∞` are refused with [`Error::InvalidValue`]. PyTorch propagates NaN silently; a
//!   verification suite should say where the NaN came from instead.
//!
//! # Kernels
//! These functions run on the fast kernels of [`crate::loss`] (one read of the logits,
//! vectorised, rows spread over the cores with the `rayon` feature), directly on nalgebra's
//! column-major storage; [`crate::loss::rows`] has the same functions for PyTorch's row-major
//! layout, and [`crate::loss::reference`] the slow, row-at-a-time loops they are tested
//! against (which also report bad input).

use nalgebra::{DMatrix, DVector};

use crate::compensated::{Dd, Neumaier, exp_dd, ln_1p_dd, two_diff, two_sum};
use crate::error::{Error, Result};
use crate::loss::fast::{self, Family, Layout};
use crate::real::Real;

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

/// The maximum of a row and the index of its first occurrence; `(−∞, 0)` for a row of only
/// `−∞` (or an empty one).
fn row_max(row: &[f64]) -> (f64, usize) {
    let mut arg = 0;
    let mut m = f64::NEG_INFINITY;
    for (j, &z) in row.iter().enumerate() {
        if z > m {
            m = z;
            arg = j;
        }
    }
    (m, arg)
}

/// `exp(z − m)` for `z ≤ m` (both finite, or `z = −∞`), without inheriting the rounding of
/// `z − m`: with the exact split `z − m = d + e` ([`two_diff`]), `exp(d + e) = exp(d)·(1 + e +
/// O(e²))` and `|e| ≤ ulp(d)/2`, which for `d ≈ −700` would otherwise cost 2^−53·700 relative,
/// 150 ULP.
#[inline]
fn exp_diff(z: f64, m: f64) -> f64 {
    let (d, e) = two_diff(z, m);
    // NaN (z = −∞) and d < −746 (an exponential below every subnormal) give 0.
    if d.is_nan() || d < -746.0 {
        return 0.0;
    }
    let x = d.exp();
    x + x * e
}

/// `s = Σ_{j ≠ arg} exp(z_j − m)` of one row, compensated ([`Neumaier`]).
fn tail(row: &[f64], m: f64, arg: usize) -> Neumaier {
    let mut s = Neumaier::default();
    for (j, &z) in row.iter().enumerate() {
        if j != arg {
            s.add(exp_diff(z, m));
        }
    }
    s
}

/// log Σ exp of one row; `−∞` for an empty or all-`−∞` row.
///
/// `m + log1p(s)`, except where `m < 0 < log1p(s)` cancel (`log1p(s)` between `|m|/2` and
/// `4|m|`: the sum is smaller than its terms): there `s` and `log1p(s)` are recomputed in
/// double-double ([`exp_dd`], [`ln_1p_dd`]) and added to `m` exactly, so that e.g.
/// `logsumexp([−fl(ln 2), −fl(ln 2)]) = ln 2 − fl(ln 2) = 2.3e-17` keeps all its digits.
pub(crate) fn logsumexp_row(row: &[f64]) -> f64 {
    let (m, arg) = row_max(row);
    if m == f64::NEG_INFINITY {
        return m;
    }
    let l = tail(row, m, arg).value().ln_1p();
    if !(m < 0.0 && l > -0.5 * m && l < -4.0 * m) {
        return m + l;
    }
    let mut s = Dd::new(0.0);
    for (j, &z) in row.iter().enumerate() {
        if j == arg || z == f64::NEG_INFINITY {
            continue;
        }
        let (d, e) = two_diff(z, m);
        s = s.add(exp_dd(Dd { hi: d, lo: e }));
    }
    let l = ln_1p_dd(s);
    let (hi, err) = two_sum(m, l.hi);
    hi + (err + l.lo)
}

/// `log_softmax` of one row into `out`; returns `false` for an all-`−∞` row.
///
/// `(z_i − m) − log1p(s)` with `z_i − m = d + e` exactly: `(d − log1p(s)) + e` (both terms of
/// the subtraction are ≤ 0 and ≥ 0: no cancellation).
pub(crate) fn log_softmax_row(row: &[f64], out: &mut [f64]) -> bool {
    let (m, arg) = row_max(row);
    if m == f64::NEG_INFINITY {
        return false;
    }
    let l = tail(row, m, arg).value().ln_1p();
    for (o, &z) in out.iter_mut().zip(row) {
        let (d, e) = two_diff(z, m);
        // d = −∞ (z = −∞, or z − m overflows) leaves e NaN: the result is −∞.
        *o = if d.is_finite() { (d - l) + e } else { d - l };
    }
    true
}

/// `softmax` of one row into `out`; returns `false` for an all-`−∞` row.
///
/// `exp(z_i − m) / (1 + s)`, the exponential as in [`exp_diff`] and the denominator `1 + s` as
/// a double-double `D + δ`: `q = t/D`, then `q − q·δ/D`.
pub(crate) fn softmax_row(row: &[f64], out: &mut [f64]) -> bool {
    let (m, arg) = row_max(row);
    if m == f64::NEG_INFINITY {
        return false;
    }
    let den = Dd::new(1.0).add(tail(row, m, arg).dd());
    let corr = den.lo / den.hi;
    for (o, &z) in out.iter_mut().zip(row) {
        let q = exp_diff(z, m) / den.hi;
        *o = q - q * corr;
    }
    true
}

fn check_classes(logits: &DMatrix<f64>) -> Result<()> {
    if logits.ncols() == 0 {
        return Err(Error::Empty("logits have zero classes (C = 0)"));
    }
    check_logits("logits", logits)
}

pub(crate) fn map_rows(
    logits: &DMatrix<f64>,
    f: fn(&[f64], &mut [f64]) -> bool,
) -> Result<DMatrix<f64>> {
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
    let (n, c) = logits.shape();
    if c > 0 {
        let layout = Layout::column_major(n, c);
        if let Ok(stats) = fast::all_stats(logits.as_slice(), layout)
            && let Ok(v) = fast::logsumexps(&stats)
        {
            return Ok(DVector::from_iterator(
                n,
                v.into_iter().map(T::round_from_f64),
            ));
        }
    }
    // Bad input (reported by the reference) or a row whose sum cancels (recomputed there).
    crate::loss::reference::logsumexp(logits)
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
    family(logits, Family::Softmax)
}

/// The fast softmax or log-softmax of a matrix; bad input is reported by the reference.
fn family<T: Real>(logits: &DMatrix<T>, which: Family) -> Result<DMatrix<T>> {
    let (n, c) = logits.shape();
    if c > 0 {
        let mut out = DMatrix::zeros(n, c);
        let layout = Layout::column_major(n, c);
        match fast::family(logits.as_slice(), layout, which, out.as_mut_slice()) {
            Ok(None) => return Ok(out),
            Ok(Some(row)) => return Err(Error::AllNegInfRow { row }),
            Err(_) => {}
        }
    }
    match which {
        Family::Softmax => crate::loss::reference::softmax(logits),
        Family::LogSoftmax => crate::loss::reference::log_softmax(logits),
    }
}

/// Row-wise `log softmax` of logits `(N, C)` → log-probabilities `(N, C)`, in nats:
/// `z_i − logsumexp(z)`, computed as `(z_i − m) − log1p(s)` (module docs).
/// PyTorch: `torch.log_softmax(z, dim=1)`.
///
/// # Errors
/// As [`softmax`].
pub fn log_softmax<T: Real>(logits: &DMatrix<T>) -> Result<DMatrix<T>> {
    family(logits, Family::LogSoftmax)
}

fn as_row<T: Real>(v: &DVector<T>) -> DMatrix<T> {
    DMatrix::from_row_slice(1, v.len(), v.as_slice())
}

/// [`logsumexp`] of one unbatched row `(C,)`.
///
/// # Errors
/// As [`logsumexp`].
pub fn logsumexp_vector<T: Real>(logits: &DVector<T>) -> Result<T> {
    Ok(logsumexp(&as_row(logits))?[0])
}

/// [`softmax`] of one unbatched row `(C,)`.
///
/// # Errors
/// As [`softmax`].
pub fn softmax_vector<T: Real>(logits: &DVector<T>) -> Result<DVector<T>> {
    let m = softmax(&as_row(logits))?;
    Ok(DVector::from_iterator(m.ncols(), m.iter().copied()))
}

/// [`log_softmax`] of one unbatched row `(C,)`.
///
/// # Errors
/// As [`softmax`].
pub fn log_softmax_vector<T: Real>(logits: &DVector<T>) -> Result<DVector<T>> {
    let m = log_softmax(&as_row(logits))?;
    Ok(DVector::from_iterator(m.ncols(), m.iter().copied()))
}
