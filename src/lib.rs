//! # ce-mle: minimising cross-entropy is maximum likelihood
//!
//! The library of a bilingual literate verification suite: the book (`book/zh`, `book/en`,
//! crate `ce-mle-book`) derives why minimising cross-entropy is maximum likelihood estimation;
//! this crate implements every formula on nalgebra — a stable softmax family, PyTorch-compatible
//! losses with their gradients, optimisers, models trained by minimising cross-entropy — and
//! its tests check each theorem numerically against an independent oracle. It knows nothing of
//! the book: it depends on nalgebra, rand, thiserror and pulldown-cmark (corpus loading), with
//! `ndarray` and `serde` behind features.
//!
//! ## Theorem map
//!
//! id | statement | function | test | chapter
//! ---|---|---|---|---
//! T1 | one-hot target: CE(y, q) = −log q_j | [`loss::cross_entropy`] | `tests/lib.rs` `properties::t1_*`, `oracles::t1_*` | equivalence
//! T2 | Σ CE_i = −log Π p(y_i\|x_i) = NLL | [`loss::cross_entropy`], [`likelihood::negative_log_likelihood`] | `properties::t2_*`, `oracles::t2_*` | equivalence
//! T3 | CE(p, q) = H(p) + KL(p‖q) ≥ H(p) | [`information::cross_entropy_between`] | `properties::t3_*` | information
//! T4 | categorical MLE = frequencies; min mean CE = H(p̂) | [`likelihood::categorical_mle`] | `properties::t4_*` | likelihood
//! T5 | ∂CE/∂z = softmax(z) − y | [`loss::cross_entropy_with_grad`] | `gradients::*` | softmax
//! T6 | log_softmax shift invariant; max ≤ lse ≤ max + log C | [`softmax`] | `properties::t6_*` | softmax
//! T7 | BCE-with-logits = Bernoulli NLL | [`loss::binary_cross_entropy_with_logits`] | `oracles::t7_*` | binary
//! T8 | MSE = Gaussian NLL up to constants | [`loss::mse_loss`] | `oracles::t8_*` | binary
//! T9 | label smoothing: minimum at the smoothed target, value H of it | [`loss::cross_entropy`] | `properties::t9_*` | options
//! T10 | the article's classifier trained with Adam lowers the loss | [`train::article_run`] | `training::*` | training
//! T11 | gradient-trained bigram → counting MLE; perplexity = exp(CE) | [`lm::Bigram`] | `bigram::*` | bigram
//!
//! Every row is also a row of the `ce-mle verify` report (crate `ce-mle-book`, module
//! `verify`), which adds two rows of PyTorch parity: P1 (the golden functional cases) and P2
//! (nine optimiser trajectories).
//!
//! ## Conventions
//! * Logits and probabilities are `(N, C)` matrices: one row per sample, **class axis 1**.
//! * Natural logarithms everywhere: entropies and losses are in nats.
//! * Every public function returns [`Result`]; bad input is a typed [`Error`], never a panic
//!   (the [`error`] module lists every bad input known, with its error and its test).
//! * `…Options` mirror PyTorch's keyword arguments (`CrossEntropyOptions`); `…Config` are the
//!   settings of a run (`ArticleConfig`, `FitConfig`).
//! * Long loops report progress through a callback; they never draw on the terminal.
//!
//! ## Features
//! * `ndarray`: [`loss::nd`], PyTorch-shaped n-dimensional inputs as `ndarray` arrays.
//! * `serde`: training histories and recorded starts as JSON.
//! * `json` (with both): `torch_json`, loss cases written as JSON with PyTorch's names.

#![warn(missing_docs)]

mod compensated;
pub mod corpus;
pub mod data;
pub mod error;
pub mod fsio;
pub mod information;
pub mod likelihood;
pub mod lm;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod real;
pub mod softmax;
#[cfg(feature = "json")]
pub mod torch_json;
pub mod train;

pub use error::{Error, Result};
pub use real::Real;

/// The README's Rust examples, compiled and run by `cargo test` (doctests).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
