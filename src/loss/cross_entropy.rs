//! Multi-class cross-entropy and negative log-likelihood with PyTorch's options.
//!
//! The cross-entropy runs on the fast kernels ([`super::fast`]) over the matrix's own storage
//! (no copy, no widening of `f32`); the per-sample loss is `−log_softmax(z)_y`: `log1p(s)` for
//! the largest logit, `(m − z_y) + log1p(s)` otherwise, within 2 ULP of the exact value in
//! `f64` and `f32` on the hard cases of `tests/fixtures/precise_hard.json` (measured by
//! `book/tests/ulp.rs`). The loops of [`super::reference`] are the slow reference.

use nalgebra::{DMatrix, DVector};

use super::fast::{self, Layout, Plan, RowsTarget};
use super::reference::{self, check_common, class_of, term};
use super::{Loss, Reduction, check_weights, narrow_loss, reduce};
use crate::error::{Error, Result};
use crate::information::check_distribution;
use crate::real::{Real, narrow, widen, widen_vec};

/// The target of a multi-class loss.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a, T: Real = f64> {
    /// One class index per sample, `(N,)`, each in `0..C` or equal to `ignore_index`.
    /// `i64` as PyTorch's `LongTensor`, so that `-100` (the default `ignore_index`) fits.
    Indices(&'a [i64]),
    /// One probability distribution per sample, `(N, C)` like the logits (soft labels).
    Probabilities(&'a DMatrix<T>),
}

/// Options of [`cross_entropy`], named and defaulted as in PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropyOptions<T: Real = f64> {
    /// Class weights `(C,)`, finite and ≥ 0; `None` means all 1.
    pub weight: Option<DVector<T>>,
    /// A class-index target equal to this value is skipped (loss 0, gradient 0, excluded from
    /// the mean's denominator). Default `-100`. Must be negative with probability targets.
    pub ignore_index: i64,
    /// How per-sample losses are combined. Default [`Reduction::Mean`].
    pub reduction: Reduction,
    /// ε in `[0, 1]`: the target becomes `(1 − ε)·y + ε/C`. Default 0.
    pub label_smoothing: f64,
}

impl<T: Real> Default for CrossEntropyOptions<T> {
    fn default() -> Self {
        Self {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
            label_smoothing: 0.0,
        }
    }
}

impl<T: Real> CrossEntropyOptions<T> {
    /// Set class weights.
    #[must_use]
    pub fn weight(mut self, w: DVector<T>) -> Self {
        self.weight = Some(w);
        self
    }
    /// Set `ignore_index`.
    #[must_use]
    pub fn ignore_index(mut self, i: i64) -> Self {
        self.ignore_index = i;
        self
    }
    /// Set the reduction.
    #[must_use]
    pub fn reduction(mut self, r: Reduction) -> Self {
        self.reduction = r;
        self
    }
    /// Set label smoothing ε.
    #[must_use]
    pub fn label_smoothing(mut self, eps: f64) -> Self {
        self.label_smoothing = eps;
        self
    }
}

/// Options of [`nll_loss`] (PyTorch's `NLLLoss` has no label smoothing).
#[derive(Clone, Debug, PartialEq)]
pub struct NllLossOptions<T: Real = f64> {
    /// Class weights `(C,)`; `None` means all 1.
    pub weight: Option<DVector<T>>,
    /// Skipped class index. Default `-100`.
    pub ignore_index: i64,
    /// Default [`Reduction::Mean`].
    pub reduction: Reduction,
}

impl<T: Real> Default for NllLossOptions<T> {
    fn default() -> Self {
        Self {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
        }
    }
}

