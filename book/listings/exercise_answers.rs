extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks every numeric answer of the appendix "Answers to the exercises":
//     each number the page quotes (computed with the crate by
//     `ce_mle_book::chapters::exercise_answers`) is recomputed here by
//     another route (a closed form, a direct sum, finite differences or a
//     search) and the two must agree.
// zh: 核对附录“习题答案”中的每个数值答案：页面引用的每个数（由
//     `ce_mle_book::chapters::exercise_answers` 用本库算出）在这里换一条路
//     （闭式解、直接求和、有限差分或搜索）重算，两者必须一致。
//
// en: `cargo run --example exercise_answers` runs it.
// zh: `cargo run --example exercise_answers` 运行它。

use ce_mle::loss::Reduction;
use ce_mle_book::chapters::exercise_answers::{self as ex, Answers};
use nalgebra::{DMatrix, DVector};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * (1.0 + b.abs())
}

fn all_close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y))
}

/// en: −Σ p log q with 0 log q = 0: the definition, summed directly.
/// zh: −Σ p log q，约定 0 log q = 0：按定义直接求和。
fn h(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .filter(|(pi, _)| **pi > 0.0)
        .map(|(pi, qi)| -pi * qi.ln())
        .sum()
}

fn kl(p: &[f64], q: &[f64]) -> f64 {
    h(p, q) - h(p, p)
}

fn information(a: &Answers) {
    // ANCHOR: information
    // en: Exercise 1: H of a uniform source is log C; the code 0, 10, 11
    //     has Kraft sum 1 and an average length above H in bits.
    // zh: 习题 1：均匀信源的熵是 log C；码 0、10、11 的克拉夫特和为 1，
    //     平均码长（比特）大于以比特计的熵。
    assert!(close(a.info_h_nats, 3f64.ln()));
    assert!(close(a.info_h_bits, 3f64.log2()));
    let kraft: f64 = [1, 2, 2].iter().map(|l| 0.5f64.powi(*l)).sum();
    assert!(kraft == 1.0 && close(a.info_code_bits, 5.0 / 3.0));
    assert!(a.info_code_bits > a.info_h_bits);

    // en: Exercise 2: CE = H + KL, and KL is not symmetric.
    // zh: 习题 2：交叉熵 = 熵 + KL，且 KL 不对称。
    let (p, q) = ([0.5, 0.25, 0.25], [0.7, 0.2, 0.1]);
    assert!(close(a.info_hp, h(&p, &p)) && close(a.info_hpq, h(&p, &q)));
    assert!(close(a.info_hpq, a.info_hp + a.info_kl_pq));
    assert!(close(a.info_kl_qp, kl(&q, &p)) && a.info_kl_qp < a.info_kl_pq);
    // ANCHOR_END: information
    assert_eq!((p, q), (ex::INFO_P, ex::INFO_Q));
    assert_eq!(ex::INFO_UNIFORM_C, 3);
    assert_eq!(ex::INFO_CODE_BITS, [1.0, 2.0, 2.0]);

    // en: Exercise 3: H(p, uniform) = log 3 for every p, so
    //     log 3 − H(p) = KL(p‖uniform) ≥ 0; checked on a grid of p.
    // zh: 习题 3：对任意 p，H(p, 均匀) = log 3，故 log 3 − H(p) = KL(p‖均匀) ≥ 0；
    //     在 p 的网格上核对。
    let u = [1.0 / 3.0; 3];
    assert!(close(a.info_gap_uniform, 3f64.ln() - a.info_hp));
    for i in 0..=20 {
        for j in 0..=(20 - i) {
            let r =
                [i as f64 / 20.0, j as f64 / 20.0, (20 - i - j) as f64 / 20.0];
            assert!(close(h(&r, &u), 3f64.ln()));
            assert!(h(&r, &r) <= 3f64.ln() + TOL);
        }
    }

    // en: Exercise 4: the KL of independent pairs is the sum of the KLs.
    // zh: 习题 4：独立配对的 KL 等于各自 KL 之和。
    let (p2, q2) = ([0.9, 0.1], [0.6, 0.4]);
    assert_eq!((p2, q2), (ex::INFO_P2, ex::INFO_Q2));
    let pair = |a: &[f64], b: &[f64]| -> Vec<f64> {
        a.iter()
            .flat_map(|x| b.iter().map(move |y| x * y))
            .collect()
    };
    assert!(close(a.info_kl2, kl(&p2, &q2)));
    let joint = kl(&pair(&p, &p2), &pair(&q, &q2));
    assert!(close(a.info_kl_product, joint));
    assert!(close(a.info_kl_product, a.info_kl_pq + a.info_kl2));

    // en: Exercise 5: a zero of p where q has mass: KL(q‖p) = ∞.
    // zh: 习题 5：p 为零而 q 有概率之处：KL(q‖p) = ∞。
    assert_eq!(ex::INFO_ZERO_P, [0.5, 0.5, 0.0]);
    assert_eq!(ex::INFO_ZERO_Q, [0.25, 0.25, 0.5]);
    assert!(close(a.info_zero_pq, 2f64.ln()));
    assert_eq!(a.info_zero_qp, f64::INFINITY);
}

