//! Binary cross-entropy from logits: the Bernoulli negative log-likelihood.
//!
//! [`softplus`] is `max(x, 0) + log1p(e^{−|x|})`: correctly rounded in `f64` and `f32` on the
//! hard cases of `tests/fixtures/precise_hard.json` (losses from 4.2e-322 to 1e300, measured
//! by `book/tests/ulp.rs`); PyTorch's `float64` gives 0 for `softplus(−40) = 4.2e-18`.

use nalgebra::{DMatrix, DVector};

use super::{Loss, Reduction, check_weights, narrow_loss, reduce};
use crate::error::{Error, Result, shape};
use crate::real::{Real, narrow, widen, widen_vec};

/// Options of [`binary_cross_entropy_with_logits`], as PyTorch's `BCEWithLogitsLoss`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BceWithLogitsOptions<T: Real = f64> {
    /// Per-element weights, same shape as the input `(N, K)`; `None` means all 1.
    /// (PyTorch broadcasts; pass the broadcast matrix here.)
    pub weight: Option<DMatrix<T>>,
    /// Weight of the positive term per label (column), `(K,)`; `None` means all 1.
    pub pos_weight: Option<DVector<T>>,
    /// Default [`Reduction::Mean`] (over all N·K elements).
    pub reduction: Reduction,
}

/// `softplus(x) = log(1 + e^x)`, stable for every x (±∞ included).
pub(crate) fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The logistic sigmoid `σ(x) = 1 / (1 + e^{−x})`, without overflow.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// One element of BCE with logits: `(loss, ∂loss/∂x)` for logit `x`, target `y ∈ [0, 1]`,
/// weight `w` and positive weight `pw` (all checked by the caller).
///
/// `−log σ(x) = softplus(−x)`, `−log(1 − σ(x)) = softplus(x)`; a zero coefficient drops its
/// term even where softplus is infinite.
pub(crate) fn bce_with_logits_element(x: f64, y: f64, w: f64, pw: f64) -> (f64, f64) {
    let a = pw * y;
    let b = 1.0 - y;
    let mut l = 0.0;
    if a != 0.0 {
        l += a * softplus(-x);
    }
    if b != 0.0 {
        l += b * softplus(x);
    }
    let l = if w == 0.0 { 0.0 } else { w * l };
    (l, w * (b * sigmoid(x) - a * sigmoid(-x)))
}

/// PyTorch's floor for `log` in `binary_cross_entropy`: `max(log p, −100)`.
pub const BCE_LOG_CLAMP: f64 = -100.0;

/// The floor of the denominator of PyTorch's `binary_cross_entropy` gradient: PyTorch's
/// `EPSILON = 1e-12` is a `float` constant, so its value is `1e-12` rounded to `f32`,
/// 9.999999960041972e-13 (this shows in the gradient at `p ∈ {0, 1}`: 1.000000004e12, not 1e12).
pub const BCE_GRAD_EPS: f64 = 1e-12_f32 as f64;

/// One element of BCE on a probability: `(loss, ∂loss/∂p)` for `p, y ∈ [0, 1]` and weight `w`,
/// with PyTorch's conventions: each log clamped at [`BCE_LOG_CLAMP`], and the gradient
/// `w·(p − y) / max(p·(1 − p), BCE_GRAD_EPS)`.
pub(crate) fn bce_element(p: f64, y: f64, w: f64) -> (f64, f64) {
    let mut l = 0.0;
    if y != 0.0 {
        l -= y * p.ln().max(BCE_LOG_CLAMP);
    }
    if y != 1.0 {
        l -= (1.0 - y) * (-p).ln_1p().max(BCE_LOG_CLAMP);
    }
    let l = if w == 0.0 { 0.0 } else { w * l };
    (l, w * (p - y) / (p * (1.0 - p)).max(BCE_GRAD_EPS))
}

/// Check that the target and the optional element weights have the input's shape `(n, k)` and
/// that the weights are finite and non-negative (both binary losses).
fn check_binary_shapes(
    n: usize,
    k: usize,
    target: &DMatrix<f64>,
    weight: Option<&DMatrix<f64>>,
) -> Result<()> {
    for (what, m) in [("target", Some(target)), ("weight", weight)] {
        if let Some(m) = m
            && m.shape() != (n, k)
        {
            return Err(Error::ShapeMismatch {
                what,
                expected: shape(n, k),
                got: shape(m.nrows(), m.ncols()),
            });
        }
    }
    if let Some(w) = weight {
        check_weights("weight", w.as_slice())?;
    }
    Ok(())
}

