//! Early stopping on a data set small enough to overfit: 100 training samples, 60 features of
//! which 3 carry the label, plain gradient descent (lr 0.1) on the mean cross-entropy.

use ce_mle::data::{Classification, rng};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::Sgd;
use ce_mle::train::{EarlyStopping, fit};
use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::StandardNormal;

/// Labels from a linear rule on the first three of `d` features (the class whose feature is
/// largest), with 20% of them replaced by random labels; the other features are pure noise a
/// flexible model can memorise.
fn noisy_rule(n: usize, d: usize, r: &mut impl Rng) -> Classification {
    let x = DMatrix::from_fn(n, d, |_, _| r.sample::<f64, _>(StandardNormal));
    let y = (0..n)
        .map(|i| {
            if r.random_bool(0.2) {
                r.random_range(0..3)
            } else {
                (0..3)
                    .max_by(|&a, &b| x[(i, a)].total_cmp(&x[(i, b)]))
                    .unwrap() as i64
            }
        })
        .collect();
    Classification { x, y, classes: 3 }
}

fn setup() -> (SoftmaxClassifier, Classification, Classification) {
    let mut r = rng(7);
    let train = noisy_rule(100, 60, &mut r);
    let val = noisy_rule(400, 60, &mut r);
    let model = SoftmaxClassifier::new(Linear::new(60, 3, &mut r).unwrap());
    (model, train, val)
}

#[test]
fn validation_loss_turns_up_while_training_loss_keeps_falling() {
    let (mut model, train, val) = setup();
    let mut opt = Sgd::new(0.1).unwrap();
    let h = fit(&mut model, &train, Some(&val), &mut opt, 300, None).unwrap();
    let (best, &best_val) = h
        .validation
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    println!(
        "best validation epoch {best}: {best_val:.4}; epoch 300: validation {:.4}, training {:.4}",
        h.validation[299], h.train[299]
    );
    // It learns first: at its best the model beats the uniform guess (ln 3) on new data.
    assert!(best_val < 3f64.ln(), "{best_val}");
    // Overfitting: the validation minimum is early, and the end is clearly worse...
    assert!(best > 0 && best < 150, "best epoch {best}");
    assert!(
        h.validation[299] > best_val + 0.1,
        "{} vs {best_val}",
        h.validation[299]
    );
    // ...while the training loss keeps falling past it, far below the validation loss.
    assert!(h.train[299] < h.train[best] && h.train[299] < 0.5 * h.validation[299]);
}

#[test]
fn stops_patience_epochs_after_the_best_and_restores_it() {
    let (full_model, train, val) = setup();
    let mut model = full_model.clone();
    let mut opt = Sgd::new(0.1).unwrap();
    let mut es = EarlyStopping::new(10, 0.0, true).unwrap();
    let h = fit(&mut model, &train, Some(&val), &mut opt, 300, Some(&mut es)).unwrap();
    let (best_epoch, best_val) = es.best().unwrap();
    let stop_epoch = h.validation.len() - 1;
    println!("best epoch {best_epoch} ({best_val:.4}), stopped at epoch {stop_epoch}");
    assert!(stop_epoch < 299, "it stopped early");
    assert_eq!(
        stop_epoch - best_epoch,
        10,
        "stopped exactly patience epochs after the best"
    );
    // The best epoch is the minimum of the recorded validation curve.
    let min = h.validation.iter().cloned().fold(f64::INFINITY, f64::min);
    assert_eq!(best_val, min);
    // The restored parameters give the best validation loss again.
    let again = model
        .loss_and_grad(
            &val.x,
            ce_mle::loss::Target::Indices(&val.y),
            &Default::default(),
        )
        .unwrap()
        .0
        .scalar()
        .unwrap();
    assert_eq!(again, best_val);
}

#[test]
fn bad_settings_are_errors() {
    for (patience, min_delta) in [(0, 0.0), (3, -1.0), (3, f64::NAN)] {
        assert_eq!(
            EarlyStopping::new(patience, min_delta, true)
                .unwrap_err()
                .kind(),
            "InvalidHyperParameter",
            "patience {patience}, min_delta {min_delta}"
        );
    }
    let (mut model, train, _) = setup();
    let mut opt = Sgd::new(0.1).unwrap();
    let mut es = EarlyStopping::new(3, 0.0, true).unwrap();
    // Early stopping without a validation set cannot work.
    let kind = |r: ce_mle::Result<ce_mle::train::History>| r.expect_err("refused").kind();
    assert_eq!(
        kind(fit(&mut model, &train, None, &mut opt, 10, Some(&mut es))),
        "Empty"
    );
    assert_eq!(
        kind(fit(&mut model, &train, None, &mut opt, 0, None)),
        "Empty"
    );
}