fn likelihood(a: &Answers) {
    assert_eq!((ex::LIK_HEADS, ex::LIK_TOSSES), (7, 10));
    // ANCHOR: likelihood
    // en: Exercises 1 and 2: 7 heads in 10 tosses. A grid search finds
    //     the maximum at 0.7; finite differences give ℓ''(0.7).
    // zh: 习题 1 与 2：10 次抛掷 7 次正面。网格搜索在 0.7 处找到最大值；
    //     有限差分给出 ℓ''(0.7)。
    let ell = |t: f64| 7.0 * t.ln() + 3.0 * (1.0 - t).ln();
    let best = (1..1000)
        .map(|i| i as f64 / 1000.0)
        .max_by(|x, y| ell(*x).total_cmp(&ell(*y)));
    assert_eq!(best, Some(0.7));
    assert!(close(a.lik_theta, 0.7) && close(a.lik_ell_hat, ell(0.7)));
    assert!(close(a.lik_ell_fair, 10.0 * 0.5f64.ln()));
    let product = 0.7f64.powi(7) * 0.3f64.powi(3);
    assert!(close(a.lik_l_hat, product));
    assert!(close(a.lik_ratio, product / 0.5f64.powi(10)));
    let d = 1e-4;
    let fd = (ell(0.7 + d) - 2.0 * ell(0.7) + ell(0.7 - d)) / (d * d);
    assert!((fd - a.lik_curvature).abs() < 1e-5 * a.lik_curvature.abs());
    // ANCHOR_END: likelihood

    // en: Exercise 3: frequencies, the entropy as the smallest mean
    //     NLL, and an infinite loss for the class never seen.
    // zh: 习题 3：频率、作为最小平均 NLL 的熵，以及从未出现的类别的
    //     无穷大损失。
    let counts = [3.0, 0.0, 5.0, 2.0];
    assert_eq!(ex::LIK_COUNTS, [3, 0, 5, 2]);
    let freq: Vec<f64> = counts.iter().map(|c| c / 10.0).collect();
    assert!(all_close(&a.lik_mle, &freq));
    assert!(close(a.lik_min_nll, h(&freq, &freq)));
    assert_eq!(a.lik_unseen_mle, f64::INFINITY);

    // ANCHOR: map
    // en: Exercise 4: with a Dirichlet(2) prior the log posterior is
    //     Σ (n_k + 1) log q_k. Its maximum is (n_k + 1) / 14: moving any
    //     mass from one class to another lowers it.
    // zh: 习题 4：取狄利克雷(2) 先验，对数后验为 Σ (n_k + 1) log q_k。
    //     其最大值点是 (n_k + 1) / 14：把概率从一类挪到另一类都会让它变小。
    let post = |q: &[f64]| -> f64 {
        counts
            .iter()
            .zip(q)
            .map(|(n, qk)| (n + 1.0) * qk.ln())
            .sum()
    };
    let map: Vec<f64> = counts.iter().map(|n| (n + 1.0) / 14.0).collect();
    assert!(all_close(&a.lik_map, &map));
    for (i, j) in (0..4).flat_map(|i| (0..4).map(move |j| (i, j))) {
        if i != j {
            let mut moved = map.clone();
            moved[i] += 1e-3;
            moved[j] -= 1e-3;
            assert!(post(&moved) < post(&map));
        }
    }
    // en: The unseen class now costs log 14 nats instead of ∞.
    // zh: 没见过的类别现在只花 log 14 奈特，而不是 ∞。
    assert!(close(a.lik_unseen_map, 14f64.ln()));
    assert!(close(a.lik_map_nll, h(&freq, &map)));
    assert!(a.lik_map_nll > a.lik_min_nll);
    // ANCHOR_END: map
    assert_eq!(ex::LIK_ALPHA, 2.0);

    // en: Exercise 5: 0.5^1074 is the smallest positive f64 (a
    //     subnormal); one more factor rounds to 0.
    // zh: 习题 5：0.5^1074 是最小的正 f64（次正规数）；再乘一次就舍入为 0。
    assert_eq!(ex::LIK_FACTOR, 0.5);
    assert_eq!(a.lik_factors, 1074);
    assert_eq!(a.lik_smallest, f64::from_bits(1));
    assert_eq!(f64::from_bits(1) * 0.5, 0.0);
    // en: In log space the same product is a sum, far from any limit.
    // zh: 在对数空间里同一个乘积是一个和，离任何极限都很远。
    assert!(close(a.lik_log_sum, 1075.0 * 0.5f64.ln()));
}

