extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;
extern crate ndarray;

// en: Checks every claim of the chapter "PyTorch's CrossEntropyLoss
//     options as likelihoods": class weights and PyTorch's weighted mean;
//     ignore_index and the mean over nothing; label smoothing (T9); the
//     three reductions; K-dimensional inputs; float32 against float64; and
//     the `ce-mle loss` JSON format that the PyTorch golden fixtures use.
// zh: 核对“PyTorch 的 CrossEntropyLoss 选项即似然”一章的每个论断：
//     类别权重与 PyTorch 的加权均值；ignore_index 与对空集取均值；
//     标签平滑（T9）；三种归约方式；K 维输入；float32 与 float64 的对比；
//     以及 PyTorch 黄金数据所用的 `ce-mle loss` JSON 格式。
//
// en: `cargo run --example options` runs it;
//     `mdbook test` runs it behind each excerpt.
// zh: `cargo run --example options` 运行它；`mdbook test` 在每段摘录背后运行它。

use ce_mle::information::entropy;
use ce_mle::loss::nd::{self, NdTarget};
use ce_mle::loss::{self, CrossEntropyOptions, Reduction, Target};
use nalgebra::{DMatrix, DVector};
use ndarray::{ArrayD, IxDyn};

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

/// en: Any error: the loss API's (`ce_mle::Error`) or a
///     JSON case's (`ce_mle::torch_json::CaseError`).
/// zh: 任何错误：损失 API 的（`ce_mle::Error`）
///     或 JSON 用例的（`ce_mle::torch_json::CaseError`）。
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// en: The reduced value of a loss.
/// zh: 损失归约后的值。
fn scalar(l: loss::Loss) -> f64 {
    l.scalar().expect("a reduced loss is a scalar")
}

/// en: Three samples, three classes: the chapter's running example.
/// zh: 三个样本、三个类别：本章贯穿始终的例子。
fn example() -> (DMatrix<f64>, [i64; 3]) {
    let z = DMatrix::from_row_slice(
        3,
        3,
        &[2.0, 0.5, -1.0, 0.0, 1.0, 0.0, -0.5, 0.0, 1.5],
    );
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
    // en: `sum` is the negative log-likelihood of the batch, `mean` is it divided by N.
    // zh: `sum` 是这批数据的负对数似然，`mean` 是它除以 N。
    assert!((scalar(ce(Reduction::Sum)?) - per.sum()).abs() < TOL);
    assert!((scalar(ce(Reduction::Mean)?) - per.sum() / 3.0).abs() < TOL);
    // ANCHOR_END: reductions
    Ok(())
}

fn weights() -> Result<()> {
    let (z, labels) = example();
    // ANCHOR: weights
    // en: one weight per class
    // zh: 每个类别一个权重
    let w = DVector::from_vec(vec![1.0, 2.0, 0.5]);
    let opts = CrossEntropyOptions::default().weight(w.clone());
    let none = opts.clone().reduction(Reduction::None);
    let plain = loss::cross_entropy(
        &z,
        Target::Indices(&labels),
        &CrossEntropyOptions::default().reduction(Reduction::None),
    )?;
    let weighted = loss::cross_entropy(&z, Target::Indices(&labels), &none)?;
    let (plain, weighted) =
        (plain.per_sample().unwrap(), weighted.per_sample().unwrap());

    // en: Each sample's NLL counts w_y times: a weighted log-likelihood.
    // zh: 每个样本的负对数似然计 w_y 次：加权对数似然。
    for (i, &y) in labels.iter().enumerate() {
        assert!((weighted[i] - w[y as usize] * plain[i]).abs() < TOL);
    }
    // en: PyTorch's mean divides by the sum of the weights used, Σ w_y, not by N.
    // zh: PyTorch 的均值除以所用权重之和 Σ w_y，而不是 N。
    let w_used: f64 = labels.iter().map(|&y| w[y as usize]).sum();
    let mean =
        scalar(loss::cross_entropy(&z, Target::Indices(&labels), &opts)?);
    assert!((mean - weighted.sum() / w_used).abs() < TOL);
    assert!((mean - weighted.sum() / 3.0).abs() > 1e-3);
    // ANCHOR_END: weights

    // en: With one-hot probability targets the same weights give a mean over N instead.
    // zh: 用独热的概率目标时，同样的权重给出的却是除以 N 的均值。
    let one_hot =
        DMatrix::from_fn(
            3,
            3,
            |r, c| if labels[r] as usize == c { 1.0 } else { 0.0 },
        );
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
    // en: ignore_index = -100, as in PyTorch
    // zh: ignore_index = -100，与 PyTorch 相同
    let opts = CrossEntropyOptions::default();

    // en: Row 1 is padding: not an observation, so it drops out of the likelihood.
    // zh: 第 1 行是填充：它不是观测，所以不进入似然。
    let padded =
        scalar(loss::cross_entropy(&z, Target::Indices(&[2, -100]), &opts)?);
    let first = z.rows(0, 1).into_owned();
    let alone =
        scalar(loss::cross_entropy(&first, Target::Indices(&[2]), &opts)?);
    assert!((padded - alone).abs() < TOL);

    // en: Every target ignored: the mean is 0/0. PyTorch returns NaN; ce-mle refuses.
    // zh: 所有目标都被忽略：均值是 0/0。PyTorch 返回 NaN；ce-mle 拒绝计算。
    let all_ignored = Target::Indices(&[-100, -100]);
    let mean = loss::cross_entropy(&z, all_ignored, &opts);
    assert!(matches!(mean, Err(ce_mle::Error::UndefinedMean)));

    // en: The sum stays defined: no observation has log-likelihood log 1 = 0.
    // zh: 求和仍有定义：没有观测时，对数似然为 log 1 = 0。
    let sum = opts.clone().reduction(Reduction::Sum);
    assert_eq!(scalar(loss::cross_entropy(&z, all_ignored, &sum)?), 0.0);
    // ANCHOR_END: ignored
    Ok(())
}

