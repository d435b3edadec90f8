extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// Checks every claim of the chapter "Maximum likelihood": the product of many probabilities
// underflows while the sum of their logs does not; the Bernoulli and categorical MLEs are
// the observed frequencies; gradient descent on the mean cross-entropy lands on them.
//
// `cargo run --example likelihood` runs it; `mdbook test` runs it behind each excerpt.

use ce_mle::likelihood::{bernoulli_mle, categorical_mle, log_likelihood};
use ce_mle::loss::{self, CrossEntropyOptions, Target, cross_entropy_with_grad};
use ce_mle::softmax::softmax;
use nalgebra::{DMatrix, DVector};

/// Two computations of the same quantity in f64 agree to this absolute tolerance.
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn underflow() -> Result<()> {
    // ANCHOR: underflow
    // 400 independent observations, each given probability 0.1 by the model.
    let probs = vec![0.1_f64; 400];

    // The likelihood, multiplied out in f64, underflows to exactly 0 ...
    let product: f64 = probs.iter().product();
    assert_eq!(product, 0.0);

    // ... while the log-likelihood is an ordinary number: 400 · log 0.1.
    let ll = log_likelihood(&probs)?;
    assert!(ll.is_finite());
    assert!((ll - 400.0 * 0.1_f64.ln()).abs() < 1e-9);
    // ANCHOR_END: underflow

    // A product of 0 cannot rank models; sums of logs can: a slightly better model wins.
    let better = vec![0.11_f64; 400];
    assert_eq!(better.iter().product::<f64>(), 0.0);
    assert!(log_likelihood(&better)? > ll);
    assert_eq!(
        probs.len(),
        ce_mle_book::chapters::likelihood::UNDERFLOW_FACTORS
    );
    Ok(())
}

fn coin() -> Result<()> {
    // ANCHOR: coin
    let flips = [
        true, true, false, true, true, true, false, true, false, true,
    ];
    let theta_hat = bernoulli_mle(&flips)?; // heads / flips
    assert!((theta_hat - 0.7).abs() < TOL);

    // The log-likelihood k log θ + (N − k) log(1 − θ) is largest there.
    let ll = |theta: f64| {
        let probs: Vec<f64> = flips
            .iter()
            .map(|&h| if h { theta } else { 1.0 - theta })
            .collect();
        log_likelihood(&probs)
    };
    for theta in [0.5, 0.6, 0.69, 0.71, 0.8, 0.9] {
        assert!(ll(theta)? < ll(theta_hat)?);
    }
    // ANCHOR_END: coin
    assert_eq!(flips, ce_mle_book::chapters::likelihood::COIN_FLIPS);
    Ok(())
}

fn categorical() -> Result<()> {
    // ANCHOR: categorical
    let labels = [0, 1, 2, 2, 1, 2, 2, 0, 2, 2];
    let p_hat = categorical_mle(&labels, 3)?; // n_k / N
    assert!((&p_hat - DVector::from_vec(vec![0.2, 0.2, 0.6])).amax() < TOL);

    // The log-likelihood Σ_k n_k log q_k of any other distribution q is lower.
    let ll = |q: &DVector<f64>| {
        let probs: Vec<f64> = labels.iter().map(|&y| q[y]).collect();
        log_likelihood(&probs)
    };
    for q in [
        [1.0 / 3.0; 3],
        [0.3, 0.1, 0.6],
        [0.2, 0.25, 0.55],
        [0.1, 0.1, 0.8],
    ] {
        assert!(ll(&DVector::from_row_slice(&q))? < ll(&p_hat)?);
    }
    // ANCHOR_END: categorical
    assert_eq!(labels, ce_mle_book::chapters::likelihood::MLE_LABELS);
    Ok(())
}

fn descent() -> Result<()> {
    // ANCHOR: descent
    let labels = [0_i64, 1, 2, 2, 1, 2, 2, 0, 2, 2];
    let (lr, steps) = (1.0, 100);
    // Free logits, q = softmax(z); the start is confident about class 0.
    let start: [f64; 3] = [2.0, 0.0, -2.0];
    let mut z = DVector::from_row_slice(&start);

    for _ in 0..steps {
        // The same logits for every sample; the mean cross-entropy and its gradient.
        let rows = DMatrix::from_fn(labels.len(), 3, |_, k| z[k]);
        let opts = CrossEntropyOptions::default();
        let (_, grad) = cross_entropy_with_grad(&rows, Target::Indices(&labels), &opts)?;
        // Each row's gradient is (softmax(z) − y_i) / N; their sum is softmax(z) − p̂.
        z -= grad.row_sum().transpose() * lr;
    }
    let q = softmax(&DMatrix::from_row_slice(1, 3, z.as_slice()))?;
    // Gradient descent has found the frequencies (0.2, 0.2, 0.6).
    assert!((q[(0, 0)] - 0.2).abs() < 1e-6);
    assert!((q[(0, 1)] - 0.2).abs() < 1e-6);
    assert!((q[(0, 2)] - 0.6).abs() < 1e-6);
    // ANCHOR_END: descent

    // The same iterates as the ones plotted and quoted by the book.
    let book = ce_mle_book::chapters::likelihood::categorical_gd(
        &ce_mle_book::chapters::likelihood::MLE_LABELS,
        &start,
        lr,
        steps,
    )?;
    let last = &book[steps];
    for k in 0..3 {
        assert!((last[k] - q[(0, k)]).abs() < TOL);
    }
    assert_eq!(
        (lr, steps),
        (
            ce_mle_book::chapters::likelihood::GD_LR,
            ce_mle_book::chapters::likelihood::GD_STEPS
        )
    );
    assert_eq!(start, ce_mle_book::chapters::likelihood::GD_START);
    // At the end the mean loss is the entropy of the frequencies (T4).
    let rows = DMatrix::from_fn(labels.len(), 3, |_, k| z[k]);
    let l = loss::cross_entropy(
        &rows,
        Target::Indices(&labels),
        &CrossEntropyOptions::default(),
    )?
    .scalar()
    .expect("mean");
    let h = ce_mle::information::entropy(&DVector::from_vec(vec![0.2, 0.2, 0.6]))?;
    assert!((l - h).abs() < 1e-9);
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    underflow()?;
    coin()?;
    categorical()?;
    descent()?;
    println!("every claim of the chapter checked");
    Ok(())
}
