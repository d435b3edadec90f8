//! Likelihood: coin flips, the categorical MLE, underflow of products, and gradient descent
//! reaching the counts.
//!
//! The numbers and figures of `book/{en,zh}/src/likelihood.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/likelihood.rs`) asserts it uses.

use nalgebra::{DMatrix, DVector};

use ce_mle::information::entropy;
use ce_mle::likelihood::{bernoulli_mle, categorical_mle, log_likelihood};
use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy, cross_entropy_with_grad};
use ce_mle::softmax::softmax;

use super::{
    Anchored, Outputs, Texts, check_lang, fixed6, lang_texts, prose_number, scalar, trimmed,
    tuple_exact, tuple_fixed6,
};
use crate::error::Result;
use crate::plot::{Chart, line_chart};

/// Coin flips of the likelihood chapter (`true` = heads).
pub const COIN_FLIPS: [bool; 10] = [
    true, true, false, true, true, true, false, true, false, true,
];
/// Learning rate of the likelihood chapter's gradient descent on free logits.
pub const GD_LR: f64 = 1.0;
/// Number of its steps.
pub const GD_STEPS: usize = 100;
/// Its starting logits: a model confident about class 0.
pub const GD_START: [f64; 3] = [2.0, 0.0, -2.0];
/// The step of the descent whose iterate the chapter quotes on the way.
const GD_MID: usize = 20;
/// Labels of the chapter's categorical-MLE example (three classes).
pub const MLE_LABELS: [usize; 10] = [0, 1, 2, 2, 1, 2, 2, 0, 2, 2];
/// How many factors of 0.1 the chapter multiplies to show underflow.
pub const UNDERFLOW_FACTORS: usize = 400;

/// Gradient descent on free logits `z` (one distribution `softmax(z)` for every sample) of the
/// mean cross-entropy of `labels`, from the logits `start`, with learning rate `lr`: the
/// iterates `softmax(z_t)`, `t = 0..=steps`.
///
/// # Errors
/// As [`cross_entropy_with_grad`].
pub fn categorical_gd(
    labels: &[usize],
    start: &[f64],
    lr: f64,
    steps: usize,
) -> ce_mle::Result<Vec<DVector<f64>>> {
    let targets: Vec<i64> = labels.iter().map(|&y| y as i64).collect();
    let classes = start.len();
    let mut z = DVector::from_row_slice(start);
    let mut iterates = Vec::with_capacity(steps + 1);
    for t in 0..=steps {
        let rows = DMatrix::from_fn(labels.len(), classes, |_, k| z[k]);
        iterates.push(softmax(&rows)?.row(0).transpose());
        if t == steps {
            break;
        }
        let (_, g) = cross_entropy_with_grad(
            &rows,
            Target::Indices(&targets),
            &CrossEntropyOptions::default(),
        )?;
        // Every row shares z: the gradient with respect to z is the sum of the rows'.
        let grad: DVector<f64> = g.row_sum().transpose();
        z -= grad * lr;
    }
    Ok(iterates)
}

