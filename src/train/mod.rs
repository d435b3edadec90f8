//! Training loops: models learn by minimising cross-entropy (= maximising likelihood).
//!
//! [`article_run`] is the source article's PyTorch program, re-expressed in Rust:
//! `Linear(10 → 5)` on 32 standard-normal samples with uniform labels, `cross_entropy`, Adam
//! (lr 1e-3), 100 full-batch epochs, the loss printed every 10 epochs (theorem T10).
//!
//! [`fit`] and [`fit_with`] are the general full-batch loop: any optimiser (or an
//! [`OptimizerSpec`]), an optional validation split with [`EarlyStopping`], and with
//! [`fit_with`] an L1/L2 penalty ([`Regularization`]). Every run is recorded in a [`History`]
//! (data losses; the penalty separately), which can be written as CSV or JSON and drawn (the
//! book crate's `plot`). `RecordedStart` (feature `serde`) reads a data set and an
//! initialisation recorded elsewhere (PyTorch), so that a run can start where PyTorch's did.
//!
//! The loops draw nothing: [`fit_observed`] calls an observer after every epoch with an
//! [`Epoch`], from which a command-line tool can draw a progress bar.

mod early_stopping;
mod history;
#[cfg(feature = "serde")]
mod init;
mod regularization;

pub use early_stopping::EarlyStopping;
pub use history::{History, HistoryFormat};
#[cfg(feature = "serde")]
pub use init::RecordedStart;
pub use regularization::{L1Mode, Regularization, soft_threshold};

use std::fmt::Write as _;

use crate::data::{Classification, DEFAULT_SEED, random_classification, rng};
use crate::error::{Error, Result};
use crate::loss::{CrossEntropyOptions, Target};
use crate::nn::{Linear, SoftmaxClassifier};
use crate::optim::{Adam, AdamW, Optimizer, Sgd};

/// After `steps` updates, a non-finite parameter means the run diverged: say so instead of
/// reporting the NaN it produced downstream. So does a non-finite logit (finite but huge
/// parameters whose products overflow) or gradient: the loss would otherwise report an
/// infinite "input", which the user never gave.
fn diverged(steps: usize, model: &SoftmaxClassifier, e: Error) -> Error {
    if steps == 0 {
        return e;
    }
    let l = &model.linear;
    if let Some(&value) = l
        .weight
        .iter()
        .chain(l.bias.iter())
        .find(|v| !v.is_finite())
    {
        return Error::Diverged {
            step: steps,
            what: "a parameter",
            value,
        };
    }
    match e {
        Error::InvalidValue { what, value, .. } if !value.is_finite() => Error::Diverged {
            step: steps,
            what: if what == "input" {
                "a logit"
            } else {
                "a gradient"
            },
            value,
        },
        Error::AllNegInfRow { .. } => Error::Diverged {
            step: steps,
            what: "a logit",
            value: f64::NEG_INFINITY,
        },
        other => other,
    }
}

