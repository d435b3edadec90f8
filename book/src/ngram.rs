//! The count baselines of the two character corpora the book trains on, and their committed
//! record.
//!
//! [`CORPORA`] are Tiny Shakespeare and the Tang poems (`book/data/*/input.txt`, provenance in
//! each `SOURCE.md`), both split as nanoGPT does ([`ce_mle::lm::CharSplit::nanogpt`]). The
//! baselines ([`ce_mle::lm::baselines`]: the bigram MLE, add-one and add-k bigrams,
//! Kneser–Ney and Witten–Bell for `n = 1..=8`) are recorded in [`RECORD`]
//! (`book/data/ngram-baselines.json`), written by
//!
//! ```text
//! cargo run --release -- ngram --write
//! ```
//!
//! and checked by `cargo run --release -- ngram --check` (every number, both corpora, about
//! ten seconds) and, in `cargo test`, on a cheap part of it (`book/tests/ngram.rs`: Tiny
//! Shakespeare up to order 3).

use std::path::{Path, PathBuf};

use ce_mle::lm::{BaselineOptions, Baselines, CharSplit, baselines};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::paths::book_root;

/// The committed record, relative to `book/`.
pub const RECORD: &str = "data/ngram-baselines.json";

/// The command that writes [`RECORD`].
pub const COMMAND: &str = "cargo run --release -- ngram --write";

/// The corpora: `(name, file relative to book/)`.
pub const CORPORA: [(&str, &str); 2] = [
    ("tinyshakespeare", "data/tinyshakespeare/input.txt"),
    ("tang-poems", "data/tang-poems/input.txt"),
];

/// The highest n-gram order of the record.
pub const MAX_ORDER: usize = 8;

/// Two numbers of the record agree when they differ by at most this, relatively (the
/// computation is deterministic; the margin absorbs `ln` differing in the last bits between
/// platforms).
pub const RECORD_TOLERANCE: f64 = 1e-9;

/// The baselines of one corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusBaselines {
    /// Short name (a directory of `book/data`).
    pub name: String,
    /// The text file, relative to `book/`.
    pub file: String,
    /// Its size in bytes.
    pub bytes: usize,
    /// Its length in characters.
    pub chars: usize,
    /// Everything [`ce_mle::lm::baselines`] computed.
    pub baselines: Baselines,
}

/// The record: how it was made and the baselines of every corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The command that wrote it.
    pub command: String,
    /// What the numbers mean.
    pub units: String,
    /// The highest order.
    pub max_order: usize,
    /// The held-out fraction of the training text that chose add-k's `k`.
    pub heldout_fraction: f64,
    /// One entry per corpus, in the order of [`CORPORA`].
    pub corpora: Vec<CorpusBaselines>,
}

/// `book/<relative>`.
#[must_use]
pub fn book_path(relative: &str) -> PathBuf {
    book_root().join(relative)
}

/// The baselines of the text at `path` up to order `max_order` (nanoGPT's split).
///
/// # Errors
/// Those of [`CharSplit::load`] and [`baselines`].
pub fn corpus_baselines(name: &str, path: &Path, max_order: usize) -> Result<CorpusBaselines> {
    let text = ce_mle::corpus::load_corpus(path)?;
    let split = CharSplit::nanogpt(&text)?;
    let opts = BaselineOptions {
        max_order,
        ..BaselineOptions::default()
    };
    Ok(CorpusBaselines {
        name: name.to_owned(),
        file: path.display().to_string(),
        bytes: text.len(),
        chars: text.chars().count(),
        baselines: baselines(&split, &opts)?,
    })
}

/// Compute the whole record (both corpora, orders `1..=`[`MAX_ORDER`]).
///
/// # Errors
/// As [`corpus_baselines`].
pub fn compute_record() -> Result<Record> {
    let corpora = CORPORA
        .iter()
        .map(|&(name, file)| {
            let mut c = corpus_baselines(name, &book_path(file), MAX_ORDER)?;
            c.file = format!("book/{file}");
            Ok(c)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Record {
        command: COMMAND.to_owned(),
        units: "cross-entropies in nats per character on the validation part \
                (mean over its chars - 1 next-character predictions)"
            .to_owned(),
        max_order: MAX_ORDER,
        heldout_fraction: BaselineOptions::default().heldout_fraction,
        corpora,
    })
}

/// The committed record.
///
/// # Errors
/// [`ce_mle::Error::Io`] if it cannot be read; [`ce_mle::Error::InvalidFile`] if it is not a
/// record.
pub fn read_record() -> Result<Record> {
    let path = book_path(RECORD);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        ce_mle::Error::InvalidFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
        .into()
    })
}