fn likelihood_values() -> Result<String> {
    let mut a = Anchored::default();
    // Underflow: the product of many probabilities, and where it first becomes 0.
    let factors = vec![0.1; UNDERFLOW_FACTORS];
    a.put("underflow_n", UNDERFLOW_FACTORS);
    a.put("underflow_product", factors.iter().product::<f64>());
    a.put(
        "underflow_log",
        prose_number(&fixed6(log_likelihood(&factors)?)),
    );
    let mut product = 1.0_f64;
    let mut first_zero = 0;
    let mut last_positive = 1.0;
    for n in 1..=UNDERFLOW_FACTORS {
        product *= 0.1;
        if product == 0.0 {
            first_zero = n;
            break;
        }
        last_positive = product;
    }
    a.put("first_zero", first_zero);
    a.put("last_positive_n", first_zero - 1);
    a.put("last_positive", prose_number(&format!("{last_positive:e}")));
    a.put(
        "min_positive",
        prose_number(&format!("{:e}", f64::from_bits(1))),
    );

    // Coin flips: the Bernoulli MLE is the frequency of heads.
    let heads = COIN_FLIPS.iter().filter(|&&h| h).count();
    a.put("coin_n", COIN_FLIPS.len());
    a.put("coin_heads", heads);
    let flips: Vec<&str> = COIN_FLIPS
        .iter()
        .map(|&h| if h { "H" } else { "T" })
        .collect();
    a.put("coin_flips", flips.join(" "));
    a.put("coin_mle", trimmed(bernoulli_mle(&COIN_FLIPS)?));

    // Categorical MLE = frequencies.
    let labels = MLE_LABELS;
    let p_hat = categorical_mle(&labels, 3)?;
    let mle_targets: Vec<i64> = labels.iter().map(|&y| y as i64).collect();
    let mean_ce_at = |q: &DVector<f64>| -> Result<f64> {
        let z = DMatrix::from_fn(labels.len(), 3, |_, c| q[c].ln());
        scalar(&cross_entropy(
            &z,
            Target::Indices(&mle_targets),
            &CrossEntropyOptions::default(),
        )?)
    };
    let strs: Vec<String> = labels.iter().map(ToString::to_string).collect();
    a.put("mle_labels", strs.join(", "));
    a.put("mle_n", labels.len());
    let counts: Vec<String> = p_hat
        .iter()
        .map(|p| format!("{}", (p * labels.len() as f64).round()))
        .collect();
    a.put("mle_counts", format!("({})", counts.join(", ")));
    a.put("mle_p_hat", tuple_exact(p_hat.as_slice()));
    a.put("mle_entropy", fixed6(entropy(&p_hat)?));
    a.put("mle_mean_ce", fixed6(mean_ce_at(&p_hat)?));
    a.put(
        "mle_uniform_ce",
        fixed6(mean_ce_at(&DVector::from_element(3, 1.0 / 3.0))?),
    );

    // Gradient descent lands on the frequencies.
    let it = categorical_gd(&labels, &GD_START, GD_LR, GD_STEPS)?;
    let err = |q: &DVector<f64>| (q - &p_hat).amax();
    a.put("gd_lr", GD_LR);
    a.put("gd_start", tuple_exact(&GD_START));
    a.put("gd_q0", tuple_fixed6(it[0].as_slice()));
    a.put("gd_steps", GD_STEPS);
    a.put("gd_mid", GD_MID);
    a.put("gd_q10", tuple_fixed6(it[GD_MID].as_slice()));
    a.put(
        "gd_err10",
        prose_number(&format!("{:.1e}", err(&it[GD_MID]))),
    );
    a.put("gd_final", tuple_fixed6(it[GD_STEPS].as_slice()));
    a.put(
        "gd_err",
        prose_number(&format!("{:.1e}", err(&it[GD_STEPS]))),
    );
    Ok(a.0)
}

/// `k` as a Unicode subscript (`2` → `₂`), for figure labels, which are text, not TeX.
fn subscript(k: usize) -> String {
    k.to_string()
        .chars()
        .map(|d| char::from_u32(0x2080 + d.to_digit(10).unwrap_or(0)).unwrap_or(d))
        .collect()
}

fn likelihood_gd(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let it = categorical_gd(&MLE_LABELS, &GD_START, GD_LR, GD_STEPS)?;
    let p_hat = categorical_mle(&MLE_LABELS, 3)?;
    let t = lang_texts(
        lang,
        Texts {
            title: "Gradient descent on the mean cross-entropy",
            x: "step",
            y: "model probability",
        },
        Texts {
            title: "对平均交叉熵做梯度下降",
            x: "步数",
            y: "模型概率",
        },
    );
    let mut chart = Chart::new(t.title, t.x, t.y);
    for k in 0..3 {
        let points = it
            .iter()
            .enumerate()
            .map(|(s, q)| (s as f64, q[k]))
            .collect();
        let name = if lang == "zh" {
            format!("q{} → 频率 {}", subscript(k), trimmed(p_hat[k]))
        } else {
            format!("q{} → frequency {}", subscript(k), trimmed(p_hat[k]))
        };
        chart = chart.with_series(&name, points);
    }
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "likelihood",
    files: &[
        "likelihood-values.txt",
        "likelihood-gd.en.svg",
        "likelihood-gd.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![
        likelihood_values()?,
        likelihood_gd("en")?,
        likelihood_gd("zh")?,
    ])
}
