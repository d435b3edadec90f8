//! The end-to-end bigram experiment and its report.

use std::fmt;

use super::{Bigram, BigramCounts, BigramProgress, TrainOptions, Training, Vocab};
use crate::error::Result;

/// Options of [`compare_fits`].
#[derive(Clone, Debug, PartialEq)]
pub struct BigramOptions {
    /// Vocabulary cap (default [`super::DEFAULT_MAX_VOCAB`]); see [`Vocab::from_text`].
    pub max_vocab: usize,
    /// Options of the gradient-trained model.
    pub train: TrainOptions,
}

impl Default for BigramOptions {
    fn default() -> Self {
        Self {
            max_vocab: super::DEFAULT_MAX_VOCAB,
            train: TrainOptions::default(),
        }
    }
}

/// Everything [`compare_fits`] computed.
#[derive(Clone, Debug, PartialEq)]
pub struct BigramRun {
    /// The bigram counts of the text.
    pub counts: BigramCounts,
    /// The counting model (closed-form MLE).
    pub counting: Bigram,
    /// The gradient-trained model and its training record.
    pub training: Training,
    /// The summary.
    pub report: BigramReport,
}

/// Summary of a bigram experiment (theorem T11). Cross-entropies are mean nats per predicted
/// token on the training text itself; perplexity = `exp(CE)`.
#[derive(Clone, Debug, PartialEq)]
pub struct BigramReport {
    /// Number of tokens (characters) `T`.
    pub tokens: u64,
    /// Number of bigrams `M = T − 1`.
    pub bigrams: u64,
    /// Distinct characters in the text.
    pub distinct_chars: usize,
    /// Vocabulary size `V` (including the unknown token, if any).
    pub vocab_size: usize,
    /// Whether an unknown token was needed (more distinct characters than the cap).
    pub unknown_token: bool,
    /// CE of the counting model, nats/token (= Σ_a (n(a)/M) H(P̂(·|a)), the minimum).
    pub ce_counting: f64,
    /// CE of the gradient-trained model, nats/token.
    pub ce_trained: f64,
    /// `exp(ce_counting)`.
    pub perplexity_counting: f64,
    /// `exp(ce_trained)`.
    pub perplexity_trained: f64,
    /// `Σ_a (n(a)/M) D_KL(P̂(·|a) ‖ P_trained(·|a))`, nats; equals `ce_trained − ce_counting`.
    pub mean_kl: f64,
    /// Optimiser steps taken.
    pub iterations: usize,
    /// The training's stopping tolerance on the gap, nats.
    pub tolerance: f64,
    /// `ce_trained − ce_counting` as tracked by the training loop, nats.
    pub final_gap: f64,
    /// Whether the gap fell below the tolerance.
    pub converged: bool,
}

impl BigramReport {
    /// A fixed-precision plain-text table (no timings, so it is deterministic for a given text
    /// and options): suitable for the book and for snapshot tests. Values that depend on the
    /// last bits of floating-point arithmetic are printed to 6 decimals (the gap and the KL in
    /// scientific notation to 3 significant digits).
    #[must_use]
    pub fn render(&self) -> String {
        let rows: Vec<(&str, String)> = vec![
            ("tokens T", self.tokens.to_string()),
            ("bigrams M = T - 1", self.bigrams.to_string()),
            ("distinct characters", self.distinct_chars.to_string()),
            (
                "vocabulary V",
                format!(
                    "{}{}",
                    self.vocab_size,
                    if self.unknown_token {
                        " (incl. unknown token)"
                    } else {
                        ""
                    }
                ),
            ),
            (
                "CE counting MLE (nats/token)",
                format!("{:.6}", self.ce_counting),
            ),
            ("CE trained (nats/token)", format!("{:.6}", self.ce_trained)),
            (
                "perplexity counting MLE",
                format!("{:.6}", self.perplexity_counting),
            ),
            (
                "perplexity trained",
                format!("{:.6}", self.perplexity_trained),
            ),
            (
                "mean KL(MLE || trained) (nats)",
                format!("{:.3e}", self.mean_kl),
            ),
            (
                "gap CE trained - CE MLE (nats)",
                format!("{:.3e}", self.final_gap),
            ),
            ("tolerance (nats)", format!("{:.1e}", self.tolerance)),
            ("Adam steps", self.iterations.to_string()),
            (
                "converged",
                if self.converged { "yes" } else { "no" }.to_string(),
            ),
        ];
        let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let vw = rows
            .iter()
            .map(|(_, v)| v.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        out.push_str(&format!("{:<w$}  {:>vw$}\n", "quantity", "value"));
        out.push_str(&format!("{}  {}\n", "-".repeat(w), "-".repeat(vw)));
        for (k, v) in rows {
            out.push_str(&format!("{k:<w$}  {v:>vw$}\n"));
        }
        out
    }
}

impl fmt::Display for BigramReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// The whole experiment on one text: build the vocabulary ([`Vocab::from_text`]), count the
/// bigrams, fit the counting model ([`Bigram::counting`]) and the gradient-trained model
/// ([`Bigram::fit_gradient`]), and summarise. `observer` hears the counting's and the
/// training's progress ([`BigramProgress`]).
///
/// # Errors
/// [`crate::Error::Corpus`] for a text of fewer than 2 characters; the errors of
/// [`Vocab::from_text`] and [`Bigram::fit_gradient`] for bad options.
pub fn compare_fits(
    text: &str,
    opts: &BigramOptions,
    observer: &mut dyn FnMut(BigramProgress),
) -> Result<BigramRun> {
    if text.chars().nth(1).is_none() {
        return Err(super::bigram::no_bigram(text.chars().count()));
    }
    let vocab = Vocab::from_text(text, opts.max_vocab)?;
    let counts = BigramCounts::from_text_observed(text, vocab, observer)?;
    let counting = Bigram::counting(&counts);
    let training = Bigram::fit_gradient(&counts, &opts.train, observer)?;
    let ce_counting = counting.cross_entropy_counts(&counts)?;
    let ce_trained = training.model.cross_entropy_counts(&counts)?;
    let mean_kl = training.model.mean_kl_from_counts(&counts)?;
    let report = BigramReport {
        tokens: counts.tokens(),
        bigrams: counts.bigrams(),
        distinct_chars: counts.vocab().distinct_chars(),
        vocab_size: counts.vocab().len(),
        unknown_token: counts.vocab().unknown_id().is_some(),
        ce_counting,
        ce_trained,
        perplexity_counting: ce_counting.exp(),
        perplexity_trained: ce_trained.exp(),
        mean_kl,
        iterations: training.iterations,
        tolerance: opts.train.tolerance,
        final_gap: training.final_gap,
        converged: training.converged,
    };
    Ok(BigramRun {
        counts,
        counting,
        training,
        report,
    })
}
