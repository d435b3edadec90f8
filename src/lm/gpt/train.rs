//! nanoGPT's training loop (`train.py`): random windows of the training ids, AdamW over
//! nanoGPT's two parameter groups, linear warm-up then cosine decay of the learning rate,
//! gradient clipping by global norm, and periodic estimates of the train and validation loss.
//!
//! # One iteration `it` (0-based)
//! ```text
//! lr      = get_lr(it)                         (warm-up, cosine decay, floor min_lr)
//! x, y    = batch_size windows of block_size+1 ids at random offsets (y = x shifted by one)
//! loss, g = mean CE of the batch and its gradient           (the model's backward pass)
//! g       ← g · min(1, grad_clip / (‖g‖₂ + 1e-6))            (torch.nn.utils.clip_grad_norm_)
//! θ       ← AdamW(θ, g, lr)        weight decay on tensors of ≥ 2 dimensions only
//! ```
//! Evaluations happen before iterations `0, eval_interval, 2·eval_interval, …` and after the
//! last one: the mean loss over `eval_iters` random batches of each split (nanoGPT's
//! `estimate_loss`), and optionally the exact validation loss over the whole split.
//!
//! # Numbers
//! The model computes in its type `T` (`f32` to train). The optimiser is the crate's
//! [`AdamW`], in `f64`: each step widens the parameters and the (clipped) gradients, updates
//! them in `f64` with `f64` moment estimates, and rounds the parameters back to `T` once.
//!
//! # Randomness and resuming
//! The batches come from a ChaCha8 generator seeded with `seed`; the evaluation batches from
//! a separate generator re-seeded at every evaluation from `(seed, it)`, so evaluating more or
//! less often does not change the training batches. [`Trainer::state`] holds everything a
//! checkpoint needs besides the parameters (iteration, generator position, optimiser
//! moments): a run resumed from it continues bit for bit as if it had never stopped.

use std::ops::ControlFlow;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::float::GptFloat;
use super::model::{Gpt, IGNORE_INDEX, Workspace};
use crate::error::{Error, Result};
use crate::loss::Reduction;
use crate::optim::{AdamState, AdamW, Optimizer};

/// The settings of a training run, with nanoGPT's names (`train.py`).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct TrainConfig {
    /// Sequences per batch.
    pub batch_size: usize,
    /// Optimiser steps.
    pub max_iters: usize,
    /// Peak learning rate (after warm-up).
    pub learning_rate: f64,
    /// Learning rate at and after `lr_decay_iters`.
    pub min_lr: f64,
    /// Iterations of linear warm-up.
    pub warmup_iters: usize,
    /// Iteration where the cosine decay reaches `min_lr`.
    pub lr_decay_iters: usize,
    /// AdamW's decoupled weight decay on matrices and embeddings.
    pub weight_decay: f64,
    /// AdamW's β₁.
    pub beta1: f64,
    /// AdamW's β₂.
    pub beta2: f64,
    /// AdamW's ε.
    pub eps: f64,
    /// Largest global gradient norm (0: no clipping).
    pub grad_clip: f64,
    /// Iterations between evaluations.
    pub eval_interval: usize,
    /// Batches per split in an evaluation.
    pub eval_iters: usize,
    /// Seed of the batch generator.
    pub seed: u64,
}

impl TrainConfig {
    /// nanoGPT's CPU recipe for Tiny Shakespeare (README: `--block_size=64 --batch_size=12
    /// --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000
    /// --dropout=0.0 --eval_iters=20` over `config/train_shakespeare_char.py`: lr 1e-3,
    /// min_lr 1e-4, warm-up 100, β₂ 0.99, eval_interval 250; `train.py`: weight decay 0.1,
    /// β₁ 0.9, grad_clip 1.0). AdamW's ε is PyTorch's default, 1e-8.
    #[must_use]
    pub fn nanogpt_cpu() -> Self {
        Self {
            batch_size: 12,
            max_iters: 2000,
            learning_rate: 1e-3,
            min_lr: 1e-4,
            warmup_iters: 100,
            lr_decay_iters: 2000,
            weight_decay: 0.1,
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            grad_clip: 1.0,
            eval_interval: 250,
            eval_iters: 20,
            seed: 1337,
        }
    }

