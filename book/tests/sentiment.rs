//! The sentiment chapter's machinery (`ce_mle_book::chapters::sentiment`: tokenizer,
//! bag-of-words features, the labelled reviews, token dropout) and the books' prose as the
//! bigram chapter's corpus.

use ce_mle::data::rng;
use ce_mle_book::chapters::sentiment::{
    BagOfWords, Lang, SENTIMENT_LABELS, SENTIMENT_TSV, parse_reviews, reviews, token_dropout,
    tokenize,
};

#[test]
fn english_is_cut_into_lower_case_words() {
    assert_eq!(
        tokenize("Don't BUY it: 2 stars.", Lang::En),
        ["don't", "buy", "it", "2", "stars"]
    );
    assert!(tokenize(" ,.! ", Lang::En).is_empty());
}

#[test]
fn chinese_is_cut_into_characters_and_bigrams_within_runs() {
    assert_eq!(
        tokenize("不好，差", Lang::Zh),
        ["不", "好", "不好", "差"],
        "punctuation breaks a run: no bigram 好差"
    );
}

#[test]
fn the_data_file_is_balanced_and_parses() {
    let all = parse_reviews(SENTIMENT_TSV).unwrap();
    assert_eq!(all.len(), 120);
    for lang in [Lang::En, Lang::Zh] {
        let docs = reviews(lang).unwrap();
        for class in 0..SENTIMENT_LABELS.len() {
            assert_eq!(docs.iter().filter(|d| d.label == class).count(), 20);
        }
        // No duplicate review.
        let mut texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), 60);
    }
}

#[test]
fn malformed_data_is_refused() {
    for bad in [
        "h\nen\tpositive",
        "h\nfr\tpositive\tx",
        "h\nen\thappy\tx",
        "h\nen\tpositive\t ",
    ] {
        assert_eq!(
            parse_reviews(bad).expect_err(bad).kind(),
            "InvalidFile",
            "{bad:?}"
        );
    }
}

#[test]
fn bag_of_words_marks_presence_and_ignores_unknown_tokens() {
    let docs = vec![
        tokenize("good good film", Lang::En),
        tokenize("bad film", Lang::En),
    ];
    let v = BagOfWords::fit(&docs).unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v.token(0), Some("bad"));
    let x = v.features(&[tokenize("good unseen", Lang::En)]);
    assert_eq!(x.shape(), (1, 3));
    assert_eq!(x[(0, v.id("good").unwrap())], 1.0);
    assert_eq!(x.sum(), 1.0);
    assert_eq!(BagOfWords::fit(&[vec![]]).unwrap_err().kind(), "Empty");
}

#[test]
fn token_dropout_keeps_labels_and_never_empties_a_document() {
    let docs = vec![tokenize("a b c d", Lang::En), tokenize("e", Lang::En)];
    let (out, y) = token_dropout(&docs, &[0, 1], 5, 0.9, &mut rng(1)).unwrap();
    assert_eq!(out.len(), 12);
    assert_eq!(y, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    assert!(out.iter().all(|d| !d.is_empty()));
    assert!(out[2..].iter().step_by(2).all(|d| d.len() <= 4));
    assert_eq!(
        token_dropout(&docs, &[0, 1], 1, 1.0, &mut rng(1))
            .unwrap_err()
            .kind(),
        "InvalidHyperParameter"
    );
}

#[test]
fn bigram_snapshot_is_a_corpus_of_both_books() {
    let text = ce_mle::corpus::load_corpus(&ce_mle_book::chapters::bigram::bigram_snapshot_path())
        .unwrap();
    assert!(text.contains("cross-entropy") && text.contains("交叉熵"));
    assert!(text.chars().count() > 10_000);
}

/// The books are being written: do not depend on their text, only on the contract.
#[test]
fn book_corpus_follows_the_books() {
    let [en, zh] = ce_mle_book::paths::book_dirs();
    assert!(en.ends_with("book/en/src") && zh.ends_with("book/zh/src"));
    let result = ce_mle_book::paths::book_corpus();
    if en.is_dir()
        && zh.is_dir()
        && !ce_mle::corpus::markdown_files(&[&en, &zh])
            .unwrap()
            .is_empty()
    {
        match result {
            Ok(text) => {
                assert!(text.chars().count() >= 2);
                assert!(!text.contains("```") && !text.contains("{{#"));
                assert_eq!(
                    ce_mle_book::paths::book_corpus().unwrap(),
                    text,
                    "deterministic"
                );
            }
            // Only acceptable if the books hold no prose yet.
            Err(ce_mle::Error::Corpus { .. }) => {}
            Err(e) => panic!("book_corpus failed: {e}"),
        }
    } else {
        assert!(result.is_err());
    }
}

/// Re-take the bigram chapter's snapshot from the books as they are now (run on purpose:
/// `cargo test -p ce-mle-book --test book sentiment::refresh_bigram_snapshot -- --ignored`,
/// then `UPDATE_BOOK_OUTPUTS=1 cargo test` and read the diff of the chapter's figures).
#[test]
#[ignore = "rewrites book/corpus/books.txt"]
fn refresh_bigram_snapshot() {
    let text = ce_mle_book::paths::book_corpus().unwrap();
    std::fs::write(ce_mle_book::chapters::bigram::bigram_snapshot_path(), text).unwrap();
}
