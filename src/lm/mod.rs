//! Character bigram language models (theorem T11): the counting MLE and the same model trained
//! by gradient descent on the cross-entropy, which converges to it.
//!
//! # Model
//! Tokens are Unicode scalar values (`char`), so English and Chinese text work alike. A bigram
//! model predicts the next token from the current one: `P(x_{t+1} = b | x_t = a)`. Over a text
//! `x_1..x_T` with `M = T − 1` bigrams its mean cross-entropy (nats per token) is
//!
//! ```text
//! CE = −(1/M) Σ_t ln P(x_{t+1} | x_t) = −(1/M) Σ_a Σ_b n(a, b) ln P(b | a),
//! ```
//!
//! the negative log-likelihood per token (T2), and the perplexity is `exp(CE)`
//! (Jurafsky & Martin, *Speech and Language Processing*, 3rd ed. draft, ch. 3 "N-gram Language
//! Models", §3.1–3.3).
//!
//! * [`Bigram::counting`] — the closed-form MLE `P̂(b | a) = n(a, b) / n(a)`.
//! * [`train`] — a `V × V` logit matrix `Z` (start: all zeros, i.e. uniform), minimising CE by
//!   full-batch [`crate::optim::Adam`] steps; `P(b | a) = softmax(Z_a)_b`.
//!
//! Since `CE(Z) − CE(P̂) = Σ_a (n(a)/M) D_KL(P̂(·|a) ‖ softmax(Z_a)) ≥ 0`
//! ([`Bigram::mean_kl_from_counts`]), the counting model is the minimiser, and the gap is the
//! distance still to go: training stops when it falls below a tolerance.
//!
//! # Shapes and layout
//! Every model and count matrix is `(V, V)`: **row = context (current token `a`), column = next
//! token `b`; the class axis is axis 1**, as for logits `(N, C)` elsewhere in the crate. The
//! public accessors return nalgebra matrices in that orientation; internally the buffers are
//! row-major `Vec`s, so that each context's distribution is contiguous for the row-wise softmax
//! (nalgebra is column-major, where a row is strided).
//!
//! # Vocabulary cap
//! The models are dense, so memory and time per step are `O(V²)`. [`Vocab::from_text`] keeps at
//! most `max_vocab` tokens ([`DEFAULT_MAX_VOCAB`] = 2048): the `max_vocab − 1` most frequent
//! characters and one unknown token for the rest.
//!
//! # Optimiser
//! OPTIMISER_NOTES
//!
//! # Errors
//! Typed [`crate::Error`]s: [`crate::Error::Corpus`] for a text without a single bigram (fewer
//! than 2 characters) or a character outside a vocabulary without unknown token;
//! [`crate::Error::InvalidHyperParameter`] for bad options. See [`crate::corpus`] for reading
//! files.

mod bigram;
mod report;
mod vocab;

pub use bigram::{Bigram, BigramCounts, TrainOptions, Training, train};
pub use report::{BigramOptions, BigramReport, BigramRun, run};
pub use vocab::{DEFAULT_MAX_VOCAB, UNKNOWN_LABEL, Vocab};
