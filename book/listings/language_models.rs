extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks the claims of the chapter "Cross-entropy in language
//     models": the three tasks of the chapter are one classification
//     each, and the loss of a whole text is the sum of its next-token
//     losses (the chain rule), i.e. its negative log-likelihood.
// zh: 核对“语言模型中的交叉熵”一章的论断：本章的三个任务各自都是一次分类，
//     整段文本的损失是各个下一个词元损失之和（链式法则），也就是它的负对数似然。

use ce_mle::loss::{CrossEntropyOptions, Reduction, Target, cross_entropy};
use nalgebra::DMatrix;

const TOL: f64 = 1e-12;

fn main() -> Result<(), ce_mle::Error> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    // ANCHOR: chain
    // en: A toy next-word model over 4 words, one row of probabilities per
    //     position: it reads "the sun is" and predicts each following word.
    // zh: 一个 4 个词上的玩具下一词模型，每个位置一行概率：
    //     它读入“the sun is”，预测后面的每个词。
    let words = ["the", "sun", "is", "shining"];
    // en: "the sun is shining"
    // zh: “the sun is shining”
    let text = [0, 1, 2, 3];
    let p = DMatrix::from_row_slice(
        3,
        4,
        &[
            // en: after "the": P(sun) = 0.60
            // zh: “the”之后：P(sun) = 0.60
            0.05, 0.60, 0.15, 0.20,
            // en: after "sun": P(is) = 0.70
            // zh: “sun”之后：P(is) = 0.70
            0.10, 0.05, 0.70, 0.15,
            // en: after "is": P(shining) = 0.75
            // zh: “is”之后：P(shining) = 0.75
            0.10, 0.10, 0.05, 0.75,
        ],
    );
    let next: Vec<i64> = text[1..].iter().map(|&w| w as i64).collect();
    // en: log-probabilities are valid logits
    // zh: 对数概率是合法的 logits
    let logits = p.map(f64::ln);
    let opts = CrossEntropyOptions::default().reduction(Reduction::Sum);
    let sum_ce = cross_entropy(&logits, Target::Indices(&next), &opts)?
        .scalar()
        .expect("a sum is a scalar");
    // en: Chain rule: P(sun, is, shining | the) = 0.60 · 0.70 · 0.75.
    // zh: 链式法则：P(sun, is, shining | the) = 0.60 · 0.70 · 0.75。
    let likelihood: f64 = 0.60 * 0.70 * 0.75;
    assert!((sum_ce - (-likelihood.ln())).abs() < TOL);
    // ANCHOR_END: chain
    assert_eq!(words[text[3]], "shining");

    // ANCHOR: three
    // en: Three tasks, one loss: −log of the probability given to what was observed.
    // zh: 三个任务，一个损失：对观测结果所得概率取 −log。
    let minus_log = |row: &[f64], y: i64| -> Result<f64, ce_mle::Error> {
        let z = DMatrix::from_row_slice(1, row.len(), row).map(f64::ln);
        let l = cross_entropy(
            &z,
            Target::Indices(&[y]),
            &CrossEntropyOptions::default(),
        )?;
        Ok(l.scalar().expect("a mean is a scalar"))
    };
    // en: Next token: classes = the vocabulary ("day" is word 2 of 4).
    // zh: 下一个词元：类别 = 词表（“day”是 4 个词中的第 2 个）。
    let next_token = minus_log(&[0.1, 0.2, 0.6, 0.1], 2)?;
    // en: Sentiment: classes = negative, neutral, positive; the review is positive.
    // zh: 情感：类别 = 负面、中性、正面；这条评论是正面的。
    let sentiment = minus_log(&[0.1, 0.2, 0.7], 2)?;
    // en: Answer selection: classes = the candidates; the right one is candidate 0.
    // zh: 答案选择：类别 = 候选答案；正确的是第 0 个候选。
    let answer = minus_log(&[0.8, 0.15, 0.05], 0)?;
    assert!((next_token - -(0.6f64).ln()).abs() < TOL);
    assert!((sentiment - -(0.7f64).ln()).abs() < TOL);
    assert!((answer - -(0.8f64).ln()).abs() < TOL);
    // ANCHOR_END: three
    println!("every claim of the chapter checked");
    Ok(())
}
