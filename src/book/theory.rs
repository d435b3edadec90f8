//! Generated outputs of the theory chapters: background, information, likelihood,
//! equivalence, softmax, binary and options. Every number those chapters quote, and their
//! figures, are computed here and registered in [`super::GENERATED_OUTPUTS`].
//!
//! The constants are the inputs the chapters' listings (`book/listings/*.rs`) also use; each
//! listing asserts that its inputs equal them, so the prose and the checked code cannot drift
//! apart.

use std::fmt::Write as _;

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{Bernoulli, Continuous, Discrete, Normal};

use super::{Anchored, LANGUAGES, book_err, f6, short, tuple, tuple6};
use crate::error::Result;
use crate::information::{cross_entropy as h_cross, entropy, kl_divergence, self_information};
use crate::likelihood::{bernoulli_mle, categorical_mle, log_likelihood};
use crate::loss::{
    BceOptions, BceWithLogitsOptions, CrossEntropyOptions, Reduction, Target, binary_cross_entropy,
    binary_cross_entropy_with_logits, cross_entropy, cross_entropy_with_grad, mse_loss,
};
use crate::plot::{Chart, line_chart};
use crate::softmax::{log_softmax, logsumexp, softmax};

// ---------------------------------------------------------------------------------------------
// Inputs shared with the listings
// ---------------------------------------------------------------------------------------------

/// Target probability of class 0 in the two-class cross-entropy curve of the information
/// chapter: `p = (CURVE_P, 1 − CURVE_P)`.
pub const CURVE_P: f64 = 0.3;
/// Grid step of that curve (`q = 0.01, 0.02, …, 0.99`).
pub const CURVE_STEP: f64 = 0.01;
/// Two models on either side of [`CURVE_P`] whose cross-entropies the chapter quotes.
const CURVE_LEFT: f64 = 0.1;
/// See [`CURVE_LEFT`].
const CURVE_RIGHT: f64 = 0.9;
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
/// Logits whose naive softmax overflows (softmax chapter).
pub const BIG_LOGITS: [f64; 3] = [1000.0, 999.0, 998.0];
/// Logits whose naive log-sum-exp underflows (softmax chapter).
pub const SMALL_LOGITS: [f64; 2] = [-1000.0, -1000.0];
/// Logits where one class dominates: the loss of class 0 is `log1p(e^{-40})` (softmax chapter).
pub const DOMINANT_LOGITS: [f64; 2] = [0.0, -40.0];
/// Shift added to the logits in the softmax chapter's invariance example.
pub const SHIFT: f64 = 100.0;
/// Step of the central finite differences of the softmax chapter.
pub const FD_STEP: f64 = 1e-6;
/// Logits of the binary chapter's example (one sample, three labels).
pub const BIN_LOGITS: [f64; 3] = [2.0, -1.0, 0.5];
/// Targets of the binary chapter's example.
pub const BIN_TARGETS: [f64; 3] = [1.0, 0.0, 0.0];
/// A logit far beyond where `1 − σ(x)` is representable next to 1 (binary chapter).
pub const BIN_BIG: f64 = 40.0;
/// Predictions of the binary chapter's regression example.
pub const MSE_PRED: [f64; 3] = [1.0, 2.0, 3.0];
/// Observations of the binary chapter's regression example.
pub const MSE_OBS: [f64; 3] = [1.5, 1.0, 3.5];
/// Logits of the options chapter's examples (three samples, three classes).
pub const OPT_LOGITS: [[f64; 3]; 3] = [[2.0, 0.5, -1.0], [0.0, 1.0, 0.0], [-0.5, 0.0, 1.5]];
/// Labels of the options chapter's examples.
pub const OPT_LABELS: [i64; 3] = [0, 2, 2];
/// Class weights of the options chapter's example.
pub const OPT_WEIGHTS: [f64; 3] = [1.0, 2.0, 0.5];
/// The `ce-mle loss` case of the options chapter (the README's example).
pub const JSON_CASE: &str =
    r#"{"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]], "target": [0], "grad": true}"#;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn scalar(l: &crate::loss::Loss) -> Result<f64> {
    l.scalar()
        .ok_or_else(|| book_err("a reduced loss returned a vector"))
}

fn dist(xs: &[f64]) -> DVector<f64> {
    DVector::from_row_slice(xs)
}

/// `x` in scientific notation with `digits` decimals, as TeX (`4.25 \times 10^{-18}`).
fn sci_tex(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$e}");
    match s.split_once('e') {
        Some((m, e)) => format!("{m} \\times 10^{{{e}}}"),
        None => s,
    }
}

