//! The `ce-mle` binary as a user runs it: exit codes, the report, JSON, bad input.

use std::process::Command;

fn ce_mle(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(args)
        .output()
        .expect("the ce-mle binary runs")
}

#[test]
fn verify_prints_every_theorem_as_pass() {
    let out = ce_mle(&["verify", "--no-book", "--cases", "40"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for id in [
        "T1 ", "T2 ", "T3 ", "T4 ", "T5 ", "T6 ", "T7 ", "T8 ", "T9 ", "T10", "T11", "P1 ", "P2 ",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row {id} in\n{stdout}"));
        assert!(line.contains("PASS"), "{line}");
    }
    assert!(!stdout.contains("FAIL"));
}

#[test]
fn verify_json_is_machine_readable() {
    let out = ce_mle(&["verify", "--no-book", "--cases", "20", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["passed"], serde_json::Value::Bool(true));
    let checks = v["checks"].as_array().expect("checks array");
    // T1–T11 and the two PyTorch parity rows.
    assert_eq!(checks.len(), 13);
    for c in checks {
        assert!(c["worst_error"].as_f64().unwrap() <= c["tolerance"].as_f64().unwrap());
    }
}

#[test]
fn train_prints_the_article_table() {
    let out = ce_mle(&["train"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table = ce_mle::train::seed_example(&Default::default())
        .unwrap()
        .table();
    assert!(stdout.starts_with(&table), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("Epoch [")).count(),
        10
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    for args in [
        vec!["train", "--lr", "-1"],
        vec!["train", "--epochs", "0"],
        vec!["train", "--lr", "abc"],
        vec!["no-such-command"],
    ] {
        let out = ce_mle(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn bigram_reports_both_models_and_refuses_bad_corpora() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "the cat sat on the mat. 猫坐在垫子上。the cat sat.").unwrap();
    let out = ce_mle(&["bigram", "--corpus", good.to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in ["CE counting MLE", "CE trained", "perplexity", "converged"] {
        assert!(stdout.contains(needle), "{needle} missing in\n{stdout}");
    }
    let cases: [(&str, &[u8]); 3] = [
        ("empty.txt", b""),
        ("one.txt", "猫".as_bytes()),
        ("binary.txt", b"ab\xff\xfe\x00cd"),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = ce_mle(&["bigram", "--corpus", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
    let missing = dir.path().join("missing.txt");
    let out = ce_mle(&["bigram", "--corpus", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn book_build_out_is_relative_to_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(["book", "build", "--out", "rel-books"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for lang in ["zh", "en"] {
        assert!(
            dir.path()
                .join("rel-books")
                .join(lang)
                .join("index.html")
                .is_file()
        );
        // Never inside the book's sources (where mdBook would put a relative build-dir).
        let stray = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("book")
            .join(lang)
            .join("rel-books");
        assert!(!stray.exists(), "{}", stray.display());
    }
}

#[test]
fn a_closed_stdout_stops_quietly_instead_of_panicking() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(["train", "--epochs", "2000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end at once (like `ce-mle train | true`): the table, written after
    // 2000 epochs of training, meets a closed pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
