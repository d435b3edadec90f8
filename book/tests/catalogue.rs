//! The bad-input catalogue of the book crate and the `ce-mle` binary (the docs of
//! `ce_mle_book::error`): one test per row that no other test file already checks. Library
//! rows assert the exact [`Error::kind`]; command-line rows assert exit status 2 and a
//! one-line `error: …` message on stderr. Also: the atomic book build.

use std::path::Path;
use std::process::{Command, Output};

use ce_mle_book::Error;

/// The variant name of an error result.
fn kind<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.expect_err("bad input is refused").kind()
}

fn ce_mle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(args)
        .output()
        .expect("the ce-mle binary runs")
}

/// Run a command that must be refused as bad input: exit 2, one line `error: …` on stderr,
/// containing `needle`, nothing on stdout.
fn refused(args: &[&str], needle: &str) {
    let out = ce_mle(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {needle:?} not in {stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}: stdout not empty");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

// ------------------------------------------------------------------ outputs

#[test]
fn figure_in_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let chart = ce_mle_book::plot::Chart::new("t", "x", "y").with_series("", vec![(0.0, 1.0)]);
    let svg = dir.path().join("no").join("f.svg");
    assert_eq!(kind(ce_mle_book::plot::write_svg(&svg, &chart)), "Io");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn empty_history_has_no_curve() {
    use ce_mle::train::History;
    assert_eq!(
        kind(ce_mle_book::plot::loss_curve(
            &History::default(),
            &ce_mle_book::plot::LossCurveText::ENGLISH
        )),
        "Empty"
    );
}

#[test]
fn book_output_where_a_file_blocks_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let e = ce_mle_book::render::build_books(&blocker.join("book")).unwrap_err();
    assert_eq!(e.kind(), "Io", "{e}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a directory");
}

// ------------------------------------------------------------------ command line

#[test]
fn cli_verify_case_count_out_of_range() {
    refused(&["verify", "--no-book", "--cases", "0"], "--cases");
    refused(&["verify", "--no-book", "--cases", "-5"], "--cases");
}

#[test]
fn cli_bigram_bad_hyper_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "abcabcabc").unwrap();
    refused(
        &["bigram", "--corpus", p(&good), "--max-vocab", "1"],
        "max_vocab",
    );
    refused(&["bigram", "--corpus", p(&good), "--lr", "-1"], "lr");
    refused(&["bigram", "--corpus", p(&good), "--lr", "nan"], "lr");
}

#[test]
fn cli_bigram_directory_as_corpus() {
    let dir = tempfile::tempdir().unwrap();
    refused(&["bigram", "--corpus", p(dir.path())], "not a regular file");
}

#[test]
fn cli_book_build_into_an_unwritable_place() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = ce_mle(&["book", "build", "--out", p(&blocker.join("book"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("file"), "{stderr}");
}

#[test]
fn cli_train_unknown_flag_value() {
    refused(&["train", "--l1-mode", "lasso"], "lasso");
    refused(&["train", "--epochs", "-3"], "epochs");
}

#[test]
fn cli_train_with_a_diverging_learning_rate() {
    refused(
        &["train", "--optimizer", "sgd", "--lr", "1e308"],
        "training diverged",
    );
}

#[test]
fn cli_closed_stderr_still_exits_2_without_a_panic() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(["train", "--lr", "-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end of stderr: the one-line message meets a broken pipe.
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a panic exits 101");
}

// ------------------------------------------------------------------ atomic book build

#[test]
fn a_refused_book_build_leaves_the_previous_book() {
    // A previous, complete book at out/en; out/zh is a file, so the zh book (built first)
    // cannot be written: the build is refused before anything is written, out/en is left as
    // it was, and no temporary directory stays behind.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book");
    std::fs::create_dir_all(out.join("en")).unwrap();
    std::fs::write(out.join("en").join("index.html"), "old").unwrap();
    std::fs::write(out.join("zh"), "a file where the zh book goes").unwrap();
    assert_eq!(kind(ce_mle_book::render::build_books(&out)), "Io");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["en", "zh"], "no temporary directories left");
    assert_eq!(
        std::fs::read(out.join("en").join("index.html")).unwrap(),
        b"old"
    );
}

// ------------------------------------------------------------------ the catalogue itself

/// The `(number, test names)` of the rows of a catalogue table in a Rust file's module docs.
fn catalogue_rows(file: &Path) -> Vec<(u32, Vec<String>)> {
    let docs = std::fs::read_to_string(file).unwrap();
    docs.lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let n = cells.first()?.parse().ok()?;
            (cells.len() == 5).then(|| {
                let tests = cells[4]
                    .split(", ")
                    .map(|t| t.trim_matches('`').to_owned())
                    .collect();
                (n, tests)
            })
        })
        .collect()
}

/// Every row of the book crate's catalogue (the docs of `ce_mle_book::error`) names tests that
/// exist in `book/tests/`, and the library's table and this one together number each bad input
/// once, from 1 without gaps.
#[test]
fn every_catalogue_row_names_a_test_and_each_number_is_used_once() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = catalogue_rows(&book.join("src/error.rs"));
    for (n, tests) in &ours {
        for test in tests {
            let (module, name) = test.split_once("::").expect("module::name");
            let file = book.join("tests").join(format!("{module}.rs"));
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("row {n}: {}: {e}", file.display()));
            assert!(
                text.contains(&format!("fn {name}(")),
                "row {n}: no test {name} in {}",
                file.display()
            );
        }
    }
    let library = catalogue_rows(&book.join("../src/error.rs"));
    let mut numbers: Vec<u32> = ours.iter().chain(&library).map(|(n, _)| *n).collect();
    numbers.sort_unstable();
    let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
    assert_eq!(numbers, expected, "rows missing or numbered twice");
}
