extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;
extern crate statrs;

// en: Checks every claim of the chapter "Binary, multi-label and regression
//     losses": binary cross-entropy with logits is the Bernoulli negative
//     log-likelihood (T7, statrs as the oracle), evaluated stably; multi-label
//     = a sum of independent Bernoulli NLLs; PyTorch's clamp of log at −100 in
//     BCE on probabilities; two-class softmax = sigmoid; MSE is the Gaussian
//     NLL with fixed variance up to constants (T8, statrs as the oracle).
// zh: 核对“二元、多标签与回归损失”一章的每个论断：
//     带 logits 的二元交叉熵就是伯努利分布的负对数似然（T7，
//     以 statrs 为裁判），并且算得稳定；多标签 = 相互独立的伯努利负对数似然
//     之和；PyTorch 在概率版 BCE 中把 log 截断在 −100；两类 softmax =
//     sigmoid；均方误差在相差常数的意义下就是方差固定的高斯负对数似然（T8，
//     以 statrs 为裁判）。
//
// en: `cargo run --example binary` runs it;
//     `mdbook test` runs it behind each excerpt.
// zh: `cargo run --example binary` 运行它；`mdbook test` 在每段摘录背后运行它。

use ce_mle::loss::{
    BCE_LOG_CLAMP, BceOptions, BceWithLogitsOptions, CrossEntropyOptions,
    Reduction, Target, binary_cross_entropy, binary_cross_entropy_with_logits,
    cross_entropy, mse_loss,
};
use nalgebra::DMatrix;
use statrs::distribution::{Bernoulli, Continuous, Discrete, Normal};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn bernoulli() -> Result<()> {
    // ANCHOR: bernoulli
    // en: One sample with three independent yes/no labels: logits x, observed labels y.
    // zh: 一个样本带三个相互独立的是/否标签：logits x，观测到的标签 y。
    let x = DMatrix::from_row_slice(1, 3, &[2.0, -1.0, 0.5]);
    let y = DMatrix::from_row_slice(1, 3, &[1.0, 0.0, 0.0]);
    let none = BceWithLogitsOptions {
        reduction: Reduction::None,
        ..Default::default()
    };
    let per_label = binary_cross_entropy_with_logits(&x, &y, &none)?;
    let per_label = per_label.per_sample().expect("Reduction::None");

    // en: Each term is −log of the Bernoulli(σ(x))
    //     probability of the observed label (statrs).
    // zh: 每一项都是观测标签在伯努利分布 Bernoulli(σ(x)) 下的概率取 −log（statrs）。
    for k in 0..3 {
        let model = Bernoulli::new(sigmoid(x[(0, k)]))?;
        let nll = -model.ln_pmf(y[(0, k)] as u64);
        assert!((per_label[k] - nll).abs() < TOL);
    }
    // en: Independent labels: the probabilities multiply, so the NLLs add up.
    // zh: 标签相互独立：概率相乘，所以负对数似然相加。
    let joint: f64 = (0..3)
        .map(|k| {
            Bernoulli::new(sigmoid(x[(0, k)])).map(|b| b.pmf(y[(0, k)] as u64))
        })
        .product::<std::result::Result<f64, _>>()?;
    let sum = BceWithLogitsOptions {
        reduction: Reduction::Sum,
        ..Default::default()
    };
    let total = binary_cross_entropy_with_logits(&x, &y, &sum)?
        .scalar()
        .unwrap();
    assert!((total - (-joint.ln())).abs() < TOL);
    // ANCHOR_END: bernoulli
    assert_eq!(x.as_slice(), ce_mle_book::chapters::binary::BIN_LOGITS);
    assert_eq!(y.as_slice(), ce_mle_book::chapters::binary::BIN_TARGETS);
    Ok(())
}

