//! The bigram language model: counts of a tiny text, the counting MLE against the model trained
//! by gradient descent on the cross-entropy, and the same on the books' own prose
//! (`book/{en,zh}/src/bigram.md`, listing `book/listings/bigram.rs`).

use std::fmt::Write as _;
use std::path::PathBuf;

use ce_mle::lm::BigramRun;

use super::{Anchored, Outputs, book_err, fixed6, prose_number, trimmed};
use crate::error::Result;

/// The bigram chapter's small text, short enough to count its bigrams by hand: "CE =
/// cross-entropy, cross-entropy = CE", in Latin and Chinese characters.
pub const BIGRAM_TEXT: &str = "CE=交叉熵，交叉熵=CE";
/// A text with a bigram ("=熵") that [`BIGRAM_TEXT`] never shows.
pub const BIGRAM_UNSEEN_TEXT: &str = "CE=熵";
/// The contexts whose rows the chapter shows under both models.
const BIGRAM_ROWS: [char; 3] = ['=', '熵', 'C'];

/// Counts, counting model and trained model of [`BIGRAM_TEXT`], with the default options.
fn bigram_small() -> Result<BigramRun> {
    Ok(ce_mle::lm::compare_fits(
        BIGRAM_TEXT,
        &ce_mle::lm::BigramOptions::default(),
        &mut |_| {},
    )?)
}

/// The id of a character of [`BIGRAM_TEXT`].
fn bigram_id(vocab: &ce_mle::lm::Vocab, c: char) -> Result<usize> {
    vocab
        .id(c)
        .ok_or_else(|| book_err(format!("{c:?} is not in the vocabulary of BIGRAM_TEXT")))
}

/// The count table `n(a, b)` of [`BIGRAM_TEXT`] (row = current character `a`, column = next
/// character `b`) with the row sums `n(a)`.
fn bigram_counts_table(r: &BigramRun) -> Result<String> {
    let vocab = r.counts.vocab();
    let v = vocab.len();
    let labels: Vec<String> = (0..v).filter_map(|i| vocab.label(i)).collect();
    let mut s = format!("| $a$ | {} | $n(a)$ |\n", labels.join(" | "));
    let _ = writeln!(s, "|---|{}---|", "---|".repeat(v));
    for (a, label) in labels.iter().enumerate() {
        let row = r
            .counts
            .row(a)
            .ok_or_else(|| book_err("a count row is missing"))?;
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        let n = r.counts.context_count(a).unwrap_or(0);
        let _ = writeln!(s, "| {label} | {} | {n} |", cells.join(" | "));
    }
    Ok(s)
}

/// For the contexts `a` of [`BIGRAM_ROWS`]: `P̂(b | a)` of the counting model and `P(b | a)` of
/// the trained one, one row per next character `b` (a column per context and model keeps the
/// table narrow).
fn bigram_rows_table(r: &BigramRun) -> Result<String> {
    let vocab = r.counts.vocab();
    let (p_hat, p) = (r.counting.probabilities(), r.training.model.probabilities());
    // Exact zeros and ones as such; tiny probabilities in scientific notation.
    let cell = |x: f64| {
        if x != 0.0 && x < 1e-3 {
            format!("{x:.1e}")
        } else {
            trimmed(x)
        }
    };
    let mut columns = Vec::new();
    let mut s = String::from("| $b$ |");
    for c in BIGRAM_ROWS {
        let a = bigram_id(vocab, c)?;
        for (name, m) in [("\\hat P", &p_hat), ("P", &p)] {
            let _ = write!(s, " ${name}(b \\mid \\text{{{c}}})$ |");
            columns.push((a, m));
        }
    }
    let _ = writeln!(s, "\n|---|{}", "---|".repeat(columns.len()));
    for b in 0..vocab.len() {
        let label = vocab
            .label(b)
            .ok_or_else(|| book_err("a token without label"))?;
        let cells: Vec<String> = columns.iter().map(|&(a, m)| cell(m[(a, b)])).collect();
        let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
    }
    Ok(s)
}

