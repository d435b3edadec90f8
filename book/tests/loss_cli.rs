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

/// Run `ce-mle ARGS` with stdout to `out` and return its exit status and peak resident set
/// size in bytes: `ru_maxrss` of `wait4` on the child's pid (kibibytes on Linux). Linux counts
/// in a child's `ru_maxrss` the resident set of the process that spawned it (the memory it
/// shares until `exec`), so this runs in a fresh copy of the test binary, not in the test
/// binary where other tests hold memory.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4`, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
fn peak_rss(args: &[std::ffi::OsString], out: &std::path::Path) -> (i32, u64) {
    use std::process::{Command, Stdio};
    let child = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).expect("output file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("run ce-mle");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain data, for which all-zero bytes are a valid value; `wait4`
    // writes `status` and `usage` and reaps our own child, which `child` never waits for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024)
}

/// `ce-mle loss` holds at most 4× the case file in memory, plus a fixed allowance of 16 MiB
/// for the process itself (the debug binary's resident set is about 10 MiB on a one-number
/// case: code, the allocator, the output buffer). Two cases of about 2.5 MiB whose numbers
/// have two decimals (`-1.23,`: 5–6 bytes a number, the densest a real dump gets, where the
/// buffers weigh the most against the text): a cross-entropy with class indices and its
/// gradient (input and gradient, 8 bytes a number each) and a log_softmax with its gradient
/// (the deferred gradient of `ce_mle::torch_json`). Before the typed reader such cases
/// peaked at about 40× their size (serde_json values for the case and for its result).
/// Not 16 MiB: the debug binary (serde_json and ryu unoptimised) reads and writes about
/// 200,000 numbers a second, so a 16 MiB case would take it ten seconds or more; at 2.5 MiB
/// the two cases, run side by side, take about five. `tools/loss_memory/` measures 64 MiB cases
/// of every operation with the release binary.
#[cfg(target_os = "linux")]
#[test]
fn peak_memory_is_at_most_four_times_the_case_file() {
    use std::fmt::Write as _;
    const ALLOWANCE: u64 = 16 << 20;
    const CHILD: &str = "CE_MLE_PEAK_RSS_OF";
    if let Some(case) = std::env::var_os(CHILD) {
        // In the fresh copy of this binary: run the case, report status and peak.
        let dir = std::path::Path::new(&case).parent().unwrap().to_path_buf();
        let args = ["loss".into(), "--compact".into(), case.clone()];
        let (code, peak) = peak_rss(&args, &dir.join("out.json"));
        std::fs::write(dir.join("peak.txt"), format!("{code} {peak}")).unwrap();
        return;
    }
    // Deterministic numbers in [-4, 4) with two decimals, from a 64-bit LCG.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as i64 % 400 - 200
    };
    let (rows, classes) = (480, 1000);
    let mut input = String::from("[");
    for r in 0..rows {
        input.push_str(if r == 0 { "[" } else { ",[" });
        for c in 0..classes {
            let v = next();
            let sep = if c == 0 { "" } else { "," };
            let sign = if v < 0 { "-" } else { "" };
            write!(input, "{sep}{sign}{}.{:02}", v.abs() / 50, v.abs() % 50 * 2).unwrap();
        }
        input.push(']');
    }
    input.push(']');
    let targets: Vec<String> = (0..rows)
        .map(|r| ((r * 7919) % classes).to_string())
        .collect();
    let cases = [
        (
            "cross_entropy",
            format!(
                r#"{{"op": "cross_entropy", "input": {input}, "target": [{}], "grad": true}}"#,
                targets.join(",")
            ),
        ),
        (
            "log_softmax",
            format!(r#"{{"op": "log_softmax", "input": {input}, "dim": -1, "grad": true}}"#),
        ),
    ];
    drop(input);
    // Both measured at once, each in its own fresh copy of this binary.
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(name, case)| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("case.json");
            std::fs::write(&path, &case).unwrap();
            let child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "loss_cli::peak_memory_is_at_most_four_times_the_case_file",
                    "--quiet",
                ])
                .env(CHILD, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("a copy of this test binary runs");
            (name, case.len() as u64, dir, child)
        })
        .collect();
    for (name, size, dir, mut child) in runs {
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "{name}: the measuring child failed: {status}"
        );
        let report = std::fs::read_to_string(dir.path().join("peak.txt")).unwrap();
        let (code, peak) = report.split_once(' ').unwrap();
        let peak: u64 = peak.parse().unwrap();
        assert_eq!(code, "0", "{name}");
        // The case was computed, not refused: an output, and a gradient of every number.
        let written = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
        assert!(
            written.starts_with(r#"{"output":"#),
            "{name}: {}",
            &written[..200.min(written.len())]
        );
        let grad = written.split_once(r#""grad":"#).map_or("", |(_, g)| g);
        assert_eq!(grad.matches(',').count() + 1, rows * classes, "{name}");
        let limit = 4 * size + ALLOWANCE;
        eprintln!(
            "{name}: case {:.1} MiB, peak {:.1} MiB ({:.2}× the case), limit {:.1} MiB",
            size as f64 / 1048576.0,
            peak as f64 / 1048576.0,
            peak as f64 / size as f64,
            limit as f64 / 1048576.0
        );
        assert!(
            peak <= limit,
            "{name}: peak RSS {peak} bytes > 4 × {size} + {ALLOWANCE}"
        );
    }
}
