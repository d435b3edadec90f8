//! Training loops: models learn by minimising cross-entropy (= maximising likelihood).
//!
//! [`seed_example`] is the source article's PyTorch program, re-expressed in Rust:
//! `Linear(10 → 5)` on 32 standard-normal samples with uniform labels, `cross_entropy`, Adam
//! (lr 1e-3), 100 full-batch epochs, the loss printed every 10 epochs (theorem T10).

mod early_stopping;

pub use early_stopping::{EarlyStopping, History};

use std::fmt::Write as _;

use crate::data::{Classification, DEFAULT_SEED, random_classification, rng};
use crate::error::{Error, Result};
use crate::loss::{CrossEntropyOptions, Target};
use crate::nn::{Linear, SoftmaxClassifier};
use crate::optim::{Adam, Optimizer};

/// After `steps` updates, a non-finite parameter means the run diverged: say so instead of
/// reporting the NaN it produced downstream.
fn diverged(steps: usize, model: &SoftmaxClassifier, e: Error) -> Error {
    let l = &model.linear;
    match l
        .weight
        .iter()
        .chain(l.bias.iter())
        .find(|v| !v.is_finite())
    {
        Some(&value) if steps > 0 => Error::Diverged {
            step: steps,
            what: "a parameter",
            value,
        },
        _ => e,
    }
}

/// Settings of [`seed_example`]; the defaults are the article's.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedConfig {
    /// Random seed for the data and the initialisation.
    pub seed: u64,
    /// Samples N (32).
    pub n: usize,
    /// Input features (10).
    pub features: usize,
    /// Classes C (5).
    pub classes: usize,
    /// Adam's learning rate (1e-3).
    pub lr: f64,
    /// Full-batch epochs (100).
    pub epochs: usize,
    /// Print every this many epochs (10).
    pub print_every: usize,
}

impl Default for SeedConfig {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            n: 32,
            features: 10,
            classes: 5,
            lr: 1e-3,
            epochs: 100,
            print_every: 10,
        }
    }
}

/// What a training run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// The settings used.
    pub config: SeedConfig,
    /// `losses[e]`: mean cross-entropy at the start of epoch `e + 1`, before its update (what
    /// the article's program prints).
    pub losses: Vec<f64>,
    /// Mean cross-entropy after the last update.
    pub final_loss: f64,
    /// Training accuracy before the first and after the last update.
    pub accuracy: (f64, f64),
    /// The trained model.
    pub model: SoftmaxClassifier,
}

impl TrainReport {
    /// The loss table as the article's program prints it, one line every `print_every`
    /// epochs: `Epoch [10/100], Loss: 1.7234` (4 decimals, as the article).
    #[must_use]
    pub fn table(&self) -> String {
        let c = &self.config;
        let mut s = String::new();
        for (e, l) in self.losses.iter().enumerate() {
            let epoch = e + 1;
            if c.print_every > 0 && epoch % c.print_every == 0 {
                let _ = writeln!(s, "Epoch [{epoch}/{}], Loss: {l:.4}", c.epochs);
            }
        }
        s
    }
}

/// Run the article's training program (T10). See [`SeedConfig`] for the defaults.
///
/// The most epochs [`seed_example`] runs (the loss of every epoch is kept).
pub const MAX_EPOCHS: usize = 10_000_000;

/// # Errors
/// [`Error::Empty`] for zero sizes or zero epochs; [`Error::TooLarge`] for more than
/// [`MAX_EPOCHS`] epochs or more than [`crate::error::MAX_ELEMENTS`] features or weights;
/// [`Error::InvalidHyperParameter`] for a bad learning rate; [`Error::Diverged`] if the loss
/// stops being finite (a learning rate far too large).
pub fn seed_example(config: &SeedConfig) -> Result<TrainReport> {
    if config.epochs == 0 {
        return Err(Error::Empty("epochs must be > 0"));
    }
    if config.epochs > MAX_EPOCHS {
        return Err(Error::TooLarge {
            what: "epochs",
            value: config.epochs as u128,
            limit: MAX_EPOCHS as u128,
        });
    }
    let mut r = rng(config.seed);
    let data = random_classification(config.n, config.features, config.classes, &mut r)?;
    let mut model = SoftmaxClassifier::new(Linear::new(config.features, config.classes, &mut r)?);
    let mut opt = Adam::new(config.lr)?;
    let opts = CrossEntropyOptions::default();
    let target = Target::Indices(&data.y);
    let acc0 = model.accuracy(&data.x, &data.y)?;
    let mut losses = Vec::new();
    for epoch in 0..config.epochs {
        let (loss, g) = model
            .loss_and_grad(&data.x, target, &opts)
            .map_err(|e| diverged(epoch, &model, e))?;
        losses.push(loss.scalar().unwrap_or(f64::NAN));
        opt.step(
            &mut model.linear.parameters_mut(),
            &[g.weight.as_slice(), g.bias.as_slice()],
        )?;
    }
    let (final_loss, _) = model
        .loss_and_grad(&data.x, target, &opts)
        .map_err(|e| diverged(config.epochs, &model, e))?;
    let acc1 = model.accuracy(&data.x, &data.y)?;
    Ok(TrainReport {
        config: config.clone(),
        losses,
        final_loss: final_loss.scalar().unwrap_or(f64::NAN),
        accuracy: (acc0, acc1),
        model,
    })
}

/// Full-batch training of `model` on `train` with `optimizer` for at most `epochs` epochs,
/// recording the training and (if given) validation mean cross-entropy before each update.
///
/// With `early` (which needs a validation set), training stops as soon as
/// [`EarlyStopping::update`] says so — the epoch that triggered it is recorded but not
/// followed by an update — and, if it keeps the best parameters, they are restored into
/// `model`.
///
/// # Errors
/// [`Error::Empty`] for zero epochs or `early` without a validation set;
/// [`Error::Diverged`] if a parameter stops being finite; errors of the loss and the optimiser.
pub fn fit(
    model: &mut SoftmaxClassifier,
    train: &Classification,
    validation: Option<&Classification>,
    optimizer: &mut dyn Optimizer,
    epochs: usize,
    mut early: Option<&mut EarlyStopping>,
) -> Result<History> {
    if epochs == 0 {
        return Err(Error::Empty("epochs must be > 0"));
    }
    if early.is_some() && validation.is_none() {
        return Err(Error::Empty("early stopping needs a validation set"));
    }
    let opts = CrossEntropyOptions::default();
    let mut history = History::default();
    for epoch in 0..epochs {
        let (loss, g) = model
            .loss_and_grad(&train.x, Target::Indices(&train.y), &opts)
            .map_err(|e| diverged(epoch, model, e))?;
        history.train.push(loss.scalar().unwrap_or(f64::NAN));
        if let Some(val) = validation {
            let (vl, _) = model.loss_and_grad(&val.x, Target::Indices(&val.y), &opts)?;
            let vl = vl.scalar().unwrap_or(f64::NAN);
            history.validation.push(vl);
            if let Some(es) = early.as_deref_mut() {
                let l = &model.linear;
                if es.update(epoch, vl, &[l.weight.as_slice(), l.bias.as_slice()])? {
                    es.restore(&mut model.linear.parameters_mut())?;
                    return Ok(history);
                }
            }
        }
        optimizer.step(
            &mut model.linear.parameters_mut(),
            &[g.weight.as_slice(), g.bias.as_slice()],
        )?;
    }
    if let Some(es) = early {
        es.restore(&mut model.linear.parameters_mut())?;
    }
    Ok(history)
}
