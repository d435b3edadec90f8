//! Optimisers against their update rules worked out by hand for a scalar parameter
//! θ₀ = 1 with fixed gradients g₁ = 0.5, g₂ = −0.2 (PyTorch's algorithm boxes for SGD, Adam
//! and AdamW), and their hyper-parameter checks.

use ce_mle::Error;
use ce_mle::optim::{Adam, AdamW, Optimizer, Sgd};

/// Run `opt` on θ₀ = 1 with the given gradients; the parameter after each step.
fn run(opt: &mut dyn Optimizer, grads: &[f64]) -> Vec<f64> {
    let mut theta = [1.0];
    grads
        .iter()
        .map(|&g| {
            opt.step(&mut [&mut theta[..]], &[&[g][..]]).unwrap();
            theta[0]
        })
        .collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-15, "{a} vs {b}");
}

#[test]
fn sgd_momentum_with_dampening() {
    // b₁ = g₁ = 0.5 → θ₁ = 1 − 0.1·0.5; b₂ = 0.9·0.5 + (1 − 0.1)·(−0.2) = 0.27 → θ₂ = θ₁ − 0.027.
    let mut opt = Sgd::with_options(0.1, 0.9, 0.0)
        .unwrap()
        .dampening(0.1)
        .unwrap();
    let t = run(&mut opt, &[0.5, -0.2]);
    close(t[0], 0.95);
    close(t[1], 0.95 - 0.1 * 0.27);
}

#[test]
fn sgd_nesterov() {
    // b₁ = 0.5, d₁ = g₁ + 0.9·b₁ = 0.95 → θ₁ = 0.905;
    // b₂ = 0.9·0.5 − 0.2 = 0.25, d₂ = −0.2 + 0.9·0.25 = 0.025 → θ₂ = 0.9025.
    let mut opt = Sgd::with_options(0.1, 0.9, 0.0)
        .unwrap()
        .nesterov(true)
        .unwrap();
    let t = run(&mut opt, &[0.5, -0.2]);
    close(t[0], 1.0 - 0.1 * 0.95);
    close(t[1], 1.0 - 0.1 * 0.95 - 0.1 * 0.025);
}

#[test]
fn sgd_weight_decay_is_added_to_the_gradient() {
    // g = 0.5 + 0.1·1 = 0.6 → θ₁ = 1 − 0.1·0.6.
    let mut opt = Sgd::with_options(0.1, 0.0, 0.1).unwrap();
    close(run(&mut opt, &[0.5])[0], 0.94);
}

#[test]
fn adam_first_step_moves_by_about_lr() {
    // m = 0.05, v = 0.00025, bias corrections 0.1 and 0.001: θ₁ = 1 − 0.05/0.1/(0.5 + 1e-8).
    let mut opt = Adam::with_options(0.1, (0.9, 0.999), 1e-8, 0.0).unwrap();
    close(run(&mut opt, &[0.5])[0], 1.0 - 0.5 / (0.5 + 1e-8) * 0.1);
}

#[test]
fn adam_l2_versus_adamw_decoupled_decay() {
    // Adam + L2: g = 0.5 + 0.01 = 0.51 is normalised by its own size, so the decay almost
    // vanishes from the first step: θ₁ = 1 − 0.1·0.51/(0.51 + 1e-8).
    let mut l2 = Adam::with_options(0.1, (0.9, 0.999), 1e-8, 0.01).unwrap();
    close(run(&mut l2, &[0.5])[0], 1.0 - 0.1 * 0.51 / (0.51 + 1e-8));
    // AdamW: θ ← θ·(1 − 0.1·0.01) first, then the plain Adam step on g = 0.5.
    let mut w = AdamW::with_options(0.1, (0.9, 0.999), 1e-8, 0.01).unwrap();
    close(run(&mut w, &[0.5])[0], 0.999 - 0.1 * 0.5 / (0.5 + 1e-8));
    // PyTorch's AdamW default weight_decay is 0.01.
    let mut d = AdamW::new(0.1).unwrap();
    close(run(&mut d, &[0.5])[0], 0.999 - 0.1 * 0.5 / (0.5 + 1e-8));
}