fn equivalence(a: &Answers) {
    let q = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5]];
    assert_eq!((q, [0, 1, 2]), (ex::EQ_Q, ex::EQ_Y));
    // ANCHOR: equivalence
    // en: Exercise 1: the summed loss is −log of the product of the
    //     probabilities of the observed classes, 0.7 · 0.8 · 0.5 = 0.28.
    // zh: 习题 1：损失之和是观测类别概率之积 0.7 · 0.8 · 0.5 = 0.28 的负对数。
    let observed = [0.7, 0.8, 0.5];
    let losses: Vec<f64> = observed.iter().map(|p: &f64| -p.ln()).collect();
    assert!(all_close(&a.eq_losses, &losses));
    assert!(close(a.eq_likelihood, 0.28));
    assert!(close(a.eq_sum, -(0.28f64).ln()));
    assert!(close(a.eq_mean, a.eq_sum / 3.0));
    // en: Exercise 2: a one-hot target has entropy 0, so CE = KL.
    // zh: 习题 2：独热目标的熵为 0，所以交叉熵 = KL。
    assert!(close(a.eq_onehot_ce, 2f64.ln()));
    assert!(close(a.eq_onehot_kl, a.eq_onehot_ce));
    // ANCHOR_END: equivalence

    // en: Exercise 3: H(Y | X), H(Y) and their difference, the mutual
    //     information, summed directly over the joint counts.
    // zh: 习题 3：H(Y | X)、H(Y) 以及二者之差（互信息），在联合计数上直接求和。
    assert_eq!((ex::EQ_COUNTS_A, ex::EQ_COUNTS_B), ([3, 1], [0, 4]));
    let joint = [[3.0 / 8.0, 1.0 / 8.0], [0.0, 4.0 / 8.0]];
    let px = [0.5, 0.5];
    let py = [3.0 / 8.0, 5.0 / 8.0];
    let mut cond = 0.0;
    let mut mutual = 0.0;
    for x in 0..2 {
        for y in 0..2 {
            let pxy: f64 = joint[x][y];
            if pxy > 0.0 {
                cond -= pxy * (pxy / px[x]).ln();
                mutual += pxy * (pxy / (px[x] * py[y])).ln();
            }
        }
    }
    assert!(close(a.eq_cond, cond) && close(a.eq_marginal, h(&py, &py)));
    assert!(close(a.eq_information, mutual));

    // en: Exercise 4: the mean soft target minimises the mean CE; its
    //     minimum is its entropy. Moving mass away raises the mean CE.
    // zh: 习题 4：软目标的均值使平均交叉熵最小，最小值是它的熵；
    //     把概率挪开都会让平均交叉熵变大。
    let soft = ex::EQ_SOFT;
    let mean_ce = |r: &[f64]| soft.iter().map(|t| h(t, r)).sum::<f64>() / 3.0;
    let bar = [0.5, 0.2, 0.3];
    assert!(all_close(&a.eq_soft_mean, &bar));
    assert!(close(a.eq_soft_min, h(&bar, &bar)));
    assert!(close(a.eq_soft_min, mean_ce(&bar)));
    for (i, j) in [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)] {
        let mut moved = bar;
        moved[i] += 1e-3;
        moved[j] -= 1e-3;
        assert!(mean_ce(&moved) > mean_ce(&bar));
    }

    // en: Exercise 5: one input, labels 0, 1, 0, 1: no model beats log 2.
    // zh: 习题 5：同一个输入，标签 0、1、0、1：没有模型能低于 log 2。
    assert_eq!(ex::EQ_NOISY, [0, 1, 0, 1]);
    assert!(close(a.eq_noisy_min, 2f64.ln()));
    for i in 1..100 {
        let t = i as f64 / 100.0;
        assert!(h(&[0.5, 0.5], &[t, 1.0 - t]) >= 2f64.ln() - TOL);
    }
}

