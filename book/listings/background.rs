extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks the claims of the chapter "Background": a language model's loss on a
//     text is the sum of per-token cross-entropies, which is −log of the
//     probability the model gives the whole text (chain rule); perplexity is
//     exp(mean cross-entropy), and a uniform model over V tokens has perplexity V.
// zh: 核对“背景”一章的论断：语言模型在一段文本上的损失是各词元交叉熵之
//     和，等于模型给整段文本的概率取 −log（链式法则）；
//     困惑度是 exp(平均交叉熵)，在 V 个词元上取均匀分布的模型困惑度为 V。
//
// en: `cargo run --example background` runs it;
//     `mdbook test` runs it behind each excerpt.
// zh: `cargo run --example background` 运行它；`mdbook test` 在每段摘录背后运行它。

use ce_mle::loss::{self, CrossEntropyOptions, Reduction, Target};
use nalgebra::DMatrix;

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn chain_rule() -> Result<()> {
    // ANCHOR: chain
    // en: A text of 4 tokens. At each position the model gave
    //     the token that came next these probabilities: p(x_1),
    //     p(x_2 | x_1), p(x_3 | x_1 x_2), p(x_4 | x_1 x_2 x_3).
    // zh: 一段 4 个词元的文本。模型在每个位置给实际出现的下一个词元的概率：
    //     p(x_1)、 p(x_2 | x_1)、p(x_3 | x_1 x_2)、p(x_4 | x_1 x_2 x_3)。
    let next_token_probs = [0.5, 0.25, 0.125, 0.5];
    // en: Chain rule: the probability of the whole text is their product.
    // zh: 链式法则：整段文本的概率是它们的乘积。
    let p_text: f64 = next_token_probs.iter().product();

    // en: The pre-training loss: one row of logits per position
    //     (here log-probabilities over a vocabulary of 2 tokens,
    //     the observed one first), class-index target 0 at each.
    // zh: 预训练损失：每个位置一行 logits（这里是 2 个词元的词表上的对数
    //     概率，观测到的词元排第一），每个位置的类别下标目标都是 0。
    let z = DMatrix::from_fn(4, 2, |t, k| {
        let p = next_token_probs[t];
        if k == 0 { p.ln() } else { (1.0 - p).ln() }
    });
    let targets = [0_i64; 4];
    let opts = CrossEntropyOptions::default().reduction(Reduction::Sum);
    let total = loss::cross_entropy(&z, Target::Indices(&targets), &opts)?
        .scalar()
        .unwrap();
    assert!((total - (-p_text.ln())).abs() < TOL);

    // en: Perplexity = exp(mean cross-entropy) = p(text)^(−1/T).
    // zh: 困惑度 = exp(平均交叉熵) = p(文本)^(−1/T)。
    let perplexity = (total / 4.0).exp();
    assert!((perplexity - p_text.powf(-0.25)).abs() < TOL);
    // ANCHOR_END: chain
    assert_eq!(
        next_token_probs,
        ce_mle_book::chapters::background::BACKGROUND_PROBS
    );
    Ok(())
}

fn uniform() -> Result<()> {
    // ANCHOR: uniform
    // en: A model that knows nothing: equal logits over a vocabulary of V tokens.
    // zh: 一无所知的模型：在 V 个词元的词表上 logits 全部相等。
    let v = 50_000;
    let z = DMatrix::from_element(1, v, 0.0);
    let ce = loss::cross_entropy(
        &z,
        Target::Indices(&[123]),
        &CrossEntropyOptions::default(),
    )?;
    let ce = ce.scalar().unwrap();
    // en: Its loss is log V nats per token, and its perplexity is V.
    // zh: 它的损失是每个词元 log V 奈特，困惑度是 V。
    assert!((ce - (v as f64).ln()).abs() < TOL);
    assert!((ce.exp() - v as f64).abs() < 1e-6);
    // ANCHOR_END: uniform
    assert_eq!(v, ce_mle_book::chapters::background::BACKGROUND_VOCAB);
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    chain_rule()?;
    uniform()?;
    println!("every claim of the chapter checked");
    Ok(())
}
