//! # ce-mle: minimising cross-entropy is maximum likelihood
//!
//! A literate verification suite: the book (`book/zh`, `book/en`) derives the equivalence, this
//! crate implements every formula on nalgebra, and the tests and `ce-mle verify` check each
//! theorem numerically against an independent oracle.
//!
//! ## Theorem map
//!
//! id | statement | function | test | chapter
//! ---|---|---|---|---
//! T1 | one-hot target: CE(y, q) = −log q_j | [`loss::cross_entropy`] | `tests/lib.rs` `properties::t1_*`, `oracles::t1_*` | equivalence
//! T2 | Σ CE_i = −log Π p(y_i\|x_i) = NLL | [`loss::cross_entropy`], [`likelihood::negative_log_likelihood`] | `properties::t2_*`, `oracles::t2_*` | equivalence
//! T3 | CE(p, q) = H(p) + KL(p‖q) ≥ H(p) | [`information`] | `properties::t3_*` | information
//! T4 | categorical MLE = frequencies; min mean CE = H(p̂) | [`likelihood::categorical_mle`] | `properties::t4_*` | likelihood
//! T5 | ∂CE/∂z = softmax(z) − y | [`loss::cross_entropy_with_grad`] | `gradients::*` | softmax
//! T6 | log_softmax shift invariant; max ≤ lse ≤ max + log C | [`softmax`] | `properties::t6_*` | softmax
//! T7 | BCE-with-logits = Bernoulli NLL | [`loss::binary_cross_entropy_with_logits`] | `oracles::t7_*` | binary
//! T8 | MSE = Gaussian NLL up to constants | [`verify`] | `oracles::t8_*` | binary
//! T9 | label smoothing: minimum at the smoothed target, value H of it | [`loss::cross_entropy`] | `properties::t9_*` | options
//! T10 | the seed's classifier trained with Adam lowers the loss | [`train::seed_example`] | `training::*` | training
//! T11 | gradient-trained bigram → counting MLE; perplexity = exp(CE) | [`lm::Bigram`] | `bigram::*` | bigram
//!
//! Every row is also a row of the `ce-mle verify` report ([`verify::run`]), which adds two
//! rows of PyTorch parity: P1 (the golden functional cases, [`verify::golden::functional`]) and
//! P2 (nine optimiser trajectories, [`verify::golden::training`]).
//!
//! ## Conventions
//! * Logits and probabilities are `(N, C)` matrices: one row per sample, **class axis 1**.
//! * Natural logarithms everywhere: entropies and losses are in nats.
//! * Every public function returns [`Result`]; bad input is a typed [`Error`], never a panic.

#![warn(missing_docs)]

mod accurate;
pub mod book;
pub mod cases;
pub mod catalogue;
pub mod corpus;
pub mod data;
pub mod error;
pub mod experiments;
pub mod information;
pub mod likelihood;
pub mod lm;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod plot;
pub mod real;
pub mod softmax;
pub mod text;
pub mod train;
pub mod verify;

pub use error::{Error, Result};
pub use real::Real;

/// The README's Rust examples, compiled and run by `cargo test` (doctests).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
