//! What several test modules share, computed once per test binary.

use std::process::{Command, Output};
use std::sync::OnceLock;

/// Run the `ce-mle` binary of this build with `args`.
pub fn ce_mle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(args)
        .output()
        .expect("the ce-mle binary runs")
}

/// The arguments of the one `ce-mle verify` run of this test binary (those of the committed
/// determinism fixture, `book/tests/fixtures/determinism/verify.json`).
pub const VERIFY_ARGS: &[&str] = &["verify", "--json", "--no-book", "--cases", "50"];

/// `ce-mle verify` ([`VERIFY_ARGS`]), run once: its theorem checks cost seconds (T11 trains
/// the bigram model on the books' prose), and the command-line and determinism tests read the
/// same output.
pub fn verify_run() -> &'static Output {
    static RUN: OnceLock<Output> = OnceLock::new();
    RUN.get_or_init(|| ce_mle(VERIFY_ARGS))
}
