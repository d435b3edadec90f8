extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;
extern crate serde_json;

// Checks every claim of the chapter "Training a classifier by minimising cross-entropy".
//
// The chapter shows excerpts (between `ANCHOR` markers); `mdbook test` compiles and runs
// the whole program for each excerpt, and `cargo run --example training` runs it too.

use ce_mle::data::{Classification, random_classification, rng};
use ce_mle::information::entropy;
use ce_mle::likelihood::categorical_mle;
use ce_mle::loss::{self, CrossEntropyOptions, Target};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::{Adam, Optimizer};
use ce_mle::train::{ArticleConfig, TrainReport, article_run};
use nalgebra::DMatrix;

/// Two computations of the same quantity in f64 agree to this absolute tolerance.
const TOL: f64 = 1e-12;
/// The untrained model's loss is within this distance of ln 5 (nats).
const START_MARGIN: f64 = 0.1;
/// Seed and size of the fresh samples the trained model is tested on.
const FRESH_SEED: u64 = ce_mle::data::DEFAULT_SEED + 1;
const FRESH_N: usize = 1000;

type Result<T> = std::result::Result<T, ce_mle::Error>;

/// The mean cross-entropy of `model` on `data`.
fn mean_loss(model: &SoftmaxClassifier, data: &Classification) -> Result<f64> {
    let z = model.logits(&data.x)?;
    let l = loss::cross_entropy(
        &z,
        Target::Indices(&data.y),
        &CrossEntropyOptions::default(),
    )?;
    Ok(l.scalar().expect("the mean reduction gives a scalar"))
}

/// The article's program, written out; returns the data, the untrained model and the
/// loss of every epoch.
fn program() -> Result<(Classification, SoftmaxClassifier, Vec<f64>)> {
    // ANCHOR: program
    // N = 32 samples, D = 10 features, C = 5 classes, lr = 1e-3, 100 epochs.
    let config = ArticleConfig::default();
    let (n, d, c) = (config.n, config.features, config.classes);
    let mut rng = rng(config.seed);
    // x ~ N(0, 1) with shape (32, 10), then 32 labels uniform in 0..5.
    let data = random_classification(n, d, c, &mut rng)?;
    // Linear(10 → 5): weights and biases from U(−1/√10, 1/√10), as PyTorch.
    let linear = Linear::new(d, c, &mut rng)?;
    let mut model = SoftmaxClassifier::new(linear);
    let untrained = model.clone();
    let mut adam = Adam::new(config.lr)?;
    let opts = CrossEntropyOptions::default(); // mean over the batch

    let mut losses = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        // Forward pass: the mean cross-entropy; backward pass: its gradient.
        let target = Target::Indices(&data.y);
        let (loss, grad) = model.loss_and_grad(&data.x, target, &opts)?;
        let loss = loss.scalar().expect("the mean reduction gives a scalar");
        // One Adam step on all 55 parameters, from the whole batch.
        let grads = [grad.weight.as_slice(), grad.bias.as_slice()];
        adam.step(&mut model.linear.parameters_mut(), &grads)?;
        if epoch % config.print_every == 0 {
            println!("Epoch [{epoch}/{}], Loss: {loss:.4}", config.epochs);
        }
        losses.push(loss);
    }
    // ANCHOR_END: program

    // The crate's `article_run` is this same program.
    let report = article_run(&config)?;
    assert_eq!(losses, report.losses);
    assert_eq!(model, report.model);
    // PyTorch's Adam defaults, as the chapter quotes them, are what `Adam::new` uses.
    let (betas, eps) = (
        ce_mle_book::chapters::training::ADAM_BETAS,
        ce_mle_book::chapters::training::ADAM_EPS,
    );
    let mut spelled_out = Adam::with_options(config.lr, betas, eps, 0.0)?;
    let mut default = Adam::new(config.lr)?;
    let mut a = untrained.clone();
    let mut b = untrained.clone();
    for _ in 0..3 {
        let (_, g) = a.loss_and_grad(&data.x, Target::Indices(&data.y), &opts)?;
        let g = [g.weight.as_slice(), g.bias.as_slice()];
        spelled_out.step(&mut a.linear.parameters_mut(), &g)?;
        default.step(&mut b.linear.parameters_mut(), &g)?;
        assert_eq!(a, b);
    }
    Ok((data, untrained, losses))
}

