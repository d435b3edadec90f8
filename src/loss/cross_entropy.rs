//! Multi-class cross-entropy and negative log-likelihood with PyTorch's options.
//!
//! The per-sample loss is `−log_softmax(z)_y` from [`log_softmax_row`]: `log1p(s)` for the
//! largest logit, `(m − z_y) + log1p(s)` otherwise (no cancellation, `s` compensated), within
//! 1 ULP in `f64` and correctly rounded in `f32` on the hard cases of
//! `tests/fixtures/precise_hard.json` (measured by `book/tests/ulp.rs`).

use nalgebra::{DMatrix, DVector};

use super::{Loss, Reduction, check_weights, narrow_loss, reduce};
use crate::error::{Error, Result, shape};
use crate::information::check_distribution;
use crate::real::{Real, narrow, widen, widen_vec};
use crate::softmax::{check_logits, check_no_nan_or_plus_inf, log_softmax_row};

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

/// Validated common inputs.
struct Checked {
    n: usize,
    c: usize,
    /// The class weights, divided by their maximum under `Mean` for index targets (see the
    /// module docs).
    weight: Option<Vec<f64>>,
}

/// `scale_mean`: divide the weights by their maximum under `Mean`. Only valid where the mean's
/// denominator is the sum of the weights (class-index targets), so that the scale cancels.
fn check_common(
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
fn class_of(row: usize, t: i64, c: usize, ignore_index: i64) -> Result<Option<usize>> {
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
fn term(a: f64, b: f64) -> f64 {
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
                        g[(r, k)] = (1.0 - eps) * hard + eps * soft;
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

/// Widen to `f64`, compute, round once to `T`.
fn cross_entropy_generic<T: Real>(
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
