extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks the claims of the chapter "Why cross-entropy and not another
//     loss": the gradients of a confidently wrong prediction under the
//     cross-entropy and under the Brier score (by finite differences), how
//     fast gradient descent corrects it, which scoring rules make honest
//     probabilities optimal, accuracy as a piecewise-constant objective, and
//     the gradient "mean − observation" of three likelihoods.
// zh: 核对“为什么是交叉熵，而不是别的损失”一章的论断：一个自信的错误
//     预测在交叉熵与 Brier 评分下的梯度（用有限差分核对）、梯度下降
//     纠正它的快慢、哪些评分规则让如实报告概率成为最优、准确率作为
//     分段常数的目标，以及三种似然的梯度“均值 − 观测”。
//
// en: `cargo run --example why_cross_entropy` runs it.
// zh: `cargo run --example why_cross_entropy` 运行它。

use ce_mle::loss::{
    BceWithLogitsOptions, CrossEntropyOptions, Reduction, Target,
    binary_cross_entropy_with_logits, cross_entropy, mse_loss,
};
use ce_mle::softmax::softmax;
use ce_mle_book::chapters::why_cross_entropy as chapter;
use nalgebra::{DMatrix, DVector};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// en: Step of the central finite differences.
/// zh: 中心有限差分的步长。
const H: f64 = 1e-6;

/// en: Central finite-difference gradient of `f` at `z`.
/// zh: `f` 在 `z` 处的中心有限差分梯度。
fn numeric_grad(
    f: &dyn Fn(&[f64]) -> Result<f64>,
    z: &[f64],
) -> Result<DVector<f64>> {
    let mut g = DVector::zeros(z.len());
    for k in 0..z.len() {
        let (mut plus, mut minus) = (z.to_vec(), z.to_vec());
        plus[k] += H;
        minus[k] -= H;
        g[k] = (f(&plus)? - f(&minus)?) / (2.0 * H);
    }
    Ok(g)
}

fn probs(z: &[f64]) -> Result<DVector<f64>> {
    Ok(softmax(&DMatrix::from_row_slice(1, z.len(), z))?
        .row(0)
        .transpose())
}

fn one_hot(y: usize, c: usize) -> DVector<f64> {
    DVector::from_fn(c, |j, _| if j == y { 1.0 } else { 0.0 })
}

// ANCHOR: losses
// en: Cross-entropy −log q_y, computed by the crate from the logits.
// zh: 交叉熵 −log q_y，由本库从 logits 算出。
fn ce(z: &[f64], y: usize) -> Result<f64> {
    let rows = DMatrix::from_row_slice(1, z.len(), z);
    let opts = CrossEntropyOptions::default();
    let l = cross_entropy(&rows, Target::Indices(&[y as i64]), &opts)?;
    Ok(l.scalar().expect("mean"))
}

// en: Brier score: squared error between q = softmax(z) and the one-hot
//     target, summed over the classes (PyTorch's MSELoss with "sum").
// zh: Brier 评分：q = softmax(z) 与 one-hot 目标之间的平方误差，
//     对各类别求和（即 PyTorch 中 reduction 为 "sum" 的 MSELoss）。
fn brier(z: &[f64], y: usize) -> Result<f64> {
    let q = softmax(&DMatrix::from_row_slice(1, z.len(), z))?;
    let t = DMatrix::from_fn(1, z.len(), |_, j| f64::from(j == y));
    Ok(mse_loss(&q, &t, Reduction::Sum)?.scalar().expect("sum"))
}
// ANCHOR_END: losses

