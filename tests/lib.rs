//! The library's tests, in one integration-test binary (faster to link than many): a module
//! per part of the library, plus the cross-cutting theorem checks (properties, oracles,
//! gradients). Case counts of property tests: `QUICKCHECK_TESTS` (default 100).
//!
//! The book crate (`book/tests/`) tests the books, the `ce-mle` binary, the figures and the
//! PyTorch parity reports.

mod bigram;
mod catalogue;
mod corpus;
mod early_stopping;
mod errors;
mod fsio;
mod generators;
mod gpt;
mod gradients;
mod kernels;
mod linear;
mod ngram;
mod optim;
mod oracles;
mod properties;
mod regularization;
mod synthetic;
mod torch_json;
mod training;
mod worked;
