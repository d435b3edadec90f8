//! Determinism: the same seed gives bit-identical outputs — the `verify --json` report, the
//! `train` loss table, history CSV and JSON and SVG figure, and `loss` results — across runs,
//! and across the release and debug builds.
//!
//! * [`outputs_match_the_committed_release_outputs`] compares this build's outputs (the debug
//!   profile, here `opt-level = 1`) byte for byte with the files in
//!   `book/tests/fixtures/determinism/`, **which were written by the release binary**
//!   (`cargo build --release`, then the ignored test [`bless_with_a_given_binary`]): a second
//!   run, in another process and another profile. A mismatch means either a change of the
//!   numbers (regenerate, and review the diff) or a difference between the profiles (a bug:
//!   no fast-math, no profile-dependent code path is expected). The `verify` report is the
//!   test binary's one run ([`crate::common::verify_run`]).
//! * [`two_runs_with_the_same_seed_are_bit_identical`] runs the cheap commands (`train`,
//!   `loss`) twice more, and checks that another seed changes the numbers.
//! * [`given_binary_matches_the_committed_outputs`] (ignored) runs the same comparison with
//!   the binary named by `CE_MLE_BIN`, e.g. the release build:
//!   `cargo build --release && CE_MLE_BIN=$PWD/target/release/ce-mle cargo test -p ce-mle-book
//!   --test book determinism -- --ignored given_binary`.
//!
//!   CI does not run it: a cold `cargo build --release` of the dependencies costs CI several
//!   minutes on two cores. The committed files are the release side of the comparison.
//!
//! Regenerate after an intended change of the numbers (any change to a numerical kernel,
//! the training loop or the figure code changes some of these bytes):
//! `cargo build --release && CE_MLE_BIN=$PWD/target/release/ce-mle cargo test -p ce-mle-book
//! --test book determinism::bless -- --ignored`.
//!
//! The `T11` row of `verify` trains on the prose of the books, so its numbers change with
//! every edit of a chapter: it is left out of the committed file. The same trainer on a frozen
//! corpus (the bigram chapter's) is held to its committed numbers by
//! `book::generated_outputs_are_up_to_date`.

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/determinism");

/// The training run of the comparison: SGD with momentum, an L1 penalty, a validation split
/// and early stopping, so that every seeded part (data, initialisation, split) is involved.
const TRAIN: &[&str] = &[
    "train",
    "--seed",
    "7",
    "--optimizer",
    "sgd",
    "--lr",
    "0.3",
    "--momentum",
    "0.5",
    "--epochs",
    "60",
    "--l1",
    "0.01",
    "--l1-mode",
    "subgradient",
    "--val-fraction",
    "0.25",
    "--patience",
    "40",
];

/// Run `bin` with `args` in `dir`; require success; return stdout.
fn run(bin: &Path, dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ce-mle runs");
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The outputs of the cheap commands (`train` with a CSV history and a figure, `train` with a
/// JSON history, `loss`), as `(file name, bytes)`.
fn cheap_outputs(bin: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut args = TRAIN.to_vec();
    args.extend(["--history", "history.csv", "--plot", "loss.svg"]);
    let train = run(bin, d, &args);
    let mut json_args = TRAIN.to_vec();
    json_args.extend(["--history", "history.json"]);
    run(bin, d, &json_args);
    let cases = Path::new(FIXTURES).join("cases.json");
    let loss = run(bin, d, &["loss", cases.to_str().unwrap()]);
    vec![
        ("train.txt", train),
        ("history.csv", std::fs::read(d.join("history.csv")).unwrap()),
        (
            "history.json",
            std::fs::read(d.join("history.json")).unwrap(),
        ),
        ("loss.svg", std::fs::read(d.join("loss.svg")).unwrap()),
        ("loss.json", loss),
    ]
}

/// Every output of one set of runs of `bin`, as `(file name, bytes)`; the `verify` report
/// of this build is the test binary's shared run.
fn outputs(bin: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let verify = if bin == this_build() {
        let out = crate::common::verify_run();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout.clone()
    } else {
        let dir = tempfile::tempdir().unwrap();
        run(bin, dir.path(), crate::common::VERIFY_ARGS)
    };
    let mut all = vec![("verify.json", verify)];
    all.extend(cheap_outputs(bin));
    all
}

/// The verify report without the book-dependent `T11` row (see the module docs).
fn without_t11(verify: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(verify).expect("verify JSON");
    v["checks"]
        .as_array_mut()
        .expect("checks")
        .retain(|c| c["id"] != "T11");
    let mut s = serde_json::to_string_pretty(&v).unwrap();
    s.push('\n');
    s.into_bytes()
}

fn committed_form(name: &str, bytes: Vec<u8>) -> Vec<u8> {
    if name == "verify.json" {
        without_t11(&bytes)
    } else {
        bytes
    }
}

fn compare_with_fixtures(bin: &Path) {
    for (name, bytes) in outputs(bin) {
        let path = Path::new(FIXTURES).join(name);
        let expected = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (see the docs of tests/determinism.rs)",
                path.display()
            )
        });
        let got = committed_form(name, bytes);
        if got != expected {
            let first = got
                .iter()
                .zip(&expected)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(expected.len()));
            let context = |b: &[u8]| {
                String::from_utf8_lossy(&b[first.saturating_sub(80)..(first + 80).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{} differs from the committed release output {} at byte {first}:\n got: …{}…\n \
                 expected: …{}…\nIf the numbers changed on purpose, regenerate with the release \
                 binary (see the docs of tests/determinism.rs).",
                bin.display(),
                path.display(),
                context(&got),
                context(&expected)
            );
        }
    }
}

fn this_build() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ce-mle"))
}

fn given_binary() -> PathBuf {
    let bin = std::env::var_os("CE_MLE_BIN")
        .expect("set CE_MLE_BIN to the ce-mle binary to use, e.g. target/release/ce-mle");
    std::path::absolute(bin).unwrap()
}

#[test]
fn two_runs_with_the_same_seed_are_bit_identical() {
    let bin = this_build();
    let (a, b) = (cheap_outputs(&bin), cheap_outputs(&bin));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two runs with the same seed");
        assert!(!x.is_empty(), "{name} is empty");
    }
    // A different seed does change the numbers (the seed is really used).
    let dir = tempfile::tempdir().unwrap();
    let mut other = TRAIN.to_vec();
    other[2] = "8";
    let train8 = run(&bin, dir.path(), &other);
    assert_ne!(train8, a[0].1, "--seed 8 gives the table of --seed 7");
}

#[test]
fn outputs_match_the_committed_release_outputs() {
    compare_with_fixtures(&this_build());
}

#[test]
#[ignore = "needs CE_MLE_BIN, e.g. the release binary (not run by CI: see the module docs)"]
fn given_binary_matches_the_committed_outputs() {
    compare_with_fixtures(&given_binary());
}

#[test]
#[ignore = "writes tests/fixtures/determinism from CE_MLE_BIN (the release binary)"]
fn bless_with_a_given_binary() {
    let bin = given_binary();
    std::fs::create_dir_all(FIXTURES).unwrap();
    for (name, bytes) in outputs(&bin) {
        std::fs::write(Path::new(FIXTURES).join(name), committed_form(name, bytes)).unwrap();
    }
}
