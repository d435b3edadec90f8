//! Why cross-entropy and not another loss: the gradient of a confidently wrong prediction under
//! the cross-entropy and under the Brier score (squared error on the probabilities), the
//! scoring rules that make honest probabilities optimal, accuracy as a piecewise-constant
//! objective, and the gradient "prediction − target" of the three likelihoods of the book
//! (`book/{en,zh}/src/why-cross-entropy.md`, listing `book/listings/why_cross_entropy.rs`).

use std::fmt::Write as _;

use nalgebra::{DMatrix, DVector};

use ce_mle::data::synthetic::gaussian_classes;
use ce_mle::data::{Classification, rng};
use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy_with_grad};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::softmax::softmax;
use ce_mle::train::{FitConfig, OptimizerSpec, Regularization, fit_with};

use super::{Anchored, Outputs, book_err, check_lang, fixed6, pick, prose_number, tuple_fixed6};
use crate::error::Result;
use crate::plot::{Chart, line_chart};

/// Logits of the chapter's confidently wrong prediction (three classes).
pub const WRONG_LOGITS: [f64; 3] = [-4.0, 4.0, 0.0];
/// Its true class.
pub const WRONG_CLASS: usize = 0;
/// Learning rate of the plain gradient descent that corrects it.
pub const RECOVERY_LR: f64 = 1.0;
/// Steps of that descent shown in the figure (and the most it may take).
pub const RECOVERY_STEPS: usize = 250;
/// The true distribution of the scoring-rule comparison.
pub const SCORE_P: [f64; 3] = [0.5, 0.3, 0.2];
/// The simplex grid of that comparison: probabilities in steps of `1 / SIMPLEX_GRID`.
pub const SIMPLEX_GRID: usize = 200;
/// Seed of the accuracy slice (data and initial weights).
pub const SLICE_SEED: u64 = 5;
/// Samples of the accuracy slice.
pub const SLICE_N: usize = 60;
/// Adam epochs (lr 0.05) that give the slice's end point.
pub const SLICE_EPOCHS: usize = 200;
/// Points of the slice, `t = 0, 1/(SLICE_POINTS − 1), …, 1`.
pub const SLICE_POINTS: usize = 201;
/// Class means of the accuracy slice's data (unit variance).
pub const SLICE_MEANS: [[f64; 2]; 3] = [[1.0, 0.0], [-0.5, 0.866], [-0.5, -0.866]];

/// Cross-entropy `−ln softmax(z)_y` and its gradient `softmax(z) − e_y` (the crate's kernel).
///
/// # Errors
/// As [`cross_entropy_with_grad`].
pub fn cross_entropy_and_grad(z: &[f64], y: usize) -> ce_mle::Result<(f64, DVector<f64>)> {
    let rows = DMatrix::from_row_slice(1, z.len(), z);
    let (l, g) = cross_entropy_with_grad(
        &rows,
        Target::Indices(&[y as i64]),
        &CrossEntropyOptions::default(),
    )?;
    let loss = l
        .scalar()
        .ok_or(ce_mle::Error::Empty("a reduced loss returned a vector"))?;
    Ok((loss, g.row(0).transpose()))
}

/// Brier score `Σ_j (q_j − [j = y])²` of `q = softmax(z)` and its gradient in the logits, by
/// the chain rule through the softmax Jacobian `diag(q) − q qᵀ`:
/// `∇_z = (diag(q) − q qᵀ) · 2 (q − e_y)`.
///
/// # Errors
/// As [`softmax`].
pub fn brier_and_grad(z: &[f64], y: usize) -> ce_mle::Result<(f64, DVector<f64>)> {
    let q = softmax(&DMatrix::from_row_slice(1, z.len(), z))?
        .row(0)
        .transpose();
    let mut r = q.clone();
    r[y] -= 1.0;
    let jacobian = DMatrix::from_diagonal(&q) - &q * q.transpose();
    Ok((r.norm_squared(), jacobian * (r * 2.0)))
}

/// A loss of logits and a class that returns its value and its gradient in the logits.
type LossAndGrad = fn(&[f64], usize) -> ce_mle::Result<(f64, DVector<f64>)>;