    /// Check every setting.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] naming the setting: a size of 0 (batch, iterations,
    /// evaluation interval or batches), a learning rate that is not finite and > 0, `min_lr`
    /// outside `[0, learning_rate]`, a β outside `[0, 1)`, `eps` ≤ 0, a negative weight decay
    /// or clipping norm, `warmup_iters > lr_decay_iters`; [`Error::TooLarge`] for a batch of
    /// more than 2²⁰ sequences.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, value: f64, reason: &'static str| {
            Err(Error::InvalidHyperParameter {
                name,
                value,
                reason,
            })
        };
        for (name, v) in [
            ("batch_size", self.batch_size),
            ("max_iters", self.max_iters),
            ("eval_interval", self.eval_interval),
            ("eval_iters", self.eval_iters),
        ] {
            if v == 0 {
                return bad(name, 0.0, "must be at least 1");
            }
        }
        if self.batch_size > 1 << 20 {
            return Err(Error::TooLarge {
                what: "batch_size",
                value: self.batch_size as u128,
                limit: 1 << 20,
            });
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                self.learning_rate,
                "must be finite and > 0",
            );
        }
        if !(0.0..=self.learning_rate).contains(&self.min_lr) {
            return bad("min_lr", self.min_lr, "must be in [0, learning_rate]");
        }
        if self.warmup_iters > self.lr_decay_iters {
            return bad(
                "warmup_iters",
                self.warmup_iters as f64,
                "must not exceed lr_decay_iters",
            );
        }
        for (name, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(name, v, "must be in [0, 1)");
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return bad("eps", self.eps, "must be finite and > 0");
        }
        for (name, v) in [
            ("weight_decay", self.weight_decay),
            ("grad_clip", self.grad_clip),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, v, "must be finite and >= 0");
            }
        }
        Ok(())
    }

    /// The learning rate of iteration `it` (nanoGPT's `get_lr`): `lr·(it+1)/(warmup+1)` during
    /// the warm-up, then `min_lr + ½(1 + cos(π·r))·(lr − min_lr)` with
    /// `r = (it − warmup)/(lr_decay_iters − warmup)`, and `min_lr` after `lr_decay_iters`.
    #[must_use]
    pub fn lr_at(&self, it: usize) -> f64 {
        if it < self.warmup_iters {
            return self.learning_rate * (it + 1) as f64 / (self.warmup_iters + 1) as f64;
        }
        if it > self.lr_decay_iters || self.lr_decay_iters == self.warmup_iters {
            return self.min_lr;
        }
        let ratio =
            (it - self.warmup_iters) as f64 / (self.lr_decay_iters - self.warmup_iters) as f64;
        let coeff = 0.5 * (1.0 + (std::f64::consts::PI * ratio).cos());
        self.min_lr + coeff * (self.learning_rate - self.min_lr)
    }
}

/// What one iteration did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// The iteration (0-based).
    pub iter: usize,
    /// Its learning rate.
    pub lr: f64,
    /// Mean CE of its batch before the update (nats per token).
    pub loss: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
}

/// An evaluation (nanoGPT's `estimate_loss`), after `iter` updates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalStats {
    /// Updates done so far.
    pub iter: usize,
    /// Mean CE over `eval_iters` random training batches.
    pub train_loss: f64,
    /// Mean CE over `eval_iters` random validation batches.
    pub val_loss: f64,
    /// The exact mean CE over the whole validation split (if asked for).
    pub val_full: Option<f64>,
}

/// A report of [`Trainer::run`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// An iteration finished.
    Step(StepStats),
    /// An evaluation finished.
    Eval(EvalStats),
}

/// The position of a ChaCha8 generator: enough to continue its stream exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngState {
    /// The 32-byte key.
    pub seed: [u8; 32],
    /// The stream number.
    pub stream: u64,
    /// The position in the stream, in 32-bit words.
    pub word_pos: u128,
}

impl RngState {
    fn of(r: &ChaCha8Rng) -> Self {
        Self {
            seed: r.get_seed(),
            stream: r.get_stream(),
            word_pos: r.get_word_pos(),
        }
    }

    fn rng(&self) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::from_seed(self.seed);
        r.set_stream(self.stream);
        r.set_word_pos(self.word_pos);
        r
    }
}

/// Everything a checkpoint holds besides the parameters and the configurations.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainerState {
    /// Updates done.
    pub iter: usize,
    /// The batch generator.
    pub rng: RngState,
    /// AdamW's moments, one buffer per parameter tensor (nanoGPT's order).
    pub optimizer: AdamState,
}

