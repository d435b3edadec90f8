extern crate ce_mle;
extern crate ce_mle_book;

// Checks the claims of the chapter "Sentiment classification": a bag-of-words softmax
// classifier, trained on the mean cross-entropy, on the book's labelled reviews
// (book/data/sentiment.tsv), in English and in Chinese.

use ce_mle_book::chapters::sentiment::{
    Lang, SENTIMENT_LABELS, SentimentConfig, reviews, sentiment, tokenize,
};

fn main() -> Result<(), ce_mle::Error> {
    // ANCHOR: tokens
    // English by words, Chinese by characters and character bigrams.
    assert_eq!(
        tokenize("Great value, I love it!", Lang::En),
        ["great", "value", "i", "love", "it"]
    );
    assert_eq!(
        tokenize("很好，推荐", Lang::Zh),
        ["很", "好", "很好", "推", "荐", "推荐"]
    );
    // 60 reviews per language, 20 per class.
    for lang in [Lang::En, Lang::Zh] {
        let docs = reviews(lang)?;
        assert_eq!(docs.len(), 60);
        for class in 0..3 {
            assert_eq!(docs.iter().filter(|d| d.label == class).count(), 20);
        }
    }
    // ANCHOR_END: tokens

    // ANCHOR: train
    // 5 test reviews per class (seeded), Adam (lr 0.05), 60 epochs, L2 penalty 1e-3.
    let config = SentimentConfig {
        epochs: 60,
        lr: 0.05,
        l2: 1e-3,
        ..SentimentConfig::default()
    };
    let ln3 = 3f64.ln(); // the loss of a uniform guess
    for lang in [Lang::En, Lang::Zh] {
        let r = sentiment(lang, &config)?;
        let (train_ce, test_ce) = r.ce;
        // Maximum likelihood fits the training set almost perfectly ...
        assert!(train_ce < 0.1 && r.accuracy.0 == 1.0);
        // ... and the test set, never seen, much better than guessing.
        assert!(test_ce < 0.5 * ln3 && r.accuracy.1 >= 0.8);
        // The heaviest positive weights belong to words of praise.
        let top: Vec<String> = r.top_tokens(2, 5).into_iter().map(|(t, _)| t).collect();
        let praise = if lang == Lang::En { "good" } else { "很好" };
        assert!(top.iter().any(|t| t == praise), "{top:?}");
    }
    // ANCHOR_END: train
    assert_eq!(config, ce_mle_book::chapters::sentiment::sentiment_config());
    assert_eq!(SENTIMENT_LABELS, ["negative", "neutral", "positive"]);

    // Without the penalty the test loss is worse in both languages (overconfidence).
    for lang in [Lang::En, Lang::Zh] {
        let with = sentiment(lang, &config)?;
        let without = sentiment(lang, &SentimentConfig { l2: 0.0, ..config })?;
        assert!(without.ce.1 > with.ce.1 && without.ce.0 < with.ce.0);
    }
    println!("every claim of the chapter checked");
    Ok(())
}
