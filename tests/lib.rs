//! One integration-test binary (faster to link than many): each module checks one part.
//! Case counts of property tests: `QUICKCHECK_TESTS` (default 100).
mod training;

// `gen` is a reserved keyword in edition 2024, hence the path attribute.
#[path = "gen.rs"]
mod generators;

mod bigram;
mod book;
mod book_sync;
mod cases;
mod catalogue;
mod cli;
mod corpus;
mod determinism;
mod early_stopping;
mod errors;
mod golden_functional;
mod golden_training;
mod gradients;
mod optim;
mod oracles;
mod plot;
mod properties;
mod regularization;
mod text;
mod train_cli;
mod ulp;
mod worked;