/// The data of a run: token ids of the training and validation splits.
#[derive(Clone, Copy, Debug)]
pub struct TrainData<'a> {
    /// Training ids.
    pub train: &'a [u32],
    /// Validation ids.
    pub val: &'a [u32],
}

/// A model being trained, with its optimiser, batch generator and buffers.
#[derive(Debug)]
pub struct Trainer<T: GptFloat> {
    model: Gpt<T>,
    config: TrainConfig,
    opt: AdamW,
    iter: usize,
    rng: ChaCha8Rng,
    ws: Workspace<T>,
    grads: Vec<T>,
    p64: Vec<f64>,
    g64: Vec<f64>,
    ranges: Vec<std::ops::Range<usize>>,
    full_validation: bool,
}

impl<T: GptFloat> Trainer<T> {
    /// A trainer at iteration 0.
    ///
    /// # Errors
    /// As [`TrainConfig::validate`].
    pub fn new(model: Gpt<T>, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let specs = model.config().parameter_specs();
        let decays = specs
            .iter()
            .map(|s| if s.decays() { config.weight_decay } else { 0.0 })
            .collect();
        let opt = AdamW::with_options(
            config.learning_rate,
            (config.beta1, config.beta2),
            config.eps,
            config.weight_decay,
        )?
        .weight_decay_per_buffer(decays)?;
        let n = model.parameters().len();
        Ok(Self {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            config,
            opt,
            iter: 0,
            ws: Workspace::new(),
            grads: vec![T::default(); n],
            p64: vec![0.0; n],
            g64: vec![0.0; n],
            ranges: specs.iter().map(super::ParamSpec::range).collect(),
            model,
            full_validation: false,
        })
    }

    /// A trainer continuing from a checkpoint: the model after `state.iter` updates and the
    /// state taken then.
    ///
    /// # Errors
    /// As [`Trainer::new`]; the errors of [`AdamState`] loading (moments that do not match
    /// the model's tensors).
    pub fn resume(model: Gpt<T>, config: TrainConfig, state: TrainerState) -> Result<Self> {
        let mut t = Self::new(model, config)?;
        let lens: Vec<usize> = t.ranges.iter().map(ExactSizeIterator::len).collect();
        let got: Vec<usize> = state.optimizer.exp_avg.iter().map(Vec::len).collect();
        if state.iter > 0 && got != lens {
            return Err(Error::ShapeMismatch {
                what: "optimizer state",
                expected: format!("{} buffers shaped as the parameters", lens.len()),
                got: format!("{} buffers", got.len()),
            });
        }
        t.opt.load_state(state.optimizer)?;
        t.iter = state.iter;
        t.rng = state.rng.rng();
        Ok(t)
    }

