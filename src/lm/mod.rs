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
//! characters and one unknown token for the rest. At V = 2048 one dense matrix is 32 MiB and
//! training holds about eight (counts, logits, gradient, Adam's two moments, the results):
//! the 10 MB run peaked at about 270 MB of resident memory.
//!
//! # Optimiser
//! [`train`] uses full-batch [`crate::optim::Adam`] with `lr = 0.1`, `betas = (0.9, 0.9)`,
//! `eps = 1e-8` ([`TrainOptions::default`]); it stops when the gap is below `1e-4` nats.
//!
//! * **Plain gradient descent is slow twice over.** The gradient of row `a` carries the factor
//!   `n(a)/M`, so a context with weight 10⁻⁵ learns 10⁴ times slower than one with weight 0.1,
//!   while the largest weight caps the stable learning rate. And a next token never seen after
//!   `a` (`n(a, b) = 0`) needs `Z_{a,b} → −∞`, where the gradient `(n(a)/M)·softmax(Z_a)_b`
//!   vanishes as fast as the probability: the gap only falls like `1/t`. Measured with
//!   [`crate::optim::Sgd`] on 90 k characters of English prose (V = 104, context weights from
//!   1.1·10⁻⁵ to 0.16): after 20 000 steps the gap was still 2.2·10⁻², 7.2·10⁻³, 2.0·10⁻³ nats
//!   for lr = 3, 10, 30 (Adam below: 1·10⁻⁴ after 154 steps). On a one-sentence text
//!   (V = 14) GD needed 7 698 steps at lr = 30; on "aabab" lr ≥ 10 already diverged.
//! * **Adam** divides each logit's step by the running RMS of its own gradient: the `n(a)/M`
//!   factor cancels, rare and frequent contexts move at the same speed, about `lr` per step.
//! * **β2 = 0.9, not PyTorch's 0.999.** With a long memory, `√v̂` remembers the large early
//!   gradients of the zero-count logits, so their steps shrink as fast as their gradients and
//!   the tail is GD-like again. A 10-step memory lets `v̂` follow the vanishing gradient: those
//!   logits keep falling by ≈ `lr` per step and the mass left on unseen bigrams decays
//!   geometrically.
//! * **lr = 0.1.** Constant-step Adam does not converge exactly: near the optimum it keeps
//!   oscillating, and the gap stalls at a floor that grows roughly like `lr²`. Floors measured (gap
//!   after 3 000–5 000 steps, English prose above): lr 0.03 → 7·10⁻⁷, 0.05 → 1.3·10⁻⁶,
//!   0.1 → 6·10⁻⁶, 0.2 → 2·10⁻⁵, 0.3 → 4·10⁻⁵, 0.5 → 1.7·10⁻⁴, 1 → 6·10⁻⁴ nats. From 0.5 up
//!   the default tolerance is never reached; 0.1 leaves a margin of more than 10 and is
//!   still fast. (A smaller tolerance needs a smaller `lr`.)
//!
//! Adam steps until the gap < 10⁻⁴ nats (release build; a dash: not measured):
//!
//! text | V | lr 0.1, β2 0.999 | lr 0.1, β2 0.99 | **lr 0.1, β2 0.9** | lr 0.3, β2 0.9
//! ---|---|---|---|---|---
//! `"aabab"` | 2 | 659 | 406 | **92** | 29
//! one English sentence (77 chars) | 14 | 2 229 | 795 | **148** | 70
//! one Chinese sentence (28 chars) | 15 | 2 578 | 849 | **145** | 36
//! English prose (90 k chars) | 104 | 2 356 | 817 | **154** | 116
//! Chinese prose (39 k chars) | 856 | 3 263 | 978 | **214** | 114
//! 10 MB generated Chinese/English | 2 048 | – | – | **444** | 222
//!
//! A step costs `O(A·V)` for `A ≤ V` contexts seen as left tokens (the softmax of every row,
//! one `exp` per logit, and Adam's update): at V = 2048 about 0.1 s of wall time per step on
//! the shared 2-core machine the figures were measured on (44 s for the 10 MB text in all). Rows are split into 8 fixed blocks, each with its own
//! Adam (element-wise, so identical to one Adam over everything), advanced on up to 8 threads.
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
pub use vocab::{DEFAULT_MAX_VOCAB, MAX_VOCAB, UNKNOWN_LABEL, Vocab};
