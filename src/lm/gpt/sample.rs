//! Text from a trained model (nanoGPT's `generate`) and the log-probability of a continuation
//! by the chain rule.

use rand::Rng;

use super::float::GptFloat;
use super::model::{Gpt, Workspace};
use crate::error::{Error, Result};

/// How [`generate`] picks each token (nanoGPT's `sample.py`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleOptions {
    /// Logits are divided by it before the softmax: < 1 sharpens, > 1 flattens.
    pub temperature: f64,
    /// Keep only the `k` most likely tokens (`None`: all of them).
    pub top_k: Option<usize>,
}

impl Default for SampleOptions {
    /// nanoGPT's `sample.py`: temperature 0.8, top-k 200.
    fn default() -> Self {
        Self {
            temperature: 0.8,
            top_k: Some(200),
        }
    }
}

/// The last position's logits for the context `ids` (cropped to the last `block_size` ids).
fn last_logits<T: GptFloat>(
    model: &Gpt<T>,
    ws: &mut Workspace<T>,
    ids: &[u32],
) -> Result<Vec<f64>> {
    let bs = model.config().block_size;
    let ctx = &ids[ids.len().saturating_sub(bs)..];
    let v = model.config().vocab_size;
    let t = ctx.len();
    let logits = model.logits(ws, ctx, 1, t)?;
    Ok(logits[(t - 1) * v..t * v]
        .iter()
        .map(|x| x.as_f64())
        .collect())
}

/// nanoGPT's `generate`: append `max_new_tokens` tokens to `prompt`, each drawn from
/// `softmax(logits / temperature)` over the `top_k` largest logits (ties at the k-th value
/// kept, as nanoGPT's `logits < v[:, [-1]]` mask does), the context cropped to the last
/// `block_size` tokens. Returns the new tokens only.
///
/// # Errors
/// [`Error::Empty`] for an empty prompt; [`Error::InvalidHyperParameter`] for a temperature
/// that is not finite and > 0, or `top_k = 0`; the model's errors (ids outside the
/// vocabulary).
pub fn generate<T: GptFloat>(
    model: &Gpt<T>,
    prompt: &[u32],
    max_new_tokens: usize,
    opts: &SampleOptions,
    rng: &mut impl Rng,
) -> Result<Vec<u32>> {
    if prompt.is_empty() {
        return Err(Error::Empty("a prompt needs at least one token"));
    }
    if !(opts.temperature.is_finite() && opts.temperature > 0.0) {
        return Err(Error::InvalidHyperParameter {
            name: "temperature",
            value: opts.temperature,
            reason: "must be finite and > 0",
        });
    }
    if opts.top_k == Some(0) {
        return Err(Error::InvalidHyperParameter {
            name: "top_k",
            value: 0.0,
            reason: "must be at least 1",
        });
    }
    let mut ws = Workspace::new();
    let mut ids = prompt.to_vec();
    for _ in 0..max_new_tokens {
        let mut z = last_logits(model, &mut ws, &ids)?;
        for x in &mut z {
            *x /= opts.temperature;
        }
        if let Some(k) = opts.top_k
            && k < z.len()
        {
            let mut sorted = z.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let kth = sorted[k - 1];
            for x in &mut z {
                if *x < kth {
                    *x = f64::NEG_INFINITY;
                }
            }
        }
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let p: Vec<f64> = z.iter().map(|x| (x - m).exp()).collect();
        let total: f64 = p.iter().sum();
        let u = rng.random::<f64>() * total;
        let mut acc = 0.0;
        let mut pick = p.iter().rposition(|&q| q > 0.0).unwrap_or(0);
        for (i, &q) in p.iter().enumerate() {
            acc += q;
            if u < acc {
                pick = i;
                break;
            }
        }
        ids.push(pick as u32);
    }
    Ok(ids.split_off(prompt.len()))
}

/// `ln p(continuation | context)` by the chain rule: the sum over the continuation's tokens
/// of the model's log-probability of each given the context and the tokens before it (the
/// context cropped to the last `block_size` tokens at each step). In nats.
///
/// # Errors
/// [`Error::Empty`] for an empty context or continuation; the model's errors.
pub fn log_prob<T: GptFloat>(model: &Gpt<T>, context: &[u32], continuation: &[u32]) -> Result<f64> {
    if context.is_empty() || continuation.is_empty() {
        return Err(Error::Empty("log_prob needs a context and a continuation"));
    }
    let mut ws = Workspace::new();
    let mut ids = context.to_vec();
    let mut total = 0.0;
    for &next in continuation {
        let z = last_logits(model, &mut ws, &ids)?;
        let row = nalgebra::DMatrix::from_row_slice(1, z.len(), &z);
        let lp = crate::softmax::log_softmax(&row)?;
        let Some(&l) = lp.as_slice().get(next as usize) else {
            return Err(Error::InvalidValue {
                what: "continuation",
                row: 0,
                col: ids.len() - context.len(),
                value: f64::from(next),
                reason: "a token id must be below vocab_size",
            });
        };
        total += l;
        ids.push(next);
    }
    Ok(total)
}