fn falls() -> Result<TrainReport> {
    // ANCHOR: falls
    let report = article_run(&ArticleConfig::default())?;
    // Every epoch's update lowers the loss (the last one included) ...
    let last = report.losses[report.losses.len() - 1];
    assert!(report.losses.windows(2).all(|w| w[1] < w[0]));
    assert!(report.final_loss < last && last < report.losses[0]);
    // ... and the program prints one line every 10 epochs: 10 lines.
    assert_eq!(report.table().lines().count(), 10);
    // ANCHOR_END: falls
    Ok(report)
}

fn start(report: &TrainReport) {
    // ANCHOR: start
    // Uniform predictions score ln 5 whatever the labels; the untrained
    // model is close to uniform.
    let ln5 = 5f64.ln();
    assert!((report.losses[0] - ln5).abs() < START_MARGIN);
    // ANCHOR_END: start
}

/// The gap between the first loss and ln C, split into the two terms of the chapter.
fn start_terms(untrained: &SoftmaxClassifier, data: &Classification, first: f64) -> Result<()> {
    let z = untrained.logits(&data.x)?;
    let c = z.ncols() as f64;
    let (mut slack, mut label) = (0.0, 0.0);
    for (row, &y) in z.row_iter().zip(&data.y) {
        let mean = row.mean();
        let max = row.max();
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        // Jensen: log-sum-exp ≥ ln C + mean logit.
        assert!(lse - mean - c.ln() >= 0.0);
        slack += lse - mean - c.ln();
        label += mean - row[y as usize];
    }
    let n = z.nrows() as f64;
    assert!((first - c.ln() - (slack + label) / n).abs() < TOL);
    Ok(())
}

fn gradient(untrained: &SoftmaxClassifier, data: &Classification) -> Result<f64> {
    // ANCHOR: gradient
    let q = untrained.predict_proba(&data.x)?; // (N, C): softmax(x_i Wᵀ + b)
    let mut y = DMatrix::zeros(q.nrows(), q.ncols()); // one-hot labels
    for (i, &label) in data.y.iter().enumerate() {
        y[(i, label as usize)] = 1.0;
    }
    let n = data.x.nrows() as f64;
    let grad_w = (&q - &y).transpose() * &data.x / n; // (C, D), the shape of W
    let grad_b = (&q - &y).row_sum().transpose() / n; // (C,)

    let opts = CrossEntropyOptions::default();
    let target = Target::Indices(&data.y);
    let (_, grad) = untrained.loss_and_grad(&data.x, target, &opts)?;
    assert!((&grad.weight - grad_w).amax() < TOL);
    assert!((&grad.bias - grad_b).amax() < TOL);
    // ANCHOR_END: gradient

    // Central finite differences on one weight and one bias agree.
    let h = 1e-6;
    for (r, c, is_bias) in [(0, 0, false), (3, 7, false), (2, 0, true)] {
        let (mut up, mut down) = (untrained.clone(), untrained.clone());
        if is_bias {
            up.linear.bias[r] += h;
            down.linear.bias[r] -= h;
        } else {
            up.linear.weight[(r, c)] += h;
            down.linear.weight[(r, c)] -= h;
        }
        let numeric = (mean_loss(&up, data)? - mean_loss(&down, data)?) / (2.0 * h);
        let analytic = if is_bias {
            grad.bias[r]
        } else {
            grad.weight[(r, c)]
        };
        assert!((numeric - analytic).abs() < 1e-8);
    }
    let l1: f64 = grad
        .weight
        .iter()
        .chain(grad.bias.iter())
        .map(|g| g.abs())
        .sum();
    Ok(l1)
}

fn bound(report: &TrainReport, untrained: &SoftmaxClassifier, grad_l1: f64) {
    let config = &report.config;
    // ANCHOR: bound
    let fall = report.losses[0] - report.final_loss;
    // The largest distance any of the 55 parameters travelled.
    let (w0, w1) = (&untrained.linear.weight, &report.model.linear.weight);
    let (b0, b1) = (&untrained.linear.bias, &report.model.linear.bias);
    let moved = (w1 - w0).amax().max((b1 - b0).amax());
    // Convexity and Hölder's inequality: a hard upper bound.
    assert!(fall <= grad_l1 * moved);
    // Adam moves each parameter by about lr per step, hence the estimate
    // lr · epochs · ‖∇J(θ₀)‖₁.
    let estimate = config.lr * config.epochs as f64 * grad_l1;
    assert!(0.5 * estimate <= fall && fall <= estimate);
    // ANCHOR_END: bound
    assert!(
        (moved - config.lr * config.epochs as f64).abs() < 0.2 * config.lr * config.epochs as f64
    );
}

