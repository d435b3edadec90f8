//! The book crate's tests, in one integration-test binary: the books (build, snippets,
//! generated numbers, includes, the two languages in step), the `ce-mle` binary as a user
//! runs it, determinism across runs and profiles, the figures, accuracy in ULPs, and the
//! PyTorch parity reports.

mod book;
mod book_sync;
mod catalogue;
mod cli;
mod common;
mod determinism;
mod exercises;
mod golden_functional;
mod golden_training;
mod lm;
mod loss_cli;
mod ngram;
mod plot;
mod prose;
mod sentiment;
mod train_cli;
mod ulp;
mod widgets;
