extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;
extern crate serde_json;

// en: Checks every claim of the chapter "Training
//     a classifier by minimising cross-entropy".
// zh: 核对“用最小化交叉熵训练分类器”一章的每个论断。
//
// en: The chapter shows excerpts (between `ANCHOR` markers);
//     `mdbook test` compiles and runs the whole program for each
//     excerpt, and `cargo run --example training` runs it too.
// zh: 本章展示的是摘录（`ANCHOR` 标记之间的部分）；
//     `mdbook test` 为每段摘录编译并运行整个程序，
//     `cargo run --example training` 也运行它。

use ce_mle::data::{Classification, random_classification, rng};
use ce_mle::information::entropy;
use ce_mle::likelihood::categorical_mle;
use ce_mle::loss::{self, CrossEntropyOptions, Target};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::{Adam, Optimizer};
use ce_mle::train::{ArticleConfig, TrainReport, article_run};
use nalgebra::DMatrix;

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;
/// en: The untrained model's loss is within this distance of ln 5 (nats).
/// zh: 未训练模型的损失与 ln 5 相差不超过这个值（奈特）。
const START_MARGIN: f64 = 0.1;
/// en: Seed and size of the fresh samples the trained model is tested on.
/// zh: 检验训练后模型所用新样本的种子与数量。
const FRESH_SEED: u64 = ce_mle::data::DEFAULT_SEED + 1;
const FRESH_N: usize = 1000;

type Result<T> = std::result::Result<T, ce_mle::Error>;

/// en: The mean cross-entropy of `model` on `data`.
/// zh: `model` 在 `data` 上的平均交叉熵。
fn mean_loss(model: &SoftmaxClassifier, data: &Classification) -> Result<f64> {
    let z = model.logits(&data.x)?;
    let l = loss::cross_entropy(
        &z,
        Target::Indices(&data.y),
        &CrossEntropyOptions::default(),
    )?;
    Ok(l.scalar().expect("the mean reduction gives a scalar"))
}

/// en: The article's program, written out; returns the data,
///     the untrained model and the loss of every epoch.
/// zh: 原文的程序，逐行写出；返回数据、未训练的模型和每一轮的损失。
fn program() -> Result<(Classification, SoftmaxClassifier, Vec<f64>)> {
    // ANCHOR: program
    // en: N = 32 samples, D = 10 features, C = 5 classes, lr = 1e-3, 100 epochs.
    // zh: N = 32 个样本，D = 10 个特征，C = 5 个类别，学习率 1e-3，100 轮。
    let config = ArticleConfig::default();
    let (n, d, c) = (config.n, config.features, config.classes);
    let mut rng = rng(config.seed);
    // en: x ~ N(0, 1) with shape (32, 10), then 32 labels uniform in 0..5.
    // zh: x ~ N(0, 1)，形状为 (32, 10)，然后是 32 个在 0..5 中均匀抽取的标签。
    let data = random_classification(n, d, c, &mut rng)?;
    // en: Linear(10 → 5): weights and biases from U(−1/√10, 1/√10), as PyTorch.
    // zh: Linear(10 → 5)：权重和偏置取自 U(−1/√10, 1/√10)，与 PyTorch 相同。
    let linear = Linear::new(d, c, &mut rng)?;
    let mut model = SoftmaxClassifier::new(linear);
    let untrained = model.clone();
    let mut adam = Adam::new(config.lr)?;
    // en: mean over the batch
    // zh: 对这批数据取均值
    let opts = CrossEntropyOptions::default();

    let mut losses = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        // en: Forward pass: the mean cross-entropy; backward pass: its gradient.
        // zh: 前向传播：平均交叉熵；反向传播：它的梯度。
        let target = Target::Indices(&data.y);
        let (loss, grad) = model.loss_and_grad(&data.x, target, &opts)?;
        let loss = loss.scalar().expect("the mean reduction gives a scalar");
        // en: One Adam step on all 55 parameters, from the whole batch.
        // zh: 用整批数据对全部 55 个参数做一步 Adam 更新。
        let grads = [grad.weight.as_slice(), grad.bias.as_slice()];
        adam.step(&mut model.linear.parameters_mut(), &grads)?;
        if epoch % config.print_every == 0 {
            println!("Epoch [{epoch}/{}], Loss: {loss:.4}", config.epochs);
        }
        losses.push(loss);
    }
    // ANCHOR_END: program

    // en: The crate's `article_run` is this same program.
    // zh: 本库的 `article_run` 就是这个程序。
    let report = article_run(&config)?;
    assert_eq!(losses, report.losses);
    assert_eq!(model, report.model);
    // en: PyTorch's Adam defaults, as the chapter
    //     quotes them, are what `Adam::new` uses.
    // zh: 本章引用的 PyTorch Adam 默认值，正是 `Adam::new` 所用的值。
    let (betas, eps) = (
        ce_mle_book::chapters::training::ADAM_BETAS,
        ce_mle_book::chapters::training::ADAM_EPS,
    );
    let mut spelled_out = Adam::with_options(config.lr, betas, eps, 0.0)?;
    let mut default = Adam::new(config.lr)?;
    let mut a = untrained.clone();
    let mut b = untrained.clone();
    for _ in 0..3 {
        let (_, g) =
            a.loss_and_grad(&data.x, Target::Indices(&data.y), &opts)?;
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
    // en: Every epoch's update lowers the loss (the last one included) ...
    // zh: 每一轮的更新都让损失下降（包括最后一轮）……
    let last = report.losses[report.losses.len() - 1];
    assert!(report.losses.windows(2).all(|w| w[1] < w[0]));
    assert!(report.final_loss < last && last < report.losses[0]);
    // en: ... and the program prints one line every 10 epochs: 10 lines.
    // zh: ……程序每 10 轮打印一行：共 10 行。
    assert_eq!(report.table().lines().count(), 10);
    // ANCHOR_END: falls
    Ok(report)
}

