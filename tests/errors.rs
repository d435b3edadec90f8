//! One test per bad input: the exact `Error` variant (and its fields), and the documented
//! choices where we differ from PyTorch (NaN logits, an undefined mean, an empty batch).

use ce_mle::Error;
use ce_mle::information;
use ce_mle::likelihood;
use ce_mle::loss::{
    self, BceWithLogitsOptions, CrossEntropyOptions, Loss, NllLossOptions, Reduction, Target,
};
use ce_mle::softmax;
use nalgebra::{DMatrix, DVector};

fn z23() -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 0.5, -1.0, 0.0])
}

fn ce_idx(z: &DMatrix<f64>, t: &[i64], o: &CrossEntropyOptions) -> Result<Loss, Error> {
    loss::cross_entropy(z, Target::Indices(t), o)
}

fn ce_prob(z: &DMatrix<f64>, p: &DMatrix<f64>, o: &CrossEntropyOptions) -> Result<Loss, Error> {
    loss::cross_entropy(z, Target::Probabilities(p), o)
}

fn bce(x: &DMatrix<f64>, y: &DMatrix<f64>, o: &BceWithLogitsOptions) -> Result<Loss, Error> {
    loss::binary_cross_entropy_with_logits(x, y, o)
}

fn def() -> CrossEntropyOptions {
    CrossEntropyOptions::default()
}

fn uniform_rows(n: usize, c: usize) -> DMatrix<f64> {
    DMatrix::from_element(n, c, 1.0 / c as f64)
}

// ------------------------------------------------------------------ targets

#[test]
fn class_index_at_or_above_c() {
    let e = ce_idx(&z23(), &[0, 3], &def()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ClassIndexOutOfRange {
                row: 1,
                index: 3,
                classes: 3,
                ignore_index: -100
            }
        ),
        "{e:?}"
    );
    let e = loss::nll_loss(&z23(), &[7, 0], &NllLossOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ClassIndexOutOfRange {
                row: 0,
                index: 7,
                classes: 3,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn negative_index_other_than_ignore_index() {
    let e = ce_idx(&z23(), &[-1, 0], &def()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ClassIndexOutOfRange {
                row: 0,
                index: -1,
                ..
            }
        ),
        "{e:?}"
    );
    // With ignore_index = -1, the default -100 is now the bad one.
    let e = ce_idx(&z23(), &[-1, -100], &def().ignore_index(-1)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ClassIndexOutOfRange {
                row: 1,
                index: -100,
                ignore_index: -1,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn target_length_mismatch() {
    let e = ce_idx(&z23(), &[0, 1, 2], &def()).unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "target", .. }),
        "{e:?}"
    );
    let e = loss::nll_loss(&z23(), &[0], &NllLossOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "target", .. }),
        "{e:?}"
    );
}

#[test]
fn probability_target_shape_mismatch() {
    for p in [uniform_rows(3, 3), uniform_rows(2, 2), uniform_rows(2, 4)] {
        let e = ce_prob(&z23(), &p, &def()).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeMismatch { what: "target", expected, .. } if expected == "(2, 3)"),
            "{e:?}"
        );
    }
}

#[test]
fn weight_length_mismatch() {
    let o = def().weight(DVector::from_element(2, 1.0));
    let e = ce_idx(&z23(), &[0, 1], &o).unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "weight", .. }),
        "{e:?}"
    );
    let o = NllLossOptions {
        weight: Some(DVector::from_element(4, 1.0)),
        ..Default::default()
    };
    let e = loss::nll_loss(&z23(), &[0, 1], &o).unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "weight", .. }),
        "{e:?}"
    );
}

#[test]
fn label_smoothing_out_of_range_or_nan() {
    for eps in [-0.1, 1.5] {
        let e = ce_idx(&z23(), &[0, 1], &def().label_smoothing(eps)).unwrap_err();
        assert!(
            matches!(e, Error::InvalidLabelSmoothing(v) if v == eps),
            "{e:?}"
        );
    }
    let e = ce_idx(&z23(), &[0, 1], &def().label_smoothing(f64::NAN)).unwrap_err();
    assert!(
        matches!(e, Error::InvalidLabelSmoothing(v) if v.is_nan()),
        "{e:?}"
    );
    // The end points are fine.
    for eps in [0.0, 1.0] {
        assert!(ce_idx(&z23(), &[0, 1], &def().label_smoothing(eps)).is_ok());
    }
}