/// Every number the bigram chapter quotes about [`BIGRAM_TEXT`] and the training options.
fn bigram_values(r: &BigramRun) -> Result<String> {
    let vocab = r.counts.vocab();
    let rep = &r.report;
    let opts = ce_mle::lm::TrainOptions::default();
    let mut a = Anchored::default();
    a.put("text", BIGRAM_TEXT);
    a.put("tokens", rep.tokens);
    a.put("bigrams", rep.bigrams);
    a.put("vocab", rep.vocab_size);
    let v = rep.vocab_size;
    let seen = r.counts.to_matrix().iter().filter(|&&n| n > 0.0).count();
    a.put("pairs_seen", seen);
    a.put("pairs_all", v * v);
    a.put("pairs_unseen", v * v - seen);
    // Positions where the counting model hesitates: contexts with more than one successor.
    let branching: u64 = (0..v)
        .filter_map(|c| r.counts.row(c))
        .filter(|row| row.iter().filter(|&&k| k > 0).count() > 1)
        .map(|row| row.iter().sum::<u64>())
        .sum();
    a.put("branching", branching);
    let id = |c| bigram_id(vocab, c);
    let n = |x, y| -> Result<u64> {
        r.counts
            .count(id(x)?, id(y)?)
            .ok_or_else(|| book_err("count out of range"))
    };
    a.put("n_jiao_cha", n('交', '叉')?);
    a.put("n_eq", r.counts.context_count(id('=')?).unwrap_or(0));
    a.put("n_eq_jiao", n('=', '交')?);
    a.put("n_eq_c", n('=', 'C')?);
    a.put("ce_counting", fixed6(rep.ce_counting));
    a.put("ce_trained", fixed6(rep.ce_trained));
    a.put("ppl_counting", fixed6(rep.perplexity_counting));
    a.put("ppl_trained", fixed6(rep.perplexity_trained));
    a.put("mean_kl", prose_number(&format!("{:.2e}", rep.mean_kl)));
    a.put("iterations", rep.iterations);
    a.put("ln_v", fixed6((v as f64).ln()));
    a.put("initial_gap", fixed6(r.training.gaps[0]));
    a.put(
        "p_unseen",
        prose_number(&format!("{:.1e}", r.training.model.prob('C', '交')?)),
    );
    a.put("unseen_text", BIGRAM_UNSEEN_TEXT);
    a.put(
        "unseen_ce_trained",
        fixed6(r.training.model.cross_entropy_on(BIGRAM_UNSEEN_TEXT)?),
    );
    a.put("lr", opts.lr);
    a.put("beta1", opts.betas.0);
    a.put("beta2", opts.betas.1);
    a.put(
        "tolerance",
        prose_number(&format!("{:.0e}", opts.tolerance)),
    );
    a.put("max_iters", opts.max_iters);
    a.put("vocab_cap", ce_mle::lm::DEFAULT_MAX_VOCAB);
    Ok(a.0)
}

/// The frozen corpus of the bigram chapter: the books' prose ([`crate::paths::book_corpus`])
/// as it was once, while the book was being written, so that editing a page does not change
/// the chapter's figures. `ce-mle bigram` still defaults to the live prose.
#[must_use]
pub fn bigram_snapshot_path() -> PathBuf {
    crate::paths::book_root().join("corpus").join("books.txt")
}

/// The bigram report on the chapter's corpus ([`bigram_snapshot_path`]).
fn bigram_corpus_run() -> Result<CorpusRun> {
    let text = ce_mle::corpus::load_corpus(&bigram_snapshot_path())?;
    let r = ce_mle::lm::compare_fits(&text, &ce_mle::lm::BigramOptions::default(), &mut |_| {})?;
    let seen = r.counts.to_matrix().iter().filter(|&&n| n > 0.0).count();
    Ok(CorpusRun {
        report: r.report,
        pairs_seen: seen,
    })
}

/// What the chapter quotes from the run on the default corpus.
struct CorpusRun {
    report: ce_mle::lm::BigramReport,
    pairs_seen: usize,
}

/// The report table of the default corpus ([`ce_mle::lm::BigramReport::render`]).
fn bigram_corpus_report(run: &CorpusRun) -> String {
    run.report.render()
}

/// The numbers the chapter quotes from the run on the default corpus.
fn bigram_corpus_values(run: &CorpusRun) -> Result<String> {
    let rep = &run.report;
    // The chapter says so in words.
    if rep.unknown_token || !rep.converged {
        return Err(book_err(
            "the bigram chapter says every character of the books is in the vocabulary and \
             that training converged: update its prose",
        ));
    }
    let mut a = Anchored::default();
    a.put("tokens", rep.tokens);
    a.put("bigrams", rep.bigrams);
    a.put("distinct", rep.distinct_chars);
    a.put("vocab", rep.vocab_size);
    a.put("ce_counting", fixed6(rep.ce_counting));
    a.put("ce_trained", fixed6(rep.ce_trained));
    a.put("ppl_counting", format!("{:.3}", rep.perplexity_counting));
    a.put("ppl_trained", format!("{:.3}", rep.perplexity_trained));
    a.put("ce_counting_short", format!("{:.2}", rep.ce_counting));
    a.put("ppl_round", format!("{:.0}", rep.perplexity_counting));
    a.put("mean_kl", prose_number(&format!("{:.2e}", rep.mean_kl)));
    a.put("iterations", rep.iterations);
    a.put("converged", rep.converged);
    let all = rep.vocab_size * rep.vocab_size;
    a.put("pairs_seen", run.pairs_seen);
    a.put("pairs_all", all);
    a.put(
        "pairs_seen_percent",
        format!("{:.1}%", 100.0 * run.pairs_seen as f64 / all as f64),
    );
    Ok(a.0)
}

/// The files of this chapter under `book/generated/`, in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "bigram",
    files: &[
        "bigram-counts.md",
        "bigram-rows.md",
        "bigram-values.txt",
        "bigram-corpus-report.txt",
        "bigram-corpus.txt",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let small = bigram_small()?;
    let corpus = bigram_corpus_run()?;
    Ok(vec![
        bigram_counts_table(&small)?,
        bigram_rows_table(&small)?,
        bigram_values(&small)?,
        bigram_corpus_report(&corpus),
        bigram_corpus_values(&corpus)?,
    ])
}
