//! The mdBook driver: each book is loaded, built and tested in-process with `mdbook-driver`,
//! so no `mdbook` or `mdbook-katex` binary is needed, only `rustdoc` on the `PATH`.
//!
//! # What a build checks
//! * **Every mdBook warning or error fails the build.** mdBook and mdbook-katex report problems
//!   (a missing `{{#include}}` file, a bad `book.toml` key) through `tracing` and then carry on.
//!   While a book is built or tested, a `tracing` subscriber local to the calling thread
//!   records every event of level WARN or ERROR; if there is any, the call returns
//!   [`Error::Book`] listing them.
//! * **Every formula is rendered**, by [`BookMath`]: KaTeX to MathML, then
//!   [`crate::mathml::fix_mathml`], which refuses any `$…$` or `$$…$$` KaTeX left in the text.
//! * **Every image a page shows is in the built book** (mdBook copies only files under `src/`).
//!
//! # The plain `mdbook` command line
//! `book.toml` declares the math preprocessor as a command, `cargo run … -- book preprocess`,
//! which runs [`BookMath`] through mdBook's preprocessor protocol ([`preprocess_command`]):
//! `mdbook build book/zh` and `mdbook serve book/zh` render the math exactly as
//! `ce-mle book build` does. `mdbook test book/zh -L "$(cargo run -q -- book deps)"` tests the
//! snippets against the library built by [`crate::rustdoc_deps::prepare_library_dir`].

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mdbook_driver::MDBook;
use mdbook_driver::book::Book;
use mdbook_katex::preprocess::KatexProcessor;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::error::{Error, Result};
use crate::mathml::MathMlFixup;
use crate::paths::{LANGUAGES, book_root};
use crate::rustdoc_deps::{prepare_library_dir, target_dir};
use ce_mle::Error as CoreError;

fn book_err(what: impl std::fmt::Display) -> Error {
    Error::Book(what.to_string())
}

/// The books' preprocessor: the listings' code blocks as the book's reader sees them
/// ([`crate::includes::code_blocks_for_reader`]: comments in the book's `language`, excerpts
/// dedented), then KaTeX renders every formula to MathML (options from `[preprocessor.katex]`
/// in `book.toml`) and [`MathMlFixup`] repairs it. Registered under the name `katex`, so that
/// in-process it takes the place of the command that `book.toml` declares for the `mdbook`
/// command line; both run this code. It runs for the `html` renderer only: `mdbook test`
/// compiles the listings as they are, with the comments of both languages.
#[derive(Clone, Copy, Debug, Default)]
pub struct BookMath;

impl Preprocessor for BookMath {
    fn name(&self) -> &str {
        "katex"
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let mut book = book;
        let lang = ctx.config.book.language.as_deref().unwrap_or("en");
        book.for_each_chapter_mut(|ch| {
            ch.content = crate::includes::code_blocks_for_reader(&ch.content, lang);
        });
        let book = KatexProcessor.run(ctx, book)?;
        MathMlFixup.run(ctx, book)
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(renderer == "html")
    }
}

/// `ce-mle book preprocess [supports RENDERER]`: mdBook's preprocessor protocol for
/// [`BookMath`]. With `supports RENDERER`, succeed if it supports that renderer; otherwise
/// read `[context, book]` as JSON from `input` and write the processed book as JSON to
/// `output`.
///
/// # Errors
/// [`Error::Book`] for a renderer it does not support, input that is not mdBook's, or a
/// formula that does not render; [`ce_mle::Error::Io`] if `output` fails.
pub fn preprocess_command(
    supports: Option<&str>,
    input: impl Read,
    mut output: impl std::io::Write,
) -> Result<()> {
    if let Some(renderer) = supports {
        return match BookMath.supports_renderer(renderer) {
            Ok(true) => Ok(()),
            _ => Err(book_err(format!(
                "the math preprocessor does not support {renderer:?}"
            ))),
        };
    }
    let (ctx, book) = mdbook_preprocessor::parse_input(input)
        .map_err(|e| book_err(format!("preprocessor input: {e:#}")))?;
    let book = BookMath
        .run(&ctx, book)
        .map_err(|e| book_err(format!("{e:#}")))?;
    serde_json::to_writer(&mut output, &book)
        .map_err(|e| book_err(format!("writing the book: {e}")))?;
    output
        .flush()
        .map_err(|e| ce_mle::Error::io("<stdout>", e).into())
}

/// A `tracing` layer that records the events it sees as `LEVEL target: message` lines.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

