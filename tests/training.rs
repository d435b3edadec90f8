//! T10: the article's training program, in Rust: the loss falls, and the whole curve is
//! pinned by a snapshot.

use ce_mle::train::{ArticleConfig, article_run};
use nalgebra::DMatrix;

/// A plain-loop reference for the mean cross-entropy of a linear softmax model: no shared
/// code with `ce_mle::loss` (exp, sum, ln by hand).
fn reference_mean_ce(w: &DMatrix<f64>, b: &[f64], x: &DMatrix<f64>, y: &[i64]) -> f64 {
    let mut total = 0.0;
    for n in 0..x.nrows() {
        let z: Vec<f64> = (0..w.nrows())
            .map(|k| b[k] + (0..x.ncols()).map(|j| w[(k, j)] * x[(n, j)]).sum::<f64>())
            .collect();
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
        total += -(z[y[n] as usize] - m - s.ln());
    }
    total / x.nrows() as f64
}

#[test]
fn t10_loss_falls_by_the_first_order_margin() {
    let cfg = ArticleConfig::default();
    let r = article_run(&cfg).unwrap();
    assert_eq!(r.losses.len(), 100);
    // Full-batch Adam with lr 1e-3 on a convex objective: every epoch lowers the loss.
    for w in r.losses.windows(2) {
        assert!(w[1] < w[0], "loss rose: {} -> {}", w[0], w[1]);
    }
    // Margin. Adam's first steps move every parameter by ≈ lr against the sign of its
    // gradient, so 100 steps move each of the 55 parameters by at most ≈ 0.1 and, to first
    // order, lower the loss by ≈ 0.1·‖∇L(θ₀)‖₁ while the gradient keeps its signs. We require
    // at least half of that first-order prediction (curvature and sign changes eat the rest)
    // and no more than all of it.
    let mut r0 = ce_mle::data::rng(cfg.seed);
    let data = ce_mle::data::random_classification(32, 10, 5, &mut r0).unwrap();
    let model0 =
        ce_mle::nn::SoftmaxClassifier::new(ce_mle::nn::Linear::new(10, 5, &mut r0).unwrap());
    let (_, g0) = model0
        .loss_and_grad(
            &data.x,
            ce_mle::loss::Target::Indices(&data.y),
            &Default::default(),
        )
        .unwrap();
    let l1 = g0.l1_norm();
    let predicted = cfg.lr * cfg.epochs as f64 * l1;
    let drop = r.losses[0] - r.final_loss;
    assert!(
        drop >= 0.5 * predicted && drop <= predicted,
        "drop {drop} vs first-order prediction {predicted}"
    );
    // The first loss is the untrained model's; the final one agrees with a plain-loop reference.
    let reference = reference_mean_ce(
        &r.model.linear.weight,
        r.model.linear.bias.as_slice(),
        &data.x,
        &data.y,
    );
    assert!((r.final_loss - reference).abs() < 1e-12);
    assert!(r.accuracy.1 >= r.accuracy.0);
}

#[test]
fn t10_curve_snapshot() {
    let r = article_run(&ArticleConfig::default()).unwrap();
    let mut curve = String::new();
    for (e, l) in r.losses.iter().enumerate() {
        curve.push_str(&format!("{:3} {:.8}\n", e + 1, l));
    }
    curve.push_str(&format!("final {:.8}\n", r.final_loss));
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("t10_article_training_curve", curve);
        insta::assert_snapshot!("t10_article_training_table", r.table());
    });
}

#[test]
fn t10_bad_settings_are_errors() {
    let bad = ArticleConfig {
        lr: -1.0,
        ..ArticleConfig::default()
    };
    assert!(matches!(
        article_run(&bad),
        Err(ce_mle::Error::InvalidHyperParameter { name: "lr", .. })
    ));
    let bad = ArticleConfig {
        epochs: 0,
        ..ArticleConfig::default()
    };
    assert!(matches!(article_run(&bad), Err(ce_mle::Error::Empty(_))));
    let bad = ArticleConfig {
        classes: 0,
        ..ArticleConfig::default()
    };
    assert!(matches!(article_run(&bad), Err(ce_mle::Error::Empty(_))));
}