fn gradients() -> Result<()> {
    // ANCHOR: gradients
    // en: Confidently wrong: the true class 0 gets q_0 ≈ 0.0003.
    // zh: 自信地错了：真实类别 0 只得到 q_0 ≈ 0.0003。
    let z = [-4.0, 4.0, 0.0];
    let y = 0;
    let q = probs(&z)?;
    let r = &q - one_hot(y, 3);
    // en: Closed forms: ∇CE = q − e_y; ∇Brier = (diag(q) − q qᵀ) · 2(q − e_y).
    // zh: 闭式解：∇CE = q − e_y；∇Brier = (diag(q) − q qᵀ) · 2(q − e_y)。
    let g_ce = r.clone();
    let g_brier = (DMatrix::from_diagonal(&q) - &q * q.transpose()) * &r * 2.0;
    // en: Both agree with finite differences of the losses above.
    // zh: 二者都与上面损失函数的有限差分一致。
    let fd_ce = numeric_grad(&|z| ce(z, y), &z)?;
    let fd_brier = numeric_grad(&|z| brier(z, y), &z)?;
    assert!((&fd_ce - &g_ce).amax() < 1e-8);
    assert!((&fd_brier - &g_brier).amax() < 1e-8);
    // en: Cross-entropy pushes the true logit up with almost the full unit
    //     force; the Brier gradient is 28 times smaller, and on the true
    //     logit about 770 times smaller.
    // zh: 交叉熵几乎以满额的单位力度推高真实类别的 logit；Brier 梯度
    //     小 28 倍，落在真实类别 logit 上的分量小约 770 倍。
    assert!(g_ce[y] < -0.999);
    assert!(g_ce.norm() > 28.0 * g_brier.norm());
    assert!(g_ce[y].abs() > 770.0 * g_brier[y].abs());
    // en: The loss itself: −log q_0 ≈ 8.02 nats, while the Brier score can
    //     never exceed 2, however wrong the prediction.
    // zh: 损失本身：−log q_0 ≈ 8.02 奈特，而 Brier 评分无论预测错得
    //     多离谱都不会超过 2。
    assert!(ce(&z, y)? > 8.0 && brier(&z, y)? < 2.0);
    // ANCHOR_END: gradients

    // en: Binary case, label 1, logit s = −8: the squared error (σ(s) − 1)²
    //     has derivative 2(σ − 1)σ(1 − σ) ≈ 0, the BCE σ(s) − 1 ≈ −1.
    // zh: 二分类，标签为 1，logit s = −8：平方误差 (σ(s) − 1)² 的导数
    //     2(σ − 1)σ(1 − σ) ≈ 0，BCE 的导数 σ(s) − 1 ≈ −1。
    let sq = |s: &[f64]| -> Result<f64> {
        Ok((1.0 / (1.0 + (-s[0]).exp()) - 1.0).powi(2))
    };
    let bce = |s: &[f64]| -> Result<f64> {
        let x = DMatrix::from_row_slice(1, 1, s);
        let t = DMatrix::from_row_slice(1, 1, &[1.0]);
        let opts = BceWithLogitsOptions::default();
        Ok(binary_cross_entropy_with_logits(&x, &t, &opts)?
            .scalar()
            .expect("mean"))
    };
    assert!(numeric_grad(&sq, &[-8.0])?[0].abs() < 1e-3);
    assert!((numeric_grad(&bce, &[-8.0])?[0] + 1.0).abs() < 1e-3);

    // en: Further out along z = (u, 0, 0) the Brier gradient vanishes with
    //     q_y, the cross-entropy gradient tends to (−1, ½, ½), norm √1.5.
    // zh: 沿 z = (u, 0, 0) 走得更远，Brier 梯度随 q_y 一起消失，交叉熵
    //     梯度趋于 (−1, ½, ½)，范数为 √1.5。
    for u in [-10.0, -20.0, -30.0] {
        let z = [u, 0.0, 0.0];
        let q = probs(&z)?;
        let g_ce = numeric_grad(&|z| ce(z, 0), &z)?;
        let g_b = numeric_grad(&|z| brier(z, 0), &z)?;
        assert!((g_ce.norm() - 1.5_f64.sqrt()).abs() < 1e-4);
        assert!(g_b.norm() < 4.0 * q[0] + 1e-9);
    }
    Ok(())
}