    /// Also compute the exact validation loss over the whole split at every evaluation.
    #[must_use]
    pub fn with_full_validation(mut self, on: bool) -> Self {
        self.full_validation = on;
        self
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &Gpt<T> {
        &self.model
    }

    /// The training settings.
    #[must_use]
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Updates done.
    #[must_use]
    pub fn iter(&self) -> usize {
        self.iter
    }

    /// The state to save with the parameters (see [`Trainer::resume`]).
    #[must_use]
    pub fn state(&self) -> TrainerState {
        TrainerState {
            iter: self.iter,
            rng: RngState::of(&self.rng),
            optimizer: self.opt.state(),
        }
    }

    /// Check that both splits hold at least one window of `block_size + 1` ids.
    ///
    /// # Errors
    /// [`Error::Corpus`] naming the split that is too short.
    pub fn check_data(&self, data: &TrainData<'_>) -> Result<()> {
        self.check_split(data.train, "training split")?;
        self.check_split(data.val, "validation split")
    }

    fn check_split(&self, ids: &[u32], what: &str) -> Result<()> {
        let t = self.model.config().block_size;
        if ids.len() <= t {
            return Err(Error::Corpus {
                path: what.into(),
                reason: format!(
                    "{} tokens are too few: a window needs block_size + 1 = {}",
                    ids.len(),
                    t + 1
                ),
            });
        }
        Ok(())
    }

    /// One iteration on the batch `(x, y)` of `b` sequences of `t` ids (the learning rate of
    /// the current iteration, clipping, AdamW).
    ///
    /// # Errors
    /// The errors of [`Gpt::loss_and_grad`]; [`Error::Diverged`] if the loss, a gradient or a
    /// parameter stops being finite (the model is left as it was before the step).
    pub fn step_on(&mut self, x: &[u32], y: &[i64], b: usize, t: usize) -> Result<StepStats> {
        let it = self.iter;
        let lr = self.config.lr_at(it);
        self.grads.fill(T::default());
        let loss = self
            .model
            .loss_and_grad(&mut self.ws, x, y, b, t, &mut self.grads)?;
        if !loss.is_finite() {
            return Err(Error::Diverged {
                step: it,
                what: "the loss",
                value: loss,
            });
        }
        // Global norm: the norm of the per-tensor norms (clip_grad_norm_), in f64.
        let mut sq = 0.0;
        for r in &self.ranges {
            let mut s = 0.0;
            for (g64, g) in self.g64[r.clone()].iter_mut().zip(&self.grads[r.clone()]) {
                *g64 = g.as_f64();
                s += *g64 * *g64;
            }
            let norm = s.sqrt();
            sq += norm * norm;
        }
        let grad_norm = sq.sqrt();
        if self.config.grad_clip > 0.0 {
            let coef = self.config.grad_clip / (grad_norm + 1e-6);
            if coef < 1.0 {
                for g in &mut self.g64 {
                    *g *= coef;
                }
            }
        }
        for (p64, p) in self.p64.iter_mut().zip(self.model.parameters()) {
            *p64 = p.as_f64();
        }
        self.opt.set_lr(lr)?;
        {
            let mut params = split_mut(&mut self.p64, &self.ranges);
            let grads: Vec<&[f64]> = self.ranges.iter().map(|r| &self.g64[r.clone()]).collect();
            self.opt.step(&mut params, &grads).map_err(|e| match e {
                Error::InvalidValue { what, value, .. } => Error::Diverged {
                    step: it + 1,
                    what: if what == "grads" {
                        "a gradient"
                    } else {
                        "a parameter"
                    },
                    value,
                },
                e => e,
            })?;
        }
        if let Some(&value) = self.p64.iter().find(|p| !p.is_finite()) {
            return Err(Error::Diverged {
                step: it + 1,
                what: "a parameter",
                value,
            });
        }
        for (p, &p64) in self.model.parameters_mut().iter_mut().zip(&self.p64) {
            *p = T::round_from_f64(p64);
        }
        self.iter += 1;
        Ok(StepStats {
            iter: it,
            lr,
            loss,
            grad_norm,
        })
    }

    /// One iteration on a random batch of `train` (nanoGPT's `get_batch('train')`).
    ///
    /// # Errors
    /// [`Error::Corpus`] if `train` has no window of `block_size + 1` ids; as
    /// [`Trainer::step_on`].
    pub fn step(&mut self, train: &[u32]) -> Result<StepStats> {
        self.check_split(train, "training split")?;
        let (b, t) = (self.config.batch_size, self.model.config().block_size);
        let (x, y) = random_batch(&mut self.rng, train, b, t);
        self.step_on(&x, &y, b, t)
    }

    /// nanoGPT's `estimate_loss`: the mean CE over `eval_iters` random batches of each split,
    /// drawn from a generator seeded from `(seed, iter)`.
    ///
    /// # Errors
    /// [`Error::Corpus`] if a split has no window of `block_size + 1` ids; as [`Gpt::loss`].
    pub fn estimate_loss(&mut self, data: &TrainData<'_>) -> Result<EvalStats> {
        self.check_data(data)?;
        let (b, t) = (self.config.batch_size, self.model.config().block_size);
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed);
        rng.set_stream(1 + self.iter as u64);
        let mut means = [0.0; 2];
        for (mean, ids) in means.iter_mut().zip([data.train, data.val]) {
            let mut sum = 0.0;
            for _ in 0..self.config.eval_iters {
                let (x, y) = random_batch(&mut rng, ids, b, t);
                sum += self
                    .model
                    .loss(&mut self.ws, &x, &y, b, t, Reduction::Mean)?;
            }
            *mean = sum / self.config.eval_iters as f64;
        }
        let val_full = if self.full_validation {
            Some(evaluate(&self.model, &mut self.ws, data.val, self.config.batch_size)?.mean)
        } else {
            None
        };
        Ok(EvalStats {
            iter: self.iter,
            train_loss: means[0],
            val_loss: means[1],
            val_full,
        })
    }

