//! Every number the books quote, and every figure they show, is computed by the chapter
//! modules ([`crate::chapters`]) and committed under `book/generated/` (figures under each
//! book's `src/figures/`), from where the chapters include it. `cargo test` fails when a
//! committed file differs from what the code computes now; `UPDATE_BOOK_OUTPUTS=1 cargo test`
//! rewrites them (then read the diff, and the prose that quotes those numbers).

use std::path::PathBuf;

use crate::chapters::ALL;
use crate::error::{Error, Result};
use crate::paths::{LANGUAGES, figures_dir, generated_dir};

/// Every generated output as `(file name, content)`, computed now, chapter by chapter in the
/// order of [`ALL`].
///
/// # Errors
/// Whatever a chapter's generator returns; [`Error::Book`] if it returns another number of
/// files than it declares.
pub fn generated_outputs() -> Result<Vec<(String, String)>> {
    let mut all = Vec::new();
    for chapter in ALL {
        let contents = (chapter.make)()?;
        if contents.len() != chapter.files.len() {
            return Err(Error::Book(format!(
                "the {} chapter declares {} generated files and computed {}",
                chapter.chapter,
                chapter.files.len(),
                contents.len()
            )));
        }
        all.extend(chapter.files.iter().map(|f| (*f).to_owned()).zip(contents));
    }
    Ok(all)
}

/// Where a generated output lives: a figure named `NAME.LANG.svg` (one per language, its
/// labels in that language) goes to `book/LANG/src/figures/`, because mdBook copies to the
/// built book only what is under a book's `src/`; everything else goes to `book/generated/`.
#[must_use]
pub fn output_path(name: &str) -> PathBuf {
    match figure_language(name) {
        Some(lang) => figures_dir(lang).join(name),
        None => generated_dir().join(name),
    }
}

/// The language of a figure named `NAME.LANG.svg`, if `LANG` is one of [`LANGUAGES`].
fn figure_language(name: &str) -> Option<&'static str> {
    let stem = name.strip_suffix(".svg")?;
    LANGUAGES
        .iter()
        .copied()
        .find(|lang| stem.strip_suffix(lang).is_some_and(|s| s.ends_with('.')))
}

/// Compare [`generated_outputs`] with the files in `book/generated/` and in each
/// `book/LANG/src/figures/` (see [`output_path`]) and return the names that differ, are
/// missing, or are not produced by any generator (orphans). With `update = true`, first
/// rewrite the differing and missing files and delete the orphans, so the result is empty.
///
/// # Errors
/// As [`generated_outputs`]; [`ce_mle::Error::Io`] on a read or write failure.
pub fn check_generated_outputs(update: bool) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    let outputs = generated_outputs()?;
    for (name, content) in &outputs {
        let path = output_path(name);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() != Some(content.as_str()) {
            if update {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                std::fs::write(&path, content).map_err(|e| Error::io(&path, e))?;
            } else {
                stale.push(name.clone());
            }
        }
    }
    let dirs = std::iter::once(generated_dir()).chain(LANGUAGES.iter().map(|l| figures_dir(l)));
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = outputs
                .iter()
                .any(|(n, _)| *n == name && output_path(n) == entry.path());
            if !ours {
                if update {
                    std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
                } else {
                    stale.push(name);
                }
            }
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::book_root;

    #[test]
    fn figures_go_under_their_book() {
        assert_eq!(
            output_path("information-ce-curve.en.svg"),
            book_root().join("en/src/figures/information-ce-curve.en.svg")
        );
        assert_eq!(
            output_path("x.zh.svg"),
            book_root().join("zh/src/figures/x.zh.svg")
        );
        // Not a figure of a book: stays in book/generated.
        assert_eq!(output_path("a.svg"), generated_dir().join("a.svg"));
        assert_eq!(output_path("a.fr.svg"), generated_dir().join("a.fr.svg"));
        assert_eq!(
            output_path("values.txt"),
            generated_dir().join("values.txt")
        );
    }

    #[test]
    fn every_file_is_declared_once_and_named_after_its_chapter() {
        let mut names: Vec<&str> = ALL.iter().flat_map(|c| c.files.iter().copied()).collect();
        for c in ALL {
            for f in c.files {
                assert!(
                    f.starts_with(&format!("{}-", c.chapter)),
                    "{f} is generated by the {} chapter but not named after it",
                    c.chapter
                );
            }
        }
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two chapters declare the same file");
    }
}
