extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;
extern crate ndarray;

// Checks every claim of the chapter "PyTorch's CrossEntropyLoss options as likelihoods":
// class weights and PyTorch's weighted mean; ignore_index and the mean over nothing; label
// smoothing (T9); the three reductions; K-dimensional inputs; float32 against float64; and
// the `ce-mle loss` JSON format that the PyTorch golden fixtures use.
//
// `cargo run --example options` runs it; `mdbook test` runs it behind each excerpt.

use ce_mle::information::entropy;
use ce_mle::loss::nd::{self, NdTarget};
use ce_mle::loss::{self, CrossEntropyOptions, Reduction, Target};
use nalgebra::{DMatrix, DVector};
use ndarray::{ArrayD, IxDyn};

/// Two computations of the same quantity in f64 agree to this absolute tolerance.
const TOL: f64 = 1e-12;

/// Any error: the loss API's (`ce_mle::Error`) or a JSON case's (`ce_mle::torch_json::CaseError`).
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The reduced value of a loss.
fn scalar(l: loss::Loss) -> f64 {
    l.scalar().expect("a reduced loss is a scalar")
}

/// Three samples, three classes: the chapter's running example.
fn example() -> (DMatrix<f64>, [i64; 3]) {
    let z = DMatrix::from_row_slice(3, 3, &[2.0, 0.5, -1.0, 0.0, 1.0, 0.0, -0.5, 0.0, 1.5]);
    (z, [0, 2, 2])
}

fn reductions() -> Result<()> {
    let (z, labels) = example();
    // ANCHOR: reductions
    let ce = |r| {
        loss::cross_entropy(
            &z,
            Target::Indices(&labels),
            &CrossEntropyOptions::default().reduction(r),
        )
    };
    let per = ce(Reduction::None)?
        .per_sample()
        .expect("one loss per sample")
        .clone();
    // `sum` is the negative log-likelihood of the batch, `mean` is it divided by N.
    assert!((scalar(ce(Reduction::Sum)?) - per.sum()).abs() < TOL);
    assert!((scalar(ce(Reduction::Mean)?) - per.sum() / 3.0).abs() < TOL);
    // ANCHOR_END: reductions
    Ok(())
}

fn weights() -> Result<()> {
    let (z, labels) = example();
    // ANCHOR: weights
    let w = DVector::from_vec(vec![1.0, 2.0, 0.5]); // one weight per class
    let opts = CrossEntropyOptions::default().weight(w.clone());
    let none = opts.clone().reduction(Reduction::None);
    let plain = loss::cross_entropy(
        &z,
        Target::Indices(&labels),
        &CrossEntropyOptions::default().reduction(Reduction::None),
    )?;
    let weighted = loss::cross_entropy(&z, Target::Indices(&labels), &none)?;
    let (plain, weighted) = (plain.per_sample().unwrap(), weighted.per_sample().unwrap());

    // Each sample's NLL counts w_y times: a weighted log-likelihood.
    for (i, &y) in labels.iter().enumerate() {
        assert!((weighted[i] - w[y as usize] * plain[i]).abs() < TOL);
    }
    // PyTorch's mean divides by the sum of the weights used, Σ w_y, not by N.
    let w_used: f64 = labels.iter().map(|&y| w[y as usize]).sum();
    let mean = scalar(loss::cross_entropy(&z, Target::Indices(&labels), &opts)?);
    assert!((mean - weighted.sum() / w_used).abs() < TOL);
    assert!((mean - weighted.sum() / 3.0).abs() > 1e-3);
    // ANCHOR_END: weights

    // With one-hot probability targets the same weights give a mean over N instead.
    let one_hot = DMatrix::from_fn(3, 3, |r, c| if labels[r] as usize == c { 1.0 } else { 0.0 });
    let prob = scalar(loss::cross_entropy(
        &z,
        Target::Probabilities(&one_hot),
        &opts,
    )?);
    assert!((prob - weighted.sum() / 3.0).abs() < TOL);
    assert_eq!(w.as_slice(), ce_mle_book::chapters::options::OPT_WEIGHTS);
    assert_eq!(labels, ce_mle_book::chapters::options::OPT_LABELS);
    for (r, row) in ce_mle_book::chapters::options::OPT_LOGITS
        .iter()
        .enumerate()
    {
        for (c, &v) in row.iter().enumerate() {
            assert_eq!(z[(r, c)], v);
        }
    }
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
    // ANCHOR_END: ignored
    Ok(())
}

