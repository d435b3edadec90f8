extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// Checks every claim of the chapter "Softmax, log-sum-exp and the gradient": stable
// evaluation where the naive formula overflows, underflows or rounds to 0; shift invariance
// and the bounds of log-sum-exp (T6); the gradient softmax − y against finite differences
// (T5); the Hessian diag(q) − q qᵀ positive semi-definite with null direction 1.
//
// `cargo run --example softmax` runs it; `mdbook test` runs it behind each excerpt.

use ce_mle::loss::{self, CrossEntropyOptions, Target, cross_entropy_with_grad};
use ce_mle::softmax::{log_softmax, logsumexp, softmax};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Two computations of the same quantity in f64 agree to this absolute tolerance.
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn stable() -> Result<()> {
    // ANCHOR: stable
    // e^1000 overflows: the textbook formula gives inf / inf = NaN.
    let z = [1000.0_f64, 999.0, 998.0];
    let naive = z[0].exp() / z.iter().map(|v| v.exp()).sum::<f64>();
    assert!(naive.is_nan());
    // Subtracting the maximum first gives the right answer, softmax(0, −1, −2).
    let q = softmax(&DMatrix::from_row_slice(1, 3, &z))?;
    let shifted = softmax(&DMatrix::from_row_slice(1, 3, &[0.0, -1.0, -2.0]))?;
    assert!((&q - &shifted).amax() < TOL);

    // e^−1000 underflows: the naive log-sum-exp is log 0 = −inf; the stable one is finite.
    let small = DMatrix::from_row_slice(1, 2, &[-1000.0, -1000.0]);
    assert_eq!((2.0 * (-1000.0_f64).exp()).ln(), f64::NEG_INFINITY);
    assert!((logsumexp(&small)?[0] - (-1000.0 + 2f64.ln())).abs() < TOL);

    // One class dominates: log(1 + 4e-18) rounds to 0, log1p keeps it.
    let dom = DMatrix::from_row_slice(1, 2, &[0.0, -40.0]);
    let loss0 = -log_softmax(&dom)?[(0, 0)];
    assert_eq!((1.0 + (-40.0_f64).exp()).ln(), 0.0);
    assert!(((loss0 - (-40.0_f64).exp().ln_1p()) / loss0).abs() < 1e-15);
    // ANCHOR_END: stable
    assert_eq!(z, ce_mle_book::chapters::softmax::BIG_LOGITS);
    assert_eq!(
        small.as_slice(),
        ce_mle_book::chapters::softmax::SMALL_LOGITS
    );
    assert_eq!(
        dom.as_slice(),
        ce_mle_book::chapters::softmax::DOMINANT_LOGITS
    );
    // The gradient q − y comes from the logits, whatever formula gives the loss: its class-1
    // component is q₁ = e^−40 / (1 + e^−40) ≈ 4.2e-18, not 0.
    let (_, grad) =
        cross_entropy_with_grad(&dom, Target::Indices(&[0]), &CrossEntropyOptions::default())?;
    let q1 = (-40.0_f64).exp() / (1.0 + (-40.0_f64).exp());
    assert!(grad[(0, 1)] > 0.0 && ((grad[(0, 1)] - q1) / q1).abs() < 1e-15);
    Ok(())
}

fn shift() -> Result<()> {
    // ANCHOR: shift
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let moved = z.add_scalar(100.0);
    // log_softmax(z + c) = log_softmax(z): only differences of logits matter.
    assert!((log_softmax(&moved)? - log_softmax(&z)?).amax() < TOL);
    // logsumexp(z + c) = logsumexp(z) + c, and max z ≤ logsumexp(z) ≤ max z + log C.
    let lse = logsumexp(&z)?[0];
    assert!((logsumexp(&moved)?[0] - (lse + 100.0)).abs() < 1e-10);
    assert!(2.0 <= lse && lse <= 2.0 + 3f64.ln());
    // ANCHOR_END: shift
    assert_eq!(z.as_slice(), ce_mle_book::chapters::softmax::GRAD_LOGITS);
    assert_eq!(100.0, ce_mle_book::chapters::softmax::SHIFT);
    Ok(())
}