fn smoothing() -> Result<()> {
    // ANCHOR: smoothing
    let (eps, c) = (0.1, 3);
    let opts = CrossEntropyOptions::default().label_smoothing(eps);
    // en: Observed class 0; the smoothed target (1 − ε) y + ε / C.
    // zh: 观测到类别 0；平滑后的目标是 (1 − ε) y + ε / C。
    let smoothed =
        DVector::from_vec(vec![1.0 - eps + eps / 3.0, eps / 3.0, eps / 3.0]);
    let loss_at = |q: &DVector<f64>| {
        let z = DMatrix::from_fn(1, c, |_, k| q[k].ln());
        loss::cross_entropy(&z, Target::Indices(&[0]), &opts).map(scalar)
    };
    // en: T9: the loss is smallest at q = smoothed
    //     target, and the minimum is its entropy ...
    // zh: T9：损失在 q = 平滑后的目标处最小，最小值是该目标的熵……
    assert!((loss_at(&smoothed)? - entropy(&smoothed)?).abs() < TOL);
    for k in 0..c {
        let mut q = &smoothed * 0.9;
        q[k] += 0.1;
        assert!(loss_at(&q)? > loss_at(&smoothed)?);
    }
    // en: ... so a confident one-hot prediction is no longer the best one.
    // zh: ……所以自信的独热预测不再是最好的。
    let confident = DVector::from_vec(vec![0.999, 0.0005, 0.0005]);
    assert!(loss_at(&confident)? > loss_at(&smoothed)?);
    // ANCHOR_END: smoothing

    // en: PyTorch's form: (1 − ε)·NLL + ε·(mean over classes of −log q_c), on a batch.
    // zh: PyTorch 的形式：(1 − ε)·NLL + ε·(−log q_c 对类别的均值)，在一批数据上。
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
    // en: A batch of N = 2 sequences of length 2, C = 3 classes: input (N,
    //     C, d) = (2, 3, 2), in PyTorch's row-major order; targets (N, d).
    // zh: 一批 N = 2 个长度为 2 的序列，C = 3 个类别：输入
    //     (N, C, d) = (2, 3, 2)，按 PyTorch 的行优先顺序；目标为 (N, d)。
    let input = ArrayD::from_shape_vec(
        IxDyn(&[2, 3, 2]),
        vec![2.0, 0.1, 0.5, 1.0, -1.0, 0.2, 0.0, -0.3, 1.0, 0.4, 0.0, 2.0],
    )
    .expect("12 values");
    let target = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0_i64, 1, 2, 2])
        .expect("4 values");
    let opts = CrossEntropyOptions::default();
    let out = nd::cross_entropy(
        input.view(),
        NdTarget::Indices(target.view()),
        &opts,
        false,
    )?;

    // en: Every position (n, t) is one sample: move
    //     the class axis last, flatten to (N·d, C).
    // zh: 每个位置 (n, t) 都是一个样本：把类别轴移到最后，展平成 (N·d, C)。
    let rows = DMatrix::from_fn(4, 3, |r, c| input[[r / 2, c, r % 2]]);
    let flat = loss::cross_entropy(
        &rows,
        Target::Indices(target.as_slice().unwrap()),
        &opts,
    )?;
    assert!((out.output.sum() - scalar(flat)).abs() < TOL);
    // ANCHOR_END: nd
    Ok(())
}

fn precision() -> Result<()> {
    let (z, labels) = example();
    // ANCHOR: precision
    // en: The same loss in float32: computed in f64, rounded once to f32.
    // zh: float32 下的同一损失：在 f64 中计算，最后舍入一次到 f32。
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
    // en: The f32 result is the f64 one rounded:
    //     within half a unit in the last place of f32.
    // zh: f32 的结果就是 f64 结果的舍入：误差在 f32 末位单位的一半以内。
    let l32 = f64::from(l32.scalar().unwrap());
    assert!(((l32 - l64) / l64).abs() <= f64::from(f32::EPSILON) / 2.0);
    // ANCHOR_END: precision
    Ok(())
}

fn json() -> Result<()> {
    // ANCHOR: json
    // en: What `ce-mle loss` reads: a PyTorch call
    //     written as JSON, with PyTorch's names.
    // zh: `ce-mle loss` 读入的内容：用 JSON 写出的一次
    //     PyTorch 调用，参数名与 PyTorch 相同。
    let case = concat!(
        r#"{"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]], "#,
        r#""target": [0], "grad": true}"#,
    );
    let result = ce_mle::torch_json::run_json(case)?;

    // en: The answer is the crate's loss and gradient, as JSON numbers.
    // zh: 回答是本库算出的损失与梯度，以 JSON 数字给出。
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let (l, g) = loss::cross_entropy_with_grad(
        &z,
        Target::Indices(&[0]),
        &CrossEntropyOptions::default(),
    )?;
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
