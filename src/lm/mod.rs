//! Character language models: the bigram of theorem T11 (the counting MLE and the same model
//! trained by gradient descent on the cross-entropy, which converges to it), the train /
//! validation split of a character corpus, and the smoothed n-gram count models that serve as
//! baselines ([`baselines`]).
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
//!
//! # Splits and token ids
//! [`CharSplit`] cuts a text as nanoGPT's `data/shakespeare_char/prepare.py` does: vocabulary =
//! the sorted distinct characters of the whole text (`chars = sorted(set(data))`, 65 for Tiny
//! Shakespeare), the first `int(n · 0.9)` characters train (1,003,854 of 1,115,394), the rest
//! validate (111,540); ids are `u32`.
//!
//! # n-gram count models
//! A model of order `n` predicts the next token from the `n − 1` before it. On a validation
//! text `x_0 … x_{T−1}` its loss is the mean cross-entropy over the `T − 1` predictions, in
//! **nats per character**, `CE = −(1/(T−1)) Σ_{t≥1} ln P(x_t | x_{t−n+1} … x_{t−1})` (near the
//! start, the shorter history there is), and perplexity is `exp(CE)`. Counts `c(·)` are taken
//! on the training text ([`NgramCounts`], sorted arrays of packed n-grams).
//!
//! * **MLE**: `P(w | h) = c(h w) / c(h •)`. It maximises the training likelihood, and gives 0 to
//!   every n-gram the training text lacks: one such n-gram in the validation text makes its
//!   cross-entropy `+∞` ([`NgramCounts::unseen`] counts them).
//! * **Add-k** ([`AddK`]): `P(w | h) = (c(h w) + k) / (c(h •) + k V)`.
//! * **Interpolated Witten–Bell** ([`WittenBell`]):
//!   `P(w | h) = (c(h w) + N1+(h •) P(w | h')) / (c(h •) + N1+(h •))`, where `h'` drops the
//!   oldest token of `h` and `N1+(h •)` counts the distinct tokens seen after `h`.
//! * **Interpolated modified Kneser–Ney** ([`KneserNey`]):
//!   `P(w | h) = (c'(h w) − D(c'(h w))) / c'(h •) + γ(h) P(w | h')`, with three discounts
//!   `D1, D2, D3+` per order estimated from the count-of-counts ([`Discounts`]), `γ(h)` the mass
//!   they freed, raw counts `c' = c` at the model's order and continuation counts
//!   `c'(h w) = N1+(• h w)` (the number of distinct tokens seen before `h w`) below it.
//!
//! Both interpolated models end their recursion at the uniform `1/V`, so every token of the
//! vocabulary — also one never seen in training — has a probability `> 0`, and each
//! conditional distribution sums to 1 (the tests check it to 1e-12 on random seen and unseen
//! contexts, and against a plain re-implementation of the formulas).
//!
//! **Smoothing is a prior.** The MLE of each context's next-token distribution `θ_h` maximises
//! `Π_w θ_{h,w}^{c(h w)}` alone. Put a symmetric Dirichlet prior `Dir(α)` on `θ_h` and maximise
//! the posterior instead (MAP, maximum a posteriori): the posterior is `Dir(c(h ·) + α)`, whose
//! mode is `θ_{h,w} = (c(h w) + α − 1) / (c(h •) + V(α − 1))` — add-k with `k = α − 1` (its mean,
//! the Bayesian predictive probability, is add-k with `k = α`). Laplace's add-one is the prior
//! that has seen every character once more than the data. Minimising the cross-entropy on the
//! training text is maximising the likelihood (theorem T2) and gives the MLE; adding `k` is
//! adding the log-prior `Σ_w k ln θ_{h,w}` to that objective, the same move as L2 weight decay
//! for a Gaussian prior on weights. Kneser–Ney and Witten–Bell are not a Dirichlet MAP, but
//! they play the same part: they move mass from seen to unseen events according to a prior
//! belief, that a token's lower-order (shorter-context) distribution is the best guess for
//! what a context has not shown yet. Kneser–Ney is, in fact, an approximation of the
//! predictive distribution of a hierarchical Pitman–Yor process (Teh 2006), a prior over
//! every context's distribution at once.
//!
//! Sources: S. F. Chen and J. Goodman, *An Empirical Study of Smoothing Techniques for Language
//! Modeling*, Harvard TR-10-98 (1998), for interpolated Kneser–Ney, the modified three-discount
//! variant and its discount estimates (their eq. 26), and Witten–Bell; D. Jurafsky and J. H.
//! Martin, *Speech and Language Processing*, 3rd ed. draft, ch. 3 "N-gram Language Models"
//! (perplexity, add-k, Kneser–Ney); Y. W. Teh, *A Hierarchical Bayesian Language Model based on
//! Pitman–Yor Processes*, ACL 2006; nanoGPT's `data/shakespeare_char/prepare.py` for the split.
//! When an order's count-of-counts give no usable discounts (tiny texts), KenLM's fallback
//! `(0.5, 1, 1.5)` is used and [`Discounts::estimated`] is `false`.
//!
//! Memory: [`NgramCounts`] keeps 24 bytes per distinct n-gram of every order (≤ `T` per order);
//! building it sorts one array of `16 · T` bytes per order. A model adds 16 bytes per context.

mod baselines;
mod bigram;
pub mod gpt;
mod ngram;
mod report;
mod split;
mod vocab;

pub use baselines::{AddKChoice, BaselineOptions, Baselines, BigramMle, OrderBaseline, baselines};
pub use bigram::{Bigram, BigramCounts, BigramProgress, TrainOptions, Training};
pub use ngram::{
    AddK, Discounts, FALLBACK_DISCOUNTS, KneserNey, NextToken, NgramCounts, WittenBell,
};
pub use report::{BigramOptions, BigramReport, BigramRun, compare_fits};
pub use split::{CharSplit, NANOGPT_TRAIN_FRACTION, split_point};
pub use vocab::{DEFAULT_MAX_VOCAB, MAX_VOCAB, UNKNOWN_LABEL, Vocab};