/// en: softmax(z) by its definition, without shifting (fine for small z).
/// zh: 按定义计算 softmax(z)，不做平移（z 较小时没有问题）。
fn softmax_direct(z: &[f64]) -> Vec<f64> {
    let total: f64 = z.iter().map(|v| v.exp()).sum();
    z.iter().map(|v| v.exp() / total).collect()
}

fn softmax(a: &Answers) {
    let z = [1.0, 2.0, 3.0];
    assert_eq!((z, ex::SM_TEMPS), (ex::SM_Z, [0.5, 1.0, 2.0]));
    // ANCHOR: softmax
    // en: Exercise 1: softmax(z / T); the entropy grows with T.
    // zh: 习题 1：softmax(z / T)；熵随 T 增大。
    for (k, t) in [0.5, 1.0, 2.0].iter().enumerate() {
        let scaled: Vec<f64> = z.iter().map(|v| v / t).collect();
        let q = softmax_direct(&scaled);
        assert!(all_close(&a.sm_temp_q[k], &q));
        assert!(close(a.sm_temp_h[k], h(&q, &q)));
    }
    assert!(a.sm_temp_h[0] < a.sm_temp_h[1] && a.sm_temp_h[1] < a.sm_temp_h[2]);
    // en: Exercise 2: max z ≤ T lse(z / T) ≤ max z + T log C.
    // zh: 习题 2：max z ≤ T lse(z / T) ≤ max z + T log C。
    assert!(3.0 <= a.sm_soft_max && a.sm_soft_max <= a.sm_soft_bound);
    assert!(close(a.sm_soft_bound, 3.0 + 0.1 * 3f64.ln()));

    // en: Exercise 4: diag(q) − q qᵀ = Σ_k q_k (e_k − q)(e_k − q)ᵀ, the
    //     covariance of the one-hot vector of a class drawn from q.
    // zh: 习题 4：diag(q) − q qᵀ = Σ_k q_k (e_k − q)(e_k − q)ᵀ，即从 q
    //     抽一个类别时其独热向量的协方差矩阵。
    let q = DVector::from_vec(softmax_direct(&z));
    let mut cov = DMatrix::zeros(3, 3);
    for k in 0..3 {
        let mut d = -q.clone();
        d[k] += 1.0;
        cov += q[k] * &d * d.transpose();
    }
    let hess = DMatrix::from_fn(3, 3, |r, c| a.sm_hessian[r][c]);
    assert!((cov - hess).amax() < TOL);
    // ANCHOR_END: softmax
    assert_eq!(ex::SM_COLD, 0.1);

    // en: Exercise 3: loss lse(z) − z_y, gradient q − e_y against central
    //     finite differences, and a lower loss after one step.
    // zh: 习题 3：损失 lse(z) − z_y，梯度 q − e_y 与中心有限差分对照，
    //     走一步之后损失下降。
    assert_eq!((ex::SM_Y, ex::SM_LR), (0, 1.0));
    let lse = |v: &[f64]| v.iter().map(|x| x.exp()).sum::<f64>().ln();
    let loss = |v: &[f64]| lse(v) - v[0];
    assert!(close(a.sm_loss, loss(&z)));
    let fd_step = 1e-6;
    for k in 0..3 {
        let (mut up, mut down) = (z, z);
        up[k] += fd_step;
        down[k] -= fd_step;
        let fd = (loss(&up) - loss(&down)) / (2.0 * fd_step);
        assert!((fd - a.sm_grad[k]).abs() < 1e-8);
    }
    let stepped: Vec<f64> =
        z.iter().zip(&a.sm_grad).map(|(v, g)| v - g).collect();
    assert!(all_close(&a.sm_step_z, &stepped));
    assert!(
        close(a.sm_step_loss, loss(&stepped)) && a.sm_step_loss < a.sm_loss
    );

    // en: Exercise 5: two classes: CE of class 0 = softplus(z₁ − z₀),
    //     the binary loss of the logit z₀ − z₁ with label 1.
    // zh: 习题 5：两个类别时，类别 0 的交叉熵 = softplus(z₁ − z₀)，
    //     即 logit 为 z₀ − z₁、标签为 1 的二元损失。
    assert_eq!(ex::SM_PAIR, [1.0, 2.5]);
    let softplus = 1.5f64.exp().ln_1p();
    assert!(close(a.sm_pair_ce, softplus) && close(a.sm_pair_bce, softplus));

    // en: Exercise 6: confidently wrong: the observed class's component
    //     of the gradient is q₀ − 1, close to −1; the loss is large.
    // zh: 习题 6：自信地错了：梯度在观测类别上的分量是 q₀ − 1，接近 −1；
    //     损失很大。
    assert_eq!(ex::SM_WRONG, [-5.0, 5.0, 0.0]);
    let qw = softmax_direct(&ex::SM_WRONG);
    assert!(
        close(a.sm_wrong_grad[0], qw[0] - 1.0) && a.sm_wrong_grad[0] < -0.99
    );
    assert!(close(a.sm_wrong_loss, -qw[0].ln()));
}

