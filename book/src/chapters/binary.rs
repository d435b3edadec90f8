//! Binary, multi-label and regression losses: BCE with logits as a Bernoulli NLL, MSE as a Gaussian
//! NLL.
//!
//! The numbers and figures of `book/{en,zh}/src/binary.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/binary.rs`) asserts it uses.

use nalgebra::DMatrix;
use statrs::distribution::{Bernoulli, Continuous, Discrete, Normal};

use ce_mle::loss::{
    BceOptions, BceWithLogitsOptions, CrossEntropyOptions, Reduction, Target, binary_cross_entropy,
    binary_cross_entropy_with_logits, cross_entropy, mse_loss,
};

use super::{
    Anchored, Outputs, book_err, fixed6, prose_number, scalar, trimmed, tuple_exact, tuple_fixed6,
};
use crate::error::Result;

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

fn binary_values() -> Result<String> {
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
    a.put("logits", prose_number(&tuple_exact(&BIN_LOGITS)));
    a.put("targets", tuple_exact(&BIN_TARGETS));
    let s: Vec<f64> = BIN_LOGITS.iter().map(|&x| sigma(x)).collect();
    a.put("sigmas", tuple_fixed6(&s));
    a.put("per_label", tuple_fixed6(per.as_slice()));
    a.put("oracle", tuple_fixed6(&oracle));
    a.put("sum", fixed6(per.sum()));
    a.put("mean", fixed6(per.sum() / k as f64));
    let joint: f64 = oracle.iter().map(|l| (-l).exp()).product();
    a.put("joint_prob", fixed6(joint));
    a.put("joint_nll", fixed6(-joint.ln()));

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
    a.put("big_stable", trimmed(stable));

    // Plain BCE on probabilities clamps its logs at −100.
    let clamped = scalar(&binary_cross_entropy(
        &DMatrix::from_element(1, 1, 0.0),
        &DMatrix::from_element(1, 1, 1.0),
        &BceOptions::default(),
    )?)?;
    a.put(
        "clamp",
        prose_number(&ce_mle::loss::BCE_LOG_CLAMP.to_string()),
    );
    a.put("clamped_loss", trimmed(clamped));

    // Two-class softmax = sigmoid of the logit difference.
    let z = DMatrix::from_row_slice(1, 2, &[BIN_LOGITS[0], 0.0]);
    let ce2 = scalar(&cross_entropy(
        &z,
        Target::Indices(&[0]),
        &CrossEntropyOptions::default(),
    )?)?;
    a.put("two_class_z", tuple_exact(&[BIN_LOGITS[0], 0.0]));
    a.put("two_class_ce", fixed6(ce2));

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
    a.put("mse_pred", tuple_exact(&MSE_PRED));
    a.put("mse_obs", tuple_exact(&MSE_OBS));
    a.put("mse", fixed6(mse));
    a.put("gauss_nll", fixed6(nll));
    a.put("gauss_const", fixed6(c));
    a.put("gauss_check", fixed6(mse / 2.0 + c));
    Ok(a.0)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "binary",
    files: &["binary-values.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![binary_values()?])
}