fn gradient() -> Result<()> {
    // ANCHOR: gradient
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let y = 0; // the observed class
    let labels = [y as i64];
    let opts = CrossEntropyOptions::default();
    let (_, grad) = cross_entropy_with_grad(&z, Target::Indices(&labels), &opts)?;

    // The formula: softmax(z) − y.
    let mut expected = softmax(&z)?;
    expected[(0, y)] -= 1.0;
    assert!((&grad - &expected).amax() < TOL);

    // Central finite differences of the loss agree with it.
    let h = 1e-6;
    let f = |z: &DMatrix<f64>| {
        loss::cross_entropy(z, Target::Indices(&labels), &opts).map(|l| l.scalar().unwrap())
    };
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += h;
        down[(0, k)] -= h;
        let numeric = (f(&up)? - f(&down)?) / (2.0 * h);
        assert!((numeric - grad[(0, k)]).abs() < 1e-8);
    }
    // The components sum to 0: moving every logit together changes nothing.
    assert!(grad.sum().abs() < TOL);
    // ANCHOR_END: gradient
    assert_eq!(z.as_slice(), ce_mle_book::chapters::softmax::GRAD_LOGITS);
    assert_eq!(y, ce_mle_book::chapters::softmax::GRAD_LABEL);
    assert_eq!(h, ce_mle_book::chapters::softmax::FD_STEP);
    Ok(())
}

fn convex() -> Result<()> {
    // ANCHOR: hessian
    let z = DMatrix::from_row_slice(1, 3, &[2.0, 1.0, 0.1]);
    let q: DVector<f64> = softmax(&z)?.row(0).transpose();
    // The Hessian of the loss with respect to the logits (the same for every target).
    let hessian = DMatrix::from_diagonal(&q) - &q * q.transpose();

    // Positive semi-definite: every eigenvalue ≥ 0 (up to rounding) ...
    let eigen = SymmetricEigen::new(hessian.clone());
    assert!(eigen.eigenvalues.iter().all(|&l| l >= -TOL));
    // ... and exactly one of them is 0, in the direction 1 = (1, 1, 1).
    let ones = DVector::from_element(3, 1.0);
    assert!((&hessian * &ones).amax() < TOL);
    assert_eq!(
        eigen
            .eigenvalues
            .iter()
            .filter(|&&l| l.abs() < 1e-9)
            .count(),
        1
    );
    // ANCHOR_END: hessian

    // The formula against finite differences of the gradient, column by column.
    let grad = |z: &DMatrix<f64>| {
        cross_entropy_with_grad(z, Target::Indices(&[0]), &CrossEntropyOptions::default())
            .map(|(_, g)| g)
    };
    let h = 1e-5;
    for k in 0..3 {
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(0, k)] += h;
        down[(0, k)] -= h;
        let column = (grad(&up)? - grad(&down)?) / (2.0 * h);
        for r in 0..3 {
            assert!((column[(0, r)] - hessian[(r, k)]).abs() < 1e-8);
        }
    }
    // vᵀ H v is the variance of v under q: ≥ 0 for many directions v.
    for v in [
        [1.0, -1.0, 0.0],
        [0.3, 2.0, -5.0],
        [1.0, 1.0, 1.0],
        [-2.0, 0.5, 0.5],
    ] {
        let v = DVector::from_row_slice(&v);
        let mean = q.dot(&v);
        let variance: f64 = q
            .iter()
            .zip(v.iter())
            .map(|(qi, vi)| qi * (vi - mean).powi(2))
            .sum();
        assert!((v.dot(&(&hessian * &v)) - variance).abs() < TOL);
    }
    let book = ce_mle_book::chapters::softmax::softmax_hessian(&q);
    assert!((book - hessian).amax() < TOL);
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    stable()?;
    shift()?;
    gradient()?;
    convex()?;
    println!("every claim of the chapter checked");
    Ok(())
}