fn recovery() -> Result<()> {
    // ANCHOR: recovery
    // en: Plain gradient descent, learning rate 1, from the same logits:
    //     count the steps until the true class is the likely one (q_0 > ½).
    // zh: 从同样的 logits 出发做学习率为 1 的普通梯度下降：数一数要
    //     多少步，真实类别才成为可能的那个（q_0 > ½）。
    let steps_until_right = |loss: &dyn Fn(&[f64]) -> Result<f64>| {
        let mut z = vec![-4.0, 4.0, 0.0];
        for step in 0..10_000 {
            if probs(&z)?[0] > 0.5 {
                return Ok(step);
            }
            let g = numeric_grad(loss, &z)?;
            z.iter_mut().zip(g.iter()).for_each(|(z, g)| *z -= g);
        }
        Err::<usize, Box<dyn std::error::Error>>("never right".into())
    };
    let with_ce = steps_until_right(&|z| ce(z, 0))?;
    let with_brier = steps_until_right(&|z| brier(z, 0))?;
    assert!(with_ce <= 5 && with_brier >= 190);
    // ANCHOR_END: recovery
    Ok(())
}

fn rules() -> Result<()> {
    // ANCHOR: rules
    // en: Labels follow p; a forecaster who says q pays Σ_y p_y S(q, y) on
    //     average. Search the simplex in steps of 1/200 for the best q.
    // zh: 标签服从 p；报出 q 的预报者平均付出 Σ_y p_y S(q, y)。
    //     以 1/200 为步长在单纯形上搜索最好的 q。
    let p = [0.5, 0.3, 0.2];
    let best = |s: &dyn Fn(&[f64; 3], usize) -> f64| {
        let mut found: Vec<[f64; 3]> = Vec::new();
        let mut low = f64::INFINITY;
        for a in 1..200 {
            for b in 1..200 - a {
                let q = [a, b, 200 - a - b].map(|k| f64::from(k) / 200.0);
                let e: f64 = (0..3).map(|y| p[y] * s(&q, y)).sum();
                if e < low - 1e-12 {
                    (low, found) = (e, vec![q]);
                } else if e <= low + 1e-12 {
                    found.push(q);
                }
            }
        }
        found
    };
    let log = |q: &[f64; 3], y: usize| -q[y].ln();
    let brier = |q: &[f64; 3], y: usize| {
        (0..3)
            .map(|j| (q[j] - f64::from(j == y)).powi(2))
            .sum::<f64>()
    };
    let linear = |q: &[f64; 3], y: usize| -q[y];
    let zero_one = |q: &[f64; 3], y: usize| {
        let top = (0..3).fold(0, |b, j| if q[j] > q[b] { j } else { b });
        f64::from(top != y)
    };
    // en: Log score and Brier score: the unique best answer is q = p.
    // zh: 对数评分与布里尔分数：唯一的最优答案是 q = p。
    assert_eq!(best(&log), vec![p]);
    assert_eq!(best(&brier), vec![p]);
    // en: The linear score is local but not proper: it pays to exaggerate.
    // zh: 线性评分是局部的，但不是适当的：夸大其词反而划算。
    assert_eq!(best(&linear), vec![[0.99, 0.005, 0.005]]);
    // en: The 0–1 loss is proper but not strictly proper: every q whose
    //     top class is 0 is as good as p.
    // zh: 0–1 损失是适当的，但不是严格适当的：凡是最高类别为 0 的 q
    //     都和 p 一样好。
    let ties = best(&zero_one);
    assert!(ties.len() > 1000 && ties.contains(&p));
    // en: Local means: only q_y counts. Same q_0, different rest:
    // zh: 局部的意思是只看 q_y。q_0 相同、其余不同：
    let (u, v) = ([0.5, 0.4, 0.1], [0.5, 0.25, 0.25]);
    assert_eq!(log(&u, 0), log(&v, 0));
    assert!(brier(&u, 0) != brier(&v, 0));
    // ANCHOR_END: rules
    Ok(())
}

