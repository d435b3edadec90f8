extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// en: Checks every claim of the chapter "Next-token prediction: a bigram
//     model on real text", on the chapter's small text (the figures on
//     the book's own prose come from `ce_mle_book::chapters::bigram` and
//     `cargo run --release -- bigram`, too slow for an unoptimised run).
// zh: 核对“下一个词元预测：真实文本上的二元语法模型”一章的每个论断，
//     用的是本章的小文本（本书正文上的数字来自 `ce_mle_book::chapters::bigram`
//     和 `cargo run --release -- bigram`，在未优化的构建中太慢）。
//
// en: The chapter shows excerpts (between `ANCHOR` markers);
//     `mdbook test` compiles the whole program for each excerpt,
//     and `cargo test` runs it once (`cargo run --example bigram`).
// zh: 本章展示的是摘录（`ANCHOR` 标记之间的部分）；
//     `mdbook test` 为每段摘录编译整个程序，
//     `cargo test` 运行它一次（`cargo run --example bigram`）。

use ce_mle::lm::{Bigram, BigramCounts, TrainOptions, Training, Vocab};
use nalgebra::DMatrix;

/// en: Two computations of the same quantity in
///     f64 agree to this absolute tolerance.
/// zh: 同一个量的两种 f64 计算在这个绝对容差内一致。
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

// ANCHOR: text
// en: "CE = cross-entropy, cross-entropy = CE": Latin and Chinese characters.
// zh: “CE = 交叉熵，交叉熵 = CE”：拉丁字母与汉字混排。
const TEXT: &str = "CE=交叉熵，交叉熵=CE";
// ANCHOR_END: text

fn counts() -> Result<BigramCounts> {
    // ANCHOR: counts
    // en: Tokens are characters: the vocabulary is the 7 distinct ones.
    // zh: 词元就是字符：词表由 7 个不同的字符组成。
    let vocab = Vocab::from_text(TEXT, 100)?;
    let counts = BigramCounts::from_text(TEXT, vocab)?;
    let id = |c| counts.vocab().id(c).expect("a character of the text");
    let n = |a, b| counts.count(id(a), id(b)).expect("two tokens");

    assert_eq!((counts.tokens(), counts.bigrams()), (13, 12)); // T, M = T − 1
    // en: "交叉" occurs twice
    // zh: “交叉”出现两次
    assert_eq!(n('交', '叉'), 2);
    // en: "=" is followed by 交 or C
    // zh: “=”后面跟的是“交”或“C”
    assert_eq!((n('=', '交'), n('=', 'C')), (1, 1));
    assert_eq!(n('C', '交'), 0); // en: never seen // zh: 从未出现
    // en: n(a) counts a as a context: the final E predicts nothing.
    // zh: n(a) 计的是 a 作为上下文的次数：末尾的 E 不预测任何字符。
    assert_eq!(counts.context_count(id('E')), Some(1));
    // ANCHOR_END: counts

    // en: n(a) = Σ_b n(a, b), and Σ_a n(a) = M.
    // zh: n(a) = Σ_b n(a, b)，且 Σ_a n(a) = M。
    let v = counts.vocab().len();
    assert_eq!(v, 7);
    let mut total = 0;
    for a in 0..v {
        let row: u64 = counts.row(a).expect("a row").iter().sum();
        assert_eq!(counts.context_count(a), Some(row));
        total += row;
    }
    assert_eq!(total, counts.bigrams());
    Ok(counts)
}

