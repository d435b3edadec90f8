//! Information theory on discrete distributions: self-information, entropy, cross-entropy and
//! Kullback–Leibler divergence. All logarithms are natural: every result is in **nats**
//! (divide by ln 2 for bits).
//!
//! A *distribution* here is a vector `(C,)` of finite, non-negative numbers summing to 1 within
//! [`PROB_SUM_TOL`]. Accepted vectors are divided by their sum before use, so that the
//! identities hold exactly as stated (e.g. `D_KL ≥ 0` and `H(p, q) ≥ H(p)`) even for inputs
//! that are off by up to the tolerance. The convention `0 · log 0 = 0` holds throughout (the
//! limit of `p log p` as `p → 0`), so classes with zero probability under `p` contribute
//! nothing.
//!
//! Book: the information chapter (entropy, cross-entropy, CE = H + KL, Gibbs' inequality).

use nalgebra::DVector;

use crate::error::{Error, Result};

/// How far from 1 the sum of a probability vector may be: `|Σ p − 1| ≤ 1e-6`.
///
/// Loose enough for probabilities typed by hand with six decimals or produced in `f32`,
/// tight enough to catch a vector that is not normalised at all.
pub const PROB_SUM_TOL: f64 = 1e-6;

/// Check that `p` is a probability vector (see [`PROB_SUM_TOL`]).
///
/// # Errors
/// [`Error::Empty`] for a zero-length vector; [`Error::InvalidDistribution`] for a negative,
/// NaN or infinite entry, or a sum off by more than [`PROB_SUM_TOL`].
pub fn check_distribution(what: &'static str, row: usize, p: &[f64]) -> Result<()> {
    if p.is_empty() {
        return Err(Error::Empty("a distribution needs at least one outcome"));
    }
    let bad = |reason: String| Error::InvalidDistribution { what, row, reason };
    for (i, &x) in p.iter().enumerate() {
        if !x.is_finite() || x < 0.0 {
            return Err(bad(format!(
                "entry {i} = {x} (probabilities must be finite and ≥ 0)"
            )));
        }
    }
    let s: f64 = p.iter().sum();
    if (s - 1.0).abs() > PROB_SUM_TOL {
        return Err(bad(format!(
            "entries sum to {s}, not 1 (tolerance {PROB_SUM_TOL})"
        )));
    }
    Ok(())
}

/// `p / Σ p` (the entries of a checked distribution, renormalised).
fn normalised(p: &DVector<f64>) -> DVector<f64> {
    p / p.sum()
}

fn same_len(p: &DVector<f64>, q: &DVector<f64>) -> Result<()> {
    if p.len() != q.len() {
        return Err(Error::ShapeMismatch {
            what: "q",
            expected: format!("({},)", p.len()),
            got: format!("({},)", q.len()),
        });
    }
    Ok(())
}

/// Self-information (surprisal) of an outcome of probability `p`: `I(p) = −ln p`, in nats.
///
/// `I(1) = 0` (no surprise), `I(0) = +∞` (an impossible event would be infinitely surprising).
///
/// # Errors
/// [`Error::InvalidDistribution`] if `p` is not in `[0, 1]`.
pub fn self_information(p: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::InvalidDistribution {
            what: "p",
            row: 0,
            reason: format!("{p} is not a probability in [0, 1]"),
        });
    }
    Ok(-p.ln())
}

/// Shannon entropy `H(p) = −Σ_i p_i ln p_i = E_p[I]`, in nats, with `0 ln 0 = 0`.
///
/// `0 ≤ H(p) ≤ ln C`; statrs: `Categorical::entropy`.
///
/// # Errors
/// As [`check_distribution`].
pub fn entropy(p: &DVector<f64>) -> Result<f64> {
    check_distribution("p", 0, p.as_slice())?;
    Ok(p.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.ln()).sum())
}

/// Cross-entropy between two distributions, `H(p, q) = −Σ_i p_i ln q_i`, in nats: the expected
/// surprisal under `p` of a model `q`. Terms with `p_i = 0` are 0 even where `q_i = 0`; a class
/// with `p_i > 0` and `q_i = 0` makes `H(p, q) = +∞`.
///
/// For the PyTorch-style loss on logits and targets, see [`crate::loss::cross_entropy`].
/// T3: `H(p, q) = H(p) + D_KL(p‖q) ≥ H(p)`.
///
/// # Errors
/// As [`check_distribution`] for each argument; [`Error::ShapeMismatch`] if lengths differ.
pub fn cross_entropy_between(p: &DVector<f64>, q: &DVector<f64>) -> Result<f64> {
    same_len(p, q)?;
    check_distribution("p", 0, p.as_slice())?;
    check_distribution("q", 0, q.as_slice())?;
    let (p, q) = (normalised(p), normalised(q));
    Ok(p.iter()
        .zip(q.iter())
        .filter(|&(&pi, _)| pi > 0.0)
        .map(|(&pi, &qi)| -pi * qi.ln())
        .sum::<f64>()
        + 0.0)
}

/// Kullback–Leibler divergence `D_KL(p‖q) = Σ_i p_i ln(p_i / q_i)`, in nats, arguments in
/// the mathematical order (PyTorch's `kl_div(input, target)` takes `log q` first and `p`
/// second). `0 ln(0/q) = 0`; `p_i > 0 = q_i` gives `+∞`.
///
/// Gibbs' inequality: `D_KL(p‖q) ≥ 0`, with equality iff `p = q`.
///
/// # Errors
/// As [`cross_entropy_between`].
pub fn kl_divergence(p: &DVector<f64>, q: &DVector<f64>) -> Result<f64> {
    same_len(p, q)?;
    check_distribution("p", 0, p.as_slice())?;
    check_distribution("q", 0, q.as_slice())?;
    let (p, q) = (normalised(p), normalised(q));
    Ok(p.iter()
        .zip(q.iter())
        .filter(|&(&pi, _)| pi > 0.0)
        .map(|(&pi, &qi)| pi * (pi.ln() - qi.ln()))
        .sum::<f64>()
        + 0.0)
}
