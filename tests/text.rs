//! `ce_mle::text` (the sentiment example's tokenizer, vocabulary and features) and
//! `ce_mle::experiments` (the synthetic set-ups of the practical chapters).

use ce_mle::data::{Classification, rng};
use ce_mle::experiments::{
    calibration_error, gaussian_classes, jitter, noisy_rule, overfit_setup, shift_inputs,
};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::text::{
    Lang, SENTIMENT_LABELS, SENTIMENT_TSV, Vocabulary, parse_reviews, reviews, token_dropout,
    tokenize,
};
use nalgebra::{DMatrix, DVector};

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
        assert!(parse_reviews(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn bag_of_words_marks_presence_and_ignores_unknown_tokens() {
    let docs = vec![
        tokenize("good good film", Lang::En),
        tokenize("bad film", Lang::En),
    ];
    let v = Vocabulary::fit(&docs).unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v.token(0), Some("bad"));
    let x = v.features(&[tokenize("good unseen", Lang::En)]);
    assert_eq!(x.shape(), (1, 3));
    assert_eq!(x[(0, v.id("good").unwrap())], 1.0);
    assert_eq!(x.sum(), 1.0);
    assert!(Vocabulary::fit(&[vec![]]).is_err());
}

#[test]
fn token_dropout_keeps_labels_and_never_empties_a_document() {
    let docs = vec![tokenize("a b c d", Lang::En), tokenize("e", Lang::En)];
    let (out, y) = token_dropout(&docs, &[0, 1], 5, 0.9, &mut rng(1)).unwrap();
    assert_eq!(out.len(), 12);
    assert_eq!(y, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    assert!(out.iter().all(|d| !d.is_empty()));
    assert!(out[2..].iter().step_by(2).all(|d| d.len() <= 4));
    assert!(token_dropout(&docs, &[0, 1], 1, 1.0, &mut rng(1)).is_err());
}

#[test]
fn noisy_rule_labels_follow_the_rule_without_noise() {
    let d = noisy_rule(50, 5, 0.0, &mut rng(2)).unwrap();
    for i in 0..50 {
        let best = (0..3)
            .max_by(|&a, &b| d.x[(i, a)].total_cmp(&d.x[(i, b)]))
            .unwrap();
        assert_eq!(d.y[i], best as i64);
    }
    assert!(noisy_rule(5, 2, 0.0, &mut rng(2)).is_err());
    let (m, train, val) = overfit_setup().unwrap();
    assert_eq!((train.x.shape(), val.x.shape()), ((100, 60), (200, 60)));
    assert_eq!(m.linear.weight.shape(), (3, 60));
}

#[test]
fn shift_moves_every_input_and_keeps_labels() {
    let means = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, -1.0, 0.0]);
    let d = gaussian_classes(20, &means, 0.5, &mut rng(3)).unwrap();
    let s = shift_inputs(&d, &DVector::from_row_slice(&[2.0, -1.0])).unwrap();
    assert_eq!(s.y, d.y);
    assert!(
        (s.x.column(0) - d.x.column(0))
            .iter()
            .all(|v| (v - 2.0).abs() < 1e-12)
    );
    assert!(shift_inputs(&d, &DVector::from_row_slice(&[1.0])).is_err());
    assert!(gaussian_classes(5, &means, 0.0, &mut rng(3)).is_err());
}

#[test]
fn jitter_appends_noisy_copies() {
    let d = Classification {
        x: DMatrix::from_row_slice(2, 1, &[1.0, 2.0]),
        y: vec![0, 1],
        classes: 2,
    };
    let j = jitter(&d, 2, 0.1, &mut rng(4)).unwrap();
    assert_eq!(j.x.nrows(), 6);
    assert_eq!(j.y, [0, 1, 0, 1, 0, 1]);
    assert_eq!(j.x.rows(0, 2), d.x);
    assert!((j.x[(2, 0)] - 1.0).abs() < 0.5 && j.x[(2, 0)] != 1.0);
    assert_eq!(jitter(&d, 3, 0.0, &mut rng(4)).unwrap().x[(4, 0)], 1.0);
}

#[test]
fn calibration_error_of_a_certain_right_model_is_zero() {
    // Logits so large that the top probability is 1 and always right.
    let w = DMatrix::from_row_slice(2, 1, &[100.0, -100.0]);
    let m = SoftmaxClassifier::new(Linear::from_parameters(w, DVector::zeros(2)).unwrap());
    let d = Classification {
        x: DMatrix::from_row_slice(3, 1, &[1.0, -1.0, 2.0]),
        y: vec![0, 1, 0],
        classes: 2,
    };
    assert!(calibration_error(&m, &d, 10).unwrap() < 1e-12);
    assert!(calibration_error(&m, &d, 0).is_err());
}

/// Each generated output of the book, timed (run with `--nocapture` to see which are slow).
#[test]
fn generated_outputs_are_fast_enough() {
    for g in ce_mle::book::GENERATED_OUTPUTS {
        let start = std::time::Instant::now();
        (g.make)().unwrap_or_else(|e| panic!("{}: {e}", g.name));
        eprintln!("{:>8.2?}  {}", start.elapsed(), g.name);
    }
}

/// The bigram chapter's frozen corpus: a valid corpus, with the prose of both books.
#[test]
fn bigram_snapshot_is_a_corpus_of_both_books() {
    let text = ce_mle::corpus::load_corpus(&ce_mle::book::bigram_snapshot_path()).unwrap();
    assert!(text.contains("cross-entropy") && text.contains("交叉熵"));
    assert!(text.chars().count() > 10_000);
}

/// Re-take the bigram chapter's snapshot from the books as they are now (run on purpose:
/// `cargo test --test lib text::refresh_bigram_snapshot -- --ignored`, then
/// `UPDATE_BOOK_OUTPUTS=1 cargo test` and read the diff of the chapter's figures).
#[test]
#[ignore = "rewrites book/corpus/books.txt"]
fn refresh_bigram_snapshot() {
    let text = ce_mle::corpus::book_corpus().unwrap();
    std::fs::write(ce_mle::book::bigram_snapshot_path(), text).unwrap();
}