fn binary(a: &Answers) {
    assert_eq!(
        (ex::BIN_Z, ex::BIN_MU, ex::BIN_OBS, ex::BIN_VAR),
        (3.0, 1.5, 2.0, 0.5)
    );
    // ANCHOR: binary
    // en: Exercise 1: BCE = softplus(−z) for label 1, softplus(z) for
    //     label 0; softplus(z) − softplus(−z) = z.
    // zh: 习题 1：标签为 1 时 BCE = softplus(−z)，为 0 时是 softplus(z)；
    //     二者之差 softplus(z) − softplus(−z) = z。
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p();
    assert!(close(a.bin_y1, softplus(-3.0)) && close(a.bin_y0, softplus(3.0)));
    assert!(close(a.bin_y0 - a.bin_y1, 3.0));
    // en: Exercise 2: prediction − target, in the logit and in the mean.
    // zh: 习题 2：预测减目标，对 logit 和对均值都是如此。
    let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());
    assert!(close(a.bin_grad, sigma(3.0) - 1.0));
    let d = 1e-6;
    let (obs, v) = (DMatrix::from_element(1, 1, 2.0), 0.5);
    let nll = |mu: f64| -> f64 {
        let pred = DMatrix::from_element(1, 1, mu);
        let mse = ce_mle::loss::mse_loss(&pred, &obs, Reduction::Mean);
        mse.unwrap().scalar().unwrap() / (2.0 * v)
    };
    let fd = (nll(1.5 + d) - nll(1.5 - d)) / (2.0 * d);
    assert!((fd - a.bin_gauss_grad).abs() < 1e-8);
    assert!(close(a.bin_gauss_grad, (1.5 - 2.0) / v));
    // ANCHOR_END: binary

    // en: Exercise 3: the best constant logit sets the derivative of
    //     0.2 w softplus(−z) + 0.8 softplus(z) to 0; found by bisection.
    // zh: 习题 3：最优常数 logit 使 0.2 w softplus(−z) + 0.8 softplus(z)
    //     的导数为 0；用二分法求得。
    assert_eq!((ex::BIN_POSITIVE, ex::BIN_POS_WEIGHT), (0.2, 4.0));
    let best = |w: f64| {
        let slope = |z: f64| 0.8 * sigma(z) - 0.2 * w * sigma(-z);
        let (mut lo, mut hi) = (-20.0, 20.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if slope(mid) > 0.0 { hi = mid } else { lo = mid }
        }
        0.5 * (lo + hi)
    };
    assert!((a.bin_best_plain - best(1.0)).abs() < 1e-12);
    assert!((a.bin_best_weighted - best(4.0)).abs() < 1e-12);
    assert!(close(sigma(a.bin_best_plain), 0.2));
    assert!(a.bin_best_weighted.abs() < 1e-12 && a.bin_best_grad.abs() < 1e-12);

    // en: Exercise 4: PyTorch clamps log at −100, so both losses are
    //     100, although −log 1e-50 is 115.13 and −log 0 is ∞.
    // zh: 习题 4：PyTorch 把 log 截断在 −100，所以两个损失都是 100，
    //     尽管 −log 1e-50 是 115.13，−log 0 是 ∞。
    assert_eq!(ex::BIN_PROBS, [0.0, 1e-50]);
    assert_eq!(a.bin_clamped, vec![100.0, 100.0]);
    assert!(close(a.bin_exact, 50.0 * 10f64.ln()));

    // en: Exercise 5: the summed BCE is −log of the joint probability.
    // zh: 习题 5：BCE 之和是联合概率的负对数。
    assert_eq!(
        (ex::BIN_MULTI_Z, ex::BIN_MULTI_Y),
        ([1.0, -2.0], [1.0, 1.0])
    );
    let joint = sigma(1.0) * sigma(-2.0);
    assert!(close(a.bin_multi, -joint.ln()));
    assert!(close(a.bin_multi_joint, -joint.ln()));
}

