extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks the claims of the chapter "Answer selection": softmax
//     over candidate scores, the cross-entropy against the right
//     answer, and what one gradient step does to the scores.
// zh: 核对“答案选择”一章的论断：候选答案得分上的 softmax，
//     相对正确答案的交叉熵，以及一步梯度下降对得分的影响。

use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy_with_grad};
use ce_mle::softmax::softmax;
use nalgebra::DMatrix;

const TOL: f64 = 1e-12;

fn main() -> Result<(), ce_mle::Error> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    // ANCHOR: step
    // en: "Who wrote Dream of the Red Chamber (红楼梦)?"
    //     Four candidates, the right one first.
    // zh: “《红楼梦》的作者是谁？”四个候选答案，正确的排在第一。
    let candidates = ["曹雪芹", "高鹗", "施耐庵", "罗贯中"];
    let scores: DMatrix<f64> =
        DMatrix::from_row_slice(1, 4, &[1.0, 1.5, 0.0, -0.5]);
    let right = [0_i64]; // 曹雪芹
    let opts = CrossEntropyOptions::default();

    // en: the model's distribution over the candidates
    // zh: 模型在候选答案上的分布
    let q: DMatrix<f64> = softmax(&scores)?;
    let (ce, grad) =
        cross_entropy_with_grad(&scores, Target::Indices(&right), &opts)?;
    let ce = ce.scalar().expect("a mean is a scalar");
    // en: CE = −log q(right answer)
    // zh: CE = −log q(正确答案)
    assert!((ce - -q[(0, 0)].ln()).abs() < TOL);
    // en: the model prefers 高鹗 for now
    // zh: 模型眼下更偏向高鹗
    assert!(q[(0, 1)] > q[(0, 0)]);

    // en: ∂CE/∂s = softmax(s) − onehot(right).
    // zh: ∂CE/∂s = softmax(s) − onehot(正确答案)。
    for k in 0..4 {
        let onehot = if k == 0 { 1.0 } else { 0.0 };
        assert!((grad[(0, k)] - (q[(0, k)] - onehot)).abs() < TOL);
    }
    // en: One gradient step with step size 1.
    // zh: 沿梯度走一步，步长为 1。
    let lr: f64 = 1.0;
    let after = &scores - lr * &grad;
    // en: The right answer's score goes up by lr·(1 − q_right) ...
    // zh: 正确答案的得分上升 lr·(1 − q_right)……
    assert!(
        (after[(0, 0)] - scores[(0, 0)] - lr * (1.0 - q[(0, 0)])).abs() < TOL
    );
    // en: ... and each wrong one goes down by lr·q_k, in proportion to its probability.
    // zh: ……每个错误答案的得分下降 lr·q_k，与它的概率成正比。
    for k in 1..4 {
        let fall = scores[(0, k)] - after[(0, k)];
        assert!(fall > 0.0 && (fall - lr * q[(0, k)]).abs() < TOL);
    }
    // en: The changes sum to zero, and the loss falls.
    // zh: 各项变化之和为零，损失下降。
    assert!(grad.sum().abs() < TOL);
    let (ce_after, _) =
        cross_entropy_with_grad(&after, Target::Indices(&right), &opts)?;
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
    // en: Keep stepping: the right answer's probability rises at every step
    //     towards 1, and the loss falls towards 0 without reaching it.
    // zh: 继续走下去：正确答案的概率每一步都在上升、趋向 1，损失趋向 0 却永远到不了 0。
    let mut s = scores.clone();
    let mut last = ce;
    for _ in 0..20 {
        let (l, g) =
            cross_entropy_with_grad(&s, Target::Indices(&right), &opts)?;
        let l = l.scalar().expect("scalar");
        assert!(l <= last && l > 0.0);
        last = l;
        s -= lr * &g;
    }
    assert!(softmax(&s)?[(0, 0)] > 0.95);
    // ANCHOR_END: steps

    // en: Dot-product scoring, s_k = u · v_k (a question vector u, one vector
    //     v_k per answer): by the chain rule ∂CE/∂v_k = (q_k − [k = right]) u,
    //     checked by central differences; one step moves v_right towards u
    //     and every other v_k away from it, by lr·q_k.
    // zh: 点积打分 s_k = u · v_k（问题向量 u，每个答案一个向量 v_k）：由链式法则，
    //     ∂CE/∂v_k = (q_k − [k = right]) u，用中心差分核对；一步更新让
    //     v_right 靠近 u，让其余每个 v_k 远离 u，幅度为 lr·q_k。
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
        let (l, _) =
            cross_entropy_with_grad(&s, Target::Indices(&right), &opts)?;
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
        // en: After a step v_k ← v_k − lr·(q_k − [k = right]) u, the score
        //     u · v_k rises for the right answer and falls for the others.
        // zh: 走一步 v_k ← v_k − lr·(q_k − [k = right]) u 之后，
        //     正确答案的得分 u · v_k 上升，其余答案的得分下降。
        let moved = v.row(k).transpose() - lr * (q_v[(0, k)] - onehot) * &u;
        let before = v.row(k).transpose().dot(&u);
        assert_eq!(moved.dot(&u) > before, k == 0);
    }
    println!("every claim of the chapter checked");
    Ok(())
}