impl Capture {
    fn take(&self) -> Vec<String> {
        match self.0.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

/// Collects the fields of one event: the message first, then `name=value` pairs.
#[derive(Default)]
struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = format!("{} {}: {}", meta.level(), meta.target(), fields.0);
        match self.0.lock() {
            Ok(mut v) => v.push(line),
            Err(poisoned) => poisoned.into_inner().push(line),
        }
    }
}

/// Run `f` with a thread-local subscriber that records WARN and ERROR events; an `Err` from
/// `f` or any recorded event becomes [`Error::Book`].
fn with_captured_warnings<T>(
    what: &str,
    f: impl FnOnce() -> mdbook_driver::errors::Result<T>,
) -> Result<T> {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(LevelFilter::WARN)
        .with(capture.clone());
    let result = tracing::subscriber::with_default(subscriber, f);
    let events = capture.take();
    let listed = events
        .iter()
        .map(|e| format!("\n  {e}"))
        .collect::<String>();
    match result {
        Ok(v) if events.is_empty() => Ok(v),
        Ok(_) => Err(book_err(format!(
            "{what}: mdBook reported {} warning(s) or error(s), each of which fails the build:{listed}",
            events.len()
        ))),
        Err(e) => Err(book_err(format!("{what}: {e:#}{listed}"))),
    }
}

/// Load the book at `book_dir` with the math preprocessor in-process: [`BookMath`] replaces,
/// in place, the `[preprocessor.katex]` command that `book.toml` declares for the plain
/// `mdbook` command line (which runs the same code through `ce-mle book preprocess`).
fn load(book_dir: &Path) -> mdbook_driver::errors::Result<MDBook> {
    let mut book = MDBook::load(book_dir)?;
    book.with_preprocessor(BookMath);
    Ok(book)
}

/// Build the mdBook at `book_dir` into `out` (the configured `build-dir` is replaced) and
/// return the path of its `index.html`.
///
/// The build is atomic as seen from `out`: the book is built and checked in a fresh sibling
/// directory (`.NAME.build-PID-N`), which is then renamed to `out`; a previous book at `out`
/// is first renamed aside and removed afterwards. An interrupted or failed build leaves the
/// previous book (or nothing) at `out`, never a half-written one.
///
/// # Errors
/// [`ce_mle::Error::Io`] if `out` exists and is not a directory, or its parent cannot be created or
/// written; [`Error::Book`] if mdBook fails, logs any warning or error, or a formula is left
/// unrendered; also if `index.html` is missing afterwards.
pub fn build_book(book_dir: &Path, out: &Path) -> Result<PathBuf> {
    // mdBook resolves a relative build directory against the book's own folder, which would
    // write into the sources: resolve it against the current directory instead.
    let out = &std::path::absolute(out).map_err(|e| Error::io(out, e))?;
    check_book_destination(out)?;
    let staging = sibling_path(out, "build")?;
    let built = build_book_into(book_dir, &staging).and_then(|()| replace_dir(&staging, out));
    if built.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    built.map(|()| out.join("index.html"))
}