fn counting(counts: &BigramCounts) -> Result<(Bigram, f64)> {
    // ANCHOR: counting
    let mle = Bigram::counting(counts); // P̂(b | a) = n(a, b) / n(a)
    let close = |x: f64, y: f64| (x - y).abs() < TOL;
    assert!(
        close(mle.prob('=', '交')?, 0.5) && close(mle.prob('=', 'C')?, 0.5)
    );
    assert!(close(mle.prob('交', '叉')?, 1.0));
    // en: an unseen pair is impossible
    // zh: 没见过的字符对概率为 0
    assert_eq!(mle.prob('C', '交')?, 0.0);

    // en: Only "=" and "熵" hesitate, each twice, between two equally frequent
    //     successors; the other 8 predictions are certain. So CE = 4 ln 2 / 12.
    // zh: 只有“=”和“熵”拿不准，各出现两次，两个后继字符一样频繁；
    //     其余 8 次预测都是确定的。所以 CE = 4 ln 2 / 12。
    let ce = mle.cross_entropy_counts(counts)?;
    assert!(close(ce, 4.0 * 2f64.ln() / 12.0));
    // ANCHOR_END: counting

    // en: The same number from the text, position by position.
    // zh: 逐个位置地从文本算出同一个数。
    assert!(close(mle.cross_entropy_on(TEXT)?, ce));
    // en: It is the minimum: moving probability within a context makes the CE worse.
    // zh: 它就是最小值：在一个上下文内挪动概率只会让交叉熵变大。
    let p = mle.probabilities();
    let v = p.nrows();
    for a in 0..v {
        for b in 0..v {
            let mut q = p.clone();
            for k in 0..v {
                q[(a, k)] *= 0.9;
            }
            q[(a, b)] += 0.1;
            let other =
                Bigram::from_logits(counts.vocab().clone(), &q.map(f64::ln))?;
            assert!(other.cross_entropy_counts(counts)? >= ce - TOL);
            if counts.context_count(a) != Some(0) && p[(a, b)] < 1.0 {
                assert!(other.cross_entropy_counts(counts)? > ce);
            }
        }
    }
    Ok((mle, ce))
}

fn trained(counts: &BigramCounts, mle: &Bigram, ce: f64) -> Result<Training> {
    // ANCHOR: train
    // en: Logits Z (7 × 7) start at 0, i.e. uniform; Adam minimises the mean CE.
    // zh: logits Z（7 × 7）从 0 出发，即均匀分布；Adam 最小化平均交叉熵。
    let t =
        Bigram::fit_gradient(counts, &TrainOptions::default(), &mut |_| {})?;
    // en: the gap fell below the tolerance (1e-4 nats)
    // zh: 差距降到了容差（1e-4 奈特）以下
    assert!(t.converged);

    // en: CE(trained) − CE(counting) = Σ_a (n(a)/M) KL(P̂(·|a) ‖ P(·|a)) ≥ 0.
    // zh: CE(训练) − CE(计数) = Σ_a (n(a)/M) KL(P̂(·|a) ‖ P(·|a)) ≥ 0。
    let ce_trained = t.model.cross_entropy_counts(counts)?;
    let kl = t.model.mean_kl_from_counts(counts)?;
    assert!((ce_trained - ce - kl).abs() < TOL && kl > 0.0);

    // en: Where counts are positive the two models agree; an unseen pair keeps
    //     a small probability that shrinks with more steps but never reaches 0.
    // zh: 计数为正的地方两个模型一致；没见过的字符对保留一个小概
    //     率，步数越多它越小，但永远不为 0。
    assert!((t.model.prob('=', '交')? - mle.prob('=', '交')?).abs() < 1e-3);
    let p = t.model.prob('C', '交')?;
    assert!(0.0 < p && p < 1e-3);
    // ANCHOR_END: train

    // en: The gap starts at ln V − CE(counting)
    //     (all-zero logits are uniform), and ends small.
    // zh: 差距从 ln V − CE(计数) 开始（全零的 logits 是均匀分布），最后变得很小。
    let v = counts.vocab().len() as f64;
    assert!((t.gaps[0] - (v.ln() - ce)).abs() < TOL);
    assert!(t.gaps.last().is_some_and(|&g| g < t.gaps[0] / 1000.0));
    // en: Unseen pairs: logits pushed ever lower, never to −∞.
    // zh: 没见过的字符对：logits 被越压越低，但到不了 −∞。
    let c = counts.vocab().id('C').expect("C");
    let jiao = counts.vocab().id('交').expect("交");
    assert!(t.logits[(c, jiao)].is_finite() && t.logits[(c, jiao)] < -1.0);
    // en: Training longer gets closer still, and the
    //     unseen pair's probability keeps falling.
    // zh: 训练得更久就更接近，没见过的字符对的概率还在下降。
    let longer = TrainOptions {
        tolerance: 1e-6,
        max_iters: 100_000,
        ..TrainOptions::default()
    };
    let t2 = Bigram::fit_gradient(counts, &longer, &mut |_| {})?;
    assert!(t2.converged && t2.final_gap < t.final_gap);
    assert!(t2.model.prob('C', '交')? < p);
    Ok(t)
}

