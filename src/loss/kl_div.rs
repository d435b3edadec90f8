//! Kullback–Leibler divergence as a loss, with PyTorch's argument order and reductions.

use nalgebra::DMatrix;

use super::{Loss, Reduction, narrow_loss, reduce};
use crate::error::{Error, Result, shape};
use crate::real::{Real, narrow, widen};

/// How [`kl_div`] combines its pointwise terms: PyTorch's `reduction` for `KLDivLoss`, which
/// has one more choice than [`Reduction`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KlDivReduction {
    /// The pointwise terms, same shape as the input.
    None,
    /// Sum over all elements divided by the number of elements — PyTorch's default, which is
    /// **not** the KL divergence per sample (its docs warn about this).
    #[default]
    Mean,
    /// Sum divided by the batch size N (the number of rows): the mean KL divergence per
    /// sample, the mathematically meaningful choice.
    BatchMean,
    /// Sum over all elements.
    Sum,
}

/// Options of [`kl_div`], as PyTorch's `KLDivLoss`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KlDivOptions {
    /// Default [`KlDivReduction::Mean`] (PyTorch's default).
    pub reduction: KlDivReduction,
    /// `true`: the target is given as log-probabilities too.
    pub log_target: bool,
}

/// One pointwise term: `(l, ∂l/∂input)` for log-probability `x` and target `t` (checked).
pub(crate) fn kl_div_element(x: f64, t: f64, log_target: bool) -> (f64, f64) {
    if log_target {
        let p = t.exp();
        if p == 0.0 {
            (0.0, 0.0)
        } else {
            (p * (t - x), -p)
        }
    } else if t == 0.0 {
        (0.0, 0.0)
    } else {
        (t * (t.ln() - x), -t)
    }
}

/// Check one (input, target) pair of [`kl_div`].
pub(crate) fn kl_div_check(row: usize, col: usize, x: f64, t: f64, log_target: bool) -> Result<()> {
    let bad = |what, value, reason| {
        Err(Error::InvalidValue {
            what,
            row,
            col,
            value,
            reason,
        })
    };
    if x.is_nan() || x > 0.0 {
        return bad(
            "input",
            x,
            "kl_div's input is a log-probability: <= 0 (or -inf), not NaN",
        );
    }
    if log_target {
        if t.is_nan() || t > 0.0 {
            return bad(
                "target",
                t,
                "with log_target the target is a log-probability: <= 0 (or -inf), not NaN",
            );
        }
    } else if !(0.0..=1.0).contains(&t) {
        return bad("target", t, "the target is a probability: in [0, 1]");
    }
    Ok(())
}

pub(crate) fn kl_reduce(
    per: Vec<f64>,
    reduction: KlDivReduction,
    batch: usize,
) -> Result<(Loss, f64)> {
    let count = per.len() as f64;
    match reduction {
        KlDivReduction::None => reduce(per, Reduction::None, 1.0),
        KlDivReduction::Sum => reduce(per, Reduction::Sum, 1.0),
        KlDivReduction::Mean => reduce(per, Reduction::Mean, count),
        KlDivReduction::BatchMean => {
            if batch == 0 {
                return Err(Error::Empty(
                    "the batch has no samples, so batchmean is undefined",
                ));
            }
            reduce(per, Reduction::Mean, batch as f64)
        }
    }
}

fn kl_impl(
    input: &DMatrix<f64>,
    target: &DMatrix<f64>,
    opts: &KlDivOptions,
    want_grad: bool,
) -> Result<(Loss, Option<DMatrix<f64>>)> {
    let (n, c) = input.shape();
    if target.shape() != (n, c) {
        return Err(Error::ShapeMismatch {
            what: "target",
            expected: shape(n, c),
            got: shape(target.nrows(), target.ncols()),
        });
    }
    let mut per = Vec::with_capacity(n * c);
    let mut grad = want_grad.then(|| DMatrix::zeros(n, c));
    // Row-major order: `Reduction::None` then reads like the input.
    for row in 0..n {
        for col in 0..c {
            let (x, t) = (input[(row, col)], target[(row, col)]);
            kl_div_check(row, col, x, t, opts.log_target)?;
            let (l, g) = kl_div_element(x, t, opts.log_target);
            per.push(l);
            if let Some(gm) = grad.as_mut() {
                gm[(row, col)] = g;
            }
        }
    }
    let (loss, scale) = kl_reduce(per, opts.reduction, n)?;
    if let Some(g) = grad.as_mut()
        && scale != 1.0
    {
        *g /= scale;
    }
    Ok((loss, grad))
}

/// KL divergence loss `D_KL(target ‖ q)` pointwise, as PyTorch's `F.kl_div(input, target)`:
/// the **input is log-probabilities** `log q` `(N, C)` and the target is probabilities `p`
/// `(N, C)` (or log-probabilities with `log_target`). In nats.
///
/// # Formula
/// `l_{n,c} = p_{n,c}·(log p_{n,c} − input_{n,c})`, with `0·log 0 = 0` (a zero target
/// contributes 0); with `log_target`, `l = e^t·(t − input)`. Summed over a row this is
/// `KL(p_n ‖ q_n) = CE(p_n, q_n) − H(p_n)`, which is why minimising KL over q and minimising
/// cross-entropy are the same problem (theorem T3). [`KlDivReduction::BatchMean`] gives the mean
/// KL per sample; PyTorch's default `Mean` divides by N·C.
/// `Reduction::None` returns the terms in row-major order.
///
/// Rows are not required to sum to 1 (PyTorch does not check either): the pointwise formula is
/// applied as given. Each entry must be a probability (or log-probability) though: with an
/// input ≤ 0 and a target in [0, 1] no term can be NaN, whereas PyTorch turns entries such as a
/// target of 1e300, or a log-target above 709.8 (whose `exp` overflows), into `inf − inf` or
/// `0·∞` = NaN (found by fuzzing, `tests/catalogue.rs`).
///
/// # Errors
/// [`Error::ShapeMismatch`]; [`Error::InvalidValue`] for an input that is NaN or > 0, a target
/// outside [0, 1] or NaN (or, with `log_target`, NaN or > 0); [`Error::Empty`] for no
/// element with `Mean`/`BatchMean`. Where PyTorch gives NaN for `p = 0` with `input = −∞`
/// (`0·∞`), we give 0, the limit.
///
/// Source: PyTorch docs, `torch.nn.KLDivLoss`; Cover & Thomas, *Elements of Information
/// Theory*, §2.3.
pub fn kl_div<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &KlDivOptions,
) -> Result<Loss<T>> {
    Ok(kl_generic(input, target, opts, false)?.0)
}

/// [`kl_div`] and its gradient with respect to the input: `−p` (or `−e^t` with `log_target`),
/// divided by the reduction's denominator.
///
/// # Errors
/// As [`kl_div`].
pub fn kl_div_with_grad<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &KlDivOptions,
) -> Result<(Loss<T>, DMatrix<T>)> {
    let (l, g) = kl_generic(input, target, opts, true)?;
    Ok((l, g.unwrap_or_else(|| DMatrix::zeros(0, 0))))
}

fn kl_generic<T: Real>(
    input: &DMatrix<T>,
    target: &DMatrix<T>,
    opts: &KlDivOptions,
    want_grad: bool,
) -> Result<(Loss<T>, Option<DMatrix<T>>)> {
    let (l, g) = kl_impl(&widen(input), &widen(target), opts, want_grad)?;
    Ok((narrow_loss(l), g.map(narrow)))
}
