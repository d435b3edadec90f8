extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks every claim of the chapter "Information theory":
//     self-information adds up over independent events, entropy lies
//     between 0 and log C, CE = H + KL, Gibbs' inequality (by the
//     Jensen step of its proof), and the two-class curve of the figure.
// zh: 核对“信息论”一章的每个论断：独立事件的自信息相加，
//     熵介于 0 与 log C 之间， CE = H + KL，
//     吉布斯不等式（通过其证明中用到詹森不等式的那一步），以及图中的两类曲线。
//
// en: `cargo run --example information` runs it;
//     `mdbook test` runs it behind each excerpt.
// zh: `cargo run --example information` 运行它；
//     `mdbook test` 在每段摘录背后运行它。

use ce_mle::information::{
    cross_entropy_between, entropy, kl_divergence, self_information,
};
use nalgebra::DVector;

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn surprise() -> Result<()> {
    // ANCHOR: surprise
    // en: Independent events: probabilities multiply, surprisals add.
    // zh: 独立事件：概率相乘，惊奇度相加。
    // en: heads, and one face of a die
    // zh: 正面朝上，再加骰子的某一面
    let (a, b) = (0.5, 1.0 / 6.0);
    let both = self_information(a * b)?;
    assert!((both - (self_information(a)? + self_information(b)?)).abs() < TOL);

    // en: A certain event carries nothing; rarer events carry more.
    // zh: 必然事件不携带信息；越罕见的事件携带得越多。
    assert_eq!(self_information(1.0)?, 0.0);
    assert!(self_information(0.01)? > self_information(0.99)?);
    // ANCHOR_END: surprise
    assert_eq!(self_information(0.0)?, f64::INFINITY);
    Ok(())
}

fn entropy_bounds() -> Result<()> {
    // ANCHOR: entropy
    let c = 3;
    let uniform = DVector::from_element(c, 1.0 / c as f64);
    let certain = DVector::from_vec(vec![1.0, 0.0, 0.0]);
    let skewed = DVector::from_vec(vec![0.7, 0.2, 0.1]);

    // en: 0 ≤ H(p) ≤ log C: 0 for a certain outcome,
    //     log C for the uniform distribution.
    // zh: 0 ≤ H(p) ≤ log C：结果确定时为 0，均匀分布时为 log C。
    assert_eq!(entropy(&certain)?, 0.0);
    assert!((entropy(&uniform)? - (c as f64).ln()).abs() < TOL);
    assert!(0.0 < entropy(&skewed)? && entropy(&skewed)? < (c as f64).ln());
    // ANCHOR_END: entropy
    // en: The coding reading: the lengths ⌈−log₂ p(x)⌉ satisfy Kraft's
    //     inequality (a binary prefix code with those lengths exists), and
    //     their mean lies within one bit above H(p) / log 2, the lower bound
    //     for any such code.
    // zh: 编码的解读：码长 ⌈−log₂ p(x)⌉ 满足克拉夫特不等式（存在具有这些码长的
    //     二进制前缀码），其平均值比 H(p) / log 2 高出不到一比特，
    //     而 H(p) / log 2 是任何这种编码的下界。
    for p in distributions().iter().chain([&skewed, &uniform]) {
        let bits = entropy(p)? / 2f64.ln();
        let lengths: Vec<f64> = p
            .iter()
            .map(|&px| if px > 0.0 { (-px.log2()).ceil() } else { 0.0 })
            .collect();
        let kraft: f64 = p
            .iter()
            .zip(&lengths)
            .filter(|(px, _)| **px > 0.0)
            .map(|(_, l)| 2f64.powf(-l))
            .sum();
        let mean: f64 = p.iter().zip(&lengths).map(|(px, l)| px * l).sum();
        assert!(kraft <= 1.0 + TOL && bits - TOL <= mean && mean < bits + 1.0);
    }
    Ok(())
}

/// en: Distributions on three outcomes: a few by hand, then a grid of the simplex.
/// zh: 三个结果上的分布：几个手写的，再加单纯形上的一个网格。
fn distributions() -> Vec<DVector<f64>> {
    let mut v = vec![
        DVector::from_vec(vec![0.7, 0.2, 0.1]),
        DVector::from_vec(vec![0.5, 0.3, 0.2]),
        DVector::from_vec(vec![1.0, 0.0, 0.0]),
        DVector::from_vec(vec![0.0, 0.5, 0.5]),
    ];
    for i in 1..10 {
        for j in 1..(10 - i) {
            let (a, b) = (i as f64 / 10.0, j as f64 / 10.0);
            v.push(DVector::from_vec(vec![a, b, 1.0 - a - b]));
        }
    }
    v
}