#[test]
fn negative_nan_or_infinite_class_weight() {
    for bad in [-0.5, f64::NAN, f64::INFINITY] {
        let o = def().weight(DVector::from_row_slice(&[1.0, bad, 1.0]));
        let e = ce_idx(&z23(), &[0, 1], &o).unwrap_err();
        assert!(
            matches!(e, Error::InvalidWeight { what: "weight", index: 1, value } if value.to_bits() == bad.to_bits()),
            "{e:?}"
        );
        let e = ce_prob(&z23(), &uniform_rows(2, 3), &o).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidWeight {
                    what: "weight",
                    index: 1,
                    ..
                }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn bad_pos_weight_and_bce_weight() {
    let x = DMatrix::from_row_slice(2, 2, &[0.1, -0.2, 0.3, 2.0]);
    let y = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    for bad in [-1.0, f64::NAN, f64::NEG_INFINITY] {
        let o = BceWithLogitsOptions {
            pos_weight: Some(DVector::from_row_slice(&[1.0, bad])),
            ..Default::default()
        };
        let e = bce(&x, &y, &o).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidWeight {
                    what: "pos_weight",
                    index: 1,
                    ..
                }
            ),
            "{e:?}"
        );
        let o = BceWithLogitsOptions {
            weight: Some(DMatrix::from_row_slice(2, 2, &[1.0, 1.0, bad, 1.0])),
            ..Default::default()
        };
        let e = bce(&x, &y, &o).unwrap_err();
        assert!(
            matches!(e, Error::InvalidWeight { what: "weight", .. }),
            "{e:?}"
        );
    }
    let o = BceWithLogitsOptions {
        pos_weight: Some(DVector::from_element(3, 1.0)),
        ..Default::default()
    };
    let e = bce(&x, &y, &o).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "pos_weight",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn probability_row_with_a_negative_entry() {
    let p = DMatrix::from_row_slice(2, 3, &[0.2, 0.3, 0.5, 1.2, -0.2, 0.0]);
    let e = ce_prob(&z23(), &p, &def()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidDistribution {
                what: "target",
                row: 1,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn probability_row_not_summing_to_one() {
    let p = DMatrix::from_row_slice(2, 3, &[0.2, 0.3, 0.4, 0.2, 0.3, 0.5]);
    let e = ce_prob(&z23(), &p, &def()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidDistribution {
                what: "target",
                row: 0,
                ..
            }
        ),
        "{e:?}"
    );
    // Within PROB_SUM_TOL is accepted.
    let p = DMatrix::from_row_slice(1, 2, &[0.5, 0.5 + 0.5 * information::PROB_SUM_TOL]);
    assert!(ce_prob(&DMatrix::zeros(1, 2), &p, &def()).is_ok());
}

#[test]
fn ignore_index_non_negative_with_probability_targets() {
    for ii in [0, 2, 100] {
        let e = ce_prob(&z23(), &uniform_rows(2, 3), &def().ignore_index(ii)).unwrap_err();
        assert!(matches!(e, Error::IgnoreIndexWithProbabilities), "{e:?}");
    }
    assert!(ce_prob(&z23(), &uniform_rows(2, 3), &def().ignore_index(-1)).is_ok());
}

// ------------------------------------------------------------------ empty and degenerate

#[test]
fn empty_batch_mean_is_an_error_sum_is_zero_none_is_empty() {
    let z = DMatrix::<f64>::zeros(0, 3);
    let e = ce_idx(&z, &[], &def()).unwrap_err();
    assert!(matches!(e, Error::Empty(_)), "{e:?}");
    assert_eq!(
        ce_idx(&z, &[], &def().reduction(Reduction::Sum)).unwrap(),
        Loss::Scalar(0.0)
    );
    let none = ce_idx(&z, &[], &def().reduction(Reduction::None)).unwrap();
    assert_eq!(none.per_sample().unwrap().len(), 0);
    let p = DMatrix::<f64>::zeros(0, 3);
    assert!(matches!(
        ce_prob(&z, &p, &def()).unwrap_err(),
        Error::Empty(_)
    ));
    let e = loss::nll_loss(&z, &[], &NllLossOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Empty(_)), "{e:?}");
    let x = DMatrix::<f64>::zeros(0, 2);
    assert!(matches!(
        bce(&x, &x, &BceWithLogitsOptions::default()).unwrap_err(),
        Error::Empty(_)
    ));
    let o = BceWithLogitsOptions {
        reduction: Reduction::Sum,
        ..Default::default()
    };
    assert_eq!(bce(&x, &x, &o).unwrap(), Loss::Scalar(0.0));
}

#[test]
fn zero_classes() {
    let z = DMatrix::<f64>::zeros(2, 0);
    assert!(matches!(
        ce_idx(&z, &[0, 0], &def()).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        loss::nll_loss(&z, &[0, 0], &NllLossOptions::default()).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(softmax::softmax(&z).unwrap_err(), Error::Empty(_)));
    assert!(matches!(
        softmax::log_softmax(&z).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        softmax::logsumexp(&z).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        softmax::softmax_vector(&DVector::<f64>::zeros(0)).unwrap_err(),
        Error::Empty(_)
    ));
}

// ------------------------------------------------------------------ non-finite logits

/// PyTorch propagates NaN; we refuse it with the position (documented choice).
#[test]
fn nan_logit() {
    let mut z = z23();
    z[(1, 2)] = f64::NAN;
    let e = ce_idx(&z, &[0, 1], &def()).unwrap_err();
    assert!(
        matches!(e, Error::InvalidValue { what: "input", row: 1, col: 2, value, .. } if value.is_nan()),
        "{e:?}"
    );
    let e = softmax::softmax(&z).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidValue {
                what: "logits",
                row: 1,
                col: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        softmax::log_softmax(&z).unwrap_err(),
        Error::InvalidValue { row: 1, col: 2, .. }
    ));
    assert!(matches!(
        softmax::logsumexp(&z).unwrap_err(),
        Error::InvalidValue { row: 1, col: 2, .. }
    ));
    let e = loss::nll_loss(&z, &[0, 1], &NllLossOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::InvalidValue { row: 1, col: 2, .. }),
        "{e:?}"
    );
    let x = DMatrix::from_row_slice(1, 2, &[0.0, f64::NAN]);
    let e = bce(&x, &DMatrix::zeros(1, 2), &BceWithLogitsOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidValue {
                what: "input",
                row: 0,
                col: 1,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn positive_infinite_logit() {
    let mut z = z23();
    z[(0, 1)] = f64::INFINITY;
    let e = ce_idx(&z, &[0, 1], &def()).unwrap_err();
    assert!(
        matches!(e, Error::InvalidValue { what: "input", row: 0, col: 1, value, .. } if value == f64::INFINITY),
        "{e:?}"
    );
    assert!(matches!(
        softmax::softmax(&z).unwrap_err(),
        Error::InvalidValue { row: 0, col: 1, .. }
    ));
    assert!(matches!(
        softmax::logsumexp(&z).unwrap_err(),
        Error::InvalidValue { row: 0, col: 1, .. }
    ));
}

#[test]
fn row_of_only_negative_infinity() {
    let mut z = z23();
    for k in 0..3 {
        z[(1, k)] = f64::NEG_INFINITY;
    }
    assert!(matches!(
        softmax::softmax(&z).unwrap_err(),
        Error::AllNegInfRow { row: 1 }
    ));
    assert!(matches!(
        softmax::log_softmax(&z).unwrap_err(),
        Error::AllNegInfRow { row: 1 }
    ));
    let lse = softmax::logsumexp(&z).unwrap();
    assert_eq!(lse[1], f64::NEG_INFINITY);
    assert!(lse[0].is_finite());
    assert!(matches!(
        ce_idx(&z, &[0, 1], &def()).unwrap_err(),
        Error::AllNegInfRow { row: 1 }
    ));
    assert!(matches!(
        ce_prob(&z, &uniform_rows(2, 3), &def()).unwrap_err(),
        Error::AllNegInfRow { row: 1 }
    ));
    // An ignored all −∞ row is never looked at.
    assert!(
        ce_idx(&z, &[0, -100], &def())
            .unwrap()
            .scalar()
            .unwrap()
            .is_finite()
    );
}

/// Where the target class has logit −∞ the observed event had probability 0: the loss is +∞
/// (as in PyTorch), never NaN, and the gradient stays finite (softmax − onehot).
#[test]
fn negative_infinite_logit_at_the_target_gives_infinite_loss() {
    let z = DMatrix::from_row_slice(1, 3, &[f64::NEG_INFINITY, 0.0, 1.0]);
    for eps in [0.0, 0.1] {
        let (l, g) =
            loss::cross_entropy_with_grad(&z, Target::Indices(&[0]), &def().label_smoothing(eps))
                .unwrap();
        assert_eq!(l.scalar().unwrap(), f64::INFINITY, "ε = {eps}");
        assert!(g.iter().all(|v| v.is_finite()), "ε = {eps}: gradient {g:?}");
    }
    // A −∞ logit elsewhere is harmless when ε = 0 (its class has probability 0 and target 0).
    let l = ce_idx(&z, &[2], &def()).unwrap().scalar().unwrap();
    assert!(l.is_finite() && l > 0.0, "{l}");
    let l = loss::nll_loss(&z, &[0], &NllLossOptions::default())
        .unwrap()
        .scalar()
        .unwrap();
    assert_eq!(l, f64::INFINITY);
}

// ------------------------------------------------------------------ undefined mean

/// PyTorch returns NaN for a mean over no kept target; we refuse. Sum is 0, None is zeros.
#[test]
fn mean_over_all_ignored_targets_is_undefined() {
    let t = [-100, -100];
    assert_eq!(
        ce_idx(&z23(), &t, &def()).unwrap_err(),
        Error::UndefinedMean
    );
    assert_eq!(
        ce_idx(&z23(), &t, &def().reduction(Reduction::Sum)).unwrap(),
        Loss::Scalar(0.0)
    );
    let none = ce_idx(&z23(), &t, &def().reduction(Reduction::None)).unwrap();
    assert_eq!(none.per_sample().unwrap().as_slice(), &[0.0, 0.0]);
    assert_eq!(
        loss::nll_loss(&z23(), &t, &NllLossOptions::default()).unwrap_err(),
        Error::UndefinedMean
    );
    // All kept targets with weight 0: the same 0/0.
    let o = def().weight(DVector::from_row_slice(&[0.0, 1.0, 1.0]));
    assert_eq!(
        ce_idx(&z23(), &[0, 0], &o).unwrap_err(),
        Error::UndefinedMean
    );
}

// ------------------------------------------------------------------ BCE

#[test]
fn bce_target_outside_zero_one() {
    let x = DMatrix::from_row_slice(1, 3, &[0.0, 1.0, 2.0]);
    for bad in [-0.01, 1.5, f64::NAN] {
        let y = DMatrix::from_row_slice(1, 3, &[0.0, 1.0, bad]);
        let e = bce(&x, &y, &BceWithLogitsOptions::default()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidValue {
                    what: "target",
                    row: 0,
                    col: 2,
                    ..
                }
            ),
            "{e:?}"
        );
    }
    let e = bce(&x, &DMatrix::zeros(3, 1), &BceWithLogitsOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::ShapeMismatch { what: "target", .. }),
        "{e:?}"
    );
}

/// ±∞ logits with the matching target are a certain, correct prediction: loss 0 and gradient
/// 0, not NaN (the term with a zero coefficient is dropped). The wrong target gives +∞.
#[test]
fn bce_infinite_logits_with_matching_targets() {
    let x = DMatrix::from_row_slice(1, 2, &[f64::INFINITY, f64::NEG_INFINITY]);
    let y = DMatrix::from_row_slice(1, 2, &[1.0, 0.0]);
    for reduction in [Reduction::Mean, Reduction::Sum] {
        let o = BceWithLogitsOptions {
            pos_weight: Some(DVector::from_row_slice(&[2.0, 3.0])),
            reduction,
            ..Default::default()
        };
        let (l, g) = loss::binary_cross_entropy_with_logits_with_grad(&x, &y, &o).unwrap();
        assert_eq!(l, Loss::Scalar(0.0));
        assert_eq!(g.as_slice(), &[0.0, 0.0]);
    }
    let wrong = DMatrix::from_row_slice(1, 2, &[0.0, 1.0]);
    let l = bce(&x, &wrong, &BceWithLogitsOptions::default())
        .unwrap()
        .scalar()
        .unwrap();
    assert_eq!(l, f64::INFINITY);
}

// ------------------------------------------------------------------ information, likelihood

#[test]
fn information_functions_refuse_non_distributions() {
    let ok = DVector::from_row_slice(&[0.5, 0.5]);
    for bad in [
        DVector::from_row_slice(&[0.5, 0.6]),
        DVector::from_row_slice(&[1.5, -0.5]),
        DVector::from_row_slice(&[f64::NAN, 1.0]),
        DVector::from_row_slice(&[f64::INFINITY, 0.0]),
    ] {
        assert!(matches!(
            information::entropy(&bad).unwrap_err(),
            Error::InvalidDistribution { what: "p", .. }
        ));
        assert!(matches!(
            information::cross_entropy_between(&bad, &ok).unwrap_err(),
            Error::InvalidDistribution { what: "p", .. }
        ));
        assert!(matches!(
            information::cross_entropy_between(&ok, &bad).unwrap_err(),
            Error::InvalidDistribution { what: "q", .. }
        ));
        assert!(matches!(
            information::kl_divergence(&ok, &bad).unwrap_err(),
            Error::InvalidDistribution { what: "q", .. }
        ));
        assert!(matches!(
            information::kl_divergence(&bad, &ok).unwrap_err(),
            Error::InvalidDistribution { what: "p", .. }
        ));
    }
    assert!(matches!(
        information::entropy(&DVector::zeros(0)).unwrap_err(),
        Error::Empty(_)
    ));
    let three = DVector::from_element(3, 1.0 / 3.0);
    assert!(matches!(
        information::cross_entropy_between(&ok, &three).unwrap_err(),
        Error::ShapeMismatch { what: "q", .. }
    ));
    assert!(matches!(
        information::kl_divergence(&ok, &three).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    for p in [-0.1, 1.1, f64::NAN] {
        assert!(matches!(
            information::self_information(p).unwrap_err(),
            Error::InvalidDistribution { .. }
        ));
    }
    // The edge values: I(0) = +∞, I(1) = 0; q = 0 where p > 0 gives H(p, q) = KL = +∞.
    assert_eq!(information::self_information(0.0).unwrap(), f64::INFINITY);
    assert_eq!(information::self_information(1.0).unwrap(), 0.0);
    let q0 = DVector::from_row_slice(&[1.0, 0.0]);
    assert_eq!(
        information::cross_entropy_between(&ok, &q0).unwrap(),
        f64::INFINITY
    );
    assert_eq!(information::kl_divergence(&ok, &q0).unwrap(), f64::INFINITY);
}

#[test]
fn likelihood_functions_refuse_bad_input() {
    assert!(matches!(
        likelihood::log_likelihood(&[0.5, 1.2]).unwrap_err(),
        Error::InvalidValue {
            what: "probs",
            row: 1,
            ..
        }
    ));
    assert!(matches!(
        likelihood::negative_log_likelihood(&[-0.1]).unwrap_err(),
        Error::InvalidValue { row: 0, .. }
    ));
    assert!(matches!(
        likelihood::negative_log_likelihood(&[f64::NAN]).unwrap_err(),
        Error::InvalidValue { .. }
    ));
    assert!(matches!(
        likelihood::categorical_mle(&[], 3).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        likelihood::categorical_mle(&[0, 1], 0).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        likelihood::categorical_mle(&[0, 3], 3).unwrap_err(),
        Error::InvalidValue {
            what: "labels",
            row: 1,
            value: 3.0,
            ..
        }
    ));
    assert!(matches!(
        likelihood::bernoulli_mle(&[]).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        likelihood::gaussian_mle(&[]).unwrap_err(),
        Error::Empty(_)
    ));
    assert!(matches!(
        likelihood::gaussian_mle(&[1.0, f64::INFINITY]).unwrap_err(),
        Error::InvalidValue {
            what: "xs",
            row: 1,
            ..
        }
    ));
    assert_eq!(
        likelihood::negative_log_likelihood(&[0.0]).unwrap(),
        f64::INFINITY
    );
}

// ------------------------------------------------------------------ messages

/// The messages name the bad value and where it is.
#[test]
fn display_messages_name_the_bad_value() {
    let e = ce_idx(&z23(), &[0, 7], &def()).unwrap_err().to_string();
    assert!(e.contains("target[1] = 7") && e.contains("0..3"), "{e}");
    let o = def().weight(DVector::from_row_slice(&[1.0, -0.25, 1.0]));
    let e = ce_idx(&z23(), &[0, 1], &o).unwrap_err().to_string();
    assert!(e.contains("weight[1] = -0.25"), "{e}");
    let e = ce_idx(&z23(), &[0, 1], &def().label_smoothing(1.5))
        .unwrap_err()
        .to_string();
    assert!(e.contains("1.5"), "{e}");
    let mut z = z23();
    z[(1, 0)] = f64::NAN;
    let e = ce_idx(&z, &[0, 1], &def()).unwrap_err().to_string();
    assert!(e.contains("input[1, 0] = NaN"), "{e}");
    let p = DMatrix::from_row_slice(2, 3, &[0.2, 0.3, 0.4, 0.2, 0.3, 0.5]);
    let e = ce_prob(&z23(), &p, &def()).unwrap_err().to_string();
    assert!(e.contains("row 0") && e.contains("0.9"), "{e}");
    assert!(Error::UndefinedMean.to_string().contains("NaN"));
}