fn stable() -> Result<()> {
    // ANCHOR: stable
    // en: x = 40, y = 0: σ(40) rounds to 1, so the
    //     naive −log(1 − σ(x)) is −log 0 = inf.
    // zh: x = 40，y = 0：σ(40) 舍入为 1，朴素的 −log(1 − σ(x)) 就是 −log 0 = inf。
    let x = 40.0_f64;
    assert_eq!(sigmoid(x), 1.0);
    assert_eq!(-(1.0 - sigmoid(x)).ln(), f64::INFINITY);
    // en: The with-logits form uses −log(1 − σ(x))
    //     = softplus(x) = log(1 + e^x): about 40.
    // zh: 带 logits 的形式用 −log(1 − σ(x)) = softplus(x) = log(1 + e^x)：约为 40。
    let (xs, ys) = (
        DMatrix::from_element(1, 1, x),
        DMatrix::from_element(1, 1, 0.0),
    );
    let l = binary_cross_entropy_with_logits(&xs, &ys, &Default::default())?;
    assert!((l.scalar().unwrap() - (x + (-x).exp().ln_1p())).abs() < TOL);

    // en: BCE on probabilities follows PyTorch: each log is clamped at −100,
    //     so the impossible event p = 0, y = 1 costs 100 nats instead of inf.
    // zh: 概率版 BCE 与 PyTorch 一致：每个 log 截断在 −100，
    //     所以不可能事件 p = 0、y = 1 的代价是 100 奈特而不是 inf。
    let (p, y) = (
        DMatrix::from_element(1, 1, 0.0),
        DMatrix::from_element(1, 1, 1.0),
    );
    let clamped = binary_cross_entropy(&p, &y, &BceOptions::default())?;
    assert_eq!(clamped.scalar().unwrap(), -BCE_LOG_CLAMP);
    // ANCHOR_END: stable
    assert_eq!(x, ce_mle_book::chapters::binary::BIN_BIG);
    Ok(())
}

fn two_classes() -> Result<()> {
    // ANCHOR: two_classes
    // en: A two-class softmax on logits (x, 0) is
    //     a sigmoid of x: CE = BCE with logit x.
    // zh: logits (x, 0) 上的两类 softmax 就是 x 的 sigmoid：CE = 以 x 为 logit 的 BCE。
    let x: f64 = 2.0;
    let ce = cross_entropy(
        &DMatrix::from_row_slice(1, 2, &[x, 0.0]),
        Target::Indices(&[0]),
        &CrossEntropyOptions::default(),
    )?;
    let bce = binary_cross_entropy_with_logits(
        &DMatrix::from_element(1, 1, x),
        &DMatrix::from_element(1, 1, 1.0),
        &Default::default(),
    )?;
    assert!((ce.scalar().unwrap() - bce.scalar().unwrap()).abs() < TOL);
    // ANCHOR_END: two_classes
    assert_eq!(x, ce_mle_book::chapters::binary::BIN_LOGITS[0]);
    Ok(())
}

fn gaussian() -> Result<()> {
    // ANCHOR: gaussian
    // en: Predictions (the means of a Gaussian with σ = 1) and observations.
    // zh: 预测值（σ = 1 的高斯分布的均值）与观测值。
    let pred = DMatrix::from_column_slice(3, 1, &[1.0, 2.0, 3.0]);
    let obs = DMatrix::from_column_slice(3, 1, &[1.5, 1.0, 3.5]);
    let mse = mse_loss(&pred, &obs, Reduction::Mean)?.scalar().unwrap();

    // en: Mean Gaussian NLL from statrs: MSE / 2 + log √(2π).
    // zh: statrs 给出的平均高斯负对数似然：MSE / 2 + log √(2π)。
    let mut nll = 0.0;
    for i in 0..3 {
        nll -= Normal::new(pred[(i, 0)], 1.0)?.ln_pdf(obs[(i, 0)]) / 3.0;
    }
    let constant = (2.0 * std::f64::consts::PI).sqrt().ln();
    assert!((nll - (mse / 2.0 + constant)).abs() < TOL);
    // ANCHOR_END: gaussian

    // en: Any σ: the NLL is MSE / (2σ²) + log(σ√(2π)); the minimiser over the
    //     predictions is the same, and the best constant prediction is the sample mean.
    // zh: 任意 σ：负对数似然是 MSE / (2σ²) + log(σ√(2π))；
    //     关于预测值的最小值点不变，最好的常数预测是样本均值。
    for sigma in [0.5, 2.0] {
        let mut nll = 0.0;
        for i in 0..3 {
            nll -= Normal::new(pred[(i, 0)], sigma)?.ln_pdf(obs[(i, 0)]) / 3.0;
        }
        let expected = mse / (2.0 * sigma * sigma)
            + (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((nll - expected).abs() < TOL);
    }
    let mean = obs.mean();
    let at = |c: f64| {
        mse_loss(&DMatrix::from_element(3, 1, c), &obs, Reduction::Mean)
    };
    for c in [mean - 0.1, mean + 0.1, 0.0, 3.0] {
        assert!(at(c)?.scalar().unwrap() > at(mean)?.scalar().unwrap());
    }
    assert_eq!(pred.as_slice(), ce_mle_book::chapters::binary::MSE_PRED);
    assert_eq!(obs.as_slice(), ce_mle_book::chapters::binary::MSE_OBS);
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    bernoulli()?;
    stable()?;
    two_classes()?;
    gaussian()?;
    println!("every claim of the chapter checked");
    Ok(())
}