fn perplexity(counts: &BigramCounts, mle: &Bigram, ce: f64) -> Result<()> {
    // ANCHOR: perplexity
    let ppl = mle.perplexity_on(TEXT)?;
    // en: perplexity = exp(mean CE)
    // zh: 困惑度 = exp(平均交叉熵)
    assert!((ppl - ce.exp()).abs() < TOL);
    // en: 4 of the 12 predictions choose between 2 characters: 2^(4/12) ≈ 1.26.
    // zh: 12 次预测中有 4 次要在 2 个字符之间选：2^(4/12) ≈ 1.26。
    assert!((ppl - 2f64.powf(4.0 / 12.0)).abs() < TOL);

    // en: A uniform model (all logits 0) over V = 7 characters has perplexity 7.
    // zh: 在 V = 7 个字符上的均匀模型（logits 全为 0）困惑度为 7。
    let uniform =
        Bigram::from_logits(counts.vocab().clone(), &DMatrix::zeros(7, 7))?;
    assert!((uniform.perplexity_on(TEXT)? - 7.0).abs() < 1e-9);
    // ANCHOR_END: perplexity
    Ok(())
}

fn unseen(mle: &Bigram, t: &Training) -> Result<()> {
    // ANCHOR: unseen
    // en: "CE=熵" contains the pair "=熵", which the text never shows.
    // zh: “CE=熵”包含字符对“=熵”，而这段文本里从没有出现过它。
    let new_text = "CE=熵";
    assert_eq!(mle.cross_entropy_on(new_text)?, f64::INFINITY);
    assert!(t.model.cross_entropy_on(new_text)?.is_finite());
    // ANCHOR_END: unseen
    Ok(())
}

