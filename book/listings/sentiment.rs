extern crate ce_mle;
extern crate ce_mle_book;

// en: Checks the claims of the chapter "Sentiment classification": a bag-of-words
//     softmax classifier, trained on the mean cross-entropy, on the book's
//     labelled reviews (book/data/sentiment.tsv), in English and in Chinese.
// zh: 核对“情感分类”一章的论断：一个词袋 softmax 分类器，以平均交叉熵为目标，
//     在本书带标签的评论（book/data/sentiment.tsv）上训练，英文和中文各一个。

use ce_mle_book::chapters::sentiment::{
    Lang, SENTIMENT_LABELS, SentimentConfig, reviews, sentiment, tokenize,
};

fn main() -> Result<(), ce_mle::Error> {
    // ANCHOR: tokens
    // en: English by words, Chinese by characters and character bigrams.
    // zh: 英文按词切分，中文按字和字二元组切分。
    assert_eq!(
        tokenize("Great value, I love it!", Lang::En),
        ["great", "value", "i", "love", "it"]
    );
    assert_eq!(
        tokenize("很好，推荐", Lang::Zh),
        ["很", "好", "很好", "推", "荐", "推荐"]
    );
    // en: 60 reviews per language, 20 per class.
    // zh: 每种语言 60 条评论，每类 20 条。
    for lang in [Lang::En, Lang::Zh] {
        let docs = reviews(lang)?;
        assert_eq!(docs.len(), 60);
        for class in 0..3 {
            assert_eq!(docs.iter().filter(|d| d.label == class).count(), 20);
        }
    }
    // ANCHOR_END: tokens

    // ANCHOR: train
    // en: 5 test reviews per class (seeded), Adam
    //     (lr 0.05), 60 epochs, L2 penalty 1e-3.
    // zh: 每类 5 条测试评论（固定种子），Adam（学习率 0.05），60 轮，L2 惩罚 1e-3。
    let config = SentimentConfig {
        epochs: 60,
        lr: 0.05,
        l2: 1e-3,
        ..SentimentConfig::default()
    };
    // en: the loss of a uniform guess
    // zh: 均匀猜测的损失
    let ln3 = 3f64.ln();
    for lang in [Lang::En, Lang::Zh] {
        let r = sentiment(lang, &config)?;
        let (train_ce, test_ce) = r.ce;
        // en: Maximum likelihood fits the training set almost perfectly ...
        // zh: 极大似然几乎完美地拟合了训练集……
        assert!(train_ce < 0.1 && r.accuracy.0 == 1.0);
        // en: ... and the test set, never seen, much better than guessing.
        // zh: ……而在从未见过的测试集上也远好于瞎猜。
        assert!(test_ce < 0.5 * ln3 && r.accuracy.1 >= 0.8);
        // en: The heaviest positive weights belong to words of praise.
        // zh: 最重的正面权重属于褒义词。
        let top: Vec<String> =
            r.top_tokens(2, 5).into_iter().map(|(t, _)| t).collect();
        let praise = if lang == Lang::En { "good" } else { "很好" };
        assert!(top.iter().any(|t| t == praise), "{top:?}");
    }
    // ANCHOR_END: train
    assert_eq!(config, ce_mle_book::chapters::sentiment::sentiment_config());
    assert_eq!(SENTIMENT_LABELS, ["negative", "neutral", "positive"]);

    // en: Without the penalty the test loss is
    //     worse in both languages (overconfidence).
    // zh: 不加惩罚时，两种语言的测试损失都更差（过度自信）。
    for lang in [Lang::En, Lang::Zh] {
        let with = sentiment(lang, &config)?;
        let without = sentiment(lang, &SentimentConfig { l2: 0.0, ..config })?;
        assert!(without.ce.1 > with.ce.1 && without.ce.0 < with.ce.0);
    }
    println!("every claim of the chapter checked");
    Ok(())
}