/// Settings of [`article_run`]; the defaults are the article's.
#[derive(Clone, Debug, PartialEq)]
pub struct ArticleConfig {
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

impl Default for ArticleConfig {
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
    pub config: ArticleConfig,
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

/// The most epochs [`article_run`], [`fit`] and [`fit_with`] run (the loss of every epoch is
/// kept).
pub const MAX_EPOCHS: usize = 10_000_000;

/// Run the article's training program (T10). See [`ArticleConfig`] for the defaults.
///
/// # Errors
/// [`Error::Empty`] for zero sizes or zero epochs; [`Error::TooLarge`] for more than
/// [`MAX_EPOCHS`] epochs or more than [`crate::error::MAX_ELEMENTS`] features or weights;
/// [`Error::InvalidHyperParameter`] for a bad learning rate; [`Error::Diverged`] if the loss
/// stops being finite (a learning rate far too large).
pub fn article_run(config: &ArticleConfig) -> Result<TrainReport> {
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
    let (data, mut model) = article_start(config)?;
    let run = FitConfig {
        optimizer: OptimizerSpec::Adam {
            lr: config.lr,
            weight_decay: 0.0,
        },
        epochs: config.epochs,
        regularization: Regularization::none(),
    };
    let acc0 = model.accuracy(&data.x, &data.y)?;
    let history = fit_with(&mut model, &data, None, &run, None)?;
    let (final_loss, _) = model
        .loss_and_grad(
            &data.x,
            Target::Indices(&data.y),
            &CrossEntropyOptions::default(),
        )
        .map_err(|e| diverged(config.epochs, &model, e))?;
    let acc1 = model.accuracy(&data.x, &data.y)?;
    Ok(TrainReport {
        config: config.clone(),
        losses: history.train,
        final_loss: final_loss.scalar().unwrap_or(f64::NAN),
        accuracy: (acc0, acc1),
        model,
    })
}

/// The data and the untrained model of [`article_run`], drawn as it draws them from one
/// seeded generator: the data first ([`random_classification`]), then the layer
/// ([`Linear::new`]).
///
/// # Errors
/// As [`random_classification`] and [`Linear::new`].
pub fn article_start(config: &ArticleConfig) -> Result<(Classification, SoftmaxClassifier)> {
    let mut r = rng(config.seed);
    let data = random_classification(config.n, config.features, config.classes, &mut r)?;
    let model = SoftmaxClassifier::new(Linear::new(config.features, config.classes, &mut r)?);
    Ok((data, model))
}

/// Which optimiser [`fit_with`] builds, with PyTorch's hyper-parameter names and semantics
/// (see [`crate::optim`]).
///
/// `weight_decay` is the optimiser's own: for [`Sgd`] and [`Adam`] it adds `weight_decay·θ` to
/// the gradient (an L2 penalty `(weight_decay/2)·‖θ‖²` on *every* parameter, bias included);
/// for [`AdamW`] it is decoupled, `θ ← θ − lr·weight_decay·θ` (Loshchilov & Hutter, 2019). The
/// penalties of [`Regularization`] are separate and exclude the bias by default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerSpec {
    /// `torch.optim.SGD(lr, momentum, nesterov=…, weight_decay=…)` (dampening 0).
    Sgd {
        /// Learning rate (> 0).
        lr: f64,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
        /// Nesterov momentum (needs μ > 0).
        nesterov: bool,
        /// L2 weight decay ≥ 0, added to the gradient.
        weight_decay: f64,
    },
    /// `torch.optim.Adam(lr, weight_decay=…)`, betas (0.9, 0.999), eps 1e-8.
    Adam {
        /// Learning rate (> 0).
        lr: f64,
        /// L2 weight decay ≥ 0, added to the gradient.
        weight_decay: f64,
    },
    /// `torch.optim.AdamW(lr, weight_decay=…)`, betas (0.9, 0.999), eps 1e-8 (PyTorch's
    /// default `weight_decay` is 0.01).
    AdamW {
        /// Learning rate (> 0).
        lr: f64,
        /// Decoupled weight decay ≥ 0.
        weight_decay: f64,
    },
}

impl OptimizerSpec {
    /// The learning rate.
    #[must_use]
    pub fn lr(&self) -> f64 {
        match *self {
            Self::Sgd { lr, .. } | Self::Adam { lr, .. } | Self::AdamW { lr, .. } => lr,
        }
    }

    /// Build the optimiser.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] as the optimiser's constructor (e.g. `lr` ≤ 0, a
    /// negative `weight_decay`, `nesterov` with momentum 0).
    pub fn build(&self) -> Result<Box<dyn Optimizer>> {
        Ok(match *self {
            Self::Sgd {
                lr,
                momentum,
                nesterov,
                weight_decay,
            } => Box::new(Sgd::with_options(lr, momentum, weight_decay)?.nesterov(nesterov)?),
            Self::Adam { lr, weight_decay } => {
                Box::new(Adam::with_options(lr, (0.9, 0.999), 1e-8, weight_decay)?)
            }
            Self::AdamW { lr, weight_decay } => {
                Box::new(AdamW::with_options(lr, (0.9, 0.999), 1e-8, weight_decay)?)
            }
        })
    }

    /// Whether one step is a plain gradient step `θ ← θ − lr·g` (SGD without momentum), the
    /// only case where [`L1Mode::Proximal`] is the proximal gradient method.
    #[must_use]
    pub fn is_plain_gradient_step(&self) -> bool {
        matches!(*self, Self::Sgd { momentum, .. } if momentum == 0.0)
    }
}

/// The settings of [`fit_with`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitConfig {
    /// The optimiser.
    pub optimizer: OptimizerSpec,
    /// Most full-batch epochs (fewer if early stopping stops the run).
    pub epochs: usize,
    /// The L1/L2 penalty added to the objective.
    pub regularization: Regularization,
}

