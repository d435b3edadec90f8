//! The checks `ce-mle verify` runs on the GPT (rows G1 and G2): the gradient of every
//! parameter against finite differences, and the chain rule that makes the batched loss a
//! log-likelihood.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::config::GptConfig;
use super::float::GptFloat;
use super::model::{Gpt, IGNORE_INDEX, Workspace};
use crate::error::{Error, Result};
use crate::loss::Reduction;

/// Step of the five-point finite differences.
pub const FD_STEP: f64 = 1e-3;
/// Gradients below this magnitude are compared absolutely (see [`relative_error`]).
pub const FD_FLOOR: f64 = 1e-5;

/// `|g − d| / max(|g|, |d|, FD_FLOOR)`: the relative error of an analytic gradient `g`
/// against a finite-difference estimate `d`. The five-point estimate with `h = 1e-3` has an
/// absolute error of about 1e-12 on O(1) losses (truncation `h⁴·|f⁽⁵⁾|/30`, rounding
/// `1.5·ε·|f|/h`); under the floor a relative error would measure that, not the gradient.
#[must_use]
pub fn relative_error(g: f64, d: f64) -> f64 {
    (g - d).abs() / g.abs().max(d.abs()).max(FD_FLOOR)
}

/// The five-point derivative `(f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)) / 12h` of `f` along
/// coordinate `i`.
pub fn five_point(f: &mut dyn FnMut(&[f64]) -> Result<f64>, x: &[f64], i: usize) -> Result<f64> {
    let mut y = x.to_vec();
    let mut at = |d: f64| {
        y[i] = x[i] + d;
        f(&y)
    };
    let (m2, m1, p1, p2) = (
        at(-2.0 * FD_STEP)?,
        at(-FD_STEP)?,
        at(FD_STEP)?,
        at(2.0 * FD_STEP)?,
    );
    Ok((m2 - 8.0 * m1 + 8.0 * p1 - p2) / (12.0 * FD_STEP))
}

/// The small model of the checks: 2 layers, 2 heads, width 16, context 8, 11 tokens.
#[must_use]
pub fn check_config() -> GptConfig {
    GptConfig {
        block_size: 8,
        vocab_size: 11,
        n_layer: 2,
        n_head: 2,
        n_embd: 16,
    }
}

/// A model whose attention is far from uniform, for the checks: matrices and embeddings
/// `N(0, 0.3²)`, LayerNorm weights `1 + N(0, 0.2²)` (ChaCha8, `seed`).
///
/// # Errors
/// As [`GptConfig::validate`].
pub fn wide_model(cfg: GptConfig, seed: u64) -> Result<Gpt<f64>> {
    cfg.validate()?;
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let (wide, ln) = (
        Normal::new(0.0, 0.3).map_err(|_| Error::Empty("normal"))?,
        Normal::new(0.0, 0.2).map_err(|_| Error::Empty("normal"))?,
    );
    let mut p = Vec::with_capacity(cfg.num_parameters());
    for s in cfg.parameter_specs() {
        if s.decays() {
            p.extend((0..s.len()).map(|_| wide.sample(&mut r)));
        } else {
            p.extend((0..s.len()).map(|_| 1.0 + ln.sample(&mut r)));
        }
    }
    Gpt::from_parameters(cfg, p)
}

/// The result of [`gradient_check`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck {
    /// Parameters of the model.
    pub parameters: usize,
    /// Entries compared.
    pub checked: usize,
    /// Entries whose gradient is above [`FD_FLOOR`] (compared relatively).
    pub above_floor: usize,
    /// The worst [`relative_error`].
    pub worst_relative: f64,
    /// The tensor where it occurred.
    pub worst_tensor: String,
    /// One row per parameter tensor, in nanoGPT's `named_parameters()` order.
    pub tensors: Vec<TensorCheck>,
}

/// The gradient check of one parameter tensor (a row of [`GradientCheck::tensors`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TensorCheck {
    /// nanoGPT's name, e.g. `transformer.h.0.attn.c_attn.weight`.
    pub name: String,
    /// PyTorch shape.
    pub shape: Vec<usize>,
    /// Entries compared.
    pub checked: usize,
    /// Entries whose gradient is above [`FD_FLOOR`].
    pub above_floor: usize,
    /// The worst [`relative_error`] in this tensor.
    pub worst_relative: f64,
}

