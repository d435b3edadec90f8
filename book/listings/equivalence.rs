extern crate ce_mle;
extern crate nalgebra;

// Checks every claim of the chapter "Cross-entropy is maximum likelihood".
//
// The chapter shows excerpts (between `ANCHOR` markers); `mdbook test` compiles and runs
// the whole program for each excerpt, and `cargo run --example equivalence` runs it too.

use ce_mle::information::{cross_entropy, entropy, kl_divergence};
use ce_mle::likelihood::{categorical_mle, negative_log_likelihood};
use ce_mle::loss::{self, CrossEntropyOptions, Reduction, Target, cross_entropy_with_grad};
use ce_mle::softmax::softmax;
use nalgebra::{DMatrix, DVector};

/// Two computations of the same quantity in f64 agree to this absolute tolerance.
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

/// The reduced value of a loss (`Mean` and `Sum` give a scalar).
fn scalar(l: loss::Loss) -> f64 {
    l.scalar().expect("a reduced loss is a scalar")
}

fn one_sample() -> Result<()> {
    // ANCHOR: one_sample
    // Logits for C = 3 classes; the observed class is j = 2.
    let z = DMatrix::from_row_slice(1, 3, &[0.5, -1.0, 2.0]);
    let j = 2;
    let q = softmax(&z)?;

    // The one-hot target y puts all its mass on j ...
    let mut y = DMatrix::zeros(1, 3);
    y[(0, j)] = 1.0;
    let ce_one_hot = scalar(loss::cross_entropy(
        &z,
        Target::Probabilities(&y),
        &CrossEntropyOptions::default(),
    )?);

    // ... so the cross-entropy is minus the log-probability of what was seen.
    assert!((ce_one_hot - (-q[(0, j)].ln())).abs() < TOL);
    // ANCHOR_END: one_sample

    // The class-index form of the same loss agrees.
    let ce_index = scalar(loss::cross_entropy(
        &z,
        Target::Indices(&[j as i64]),
        &CrossEntropyOptions::default(),
    )?);
    assert!((ce_index - ce_one_hot).abs() < TOL);
    Ok(())
}

fn data_set() -> Result<()> {
    // ANCHOR: data_set
    // The model's distributions for two samples, and the classes observed.
    let q = DMatrix::from_row_slice(2, 3, &[0.1, 0.3, 0.6, 0.3, 0.2, 0.5]);
    let labels = [0_i64, 2];
    // Logits whose softmax is q.
    let z = q.map(f64::ln);

    let ce = |reduction| {
        let opts = CrossEntropyOptions::default().reduction(reduction);
        loss::cross_entropy(&z, Target::Indices(&labels), &opts).map(scalar)
    };

    // The probabilities the model gave to the observed classes, and their NLL.
    let observed = [q[(0, 0)], q[(1, 2)]];
    let nll = negative_log_likelihood(&observed)?;

    // Σ CE = NLL, and mean CE = NLL / N.
    assert!((ce(Reduction::Sum)? - nll).abs() < TOL);
    assert!((ce(Reduction::Mean)? - nll / 2.0).abs() < TOL);
    // ANCHOR_END: data_set

    // An independent route: the likelihood as a product in linear space.
    assert!((nll - (-(0.1_f64 * 0.5).ln())).abs() < TOL);
    // The book's generated numbers use the same inputs.
    for (r, row) in ce_mle::book::WORKED_PROBS.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            assert_eq!(q[(r, c)], v);
        }
    }
    let book_labels: Vec<i64> = ce_mle::book::WORKED_LABELS
        .iter()
        .map(|&y| y as i64)
        .collect();
    assert_eq!(labels.as_slice(), book_labels.as_slice());
    Ok(())
}

fn categorical() -> Result<()> {
    // ANCHOR: mle
    let labels = [0, 1, 2, 2, 1, 2, 2, 0, 2, 2];
    let targets: Vec<i64> = labels.iter().map(|&y| y as i64).collect();
    let p_hat = categorical_mle(&labels, 3)?; // the frequencies n_k / N

    // Mean cross-entropy of a fixed model q (the same q for every sample).
    let mean_ce = |q: &DVector<f64>| {
        let z = DMatrix::from_fn(labels.len(), 3, |_, k| q[k].ln());
        let opts = CrossEntropyOptions::default();
        loss::cross_entropy(&z, Target::Indices(&targets), &opts).map(scalar)
    };

    // At the MLE, the mean cross-entropy is the entropy of the frequencies ...
    assert!((mean_ce(&p_hat)? - entropy(&p_hat)?).abs() < TOL);
    // ... and moving probability towards any class makes it worse.
    for k in 0..3 {
        let mut q = &p_hat * 0.9;
        q[k] += 0.1;
        assert!(mean_ce(&q)? > mean_ce(&p_hat)?);
    }
    // ANCHOR_END: mle

    assert_eq!(labels, ce_mle::book::MLE_LABELS);
    assert!((p_hat - DVector::from_vec(vec![0.2, 0.2, 0.6])).amax() < TOL);
    Ok(())
}

