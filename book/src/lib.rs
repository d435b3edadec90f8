//! # ce-mle-book: the book, its checks and its command-line tool
//!
//! The library crate `ce_mle` holds the mathematics; this crate holds everything around it
//! that a user of the losses does not need, and depends on the library, never the reverse:
//!
//! * [`verify`]: the theorem checks T1–T11 and the PyTorch parity rows P1, P2 (`ce-mle verify`);
//! * [`chapters`]: one module per chapter, with the inputs its listing uses and the code that
//!   computes every number and figure it quotes; [`generated`] keeps the committed files true;
//! * [`render`]: the mdBook driver (build and test both books in-process), with [`mathml`]
//!   (the MathML repair after KaTeX), [`rustdoc_deps`] (the libraries `mdbook test` needs)
//!   and [`includes`];
//! * [`lm`]: GPT checkpoints (safetensors) and run records for `ce-mle lm`;
//! * [`ngram`]: the count baselines of the book's two character corpora and their record;
//! * [`plot`]: deterministic SVG figures; [`accuracy`]: accuracy in ULPs on hard cases;
//! * the `ce-mle` binary (`src/main.rs`), and the book's listings as cargo examples
//!   (`book/listings/*.rs`).

#![warn(missing_docs)]

pub mod accuracy;
pub mod chapters;
pub mod error;
pub mod generated;
pub mod includes;
pub mod lm;
pub mod mathml;
pub mod ngram;
pub mod paths;
pub mod plot;
pub mod render;
pub mod rustdoc_deps;
pub mod verify;

pub use error::{Error, Result};
