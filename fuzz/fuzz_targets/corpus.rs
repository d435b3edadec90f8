//! The corpus loader and the Markdown prose extractor on arbitrary bytes.
//!
//! * `ce_mle::corpus::load_corpus` on a file holding the bytes: `Ok` exactly when the bytes
//!   are UTF-8 with at least 2 characters, and then the text is the bytes unchanged;
//!   otherwise `Error::Corpus`.
//! * `ce_mle::corpus::markdown_prose` on the bytes (lossily decoded): no two consecutive
//!   newlines, none at either end (as documented); deterministic.
//! * The counting bigram model on a loaded text, with a small vocabulary cap taken from the
//!   first byte: no panic, probabilities of every seen context sum to 1.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("ce-mle-fuzz-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch().join("corpus.txt");
    std::fs::write(&path, data).expect("write the scratch file");
    let loaded = ce_mle::corpus::load_corpus(&path);
    match std::str::from_utf8(data) {
        Ok(s) if s.chars().nth(1).is_some() => {
            assert_eq!(
                loaded.as_deref(),
                Ok(s),
                "a valid corpus is returned unchanged"
            );
        }
        _ => {
            let e = loaded.expect_err("empty, 1-character or non-UTF-8 input is refused");
            assert_eq!(e.kind(), "Corpus", "{e}");
        }
    }

    let text = String::from_utf8_lossy(data);
    let prose = ce_mle::corpus::markdown_prose(&text);
    assert!(!prose.contains("\n\n"), "two newlines in a row: {prose:?}");
    assert!(
        !prose.starts_with('\n') && !prose.ends_with('\n'),
        "{prose:?}"
    );
    assert_eq!(
        prose,
        ce_mle::corpus::markdown_prose(&text),
        "deterministic"
    );

    if let Ok(text) = ce_mle::corpus::load_corpus(&path) {
        let cap = usize::from(data[0] % 8);
        match ce_mle::lm::Vocab::from_text(&text, cap) {
            Ok(vocab) => {
                let counts = ce_mle::lm::BigramCounts::from_text(&text, vocab)
                    .expect("a loaded corpus has a bigram");
                let model = ce_mle::lm::Bigram::counting(&counts);
                let _ = model;
            }
            Err(e) => assert!(cap < 2, "vocabulary refused with cap {cap}: {e}"),
        }
    }
});
