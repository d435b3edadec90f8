//! Where the book crate finds its sources: the two books, the shared listings and generated
//! outputs, the fixtures of the PyTorch comparisons, and the books' prose as a corpus.

use std::path::{Path, PathBuf};

/// The languages of the book, in the order they are built: one mdBook per language under
/// [`book_root`], with the same file names and the same `SUMMARY.md` structure.
pub const LANGUAGES: [&str; 2] = ["zh", "en"];

/// `book/`: this crate's directory, which holds the two books, the shared listings and the
/// generated outputs.
#[must_use]
pub fn book_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `book/generated`: the outputs of [`crate::generated::generated_outputs`] (figures go under
/// each book's `src/figures/`).
#[must_use]
pub fn generated_dir() -> PathBuf {
    book_root().join("generated")
}

/// `book/LANG/src/figures`: the generated figures of one language's book.
#[must_use]
pub fn figures_dir(lang: &str) -> PathBuf {
    book_root().join(lang).join("src").join("figures")
}

/// `tests/fixtures` of the workspace: the PyTorch golden files and the mpmath references.
#[must_use]
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("fixtures")
}

/// The book source directories: `book/en/src` and `book/zh/src`.
#[must_use]
pub fn book_dirs() -> [PathBuf; 2] {
    let root = book_root();
    [root.join("en").join("src"), root.join("zh").join("src")]
}

/// The default corpus of `ce-mle bigram`: the prose of the two books, English then Chinese —
/// every `*.md` under [`book_dirs`], sorted by path, through
/// [`ce_mle::corpus::markdown_prose`], joined with `"\n"`
/// ([`ce_mle::corpus::markdown_corpus`]). Deterministic for a given state of the books.
///
/// # Errors
/// As [`ce_mle::corpus::markdown_corpus`]: [`ce_mle::Error::Io`] if a book directory is
/// missing, [`ce_mle::Error::Corpus`] if the books hold fewer than 2 characters of prose.
pub fn book_corpus() -> ce_mle::Result<String> {
    let [en, zh] = book_dirs();
    ce_mle::corpus::markdown_corpus(&[&en, &zh])
}