/// The gradient of the mean token CE of [`check_config`]'s [`wide_model`] (seed 11) on a
/// batch of 2 random sequences of 8 tokens (the last target padding), against five-point
/// finite differences in `f64`: every entry of every tensor, or with `Some(k)` at most `k`
/// entries per tensor (evenly spaced, first and last included).
///
/// # Errors
/// Only if the model cannot be evaluated (never for these fixed inputs).
pub fn gradient_check(per_tensor: Option<usize>) -> Result<GradientCheck> {
    let cfg = check_config();
    let model = wide_model(cfg, 11)?;
    let mut r = ChaCha8Rng::seed_from_u64(12);
    let (b, t) = (2, cfg.block_size);
    let v = cfg.vocab_size as u32;
    let x: Vec<u32> = (0..b * t).map(|_| r.random_range(0..v)).collect();
    let mut y: Vec<i64> = (0..b * t)
        .map(|_| i64::from(r.random_range(0..v)))
        .collect();
    y[b * t - 1] = IGNORE_INDEX;
    let mut ws = Workspace::new();
    let mut grads = vec![0.0; model.parameters().len()];
    model.loss_and_grad(&mut ws, &x, &y, b, t, &mut grads)?;
    let mut m = model.clone();
    let params = model.parameters();
    let mut rep = GradientCheck {
        parameters: params.len(),
        checked: 0,
        above_floor: 0,
        worst_relative: 0.0,
        worst_tensor: String::new(),
        tensors: Vec::new(),
    };
    for spec in cfg.parameter_specs() {
        let range = spec.range();
        let mut f = |p: &[f64]| {
            m.parameters_mut()[range.clone()].copy_from_slice(p);
            m.loss(&mut ws, &x, &y, b, t, Reduction::Mean)
        };
        let x0 = &params[range.clone()];
        let g0 = &grads[range.clone()];
        let len = g0.len();
        let k = per_tensor.unwrap_or(len).clamp(2, len.max(2)).min(len);
        let picks: Vec<usize> = if k == len {
            (0..len).collect()
        } else {
            (0..k).map(|j| j * (len - 1) / (k - 1)).collect()
        };
        let mut row = TensorCheck {
            name: spec.name.clone(),
            shape: spec.shape.clone(),
            checked: 0,
            above_floor: 0,
            worst_relative: 0.0,
        };
        for i in picks {
            let g = g0[i];
            let d = five_point(&mut f, x0, i)?;
            let e = relative_error(g, d);
            if e > row.worst_relative || e.is_nan() {
                row.worst_relative = e;
            }
            row.checked += 1;
            row.above_floor += usize::from(g.abs() > FD_FLOOR);
            // A NaN is recorded (and fails the check): it is never "greater" than the worst.
            if e > rep.worst_relative || e.is_nan() {
                rep.worst_relative = e;
                rep.worst_tensor.clone_from(&spec.name);
            }
            rep.checked += 1;
            rep.above_floor += usize::from(g.abs() > FD_FLOOR);
        }
        m.parameters_mut()[range.clone()].copy_from_slice(x0);
        rep.tensors.push(row);
    }
    Ok(rep)
}

/// The two sides of the chain rule on one text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainRule {
    /// Targets predicted (`ids.len() − 1`).
    pub tokens: usize,
    /// `Σ_t CE_t` from one batched forward pass (the loss with `Reduction::Sum`).
    pub batched_sum: f64,
    /// `−Σ_t ln p(x_{t+1} | x_1..x_t)` from one forward pass per prefix, each conditional
    /// read from `log_softmax` of the last position's logits.
    pub token_by_token: f64,
}

impl ChainRule {
    /// `|batched − token_by_token| / tokens` (nats per token).
    #[must_use]
    pub fn gap_per_token(&self) -> f64 {
        (self.batched_sum - self.token_by_token).abs() / self.tokens as f64
    }
}

/// The chain rule of probability for a text `x_1..x_n` (`2 ≤ n ≤ block_size + 1`):
/// `−ln p(x_2..x_n | x_1) = −Σ_t ln p(x_{t+1} | x_1..x_t)`, computed two independent ways:
/// the model's batched cross-entropy (one pass, every position at once, the causal mask
/// keeping each prediction to its prefix) and one pass per prefix with the crate's
/// reference `log_softmax` (so a leak of future tokens through the mask would show).
///
/// # Errors
/// [`Error::ShapeMismatch`] for a text longer than `block_size + 1`; [`Error::Corpus`] for
/// fewer than 2 ids; the model's errors (ids outside the vocabulary).
pub fn chain_rule<T: GptFloat>(model: &Gpt<T>, ids: &[u32]) -> Result<ChainRule> {
    let n = ids.len();
    if n < 2 {
        return Err(Error::Corpus {
            path: "chain-rule text".into(),
            reason: format!("{n} tokens: nothing to predict"),
        });
    }
    if n - 1 > model.config().block_size {
        return Err(Error::ShapeMismatch {
            what: "chain-rule text",
            expected: format!(
                "at most block_size + 1 = {} tokens",
                model.config().block_size + 1
            ),
            got: format!("{n}"),
        });
    }
    let mut ws = Workspace::new();
    let y: Vec<i64> = ids[1..].iter().map(|&v| i64::from(v)).collect();
    let batched_sum = model.loss(&mut ws, &ids[..n - 1], &y, 1, n - 1, Reduction::Sum)?;
    let v = model.config().vocab_size;
    let mut token_by_token = 0.0;
    for t in 1..n {
        let logits = model.logits(&mut ws, &ids[..t], 1, t)?;
        let last: Vec<f64> = logits[(t - 1) * v..t * v]
            .iter()
            .map(|x| x.as_f64())
            .collect();
        let row = nalgebra::DMatrix::from_row_slice(1, v, &last);
        let lp = crate::softmax::log_softmax(&row)?;
        token_by_token -= lp[(0, ids[t] as usize)];
    }
    Ok(ChainRule {
        tokens: n - 1,
        batched_sum,
        token_by_token,
    })
}