fn accuracy_slice() -> Result<()> {
    // ANCHOR: slice
    // en: 60 samples of three Gaussian classes; the models on the straight
    //     line from an untrained model (t = 0) to a trained one (t = 1).
    // zh: 三个高斯类别的 60 个样本；从未训练的模型（t = 0）到训练后的
    //     模型（t = 1）之间直线上的模型。
    let (data, start, end) = chapter::slice_setup()?;
    let at = |t: f64| chapter::interpolate(&start, &end, t);
    let n = data.y.len() as f64;
    let (mut flat, mut points) = (0, 0);
    for i in 0..=200 {
        let t = f64::from(i) / 200.0;
        let acc = |t: f64| at(t)?.accuracy(&data.x, &data.y);
        let loss = |t: f64| at(t)?.mean_loss(&data);
        // en: Accuracy only takes the values k/60 ...
        // zh: 准确率只取 k/60 这些值……
        let a = acc(t)?;
        assert_eq!((a * n).round() / n, a);
        // en: ... so its derivative is 0 almost everywhere, while the
        //     cross-entropy's never is.
        // zh: ……所以它的导数几乎处处为 0，而交叉熵的导数从不为 0。
        let d_acc = (acc(t + H)? - acc(t - H)?) / (2.0 * H);
        let d_loss = (loss(t + H)? - loss(t - H)?) / (2.0 * H);
        flat += usize::from(d_acc == 0.0);
        points += 1;
        assert!(d_loss != 0.0);
    }
    assert!(flat >= points - 2);
    // ANCHOR_END: slice
    Ok(())
}

fn family() -> Result<()> {
    // ANCHOR: family
    // en: Three likelihoods, one gradient: the derivative of the NLL in the
    //     natural parameter is the model's mean minus the observation.
    // zh: 三种似然，同一个梯度：负对数似然对自然参数的导数，等于模型
    //     的均值减去观测值。
    // en: Categorical, natural parameter z: ∇ = softmax(z) − y.
    // zh: 类别分布，自然参数 z：∇ = softmax(z) − y。
    let z = [2.0, 1.0, 0.1];
    let fd = numeric_grad(&|z| ce(z, 2), &z)?;
    assert!((fd - (probs(&z)? - one_hot(2, 3))).amax() < 1e-8);
    // en: Bernoulli, natural parameter the logit s: d/ds = σ(s) − y.
    // zh: 伯努利分布，自然参数为 logit s：d/ds = σ(s) − y。
    let bce = |s: &[f64]| -> Result<f64> {
        let x = DMatrix::from_row_slice(1, 1, s);
        let y = DMatrix::from_row_slice(1, 1, &[1.0]);
        let opts = BceWithLogitsOptions::default();
        let l = binary_cross_entropy_with_logits(&x, &y, &opts)?;
        Ok(l.scalar().expect("mean"))
    };
    let s = 0.5_f64;
    let sigma = 1.0 / (1.0 + (-s).exp());
    assert!((numeric_grad(&bce, &[s])?[0] - (sigma - 1.0)).abs() < 1e-8);
    // en: Gaussian with variance 1, natural parameter the mean μ:
    //     NLL = ½ (y − μ)² + const, d/dμ = μ − y.
    // zh: 方差为 1 的高斯分布，自然参数为均值 μ：
    //     负对数似然 = ½ (y − μ)² + 常数，d/dμ = μ − y。
    let gauss = |m: &[f64]| -> Result<f64> {
        let mu = DMatrix::from_row_slice(1, 1, m);
        let y = DMatrix::from_row_slice(1, 1, &[3.0]);
        Ok(0.5 * mse_loss(&mu, &y, Reduction::Sum)?.scalar().expect("sum"))
    };
    assert!((numeric_grad(&gauss, &[1.25])?[0] - (1.25 - 3.0)).abs() < 1e-8);
    // ANCHOR_END: family
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(chapter::WRONG_LOGITS, [-4.0, 4.0, 0.0]);
    assert_eq!(chapter::WRONG_CLASS, 0);
    assert_eq!(chapter::RECOVERY_LR, 1.0);
    assert_eq!(chapter::SCORE_P, [0.5, 0.3, 0.2]);
    assert_eq!(chapter::SIMPLEX_GRID, 200);
    assert_eq!(chapter::SLICE_POINTS, 201);
    assert_eq!(chapter::SLICE_N, 60);
    gradients()?;
    recovery()?;
    rules()?;
    accuracy_slice()?;
    family()?;
    println!("every claim of the chapter checked");
    Ok(())
}
