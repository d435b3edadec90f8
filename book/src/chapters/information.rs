//! Information theory: entropy, cross-entropy, KL divergence and the two-class cross-entropy curve.
//!
//! The numbers and figures of `book/{en,zh}/src/information.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/information.rs`) asserts it uses.

use nalgebra::DVector;

use ce_mle::information::{cross_entropy_between, entropy, kl_divergence, self_information};

use super::{
    Anchored, Outputs, Texts, book_err, check_lang, dist, fixed6, lang_texts, trimmed, tuple_exact,
};
use crate::error::Result;
use crate::plot::{Chart, line_chart};

/// Target probability of class 0 in the two-class cross-entropy curve of the information
/// chapter: `p = (CURVE_P, 1 − CURVE_P)`.
pub const CURVE_P: f64 = 0.3;
/// Grid step of that curve (`q = 0.01, 0.02, …, 0.99`).
pub const CURVE_STEP: f64 = 0.01;
/// Two models on either side of [`CURVE_P`] whose cross-entropies the chapter quotes.
const CURVE_LEFT: f64 = 0.1;
/// See [`CURVE_LEFT`].
const CURVE_RIGHT: f64 = 0.9;
/// The soft target `p` of the chapter's CE = H + KL example.
pub const SOFT_P: [f64; 3] = [0.7, 0.2, 0.1];
/// The model `q` of the chapter's CE = H + KL example.
pub const SOFT_Q: [f64; 3] = [0.5, 0.3, 0.2];

/// The two-class cross-entropy `H(p, q)` with `p = (CURVE_P, 1 − CURVE_P)` and
/// `q = (x, 1 − x)`, on the grid of [`CURVE_STEP`].
fn ce_curve() -> Result<Vec<(f64, f64)>> {
    let p = dist(&[CURVE_P, 1.0 - CURVE_P]);
    let n = (1.0 / CURVE_STEP).round() as usize;
    (1..n)
        .map(|i| {
            let x = i as f64 * CURVE_STEP;
            Ok((x, cross_entropy_between(&p, &dist(&[x, 1.0 - x]))?))
        })
        .collect()
}

fn information_values() -> Result<String> {
    let mut a = Anchored::default();
    a.put("coin_nats", fixed6(self_information(0.5)?));
    a.put("coin_bits", trimmed(self_information(0.5)? / 2f64.ln()));
    a.put("two_coins_nats", fixed6(self_information(0.25)?));
    a.put("die_nats", fixed6(self_information(1.0 / 6.0)?));
    a.put("likely_nats", fixed6(self_information(0.99)?));
    a.put("rare_nats", fixed6(self_information(0.01)?));
    a.put(
        "uniform3_entropy",
        fixed6(entropy(&DVector::from_element(3, 1.0 / 3.0))?),
    );
    a.put(
        "certain_entropy",
        trimmed(entropy(&dist(&[1.0, 0.0, 0.0]))?.abs()),
    );

    let p = dist(&SOFT_P);
    let q = dist(&SOFT_Q);
    a.put("soft_p", tuple_exact(&SOFT_P));
    a.put("soft_q", tuple_exact(&SOFT_Q));
    a.put("soft_entropy", fixed6(entropy(&p)?));
    a.put("soft_ce", fixed6(cross_entropy_between(&p, &q)?));
    a.put("soft_kl", fixed6(kl_divergence(&p, &q)?));
    a.put("soft_kl_reverse", fixed6(kl_divergence(&q, &p)?));
    a.put("soft_ce_reverse", fixed6(cross_entropy_between(&q, &p)?));

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
    a.put("curve_p_other", trimmed(1.0 - CURVE_P));
    a.put("curve_step", CURVE_STEP);
    a.put("curve_min_q", trimmed(qmin));
    a.put("curve_min", fixed6(vmin));
    a.put("curve_entropy", fixed6(hp));
    let at = |x: f64| -> Result<String> {
        Ok(fixed6(cross_entropy_between(
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
            x: "q₀ = model probability of class 0",
            y: "H(p, q) (nats)",
        },
        Texts {
            title: "两类的交叉熵 H(p, q)，p = (CURVE_P)",
            x: "q₀ = 模型给类别 0 的概率",
            y: "H(p, q)（奈特）",
        },
    );
    let marker = if lang == "zh" {
        format!("最小值 H(p) = {hp:.3}，在 q₀ = p₀ 处")
    } else {
        format!("minimum H(p) = {hp:.3}, at q₀ = p₀")
    };
    // A drop line from the q axis to the minimum marks where it is and what it is worth.
    // The title names the target: p = (CURVE_P, 1 − CURVE_P).
    let p_text = format!("{}, {}", trimmed(CURVE_P), trimmed(1.0 - CURVE_P));
    let title = t.title.replace("CURVE_P", &p_text);
    let chart = Chart::new(&title, t.x, t.y)
        .with_series("H(p, q)", curve)
        .with_series(&marker, vec![(CURVE_P, 0.0), (CURVE_P, hp)]);
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "information",
    files: &[
        "information-values.txt",
        "information-ce-curve.en.svg",
        "information-ce-curve.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![
        information_values()?,
        information_ce_curve("en")?,
        information_ce_curve("zh")?,
    ])
}
