extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks every claim of the chapter "Cross-entropy is maximum likelihood".
// zh: 核对“交叉熵就是极大似然”一章的每个论断。
//
// en: The chapter shows excerpts (between `ANCHOR` markers);
//     `mdbook test` compiles and runs the whole program for each
//     excerpt, and `cargo run --example equivalence` runs it too.
// zh: 本章展示的是摘录（`ANCHOR` 标记之间的部分）；
//     `mdbook test` 为每段摘录编译并运行整个程序，
//     `cargo run --example equivalence` 也运行它。

use ce_mle::information::{cross_entropy_between, entropy, kl_divergence};
use ce_mle::likelihood::{categorical_mle, negative_log_likelihood};
use ce_mle::loss::{self, CrossEntropyOptions, Reduction, Target};
use ce_mle::softmax::softmax;
use nalgebra::{DMatrix, DVector};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

/// en: The reduced value of a loss (`Mean` and `Sum` give a scalar).
/// zh: 损失归约后的值（`Mean` 和 `Sum` 给出一个标量）。
fn scalar(l: loss::Loss) -> f64 {
    l.scalar().expect("a reduced loss is a scalar")
}

fn one_sample() -> Result<()> {
    // ANCHOR: one_sample
    // en: Logits for C = 3 classes; the observed class is j = 2.
    // zh: C = 3 个类别的 logits；观测到的类别是 j = 2。
    let z = DMatrix::from_row_slice(1, 3, &[0.5, -1.0, 2.0]);
    let j = 2;
    let q = softmax(&z)?;

    // en: The one-hot target y puts all its mass on j ...
    // zh: 独热目标 y 把全部质量放在 j 上……
    let mut y = DMatrix::zeros(1, 3);
    y[(0, j)] = 1.0;
    let ce_one_hot = scalar(loss::cross_entropy(
        &z,
        Target::Probabilities(&y),
        &CrossEntropyOptions::default(),
    )?);

    // en: ... so the cross-entropy is minus the log-probability of what was seen.
    // zh: ……所以交叉熵就是所见结果的对数概率取负。
    assert!((ce_one_hot - (-q[(0, j)].ln())).abs() < TOL);
    // ANCHOR_END: one_sample

    // en: The class-index form of the same loss agrees.
    // zh: 同一损失的类别下标形式给出相同的值。
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
    // en: The model's distributions for two samples, and the classes observed.
    // zh: 模型对两个样本给出的分布，以及观测到的类别。
    let q = DMatrix::from_row_slice(2, 3, &[0.1, 0.3, 0.6, 0.3, 0.2, 0.5]);
    let labels = [0_i64, 2];
    // en: Logits whose softmax is q.
    // zh: softmax 为 q 的 logits。
    let z = q.map(f64::ln);

    let ce = |reduction| {
        let opts = CrossEntropyOptions::default().reduction(reduction);
        loss::cross_entropy(&z, Target::Indices(&labels), &opts).map(scalar)
    };

    // en: The probabilities the model gave to the observed classes, and their NLL.
    // zh: 模型给观测类别的概率，以及它们的负对数似然。
    let observed = [q[(0, 0)], q[(1, 2)]];
    let nll = negative_log_likelihood(&observed)?;

    // en: Σ CE = NLL, and mean CE = NLL / N.
    // zh: Σ CE = NLL，平均 CE = NLL / N。
    assert!((ce(Reduction::Sum)? - nll).abs() < TOL);
    assert!((ce(Reduction::Mean)? - nll / 2.0).abs() < TOL);
    // ANCHOR_END: data_set

    // en: An independent route: the likelihood as a product in linear space.
    // zh: 另一条独立的路：在线性空间里把似然写成乘积。
    assert!((nll - (-(0.1_f64 * 0.5).ln())).abs() < TOL);
    // en: The book's generated numbers use the same inputs.
    // zh: 本书生成的数字用的是同样的输入。
    for (r, row) in ce_mle_book::chapters::equivalence::WORKED_PROBS
        .iter()
        .enumerate()
    {
        for (c, &v) in row.iter().enumerate() {
            assert_eq!(q[(r, c)], v);
        }
    }
    let book_labels: Vec<i64> =
        ce_mle_book::chapters::equivalence::WORKED_LABELS
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
    // en: the frequencies n_k / N
    // zh: 频率 n_k / N
    let p_hat = categorical_mle(&labels, 3)?;

    // en: Mean cross-entropy of a fixed model q (the same q for every sample).
    // zh: 固定模型 q 的平均交叉熵（每个样本都用同一个 q）。
    let mean_ce = |q: &DVector<f64>| {
        let z = DMatrix::from_fn(labels.len(), 3, |_, k| q[k].ln());
        let opts = CrossEntropyOptions::default();
        loss::cross_entropy(&z, Target::Indices(&targets), &opts).map(scalar)
    };

    // en: At the MLE, the mean cross-entropy is the entropy of the frequencies ...
    // zh: 在极大似然估计处，平均交叉熵等于频率分布的熵……
    assert!((mean_ce(&p_hat)? - entropy(&p_hat)?).abs() < TOL);
    // en: ... and moving probability towards any class makes it worse.
    // zh: ……把概率挪向任何一个类别都只会更差。
    for k in 0..3 {
        let mut q = &p_hat * 0.9;
        q[k] += 0.1;
        assert!(mean_ce(&q)? > mean_ce(&p_hat)?);
    }
    // ANCHOR_END: mle

    assert_eq!(labels, ce_mle_book::chapters::likelihood::MLE_LABELS);
    assert!((p_hat - DVector::from_vec(vec![0.2, 0.2, 0.6])).amax() < TOL);
    Ok(())
}