fn options(a: &Answers) {
    assert_eq!((ex::OPT_Z, ex::OPT_Y), ([[1.0, 0.0], [0.0, 0.5]], [0, 1]));
    assert_eq!(ex::OPT_W, [1.0, 3.0]);
    // ANCHOR: options
    // en: Exercise 1: w_y times the loss; the mean divides by Σ w_y = 4.
    // zh: 习题 1：w_y 乘以损失；均值除以 Σ w_y = 4。
    let lse = |v: &[f64]| v.iter().map(|x| x.exp()).sum::<f64>().ln();
    let l1 = lse(&[1.0, 0.0]) - 1.0;
    let l2 = 3.0 * (lse(&[0.0, 0.5]) - 0.5);
    assert!(all_close(&a.opt_losses, &[l1, l2]));
    assert!(close(a.opt_wsum, l1 + l2) && close(a.opt_wmean, (l1 + l2) / 4.0));

    // en: Exercise 2: weights p_test / p_train turn the training loss into
    //     the test loss; the weighted MLE is the test prior.
    // zh: 习题 2：权重 p_test / p_train 把训练损失变成测试损失；
    //     加权的极大似然估计就是测试集的先验。
    assert!(all_close(&a.opt_iw, &[0.625, 2.5]));
    let test = -(0.5 * 0.8f64.ln() + 0.5 * 0.2f64.ln());
    assert!(close(a.opt_test, test) && close(a.opt_weighted_train, test));
    assert!(all_close(&a.opt_weighted_best, &[0.5, 0.5]));
    // ANCHOR_END: options
    assert_eq!(ex::OPT_TRAIN_PRIOR, [0.8, 0.2]);
    assert_eq!(ex::OPT_TEST_PRIOR, [0.5, 0.5]);
    assert_eq!(ex::OPT_TRAIN_LABELS.iter().filter(|&&y| y == 1).count(), 2);
    assert_eq!(ex::OPT_TRAIN_LABELS.len(), 10);

    // en: Exercise 3: the optimum of label smoothing, for C = 4: target
    //     1 − ε + ε/4 for the class, ε/4 for the others; the crate's
    //     gradient vanishes there and the loss is the target's entropy.
    // zh: 习题 3：C = 4 时标签平滑的最优点：观测类别的目标是 1 − ε + ε/4，
    //     其余为 ε/4；本库的梯度在那里为零，损失等于目标的熵。
    assert_eq!((ex::OPT_C, ex::OPT_EPS), (4, [0.1, 0.01, 1.0]));
    for (i, eps) in [0.1, 0.01, 1.0].iter().enumerate() {
        let (top, off) = (1.0 - eps + eps / 4.0, eps / 4.0);
        let t = [top, off, off, off];
        assert!(close(a.opt_smooth_top[i], top));
        assert!(close(a.opt_smooth_min[i], h(&t, &t)));
        assert!(close(a.opt_smooth_gap[i], (top / off).ln()));
    }
    assert!(close(a.opt_smooth_gap[0], 37f64.ln()));
    assert!(
        close(a.opt_smooth_min[2], 4f64.ln()) && a.opt_smooth_gap[2] == 0.0
    );
    assert!(a.opt_smooth_grad.abs() < 1e-12);

    // en: Exercise 4: an ignored sample counts neither in the sum nor in
    //     the number the mean divides by.
    // zh: 习题 4：被忽略的样本既不计入总和，也不计入求均值时的除数。
    assert_eq!(ex::OPT_IGNORE_Y, [0, -100, 2]);
    let first = lse(&ex::OPT_IGNORE_Z[0]) - 2.0;
    let third = lse(&ex::OPT_IGNORE_Z[2]) - 1.0;
    assert!(all_close(&a.opt_ignore_losses, &[first, 0.0, third]));
    assert!(close(a.opt_ignore_mean, (first + third) / 2.0));

    // en: Exercise 5: the sum's gradient is N times the mean's, so the
    //     same step needs the learning rate divided by N.
    // zh: 习题 5：求和的梯度是均值梯度的 N 倍，所以要走同样的一步，
    //     学习率要除以 N。
    assert_eq!((ex::OPT_LR, ex::OPT_BATCH), (0.1, 32));
    assert!(close(a.opt_grad_ratio, 32.0));
    assert!(close(a.opt_sum_lr, 0.1 / 32.0));
}

