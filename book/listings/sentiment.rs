extern crate ce_mle;
extern crate ce_mle_book;

// Checks the claims of the chapter "Sentiment classification": a bag-of-words softmax
// classifier, trained on the mean cross-entropy, on the book's labelled reviews
// (book/data/sentiment.tsv), in English and in Chinese.

use ce_mle_book::chapters::sentiment::{
    Lang, Mistake, SENTIMENT_LABELS, SentimentConfig, reviews, sentiment, tokenize,
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

    // Without the penalty the training loss is lower, the test loss higher and the test
    // accuracy lower, in both languages (overconfidence).
    for lang in [Lang::En, Lang::Zh] {
        let with = sentiment(lang, &config)?;
        let without = sentiment(lang, &SentimentConfig { l2: 0.0, ..config })?;
        assert!(without.ce.1 > with.ce.1 && without.ce.0 < with.ce.0);
        assert!(without.accuracy.1 < with.accuracy.1);
    }

    // ANCHOR: mistakes
    // Every test review the model gets wrong, taken apart. A class's logit is its bias plus
    // one weight per token present, so the margin by which the wrong class won is the bias
    // difference plus one share per token: W[wrong, token] − W[label, token].
    for lang in [Lang::En, Lang::Zh] {
        let r = sentiment(lang, &config)?;
        for m in r.mistakes()? {
            let (label, chosen) = (SENTIMENT_LABELS[m.truth], SENTIMENT_LABELS[m.predicted]);
            println!("{} ({label} → {chosen}, margin {:.3})", m.text, m.margin);
            for (token, share) in m.ranked() {
                println!("  {token:>12} {share:+.3}");
            }
            println!("  bias {:+.3}; no weight: {:?}", m.bias, m.unknown());
            let shares: f64 = m.ranked().iter().map(|(_, s)| s).sum();
            assert!((m.bias + shares - m.margin).abs() < 1e-9 && m.margin > 0.0);
        }
    }
    // ANCHOR_END: mistakes
    // What the chapter reads in them: the praise the model knows pulls towards the label, the
    // strongest praise never occurs in a training review, and words that say nothing about
    // sentiment pull the other way, the strongest of all.
    let share = |m: &Mistake, t: &str| m.tokens.iter().find(|(s, _)| s == t).and_then(|x| x.1);
    let en = sentiment(Lang::En, &config)?.mistakes()?;
    assert_eq!(en.len(), 2);
    for m in &en {
        assert!(share(m, "wonderful").is_some_and(|s| s < 0.0));
        assert!(m.unknown().contains(&"best"));
    }
    assert_eq!(en[0].ranked()[0].0, "the");
    assert_eq!(en[1].ranked()[0].0, "year");
    for t in ["performance", "cast"] {
        assert!(share(&en[1], t).is_some_and(|s| s > 0.0));
    }
    // `year` and `performance` come from one training review, a negative one.
    let held_out = sentiment(Lang::En, &config)?.test_texts;
    let with_them: Vec<_> = reviews(Lang::En)?
        .into_iter()
        .filter(|d| !held_out.contains(&d.text))
        .filter(|d| {
            let words = tokenize(&d.text, Lang::En);
            words.iter().any(|w| w == "year" || w == "performance")
        })
        .collect();
    assert_eq!(with_them.len(), 1);
    assert_eq!(with_them[0].label, 0);
    assert_eq!(
        with_them[0].text,
        "An awful performance, the worst cast this year."
    );
    let zh = sentiment(Lang::Zh, &config)?.mistakes()?;
    assert_eq!(zh.len(), 1);
    assert!(
        ["棒", "好"]
            .iter()
            .all(|t| share(&zh[0], t).is_some_and(|s| s < 0.0))
    );
    assert!(
        ["的", "是"]
            .iter()
            .all(|t| share(&zh[0], t).is_some_and(|s| s > 0.0))
    );
    assert_eq!(zh[0].ranked()[0].0, "的");
    // Where the model chose neutral, neutral's bias helped.
    assert!(en[0].predicted == 1 && en[0].bias > 0.0 && zh[0].predicted == 1 && zh[0].bias > 0.0);
    assert!(zh[0].unknown().contains(&"最好") && zh[0].unknown().contains(&"太棒"));
    println!("every claim of the chapter checked");
    Ok(())
}
