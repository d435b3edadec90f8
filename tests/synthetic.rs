//! `ce_mle::data::synthetic` (the seeded data sets of the book's practical chapters) and
//! `SoftmaxClassifier::calibration_error`.

use ce_mle::data::synthetic::{gaussian_classes, jitter, noisy_rule, shift_inputs};
use ce_mle::data::{Classification, rng};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use nalgebra::{DMatrix, DVector};

#[test]
fn noisy_rule_labels_follow_the_rule_without_noise() {
    let d = noisy_rule(50, 5, 0.0, &mut rng(2)).unwrap();
    for i in 0..50 {
        let best = (0..3)
            .max_by(|&a, &b| d.x[(i, a)].total_cmp(&d.x[(i, b)]))
            .unwrap();
        assert_eq!(d.y[i], best as i64);
    }
    let kind = |r: ce_mle::Result<Classification>| r.expect_err("refused").kind();
    assert_eq!(
        kind(noisy_rule(5, 2, 0.0, &mut rng(2))),
        "InvalidHyperParameter"
    );
    assert_eq!(kind(noisy_rule(0, 5, 0.0, &mut rng(2))), "Empty");
    assert_eq!(
        kind(noisy_rule(5, 5, 1.5, &mut rng(2))),
        "InvalidHyperParameter"
    );
}

#[test]
fn shift_moves_every_input_and_keeps_labels() {
    let means = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, -1.0, 0.0]);
    let d = gaussian_classes(20, &means, 0.5, &mut rng(3)).unwrap();
    let s = shift_inputs(&d, &DVector::from_row_slice(&[2.0, -1.0])).unwrap();
    assert_eq!(s.y, d.y);
    assert!(
        (s.x.column(0) - d.x.column(0))
            .iter()
            .all(|v| (v - 2.0).abs() < 1e-12)
    );
    let kind = |r: ce_mle::Result<Classification>| r.expect_err("refused").kind();
    assert_eq!(
        kind(shift_inputs(&d, &DVector::from_row_slice(&[1.0]))),
        "ShapeMismatch"
    );
    assert_eq!(
        kind(gaussian_classes(5, &means, 0.0, &mut rng(3))),
        "InvalidHyperParameter"
    );
}

#[test]
fn jitter_appends_noisy_copies() {
    let d = Classification {
        x: DMatrix::from_row_slice(2, 1, &[1.0, 2.0]),
        y: vec![0, 1],
        classes: 2,
    };
    let j = jitter(&d, 2, 0.1, &mut rng(4)).unwrap();
    assert_eq!(j.x.nrows(), 6);
    assert_eq!(j.y, [0, 1, 0, 1, 0, 1]);
    assert_eq!(j.x.rows(0, 2), d.x);
    assert!((j.x[(2, 0)] - 1.0).abs() < 0.5 && j.x[(2, 0)] != 1.0);
    assert_eq!(jitter(&d, 3, 0.0, &mut rng(4)).unwrap().x[(4, 0)], 1.0);
}

#[test]
fn calibration_error_of_a_certain_right_model_is_zero() {
    // Logits so large that the top probability is 1 and always right.
    let w = DMatrix::from_row_slice(2, 1, &[100.0, -100.0]);
    let m = SoftmaxClassifier::new(Linear::from_parameters(w, DVector::zeros(2)).unwrap());
    let d = Classification {
        x: DMatrix::from_row_slice(3, 1, &[1.0, -1.0, 2.0]),
        y: vec![0, 1, 0],
        classes: 2,
    };
    assert!(m.calibration_error(&d, 10).unwrap() < 1e-12);
    assert_eq!(m.calibration_error(&d, 0).unwrap_err().kind(), "Empty");
}