fn bce_impl(
    input: &DMatrix<f64>,
    target: &DMatrix<f64>,
    opts: &BceWithLogitsOptions<f64>,
    want_grad: bool,
) -> Result<(Loss, Option<DMatrix<f64>>)> {
    let (n, k) = input.shape();
    check_binary_shapes(n, k, target, opts.weight.as_ref())?;
    if let Some(pw) = &opts.pos_weight {
        if pw.len() != k {
            return Err(Error::ShapeMismatch {
                what: "pos_weight",
                expected: format!("({k},)"),
                got: format!("({},)", pw.len()),
            });
        }
        check_weights("pos_weight", pw.as_slice())?;
    }
    let mut per = Vec::with_capacity(n * k);
    let mut grad = want_grad.then(|| DMatrix::zeros(n, k));
    for col in 0..k {
        let pw = opts.pos_weight.as_ref().map_or(1.0, |p| p[col]);
        for row in 0..n {
            let x = input[(row, col)];
            let y = target[(row, col)];
            if x.is_nan() {
                return Err(Error::InvalidValue {
                    what: "input",
                    row,
                    col,
                    value: x,
                    reason: "NaN is not a logit",
                });
            }
            if !(0.0..=1.0).contains(&y) {
                return Err(Error::InvalidValue {
                    what: "target",
                    row,
                    col,
                    value: y,
                    reason: "a binary target is a probability in [0, 1]",
                });
            }
            let w = opts.weight.as_ref().map_or(1.0, |w| w[(row, col)]);
            let (l, g) = bce_with_logits_element(x, y, w, pw);
            per.push(l);
            if let Some(gm) = grad.as_mut() {
                gm[(row, col)] = g;
            }
        }
    }
    let count = per.len() as f64;
    let (loss, scale) = reduce(per, opts.reduction, count)?;
    if let Some(g) = grad.as_mut()
        && scale != 1.0
    {
        *g /= scale;
    }
    Ok((loss, grad))
}

/// Binary cross-entropy between logits `x` and targets `y ∈ [0, 1]`, both `(N, K)` (K
/// independent labels per sample), as PyTorch's `F.binary_cross_entropy_with_logits`. In nats.
///
/// # Formula (T7)
/// `l = −w·[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))] = w·[pw·y·softplus(−x) + (1 − y)·softplus(x)]`,
/// evaluated through `softplus(x) = max(x, 0) + log1p(e^{−|x|})`, never as `log(σ(x))`
/// (which loses everything once `σ(x)` rounds to 0 or 1). With `pw = w = 1` and `y ∈ {0, 1}`
/// this is `−ln` of the Bernoulli pmf `σ(x)^y (1 − σ(x))^{1−y}`: BCE is the Bernoulli NLL.
/// `Mean` divides by N·K. `Reduction::None` returns the elements in column-major order.
///
/// ±∞ logits are allowed (a term with a zero coefficient is dropped, so `x = −∞, y = 0`
/// gives 0, not NaN).
///
/// # Errors
/// [`Error::ShapeMismatch`] (target, weight, pos_weight), [`Error::InvalidWeight`],
/// [`Error::InvalidValue`] (NaN logit, target outside [0, 1]), [`Error::Empty`] (no
/// element with `Mean`).
pub fn binary_cross_entropy_with_logits<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &BceWithLogitsOptions<T>,
) -> Result<Loss<T>> {
    Ok(bce_generic(input, target, opts, false)?.0)
}

/// Widen to `f64`, compute, round once to `T`.
fn bce_generic<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &BceWithLogitsOptions<T>,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let opts = BceWithLogitsOptions {
        weight: opts.weight.as_ref().map(|w| widen(w).into_owned()),
        pos_weight: opts.pos_weight.as_ref().map(|w| widen_vec(w).into_owned()),
        reduction: opts.reduction,
    };
    let (l, g) = bce_impl(&widen(input), &widen(target), &opts, want_grad)?;
    Ok((narrow_loss(l), g.map(narrow)))
}

/// [`binary_cross_entropy_with_logits`] and its gradient with respect to the input:
/// `∂l/∂x = w·[(1 − y)·σ(x) − pw·y·σ(−x)]` (= `w·(σ(x) − y)` when `pw = 1`), divided by
/// N·K under `Mean`.
///
/// # Errors
/// As [`binary_cross_entropy_with_logits`].
pub fn binary_cross_entropy_with_logits_with_grad<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &BceWithLogitsOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let (l, g) = bce_generic(input, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}

