//! The book's two character corpora and the committed record of their count baselines
//! (`book/data/ngram-baselines.json`): the corpora are what their `SOURCE.md` says, Tiny
//! Shakespeare splits as nanoGPT's `prepare.py` does, and the record agrees with the code.
//!
//! The whole record (both corpora, orders 1..=8) takes seconds in release and too long for a
//! debug test: here Tiny Shakespeare is recomputed up to order 3 (every number of those rows is
//! independent of the highest order), and `cargo run --release -- ngram --check` compares every
//! number of the record.

use ce_mle::lm::{BaselineOptions, CharSplit, baselines};
use ce_mle_book::ngram::{
    COMMAND, CORPORA, MAX_ORDER, RECORD_TOLERANCE, book_path, differences, read_record,
};
use sha2::{Digest, Sha256};

use crate::common::ce_mle;

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn corpora_are_what_their_source_files_say() {
    for (name, file) in CORPORA {
        let path = book_path(file);
        let bytes = std::fs::read(&path).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let source = std::fs::read_to_string(path.with_file_name("SOURCE.md")).unwrap();
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(source.contains(&format!("`{sha}`")), "{name}: sha256 {sha}");
        let size = format!("{} bytes", thousands(bytes.len()));
        assert!(source.contains(&size), "{name}: {size}");
        let chars = text.chars().count();
        if chars != bytes.len() {
            let n = format!("{} characters", thousands(chars));
            assert!(source.contains(&n), "{name}: {n}");
            let mut distinct: Vec<char> = text.chars().collect();
            distinct.sort_unstable();
            distinct.dedup();
            let v = format!("{} distinct characters", thousands(distinct.len()));
            assert!(source.contains(&v), "{name}: {v}");
        }
    }
    // The Tang poems' format: poems separated by one empty line, no line empty otherwise, no
    // trailing space, one final newline.
    let tang = std::fs::read_to_string(book_path(CORPORA[1].1)).unwrap();
    assert!(tang.ends_with("。\n") && !tang.ends_with("\n\n"));
    assert!(!tang.contains("\n\n\n") && !tang.contains(" \n"));
    assert_eq!(tang.split("\n\n").count(), 21_695);
    assert!(
        tang.split("\n\n")
            .all(|poem| poem.trim_end().lines().count() >= 2)
    );
}

#[test]
fn tiny_shakespeare_splits_as_nanogpt_does() {
    let text = ce_mle::corpus::load_corpus(&book_path(CORPORA[0].1)).unwrap();
    let split = CharSplit::nanogpt(&text).unwrap();
    // nanoGPT's data/shakespeare_char/prepare.py prints these.
    assert_eq!(text.chars().count(), 1_115_394);
    assert_eq!(
        (split.train().len(), split.val().len()),
        (1_003_854, 111_540)
    );
    let chars: String = split.vocab().chars().iter().collect();
    assert_eq!(
        chars,
        "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    );
    assert_eq!(split.vocab_size(), 65);
    // "First Citizen:" — F = 18, i = 47 (nanoGPT's encoding of the first characters).
    assert_eq!(&split.train()[..3], [18, 47, 56]);
    assert_eq!(
        split.decode(&split.val()[..20]).unwrap(),
        &text[1_003_854..1_003_874]
    );
}

/// The committed record against the code: every field of Tiny Shakespeare's rows up to order 3
/// (see the module docs for the rest).
#[test]
fn record_agrees_with_the_code_on_tiny_shakespeare_up_to_order_3() {
    let record = read_record().unwrap();
    assert_eq!(record.command, COMMAND);
    assert_eq!(record.max_order, MAX_ORDER);
    let names: Vec<&str> = record.corpora.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, CORPORA.map(|c| c.0));
    let committed = &record.corpora[0].baselines;
    assert_eq!(committed.orders.len(), MAX_ORDER);

    let text = ce_mle::corpus::load_corpus(&book_path(CORPORA[0].1)).unwrap();
    let split = CharSplit::nanogpt(&text).unwrap();
    let opts = BaselineOptions {
        max_order: 3,
        heldout_fraction: record.heldout_fraction,
        ..BaselineOptions::default()
    };
    let now = baselines(&split, &opts).unwrap();
    let mut diffs = Vec::new();
    for (what, a, b) in [
        (
            "bigram_mle",
            json(&committed.bigram_mle),
            json(&now.bigram_mle),
        ),
        (
            "bigram_add_one",
            json(&committed.bigram_add_one),
            json(&now.bigram_add_one),
        ),
        (
            "bigram_add_k",
            json(&committed.bigram_add_k),
            json(&now.bigram_add_k),
        ),
        (
            "orders[..3]",
            json(&committed.orders[..3].to_vec()),
            json(&now.orders),
        ),
        (
            "sizes",
            json(&(
                committed.train_chars,
                committed.val_chars,
                committed.vocab_size,
            )),
            json(&(now.train_chars, now.val_chars, now.vocab_size)),
        ),
    ] {
        diffs.extend(
            differences(&a, &b)
                .into_iter()
                .map(|d| format!("{what}: {d}")),
        );
    }
    assert!(
        diffs.is_empty(),
        "the record differs from the code (relative tolerance {RECORD_TOLERANCE:e}): run `{COMMAND}`\n{}",
        diffs.join("\n")
    );
    // What the chapter will quote, read from the record: the counting bigram is infinite on
    // this split, add-one is about 2.48 nats/char, and the smoothed models improve up to the
    // order chosen on held-out training text.
    assert!(committed.bigram_mle.cross_entropy.is_none() && committed.bigram_mle.unseen > 0);
    assert!((committed.bigram_add_one - 2.48).abs() < 0.01);
    let best = &committed.orders[committed.kneser_ney_order - 1];
    assert_eq!(best.kneser_ney, committed.kneser_ney_best);
    assert!(
        committed
            .orders
            .iter()
            .all(|o| o.kneser_ney >= best.kneser_ney - 0.01)
    );
}