fn start(report: &TrainReport) {
    // ANCHOR: start
    // en: Uniform predictions score ln 5 whatever the
    //     labels; the untrained model is close to uniform.
    // zh: 无论标签是什么，均匀预测的损失都是 ln 5；未训练的模型接近均匀。
    let ln5 = 5f64.ln();
    assert!((report.losses[0] - ln5).abs() < START_MARGIN);
    // ANCHOR_END: start
}

/// en: The gap between the first loss and ln C,
///     split into the two terms of the chapter.
/// zh: 第一轮的损失与 ln C 之差，按本章的方式拆成两项。
fn start_terms(
    untrained: &SoftmaxClassifier,
    data: &Classification,
    first: f64,
) -> Result<()> {
    let z = untrained.logits(&data.x)?;
    let c = z.ncols() as f64;
    let (mut slack, mut label) = (0.0, 0.0);
    for (row, &y) in z.row_iter().zip(&data.y) {
        let mean = row.mean();
        let max = row.max();
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        // en: Jensen: log-sum-exp ≥ ln C + mean logit.
        // zh: 詹森不等式：log-sum-exp ≥ ln C + logits 的均值。
        assert!(lse - mean - c.ln() >= 0.0);
        slack += lse - mean - c.ln();
        label += mean - row[y as usize];
    }
    let n = z.nrows() as f64;
    assert!((first - c.ln() - (slack + label) / n).abs() < TOL);
    Ok(())
}