fn smoothing() -> Result<()> {
    // ANCHOR: smoothing
    let (eps, c) = (0.1, 3);
    let opts = CrossEntropyOptions::default().label_smoothing(eps);
    // Observed class 0; the smoothed target (1 − ε) y + ε / C.
    let smoothed = DVector::from_vec(vec![1.0 - eps + eps / 3.0, eps / 3.0, eps / 3.0]);
    let loss_at = |q: &DVector<f64>| {
        let z = DMatrix::from_fn(1, c, |_, k| q[k].ln());
        loss::cross_entropy(&z, Target::Indices(&[0]), &opts).map(scalar)
    };
    // T9: the loss is smallest at q = smoothed target, and the minimum is its entropy ...
    assert!((loss_at(&smoothed)? - entropy(&smoothed)?).abs() < TOL);
    for k in 0..c {
        let mut q = &smoothed * 0.9;
        q[k] += 0.1;
        assert!(loss_at(&q)? > loss_at(&smoothed)?);
    }
    // ... so a confident one-hot prediction is no longer the best one.
    let confident = DVector::from_vec(vec![0.999, 0.0005, 0.0005]);
    assert!(loss_at(&confident)? > loss_at(&smoothed)?);
    // ANCHOR_END: smoothing

    // PyTorch's form: (1 − ε)·NLL + ε·(mean over classes of −log q_c), on a batch.
    let (z, labels) = example();
    let ls = scalar(loss::cross_entropy(&z, Target::Indices(&labels), &opts)?);
    let nll = scalar(loss::cross_entropy(
        &z,
        Target::Indices(&labels),
        &CrossEntropyOptions::default(),
    )?);
    let logq = ce_mle::softmax::log_softmax(&z)?;
    let uniform_term = -logq.sum() / (3.0 * c as f64);
    assert!((ls - ((1.0 - eps) * nll + eps * uniform_term)).abs() < TOL);
    assert_eq!(eps, ce_mle_book::chapters::options::SMOOTHING);
    Ok(())
}

fn k_dimensional() -> Result<()> {
    // ANCHOR: nd
    // A batch of N = 2 sequences of length 2, C = 3 classes: input (N, C, d) = (2, 3, 2),
    // in PyTorch's row-major order; targets (N, d).
    let input = ArrayD::from_shape_vec(
        IxDyn(&[2, 3, 2]),
        vec![2.0, 0.1, 0.5, 1.0, -1.0, 0.2, 0.0, -0.3, 1.0, 0.4, 0.0, 2.0],
    )
    .expect("12 values");
    let target = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0_i64, 1, 2, 2]).expect("4 values");
    let opts = CrossEntropyOptions::default();
    let out = nd::cross_entropy(input.view(), NdTarget::Indices(target.view()), &opts, false)?;

    // Every position (n, t) is one sample: move the class axis last, flatten to (N·d, C).
    let rows = DMatrix::from_fn(4, 3, |r, c| input[[r / 2, c, r % 2]]);
    let flat = loss::cross_entropy(&rows, Target::Indices(target.as_slice().unwrap()), &opts)?;
    assert!((out.output.sum() - scalar(flat)).abs() < TOL);
    // ANCHOR_END: nd
    Ok(())
}

fn precision() -> Result<()> {
    let (z, labels) = example();
    // ANCHOR: precision
    // The same loss in float32: computed in f64, rounded once to f32.
    let z32 = z.map(|v| v as f32);
    let l32 = loss::cross_entropy(
        &z32,
        Target::Indices(&labels),
        &CrossEntropyOptions::<f32>::default(),
    )?;
    let l64 = scalar(loss::cross_entropy(
        &z,
        Target::Indices(&labels),
        &CrossEntropyOptions::default(),
    )?);
    // The f32 result is the f64 one rounded: within half a unit in the last place of f32.
    let l32 = f64::from(l32.scalar().unwrap());
    assert!(((l32 - l64) / l64).abs() <= f64::from(f32::EPSILON) / 2.0);
    // ANCHOR_END: precision
    Ok(())
}

fn json() -> Result<()> {
    // ANCHOR: json
    // What `ce-mle loss` reads: a PyTorch call written as JSON, with PyTorch's names.
    let case =
        r#"{"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]], "target": [0], "grad": true}"#;
    let result = ce_mle::torch_json::run_json(case)?;

    // The answer is the crate's loss and gradient, as JSON numbers.
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let (l, g) =
        loss::cross_entropy_with_grad(&z, Target::Indices(&[0]), &CrossEntropyOptions::default())?;
    assert_eq!(result["output"].as_f64(), l.scalar());
    for k in 0..3 {
        assert_eq!(result["grad"][0][k].as_f64(), Some(g[(0, k)]));
    }
    // ANCHOR_END: json
    assert_eq!(case, ce_mle_book::chapters::options::JSON_CASE);
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    reductions()?;
    weights()?;
    ignored()?;
    smoothing()?;
    k_dimensional()?;
    precision()?;
    json()?;
    println!("every claim of the chapter checked");
    Ok(())
}
