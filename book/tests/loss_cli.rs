//! `ce-mle loss` as a user runs it: stdin and files, one-line refusals of unreadable input,
//! and the README's example.

use serde_json::{Value, json};

fn kind(v: &Value) -> &str {
    v["error"]["kind"].as_str().unwrap_or("<no error>")
}

fn ce_mle_loss(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .arg("loss")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ce-mle");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_reads_stdin_and_files() {
    let case = br#"{"op": "cross_entropy", "input": [[0.0, 0.0]], "target": [1]}"#;
    let (code, out, err) = ce_mle_loss(&["--compact"], case);
    assert_eq!((code, err.as_str()), (0, ""));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!((v["output"].as_f64().unwrap() - 2f64.ln()).abs() < 1e-15);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.json");
    std::fs::write(
        &path,
        r#"[{"op": "softmax", "input": [0.0, 0.0]}, {"op": "cross_entropy", "input": [[0.0]], "target": [3]}]"#,
    )
    .unwrap();
    let (code, out, _) = ce_mle_loss(&[path.to_str().unwrap()], b"");
    assert_eq!(
        code, 0,
        "a rejected case is reported in the JSON, not as a failure"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["output"], json!([0.5, 0.5]));
    assert_eq!(kind(&v[1]), "ClassIndexOutOfRange");
}

#[test]
fn cli_refuses_unreadable_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let binary = dir.path().join("binary.json");
    std::fs::write(&binary, [b'{', 0xff, 0xfe]).unwrap();
    for (args, stdin, needle) in [
        (vec![missing.to_str().unwrap()], &b""[..], "missing.json"),
        (
            vec![dir.path().to_str().unwrap()],
            &b""[..],
            "not a regular file",
        ),
        (
            vec![binary.to_str().unwrap()],
            &b""[..],
            "not UTF-8 (first bad byte at offset 1)",
        ),
        (vec![], &b"{\"op\": "[..], "not valid JSON"),
        (vec!["-"], &b"42"[..], "expected a case"),
    ] {
        let (code, out, err) = ce_mle_loss(&args, stdin);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}

/// The example in README.md (both languages) prints what `ce-mle loss` really prints.
#[test]
fn readme_example_output_is_real() {
    let readme = include_str!("../../README.md");
    let case =
        br#"{"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]], "target": [0], "grad": true}"#;
    let (code, out, _) = ce_mle_loss(&["--compact"], case);
    assert_eq!(code, 0);
    let quoted = format!("# {}", out.trim_end());
    assert_eq!(readme.matches(&quoted).count(), 2, "README lacks {quoted}");
    let input_line = format!("echo '{}'", std::str::from_utf8(case).unwrap());
    assert_eq!(readme.matches(&input_line).count(), 2);
}