fn heldout() -> std::result::Result<(), Box<dyn std::error::Error>> {
    use ce_mle_book::chapters::bigram_heldout::{
        counts_of, l2_logits, shakespeare_split,
    };
    // ANCHOR: heldout
    // en: Tiny Shakespeare, cut as nanoGPT cuts it: the first 90% to
    //     count, the last 10% to test.
    // zh: Tiny Shakespeare，按 nanoGPT 的方式切分：前 90% 用来计数，
    //     后 10% 用来测试。
    let split = shakespeare_split()?;
    let train = counts_of(&split, split.train())?;
    let val = counts_of(&split, split.val())?;
    let v = split.vocab_size();
    let pairs = || (0..v).flat_map(|a| (0..v).map(move |b| (a, b)));
    let n = |c: &BigramCounts, a, b| c.count(a, b).unwrap_or(0);
    // en: 187 validation bigrams never occur in the training text: the
    //     counting MLE gives them probability 0, so its CE is infinite.
    // zh: 验证文本中有 187 个二元组在训练文本里从未出现：计数 MLE
    //     给它们的概率是 0，所以它的交叉熵是无穷大。
    let unseen: u64 = pairs()
        .filter(|&(a, b)| n(&train, a, b) == 0)
        .map(|(a, b)| n(&val, a, b))
        .sum();
    assert_eq!(unseen, 187);
    let mle = Bigram::counting(&train);
    assert!(mle.cross_entropy_counts(&train)?.is_finite());
    assert_eq!(mle.cross_entropy_counts(&val)?, f64::INFINITY);
    // en: Add-one (MAP under a Dirichlet prior): P(b | a) = (n(a, b) + 1)
    //     / (n(a) + V), i.e. the softmax of the logits ln(n(a, b) + 1).
    // zh: 加一平滑（狄利克雷先验下的 MAP）：P(b | a) = (n(a, b) + 1)
    //     / (n(a) + V)，即 logits ln(n(a, b) + 1) 的 softmax。
    let add_one =
        DMatrix::from_fn(v, v, |a, b| ((n(&train, a, b) + 1) as f64).ln());
    let add_one = Bigram::from_logits(split.vocab().clone(), &add_one)?;
    let ce_add_one = add_one.cross_entropy_counts(&val)?;
    assert!(ce_add_one < (v as f64).ln());
    // en: L2 on the logits (MAP under a Gaussian prior): minimise
    //     CE_train(Z) + λ‖Z‖² with λ = 10⁻⁷.
    // zh: 对 logits 加 L2（高斯先验下的 MAP）：最小化
    //     CE_train(Z) + λ‖Z‖²，λ = 10⁻⁷。
    let lambda = 1e-7;
    let z = l2_logits(&train, lambda)?;
    let l2 = Bigram::from_logits(split.vocab().clone(), &z)?;
    let ce_l2 = l2.cross_entropy_counts(&val)?;
    // en: Both are finite on the validation text, within 0.01 nats of
    //     each other, and pay a little on the training text.
    // zh: 两者在验证文本上都有限，彼此相差不到 0.01 奈特，并在训练
    //     文本上付出一点代价。
    assert!(ce_l2.is_finite() && (ce_l2 - ce_add_one).abs() < 0.01);
    let ce_mle_train = mle.cross_entropy_counts(&train)?;
    assert!(l2.cross_entropy_counts(&train)? > ce_mle_train);
    // ANCHOR_END: heldout

    // en: The L2 model is the minimiser: the objective's finite
    //     differences vanish, also at an unseen pair, whose logit the
    //     prior holds below 0 (finite, not −∞).
    // zh: L2 模型确是最小点：目标函数的有限差分为零，在未见过的
    //     二元组处也一样；先验把它的 logit 压在 0 以下（有限，而非 −∞）。
    let objective = |z: &DMatrix<f64>| -> ce_mle::Result<f64> {
        let model = Bigram::from_logits(split.vocab().clone(), z)?;
        Ok(model.cross_entropy_counts(&train)? + lambda * z.norm_squared())
    };
    let unseen_pair = pairs()
        .find(|&(a, b)| {
            n(&train, a, b) == 0 && train.context_count(a) > Some(0)
        })
        .expect("an unseen pair");
    assert!(z[unseen_pair] < 0.0);
    for (a, b) in [(0, 1), (1, 0), unseen_pair] {
        let h = 1e-4;
        let (mut up, mut down) = (z.clone(), z.clone());
        up[(a, b)] += h;
        down[(a, b)] -= h;
        let slope = (objective(&up)? - objective(&down)?) / (2.0 * h);
        assert!(slope.abs() < 1e-7, "{slope}");
    }
    Ok(())
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    assert_eq!(TEXT, ce_mle_book::chapters::bigram::BIGRAM_TEXT);
    let counts = counts()?;
    let (mle, ce) = counting(&counts)?;
    let t = trained(&counts, &mle, ce)?;
    perplexity(&counts, &mle, ce)?;
    unseen(&mle, &t)?;
    heldout()?;
    assert_eq!(ce_mle_book::chapters::bigram::BIGRAM_UNSEEN_TEXT, "CE=熵");
    println!("every claim of the chapter checked");
    Ok(())
}
