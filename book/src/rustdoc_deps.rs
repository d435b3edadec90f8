//! The libraries that `rustdoc` needs to compile the books' snippets.
//!
//! `mdbook test` runs `rustdoc --test -L DIR` on each chapter and never passes `--extern`, so
//! `DIR` must hold exactly one build of each crate the snippets name (`ce_mle`,
//! `ce_mle_book`, `nalgebra`, …). [`prepare_library_dir`] runs `cargo build --lib
//! --message-format=json` and hard-links the `.rlib` and proc-macro files that Cargo reports
//! into a fresh directory (never `target/debug/deps`, which accumulates several builds of the
//! same crate). `ce-mle book deps` prints that directory for `mdbook test -L`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ce_mle::Error as CoreError;

use crate::error::{Error, Result};

fn book_err(what: impl std::fmt::Display) -> Error {
    Error::Book(what.to_string())
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")
}

fn run_cargo(args: &[&str]) -> Result<String> {
    let out = Command::new(cargo())
        .args(args)
        .arg("--manifest-path")
        .arg(manifest_path())
        .output()
        .map_err(|e| CoreError::io("cargo", e))?;
    if !out.status.success() {
        return Err(book_err(format!(
            "`cargo {}` failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    String::from_utf8(out.stdout).map_err(|e| book_err(format!("cargo output is not UTF-8: {e}")))
}

/// Cargo's target directory for this crate (`cargo metadata`), honouring
/// `CARGO_TARGET_DIR` and `build.target-dir`.
///
/// # Errors
/// [`Error::Book`] if `cargo metadata` fails or its output has no `target_directory`.
pub fn target_dir() -> Result<PathBuf> {
    let json = run_cargo(&["metadata", "--format-version", "1", "--no-deps"])?;
    let v: serde_json::Value = serde_json::from_str(&json)
        .map_err(|e| book_err(format!("cargo metadata: bad JSON: {e}")))?;
    v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| book_err("cargo metadata: no target_directory"))
}

/// The files rustdoc needs among one line of `cargo build --message-format=json` output:
/// the `.rlib` files of every library artifact and the shared objects of proc-macro crates.
fn linkable_artifacts(line: &str) -> Vec<PathBuf> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
        return Vec::new();
    };
    if v["reason"] != "compiler-artifact" {
        return Vec::new();
    }
    let proc_macro = v["target"]["kind"]
        .as_array()
        .is_some_and(|k| k.iter().any(|k| k == "proc-macro"));
    v["filenames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .filter(|f| {
            f.ends_with(".rlib")
                || (proc_macro && [".so", ".dylib", ".dll"].iter().any(|ext| f.ends_with(ext)))
        })
        .map(PathBuf::from)
        .collect()
}

/// Fill `dir` with exactly one build of `ce_mle_book` and of each of its dependencies
/// (`ce_mle` among them), for
/// `rustdoc -L dir` (what `mdbook test -L dir` passes on).
///
/// Runs `cargo build --lib --message-format=json` (Cargo from `$CARGO`, else `cargo` on the
/// `PATH`), then hard-links (or, across file systems, copies) each `.rlib` and proc-macro
/// shared object listed in its `compiler-artifact` messages into `dir`, which is emptied
/// first. Returns the files placed there.
///
/// Never pass `target/debug/deps` instead: it collects builds of the same crate with
/// different features (`cargo check`, `cargo test`), and rustdoc then fails with E0464
/// "multiple candidates".
///
/// # Errors
/// [`Error::Book`] if Cargo fails or reports no artifact; [`ce_mle::Error::Io`] if `dir` cannot be
/// emptied, created or filled.
pub fn prepare_library_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let json = run_cargo(&["build", "--lib", "--message-format=json"])?;
    let artifacts: Vec<PathBuf> = json.lines().flat_map(linkable_artifacts).collect();
    if !artifacts.iter().any(|a| {
        a.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("libce_mle_book"))
    }) {
        return Err(book_err(
            "cargo build --lib listed no libce_mle_book artifact; is this the ce-mle-book manifest?",
        ));
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
    let mut placed = Vec::with_capacity(artifacts.len());
    for src in artifacts {
        let Some(name) = src.file_name() else {
            continue;
        };
        let dst = dir.join(name);
        if dst.exists() {
            continue; // the same file listed twice
        }
        if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).map_err(|e| CoreError::io(&src, e))?;
        }
        placed.push(dst);
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_from_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["proc-macro"]},"filenames":["/t/deps/libfoo-1.so"]}"#;
        assert_eq!(
            linkable_artifacts(line),
            vec![PathBuf::from("/t/deps/libfoo-1.so")]
        );
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["lib"]},"filenames":["/t/deps/libbar-2.rlib","/t/deps/libbar-2.rmeta"]}"#;
        assert_eq!(
            linkable_artifacts(line),
            vec![PathBuf::from("/t/deps/libbar-2.rlib")]
        );
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["custom-build"]},"filenames":["/t/build/x/build_script_build-3"]}"#;
        assert!(linkable_artifacts(line).is_empty());
        assert!(linkable_artifacts("not json").is_empty());
    }
}