fn background(a: &Answers) {
    assert_eq!(ex::BG_PROBS, [0.2, 0.5, 0.1, 0.4, 0.25]);
    assert_eq!((ex::BG_CHAIN, ex::BG_CE), ([0.05, 0.01, 0.6], 2.0));
    // ANCHOR: background
    // en: Exercises 1 and 2: perplexity = exp(mean CE) = 1 / (geometric
    //     mean of the probabilities of the observed tokens).
    // zh: 习题 1 与 2：困惑度 = exp(平均交叉熵) = 1 / (观测词元概率的几何平均)。
    let probs = [0.2, 0.5, 0.1, 0.4, 0.25];
    let product: f64 = probs.iter().product();
    assert!(close(a.bg_ppl, product.powf(-1.0 / 5.0)));
    assert!(close(a.bg_ce, a.bg_ppl.ln()));
    // en: Exercise 3: the chain rule multiplies the conditionals.
    // zh: 习题 3：链式法则把条件概率相乘。
    assert!(close(a.bg_joint, 0.05 * 0.01 * 0.6));
    assert!(close(a.bg_nll, -a.bg_joint.ln()));
    assert!(close(a.bg_mean, a.bg_nll / 3.0));
    // en: Exercise 4: bits = nats / log 2; the perplexity is the same
    //     number in both units, e^2 = 2^(2 / log 2).
    // zh: 习题 4：比特 = 奈特 / log 2；两种单位下困惑度是同一个数，
    //     e^2 = 2^(2 / log 2)。
    assert!(close(a.bg_bits, 2.0 / 2f64.ln()));
    assert!(close(a.bg_ce_ppl, 2f64.powf(a.bg_bits)));
    // ANCHOR_END: background

    // en: Exercise 5: the mean over the response's tokens only, and over
    //     all seven tokens.
    // zh: 习题 5：只对回答的词元求均值，以及对全部七个词元求均值。
    assert_eq!(ex::BG_PROMPT, [0.1, 0.2, 0.1, 0.3]);
    assert_eq!(ex::BG_RESPONSE, [0.5, 0.8, 0.9]);
    let nll = |q: &[f64]| -q.iter().map(|v| v.ln()).sum::<f64>();
    let (prompt, response) = (nll(&ex::BG_PROMPT), nll(&ex::BG_RESPONSE));
    assert!(close(a.bg_response, response / 3.0));
    assert!(close(a.bg_all, (prompt + response) / 7.0));
}

