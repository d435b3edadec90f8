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

/// The prose of a Markdown page: text outside code blocks, code spans and include
/// directives, lower-cased, with whitespace collapsed.
pub fn prose(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = String::new();
    let mut in_code = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(t) if !in_code => {
                out.push_str(&t);
                out.push(' ');
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    // Include directives are text to pulldown-cmark: drop them.
    let mut text = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find("{{#") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("}}")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    text.push_str(rest);
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