/// What [`fit_observed`] reports after each epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// Epochs done so far (1-based: 1 after the first).
    pub done: usize,
    /// The most epochs the run will do.
    pub epochs: usize,
    /// Mean training cross-entropy recorded at the start of this epoch (nats).
    pub train_loss: f64,
    /// Mean validation cross-entropy of this epoch, if there is a validation set (nats).
    pub validation_loss: Option<f64>,
}

/// Full-batch training of `model` on `train` with `optimizer` for at most `epochs` epochs,
/// recording the training and (if given) validation mean cross-entropy before each update.
/// No penalty: [`fit_with`] adds one.
///
/// With `early` (which needs a validation set), training stops as soon as
/// [`EarlyStopping::update`] says so — the epoch that triggered it is recorded but not
/// followed by an update — and, if it keeps the best parameters, they are restored into
/// `model`.
///
/// # Errors
/// [`Error::Empty`] for zero epochs or `early` without a validation set; [`Error::TooLarge`]
/// beyond [`MAX_EPOCHS`]; [`Error::Diverged`] if a parameter stops being finite; errors of the
/// loss and the optimiser.
pub fn fit(
    model: &mut SoftmaxClassifier,
    train: &Classification,
    validation: Option<&Classification>,
    optimizer: &mut dyn Optimizer,
    epochs: usize,
    early: Option<&mut EarlyStopping>,
) -> Result<History> {
    let run = Run {
        optimizer,
        proximal_lr: None,
        epochs,
        regularization: &Regularization::none(),
    };
    fit_loop(model, train, validation, run, early, &mut |_| {})
}

/// [`fit`] with an [`OptimizerSpec`] and a penalty: full-batch descent on
/// ```text
/// J(θ) = CE(θ; train) + λ₂·‖W‖₂² + λ₁·‖W‖₁        (nats)
/// ```
/// (see [`Regularization`]). Each epoch: record the data losses and the penalty (in
/// [`History`]: `train` and `validation` are data losses, penalty excluded), let
/// [`EarlyStopping`] decide on the **validation data loss**, add the penalty's (sub)gradient
/// to the data gradient, take the optimiser step, and in [`L1Mode::Proximal`] soft-threshold
/// by `lr·λ₁` (ISTA).
///
/// # Errors
/// As [`fit`]; [`Error::InvalidHyperParameter`] from [`OptimizerSpec::build`], and (name
/// `l1_mode`) for [`L1Mode::Proximal`] with a positive `λ₁` and an optimiser other than SGD
/// without momentum (the proximal step is only the proximal gradient method after a plain
/// gradient step; see [`Regularization`]).
pub fn fit_with(
    model: &mut SoftmaxClassifier,
    train: &Classification,
    validation: Option<&Classification>,
    config: &FitConfig,
    early: Option<&mut EarlyStopping>,
) -> Result<History> {
    fit_observed(model, train, validation, config, early, &mut |_| {})
}

/// [`fit_with`], calling `observer` after every epoch (e.g. to draw a progress bar).
///
/// # Errors
/// As [`fit_with`].
pub fn fit_observed(
    model: &mut SoftmaxClassifier,
    train: &Classification,
    validation: Option<&Classification>,
    config: &FitConfig,
    early: Option<&mut EarlyStopping>,
    observer: &mut dyn FnMut(Epoch),
) -> Result<History> {
    let reg = &config.regularization;
    let proximal = reg.mode() == L1Mode::Proximal && reg.l1() > 0.0;
    if proximal && !config.optimizer.is_plain_gradient_step() {
        return Err(Error::InvalidHyperParameter {
            name: "l1_mode",
            value: reg.l1(),
            reason: "the proximal L1 step (soft-thresholding by lr*l1) needs SGD without momentum; use the subgradient mode with momentum, Adam or AdamW",
        });
    }
    let mut optimizer = config.optimizer.build()?;
    let run = Run {
        optimizer: optimizer.as_mut(),
        proximal_lr: proximal.then(|| config.optimizer.lr()),
        epochs: config.epochs,
        regularization: reg,
    };
    fit_loop(model, train, validation, run, early, observer)
}

