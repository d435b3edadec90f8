//! Worked examples with hard-coded values, computed independently of this crate (by hand
//! and with PyTorch's formulas). Tolerance 1e-6 unless stated: the expected values are
//! printed to six decimals.

use ce_mle::loss::{
    self, BceWithLogitsOptions, CrossEntropyOptions, NllLossOptions, Reduction, Target,
};
use ce_mle::softmax;
use nalgebra::{DMatrix, DVector};

use crate::generators::assert_close;

const TOL: f64 = 1e-6;

fn ce(z: &DMatrix<f64>, t: &[i64], opts: CrossEntropyOptions) -> f64 {
    loss::cross_entropy(z, Target::Indices(t), &opts)
        .unwrap()
        .scalar()
        .unwrap()
}

/// C = 3, ε = 0.2, logits [[1,2,3],[0,0,5]], targets [2, ignored]: the kept row alone
/// contributes 0.8·0.407606 + 0.2·1.407606, and mean = sum (denominator w_2 = 1).
#[test]
fn label_smoothing_with_an_ignored_row() {
    let z = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 0.0, 0.0, 5.0]);
    let t = [2, -100];
    let o = CrossEntropyOptions::default().label_smoothing(0.2);
    assert_close("mean", ce(&z, &t, o.clone()), 0.607606, TOL, 0.0);
    assert_close(
        "sum",
        ce(&z, &t, o.reduction(Reduction::Sum)),
        0.607606,
        TOL,
        0.0,
    );
}

/// Weights [0.2, 0.3], ε = 0.1, logits [[1,2],[3,0.4]], targets [ignored, 1]: the mean
/// divides the sum by w_1 = 0.3 (not by N = 2, nor by 1 kept row).
#[test]
fn weighted_label_smoothing_with_an_ignored_row() {
    let z = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 0.4]);
    let t = [-100, 1];
    let o = CrossEntropyOptions::default()
        .weight(DVector::from_row_slice(&[0.2, 0.3]))
        .label_smoothing(0.1);
    assert_close("mean", ce(&z, &t, o.clone()), 2.540451, TOL, 0.0);
    assert_close(
        "sum",
        ce(&z, &t, o.reduction(Reduction::Sum)),
        0.762135,
        TOL,
        0.0,
    );
}

/// 512 equal logits: softmax 1/512 each, CE = ln 512 = 6.238325 whatever the target.
/// Adding 1e6 to every logit keeps them all equal, so every difference z_i − max z is
/// exactly 0 and nothing but rounding could change the results: we allow 1e-12 (about
/// 512·ε·ln 512), and the 1e6-shifted logsumexp must be 1e6 + ln 512 to 1e6·ε.
#[test]
fn five_hundred_twelve_equal_logits() {
    const C: usize = 512;
    let z = DMatrix::from_element(2, C, 0.37);
    let t = [0, 511];
    let q = softmax::softmax(&z).unwrap();
    for &v in q.iter() {
        assert_close("softmax entry", v, 1.0 / 512.0, 1e-15, 0.0);
    }
    let base = ce(&z, &t, CrossEntropyOptions::default());
    assert_close("CE", base, 6.238325, TOL, 0.0);
    let shifted = z.add_scalar(1e6);
    let q2 = softmax::softmax(&shifted).unwrap();
    for (a, b) in q.iter().zip(q2.iter()) {
        assert_close("shifted softmax", *b, *a, 1e-12, 0.0);
    }
    assert_close(
        "shifted CE",
        ce(&shifted, &t, CrossEntropyOptions::default()),
        base,
        1e-12,
        0.0,
    );
    let lse = softmax::logsumexp(&shifted).unwrap();
    assert_close(
        "shifted logsumexp",
        lse[0],
        (1e6 + 0.37) + 512f64.ln(),
        1e6 * f64::EPSILON,
        0.0,
    );
}

