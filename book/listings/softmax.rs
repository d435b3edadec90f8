extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks every claim of the chapter "Softmax, log-sum-exp and the
//     gradient": stable evaluation where the naive formula overflows,
//     underflows or rounds to 0; shift invariance and the bounds of log-sum-exp
//     (T6); the gradient softmax − y against finite differences (T5); the
//     Hessian diag(q) − q qᵀ positive semi-definite with null direction 1.
// zh: 核对“softmax、log-sum-exp 与梯度”一章的每个论断：在朴素公式上溢、下溢或舍入为
//     0 的地方稳定地求值；log-sum-exp 的平移不变性与上下界（T6）；梯度 softmax − y
//     与有限差分的对照（T5）；海森矩阵 diag(q) − q qᵀ 半正定，零方向为 1。
//
// en: `cargo run --example softmax` runs it;
//     `mdbook test` runs it behind each excerpt.
// zh: `cargo run --example softmax` 运行它；`mdbook test` 在每段摘录背后运行它。

use ce_mle::loss::{
    self, CrossEntropyOptions, Target, cross_entropy_with_grad,
};
use ce_mle::softmax::{log_softmax, logsumexp, softmax};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn stable() -> Result<()> {
    // ANCHOR: stable
    // en: e^1000 overflows: the textbook formula gives inf / inf = NaN.
    // zh: e^1000 上溢：教科书公式给出 inf / inf = NaN。
    let z = [1000.0_f64, 999.0, 998.0];
    let naive = z[0].exp() / z.iter().map(|v| v.exp()).sum::<f64>();
    assert!(naive.is_nan());
    // en: Subtracting the maximum first gives the right answer, softmax(0, −1, −2).
    // zh: 先减去最大值就得到正确答案 softmax(0, −1, −2)。
    let q = softmax(&DMatrix::from_row_slice(1, 3, &z))?;
    let shifted = softmax(&DMatrix::from_row_slice(1, 3, &[0.0, -1.0, -2.0]))?;
    assert!((&q - &shifted).amax() < TOL);

    // en: e^−1000 underflows: the naive log-sum-exp
    //     is log 0 = −inf; the stable one is finite.
    // zh: e^−1000 下溢：朴素的 log-sum-exp 是 log 0 = −inf；稳定的算法给出有限值。
    let small = DMatrix::from_row_slice(1, 2, &[-1000.0, -1000.0]);
    assert_eq!((2.0 * (-1000.0_f64).exp()).ln(), f64::NEG_INFINITY);
    assert!((logsumexp(&small)?[0] - (-1000.0 + 2f64.ln())).abs() < TOL);

    // en: One class dominates: log(1 + 4e-18) rounds to 0, log1p keeps it.
    // zh: 一个类别占绝对优势：log(1 + 4e-18) 舍入为 0，log1p 保住了它。
    let dom = DMatrix::from_row_slice(1, 2, &[0.0, -40.0]);
    let loss0 = -log_softmax(&dom)?[(0, 0)];
    assert_eq!((1.0 + (-40.0_f64).exp()).ln(), 0.0);
    assert!(((loss0 - (-40.0_f64).exp().ln_1p()) / loss0).abs() < 1e-15);
    // ANCHOR_END: stable
    assert_eq!(z, ce_mle_book::chapters::softmax::BIG_LOGITS);
    assert_eq!(
        small.as_slice(),
        ce_mle_book::chapters::softmax::SMALL_LOGITS
    );
    assert_eq!(
        dom.as_slice(),
        ce_mle_book::chapters::softmax::DOMINANT_LOGITS
    );
    // en: The gradient q − y comes from the logits, whatever formula gives
    //     the loss: its class-1 component is q₁ = e^−40 / (1 + e^−40)
    //     ≈ 4.2e-18, not 0.
    // zh: 不论损失用哪个公式算，梯度 q − y 都来自 logits：它在类别 1 上的分量
    //     是 q₁ = e^−40 / (1 + e^−40) ≈ 4.2e-18，而不是 0。
    let (_, grad) = cross_entropy_with_grad(
        &dom,
        Target::Indices(&[0]),
        &CrossEntropyOptions::default(),
    )?;
    let q1 = (-40.0_f64).exp() / (1.0 + (-40.0_f64).exp());
    assert!(grad[(0, 1)] > 0.0 && ((grad[(0, 1)] - q1) / q1).abs() < 1e-15);
    Ok(())
}

fn shift() -> Result<()> {
    // ANCHOR: shift
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let moved = z.add_scalar(100.0);
    // en: log_softmax(z + c) = log_softmax(z): only differences of logits matter.
    // zh: log_softmax(z + c) = log_softmax(z)：只有 logits 之间的差才有意义。
    assert!((log_softmax(&moved)? - log_softmax(&z)?).amax() < TOL);
    // en: logsumexp(z + c) = logsumexp(z) + c, and
    //     max z ≤ logsumexp(z) ≤ max z + log C.
    // zh: logsumexp(z + c) = logsumexp(z) + c，且
    //     max z ≤ logsumexp(z) ≤ max z + log C。
    let lse = logsumexp(&z)?[0];
    assert!((logsumexp(&moved)?[0] - (lse + 100.0)).abs() < 1e-10);
    assert!(2.0 <= lse && lse <= 2.0 + 3f64.ln());
    // ANCHOR_END: shift
    assert_eq!(z.as_slice(), ce_mle_book::chapters::softmax::GRAD_LOGITS);
    assert_eq!(100.0, ce_mle_book::chapters::softmax::SHIFT);
    Ok(())
}