#[test]
fn amsgrad_keeps_the_largest_second_moment() {
    // Step 2 with g₂ = 0: v₂ = 0.999·0.00025 < v₁, so AMSGrad divides by √v₁ instead.
    let (b1, b2, lr, eps) = (0.9_f64, 0.999_f64, 0.1, 1e-8);
    let m2 = b1 * (1.0 - b1) * 0.5;
    let v1 = (1.0 - b2) * 0.25;
    let v2 = b2 * v1;
    let step2 = |v: f64| lr / (1.0 - b1 * b1) * m2 / (v.sqrt() / (1.0 - b2 * b2).sqrt() + eps);
    let theta1 = 1.0 - 0.5 / (0.5 + eps) * lr;
    let mut plain = Adam::with_options(lr, (b1, b2), eps, 0.0).unwrap();
    let mut ams = Adam::with_options(lr, (b1, b2), eps, 0.0)
        .unwrap()
        .amsgrad(true);
    let p = run(&mut plain, &[0.5, 0.0]);
    let a = run(&mut ams, &[0.5, 0.0]);
    close(p[1], theta1 - step2(v2));
    close(a[1], theta1 - step2(v1));
    assert!(a[1] > p[1], "the larger denominator takes the smaller step");
}

#[test]
fn invalid_hyper_parameters_are_errors() {
    let bad = |r: ce_mle::Result<_>, name: &str| match r {
        Err(Error::InvalidHyperParameter { name: n, .. }) => assert_eq!(n, name),
        Err(e) => panic!("{name}: unexpected error {e}"),
        Ok(()) => panic!("{name}: accepted"),
    };
    bad(Sgd::new(0.0).map(drop), "lr");
    bad(Sgd::new(f64::NAN).map(drop), "lr");
    bad(Sgd::with_options(0.1, 1.0, 0.0).map(drop), "momentum");
    bad(Sgd::with_options(0.1, 0.9, -1.0).map(drop), "weight_decay");
    bad(
        Sgd::with_options(0.1, 0.9, 0.0)
            .unwrap()
            .dampening(1.5)
            .map(drop),
        "dampening",
    );
    bad(Sgd::new(0.1).unwrap().nesterov(true).map(drop), "nesterov");
    bad(
        Sgd::with_options(0.1, 0.9, 0.0)
            .unwrap()
            .dampening(0.1)
            .unwrap()
            .nesterov(true)
            .map(drop),
        "nesterov",
    );
    bad(
        Adam::with_options(0.1, (1.0, 0.999), 1e-8, 0.0).map(drop),
        "betas.0",
    );
    bad(
        Adam::with_options(0.1, (0.9, -0.1), 1e-8, 0.0).map(drop),
        "betas.1",
    );
    bad(
        Adam::with_options(0.1, (0.9, 0.999), 0.0, 0.0).map(drop),
        "eps",
    );
    bad(
        AdamW::with_options(-0.1, (0.9, 0.999), 1e-8, 0.01).map(drop),
        "lr",
    );
    bad(
        AdamW::with_options(0.1, (0.9, 0.999), 1e-8, f64::INFINITY).map(drop),
        "weight_decay",
    );
}

#[test]
fn a_failed_step_changes_nothing() {
    let mut opt = Adam::new(0.1).unwrap();
    let mut theta = [1.0, 2.0];
    // Mismatched lengths, then an infinite gradient: both refused, nothing moves.
    assert!(matches!(
        opt.step(&mut [&mut theta[..]], &[&[0.5][..]]),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        opt.step(&mut [&mut theta[..]], &[&[0.5, f64::INFINITY][..]]),
        Err(Error::InvalidValue { .. })
    ));
    assert_eq!(theta, [1.0, 2.0]);
    assert_eq!(opt.steps(), 0);
    // The first good step fixes the layout, and Adam's first step is ≈ lr per coordinate.
    opt.step(&mut [&mut theta[..]], &[&[0.5, -0.5][..]])
        .unwrap();
    assert!((theta[0] - 0.9).abs() < 1e-6 && (theta[1] - 2.1).abs() < 1e-6);
    assert!(matches!(
        opt.step(&mut [&mut [0.0; 3][..]], &[&[0.0; 3][..]]),
        Err(Error::ShapeMismatch { .. })
    ));
}