fn soft_target() -> Result<()> {
    // ANCHOR: soft
    let p = DVector::from_vec(vec![0.7, 0.2, 0.1]); // target distribution
    let q = DVector::from_vec(vec![0.5, 0.3, 0.2]); // model

    let h = entropy(&p)?;
    let kl = kl_divergence(&p, &q)?;
    let ce = cross_entropy(&p, &q)?;

    // CE = H + KL.
    assert!((ce - (h + kl)).abs() < TOL);
    // Gibbs: a model q ≠ p pays extra, and only q = p pays nothing.
    assert!(kl > 0.0 && ce > h);
    assert!(kl_divergence(&p, &p)?.abs() < TOL);
    // ANCHOR_END: soft

    // The PyTorch-style loss with a probability target, from logits, is the same number.
    let z = DMatrix::from_fn(1, 3, |_, k| q[k].ln());
    let target = DMatrix::from_row_slice(1, 3, p.as_slice());
    let l = scalar(loss::cross_entropy(
        &z,
        Target::Probabilities(&target),
        &CrossEntropyOptions::default(),
    )?);
    assert!((l - ce).abs() < TOL);
    assert_eq!(p.as_slice(), ce_mle::book::SOFT_P);
    assert_eq!(q.as_slice(), ce_mle::book::SOFT_Q);

    // Label smoothing: the loss is smallest where q is the smoothed target, and that
    // minimum is the smoothed target's entropy, not 0.
    let eps = ce_mle::book::SMOOTHING;
    let smoothed = DVector::from_vec(vec![1.0 - eps + eps / 3.0, eps / 3.0, eps / 3.0]);
    let opts = CrossEntropyOptions::default().label_smoothing(eps);
    let at = |q: &DVector<f64>| {
        let z = DMatrix::from_fn(1, 3, |_, k| q[k].ln());
        loss::cross_entropy(&z, Target::Indices(&[0]), &opts).map(scalar)
    };
    assert!((at(&smoothed)? - entropy(&smoothed)?).abs() < TOL);
    for k in 0..3 {
        let mut q = &smoothed * 0.9;
        q[k] += 0.1;
        assert!(at(&q)? > at(&smoothed)?);
    }
    Ok(())
}

fn gradient() -> Result<()> {
    // ANCHOR: gradient
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let y = 0; // the observed class
    let labels = [y as i64];
    let opts = CrossEntropyOptions::default();
    let (_, grad) = cross_entropy_with_grad(&z, Target::Indices(&labels), &opts)?;

    let mut expected = softmax(&z)?;
    expected[(0, y)] -= 1.0; // softmax(z) − y
    assert!((&grad - &expected).amax() < TOL);
    // ANCHOR_END: gradient

    // Central finite differences of the loss agree with the formula.
    let h = 1e-6;
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += h;
        down[(0, k)] -= h;
        let f = |z: &DMatrix<f64>| loss::cross_entropy(z, Target::Indices(&labels), &opts);
        let numeric = (scalar(f(&up)?) - scalar(f(&down)?)) / (2.0 * h);
        assert!((numeric - grad[(0, k)]).abs() < 1e-8);
    }
    assert_eq!(z.as_slice(), ce_mle::book::GRAD_LOGITS);
    assert_eq!(y, ce_mle::book::GRAD_LABEL);
    Ok(())
}

fn ignored() -> Result<()> {
    // ANCHOR: ignored
    let z = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 0.0, 0.0, 5.0]);
    let opts = CrossEntropyOptions::default(); // ignore_index = -100, as in PyTorch

    // Row 1 is padding: not an observation, so it drops out of the likelihood.
    let padded = scalar(loss::cross_entropy(&z, Target::Indices(&[2, -100]), &opts)?);
    let first = z.rows(0, 1).into_owned();
    let alone = scalar(loss::cross_entropy(&first, Target::Indices(&[2]), &opts)?);
    assert!((padded - alone).abs() < TOL);

    // Every target ignored: the mean is 0/0. PyTorch returns NaN; ce-mle refuses.
    let all_ignored = Target::Indices(&[-100, -100]);
    let mean = loss::cross_entropy(&z, all_ignored, &opts);
    assert!(matches!(mean, Err(ce_mle::Error::UndefinedMean)));

    // The sum stays defined: no observation has log-likelihood log 1 = 0.
    let sum = opts.clone().reduction(Reduction::Sum);
    assert_eq!(scalar(loss::cross_entropy(&z, all_ignored, &sum)?), 0.0);

    // A NaN logit is refused too, with its position, instead of becoming a NaN loss.
    let bad = DMatrix::from_row_slice(1, 2, &[f64::NAN, 0.0]);
    let nan = loss::cross_entropy(&bad, Target::Indices(&[0]), &opts);
    assert!(matches!(
        nan,
        Err(ce_mle::Error::InvalidValue { row: 0, col: 0, .. })
    ));
    // ANCHOR_END: ignored
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle::book::LISTING_TOLERANCE);
    one_sample()?;
    data_set()?;
    categorical()?;
    soft_target()?;
    gradient()?;
    ignored()?;
    println!("every claim of the chapter checked");
    Ok(())
}