fn gradient() -> Result<()> {
    // ANCHOR: gradient
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let y = 0; // en: the observed class // zh: 观测到的类别
    let labels = [y as i64];
    let opts = CrossEntropyOptions::default();
    let (_, grad) =
        cross_entropy_with_grad(&z, Target::Indices(&labels), &opts)?;

    // en: The formula: softmax(z) − y.
    // zh: 公式：softmax(z) − y。
    let mut expected = softmax(&z)?;
    expected[(0, y)] -= 1.0;
    assert!((&grad - &expected).amax() < TOL);

    // en: Central finite differences of the loss agree with it.
    // zh: 损失的中心有限差分与它一致。
    let h = 1e-6;
    let f = |z: &DMatrix<f64>| {
        loss::cross_entropy(z, Target::Indices(&labels), &opts)
            .map(|l| l.scalar().unwrap())
    };
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += h;
        down[(0, k)] -= h;
        let numeric = (f(&up)? - f(&down)?) / (2.0 * h);
        assert!((numeric - grad[(0, k)]).abs() < 1e-8);
    }
    // en: The components sum to 0: moving every logit together changes nothing.
    // zh: 各分量之和为 0：所有 logits 一起移动，什么都不变。
    assert!(grad.sum().abs() < TOL);
    // ANCHOR_END: gradient
    assert_eq!(z.as_slice(), ce_mle_book::chapters::softmax::GRAD_LOGITS);
    assert_eq!(y, ce_mle_book::chapters::softmax::GRAD_LABEL);
    assert_eq!(h, ce_mle_book::chapters::softmax::FD_STEP);
    Ok(())
}

fn convex() -> Result<()> {
    // ANCHOR: hessian
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let q: DVector<f64> = softmax(&z)?.row(0).transpose();
    // en: The Hessian of the loss with respect to
    //     the logits (the same for every target).
    // zh: 损失关于 logits 的海森矩阵（对每个目标都相同）。
    let hessian = DMatrix::from_diagonal(&q) - &q * q.transpose();

    // en: Positive semi-definite: every eigenvalue ≥ 0 (up to rounding) ...
    // zh: 半正定：每个特征值 ≥ 0（在舍入误差内）……
    let eigen = SymmetricEigen::new(hessian.clone());
    assert!(eigen.eigenvalues.iter().all(|&l| l >= -TOL));
    // en: ... and exactly one of them is 0, in the direction 1 = (1, 1, 1).
    // zh: ……并且恰有一个为 0，方向为 1 = (1, 1, 1)。
    let ones = DVector::from_element(3, 1.0);
    assert!((&hessian * &ones).amax() < TOL);
    assert_eq!(
        eigen
            .eigenvalues
            .iter()
            .filter(|&&l| l.abs() < 1e-9)
            .count(),
        1
    );
    // ANCHOR_END: hessian

    // en: The formula against finite differences of the gradient, column by column.
    // zh: 公式与梯度的有限差分逐列对照。
    let grad = |z: &DMatrix<f64>| {
        cross_entropy_with_grad(
            z,
            Target::Indices(&[0]),
            &CrossEntropyOptions::default(),
        )
        .map(|(_, g)| g)
    };
    let h = 1e-5;
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += h;
        down[(0, k)] -= h;
        let column = (grad(&up)? - grad(&down)?) / (2.0 * h);
        for r in 0..3 {
            assert!((column[(0, r)] - hessian[(r, k)]).abs() < 1e-8);
        }
    }
    // en: vᵀ H v is the variance of v under q: ≥ 0 for many directions v.
    // zh: vᵀ H v 是 v 在 q 下的方差：对许多方向 v 都 ≥ 0。
    for v in [
        [1.0, -1.0, 0.0],
        [0.3, 2.0, -5.0],
        [1.0, 1.0, 1.0],
        [-2.0, 0.5, 0.5],
    ] {
        let v = DVector::from_row_slice(&v);
        let mean = q.dot(&v);
        let variance: f64 = q
            .iter()
            .zip(v.iter())
            .map(|(qi, vi)| qi * (vi - mean).powi(2))
            .sum();
        assert!((v.dot(&(&hessian * &v)) - variance).abs() < TOL);
    }
    let book = ce_mle_book::chapters::softmax::softmax_hessian(&q);
    assert!((book - hessian).amax() < TOL);
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    stable()?;
    shift()?;
    gradient()?;
    convex()?;
    println!("every claim of the chapter checked");
    Ok(())
}
