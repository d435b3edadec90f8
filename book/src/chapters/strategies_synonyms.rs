//! Synonym replacement, the seed article's text augmentation, measured on the sentiment
//! classifier (a paragraph of `book/{en,zh}/src/strategies.md`, listing
//! `book/listings/strategies.rs`), and the article's own example review run through the
//! trained English model.

use super::sentiment::{
    Lang, SENTIMENT_LABELS, SentimentConfig, sentiment, sentiment_config, synonym_replace, tokenize,
};
use super::{Anchored, Outputs, fixed6, pct};
use crate::error::Result;

/// The seed article's example of synonym replacement.
pub const ARTICLE_AUGMENT: &str = "I love apples";
/// The seed article's example review for sentiment classification.
pub const ARTICLE_REVIEW: &str = "I'm really excited about this new movie";

fn values() -> Result<String> {
    let mut a = Anchored::default();
    a.put("apples", ARTICLE_AUGMENT);
    a.put("apples_after", synonym_replace(ARTICLE_AUGMENT, Lang::En));
    let config = sentiment_config();
    for lang in [Lang::En, Lang::Zh] {
        let c = lang.code();
        let base = sentiment(lang, &config)?;
        let syn = sentiment(
            lang,
            &SentimentConfig {
                synonyms: true,
                ..config
            },
        )?;
        a.put(&format!("{c}_base_ce"), fixed6(base.ce.1));
        a.put(&format!("{c}_syn_ce"), fixed6(syn.ce.1));
        a.put(&format!("{c}_base_acc"), pct(base.accuracy.1));
        a.put(&format!("{c}_syn_acc"), pct(syn.accuracy.1));
        a.put(&format!("{c}_vocab"), base.vocab.len());
        a.put(&format!("{c}_syn_vocab"), syn.vocab.len());
        if lang == Lang::En {
            // The article's review through the trained English model.
            let x = base.vocab.features(&[tokenize(ARTICLE_REVIEW, lang)]);
            let q = base.model.predict_proba(&x)?;
            let (k, p) = (0..SENTIMENT_LABELS.len())
                .map(|k| (k, q[(0, k)]))
                .fold((0, f64::NEG_INFINITY), |b, x| if x.1 > b.1 { x } else { b });
            a.put("review", ARTICLE_REVIEW);
            a.put("review_class", SENTIMENT_LABELS[k]);
            a.put("review_p", fixed6(p));
        }
    }
    Ok(a.0)
}

/// The files of the strategies chapter's synonym paragraph under `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "strategies",
    files: &["strategies-synonyms.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![values()?])
}