    /// Train until `max_iters` updates, evaluating before iterations `0, eval_interval, …`
    /// and after the last one. `on_event` sees every step and evaluation with the trainer
    /// (to draw progress or save a checkpoint); `ControlFlow::Break` stops after that event.
    /// Returns the number of updates done.
    ///
    /// # Errors
    /// As [`Trainer::step`] and [`Trainer::estimate_loss`].
    pub fn run(
        &mut self,
        data: &TrainData<'_>,
        on_event: &mut dyn FnMut(&Event, &Self) -> ControlFlow<()>,
    ) -> Result<usize> {
        self.check_data(data)?;
        while self.iter < self.config.max_iters {
            if self.iter.is_multiple_of(self.config.eval_interval) {
                let e = Event::Eval(self.estimate_loss(data)?);
                if on_event(&e, self).is_break() {
                    return Ok(self.iter);
                }
            }
            let s = Event::Step(self.step(data.train)?);
            if on_event(&s, self).is_break() {
                return Ok(self.iter);
            }
        }
        let e = Event::Eval(self.estimate_loss(data)?);
        let _ = on_event(&e, self);
        Ok(self.iter)
    }
}

/// Disjoint mutable views of `buf`, one per range (ranges consecutive and increasing).
fn split_mut<'a>(mut buf: &'a mut [f64], ranges: &[std::ops::Range<usize>]) -> Vec<&'a mut [f64]> {
    let mut out = Vec::with_capacity(ranges.len());
    let mut at = 0;
    for r in ranges {
        let rest = std::mem::take(&mut buf);
        let (_, rest) = rest.split_at_mut(r.start - at);
        let (this, rest) = rest.split_at_mut(r.len());
        out.push(this);
        buf = rest;
        at = r.end;
    }
    out
}

/// `b` windows of `t + 1` consecutive ids at uniform random offsets in `0..len − t`
/// (nanoGPT's `get_batch`): inputs `x` and next-token targets `y`, each `(b, t)`.
///
/// # Panics
/// If `ids.len() ≤ t` (callers check).
pub fn random_batch(rng: &mut impl Rng, ids: &[u32], b: usize, t: usize) -> (Vec<u32>, Vec<i64>) {
    let mut x = Vec::with_capacity(b * t);
    let mut y = Vec::with_capacity(b * t);
    for _ in 0..b {
        let i = rng.random_range(0..ids.len() - t);
        x.extend_from_slice(&ids[i..i + t]);
        y.extend(ids[i + 1..i + 1 + t].iter().map(|&v| i64::from(v)));
    }
    (x, y)
}

/// The exact cross-entropy of a model on a whole text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean CE per predicted token (nats).
    pub mean: f64,
    /// Tokens predicted (`ids.len() − 1`).
    pub tokens: usize,
}

/// The mean CE of `model` over every next-token prediction of `ids`: the text is cut into
/// consecutive windows of `block_size + 1` ids overlapping by one (each id after the first is
/// a target exactly once, with the context of its window), `batch` windows per forward
/// pass, the last window padded with targets [`IGNORE_INDEX`].
///
/// # Errors
/// [`Error::Corpus`] for fewer than 2 ids; the errors of [`Gpt::loss`] (ids outside the
/// vocabulary).
pub fn evaluate<T: GptFloat>(
    model: &Gpt<T>,
    ws: &mut Workspace<T>,
    ids: &[u32],
    batch: usize,
) -> Result<Evaluation> {
    if ids.len() < 2 {
        return Err(Error::Corpus {
            path: "evaluation text".into(),
            reason: format!("{} tokens: nothing to predict", ids.len()),
        });
    }
    let t = model.config().block_size;
    let targets = ids.len() - 1;
    let windows = targets.div_ceil(t);
    let batch = batch.max(1);
    let mut sum = 0.0;
    for first in (0..windows).step_by(batch) {
        let b = batch.min(windows - first);
        let mut x = vec![0u32; b * t];
        let mut y = vec![IGNORE_INDEX; b * t];
        for w in 0..b {
            let start = (first + w) * t;
            let end = (start + t).min(targets);
            x[w * t..w * t + end - start].copy_from_slice(&ids[start..end]);
            for (k, &v) in ids[start + 1..=end].iter().enumerate() {
                y[w * t + k] = i64::from(v);
            }
        }
        sum += model.loss(ws, &x, &y, b, t, Reduction::Sum)?;
    }
    Ok(Evaluation {
        mean: sum / targets as f64,
        tokens: targets,
    })
}
