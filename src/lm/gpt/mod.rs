//! A GPT written by hand: nanoGPT's decoder-only Transformer (`bias = False`, dropout 0)
//! with a hand-written backward pass, trained by minimising the cross-entropy of the next
//! token — maximum likelihood of the text.
//!
//! # Model
//! For token ids `x_1..x_T` (`T ≤ block_size`) the model computes, at every position `t`, a
//! distribution `p(· | x_1..x_t)` over the `V` tokens:
//!
//! ```text
//! h⁰_t   = wte[x_t] + wpe[t]                                  (encoder)
//! for each of the n_layer blocks:
//!   h    = h + c_proj(attention(c_attn(LN₁(h))))               (causal multi-head attention)
//!   h    = h + c_proj(GELU(c_fc(LN₂(h))))                       (MLP, 4× wide)
//! logits = LN_f(h) · wteᵀ                                       (head tied to the embedding)
//! p(· | x_1..x_t) = softmax(logits_t)
//! ```
//!
//! LayerNorm has a weight and no bias (ε = 1e-5), attention scales by `1/√hs`
//! (`hs = n_embd / n_head`), GELU is the exact erf form (PyTorch's `nn.GELU()`). The loss of
//! a batch `(B, T)` with next-token targets `y` is the crate's cross-entropy over the
//! `(B·T, V)` logits (class axis 1), with `ignore_index = −1` for padding:
//!
//! ```text
//! CE = −(1/K) Σ_{kept (b,t)} ln p(y_{b,t} | x_{b,1..t})     (nats per token, K kept targets)
//! ```
//!
//! For one text the sum over positions is `−ln p(x_2..x_T | x_1)` by the chain rule of
//! probability, so the mean token CE is the NLL per token and the perplexity `exp(CE)`.
//!
//! # Layout (llm.c's)
//! [`layers`] holds the named layer functions, each a forward and a hand-written backward on
//! row-major buffers `(B·T, C)`: [`layers::encoder_forward`], [`layers::layernorm_forward`],
//! [`layers::matmul_forward`], [`layers::attention_forward`], [`layers::gelu_forward`],
//! [`layers::residual_forward`] and their `_backward`s; the head and its loss are
//! [`lm_head_cross_entropy`]. [`Gpt`] keeps the parameters in one flat buffer in nanoGPT's
//! `named_parameters()` order ([`GptConfig::parameter_specs`]); a [`Workspace`] keeps the
//! activations for the backward pass. No autograd, no tape.
//!
//! # Number types
//! Generic over `f32` (training) and `f64` (the checks) through [`GptFloat`]. Matrix
//! products are `matrixmultiply`'s `sgemm`/`dgemm` (the kernels behind nalgebra's products).
//!
//! # Sources
//! * nanoGPT, `model.py` (karpathy/nanoGPT): the architecture, initialisation, names,
//!   `configure_optimizers`; `train.py`: the training loop, learning-rate schedule, clipping,
//!   `estimate_loss`; `data/shakespeare_char/prepare.py`: the character split.
//! * llm.c, `train_gpt2.c` (karpathy/llm.c): the layer functions and their backward passes.

pub mod checks;
mod config;
mod erf;
mod float;
pub mod layers;
mod model;
mod sample;
mod train;

pub use config::{GptConfig, MAX_DIMENSION, MAX_PARAMETERS, ParamSpec};
pub use erf::erf;
pub use float::GptFloat;

/// `exp(d)` for `d ≤ 0` as the `f32` attention computes it (for the tests).
#[doc(hidden)]
#[must_use]
pub fn exp_nonpositive_for_tests(d: f32) -> f32 {
    d.exp_nonpositive()
}
pub use layers::LAYERNORM_EPS;
pub use model::{Gpt, IGNORE_INDEX, Workspace, lm_head_cross_entropy};
pub use sample::{SampleOptions, generate, log_prob};
pub use train::{
    EvalStats, Evaluation, Event, RngState, StepStats, TrainConfig, TrainData, Trainer,
    TrainerState, evaluate, random_batch,
};