/// Axis labels and legends of a figure, per language.
struct Texts {
    title: &'static str,
    x: &'static str,
    y: &'static str,
}

fn lang_texts(lang: &str, en: Texts, zh: Texts) -> Texts {
    if lang == "zh" { zh } else { en }
}

/// Parse the language of a figure generator from the output's name, as a guard: the
/// registry and the generator must agree.
fn check_lang(lang: &str) -> Result<()> {
    if LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(book_err(format!("no book in language {lang:?}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Background
// ---------------------------------------------------------------------------------------------

/// Vocabulary size of the background chapter's uniform next-token model.
pub const BACKGROUND_VOCAB: usize = 50_000;

/// The probabilities a model gave to the successive tokens of the background chapter's text.
pub const BACKGROUND_PROBS: [f64; 4] = [0.5, 0.25, 0.125, 0.5];

/// Numbers of the background chapter: perplexity of a uniform model and of a model that
/// gives the observed tokens a fixed probability.
pub(super) fn background_values() -> Result<String> {
    let mut a = Anchored::default();
    let v = BACKGROUND_VOCAB as f64;
    a.put("vocab", BACKGROUND_VOCAB);
    a.put("uniform_ce", f6(v.ln()));
    a.put("uniform_ppl", format!("{:.0}", v.ln().exp()));
    let probs = BACKGROUND_PROBS;
    let ce = -log_likelihood(&probs)? / probs.len() as f64;
    a.put("tokens_n", probs.len());
    a.put("text_prob", short(probs.iter().product()));
    a.put("tokens_probs", tuple(&probs));
    a.put("tokens_ce", f6(ce));
    a.put("tokens_ppl", f6(ce.exp()));
    Ok(a.0)
}

// ---------------------------------------------------------------------------------------------
// Information theory
// ---------------------------------------------------------------------------------------------

/// The two-class cross-entropy `H(p, q)` with `p = (CURVE_P, 1 − CURVE_P)` and
/// `q = (x, 1 − x)`, on the grid of [`CURVE_STEP`].
fn ce_curve() -> Result<Vec<(f64, f64)>> {
    let p = dist(&[CURVE_P, 1.0 - CURVE_P]);
    let n = (1.0 / CURVE_STEP).round() as usize;
    (1..n)
        .map(|i| {
            let x = i as f64 * CURVE_STEP;
            Ok((x, h_cross(&p, &dist(&[x, 1.0 - x]))?))
        })
        .collect()
}

pub(super) fn information_values() -> Result<String> {
    let mut a = Anchored::default();
    a.put("coin_nats", f6(self_information(0.5)?));
    a.put("coin_bits", short(self_information(0.5)? / 2f64.ln()));
    a.put("two_coins_nats", f6(self_information(0.25)?));
    a.put("die_nats", f6(self_information(1.0 / 6.0)?));
    a.put("likely_nats", f6(self_information(0.99)?));
    a.put("rare_nats", f6(self_information(0.01)?));
    a.put(
        "uniform3_entropy",
        f6(entropy(&DVector::from_element(3, 1.0 / 3.0))?),
    );
    a.put(
        "certain_entropy",
        short(entropy(&dist(&[1.0, 0.0, 0.0]))?.abs()),
    );

    let p = dist(&super::SOFT_P);
    let q = dist(&super::SOFT_Q);
    a.put("soft_p", tuple(&super::SOFT_P));
    a.put("soft_q", tuple(&super::SOFT_Q));
    a.put("soft_entropy", f6(entropy(&p)?));
    a.put("soft_ce", f6(h_cross(&p, &q)?));
    a.put("soft_kl", f6(kl_divergence(&p, &q)?));
    a.put("soft_kl_reverse", f6(kl_divergence(&q, &p)?));
    a.put("soft_ce_reverse", f6(h_cross(&q, &p)?));

    // The curve: minimum at q = p, value H(p).
    let curve = ce_curve()?;
    let (qmin, vmin) = curve
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or_else(|| book_err("empty curve"))?;
    if (qmin - CURVE_P).abs() > 1e-9 {
        return Err(book_err(
            "the information chapter says the curve's minimum is at q = p",
        ));
    }
    let hp = entropy(&dist(&[CURVE_P, 1.0 - CURVE_P]))?;
    a.put("curve_p", CURVE_P);
    a.put("curve_p_other", short(1.0 - CURVE_P));
    a.put("curve_step", CURVE_STEP);
    a.put("curve_min_q", short(qmin));
    a.put("curve_min", f6(vmin));
    a.put("curve_entropy", f6(hp));
    let at = |x: f64| -> Result<String> {
        Ok(f6(h_cross(
            &dist(&[CURVE_P, 1.0 - CURVE_P]),
            &dist(&[x, 1.0 - x]),
        )?))
    };
    a.put("curve_left", CURVE_LEFT);
    a.put("curve_right", CURVE_RIGHT);
    a.put("curve_at_01", at(CURVE_LEFT)?);
    a.put("curve_at_09", at(CURVE_RIGHT)?);
    Ok(a.0)
}

/// The cross-entropy curve of the information chapter, labelled in `lang`.
fn information_ce_curve(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let curve = ce_curve()?;
    let hp = entropy(&dist(&[CURVE_P, 1.0 - CURVE_P]))?;
    let t = lang_texts(
        lang,
        Texts {
            title: "Cross-entropy H(p, q) of two classes, p = (CURVE_P)",
            x: "q = model probability of class 0",
            y: "H(p, q) (nats)",
        },
        Texts {
            title: "两类的交叉熵 H(p, q)，p = (CURVE_P)",
            x: "q = 模型给类别 0 的概率",
            y: "H(p, q)（奈特）",
        },
    );
    let marker = if lang == "zh" {
        format!("最小值 H(p) = {hp:.3}，在 q = p 处")
    } else {
        format!("minimum H(p) = {hp:.3}, at q = p")
    };
    // A drop line from the q axis to the minimum marks where it is and what it is worth.
    // The title names the target: p = (CURVE_P, 1 − CURVE_P).
    let p_text = format!("{}, {}", short(CURVE_P), short(1.0 - CURVE_P));
    let title = t.title.replace("CURVE_P", &p_text);
    let chart = Chart::new(&title, t.x, t.y)
        .with_series("H(p, q)", curve)
        .with_series(&marker, vec![(CURVE_P, 0.0), (CURVE_P, hp)]);
    line_chart(&chart)
}

pub(super) fn information_ce_curve_en() -> Result<String> {
    information_ce_curve("en")
}

pub(super) fn information_ce_curve_zh() -> Result<String> {
    information_ce_curve("zh")
}

// ---------------------------------------------------------------------------------------------
// Likelihood
// ---------------------------------------------------------------------------------------------

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
) -> Result<Vec<DVector<f64>>> {
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

pub(super) fn likelihood_values() -> Result<String> {
    let mut a = Anchored::default();
    // Underflow: the product of many probabilities, and where it first becomes 0.
    let factors = vec![0.1; super::UNDERFLOW_FACTORS];
    a.put("underflow_n", super::UNDERFLOW_FACTORS);
    a.put("underflow_product", factors.iter().product::<f64>());
    a.put("underflow_log", f6(log_likelihood(&factors)?));
    let mut product = 1.0_f64;
    let mut first_zero = 0;
    let mut last_positive = 1.0;
    for n in 1..=super::UNDERFLOW_FACTORS {
        product *= 0.1;
        if product == 0.0 {
            first_zero = n;
            break;
        }
        last_positive = product;
    }
    a.put("first_zero", first_zero);
    a.put("last_positive_n", first_zero - 1);
    a.put("last_positive", format!("{last_positive:e}"));
    a.put("min_positive", format!("{:e}", f64::from_bits(1)));

    // Coin flips: the Bernoulli MLE is the frequency of heads.
    let heads = COIN_FLIPS.iter().filter(|&&h| h).count();
    a.put("coin_n", COIN_FLIPS.len());
    a.put("coin_heads", heads);
    let flips: Vec<&str> = COIN_FLIPS
        .iter()
        .map(|&h| if h { "H" } else { "T" })
        .collect();
    a.put("coin_flips", flips.join(" "));
    a.put("coin_mle", short(bernoulli_mle(&COIN_FLIPS)?));

    // Categorical MLE = frequencies.
    let labels = super::MLE_LABELS;
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
    a.put("mle_p_hat", tuple(p_hat.as_slice()));
    a.put("mle_entropy", f6(entropy(&p_hat)?));
    a.put("mle_mean_ce", f6(mean_ce_at(&p_hat)?));
    a.put(
        "mle_uniform_ce",
        f6(mean_ce_at(&DVector::from_element(3, 1.0 / 3.0))?),
    );

    // Gradient descent lands on the frequencies.
    let it = categorical_gd(&labels, &GD_START, GD_LR, GD_STEPS)?;
    let err = |q: &DVector<f64>| (q - &p_hat).amax();
    a.put("gd_lr", GD_LR);
    a.put("gd_start", tuple(&GD_START));
    a.put("gd_q0", tuple6(it[0].as_slice()));
    a.put("gd_steps", GD_STEPS);
    a.put("gd_mid", GD_MID);
    a.put("gd_q10", tuple6(it[GD_MID].as_slice()));
    a.put("gd_err10", format!("{:.1e}", err(&it[GD_MID])));
    a.put("gd_final", tuple6(it[GD_STEPS].as_slice()));
    a.put("gd_err", format!("{:.1e}", err(&it[GD_STEPS])));
    Ok(a.0)
}

fn likelihood_gd(lang: &str) -> Result<String> {
    check_lang(lang)?;
    let it = categorical_gd(&super::MLE_LABELS, &GD_START, GD_LR, GD_STEPS)?;
    let p_hat = categorical_mle(&super::MLE_LABELS, 3)?;
    let t = lang_texts(
        lang,
        Texts {
            title: "Gradient descent on the mean cross-entropy",
            x: "step",
            y: "model probability q_k",
        },
        Texts {
            title: "对平均交叉熵做梯度下降",
            x: "步数",
            y: "模型概率 q_k",
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
            format!("q_{k} → 频率 {}", short(p_hat[k]))
        } else {
            format!("q_{k} → frequency {}", short(p_hat[k]))
        };
        chart = chart.with_series(&name, points);
    }
    line_chart(&chart)
}

pub(super) fn likelihood_gd_en() -> Result<String> {
    likelihood_gd("en")
}

pub(super) fn likelihood_gd_zh() -> Result<String> {
    likelihood_gd("zh")
}

// ---------------------------------------------------------------------------------------------
// Softmax
// ---------------------------------------------------------------------------------------------

/// The Hessian of `logsumexp` at `z`: `diag(q) − q qᵀ` with `q = softmax(z)`.
#[must_use]
pub fn softmax_hessian(q: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_diagonal(q) - q * q.transpose()
}

pub(super) fn softmax_values() -> Result<String> {
    let mut a = Anchored::default();
    // Naive evaluation overflows / underflows; the stable one does not.
    let big = DMatrix::from_row_slice(1, 3, &BIG_LOGITS);
    let naive_num = BIG_LOGITS[0].exp();
    let naive_den: f64 = BIG_LOGITS.iter().map(|z| z.exp()).sum();
    a.put("big_z", tuple(&BIG_LOGITS));
    a.put("big_naive", format!("{:?}", naive_num / naive_den));
    let q: Vec<f64> = softmax(&big)?.row(0).iter().copied().collect();
    a.put("big_stable", tuple6(&q));
    let small = DMatrix::from_row_slice(1, 2, &SMALL_LOGITS);
    let naive_lse = SMALL_LOGITS.iter().map(|z| z.exp()).sum::<f64>().ln();
    a.put("small_z", tuple(&SMALL_LOGITS));
    a.put("small_naive", format!("{naive_lse:?}"));
    a.put("small_stable", f6(logsumexp(&small)?[0]));
    let dom = DMatrix::from_row_slice(1, 2, &DOMINANT_LOGITS);
    let exact = (DOMINANT_LOGITS[1] - DOMINANT_LOGITS[0]).exp().ln_1p();
    let naive = (1.0 + (DOMINANT_LOGITS[1] - DOMINANT_LOGITS[0]).exp()).ln();
    a.put("dom_z", tuple(&DOMINANT_LOGITS));
    a.put("dom_stable", sci_tex(-log_softmax(&dom)?[(0, 0)], 6));
    a.put("dom_exact", sci_tex(exact, 6));
    a.put("dom_naive", format!("{naive:?}"));

    // Shift invariance and the bounds of logsumexp.
    let z = DMatrix::from_row_slice(1, 3, &super::GRAD_LOGITS);
    let lse = logsumexp(&z)?[0];
    let m = super::GRAD_LOGITS.iter().copied().fold(f64::MIN, f64::max);
    a.put("shift", SHIFT);
    a.put("lse", f6(lse));
    a.put("lse_max", short(m));
    a.put("lse_upper", f6(m + 3f64.ln()));
    let ls: Vec<f64> = log_softmax(&z)?.row(0).iter().copied().collect();
    a.put("log_softmax", tuple6(&ls));

    // The gradient, softmax − y, and finite differences.
    let y = super::GRAD_LABEL;
    let opts = CrossEntropyOptions::default();
    let (_, g) = cross_entropy_with_grad(&z, Target::Indices(&[y as i64]), &opts)?;
    let q = softmax(&z)?;
    a.put("grad_z", tuple(&super::GRAD_LOGITS));
    a.put("grad_y", y);
    let qv: Vec<f64> = q.row(0).iter().copied().collect();
    let gv: Vec<f64> = g.row(0).iter().copied().collect();
    a.put("grad_softmax", tuple6(&qv));
    a.put("grad_value", tuple6(&gv));
    let mut worst = 0.0_f64;
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += FD_STEP;
        down[(0, k)] -= FD_STEP;
        let f = |z: &DMatrix<f64>| -> Result<f64> {
            scalar(&cross_entropy(z, Target::Indices(&[y as i64]), &opts)?)
        };
        let numeric = (f(&up)? - f(&down)?) / (2.0 * FD_STEP);
        worst = worst.max((numeric - g[(0, k)]).abs());
    }
    a.put("fd_step", format!("{FD_STEP:e}"));
    a.put("fd_error", format!("{worst:.1e}"));

    // The Hessian and its eigenvalues.
    let qd = DVector::from_row_slice(&qv);
    let h = softmax_hessian(&qd);
    let mut eig: Vec<f64> = h
        .clone()
        .symmetric_eigen()
        .eigenvalues
        .iter()
        .copied()
        .collect();
    eig.sort_by(f64::total_cmp);
    // The smallest is 0 up to rounding (the chapter says so): quote the other two.
    if eig[0].abs() > 1e-12 {
        return Err(book_err("the softmax chapter says one eigenvalue is 0"));
    }
    a.put("hessian_eig_1", f6(eig[1]));
    a.put("hessian_eig_2", f6(eig[2]));
    let mut rows = String::new();
    for r in 0..3 {
        let cells: Vec<String> = (0..3).map(|c| f6(h[(r, c)])).collect();
        let _ = write!(rows, "{}", cells.join(" & "));
        if r < 2 {
            rows.push_str(" \\\\ ");
        }
    }
    a.put("hessian_tex", rows);
    Ok(a.0)
}

// ---------------------------------------------------------------------------------------------
// Binary, multi-label and regression losses
// ---------------------------------------------------------------------------------------------

pub(super) fn binary_values() -> Result<String> {
    let mut a = Anchored::default();
    let k = BIN_LOGITS.len();
    let x = DMatrix::from_row_slice(1, k, &BIN_LOGITS);
    let y = DMatrix::from_row_slice(1, k, &BIN_TARGETS);
    let none = BceWithLogitsOptions {
        reduction: Reduction::None,
        ..BceWithLogitsOptions::default()
    };
    let per = binary_cross_entropy_with_logits(&x, &y, &none)?;
    let per = per
        .per_sample()
        .ok_or_else(|| book_err("Reduction::None returned a scalar"))?
        .clone();
    let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());
    let oracle: Vec<f64> = BIN_LOGITS
        .iter()
        .zip(BIN_TARGETS)
        .map(|(&x, y)| {
            Bernoulli::new(sigma(x))
                .map(|b| -b.ln_pmf(y as u64))
                .map_err(book_err)
        })
        .collect::<Result<_>>()?;
    a.put("logits", tuple(&BIN_LOGITS));
    a.put("targets", tuple(&BIN_TARGETS));
    let s: Vec<f64> = BIN_LOGITS.iter().map(|&x| sigma(x)).collect();
    a.put("sigmas", tuple6(&s));
    a.put("per_label", tuple6(per.as_slice()));
    a.put("oracle", tuple6(&oracle));
    a.put("sum", f6(per.sum()));
    a.put("mean", f6(per.sum() / k as f64));
    let joint: f64 = oracle.iter().map(|l| (-l).exp()).product();
    a.put("joint_prob", f6(joint));
    a.put("joint_nll", f6(-joint.ln()));

    // Far out: the naive formula breaks, the stable one does not.
    let naive = -(1.0 - sigma(BIN_BIG)).ln();
    let stable = scalar(&binary_cross_entropy_with_logits(
        &DMatrix::from_element(1, 1, BIN_BIG),
        &DMatrix::from_element(1, 1, 0.0),
        &BceWithLogitsOptions::default(),
    )?)?;
    a.put("big_x", BIN_BIG);
    a.put("big_sigma", format!("{:?}", sigma(BIN_BIG)));
    a.put("big_naive", format!("{naive:?}"));
    a.put("big_stable", short(stable));

    // Plain BCE on probabilities clamps its logs at −100.
    let clamped = scalar(&binary_cross_entropy(
        &DMatrix::from_element(1, 1, 0.0),
        &DMatrix::from_element(1, 1, 1.0),
        &BceOptions::default(),
    )?)?;
    a.put("clamp", crate::loss::BCE_LOG_CLAMP);
    a.put("clamped_loss", short(clamped));

    // Two-class softmax = sigmoid of the logit difference.
    let z = DMatrix::from_row_slice(1, 2, &[BIN_LOGITS[0], 0.0]);
    let ce2 = scalar(&cross_entropy(
        &z,
        Target::Indices(&[0]),
        &CrossEntropyOptions::default(),
    )?)?;
    a.put("two_class_z", tuple(&[BIN_LOGITS[0], 0.0]));
    a.put("two_class_ce", f6(ce2));

    // Regression: MSE and the Gaussian NLL.
    let pred = DMatrix::from_row_slice(3, 1, &MSE_PRED);
    let obs = DMatrix::from_row_slice(3, 1, &MSE_OBS);
    let mse = scalar(&mse_loss(&pred, &obs, Reduction::Mean)?)?;
    let nll: f64 = MSE_PRED
        .iter()
        .zip(MSE_OBS)
        .map(|(&m, y)| Normal::new(m, 1.0).map(|n| -n.ln_pdf(y)).map_err(book_err))
        .sum::<Result<f64>>()?
        / 3.0;
    let c = (2.0 * std::f64::consts::PI).sqrt().ln();
    a.put("mse_pred", tuple(&MSE_PRED));
    a.put("mse_obs", tuple(&MSE_OBS));
    a.put("mse", f6(mse));
    a.put("gauss_nll", f6(nll));
    a.put("gauss_const", f6(c));
    a.put("gauss_check", f6(mse / 2.0 + c));
    Ok(a.0)
}

// ---------------------------------------------------------------------------------------------
// PyTorch's options
// ---------------------------------------------------------------------------------------------

fn opt_logits() -> DMatrix<f64> {
    DMatrix::from_fn(3, 3, |r, c| OPT_LOGITS[r][c])
}

pub(super) fn options_values() -> Result<String> {
    let mut a = Anchored::default();
    let z = opt_logits();
    let none = CrossEntropyOptions::default().reduction(Reduction::None);
    let per = cross_entropy(&z, Target::Indices(&OPT_LABELS), &none)?;
    let per = per
        .per_sample()
        .ok_or_else(|| book_err("Reduction::None returned a scalar"))?
        .clone();
    a.put(
        "labels",
        format!("({})", OPT_LABELS.map(|y| y.to_string()).join(", ")),
    );
    a.put("per_sample", tuple6(per.as_slice()));
    let rows: Vec<String> = OPT_LOGITS
        .iter()
        .map(|r| r.map(short).join(" & "))
        .collect();
    a.put("logits_tex", rows.join(" \\\\ "));
    a.put(
        "ignore_default",
        CrossEntropyOptions::<f64>::default().ignore_index,
    );
    a.put("sum", f6(per.sum()));
    a.put("mean", f6(per.sum() / 3.0));

    // Class weights.
    let w = DVector::from_row_slice(&OPT_WEIGHTS);
    a.put("weights", tuple(&OPT_WEIGHTS));
    let weighted = CrossEntropyOptions::default().weight(w.clone());
    let wmean = scalar(&cross_entropy(&z, Target::Indices(&OPT_LABELS), &weighted)?)?;
    let wsum = scalar(&cross_entropy(
        &z,
        Target::Indices(&OPT_LABELS),
        &weighted.clone().reduction(Reduction::Sum),
    )?)?;
    let wy: f64 = OPT_LABELS.iter().map(|&y| OPT_WEIGHTS[y as usize]).sum();
    a.put("w_sum_loss", f6(wsum));
    a.put("w_denominator", short(wy));
    a.put("w_mean", f6(wmean));
    a.put("w_mean_over_n", f6(wsum / 3.0));
    let one_hot = DMatrix::from_fn(3, 3, |r, c| {
        if OPT_LABELS[r] as usize == c {
            1.0
        } else {
            0.0
        }
    });
    let prob_mean = scalar(&cross_entropy(
        &z,
        Target::Probabilities(&one_hot),
        &weighted,
    )?)?;
    a.put("w_prob_mean", f6(prob_mean));

    // Ignored rows.
    let ign = scalar(&cross_entropy(
        &z,
        Target::Indices(&[OPT_LABELS[0], -100, OPT_LABELS[2]]),
        &CrossEntropyOptions::default(),
    )?)?;
    a.put("ignore_mean", f6(ign));

    // Label smoothing: T9.
    let eps = super::SMOOTHING;
    let c = 3.0;
    let smoothed: Vec<f64> = (0..3)
        .map(|k| if k == 0 { 1.0 - eps } else { 0.0 } + eps / c)
        .collect();
    let zs = DMatrix::from_fn(1, 3, |_, k| smoothed[k].ln());
    let best = scalar(&cross_entropy(
        &zs,
        Target::Indices(&[0]),
        &CrossEntropyOptions::default().label_smoothing(eps),
    )?)?;
    a.put("smooth_eps", eps);
    a.put("smooth_target", tuple6(&smoothed));
    a.put("smooth_min_ce", f6(best));
    a.put("smooth_entropy", f6(entropy(&dist(&smoothed))?));
    a.put("smooth_q0", f6(smoothed[0]));
    let ls_mean = scalar(&cross_entropy(
        &z,
        Target::Indices(&OPT_LABELS),
        &CrossEntropyOptions::default().label_smoothing(eps),
    )?)?;
    a.put("smooth_mean", f6(ls_mean));

    // float32 against float64.
    let z32 = z.map(|v| v as f32);
    let l32 = cross_entropy(
        &z32,
        Target::Indices(&OPT_LABELS),
        &CrossEntropyOptions::<f32>::default(),
    )?
    .scalar()
    .ok_or_else(|| book_err("a reduced loss returned a vector"))?;
    let l64 = per.sum() / 3.0;
    a.put("f32_loss", format!("{l32:?}"));
    a.put("f64_loss", format!("{l64:?}"));
    a.put(
        "f32_rel",
        format!("{:.1e}", ((f64::from(l32) - l64) / l64).abs()),
    );
    a.put("f32_unit", format!("{:.1e}", f64::from(f32::EPSILON) / 2.0));

    // The JSON command and the golden fixtures.
    let out = crate::cases::run_json(JSON_CASE)?;
    a.put("json_case", JSON_CASE);
    a.put(
        "json_result",
        serde_json::to_string(&out).map_err(book_err)?,
    );
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/torch_functional.json"),
    )
    .map_err(|e| book_err(format!("tests/fixtures/torch_functional.json: {e}")))?;
    let v: serde_json::Value = serde_json::from_str(&fixture).map_err(book_err)?;
    let n = v
        .as_array()
        .map(Vec::len)
        .or_else(|| v.get("cases").and_then(|c| c.as_array()).map(Vec::len))
        .ok_or_else(|| book_err("the PyTorch fixture is neither a list nor has `cases`"))?;
    a.put("golden_cases", n);
    if let Some(version) = v.get("torch_version").and_then(|t| t.as_str()) {
        a.put(
            "torch_version",
            version.split('+').next().unwrap_or(version),
        );
    }
    Ok(a.0)
}

// ---------------------------------------------------------------------------------------------
// The equivalence
// ---------------------------------------------------------------------------------------------

/// Inputs of the equivalence chapter's conditional example (two distinct inputs).
pub const COND_INPUTS: [usize; 8] = [0, 0, 0, 0, 1, 1, 1, 1];
/// Labels of the conditional example (three classes).
pub const COND_LABELS: [usize; 8] = [0, 0, 0, 1, 2, 2, 1, 2];

/// Logits whose softmax is `probs` (row-wise `ln`); rows must sum to 1.
fn logits_of(probs: &[[f64; 3]]) -> DMatrix<f64> {
    DMatrix::from_fn(probs.len(), 3, |r, c| probs[r][c].ln())
}

fn worked_targets() -> Vec<i64> {
    super::WORKED_LABELS.iter().map(|&y| y as i64).collect()
}

/// Table of the worked example: per-sample `q`, the probability of the observed class and
/// its cross-entropy `−ln q_{i,y_i}` (computed by [`cross_entropy`] on `ln q`), then the
/// sum. Column heads are formulas, so both languages include the same table.
pub(super) fn equivalence_worked() -> Result<String> {
    let per = cross_entropy(
        &logits_of(&super::WORKED_PROBS),
        Target::Indices(&worked_targets()),
        &CrossEntropyOptions::default().reduction(Reduction::None),
    )?;
    let per = per
        .per_sample()
        .ok_or_else(|| book_err("Reduction::None returned a scalar"))?;
    let mut s = String::from(
        "| $i$ | $y_i$ | $q_{i,0}$ | $q_{i,1}$ | $q_{i,2}$ | $q_{i,y_i}$ | $-\\log q_{i,y_i}$ |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (i, (q, &y)) in super::WORKED_PROBS
        .iter()
        .zip(&super::WORKED_LABELS)
        .enumerate()
    {
        let _ = writeln!(
            s,
            "| {} | {y} | {} | {} | {} | {} | {} |",
            i + 1,
            q[0],
            q[1],
            q[2],
            q[y],
            f6(per[i])
        );
    }
    let _ = writeln!(s, "| $\\sum$ | | | | | | {} |", f6(per.sum()));
    Ok(s)
}

/// The empirical conditional distributions `p̂(y | x)` of the conditional example, one row
/// per input.
pub fn conditional_frequencies(
    inputs: &[usize],
    labels: &[usize],
    classes: usize,
) -> Result<DMatrix<f64>> {
    let n_inputs = inputs.iter().max().map_or(0, |m| m + 1);
    let mut p = DMatrix::zeros(n_inputs, classes);
    for (&x, &y) in inputs.iter().zip(labels) {
        if y >= classes {
            return Err(book_err("a label out of range"));
        }
        p[(x, y)] += 1.0;
    }
    for mut row in p.row_iter_mut() {
        let n = row.sum();
        if n > 0.0 {
            row /= n;
        }
    }
    Ok(p)
}

/// Every number the equivalence chapter quotes, as `ANCHOR` regions.
pub(super) fn equivalence_values() -> Result<String> {
    let mut a = Anchored::default();
    a.put("tolerance", format!("{:e}", super::LISTING_TOLERANCE));

    // Worked example: CE per sample, sum = NLL, mean = NLL / N.
    let targets = worked_targets();
    let logits = logits_of(&super::WORKED_PROBS);
    let ce = |r: Reduction| -> Result<f64> {
        scalar(&cross_entropy(
            &logits,
            Target::Indices(&targets),
            &CrossEntropyOptions::default().reduction(r),
        )?)
    };
    let observed: Vec<f64> = super::WORKED_PROBS
        .iter()
        .zip(&super::WORKED_LABELS)
        .map(|(q, &y)| q[y])
        .collect();
    let likelihood: f64 = observed.iter().product();
    a.put("worked_q0", tuple(&super::WORKED_PROBS[0]));
    a.put("worked_q1", tuple(&super::WORKED_PROBS[1]));
    a.put(
        "worked_labels",
        format!("({}, {})", super::WORKED_LABELS[0], super::WORKED_LABELS[1]),
    );
    a.put("worked_likelihood", format!("{likelihood:.2}"));
    a.put(
        "worked_nll",
        f6(crate::likelihood::negative_log_likelihood(&observed)?),
    );
    a.put("worked_sum_ce", f6(ce(Reduction::Sum)?));
    a.put("worked_mean_ce", f6(ce(Reduction::Mean)?));

    // The conditional example: the best conditional model and its loss.
    let p = conditional_frequencies(&COND_INPUTS, &COND_LABELS, 3)?;
    let rows: Vec<String> = p
        .row_iter()
        .map(|r| tuple(&r.iter().copied().collect::<Vec<_>>()))
        .collect();
    a.put("cond_pairs", {
        let pairs: Vec<String> = COND_INPUTS
            .iter()
            .zip(&COND_LABELS)
            .map(|(x, y)| format!("({x}, {y})"))
            .collect();
        pairs.join(", ")
    });
    a.put("cond_p0", &rows[0]);
    a.put("cond_p1", &rows[1]);
    let n = COND_INPUTS.len() as f64;
    let mut h_cond = 0.0;
    for x in 0..p.nrows() {
        let share = COND_INPUTS.iter().filter(|&&i| i == x).count() as f64 / n;
        h_cond += share * entropy(&p.row(x).transpose())?;
    }
    a.put("cond_entropy", f6(h_cond));
    let marginal = categorical_mle(&COND_LABELS, 3)?;
    a.put("cond_marginal", tuple(marginal.as_slice()));
    a.put("cond_marginal_entropy", f6(entropy(&marginal)?));

    // Soft target: CE = H + KL.
    let p = dist(&super::SOFT_P);
    let q = dist(&super::SOFT_Q);
    a.put("soft_p", tuple(&super::SOFT_P));
    a.put("soft_q", tuple(&super::SOFT_Q));
    a.put("soft_entropy", f6(entropy(&p)?));
    a.put("soft_kl", f6(kl_divergence(&p, &q)?));
    a.put("soft_ce", f6(h_cross(&p, &q)?));
    let z = DMatrix::from_fn(1, 3, |_, k| super::SOFT_Q[k].ln());
    let target = DMatrix::from_row_slice(1, 3, &super::SOFT_P);
    a.put(
        "soft_loss",
        f6(scalar(&cross_entropy(
            &z,
            Target::Probabilities(&target),
            &CrossEntropyOptions::default(),
        )?)?),
    );
    Ok(a.0)
}