/// [`ce_mle::Error::Io`] if something other than a directory is at `out` (a book would replace it).
fn check_book_destination(out: &Path) -> Result<()> {
    match std::fs::symlink_metadata(out) {
        Ok(m) if !m.is_dir() => Err(CoreError::Io {
            path: out.display().to_string(),
            message: "exists and is not a directory: refusing to replace it with a book".into(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// A fresh path beside `path`: `.NAME.TAG-PID-N` in the same directory (created if missing).
fn sibling_path(path: &Path, tag: &str) -> Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(CoreError::Io {
            path: path.display().to_string(),
            message: "not a directory name".into(),
        }
        .into());
    };
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    Ok(parent.join(format!(
        ".{}.{tag}-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )))
}

/// Move the finished directory `new` to `dest`, replacing (and removing) a previous `dest`.
fn replace_dir(new: &Path, dest: &Path) -> Result<()> {
    if std::fs::symlink_metadata(dest).is_err() {
        return std::fs::rename(new, dest).map_err(|e| Error::io(dest, e));
    }
    let old = sibling_path(dest, "old")?;
    std::fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
    if let Err(e) = std::fs::rename(new, dest) {
        let _ = std::fs::rename(&old, dest);
        return Err(Error::io(dest, e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Build the book at `book_dir` into the directory `out` and check the result.
fn build_book_into(book_dir: &Path, out: &Path) -> Result<()> {
    let what = format!("building {}", book_dir.display());
    with_captured_warnings(&what, || {
        let mut book = load(book_dir)?;
        book.config.build.build_dir = out.to_path_buf();
        book.build()
    })?;
    let index = out.join("index.html");
    if !index.is_file() {
        return Err(book_err(format!(
            "{what}: no index.html in {} (does SUMMARY.md list README.md?)",
            out.display()
        )));
    }
    let broken = broken_images(out)?;
    if !broken.is_empty() {
        return Err(book_err(format!(
            "{what}: images that the built book does not contain (mdBook copies only files \
             under src/):\n  {}",
            broken.join("\n  ")
        )));
    }
    Ok(())
}

/// Every `<img src="…">` with a relative address, in every HTML page under `out`, whose file
/// is not in `out`, as `page: src` lines.
fn broken_images(out: &Path) -> Result<Vec<String>> {
    let mut broken = Vec::new();
    let mut dirs = vec![out.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let html = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            for src in image_sources(&html) {
                let relative =
                    !src.contains("://") && !src.starts_with('/') && !src.starts_with("data:");
                let file = src.split(['#', '?']).next().unwrap_or(src);
                if relative && !path.parent().unwrap_or(out).join(file).is_file() {
                    broken.push(format!("{}: {src}", path.display()));
                }
            }
        }
    }
    broken.sort();
    Ok(broken)
}

/// The `src` attributes of the `<img>` elements of an HTML page.
fn image_sources(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<img ") {
        rest = &rest[i + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(start) = tag.find("src=\"") {
            let value = &tag[start + 5..];
            if let Some(end) = value.find('"') {
                found.push(&value[..end]);
            }
        }
    }
    found
}

/// Build every book of [`LANGUAGES`] into `out/<lang>` and return the paths of their
/// `index.html`, in the order of [`LANGUAGES`]. The books link to each other as
/// `../<lang>/…`, so keep them side by side (the CLI uses `target/book`).
///
/// Each book is replaced atomically ([`build_book`]); if one fails, the books already built
/// stay, and the failed one keeps its previous version.
///
/// # Errors
/// As [`build_book`].
pub fn build_books(out: &Path) -> Result<Vec<PathBuf>> {
    // Refuse a blocked destination before building anything.
    for lang in LANGUAGES {
        check_book_destination(&out.join(lang))?;
    }
    LANGUAGES
        .iter()
        .map(|lang| build_book(&book_root().join(lang), &out.join(lang)))
        .collect()
}

/// Run `mdbook test` on the book at `book_dir` in-process: `rustdoc --test` on every chapter
/// with `-L library_dir` (see [`prepare_library_dir`]).
///
/// A failing snippet's compiler or test output goes to standard error (printed by
/// mdBook); the returned error says which book failed.
///
/// # Errors
/// [`Error::Book`] if a snippet fails to compile or panics, if mdBook logs a warning or an
/// error, or if a path is not valid UTF-8.
pub fn test_book(book_dir: &Path, library_dir: &Path) -> Result<()> {
    let lib = library_dir
        .to_str()
        .ok_or_else(|| book_err(format!("{} is not UTF-8", library_dir.display())))?;
    with_captured_warnings(&format!("testing {}", book_dir.display()), || {
        load(book_dir)?.test(vec![lib])
    })
}

static RUN: AtomicUsize = AtomicUsize::new(0);

/// Run `mdbook test` in-process on the books of `languages`: build the library once
/// ([`prepare_library_dir`] into a fresh `target/book-deps/test-<pid>-<n>`, removed
/// afterwards), then [`test_book`] each language.
///
/// The two books include the same listings (the `book_sync` test proves it), so one language
/// tests the code of both; `ce-mle book test` tests both anyway.
///
/// # Errors
/// As [`prepare_library_dir`] and [`test_book`].
pub fn test_books(languages: &[&str]) -> Result<()> {
    let dir = target_dir()?.join("book-deps").join(format!(
        "test-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let result = prepare_library_dir(&dir).and_then(|_| {
        languages
            .iter()
            .try_for_each(|lang| test_book(&book_root().join(lang), &dir))
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_sources_are_found() {
        let html = r#"<p><img src="figures/a.en.svg" alt="x"><img alt="y" src="b.png"/><img src="https://e.org/c.svg"></p>"#;
        assert_eq!(
            image_sources(html),
            vec!["figures/a.en.svg", "b.png", "https://e.org/c.svg"]
        );
    }
}