fn gibbs() -> Result<()> {
    // ANCHOR: gibbs
    let p = DVector::from_vec(vec![0.7, 0.2, 0.1]);
    let q = DVector::from_vec(vec![0.5, 0.3, 0.2]);
    let (h, ce, kl) = (
        entropy(&p)?,
        cross_entropy_between(&p, &q)?,
        kl_divergence(&p, &q)?,
    );

    // en: CE = H + KL, and KL > 0 for q ≠ p (Gibbs), so CE > H.
    // zh: CE = H + KL，且 q ≠ p 时 KL > 0（吉布斯不等式），所以 CE > H。
    assert!((ce - (h + kl)).abs() < TOL);
    assert!(kl > 0.0 && ce > h);
    // en: KL is not symmetric: believing q when p is
    //     true costs something else than the reverse.
    // zh: KL 散度不对称：真实分布为 p 却相信 q 的代价，不同于反过来的代价。
    assert!((kl - kl_divergence(&q, &p)?).abs() > 1e-3);
    // ANCHOR_END: gibbs

    // en: Over many pairs: KL ≥ 0, zero only on the diagonal,
    //     and the Jensen step of the proof: Σ_S p log(q/p) ≤ log
    //     Σ_S p (q/p) = log Σ_S q ≤ 0, with S = {x : p(x) > 0}.
    // zh: 在许多对分布上：KL ≥ 0，只在对角线上为零；以及证明中用詹森不等式的一步：Σ_S
    //     p log(q/p) ≤ log Σ_S p (q/p) = log Σ_S q ≤ 0，其中 S = {x : p(x) > 0}。
    let all = distributions();
    for p in &all {
        for q in &all {
            let kl = kl_divergence(p, q)?;
            let same = (p - q).amax() < TOL;
            assert!(if same { kl.abs() < TOL } else { kl > 0.0 }, "{p} {q}");
            let mass_on_s: f64 = p
                .iter()
                .zip(q.iter())
                .filter(|(pi, _)| **pi > 0.0)
                .map(|(_, qi)| qi)
                .sum();
            assert!(-kl <= mass_on_s.ln() + TOL);
            assert!(mass_on_s.ln() <= TOL);
        }
    }
    assert_eq!(p.as_slice(), ce_mle_book::chapters::information::SOFT_P);
    assert_eq!(q.as_slice(), ce_mle_book::chapters::information::SOFT_Q);
    Ok(())
}

fn curve() -> Result<()> {
    // ANCHOR: curve
    // en: Two classes, target p = (0.3, 0.7); model q = (x, 1 − x) on a grid of x.
    // zh: 两个类别，目标 p = (0.3, 0.7)；模型 q = (x, 1 − x)，x 取网格上的值。
    let p = DVector::from_vec(vec![0.3, 0.7]);
    let grid: Vec<f64> = (1..100).map(|i| f64::from(i) * 0.01).collect();
    let mut best = (f64::NAN, f64::INFINITY);
    for &x in &grid {
        let ce =
            cross_entropy_between(&p, &DVector::from_vec(vec![x, 1.0 - x]))?;
        // en: never below H(p) ...
        // zh: 从不低于 H(p)……
        assert!(ce >= entropy(&p)? - TOL);
        if ce < best.1 {
            best = (x, ce);
        }
    }
    // en: ... and lowest exactly at x = p, where it equals H(p).
    // zh: ……恰好在 x = p 处最低，等于 H(p)。
    assert!((best.0 - 0.3).abs() < TOL);
    assert!((best.1 - entropy(&p)?).abs() < TOL);
    // ANCHOR_END: curve
    assert_eq!(p[0], ce_mle_book::chapters::information::CURVE_P);
    assert_eq!(
        grid[1] - grid[0],
        ce_mle_book::chapters::information::CURVE_STEP
    );
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    surprise()?;
    entropy_bounds()?;
    gibbs()?;
    curve()?;
    println!("every claim of the chapter checked");
    Ok(())
}