/// A number-tolerant diff must see changes: a changed number, field or length.
#[test]
fn record_differences_see_changed_numbers_and_shapes() {
    use serde_json::json;
    let a = json!({"x": [1.0, 2.0], "y": {"k": 0.1}, "s": "a"});
    assert!(differences(&a, &a).is_empty());
    assert!(
        differences(
            &a,
            &json!({"x": [1.0, 2.0 + 1e-12], "y": {"k": 0.1}, "s": "a"})
        )
        .is_empty()
    );
    for b in [
        json!({"x": [1.0, 2.001], "y": {"k": 0.1}, "s": "a"}),
        json!({"x": [1.0], "y": {"k": 0.1}, "s": "a"}),
        json!({"x": [1.0, 2.0], "y": {"j": 0.1}, "s": "a"}),
        json!({"x": [1.0, 2.0], "y": {"k": null}, "s": "a"}),
        json!({"x": [1.0, 2.0], "y": {"k": 0.1}, "s": "b"}),
    ] {
        assert_eq!(differences(&a, &b).len(), 1, "{b}");
    }
}

#[test]
fn cli_ngram_reports_baselines_and_refuses_bad_corpora_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(
        &good,
        "to be, or not to be, that is the question. 生存还是毁灭。".repeat(5),
    )
    .unwrap();
    let out = ce_mle(&[
        "ngram",
        "--corpus",
        good.to_str().unwrap(),
        "--max-order",
        "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "bigram MLE",
        "add-one",
        "Kneser-Ney",
        "Witten-Bell",
        "best count model",
    ] {
        assert!(stdout.contains(needle), "{needle} missing in\n{stdout}");
    }
    let cases: [(&str, &[u8]); 3] = [
        ("empty.txt", b""),
        ("short.txt", "猫坐".as_bytes()),
        ("binary.txt", b"ab\xff\xfe\x00cd"),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = ce_mle(&["ngram", "--corpus", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
    let g = good.to_str().unwrap();
    for args in [
        vec![
            "ngram",
            "--corpus",
            dir.path().join("missing.txt").to_str().unwrap(),
        ],
        vec!["ngram", "--corpus", g, "--max-order", "0"],
        vec!["ngram", "--corpus", g, "--max-order", "40"],
        vec!["ngram", "--corpus", g, "--train-fraction", "1.5"],
        vec!["ngram", "--max-order", "3"],
        vec!["ngram", "--corpus", g, "--write"],
    ] {
        let out = ce_mle(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
}

fn json<T: serde::Serialize>(x: &T) -> serde_json::Value {
    serde_json::to_value(x).expect("serialisable")
}