/// Split `data` into training and validation sets: `round(fraction·N)` rows chosen at random
/// (seeded, ChaCha8) go to validation, the rest to training; both keep the original row order.
/// `fraction = 0` gives no validation set and all of `data` for training.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] (`val_fraction`) unless `0 ≤ fraction < 1` and, when
/// positive, both parts get at least one row.
pub fn split_validation(
    data: &Classification,
    fraction: f64,
    seed: u64,
) -> Result<(Classification, Option<Classification>)> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(Error::InvalidHyperParameter {
            name: "val_fraction",
            value: fraction,
            reason: "must be in [0, 1)",
        });
    }
    if fraction == 0.0 {
        return Ok((data.clone(), None));
    }
    let n = data.y.len();
    let k = (fraction * n as f64).round() as usize;
    if k == 0 || k >= n {
        return Err(Error::InvalidHyperParameter {
            name: "val_fraction",
            value: fraction,
            reason: "leaves an empty training or validation set for this data size",
        });
    }
    let mut chosen = vec![false; n];
    for i in rand::seq::index::sample(&mut rng(seed), n, k) {
        chosen[i] = true;
    }
    let take = |val: bool| {
        let rows: Vec<usize> = (0..n).filter(|&i| chosen[i] == val).collect();
        Classification {
            x: data.x.select_rows(rows.iter()),
            y: rows.iter().map(|&i| data.y[i]).collect(),
            classes: data.classes,
        }
    };
    Ok((take(false), Some(take(true))))
}

/// One run's optimiser and settings, for [`fit_loop`].
struct Run<'a> {
    optimizer: &'a mut dyn Optimizer,
    /// `Some(lr)`: soft-threshold by `lr·λ₁` after each step.
    proximal_lr: Option<f64>,
    epochs: usize,
    regularization: &'a Regularization,
}

fn fit_loop(
    model: &mut SoftmaxClassifier,
    train: &Classification,
    validation: Option<&Classification>,
    run: Run<'_>,
    mut early: Option<&mut EarlyStopping>,
    observer: &mut dyn FnMut(Epoch),
) -> Result<History> {
    let Run {
        optimizer,
        proximal_lr,
        epochs,
        regularization: reg,
    } = run;
    if epochs == 0 {
        return Err(Error::Empty("epochs must be > 0"));
    }
    if epochs > MAX_EPOCHS {
        return Err(Error::TooLarge {
            what: "epochs",
            value: epochs as u128,
            limit: MAX_EPOCHS as u128,
        });
    }
    if early.is_some() && validation.is_none() {
        return Err(Error::Empty("early stopping needs a validation set"));
    }
    let opts = CrossEntropyOptions::default();
    let mut history = History::default();
    for epoch in 0..epochs {
        let (loss, mut g) = model
            .loss_and_grad(&train.x, Target::Indices(&train.y), &opts)
            .map_err(|e| diverged(epoch, model, e))?;
        history.train.push(loss.scalar().unwrap_or(f64::NAN));
        history.penalty.push(reg.penalty(&model.linear));
        if let Some(val) = validation {
            // The loss only: no gradient is needed on the validation set.
            let vl = model
                .logits(&val.x)
                .and_then(|z| crate::loss::cross_entropy(&z, Target::Indices(&val.y), &opts))
                .map_err(|e| diverged(epoch, model, e))?;
            let vl = vl.scalar().unwrap_or(f64::NAN);
            history.validation.push(vl);
            if let Some(es) = early.as_deref_mut() {
                let l = &model.linear;
                if es.update(epoch, vl, &[l.weight.as_slice(), l.bias.as_slice()])? {
                    es.restore(&mut model.linear.parameters_mut())?;
                    history.stopped_at = Some(epoch + 1);
                    return Ok(history);
                }
            }
        }
        reg.add_gradient(&model.linear, &mut g)
            .map_err(|e| diverged(epoch, model, e))?;
        optimizer
            .step(
                &mut model.linear.parameters_mut(),
                &[g.weight.as_slice(), g.bias.as_slice()],
            )
            .map_err(|e| diverged(epoch, model, e))?;
        if let Some(lr) = proximal_lr {
            reg.proximal_step(&mut model.linear, lr)?;
        }
        observer(Epoch {
            done: epoch + 1,
            epochs,
            train_loss: history.train[epoch],
            validation_loss: history.validation.get(epoch).copied(),
        });
    }
    if let Some(es) = early {
        es.restore(&mut model.linear.parameters_mut())?;
    }
    Ok(history)
}
