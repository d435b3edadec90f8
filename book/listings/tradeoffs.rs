extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// Checks the claims of the chapter "Strengths and weaknesses, measured": overfitting on a
// small, wide data set; the loss under a shift of the test inputs; and the strengths
// (strictly proper scoring rule, convexity and bounded curvature in the logits, calibration).

use ce_mle::data::rng;
use ce_mle::data::synthetic::{gaussian_classes, shift_inputs};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::Sgd;
use ce_mle::softmax::softmax;
use ce_mle::train::{FitConfig, OptimizerSpec, Regularization, fit, fit_with};
use ce_mle_book::chapters::tradeoffs::overfit_setup;
use nalgebra::{DMatrix, DVector};

fn overfitting() -> Result<(), ce_mle::Error> {
    // ANCHOR: overfit
    // 100 training samples, 60 features (3 informative), 20% noisy labels.
    let (mut model, train, val) = overfit_setup()?;
    let mut sgd = Sgd::new(0.1)?;
    let h = fit(&mut model, &train, Some(&val), &mut sgd, 200, None)?;
    let best = (0..200)
        .min_by(|&a, &b| h.validation[a].total_cmp(&h.validation[b]))
        .unwrap();
    // The validation loss bottoms out early and then climbs ...
    assert!(best < 100 && h.validation[199] > h.validation[best] + 0.15);
    // ... while the training loss keeps falling, far below it.
    assert!(h.train[199] < h.train[best] && h.train[199] < 0.2 * h.validation[199]);
    // ANCHOR_END: overfit
    Ok(())
}

fn shift() -> Result<(), ce_mle::Error> {
    // ANCHOR: shift
    // Three Gaussian classes in the plane; train on 300 samples, test on 2000.
    let means = DMatrix::from_row_slice(3, 2, &[2.0, 0.0, -1.0, 1.732, -1.0, -1.732]);
    let mut r = rng(11);
    let train = gaussian_classes(300, &means, 1.0, &mut r)?;
    let test = gaussian_classes(2000, &means, 1.0, &mut r)?;
    let mut model = SoftmaxClassifier::new(Linear::new(2, 3, &mut r)?);
    let adam = OptimizerSpec::Adam {
        lr: 0.05,
        weight_decay: 0.0,
    };
    let config = FitConfig {
        optimizer: adam,
        epochs: 200,
        regularization: Regularization::none(),
    };
    fit_with(&mut model, &train, None, &config, None)?;
    // Move every test input by δ along the first axis: the loss grows with δ.
    let mut previous = 0.0;
    for delta in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
        let shifted = shift_inputs(&test, &DVector::from_row_slice(&[delta, 0.0]))?;
        let ce = model.mean_loss(&shifted)?;
        assert!(ce > previous);
        previous = ce;
    }
    let train_ce = model.mean_loss(&train)?;
    assert!(previous > 5.0 * train_ce);
    // Unshifted, the probabilities are calibrated: expected calibration error < 2%.
    assert!(model.calibration_error(&test, 10)? < 0.02);
    // ANCHOR_END: shift
    // Faster than linearly: each step of δ adds more loss than the one before.
    let mut losses = Vec::new();
    for delta in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0] {
        let shifted = shift_inputs(&test, &DVector::from_row_slice(&[delta, 0.0]))?;
        losses.push(model.mean_loss(&shifted)?);
    }
    assert!(losses.windows(3).all(|w| w[2] - w[1] > w[1] - w[0]));
    Ok(())
}

fn strengths() -> Result<(), ce_mle::Error> {
    // ANCHOR: strengths
    // Strictly proper scoring rule: if labels come from p, the expected loss E_p[−log q_y]
    // is smallest at q = p (any other q pays KL(p‖q) more).
    let p = [0.5, 0.3, 0.2];
    let expected = |q: &[f64]| -> f64 { -p.iter().zip(q).map(|(p, q)| p * q.ln()).sum::<f64>() };
    for q in [
        [0.6, 0.3, 0.1],
        [0.4, 0.4, 0.2],
        [1.0 / 3.0; 3],
        [0.5, 0.2, 0.3],
    ] {
        assert!(expected(&q) > expected(&p));
    }
    // Accuracy is not strictly proper: every q with the same top class scores the same.
    // Convex, smooth: the Hessian in the logits is diag(q) − q qᵀ, with
    // eigenvalues between 0 (along (1, …, 1)) and 1/2.
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let q = softmax(&z)?.row(0).transpose();
    let hessian = DMatrix::from_diagonal(&q) - &q * q.transpose();
    let eig = hessian.clone().symmetric_eigen().eigenvalues;
    assert!(eig.min() > -1e-12 && eig.max() <= 0.5);
    assert!((&hessian * DVector::from_element(3, 1.0)).amax() < 1e-12);
    // ANCHOR_END: strengths
    // The Brier score Σ_k (q_k − [k = y])² is strictly proper too: its expectation under p is
    // smallest at q = p. The log loss is local, a function of q_y alone: two predictions that
    // give the observed class the same probability score the same, whatever the rest.
    let brier = |q: &[f64]| -> f64 {
        (0..3)
            .map(|y| {
                let sq: f64 = (0..3)
                    .map(|k| (q[k] - if k == y { 1.0 } else { 0.0 }).powi(2))
                    .sum();
                p[y] * sq
            })
            .sum()
    };
    for q in [
        [0.6, 0.3, 0.1],
        [0.4, 0.4, 0.2],
        [1.0 / 3.0; 3],
        [0.5, 0.2, 0.3],
    ] {
        assert!(brier(&q) > brier(&p));
    }
    let log_loss = |q: &[f64], y: usize| -q[y].ln();
    assert_eq!(log_loss(&[0.5, 0.3, 0.2], 0), log_loss(&[0.5, 0.1, 0.4], 0));
    // Accuracy, the probability p gives to q's top class, is the same for q = p and for any
    // other q with that top class: not strictly proper.
    let top = |q: &[f64]| (0..3).fold(0, |best, k| if q[k] > q[best] { k } else { best });
    let accuracy = |q: &[f64]| p[top(q)];
    assert_eq!(accuracy(&[0.6, 0.3, 0.1]), accuracy(&p));
    Ok(())
}

fn main() -> Result<(), ce_mle::Error> {
    assert_eq!(ce_mle_book::chapters::tradeoffs::OVERFIT_EPOCHS, 200);
    assert_eq!(ce_mle_book::chapters::tradeoffs::OVERFIT_LR, 0.1);
    assert_eq!(
        ce_mle_book::chapters::tradeoffs::SHIFTS,
        [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    );
    overfitting()?;
    shift()?;
    strengths()?;
    println!("every claim of the chapter checked");
    Ok(())
}
