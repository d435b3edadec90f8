extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks every claim of the chapter "Maximum likelihood": the product
//     of many probabilities underflows while the sum of their logs does
//     not; the Bernoulli and categorical MLEs are the observed frequencies;
//     gradient descent on the mean cross-entropy lands on them.
// zh: 核对“极大似然”一章的每个论断：许多概率的乘积会下溢，
//     而它们对数之和不会；伯努利分布和类别分布的极大似然估计
//     就是观测频率；在平均交叉熵上做梯度下降会落到它们上面。
//
// en: `cargo run --example likelihood` runs it;
//     `mdbook test` runs it behind each excerpt.
// zh: `cargo run --example likelihood` 运行它；`mdbook test` 在每段摘录背后运行它。

use ce_mle::likelihood::{bernoulli_mle, categorical_mle, log_likelihood};
use ce_mle::loss::{
    self, CrossEntropyOptions, Target, cross_entropy_with_grad,
};
use ce_mle::softmax::softmax;
use nalgebra::{DMatrix, DVector};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn underflow() -> Result<()> {
    // ANCHOR: underflow
    // en: 400 independent observations, each given probability 0.1 by the model.
    // zh: 400 个独立的观测，模型给每一个的概率都是 0.1。
    let probs = vec![0.1_f64; 400];

    // en: The likelihood, multiplied out in f64, underflows to exactly 0 ...
    // zh: 在 f64 中直接乘出来的似然下溢为精确的 0……
    let product: f64 = probs.iter().product();
    assert_eq!(product, 0.0);

    // en: ... while the log-likelihood is an ordinary number: 400 · log 0.1.
    // zh: ……而对数似然是个普通的数：400 · log 0.1。
    let ll = log_likelihood(&probs)?;
    assert!(ll.is_finite());
    assert!((ll - 400.0 * 0.1_f64.ln()).abs() < 1e-9);
    // ANCHOR_END: underflow

    // en: A product of 0 cannot rank models; sums of
    //     logs can: a slightly better model wins.
    // zh: 乘积为 0 就无法比较模型；对数之和可以：稍好一点的模型胜出。
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
    // en: heads / flips
    // zh: 正面次数 / 抛掷次数
    let theta_hat = bernoulli_mle(&flips)?;
    assert!((theta_hat - 0.7).abs() < TOL);

    // en: The log-likelihood k log θ + (N − k) log(1 − θ) is largest there.
    // zh: 对数似然 k log θ + (N − k) log(1 − θ) 在那里最大。
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

    // en: The log-likelihood Σ_k n_k log q_k of any other distribution q is lower.
    // zh: 任何别的分布 q 的对数似然 Σ_k n_k log q_k 都更低。
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
    // en: Free logits, q = softmax(z); the start is confident about class 0.
    // zh: 自由的 logits，q = softmax(z)；起点对类别 0 很有把握。
    let start: [f64; 3] = [2.0, 0.0, -2.0];
    let mut z = DVector::from_row_slice(&start);

    for _ in 0..steps {
        // en: The same logits for every sample; the
        //     mean cross-entropy and its gradient.
        // zh: 每个样本用同一组 logits；平均交叉熵及其梯度。
        let rows = DMatrix::from_fn(labels.len(), 3, |_, k| z[k]);
        let opts = CrossEntropyOptions::default();
        let (_, grad) =
            cross_entropy_with_grad(&rows, Target::Indices(&labels), &opts)?;
        // en: Each row's gradient is (softmax(z) −
        //     y_i) / N; their sum is softmax(z) − p̂.
        // zh: 每一行的梯度是 (softmax(z) − y_i) / N；它们的和是 softmax(z) − p̂。
        z -= grad.row_sum().transpose() * lr;
    }
    let q = softmax(&DMatrix::from_row_slice(1, 3, z.as_slice()))?;
    // en: Gradient descent has found the frequencies (0.2, 0.2, 0.6).
    // zh: 梯度下降找到了频率 (0.2, 0.2, 0.6)。
    assert!((q[(0, 0)] - 0.2).abs() < 1e-6);
    assert!((q[(0, 1)] - 0.2).abs() < 1e-6);
    assert!((q[(0, 2)] - 0.6).abs() < 1e-6);
    // ANCHOR_END: descent

    // en: The same iterates as the ones plotted and quoted by the book.
    // zh: 与书中绘制和引用的迭代值相同。
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
    // en: At the end the mean loss is the entropy of the frequencies (T4).
    // zh: 最后平均损失等于频率分布的熵（T4）。
    let rows = DMatrix::from_fn(labels.len(), 3, |_, k| z[k]);
    let l = loss::cross_entropy(
        &rows,
        Target::Indices(&labels),
        &CrossEntropyOptions::default(),
    )?
    .scalar()
    .expect("mean");
    let h =
        ce_mle::information::entropy(&DVector::from_vec(vec![0.2, 0.2, 0.6]))?;
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
