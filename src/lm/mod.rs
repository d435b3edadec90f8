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
//! * [`Bigram::fit_gradient`] — a `V × V` logit matrix `Z` (start: all zeros, i.e. uniform),
//!   minimising CE by full-batch [`crate::optim::Adam`] steps; `P(b | a) = softmax(Z_a)_b`.
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
//! characters and one unknown token for the rest. At V = 2048 one dense matrix is 32 MiB and
//! training holds about eight (counts, logits, gradient, Adam's two moments, the results).
//!
//! # Optimiser
//! [`Bigram::fit_gradient`] uses full-batch [`crate::optim::Adam`] with `lr = 0.1`,
//! `betas = (0.9, 0.9)`, `eps = 1e-8` ([`TrainOptions::default`]); it stops when the gap is
//! below `1e-4` nats.
//!
//! * **Not plain gradient descent.** The gradient of row `a` carries the factor `n(a)/M`, so a
//!   rare context learns as much slower as it is rarer, while the most frequent one caps the
//!   stable learning rate; and a next token never seen after `a` needs `Z_{a,b} → −∞`, where
//!   the gradient vanishes as fast as the probability, so the gap only falls like `1/t`.
//!   Adam divides each logit's step by the running RMS of its own gradient: the `n(a)/M`
//!   factor cancels and every context moves about `lr` per step.
//! * **β2 = 0.9, not PyTorch's 0.999.** With a long memory, `√v̂` remembers the large early
//!   gradients of the zero-count logits, so their steps shrink as fast as their gradients and
//!   the tail is GD-like again; a short memory lets `v̂` follow the vanishing gradient, and the
//!   mass left on unseen bigrams decays geometrically.
//! * **lr = 0.1.** Constant-step Adam keeps oscillating near the optimum, at a gap that grows
//!   roughly like `lr²`; at 0.1 that floor is well below the default tolerance, and training
//!   is still fast.
//!
//! A step costs `O(A·V)` for `A ≤ V` contexts seen as left tokens (the softmax of every row,
//! one `exp` per logit, and Adam's update), whatever the length of the text. Rows are split
//! into 8 fixed blocks, each with its own Adam (element-wise, so identical to one Adam over
//! everything), advanced on up to 8 threads; the result does not depend on their number.
//!
//! # Errors
//! Typed [`crate::Error`]s: [`crate::Error::Corpus`] for a text without a single bigram (fewer
//! than 2 characters) or a character outside a vocabulary without unknown token;
//! [`crate::Error::InvalidHyperParameter`] for bad options. See [`crate::corpus`] for reading
//! files.

mod bigram;
pub mod gpt;
mod report;
mod vocab;

pub use bigram::{Bigram, BigramCounts, BigramProgress, TrainOptions, Training};
pub use report::{BigramOptions, BigramReport, BigramRun, compare_fits};
pub use vocab::{DEFAULT_MAX_VOCAB, MAX_VOCAB, UNKNOWN_LABEL, Vocab};
