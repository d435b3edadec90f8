extern crate ce_mle;
extern crate ce_mle_book;
extern crate statrs;

// Checks the claims of the chapter "Optimisation strategies, measured" on the overfitting
// set-up of the tradeoffs chapter: L2, L1 (proximal) and early stopping end with a lower
// validation loss than plain maximum likelihood; L2 shrinks the weights and L1 sets some to
// exactly 0; noise augmentation makes the training set harder to memorise. And token dropout
// lowers the sentiment classifier's test loss.

use ce_mle::data::rng;
use ce_mle::data::synthetic::jitter;
use ce_mle::train::{EarlyStopping, FitConfig, L1Mode, OptimizerSpec, Regularization, fit_with};
use ce_mle_book::chapters::sentiment::{Lang, SentimentConfig, sentiment};
use ce_mle_book::chapters::tradeoffs::overfit_setup;
use statrs::distribution::{Continuous, Laplace, Normal};

/// The chapter's runs: the same set-up, optimiser, epochs and seeds as the numbers and
/// figures of the chapter (`ce_mle_book::chapters::strategies`), so that `run` below computes
/// every row of its table.
const EPOCHS: usize = 200;

type Result<T> = std::result::Result<T, ce_mle::Error>;

/// What one run ends with.
struct End {
    validation: f64,
    training: f64,
    norm: f64,
    zeros: usize,
    epochs: usize,
}

// ANCHOR: run
/// Plain gradient descent (lr 0.1) on the overfitting set-up, with a penalty, maybe
/// augmented data (4 noisy copies of every sample: x + N(0, 1) noise) and maybe early
/// stopping (patience 10, best parameters restored).
fn run(reg: Regularization, augment: bool, early: bool) -> Result<End> {
    let (mut model, train, val) = overfit_setup()?;
    let fit_set = if augment {
        jitter(&train, 4, 1.0, &mut rng(3))?
    } else {
        train.clone()
    };
    let sgd = OptimizerSpec::Sgd {
        lr: 0.1,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };
    let config = FitConfig {
        optimizer: sgd,
        epochs: EPOCHS,
        regularization: reg,
    };
    let mut stopper = if early {
        Some(EarlyStopping::new(10, 0.0, true)?)
    } else {
        None
    };
    let history = fit_with(&mut model, &fit_set, Some(&val), &config, stopper.as_mut())?;
    let w = &model.linear.weight;
    Ok(End {
        validation: model.mean_loss(&val)?,
        training: model.mean_loss(&train)?,
        norm: w.norm(),
        zeros: w.iter().filter(|&&x| x == 0.0).count(),
        epochs: history.len(),
    })
}
// ANCHOR_END: run

fn main() -> Result<()> {
    assert_eq!(
        (
            ce_mle_book::chapters::strategies::L1,
            ce_mle_book::chapters::strategies::L2
        ),
        (0.01, 0.01)
    );
    assert_eq!(ce_mle_book::chapters::strategies::PATIENCE, 10);
    assert_eq!(ce_mle_book::chapters::strategies::JITTER, (4, 1.0));
    assert_eq!(EPOCHS, ce_mle_book::chapters::tradeoffs::OVERFIT_EPOCHS);
    assert_eq!(0.1, ce_mle_book::chapters::tradeoffs::OVERFIT_LR);
    // ANCHOR: synthetic
    let none = Regularization::none();
    let plain = run(none, false, false)?;
    let augmented = run(none, true, false)?;
    let l2 = run(Regularization::new(0.0, 0.01)?, false, false)?;
    let l1 = run(
        Regularization::new(0.01, 0.0)?.l1_mode(L1Mode::Proximal),
        false,
        false,
    )?;
    let early = run(none, false, true)?;
    // Penalties and early stopping end better on new data than plain maximum likelihood.
    for end in [&l2, &l1, &early] {
        assert!(end.validation < plain.validation);
    }
    assert!(l2.norm < plain.norm && plain.zeros == 0); // L2 shrinks the weights,
    assert!(l1.zeros > 0); // L1 (proximal) sets some to exactly 0,
    assert!(early.epochs < EPOCHS); // early stopping ends the run early,
    // and noisy copies make the training set harder to memorise.
    assert!(augmented.training > plain.training && augmented.norm < plain.norm);
    // ANCHOR_END: synthetic

    // The MAP reading, with N = 100 training samples: N times the penalised mean loss is the
    // negative log-likelihood plus N·λ₂‖W‖² + N·λ₁‖W‖₁, and these are, up to constants, minus
    // the log-densities of independent N(0, 1/(2Nλ₂)) and Laplace(0, 1/(Nλ₁)) priors on the
    // weights (statrs' densities as the oracle).
    let n = ce_mle_book::chapters::tradeoffs::OVERFIT_TRAIN as f64;
    let (l1_strength, l2_strength) = (0.01, 0.01);
    let variance = 1.0 / (2.0 * n * l2_strength);
    let scale = 1.0 / (n * l1_strength);
    assert_eq!(
        (variance, scale),
        ce_mle_book::chapters::strategies::map_priors(n as usize)
    );
    let gauss = Normal::new(0.0, variance.sqrt()).expect("a valid Gaussian");
    let laplace = Laplace::new(0.0, scale).expect("a valid Laplace distribution");
    for w in [-1.5, -0.2, 0.0, 0.7, 3.0] {
        let gauss_nll = gauss.ln_pdf(0.0) - gauss.ln_pdf(w);
        let laplace_nll = laplace.ln_pdf(0.0) - laplace.ln_pdf(w);
        assert!((n * l2_strength * w * w - gauss_nll).abs() < 1e-12);
        assert!((n * l1_strength * f64::abs(w) - laplace_nll).abs() < 1e-12);
    }

    // ANCHOR: dropout
    // Token dropout: 3 copies of each training review, each token dropped with p = 0.3.
    let config = ce_mle_book::chapters::sentiment::sentiment_config();
    for lang in [Lang::En, Lang::Zh] {
        let base = sentiment(lang, &config)?;
        let dropped = SentimentConfig {
            dropout: Some((3, 0.3)),
            ..config
        };
        assert!(sentiment(lang, &dropped)?.ce.1 < base.ce.1);
    }
    // ANCHOR_END: dropout
    assert_eq!(ce_mle_book::chapters::strategies::TOKEN_DROPOUT, (3, 0.3));
    println!("every claim of the chapter checked");
    Ok(())
}