/// The probability of class `y` along plain gradient descent from `z0` with learning rate
/// `lr` on a loss whose gradient `grad` returns, for `steps` steps (`steps + 1` values).
fn descent(z0: &[f64], y: usize, lr: f64, steps: usize, grad: LossAndGrad) -> Result<Vec<f64>> {
    let mut z = DVector::from_row_slice(z0);
    let mut out = Vec::with_capacity(steps + 1);
    for t in 0..=steps {
        let q = softmax(&DMatrix::from_row_slice(1, z.len(), z.as_slice()))?;
        out.push(q[(0, y)]);
        if t < steps {
            let (_, g) = grad(z.as_slice(), y)?;
            z -= g * lr;
        }
    }
    Ok(out)
}

/// The first step at which `q_y > 1/2`, if any.
fn first_above_half(q: &[f64]) -> Option<usize> {
    q.iter().position(|&p| p > 0.5)
}

/// A scoring rule `S(q, y)` (lower is better) on three classes.
struct Rule {
    name: [&'static str; 2],
    formula: &'static str,
    local: bool,
    score: fn(&[f64; 3], usize) -> f64,
}

fn log_score(q: &[f64; 3], y: usize) -> f64 {
    -q[y].ln()
}

fn brier_score(q: &[f64; 3], y: usize) -> f64 {
    (0..3)
        .map(|j| (q[j] - f64::from(u8::from(j == y))).powi(2))
        .sum()
}

fn linear_score(q: &[f64; 3], y: usize) -> f64 {
    -q[y]
}

fn zero_one(q: &[f64; 3], y: usize) -> f64 {
    // The predicted class is the first largest probability.
    let top = (0..3).fold(0, |b, j| if q[j] > q[b] { j } else { b });
    f64::from(u8::from(top != y))
}

const RULES: [Rule; 4] = [
    Rule {
        name: ["log score (cross-entropy)", "对数评分（交叉熵）"],
        formula: r"$-\log q_y$",
        local: true,
        score: log_score,
    },
    Rule {
        name: ["Brier score", "布里尔分数"],
        formula: r"$\sum_j (q_j - [j = y])^2$",
        local: false,
        score: brier_score,
    },
    Rule {
        name: ["linear score", "线性评分"],
        formula: r"$-q_y$",
        local: true,
        score: linear_score,
    },
    Rule {
        name: ["0–1 loss (1 − accuracy)", "0–1 损失（1 − 准确率）"],
        formula: r"$[y \ne \arg\max_j q_j]$",
        local: false,
        score: zero_one,
    },
];

/// The minimisers of the expected score `Σ_y p_y S(q, y)` over the grid of the simplex with
/// step `1 / SIMPLEX_GRID` and every `q_j > 0`, and how many grid points attain the minimum
/// (within 1e-12).
fn grid_minimisers(rule: &Rule) -> (Vec<[f64; 3]>, f64) {
    let n = SIMPLEX_GRID;
    let mut points = Vec::new();
    for a in 1..n {
        for b in 1..n - a {
            let c = n - a - b;
            points.push([
                a as f64 / n as f64,
                b as f64 / n as f64,
                c as f64 / n as f64,
            ]);
        }
    }
    let expected = |q: &[f64; 3]| -> f64 { (0..3).map(|y| SCORE_P[y] * (rule.score)(q, y)).sum() };
    let best = points.iter().map(expected).fold(f64::INFINITY, f64::min);
    let at_best = points
        .into_iter()
        .filter(|q| expected(q) <= best + 1e-12)
        .collect();
    (at_best, best)
}

/// The data, the untrained model and the trained one of the accuracy slice.
///
/// # Errors
/// As [`gaussian_classes`], [`Linear::new`] and [`fit_with`].
pub fn slice_setup() -> ce_mle::Result<(Classification, SoftmaxClassifier, SoftmaxClassifier)> {
    let means = DMatrix::from_fn(3, 2, |i, j| SLICE_MEANS[i][j]);
    let mut r = rng(SLICE_SEED);
    let data = gaussian_classes(SLICE_N, &means, 1.0, &mut r)?;
    let start = SoftmaxClassifier::new(Linear::new(2, 3, &mut r)?);
    let mut end = start.clone();
    let config = FitConfig {
        optimizer: OptimizerSpec::Adam {
            lr: 0.05,
            weight_decay: 0.0,
        },
        epochs: SLICE_EPOCHS,
        regularization: Regularization::none(),
    };
    fit_with(&mut end, &data, None, &config, None)?;
    Ok((data, start, end))
}

/// The model `(1 − t)·start + t·end` (weights and bias).
///
/// # Errors
/// As [`Linear::from_parameters`].
pub fn interpolate(
    start: &SoftmaxClassifier,
    end: &SoftmaxClassifier,
    t: f64,
) -> ce_mle::Result<SoftmaxClassifier> {
    let (a, b) = (&start.linear, &end.linear);
    Ok(SoftmaxClassifier::new(Linear::from_parameters(
        &a.weight * (1.0 - t) + &b.weight * t,
        &a.bias * (1.0 - t) + &b.bias * t,
    )?))
}

/// `(t, accuracy, mean cross-entropy)` along the slice.
fn slice() -> Result<Vec<(f64, f64, f64)>> {
    let (data, start, end) = slice_setup()?;
    (0..SLICE_POINTS)
        .map(|i| {
            let t = i as f64 / (SLICE_POINTS - 1) as f64;
            let m = interpolate(&start, &end, t)?;
            Ok((t, m.accuracy(&data.x, &data.y)?, m.mean_loss(&data)?))
        })
        .collect()
}

fn q_of(u: f64) -> Result<f64> {
    let q = softmax(&DMatrix::from_row_slice(1, 3, &[u, 0.0, 0.0]))?;
    Ok(q[(0, 0)])
}

fn values() -> Result<(String, Vec<String>)> {
    let mut a = Anchored::default();
    let z = WRONG_LOGITS;
    let y = WRONG_CLASS;
    let q = softmax(&DMatrix::from_row_slice(1, 3, &z))?
        .row(0)
        .transpose();
    let (ce, g_ce) = cross_entropy_and_grad(&z, y)?;
    let (brier, g_b) = brier_and_grad(&z, y)?;
    // In math: TeX minus signs.
    let tex: Vec<String> = z.iter().map(|v| format!("{v}")).collect();
    a.put("z", format!("({})", tex.join(", ")));
    a.put("y", y);
    a.put("q", tuple_fixed6(q.as_slice()));
    a.put("qy", fixed6(q[y]));
    a.put("ce", fixed6(ce));
    a.put("brier", fixed6(brier));
    a.put("g_ce", prose_number(&tuple_fixed6(g_ce.as_slice())));
    a.put("g_brier", prose_number(&tuple_fixed6(g_b.as_slice())));
    a.put("norm_ce", fixed6(g_ce.norm()));
    a.put("norm_brier", fixed6(g_b.norm()));
    a.put("norm_ratio", format!("{:.0}", g_ce.norm() / g_b.norm()));
    a.put("y_ratio", format!("{:.0}", g_ce[y] / g_b[y]));

    let ce_path = descent(&z, y, RECOVERY_LR, RECOVERY_STEPS, cross_entropy_and_grad)?;
    let b_path = descent(&z, y, RECOVERY_LR, RECOVERY_STEPS, brier_and_grad)?;
    let steps = |p: &[f64]| -> Result<usize> {
        first_above_half(p).ok_or_else(|| book_err("the descent did not correct the prediction"))
    };
    a.put("lr", RECOVERY_LR);
    a.put("steps_ce", steps(&ce_path)?);
    a.put("steps_brier", steps(&b_path)?);

    // Scoring rules: the minimisers of the expected score under p.
    a.put("p", tuple_fixed6(&SCORE_P).replace(".000000", ""));
    a.put("grid", SIMPLEX_GRID);
    let mut rules = Vec::new();
    for lang in [0, 1] {
        let mut t = String::new();
        let head = [
            "| rule | $S(q, y)$ | local | minimiser of $\\sum_y p_y S(q, y)$ on the grid |\n|---|---|---|---|",
            "| 评分规则 | $S(q, y)$ | 局部 | 网格上 $\\sum_y p_y S(q, y)$ 的最小点 |\n|---|---|---|---|",
        ][lang];
        let _ = writeln!(t, "{head}");
        for rule in &RULES {
            let (at, _) = grid_minimisers(rule);
            let local = if rule.local {
                ["yes", "是"][lang]
            } else {
                ["no", "否"][lang]
            };
            let minimiser = if at.len() == 1 {
                tuple_fixed6(&at[0])
            } else {
                format!(
                    "{} {}",
                    at.len(),
                    ["grid points (not unique)", "个网格点（不唯一）"][lang]
                )
            };
            let _ = writeln!(
                t,
                "| {} | {} | {local} | {minimiser} |",
                rule.name[lang], rule.formula
            );
        }
        rules.push(t);
    }

    // Accuracy along the slice.
    let s = slice()?;
    let acc: Vec<f64> = s.iter().map(|p| p.1).collect();
    let mut distinct = acc.clone();
    distinct.dedup();
    let jumps = acc.windows(2).filter(|w| w[0] != w[1]).count();
    a.put("slice_n", SLICE_N);
    a.put("slice_points", SLICE_POINTS);
    a.put("slice_epochs", SLICE_EPOCHS);
    a.put("slice_flat", SLICE_POINTS - 1 - jumps);
    a.put("slice_jumps", jumps);
    a.put("slice_acc0", super::pct(acc[0]));
    a.put("slice_acc1", super::pct(acc[SLICE_POINTS - 1]));
    a.put("slice_ce0", fixed6(s[0].2));
    a.put("slice_ce1", fixed6(s[SLICE_POINTS - 1].2));

    // Saturation along z = (u, 0, 0): the Brier gradient over q_y as q_y → 0.
    let u = -20.0;
    let (_, gb) = brier_and_grad(&[u, 0.0, 0.0], 0)?;
    let (_, gc) = cross_entropy_and_grad(&[u, 0.0, 0.0], 0)?;
    a.put("sat_u", format!("{u}"));
    a.put("sat_qy", super::sci_tex(q_of(u)?, 2));
    a.put("sat_brier", prose_number(&format!("{:.2e}", gb.norm())));
    a.put("sat_ce", fixed6(gc.norm()));
    a.put("sqrt_1_5", fixed6(1.5_f64.sqrt()));
    Ok((a.0, rules))
}

/// Gradient norms against `q_y` along `z = (u, 0, 0)`, true class 0.
fn gradients_figure(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let l = usize::from(lang == "zh");
    let mut ce = Vec::new();
    let mut brier = Vec::new();
    let mut acc = Vec::new();
    for i in 1..200 {
        let p = f64::from(i) / 200.0;
        // softmax(u, 0, 0)_0 = p  ⇔  u = ln(2p / (1 − p)).
        let u = (2.0 * p / (1.0 - p)).ln();
        let z = [u, 0.0, 0.0];
        ce.push((p, cross_entropy_and_grad(&z, 0)?.1.norm()));
        brier.push((p, brier_and_grad(&z, 0)?.1.norm()));
        acc.push((p, 0.0));
    }
    let chart = Chart::new(
        pick(
            [
                "Gradient in the logits, true class 0",
                "关于 logits 的梯度，真实类别为 0",
            ],
            l,
        ),
        pick(
            ["probability of the true class q_y", "真实类别的概率 q_y"],
            l,
        ),
        pick(["gradient norm ‖∇_z‖", "梯度范数 ‖∇_z‖"], l),
    )
    .with_series(pick(["cross-entropy", "交叉熵"], l), ce)
    .with_series(pick(["Brier score", "布里尔分数"], l), brier)
    .with_series(
        pick(
            [
                "accuracy (0 wherever it exists)",
                "准确率（凡有定义处皆为 0）",
            ],
            l,
        ),
        acc,
    );
    line_chart(&chart)
}

/// The losses themselves against `q_y` along `z = (u, 0, 0)`, true class 0: `−log q_y`, unbounded
/// as `q_y → 0`, and the Brier score, at most 2.
fn losses_figure(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let l = usize::from(lang == "zh");
    let mut ce = Vec::new();
    let mut brier = Vec::new();
    for i in 1..200 {
        let p = f64::from(i) / 200.0;
        let z = [(2.0 * p / (1.0 - p)).ln(), 0.0, 0.0];
        ce.push((p, cross_entropy_and_grad(&z, 0)?.0));
        brier.push((p, brier_and_grad(&z, 0)?.0));
    }
    let chart = Chart::new(
        pick(["The loss of one prediction", "一次预测的损失"], l),
        pick(
            ["probability of the true class q_y", "真实类别的概率 q_y"],
            l,
        ),
        pick(["loss (nats for −log q_y)", "损失（−log q_y 以奈特计）"], l),
    )
    .with_series(pick(["cross-entropy −log q_y", "交叉熵 −log q_y"], l), ce)
    .with_series(pick(["Brier score", "布里尔分数"], l), brier);
    line_chart(&chart)
}

/// `q_y` along gradient descent from the confidently wrong logits.
fn recovery_figure(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let l = usize::from(lang == "zh");
    let points = |p: Vec<f64>| -> Vec<(f64, f64)> {
        p.into_iter()
            .enumerate()
            .map(|(t, q)| (t as f64, q))
            .collect()
    };
    let z = WRONG_LOGITS;
    let ce = descent(
        &z,
        WRONG_CLASS,
        RECOVERY_LR,
        RECOVERY_STEPS,
        cross_entropy_and_grad,
    )?;
    let b = descent(&z, WRONG_CLASS, RECOVERY_LR, RECOVERY_STEPS, brier_and_grad)?;
    let chart = Chart::new(
        pick(["Correcting a confident mistake", "纠正一个自信的错误"], l),
        pick(["gradient-descent step", "梯度下降步数"], l),
        pick(
            ["probability of the true class q_y", "真实类别的概率 q_y"],
            l,
        ),
    )
    .with_series(pick(["cross-entropy", "交叉熵"], l), points(ce))
    .with_series(pick(["Brier score", "布里尔分数"], l), points(b));
    line_chart(&chart)
}

/// Accuracy and mean cross-entropy along the straight line between two models.
fn slice_figure(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let l = usize::from(lang == "zh");
    let s = slice()?;
    let chart = Chart::new(
        pick(
            [
                "From untrained (t = 0) to trained (t = 1)",
                "从未训练（t = 0）到训练后（t = 1）",
            ],
            l,
        ),
        pick(["t", "t"], l),
        pick(["value on the data set", "在数据集上的值"], l),
    )
    .with_series(
        pick(["mean cross-entropy (nats)", "平均交叉熵（奈特）"], l),
        s.iter().map(|p| (p.0, p.2)).collect(),
    )
    .with_series(
        pick(["accuracy", "准确率"], l),
        s.iter().map(|p| (p.0, p.1)).collect(),
    );
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "why_cross_entropy",
    files: &[
        "why_cross_entropy-values.txt",
        "why_cross_entropy-rules.en.md",
        "why_cross_entropy-rules.zh.md",
        "why_cross_entropy-losses.en.svg",
        "why_cross_entropy-losses.zh.svg",
        "why_cross_entropy-gradients.en.svg",
        "why_cross_entropy-gradients.zh.svg",
        "why_cross_entropy-recovery.en.svg",
        "why_cross_entropy-recovery.zh.svg",
        "why_cross_entropy-slice.en.svg",
        "why_cross_entropy-slice.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let (values, rules) = values()?;
    let [en, zh]: [String; 2] = rules
        .try_into()
        .map_err(|_| book_err("one rules table per language"))?;
    Ok(vec![
        values,
        en,
        zh,
        losses_figure("en")?,
        losses_figure("zh")?,
        gradients_figure("en")?,
        gradients_figure("zh")?,
        recovery_figure("en")?,
        recovery_figure("zh")?,
        slice_figure("en")?,
        slice_figure("zh")?,
    ])
}