/// The record as written to disk: pretty JSON with a final newline.
///
/// # Errors
/// [`Error::Book`] if it cannot be serialised (a non-finite number).
pub fn record_json(record: &Record) -> Result<String> {
    let mut s = serde_json::to_string_pretty(record).map_err(|e| Error::Book(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

/// Write the record atomically to [`RECORD`].
///
/// # Errors
/// As [`record_json`]; [`ce_mle::Error::Io`] on a write failure.
pub fn write_record(record: &Record) -> Result<()> {
    let json = record_json(record)?;
    ce_mle::fsio::write_atomic(&book_path(RECORD), json.as_bytes())?;
    Ok(())
}

/// Where two JSON values differ: numbers by more than [`RECORD_TOLERANCE`] relatively,
/// anything else at all; each difference as `path: committed vs computed`.
#[must_use]
pub fn differences(committed: &serde_json::Value, computed: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(committed, computed, "$", &mut out);
    out
}

fn diff(a: &serde_json::Value, b: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            if (x - y).abs() > RECORD_TOLERANCE * x.abs().max(y.abs()).max(1.0) || x.is_nan() {
                out.push(format!("{at}: {x} vs {y}"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                diff(x, y, &format!("{at}[{i}]"), out);
            }
        }
        (Value::Object(x), Value::Object(y))
            if x.len() == y.len() && x.keys().all(|k| y.contains_key(k)) =>
        {
            for (k, v) in x {
                diff(v, &y[k], &format!("{at}.{k}"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{at}: {a} vs {b}")),
    }
}

/// A plain-text table of one corpus's baselines.
#[must_use]
pub fn render(c: &CorpusBaselines) -> String {
    use std::fmt::Write as _;
    let b = &c.baselines;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} chars ({} bytes), V = {}, train {} / validation {} chars \
         ({} validation chars unseen in train)",
        c.name,
        c.chars,
        c.bytes,
        b.vocab_size,
        b.train_chars,
        b.val_chars,
        b.val_chars_unseen_in_train
    );
    let _ = writeln!(s, "validation cross-entropy, nats/char:");
    let _ = writeln!(s, "  uniform (ln V)                      {:.4}", b.uniform);
    match b.bigram_mle.cross_entropy {
        Some(ce) => {
            let _ = writeln!(s, "  bigram MLE                          {ce:.4}");
        }
        None => {
            let _ = writeln!(
                s,
                "  bigram MLE                          inf ({} validation bigrams unseen in train)",
                b.bigram_mle.unseen
            );
        }
    }
    let _ = writeln!(
        s,
        "  bigram add-one (k = 1)              {:.4}",
        b.bigram_add_one
    );
    let _ = writeln!(
        s,
        "  bigram add-k (k = {:.4}, held-out)  {:.4}",
        b.bigram_add_k.k, b.bigram_add_k.cross_entropy
    );
    let _ = writeln!(
        s,
        "   n   Kneser-Ney  (held-out)  Witten-Bell  distinct n-grams  unseen in val  KN discounts D1 D2 D3+"
    );
    for o in &b.orders {
        let _ = writeln!(
            s,
            "  {:>2}   {:>10.4}  {:>10.4}  {:>11.4}  {:>16}  {:>13}  {:.3} {:.3} {:.3}{}",
            o.n,
            o.kneser_ney,
            o.kneser_ney_heldout,
            o.witten_bell,
            o.distinct,
            o.unseen,
            o.discounts.d1,
            o.discounts.d2,
            o.discounts.d3,
            if o.discounts.estimated {
                ""
            } else {
                " (fallback)"
            }
        );
    }
    let _ = writeln!(
        s,
        "best count model (order chosen on held-out training text): Kneser-Ney n = {}, {:.4}",
        b.kneser_ney_order, b.kneser_ney_best
    );
    s
}
