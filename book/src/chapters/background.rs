//! Background: perplexity of a uniform next-token model and of a few observed tokens.
//!
//! The numbers and figures of `book/{en,zh}/src/background.md`; the inputs below are the ones the
//! chapter's listing (`book/listings/background.rs`) asserts it uses.

use ce_mle::likelihood::log_likelihood;

use super::{Anchored, Outputs, fixed6, tuple_exact};
use crate::error::Result;

/// Vocabulary size of the background chapter's uniform next-token model.
pub const BACKGROUND_VOCAB: usize = 50_000;

/// The probabilities a model gave to the successive tokens of the background chapter's text.
pub const BACKGROUND_PROBS: [f64; 4] = [0.5, 0.25, 0.125, 0.5];

/// Numbers of the background chapter: perplexity of a uniform model and of a model that
/// gives the observed tokens a fixed probability.
fn background_values() -> Result<String> {
    let mut a = Anchored::default();
    let v = BACKGROUND_VOCAB as f64;
    a.put("vocab", BACKGROUND_VOCAB);
    a.put("uniform_ce", fixed6(v.ln()));
    a.put("uniform_ppl", format!("{:.0}", v.ln().exp()));
    let probs = BACKGROUND_PROBS;
    let ce = -log_likelihood(&probs)? / probs.len() as f64;
    a.put("tokens_n", probs.len());
    // The product of these dyadic probabilities is exact in f64: print every digit (1/128 is
    // 0.0078125, which six decimals would cut to 0.007812).
    let product: f64 = probs.iter().product();
    a.put("text_prob", format!("{product}"));
    a.put("tokens_probs", tuple_exact(&probs));
    a.put("tokens_ce", fixed6(ce));
    a.put("tokens_ppl", fixed6(ce.exp()));
    Ok(a.0)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "background",
    files: &["background-values.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![background_values()?])
}