/// Options of [`binary_cross_entropy`], as PyTorch's `BCELoss`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BceOptions<T: Real = f64> {
    /// Per-element weights, same shape as the input `(N, K)`; `None` means all 1.
    pub weight: Option<DMatrix<T>>,
    /// Default [`Reduction::Mean`] (over all N·K elements).
    pub reduction: Reduction,
}

fn bce_prob_impl(
    input: &DMatrix<f64>,
    target: &DMatrix<f64>,
    weight: Option<&DMatrix<f64>>,
    reduction: Reduction,
    want_grad: bool,
) -> Result<(Loss, Option<DMatrix<f64>>)> {
    let (n, k) = input.shape();
    check_binary_shapes(n, k, target, weight)?;
    let mut per = Vec::with_capacity(n * k);
    let mut grad = want_grad.then(|| DMatrix::zeros(n, k));
    for col in 0..k {
        for row in 0..n {
            let p = input[(row, col)];
            let y = target[(row, col)];
            check_unit_interval("input", row, col, p, "a probability is in [0, 1]")?;
            check_unit_interval(
                "target",
                row,
                col,
                y,
                "a binary target is a probability in [0, 1]",
            )?;
            let w = weight.map_or(1.0, |w| w[(row, col)]);
            let (l, g) = bce_element(p, y, w);
            per.push(l);
            if let Some(gm) = grad.as_mut() {
                gm[(row, col)] = g;
            }
        }
    }
    let count = per.len() as f64;
    let (loss, scale) = reduce(per, reduction, count)?;
    if let Some(g) = grad.as_mut()
        && scale != 1.0
    {
        *g /= scale;
    }
    Ok((loss, grad))
}

/// Refuse a value outside `[0, 1]` (NaN included).
pub(crate) fn check_unit_interval(
    what: &'static str,
    row: usize,
    col: usize,
    v: f64,
    reason: &'static str,
) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            what,
            row,
            col,
            value: v,
            reason,
        })
    }
}

/// Binary cross-entropy between probabilities `p` and targets `y`, both `(N, K)` in `[0, 1]`,
/// as PyTorch's `F.binary_cross_entropy`. In nats.
///
/// # Formula
/// `l = −w·[y·max(ln p, −100) + (1 − y)·max(ln(1 − p), −100)]`, with `ln(1 − p)` evaluated as
/// `ln_1p(−p)`. Without the clamp this is the Bernoulli negative log-likelihood; the clamp is
/// PyTorch's documented convention ("BCELoss clamps its log function outputs to be greater
/// than or equal to −100"), kept so that results agree: `p = 0` with `y = 1` gives 100, where
/// the exact NLL is +∞. A term whose coefficient is 0 is dropped. Prefer
/// [`binary_cross_entropy_with_logits`], which needs no clamp.
/// `Mean` divides by N·K; `Reduction::None` returns the elements in column-major order.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::InvalidWeight`], [`Error::InvalidValue`] (input or target
/// outside `[0, 1]` or NaN; PyTorch checks only the input), [`Error::Empty`] (no element with
/// `Mean`).
///
/// Source: PyTorch docs, `torch.nn.BCELoss`.
pub fn binary_cross_entropy<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &BceOptions<T>,
) -> Result<Loss<T>> {
    Ok(bce_prob_generic(input, target, opts, false)?.0)
}

/// [`binary_cross_entropy`] and its gradient with respect to the input, as PyTorch computes
/// it: `w·(p − y) / max(p·(1 − p), ε)` with ε = [`BCE_GRAD_EPS`] ≈ 1e-12 (divided by N·K under
/// `Mean`). The floor keeps the gradient finite at `p ∈ {0, 1}`; it is a convention, not the
/// derivative of the clamped loss.
///
/// # Errors
/// As [`binary_cross_entropy`].
pub fn binary_cross_entropy_with_grad<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &BceOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let (l, g) = bce_prob_generic(input, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}

fn bce_prob_generic<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &BceOptions<T>,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let w = opts.weight.as_ref().map(|w| widen(w));
    let (l, g) = bce_prob_impl(
        &widen(input),
        &widen(target),
        w.as_deref(),
        opts.reduction,
        want_grad,
    )?;
    Ok((narrow_loss(l), g.map(narrow)))
}