/// Extreme logits: a row of −∞ has logsumexp −∞ (not NaN); [MAX, MAX] gives MAX (the exact
/// MAX + ln 2 rounds to it); ±1e308 work in softmax, log_softmax and the loss.
#[test]
fn extreme_logits() {
    let z = DMatrix::from_row_slice(1, 3, &[f64::NEG_INFINITY; 3]);
    let lse = softmax::logsumexp(&z).unwrap();
    assert_eq!(lse[0], f64::NEG_INFINITY);

    let z = DMatrix::from_row_slice(1, 2, &[f64::MAX, f64::MAX]);
    assert_eq!(softmax::logsumexp(&z).unwrap()[0], f64::MAX);
    let q = softmax::softmax(&z).unwrap();
    assert_eq!(q.as_slice(), &[0.5, 0.5]);
    assert_close(
        "CE at [MAX, MAX]",
        ce(&z, &[1], CrossEntropyOptions::default()),
        2f64.ln(),
        1e-15,
        0.0,
    );

    let z = DMatrix::from_row_slice(1, 2, &[1e308, -1e308]);
    assert_eq!(softmax::logsumexp(&z).unwrap()[0], 1e308);
    let q = softmax::softmax(&z).unwrap();
    assert_eq!(q.as_slice(), &[1.0, 0.0]);
    let lq = softmax::log_softmax(&z).unwrap();
    assert_eq!(lq[(0, 0)], 0.0);
    // The exact value −2e308 is below −MAX: −∞ is its correct rounding.
    assert_eq!(lq[(0, 1)], f64::NEG_INFINITY);
    assert_eq!(ce(&z, &[0], CrossEntropyOptions::default()), 0.0);
    assert_eq!(ce(&z, &[1], CrossEntropyOptions::default()), f64::INFINITY);

    let z = DMatrix::from_row_slice(1, 3, &[-1e308, -1e308, -1e308]);
    let q = softmax::softmax(&z).unwrap();
    for &v in q.iter() {
        assert_close("softmax of equal −1e308", v, 1.0 / 3.0, 1e-15, 0.0);
    }
    assert_close(
        "CE of equal −1e308",
        ce(&z, &[2], CrossEntropyOptions::default()),
        3f64.ln(),
        1e-15,
        0.0,
    );
}

/// BCE with logits, x = [−120, 0], y = [1, 0]: (softplus(120) + softplus(0)) / 2
/// = (120 + ln 2) / 2 = 60.346574; the same with pos_weight = 1, as a row (1, 2) or a
/// column (2, 1).
#[test]
fn bce_with_logits_far_negative_positive() {
    let cases = [
        (
            DMatrix::from_row_slice(1, 2, &[-120.0, 0.0]),
            DMatrix::from_row_slice(1, 2, &[1.0, 0.0]),
        ),
        (
            DMatrix::from_row_slice(2, 1, &[-120.0, 0.0]),
            DMatrix::from_row_slice(2, 1, &[1.0, 0.0]),
        ),
    ];
    for (x, y) in &cases {
        let k = x.ncols();
        for pos_weight in [None, Some(DVector::from_element(k, 1.0))] {
            let opts = BceWithLogitsOptions {
                pos_weight,
                ..Default::default()
            };
            let l = loss::binary_cross_entropy_with_logits(x, y, &opts)
                .unwrap()
                .scalar()
                .unwrap();
            assert_close("BCE mean", l, 60.346574, TOL, 0.0);
        }
    }
}

/// Predicted probabilities [[0.1,0.3,0.6],[0.3,0.2,0.5]], labels [0, 2]:
/// mean CE = −(ln 0.1 + ln 0.5) / 2 = 1.4978661367769954, from logits ln p and from
/// `nll_loss` on ln p.
#[test]
fn cross_entropy_from_predicted_probabilities() {
    let p = DMatrix::from_row_slice(2, 3, &[0.1, 0.3, 0.6, 0.3, 0.2, 0.5]);
    let lnp = p.map(f64::ln);
    let t = [0, 2];
    assert_close(
        "CE from logits ln p",
        ce(&lnp, &t, CrossEntropyOptions::default()),
        1.4978661367769954,
        TOL,
        0.0,
    );
    let nll = loss::nll_loss(&lnp, &t, &NllLossOptions::default())
        .unwrap()
        .scalar()
        .unwrap();
    assert_close("nll_loss on ln p", nll, 1.4978661367769954, TOL, 0.0);
}

/// BCE with logits far from 0 must not overflow: −ln(1 − σ(800)) = 800 and −ln σ(−800) = 800
/// (a naive `ln(1 + e^x)` gives +∞ and `ln σ(x)` gives −∞ there); at x = 40, y = 0 the loss is
/// 40 + ln(1 + e^{-40}) = 40 to the last bit.
#[test]
fn bce_with_logits_far_from_zero_does_not_overflow() {
    let x = DMatrix::from_row_slice(1, 3, &[800.0, -800.0, 40.0]);
    let y = DMatrix::from_row_slice(1, 3, &[0.0, 1.0, 0.0]);
    let opts = BceWithLogitsOptions {
        reduction: Reduction::None,
        ..Default::default()
    };
    let per = loss::binary_cross_entropy_with_logits(&x, &y, &opts).unwrap();
    assert_eq!(per.per_sample().unwrap().as_slice(), &[800.0, 800.0, 40.0]);
}
