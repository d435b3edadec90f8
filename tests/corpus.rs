//! Corpus loading (typed errors for every bad file) and Markdown prose extraction.

use std::path::Path;

use ce_mle::Error;
use ce_mle::corpus::{load_corpus, markdown_corpus, markdown_files, markdown_prose};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

fn corpus_reason(r: ce_mle::Result<String>) -> String {
    match r {
        Err(Error::Corpus { reason, .. }) => reason,
        other => panic!("expected Error::Corpus, got {other:?}"),
    }
}

#[test]
fn missing_file_is_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no such file.txt");
    match load_corpus(&path) {
        Err(Error::Io { path: p, .. }) => assert!(p.contains("no such file.txt")),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

#[test]
fn directory_and_special_files_are_not_corpora() {
    let dir = tempfile::tempdir().unwrap();
    assert!(corpus_reason(load_corpus(dir.path())).contains("not a regular file"));
    // A FIFO would block a reader forever; it is refused before anything is read.
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.expect("mkfifo runs").success());
    assert!(corpus_reason(load_corpus(&fifo)).contains("not a regular file"));
    assert!(
        corpus_reason(load_corpus(std::path::Path::new("/dev/zero")))
            .contains("not a regular file")
    );
}

#[test]
fn empty_file_is_corpus_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.txt", b"");
    assert!(corpus_reason(load_corpus(&path)).contains("empty"));
}

#[test]
fn non_utf8_reports_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    // "交" is 3 bytes, then "ab", then a lone continuation byte at offset 5.
    let mut bytes = "交ab".as_bytes().to_vec();
    bytes.push(0x80);
    bytes.extend_from_slice(b"cd");
    let path = write(dir.path(), "latin1.txt", &bytes);
    let reason = corpus_reason(load_corpus(&path));
    assert!(reason.contains("UTF-8"), "{reason}");
    assert!(reason.contains("byte offset 5"), "{reason}");
}

#[test]
fn one_character_has_no_bigram() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("a.txt", "x"), ("zh.txt", "熵")] {
        let path = write(dir.path(), name, text.as_bytes());
        let reason = corpus_reason(load_corpus(&path));
        assert!(reason.contains("1 character"), "{reason}");
    }
}

#[test]
fn two_characters_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ok.txt", "熵!".as_bytes());
    assert_eq!(load_corpus(&path).unwrap(), "熵!");
}

const SAMPLE: &str = r#"# Cross-entropy {#ce}

Minimising *cross-entropy* is `maximum` likelihood: $H(p, q) = -\sum p \log q$.

$$
\hat q_c = \frac{n_c}{N}
$$

```rust
fn main() { println!("code"); }
```

    indented code block

{{#rustdoc_include ../../listings/bigram.rs:train}}

<div class="warning">HTML block</div>

- first item
- second <b>item</b>

Text with {{#include ../x.md}} in the middle.

## 交叉熵

交叉熵就是最大似然。
"#;

#[test]
fn markdown_prose_keeps_prose_only() {
    let prose = markdown_prose(SAMPLE);
    let expected = "Cross-entropy\n\
                    Minimising cross-entropy is  likelihood: .\n\
                    first item\n\
                    second item\n\
                    Text with  in the middle.\n\
                    交叉熵\n\
                    交叉熵就是最大似然。";
    assert_eq!(prose, expected);
    for dropped in [
        "maximum",
        "\\sum",
        "frac",
        "fn main",
        "println",
        "indented",
        "rustdoc_include",
        "{{",
        "listings",
        "HTML",
        "<b>",
        "#ce",
        "{#",
    ] {
        assert!(
            !prose.contains(dropped),
            "{dropped:?} leaked into {prose:?}"
        );
    }
}

#[test]
fn markdown_prose_of_code_only_is_empty() {
    assert_eq!(markdown_prose("```\ncode\n```\n\n$$x$$\n"), "");
    assert_eq!(markdown_prose(""), "");
}

#[test]
fn markdown_corpus_is_sorted_recursive_and_joined() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("src");
    write(&root, "b.md", b"# Bee\n\nsecond file");
    write(&root, "a.md", b"first `code` file");
    write(&root, "c/inner.md", b"third, nested");
    write(&root, "notes.txt", b"not markdown");
    write(&root, "d.md", b"```\nonly code\n```\n");
    let files = markdown_files(&[&root]).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["a.md", "b.md", "c/inner.md", "d.md"]);
    let text = markdown_corpus(&[&root]).unwrap();
    assert_eq!(text, "first  file\nBee\nsecond file\nthird, nested");
}

#[test]
fn markdown_corpus_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert!(matches!(
        markdown_corpus(&[&missing]),
        Err(Error::Io { .. })
    ));
    let only_code = dir.path().join("code");
    write(&only_code, "a.md", b"```\nfn f() {}\n```\n");
    assert!(matches!(
        markdown_corpus(&[&only_code]),
        Err(Error::Corpus { .. })
    ));
    let bad = dir.path().join("bad");
    write(&bad, "a.md", b"ok \xFF");
    let reason = corpus_reason(markdown_corpus(&[&bad]));
    assert!(reason.contains("byte offset 3"), "{reason}");
}
