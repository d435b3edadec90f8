extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// Checks the claims of the chapter "Answer selection": softmax over candidate scores, the
// cross-entropy against the right answer, and what one gradient step does to the scores.

use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy_with_grad};
use ce_mle::softmax::softmax;
use nalgebra::DMatrix;

const TOL: f64 = 1e-12;

fn main() -> Result<(), ce_mle::Error> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    // ANCHOR: step
    // "Who wrote Dream of the Red Chamber (红楼梦)?" Four candidates, the right one first.
    let candidates = ["曹雪芹", "高鹗", "施耐庵", "罗贯中"];
    let scores: DMatrix<f64> = DMatrix::from_row_slice(1, 4, &[1.0, 1.5, 0.0, -0.5]);
    let right = [0_i64]; // 曹雪芹
    let opts = CrossEntropyOptions::default();

    let q: DMatrix<f64> = softmax(&scores)?; // the model's distribution over the candidates
    let (ce, grad) = cross_entropy_with_grad(&scores, Target::Indices(&right), &opts)?;
    let ce = ce.scalar().expect("a mean is a scalar");
    assert!((ce - -q[(0, 0)].ln()).abs() < TOL); // CE = −log q(right answer)
    assert!(q[(0, 1)] > q[(0, 0)]); // the model prefers 高鹗 for now

    // ∂CE/∂s = softmax(s) − onehot(right).
    for k in 0..4 {
        let onehot = if k == 0 { 1.0 } else { 0.0 };
        assert!((grad[(0, k)] - (q[(0, k)] - onehot)).abs() < TOL);
    }
    // One gradient step with step size 1.
    let lr: f64 = 1.0;
    let after = &scores - lr * &grad;
    // The right answer's score goes up by lr·(1 − q_right) ...
    assert!((after[(0, 0)] - scores[(0, 0)] - lr * (1.0 - q[(0, 0)])).abs() < TOL);
    // ... and each wrong one goes down by lr·q_k, in proportion to its probability.
    for k in 1..4 {
        let fall = scores[(0, k)] - after[(0, k)];
        assert!(fall > 0.0 && (fall - lr * q[(0, k)]).abs() < TOL);
    }
    // The changes sum to zero, and the loss falls.
    assert!(grad.sum().abs() < TOL);
    let (ce_after, _) = cross_entropy_with_grad(&after, Target::Indices(&right), &opts)?;
    assert!(ce_after.scalar().expect("scalar") < ce);
    // ANCHOR_END: step
    assert_eq!(
        candidates,
        ce_mle_book::chapters::answers::ANSWER_CANDIDATES_ZH
    );
    assert_eq!(
        scores.as_slice(),
        ce_mle_book::chapters::answers::ANSWER_SCORES
    );
    assert_eq!(lr, ce_mle_book::chapters::answers::ANSWER_LR);

    // ANCHOR: steps
    // Keep stepping: the right answer's probability rises at every step towards 1,
    // and the loss falls towards 0 without reaching it.
    let mut s = scores.clone();
    let mut last = ce;
    for _ in 0..20 {
        let (l, g) = cross_entropy_with_grad(&s, Target::Indices(&right), &opts)?;
        let l = l.scalar().expect("scalar");
        assert!(l <= last && l > 0.0);
        last = l;
        s -= lr * &g;
    }
    assert!(softmax(&s)?[(0, 0)] > 0.95);
    // ANCHOR_END: steps

    // Dot-product scoring, s_k = u · v_k (a question vector u, one vector v_k per answer): by
    // the chain rule ∂CE/∂v_k = (q_k − [k = right]) u, checked by central differences; one
    // step moves v_right towards u and every other v_k away from it, by lr·q_k.
    let u = nalgebra::DVector::from_row_slice(&[0.3, -1.2, 0.8]);
    let v = DMatrix::from_row_slice(
        4,
        3,
        &[
            0.5, 0.1, -0.2, 0.4, -0.9, 0.3, -0.6, 0.2, 0.1, 0.0, 0.7, -0.4,
        ],
    );
    let loss_of = |v: &DMatrix<f64>| -> Result<f64, ce_mle::Error> {
        let s = DMatrix::from_row_slice(1, 4, (v * &u).as_slice());
        let (l, _) = cross_entropy_with_grad(&s, Target::Indices(&right), &opts)?;
        Ok(l.scalar().expect("scalar"))
    };
    let q_v = softmax(&DMatrix::from_row_slice(1, 4, (&v * &u).as_slice()))?;
    let h = 1e-6;
    for k in 0..4 {
        let onehot = if k == 0 { 1.0 } else { 0.0 };
        for d in 0..3 {
            let (mut up, mut down) = (v.clone(), v.clone());
            up[(k, d)] += h;
            down[(k, d)] -= h;
            let numeric = (loss_of(&up)? - loss_of(&down)?) / (2.0 * h);
            assert!((numeric - (q_v[(0, k)] - onehot) * u[d]).abs() < 1e-8);
        }
        // After a step v_k ← v_k − lr·(q_k − [k = right]) u, the score u · v_k rises for the
        // right answer and falls for the others.
        let moved = v.row(k).transpose() - lr * (q_v[(0, k)] - onehot) * &u;
        let before = v.row(k).transpose().dot(&u);
        assert_eq!(moved.dot(&u) > before, k == 0);
    }
    println!("every claim of the chapter checked");
    Ok(())
}