fn gradient(
    untrained: &SoftmaxClassifier,
    data: &Classification,
) -> Result<f64> {
    // ANCHOR: gradient
    // en: (N, C): softmax(x_i Wᵀ + b)
    // zh: (N, C)：softmax(x_i Wᵀ + b)
    let q = untrained.predict_proba(&data.x)?;
    // en: one-hot labels
    // zh: 独热标签
    let mut y = DMatrix::zeros(q.nrows(), q.ncols());
    for (i, &label) in data.y.iter().enumerate() {
        y[(i, label as usize)] = 1.0;
    }
    let n = data.x.nrows() as f64;
    // en: (C, D), the shape of W
    // zh: (C, D)，即 W 的形状
    let grad_w = (&q - &y).transpose() * &data.x / n;
    let grad_b = (&q - &y).row_sum().transpose() / n; // (C,)

    let opts = CrossEntropyOptions::default();
    let target = Target::Indices(&data.y);
    let (_, grad) = untrained.loss_and_grad(&data.x, target, &opts)?;
    assert!((&grad.weight - grad_w).amax() < TOL);
    assert!((&grad.bias - grad_b).amax() < TOL);
    // ANCHOR_END: gradient

    // en: Central finite differences on one weight and one bias agree.
    // zh: 对一个权重和一个偏置做中心有限差分，结果一致。
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
        let numeric =
            (mean_loss(&up, data)? - mean_loss(&down, data)?) / (2.0 * h);
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
    // en: The largest distance any of the 55 parameters travelled.
    // zh: 55 个参数中走得最远的那个走了多远。
    let (w0, w1) = (&untrained.linear.weight, &report.model.linear.weight);
    let (b0, b1) = (&untrained.linear.bias, &report.model.linear.bias);
    let moved = (w1 - w0).amax().max((b1 - b0).amax());
    // en: Convexity and Hölder's inequality: a hard upper bound.
    // zh: 凸性与赫尔德不等式：一个严格的上界。
    assert!(fall <= grad_l1 * moved);
    // en: Adam moves each parameter by about lr per step,
    //     hence the estimate lr · epochs · ‖∇J(θ₀)‖₁.
    // zh: Adam 每一步把每个参数移动大约 lr，因此估计值为 lr · epochs · ‖∇J(θ₀)‖₁。
    let estimate = config.lr * config.epochs as f64 * grad_l1;
    assert!(0.5 * estimate <= fall && fall <= estimate);
    // ANCHOR_END: bound
    assert!(
        (moved - config.lr * config.epochs as f64).abs()
            < 0.2 * config.lr * config.epochs as f64
    );
}

fn fresh(
    report: &TrainReport,
    untrained: &SoftmaxClassifier,
    data: &Classification,
) -> Result<()> {
    // ANCHOR: fresh
    // en: The training accuracy rises above chance (1/5) ...
    // zh: 训练准确率高于随机水平（1/5）……
    let (before, after) = report.accuracy;
    assert!(after > before && after > 0.2);
    // en: ... and the loss ends below H(p̂), the best a model
    //     that ignores x can do (the equivalence chapter) ...
    // zh: ……损失最终低于 H(p̂)，即忽略 x 的模型所能做到的最好结果
    //     （见“交叉熵就是极大似然”一章）……
    let labels: Vec<usize> = data.y.iter().map(|&y| y as usize).collect();
    // en: the label frequencies
    // zh: 标签频率
    let p_hat = categorical_mle(&labels, 5)?;
    assert!(report.final_loss < entropy(&p_hat)?);

    // en: ... but on fresh samples from the same source it is no better than
    //     guessing: its loss is above ln 5, and higher than before training.
    // zh: ……但在同一来源的新样本上，它并不比瞎猜好：损失高于 ln 5，比训练前还高。
    let fresh = random_classification(FRESH_N, 10, 5, &mut rng(FRESH_SEED))?;
    let trained_loss = mean_loss(&report.model, &fresh)?;
    assert!(trained_loss > 5f64.ln());
    assert!(trained_loss > mean_loss(untrained, &fresh)?);
    // ANCHOR_END: fresh
    assert!((report.model.accuracy(&fresh.x, &fresh.y)? - 0.2).abs() < 0.05);
    Ok(())
}

/// en: The same program from PyTorch's recorded start
///     (`tests/fixtures/torch_training.json`): our
///     losses and printed lines against PyTorch's.
/// zh: 从 PyTorch 记录的起点（`tests/fixtures/torch_training.json`）
///     运行同一个程序：我们的损失和打印行与 PyTorch 的对照。
fn torch() -> Result<()> {
    use ce_mle::train::{
        FitConfig, OptimizerSpec, RecordedStart, Regularization, fit_with,
    };
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
    // en: PyTorch's data and initial layer, then 100 epochs of Adam (lr 1e-3).
    // zh: PyTorch 的数据和初始层，然后用 Adam（学习率 1e-3）训练 100 轮。
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
    // en: Every epoch's loss agrees with PyTorch's to rounding ...
    // zh: 每一轮的损失都与 PyTorch 的在舍入误差内一致……
    for (ours, theirs) in history.train.iter().zip(floats(&torch["losses"])) {
        assert!((ours - theirs).abs() <= 1e-12 * theirs.abs());
    }
    // en: ... and the ten printed lines are the same text.
    // zh: ……打印出的十行文字完全相同。
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