fn fresh(report: &TrainReport, untrained: &SoftmaxClassifier, data: &Classification) -> Result<()> {
    // ANCHOR: fresh
    // The training accuracy rises above chance (1/5) ...
    let (before, after) = report.accuracy;
    assert!(after > before && after > 0.2);
    // ... and the loss ends below H(p̂), the best a model that ignores x
    // can do (the equivalence chapter) ...
    let labels: Vec<usize> = data.y.iter().map(|&y| y as usize).collect();
    let p_hat = categorical_mle(&labels, 5)?; // the label frequencies
    assert!(report.final_loss < entropy(&p_hat)?);

    // ... but on fresh samples from the same source it is no better than
    // guessing: its loss is above ln 5, and higher than before training.
    let fresh = random_classification(FRESH_N, 10, 5, &mut rng(FRESH_SEED))?;
    let trained_loss = mean_loss(&report.model, &fresh)?;
    assert!(trained_loss > 5f64.ln());
    assert!(trained_loss > mean_loss(untrained, &fresh)?);
    // ANCHOR_END: fresh
    assert!((report.model.accuracy(&fresh.x, &fresh.y)? - 0.2).abs() < 0.05);
    Ok(())
}

/// The same program from PyTorch's recorded start (`tests/fixtures/torch_training.json`):
/// our losses and printed lines against PyTorch's.
fn torch() -> Result<()> {
    use ce_mle::train::{FitConfig, OptimizerSpec, RecordedStart, Regularization, fit_with};
    let path = ce_mle_book::chapters::training::torch_fixture_path();
    let text = std::fs::read_to_string(&path).expect("the PyTorch fixture");
    let fixture: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let runs = fixture["runs"].as_array().expect("runs");
    let torch = runs
        .iter()
        .find(|r| r["name"] == "adam")
        .expect("the Adam run");
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("an array")
            .iter()
            .filter_map(|x| x.as_f64())
            .collect()
    };
    // ANCHOR: torch
    // PyTorch's data and initial layer, then 100 epochs of Adam (lr 1e-3).
    let start = RecordedStart::from_json(&text, "torch_training.json")?;
    let mut model = start.model;
    let adam = OptimizerSpec::Adam {
        lr: 1e-3,
        weight_decay: 0.0,
    };
    let config = FitConfig {
        optimizer: adam,
        epochs: 100,
        regularization: Regularization::none(),
    };
    let history = fit_with(&mut model, &start.data, None, &config, None)?;
    // Every epoch's loss agrees with PyTorch's to rounding ...
    for (ours, theirs) in history.train.iter().zip(floats(&torch["losses"])) {
        assert!((ours - theirs).abs() <= 1e-12 * theirs.abs());
    }
    // ... and the ten printed lines are the same text.
    let printed: Vec<&str> = torch["printed"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert_eq!(history.table(100, 10).lines().collect::<Vec<_>>(), printed);
    // ANCHOR_END: torch
    let w = &torch["params"]["100"]["weight"];
    for (k, row) in w.as_array().expect("rows").iter().enumerate() {
        for (j, theirs) in floats(row).into_iter().enumerate() {
            let ours = model.linear.weight[(k, j)];
            assert!((ours - theirs).abs() <= 1e-12 * theirs.abs().max(1e-3));
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    assert_eq!(
        START_MARGIN,
        ce_mle_book::chapters::training::TRAINING_START_MARGIN
    );
    assert_eq!(
        FRESH_SEED,
        ce_mle_book::chapters::training::TRAINING_FRESH_SEED
    );
    assert_eq!(FRESH_N, ce_mle_book::chapters::training::TRAINING_FRESH_N);
    let (data, untrained, losses) = program()?;
    let report = falls()?;
    assert_eq!(losses, report.losses);
    start(&report);
    start_terms(&untrained, &data, report.losses[0])?;
    let grad_l1 = gradient(&untrained, &data)?;
    bound(&report, &untrained, grad_l1);
    fresh(&report, &untrained, &data)?;
    torch()?;
    println!("every claim of the chapter checked");
    Ok(())
}