fn soft_target() -> Result<()> {
    // ANCHOR: soft
    // en: target distribution
    // zh: 目标分布
    let p = DVector::from_vec(vec![0.7, 0.2, 0.1]);
    let q = DVector::from_vec(vec![0.5, 0.3, 0.2]); // en: model // zh: 模型

    let h = entropy(&p)?;
    let kl = kl_divergence(&p, &q)?;
    let ce = cross_entropy_between(&p, &q)?;

    // en: CE = H + KL.
    // zh: CE = H + KL。
    assert!((ce - (h + kl)).abs() < TOL);
    // en: Gibbs: a model q ≠ p pays extra, and only q = p pays nothing.
    // zh: 吉布斯不等式：q ≠ p 的模型要多付代价，只有 q = p 不多付。
    assert!(kl > 0.0 && ce > h);
    assert!(kl_divergence(&p, &p)?.abs() < TOL);
    // ANCHOR_END: soft

    // en: The PyTorch-style loss with a probability
    //     target, from logits, is the same number.
    // zh: 从 logits 出发、带概率目标的 PyTorch 式损失给出同一个数。
    let z = DMatrix::from_fn(1, 3, |_, k| q[k].ln());
    let target = DMatrix::from_row_slice(1, 3, p.as_slice());
    let l = scalar(loss::cross_entropy(
        &z,
        Target::Probabilities(&target),
        &CrossEntropyOptions::default(),
    )?);
    assert!((l - ce).abs() < TOL);
    assert_eq!(p.as_slice(), ce_mle_book::chapters::information::SOFT_P);
    assert_eq!(q.as_slice(), ce_mle_book::chapters::information::SOFT_Q);

    Ok(())
}

fn conditional() -> Result<()> {
    // ANCHOR: conditional
    // en: Pairs (x_i, y_i): two distinct inputs, three classes.
    // zh: 样本对 (x_i, y_i)：两个不同的输入，三个类别。
    let inputs = [0, 0, 0, 0, 1, 1, 1, 1];
    let labels = [0_i64, 0, 0, 1, 2, 2, 1, 2];
    // en: A conditional model with its own distribution for each
    //     input: a table of logits. Its maximum likelihood estimate
    //     is the label frequencies among the pairs with that input.
    // zh: 条件模型对每个输入有自己的分布：一张 logits 表。
    //     它的极大似然估计就是该输入对应的样本对中标签的频率。
    // p̂(y | x = 0), p̂(y | x = 1)
    let p_given = [[0.75, 0.25, 0.0], [0.0, 0.25, 0.75]];
    let mean_ce = |q: &[[f64; 3]; 2]| {
        // en: ln 0 = −∞ is a legal logit
        // zh: ln 0 = −∞ 是合法的 logit
        let z = DMatrix::from_fn(8, 3, |i, k| q[inputs[i]][k].ln());
        loss::cross_entropy(
            &z,
            Target::Indices(&labels),
            &CrossEntropyOptions::default(),
        )
        .map(scalar)
    };
    // en: The best mean loss is the entropy of the
    //     labels given the input, averaged over inputs.
    // zh: 最好的平均损失是给定输入时标签的熵，再对输入取平均。
    let h = |row: &[f64; 3]| entropy(&DVector::from_row_slice(row));
    let h_given = 0.5 * h(&p_given[0])? + 0.5 * h(&p_given[1])?;
    assert!((mean_ce(&p_given)? - h_given).abs() < TOL);
    // en: Any other table does worse (here: mixing
    //     each row with the uniform distribution) ...
    // zh: 任何别的表都更差（这里：把每一行与均匀分布混合）……
    for t in [0.01, 0.1, 0.5] {
        let mix = p_given.map(|row| row.map(|p| (1.0 - t) * p + t / 3.0));
        assert!(mean_ce(&mix)? > mean_ce(&p_given)?);
    }
    // en: ... and ignoring the input costs: the best
    //     single distribution has a larger loss.
    // zh: ……忽略输入也有代价：最好的单个分布损失更大。
    let marginal = [3.0 / 8.0, 2.0 / 8.0, 3.0 / 8.0];
    assert!(mean_ce(&[marginal, marginal])? > h_given);
    // ANCHOR_END: conditional

    let book = ce_mle_book::chapters::equivalence::conditional_frequencies(
        &ce_mle_book::chapters::equivalence::COND_INPUTS,
        &ce_mle_book::chapters::equivalence::COND_LABELS,
        3,
    )?;
    for x in 0..2 {
        for k in 0..3 {
            assert!((book[(x, k)] - p_given[x][k]).abs() < TOL);
        }
    }
    assert_eq!(inputs, ce_mle_book::chapters::equivalence::COND_INPUTS);
    let labels_usize: Vec<usize> = labels.iter().map(|&y| y as usize).collect();
    assert_eq!(
        labels_usize,
        ce_mle_book::chapters::equivalence::COND_LABELS
    );
    assert!(
        (mean_ce(&[marginal, marginal])?
            - entropy(&DVector::from_row_slice(&marginal))?)
        .abs()
            < TOL
    );
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    one_sample()?;
    data_set()?;
    categorical()?;
    conditional()?;
    soft_target()?;
    println!("every claim of the chapter checked");
    Ok(())
}