fn why_cross_entropy(a: &Answers) {
    assert_eq!(ex::WHY_U, -5.0);
    // ANCHOR: why
    // en: Exercise 1: z = (u, 0), true class 0. CE has derivative q₀ − 1
    //     in u; the Brier score 2 (1 − q₀)² has −4 q₀ (1 − q₀)².
    // zh: 习题 1：z = (u, 0)，真实类别为 0。交叉熵对 u 的导数是 q₀ − 1；
    //     布里尔分数 2 (1 − q₀)² 的导数是 −4 q₀ (1 − q₀)²。
    let sigma = |u: f64| 1.0 / (1.0 + (-u).exp());
    let q0 = sigma(-5.0);
    assert!(close(a.why_q0, q0) && close(a.why_ce_grad, q0 - 1.0));
    assert!(close(a.why_brier_grad, -4.0 * q0 * (1.0 - q0).powi(2)));
    let brier = |u: f64| 2.0 * (1.0 - sigma(u)).powi(2);
    let d = 1e-6;
    let fd = (brier(-5.0 + d) - brier(-5.0 - d)) / (2.0 * d);
    assert!((fd - a.why_brier_grad).abs() < 1e-8);

    // en: Exercise 2: E‖q − e_y‖² = ‖q − p‖² + 1 − ‖p‖², smallest at q = p.
    // zh: 习题 2：E‖q − e_y‖² = ‖q − p‖² + 1 − ‖p‖²，在 q = p 处最小。
    let (p, q) = ([0.5, 0.3, 0.2], [0.6, 0.3, 0.1]);
    let sq = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
    let diff: Vec<f64> = q.iter().zip(&p).map(|(a, b)| a - b).collect();
    assert!(close(a.why_dist, sq(&diff)));
    assert!(close(a.why_brier_q, sq(&diff) + 1.0 - sq(&p)));
    assert!(
        close(a.why_brier_p, 1.0 - sq(&p)) && a.why_brier_p < a.why_brier_q
    );
    // en: Exercise 3: the linear score −q_y rewards the one-hot guess.
    // zh: 习题 3：线性评分 −q_y 奖励独热的猜测。
    assert!(close(a.why_linear_p, -sq(&p)) && close(a.why_linear_top, -0.5));
    assert!(a.why_linear_top < a.why_linear_p);
    // ANCHOR_END: why
    assert_eq!((p, q), (ex::WHY_P, ex::WHY_Q));

    // en: Exercise 4: the log score sees only q₀; the Brier score sees the
    //     whole vector.
    // zh: 习题 4：对数评分只看 q₀；布里尔分数看整个向量。
    let q2 = [0.6, 0.2, 0.2];
    assert_eq!(q2, ex::WHY_Q2);
    let e0 = [1.0, 0.0, 0.0];
    let dist = |v: &[f64]| -> f64 {
        v.iter().zip(&e0).map(|(a, b)| (a - b) * (a - b)).sum()
    };
    assert!(all_close(&a.why_log, &[-(0.6f64).ln(), -(0.6f64).ln()]));
    assert!(all_close(&a.why_brier, &[dist(&q), dist(&q2)]));
    assert!(a.why_brier[0] != a.why_brier[1]);
    // en: Exercise 5: both predictions are right (argmax 0), with
    //     different losses.
    // zh: 习题 5：两个预测都判对了（argmax 为 0），损失却不同。
    let (sure, unsure) = (ex::WHY_SURE, ex::WHY_UNSURE);
    assert_eq!((sure, unsure), ([0.4, 0.35, 0.25], [0.34, 0.33, 0.33]));
    let argmax0 = |v: &[f64]| v.iter().all(|&x| x <= v[0]);
    assert!(argmax0(&sure) && argmax0(&unsure));
    let ce = [-(0.4f64).ln(), -(0.34f64).ln()];
    assert!(all_close(&a.why_sure_ce, &ce));
}

fn main() -> Result<(), ce_mle_book::Error> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    let a = ex::answers()?;
    background(&a);
    information(&a);
    likelihood(&a);
    equivalence(&a);
    softmax(&a);
    binary(&a);
    options(&a);
    why_cross_entropy(&a);
    println!("every answer of the exercises checked");
    Ok(())
}
