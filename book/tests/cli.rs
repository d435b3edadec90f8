//! The `ce-mle` binary as a user runs it: exit codes, the report, JSON, bad input.

use std::process::Command;

use ce_mle_book::verify::{Check, render_report};

use crate::common::{ce_mle, verify_run};

/// The ids of the report's rows, in order: the theorems, the two PyTorch parity rows and the
/// GPT's two checks.
const IDS: [&str; 15] = [
    "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "P1", "P2", "G1", "G2",
];

/// The shared `ce-mle verify --json` run, parsed.
fn report() -> (serde_json::Value, Vec<Check>) {
    let out = verify_run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let checks = serde_json::from_value(v["checks"].clone()).expect("an array of checks");
    (v, checks)
}

#[test]
fn verify_json_is_machine_readable() {
    let (v, checks) = report();
    assert_eq!(v["passed"], serde_json::Value::Bool(true));
    assert_eq!(v["config"]["cases"], 50);
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, IDS);
    for c in &checks {
        assert!(c.passed && c.worst_error <= c.tolerance, "{c:?}");
        assert!(c.cases > 0 && !c.statement.is_empty() && !c.oracle.is_empty());
    }
}

/// The table that `ce-mle verify` prints without `--json` (`render_report` is what the binary
/// writes): one row per check, each PASS, and the verdict.
#[test]
fn verify_prints_every_theorem_as_pass() {
    let (_, checks) = report();
    let table = render_report(&checks);
    for id in IDS {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row {id} in\n{table}"));
        assert!(line.contains("PASS"), "{line}");
    }
    assert!(!table.contains("FAIL"));
    assert!(table.ends_with("all checks PASS / 全部通过\n"), "{table}");
    // A failed row is reported as such, and changes the verdict.
    let mut failed = checks.clone();
    failed[0].passed = false;
    let table = render_report(&failed);
    assert!(table.lines().next().is_some_and(|l| l.starts_with("id")));
    assert!(table.contains("FAIL") && table.ends_with("some checks FAIL / 有检查未通过\n"));
}

#[test]
fn train_prints_the_article_table() {
    let out = ce_mle(&["train"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table = ce_mle::train::article_run(&Default::default())
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

/// `--lang zh` prints the report the Chinese book quotes: the same numbers as the English
/// table, with Chinese labels after them.
#[test]
fn bigram_report_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, "CE=交叉熵，交叉熵=CE").unwrap();
    let run = |lang: &str| {
        let out = ce_mle(&[
            "bigram",
            "--corpus",
            corpus.to_str().unwrap(),
            "--lang",
            lang,
        ]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code_en, en) = run("en");
    let (code_zh, zh) = run("zh");
    assert_eq!((code_en, code_zh), (Some(0), Some(0)));
    // The value of each English row ("CE counting MLE (nats/token)  1.2345") is the first word
    // of the Chinese row with the Chinese label.
    let value_en = |label: &str| {
        en.lines()
            .find(|l| l.starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_else(|| panic!("{label} in\n{en}"))
            .to_owned()
    };
    let value_zh = |label: &str| {
        zh.lines()
            .find(|l| l.trim_end().ends_with(label))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("{label} in\n{zh}"))
            .to_owned()
    };
    for (en_label, zh_label) in [
        ("tokens T", "词元数 T"),
        ("CE counting MLE", "交叉熵，计数估计（奈特/词元）"),
        ("perplexity trained", "困惑度，梯度训练"),
        ("Adam steps", "Adam 步数"),
    ] {
        assert_eq!(
            value_en(en_label),
            value_zh(zh_label),
            "{en_label}\n{en}\n{zh}"
        );
    }
    assert_eq!(value_en("converged"), "yes");
    assert_eq!(value_zh("是否收敛"), "是");
    let out = ce_mle(&[
        "bigram",
        "--corpus",
        corpus.to_str().unwrap(),
        "--lang",
        "fr",
    ]);
    assert_eq!(out.status.code(), Some(2));
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