/// Cross-entropy loss between logits `(N, C)` (class axis 1) and a target, as PyTorch's
/// `F.cross_entropy`. In nats.
///
/// # Formula
/// With `log q_n = log_softmax(z_n)`, class weights `w` (default 1) and smoothing ε:
///
/// * class index `y_n`: `l_n = (1 − ε)·(−w_{y_n} log q_{n,y_n}) + ε·(1/C)·Σ_c (−w_c log q_{n,c})`,
///   `l_n = 0` when `y_n = ignore_index`; `Mean` divides `Σ l_n` by `Σ_{kept n} w_{y_n}`.
/// * probabilities `p_n`: with `p'_n = (1 − ε)·p_n + ε/C`,
///   `l_n = −Σ_c w_c p'_{n,c} log q_{n,c}`; `Mean` divides by N.
///
/// With one-hot targets and no options, `l_n = −log q_{n,y_n}`: the negative log-likelihood of
/// the observed class (theorem T1), and the mean over a data set is the NLL per sample (T2).
///
/// # Errors
/// * [`Error::Empty`]: C = 0, or N = 0 with `Mean`.
/// * [`Error::InvalidValue`]: a NaN or +∞ logit. [`Error::AllNegInfRow`]: a row of only −∞.
/// * [`Error::ShapeMismatch`]: target or weight of the wrong shape.
/// * [`Error::ClassIndexOutOfRange`]: an index outside `0..C` that is not `ignore_index`.
/// * [`Error::InvalidWeight`], [`Error::InvalidLabelSmoothing`], [`Error::InvalidDistribution`]
///   (a probability row that is negative or does not sum to 1),
///   [`Error::IgnoreIndexWithProbabilities`] (`ignore_index ≥ 0` with probability targets).
/// * [`Error::UndefinedMean`]: `Mean` where every target is ignored or has weight 0
///   (PyTorch returns NaN).
///
/// A −∞ logit at the target class gives `+∞` (the observed event had probability 0), as in
/// PyTorch.
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy};
/// let z = DMatrix::from_row_slice(1, 3, &[0.0, 0.0, 0.0]);
/// let l = cross_entropy(&z, Target::Indices(&[2]), &CrossEntropyOptions::default()).unwrap();
/// assert!((l.scalar().unwrap() - 3f64.ln()).abs() < 1e-15);
/// ```
pub fn cross_entropy<T: Real>(
    logits: &DMatrix<T>,
    target: Target<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<Loss<T>> {
    Ok(cross_entropy_generic(logits, target, opts, false)?.0)
}

/// Everything a fast call needs, checked. `None` when the inputs hold an error: the caller
/// then runs the reference ([`super::reference`]), which reports it exactly as before.
pub(crate) struct Prepared {
    /// The class of each row (`None` where ignored), for class-index targets.
    pub(crate) classes: Option<Vec<Option<usize>>>,
    /// The class weights as `f64`, divided by their maximum under `Mean` for class indices.
    pub(crate) weight: Option<Vec<f64>>,
    /// The mean's denominator (`Σ` kept `w_y`, or N for probabilities).
    pub(crate) denom: f64,
    /// What the gradient is divided by: `denom` under `Mean`, else 1.
    pub(crate) grad_scale: f64,
}

impl Prepared {
    /// Whether the fast kernels can scale the gradient: they multiply by `1 / grad_scale`,
    /// which overflows for a mean's denominator in the subnormal range (kept class weights
    /// ≈ 1e-323 next to normal ones). Such cases are left to the reference, which divides.
    pub(crate) fn fast_scale(&self) -> bool {
        (1.0 / self.grad_scale).is_finite()
    }
}

/// The target as [`prepare`] reads it: class indices, or a way to copy row `r` of the
/// probabilities into a buffer.
pub(crate) enum TargetRows<'a> {
    Indices(&'a [i64]),
    /// `len` numbers; `row(r, buf)` copies row `r` into `buf`.
    Probabilities {
        len: usize,
        row: &'a dyn Fn(usize, &mut [f64]),
    },
}

/// Check the options and the target of an `(n, c)` call (everything but the logits, which the
/// kernels check as they read them). The errors are the reference's, in its order.
pub(crate) fn prepare<T: Real>(
    n: usize,
    c: usize,
    target: TargetRows<'_>,
    opts: &CrossEntropyOptions<T>,
) -> Result<Prepared> {
    if c == 0 {
        return Err(Error::Empty("input has zero classes (C = 0)"));
    }
    let by_index = matches!(target, TargetRows::Indices(_));
    let weight = match &opts.weight {
        Some(w) => {
            let w: Vec<f64> = w.iter().map(|x| x.as_f64()).collect();
            if w.len() != c {
                return Err(Error::ShapeMismatch {
                    what: "weight",
                    expected: format!("({c},)"),
                    got: format!("({},)", w.len()),
                });
            }
            check_weights("weight", &w)?;
            let max = w.iter().copied().fold(0.0, f64::max);
            if by_index && opts.reduction == Reduction::Mean && max > 0.0 {
                Some(w.iter().map(|x| x / max).collect())
            } else {
                Some(w)
            }
        }
        None => None,
    };
    if !(0.0..=1.0).contains(&opts.label_smoothing) {
        return Err(Error::InvalidLabelSmoothing(opts.label_smoothing));
    }
    let (classes, denom) = match target {
        TargetRows::Indices(t) => {
            if t.len() != n {
                return Err(Error::ShapeMismatch {
                    what: "target",
                    expected: format!("({n},)"),
                    got: format!("({},)", t.len()),
                });
            }
            let mut denom = 0.0;
            let mut classes = Vec::with_capacity(n);
            for (r, &tr) in t.iter().enumerate() {
                let y = reference::class_of(r, tr, c, opts.ignore_index)?;
                if let Some(y) = y {
                    denom += weight.as_ref().map_or(1.0, |w| w[y]);
                }
                classes.push(y);
            }
            (Some(classes), denom)
        }
        TargetRows::Probabilities { len, row } => {
            if len != n * c {
                return Err(Error::ShapeMismatch {
                    what: "target",
                    expected: format!("({n}, {c})"),
                    got: format!("{len} numbers"),
                });
            }
            if opts.ignore_index >= 0 {
                return Err(Error::IgnoreIndexWithProbabilities);
            }
            let mut buf = vec![0.0; c];
            for r in 0..n {
                row(r, &mut buf);
                check_distribution("target", r, &buf)?;
            }
            (None, n as f64)
        }
    };
    let grad_scale = if opts.reduction == Reduction::Mean {
        super::mean_denominator(n, denom)?;
        denom
    } else {
        1.0
    };
    Ok(Prepared {
        classes,
        weight,
        denom,
        grad_scale,
    })
}

/// The fast cross-entropy over `data` in `layout`, the gradient into `grad` (same layout) if
/// given; `None` where the reference must report an error.
pub(crate) fn fast_cross_entropy<T: Real>(
    data: &[T],
    layout: Layout,
    target: FastTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    grad: Option<&mut [T]>,
) -> Option<Loss<T>> {
    let prep = prepared(layout, target, opts).ok()?;
    if !prep.fast_scale() {
        return None;
    }
    let rows_target = match (&prep.classes, target) {
        (Some(cl), _) => RowsTarget::Classes(cl),
        (None, FastTarget::Probabilities(p)) => RowsTarget::Probabilities(p),
        (None, FastTarget::Indices(_)) => return None,
    };
    let plan = Plan {
        layout,
        target: rows_target,
        weight: prep.weight.as_deref(),
        eps: opts.label_smoothing,
        grad_scale: prep.grad_scale,
    };
    let per = fast::cross_entropy(data, &plan, grad).ok()?.ok()?;
    let (loss, _) = reduce(per, opts.reduction, prep.denom).ok()?;
    Some(narrow_loss(loss))
}

/// [`prepare`] for a target in the logits' layout.
pub(crate) fn prepared<T: Real>(
    layout: Layout,
    target: FastTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<Prepared> {
    let (n, c) = (layout.n(), layout.classes);
    match target {
        FastTarget::Indices(t) => prepare(n, c, TargetRows::Indices(t), opts),
        FastTarget::Probabilities(p) => {
            if p.len() != layout.len() {
                let len = p.len();
                let dummy = |_: usize, _: &mut [f64]| {};
                return prepare(n, c, TargetRows::Probabilities { len, row: &dummy }, opts);
            }
            let copy_row = |r: usize, buf: &mut [f64]| {
                for (k, b) in buf.iter_mut().enumerate() {
                    *b = p[layout.at(r, k)].as_f64();
                }
            };
            let row = &copy_row;
            prepare(n, c, TargetRows::Probabilities { len: p.len(), row }, opts)
        }
    }
}

/// A target in the logits' layout, for [`fast_cross_entropy`].
#[derive(Clone, Copy)]
pub(crate) enum FastTarget<'a, T: Real> {
    Indices(&'a [i64]),
    Probabilities(&'a [T]),
}

/// The fast path on a matrix, the reference where it declines.
fn cross_entropy_generic<T: Real>(
    logits: &DMatrix<T>,
    target: Target<'_, T>,
    opts: &CrossEntropyOptions<T>,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let (n, c) = logits.shape();
    let fast_target = match target {
        Target::Indices(t) => FastTarget::Indices(t),
        Target::Probabilities(p) if p.shape() == (n, c) => FastTarget::Probabilities(p.as_slice()),
        Target::Probabilities(_) => {
            return reference::cross_entropy_generic(logits, target, opts, want_grad);
        }
    };
    let layout = Layout::column_major(n, c);
    let mut grad = want_grad.then(|| DMatrix::<T>::zeros(n, c));
    let fast = fast_cross_entropy(
        logits.as_slice(),
        layout,
        fast_target,
        opts,
        grad.as_mut().map(|g| g.as_mut_slice()),
    );
    match fast {
        Some(loss) => Ok((loss, grad)),
        None => reference::cross_entropy_generic(logits, target, opts, want_grad),
    }
}
/// [`cross_entropy`] and its gradient with respect to the logits, shape `(N, C)`.
///
/// # Formula (T5)
/// Unweighted, unsmoothed, one row: `∂l/∂z = softmax(z) − y`. In general, for a kept
/// index row, `∂l_n/∂z_k = (1 − ε)·w_y·(q_k − [k = y]) + (ε/C)·(W·q_k − w_k)` with
/// `W = Σ_c w_c`; for a probability row, `q_k·Σ_c w_c p'_c − w_k p'_k`. Ignored rows get 0.
/// `Mean` divides by the same denominator as the loss.
///
/// # Errors
/// As [`cross_entropy`].
pub fn cross_entropy_with_grad<T: Real>(
    logits: &DMatrix<T>,
    target: Target<'_, T>,
    opts: &CrossEntropyOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let (l, g) = cross_entropy_generic(logits, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}

fn nll_impl(
    log_probs: &DMatrix<f64>,
    target: &[i64],
    opts: &NllLossOptions<f64>,
    want_grad: bool,
) -> Result<(Loss, Option<DMatrix<f64>>)> {
    let ck = check_common(true, log_probs, &opts.weight, opts.reduction, true)?;
    let (n, c) = (ck.n, ck.c);
    if target.len() != n {
        return Err(Error::ShapeMismatch {
            what: "target",
            expected: format!("({n},)"),
            got: format!("({},)", target.len()),
        });
    }
    let mut per = Vec::with_capacity(n);
    let mut grad = want_grad.then(|| DMatrix::zeros(n, c));
    let mut denom = 0.0;
    for (r, &tr) in target.iter().enumerate() {
        let Some(y) = class_of(r, tr, c, opts.ignore_index)? else {
            per.push(0.0);
            continue;
        };
        let wy = ck.weight.as_ref().map_or(1.0, |w| w[y]);
        per.push(term(wy, -log_probs[(r, y)]));
        denom += wy;
        if let Some(g) = grad.as_mut() {
            g[(r, y)] = -wy;
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

/// Negative log-likelihood loss on log-probabilities `(N, C)`, as PyTorch's `F.nll_loss`:
/// `l_n = −w_{y_n} · log_probs[n, y_n]` (0 for `ignore_index`), in nats; `Mean` divides by
/// `Σ_{kept n} w_{y_n}`.
///
/// The input is not checked to be normalised (PyTorch does not either): pass
/// [`crate::softmax::log_softmax`] of logits to get [`cross_entropy`].
///
/// # Errors
/// As [`cross_entropy`] for index targets (NaN or +∞ input entries are refused).
pub fn nll_loss<T: Real>(
    log_probs: &DMatrix<T>,
    target: &[i64],
    opts: &NllLossOptions<T>,
) -> Result<Loss<T>> {
    Ok(nll_generic(log_probs, target, opts, false)?.0)
}

/// Widen to `f64`, compute, round once to `T`.
fn nll_generic<T: Real>(
    log_probs: &DMatrix<T>,
    target: &[i64],
    opts: &NllLossOptions<T>,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let opts = NllLossOptions {
        weight: opts.weight.as_ref().map(|w| widen_vec(w).into_owned()),
        ignore_index: opts.ignore_index,
        reduction: opts.reduction,
    };
    let (l, g) = nll_impl(&widen(log_probs), target, &opts, want_grad)?;
    Ok((narrow_loss(l), g.map(narrow)))
}

/// [`nll_loss`] and its gradient with respect to `log_probs`: `−w_{y_n}` at `(n, y_n)`,
/// 0 elsewhere (divided by the mean's denominator under `Mean`).
///
/// # Errors
/// As [`nll_loss`].
pub fn nll_loss_with_grad<T: Real>(
    log_probs: &DMatrix<T>,
    target: &[i64],
    opts: &NllLossOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let (l, g) = nll_generic(log_probs, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}
