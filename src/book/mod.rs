//! The bilingual book (`book/zh`, `book/en`), built and tested in-process with mdBook.
//!
//! No `mdbook` or `mdbook-katex` binary is needed: [`build_books`] and [`test_books`] load each
//! book with `mdbook-driver`, run KaTeX in-process, and need only `rustdoc` on the `PATH`.
//!
//! # What a build checks
//! * **Every mdBook warning or error fails the build.** mdBook and mdbook-katex report problems
//!   (a missing `{{#include}}` file, a bad `book.toml` key) through `tracing` and then carry on.
//!   While a book is built or tested, a `tracing` subscriber local to the calling thread
//!   records every event of level WARN or ERROR; if there is any, the call returns
//!   [`Error::Book`] listing them.
//! * **Every formula is rendered.** KaTeX renders on worker threads, whose log events the
//!   thread-local subscriber cannot see; instead [`MathMlFixup`] scans each chapter after
//!   KaTeX and refuses any `$…$` or `$$…$$` left in the text (KaTeX leaves the TeX in place
//!   when it cannot parse it).
//! * **MathML that displays offline.** The books ask KaTeX for MathML without stylesheet
//!   (`output = "mathml"`, `no-css = true` in `book.toml`): no CDN, no fonts shipped.
//!   [`MathMlFixup`] then fixes the two traps of that route (see [`fix_mathml`]).
//!
//! # Tests of the book's code
//! `mdbook test` runs `rustdoc --test -L DIR` on each chapter and never passes `--extern`, so
//! `DIR` must hold exactly one build of `ce_mle` and of each of its dependencies.
//! [`prepare_library_dir`] runs `cargo build --lib --message-format=json` and hard-links the
//! `.rlib` and proc-macro files that Cargo reports into a fresh directory (never
//! `target/debug/deps`, which accumulates several builds of the same crate).
//!
//! # Numbers in the prose
//! Every number the book quotes is computed here ([`generated_outputs`]) and written to
//! `book/generated/`, from where the chapters include it. A test fails when a committed file
//! differs from what the code computes now; `UPDATE_BOOK_OUTPUTS=1 cargo test` rewrites them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mdbook_driver::MDBook;
use mdbook_driver::book::Book;
use mdbook_katex::preprocess::KatexProcessor;
use mdbook_katex::scan::{Delimiter, Event as ScanEvent, Scan};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

pub mod accuracy;
mod practice;
mod theory;

pub use theory::{
    BACKGROUND_PROBS, BACKGROUND_VOCAB, BIG_LOGITS, BIN_BIG, BIN_LOGITS, BIN_TARGETS, COIN_FLIPS,
    COND_INPUTS, COND_LABELS, CURVE_P, CURVE_STEP, DOMINANT_LOGITS, FD_STEP, GD_LR, GD_START,
    GD_STEPS, JSON_CASE, MSE_OBS, MSE_PRED, OPT_LABELS, OPT_LOGITS, OPT_WEIGHTS, SHIFT,
    SMALL_LOGITS, categorical_gd, conditional_frequencies, softmax_hessian,
};

pub use practice::{
    ANSWER_CANDIDATES_EN, ANSWER_CANDIDATES_ZH, ANSWER_LR, ANSWER_SCORES, L1, L2, OVERFIT_EPOCHS,
    OVERFIT_LR, PATIENCE, SHIFTS, TOKEN_DROPOUT, sentiment_config, torch_fixture_path,
};

use crate::error::{Error, Result};
use crate::information::entropy;
use crate::likelihood::categorical_mle;
use crate::loss::{CrossEntropyOptions, Target, cross_entropy};

/// The languages of the book, in the order they are built: one mdBook per language under
/// [`book_root`], with the same file names and the same `SUMMARY.md` structure.
pub const LANGUAGES: [&str; 2] = ["zh", "en"];

/// Name under which [`MathMlFixup`] registers (it runs after KaTeX).
pub const FIXUP_NAME: &str = "ce-mle-mathml";

/// `<CARGO_MANIFEST_DIR>/book`: the two books, the shared listings and generated outputs.
#[must_use]
pub fn book_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book")
}

/// `<CARGO_MANIFEST_DIR>/book/generated`: the outputs of [`generated_outputs`].
#[must_use]
pub fn generated_dir() -> PathBuf {
    book_root().join("generated")
}

fn book_err(what: impl std::fmt::Display) -> Error {
    Error::Book(what.to_string())
}

// ---------------------------------------------------------------------------------------------
// Capturing mdBook's warnings and errors
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Loading, building and testing
// ---------------------------------------------------------------------------------------------

/// Load the book at `book_dir` and register the in-process preprocessors: KaTeX (replacing
/// the `[preprocessor.katex]` command that `book.toml` declares, in place) and then
/// [`MathMlFixup`] (appended, so it runs last).
fn load(book_dir: &Path) -> mdbook_driver::errors::Result<MDBook> {
    let mut book = MDBook::load(book_dir)?;
    book.with_preprocessor(KatexProcessor);
    book.with_preprocessor(MathMlFixup);
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
/// [`Error::Io`] if `out` exists and is not a directory, or its parent cannot be created or
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

/// [`Error::Io`] if something other than a directory is at `out` (a book would replace it).
fn check_book_destination(out: &Path) -> Result<()> {
    match std::fs::symlink_metadata(out) {
        Ok(m) if !m.is_dir() => Err(Error::Io {
            path: out.display().to_string(),
            message: "exists and is not a directory: refusing to replace it with a book".into(),
        }),
        _ => Ok(()),
    }
}

/// A fresh path beside `path`: `.NAME.TAG-PID-N` in the same directory (created if missing).
fn sibling_path(path: &Path, tag: &str) -> Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(Error::Io {
            path: path.display().to_string(),
            message: "not a directory name".into(),
        });
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

/// Run `mdbook test` in-process on every book of [`LANGUAGES`]: build the library once
/// ([`prepare_library_dir`] into a fresh `target/book-deps/test-<pid>-<n>`, removed
/// afterwards), then [`test_book`] each language.
///
/// # Errors
/// As [`prepare_library_dir`] and [`test_book`].
pub fn test_books() -> Result<()> {
    let dir = target_dir()?.join("book-deps").join(format!(
        "test-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let result = prepare_library_dir(&dir).and_then(|_| {
        LANGUAGES
            .iter()
            .try_for_each(|lang| test_book(&book_root().join(lang), &dir))
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
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
        .map_err(|e| Error::io("cargo", e))?;
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

/// Fill `dir` with exactly one build of `ce_mle` and of each of its dependencies, for
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
/// [`Error::Book`] if Cargo fails or reports no artifact; [`Error::Io`] if `dir` cannot be
/// emptied, created or filled.
pub fn prepare_library_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let json = run_cargo(&["build", "--lib", "--message-format=json"])?;
    let artifacts: Vec<PathBuf> = json.lines().flat_map(linkable_artifacts).collect();
    if !artifacts.iter().any(|a| {
        a.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("libce_mle"))
    }) {
        return Err(book_err(
            "cargo build --lib listed no libce_mle artifact; is this the ce-mle manifest?",
        ));
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
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
            std::fs::copy(&src, &dst).map_err(|e| Error::io(&src, e))?;
        }
        placed.push(dst);
    }
    Ok(placed)
}

// ---------------------------------------------------------------------------------------------
// After KaTeX: MathML that survives Markdown and displays in browsers
// ---------------------------------------------------------------------------------------------

/// Preprocessor that runs after KaTeX and applies [`fix_mathml`] to every chapter, for the
/// `html` renderer only. Registered by [`build_books`] and [`test_books`] under
/// [`FIXUP_NAME`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MathMlFixup;

impl Preprocessor for MathMlFixup {
    fn name(&self) -> &str {
        FIXUP_NAME
    }

    fn run(
        &self,
        _ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let mut failures = Vec::new();
        book.for_each_chapter_mut(|ch| match fix_mathml(&ch.content) {
            Ok(fixed) => ch.content = fixed,
            Err(e) => failures.push(format!("chapter {:?}: {e}", ch.name)),
        });
        if failures.is_empty() {
            Ok(book)
        } else {
            Err(mdbook_preprocessor::errors::Error::msg(failures.join("\n")))
        }
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(renderer == "html")
    }
}

const MATH_OPEN: &str = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"";
const MATH_CLOSE: &str = "</math>";

/// Make KaTeX's MathML output safe for Markdown and for browsers; refuse what would not
/// display.
///
/// 1. **Unrendered math.** Any `$…$` or `$$…$$` still present (KaTeX keeps the TeX when it
///    cannot parse it, and only logs from a worker thread) is an error.
/// 2. **HTML output.** KaTeX's HTML output (`class="katex-html"`) needs its stylesheet and
///    fonts from a CDN: an error (set `output = "mathml"` and `no-css = true`).
/// 3. **Markdown inside MathML.** mdBook parses the text between MathML tags as Markdown, so
///    `_` and `*` in KaTeX's `<annotation>` (the raw TeX) start emphasis, the TeX leaks onto
///    the page and neighbouring text vanishes. Every ASCII punctuation character in the text
///    of a `<math>` element becomes a numeric character reference (`_` → `&#95;`), which the
///    browser reads back as the same character.
/// 4. **`mathvariant`.** Chromium honours only `mathvariant="normal"`. Letters and digits
///    under `double-struck`, `bold`, `italic`, `bold-italic`, `script`, `bold-script`,
///    `fraktur`, `bold-fraktur`, `sans-serif`, `bold-sans-serif` or `monospace` (what
///    `\mathbb`, `\mathbf`, `\mathcal`, … produce) are replaced by their Unicode
///    mathematical alphanumeric symbols (ℝ, 𝐱, 𝒞) and the attribute is dropped.
/// 5. **Operator names.** `\log p` gets TeX's thin space between `log` and `p`, which
///    MathML Core's spacing of the function-application operator U+2061 leaves out.
///
/// # Errors
/// [`Error::Book`] for 1 and 2, for an unknown `mathvariant`, for a character that variant
/// cannot map (e.g. `\mathbb{α}`: write the Unicode character instead), and for a `<math>`
/// element that is not closed.
pub fn fix_mathml(content: &str) -> Result<String> {
    check_rendered(content)?;
    if content.contains("class=\"katex-html\"") {
        return Err(book_err(
            "KaTeX produced HTML output, which needs its CDN stylesheet and fonts; set \
             output = \"mathml\" and no-css = true under [preprocessor.katex]",
        ));
    }
    let mut out = String::with_capacity(content.len() + content.len() / 8);
    let mut rest = content;
    while let Some(start) = rest.find(MATH_OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after
            .find(MATH_CLOSE)
            .ok_or_else(|| book_err("a <math> element is not closed"))?
            + MATH_CLOSE.len();
        let mut element = String::with_capacity(end + 32);
        fix_math_element(&after[..end], &mut element)?;
        out.push_str(&mark_prefix_signs(&space_function_application(&element)));
        rest = &after[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// TeX's rule for signs: a `−` or `+` that starts a list, or follows an opening bracket, a
/// comma, a relation or another operator, is a unary sign and gets no space around it.
/// KaTeX writes every sign as `<mo>−</mo>`, and MathML Core infers the prefix form only for
/// the first child of a row, so `(−0.4, −1.4)` would render as `( − 0.4, − 1.4)`: such signs
/// get `form="prefix"`.
fn mark_prefix_signs(math: &str) -> String {
    const SIGNS: [&str; 2] = ["<mo>\u{2212}</mo>", "<mo>+</mo>"];
    let mut out = String::with_capacity(math.len() + 64);
    let mut rest = math;
    loop {
        let next = SIGNS
            .iter()
            .filter_map(|s| rest.find(s).map(|i| (i, *s)))
            .min_by_key(|&(i, _)| i);
        let Some((i, sign)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        if unary_sign_context(&out) {
            out.push_str(&sign.replacen("<mo>", "<mo form=\"prefix\">", 1));
        } else {
            out.push_str(sign);
        }
        rest = &rest[i + sign.len()..];
    }
}

/// Whether a sign after `before` (the MathML so far) is unary: it follows an opening tag
/// (first child) or an operator other than a closing bracket or a postfix one.
fn unary_sign_context(before: &str) -> bool {
    let Some(b) = before.strip_suffix("</mo>") else {
        // After a tag: an opening tag means the sign is the first child.
        return before.ends_with('>')
            && before
                .rfind('<')
                .is_some_and(|k| !before[k..].starts_with("</"));
    };
    let content = b.rfind('>').map_or("", |k| &b[k + 1..]);
    !matches!(
        content,
        ")" | "]" | "}" | "|" | "‖" | "⟩" | "!" | "′" | "&#41;" | "&#93;" | "&#125;" | "&#124;"
    )
}

const APPLY: &str = "<mo>\u{2061}</mo>";
const APPLY_SPACED: &str = "<mo rspace=\"0.1667em\">\u{2061}</mo>";

const THIN_SPACE: &str = "<mspace width=\"0.1667em\"></mspace>";

/// TeX's spacing around operator names such as `\log`, which MathML Core leaves out.
///
/// KaTeX writes `\log p` as `<mi>log</mi><mo>U+2061</mo><mi>p</mi>`; MathML Core spaces the
/// invisible function-application operator U+2061 by 0 and puts no space around an `<mi>`,
/// so `p(x)\log q` would render as `p(x)logq`. TeX puts a thin space on each side of the
/// name, except after an operator or an opening bracket and before an operator or a
/// bracket (`\log(p)`, `-\log p`). This restores the right-hand space with `rspace` on
/// U+2061 and the left-hand one with an `<mspace>` before the name.
fn space_function_application(math: &str) -> String {
    let mut out = String::with_capacity(math.len() + 64);
    let mut rest = math;
    while let Some(i) = rest.find(APPLY) {
        let before = &rest[..i];
        rest = &rest[i + APPLY.len()..];
        // `<mi>name</mi>` just before U+2061: maybe a thin space in front of it.
        match operator_name_start(before) {
            Some(m) if needs_space_after(&format!("{out}{}", &before[..m])) => {
                out.push_str(&before[..m]);
                out.push_str(THIN_SPACE);
                out.push_str(&before[m..]);
            }
            _ => out.push_str(before),
        }
        let next_is_operator = rest.starts_with("<mo") || rest.starts_with("</");
        out.push_str(if next_is_operator {
            APPLY
        } else {
            APPLY_SPACED
        });
        // `\max_\theta L`: the name ends the base of a script element; the space goes
        // after the whole element.
        if let Some(k) = end_of_scripted_base(rest) {
            out.push_str(&rest[..k]);
            if !rest[k..].starts_with("<mo") && !rest[k..].starts_with("</") {
                out.push_str(THIN_SPACE);
            }
            rest = &rest[k..];
        }
    }
    out.push_str(rest);
    out
}

/// If `rest` closes the base row of a script element (`</mrow>` then the scripts, then
/// `</msub>`, `</munder>`, …), the length of that stretch.
fn end_of_scripted_base(rest: &str) -> Option<usize> {
    let mut k = rest.strip_prefix("</mrow>").map(|_| "</mrow>".len())?;
    while !rest[k..].starts_with("</") {
        k += element_len(&rest[k..])?;
    }
    [
        "</msub>",
        "</msup>",
        "</msubsup>",
        "</munder>",
        "</mover>",
        "</munderover>",
    ]
    .iter()
    .find(|close| rest[k..].starts_with(*close))
    .map(|close| k + close.len())
}

/// Length of the complete element (`<x …>…</x>` or `<x …/>`) at the start of `s`.
fn element_len(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        let lt = i + s[i..].find('<')?;
        if depth == 0 && lt != i {
            return None; // text, not an element
        }
        let gt = lt + s[lt..].find('>')? + 1;
        let tag = &s[lt..gt];
        if tag.starts_with("</") {
            depth = depth.checked_sub(1)?;
        } else if !tag.ends_with("/>") {
            depth += 1;
        }
        i = gt;
        if depth == 0 {
            return Some(i);
        }
    }
}

/// Where the `<mi …>name</mi>` that `math` ends with starts, if it ends with one.
fn operator_name_start(math: &str) -> Option<usize> {
    let body = math.strip_suffix("</mi>")?;
    let open_end = body.rfind('>')?;
    let open_start = body[..open_end].rfind('<')?;
    let tag = &body[open_start..=open_end];
    let is_mi = tag == "<mi>" || tag.starts_with("<mi ");
    (is_mi && !body[open_end + 1..].contains('<')).then_some(open_start)
}

/// Whether TeX puts a thin space between what `math` (already escaped) ends with and an
/// operator name: after an ordinary element or a closing bracket, not after another
/// operator, an opening bracket, or the start of a row.
fn needs_space_after(math: &str) -> bool {
    if let Some(body) = math.strip_suffix("</mo>") {
        let op = body.rfind('>').map_or("", |o| &body[o + 1..]);
        // `)`, `]`, `}`, `|` as escaped by `escape_math_text`, and ‖ ⟩ as they are.
        return ["&#41;", "&#93;", "&#125;", "&#124;", "\u{2225}", "\u{27e9}"].contains(&op);
    }
    // After a start tag (`<mrow>`, `<semantics>`) the name opens its row.
    math.rfind('<').is_none_or(|i| math[i..].starts_with("</"))
}

/// Refuse math delimiters left in `content` after KaTeX.
fn check_rendered(content: &str) -> Result<()> {
    let block = Delimiter::same("$$".into());
    let inline = Delimiter::same("$".into());
    let mut begin = 0;
    for event in Scan::new(content, &block, &inline) {
        match event {
            ScanEvent::Begin(b) => begin = b,
            ScanEvent::InlineEnd(end) | ScanEvent::BlockEnd(end) => {
                let tex: String = content[begin..end].chars().take(80).collect();
                return Err(book_err(format!(
                    "KaTeX left this formula unrendered (a TeX error?): `{tex}`"
                )));
            }
            ScanEvent::TextEnd(_) => {}
        }
    }
    Ok(())
}

/// Rewrite one `<math …>…</math>` element (tags and text) into `out`.
fn fix_math_element(math: &str, out: &mut String) -> Result<()> {
    // The mathvariant in force for each open element (inherited from the parent).
    let mut variants: Vec<Option<&str>> = Vec::new();
    let mut rest = math;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest
                .find('>')
                .ok_or_else(|| book_err("a MathML tag is not closed"))?;
            let tag = &rest[..=end];
            rest = &rest[end + 1..];
            if tag.starts_with("</") {
                variants.pop();
                out.push_str(tag);
                continue;
            }
            let self_closing = tag.ends_with("/>");
            let own = attribute(tag, "mathvariant");
            let inherited = variants.last().copied().flatten();
            let variant = match own {
                Some("normal") => None,
                Some(v) => {
                    if !VARIANTS.iter().any(|(name, _)| *name == v) {
                        return Err(book_err(format!(
                            "mathvariant=\"{v}\" does not display in Chromium and has no \
                             Unicode mapping here; write the symbol as a Unicode character"
                        )));
                    }
                    Some(v)
                }
                None => inherited,
            };
            match own {
                Some(v) if v != "normal" => out.push_str(&remove_attribute(tag, "mathvariant")),
                _ => out.push_str(tag),
            }
            if !self_closing {
                variants.push(variant);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            escape_math_text(&rest[..end], variants.last().copied().flatten(), out)?;
            rest = &rest[end..];
        }
    }
    Ok(())
}

/// The value of `name="…"` in an opening tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn remove_attribute(tag: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    match tag.find(&key) {
        Some(start) => {
            let value_start = start + key.len();
            match tag[value_start..].find('"') {
                Some(len) => format!("{}{}", &tag[..start], &tag[value_start + len + 1..]),
                None => tag.to_owned(),
            }
        }
        None => tag.to_owned(),
    }
}

/// Text of a MathML element: entity references are copied as they are, ASCII punctuation
/// becomes `&#N;`, and letters and digits are mapped to `variant`'s Unicode symbols.
fn escape_math_text(text: &str, variant: Option<&str>, out: &mut String) -> Result<()> {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let entity_len = (c == '&')
            .then(|| text[i..].find(';'))
            .flatten()
            .filter(|&l| {
                text[i + 1..i + l]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '#')
            });
        if let Some(len) = entity_len {
            out.push_str(&text[i..=i + len]);
            while chars.peek().is_some_and(|&(j, _)| j <= i + len) {
                chars.next();
            }
            continue;
        }
        if c.is_ascii_punctuation() {
            let _ = write!(out, "&#{};", u32::from(c));
            continue;
        }
        match variant {
            Some(v) if !c.is_whitespace() => {
                out.push(map_variant(v, c).ok_or_else(|| {
                    book_err(format!(
                        "no Unicode {v} form of {c:?} here; write the symbol as a Unicode \
                         character instead of using a math-alphabet macro"
                    ))
                })?);
            }
            _ => out.push(c),
        }
    }
    Ok(())
}

/// Code points of `A`, `a` and `0` in one style of the Mathematical Alphanumeric Symbols
/// block (`None`: the style has no digits).
type Alphabet = (u32, u32, Option<u32>);

/// The styles [`fix_mathml`] maps, by `mathvariant` name.
const VARIANTS: [(&str, Alphabet); 11] = [
    ("bold", (0x1D400, 0x1D41A, Some(0x1D7CE))),
    ("italic", (0x1D434, 0x1D44E, None)),
    ("bold-italic", (0x1D468, 0x1D482, None)),
    ("script", (0x1D49C, 0x1D4B6, None)),
    ("bold-script", (0x1D4D0, 0x1D4EA, None)),
    ("fraktur", (0x1D504, 0x1D51E, None)),
    ("double-struck", (0x1D538, 0x1D552, Some(0x1D7D8))),
    ("bold-fraktur", (0x1D56C, 0x1D586, None)),
    ("sans-serif", (0x1D5A0, 0x1D5BA, Some(0x1D7E2))),
    ("bold-sans-serif", (0x1D5D4, 0x1D5EE, Some(0x1D7EC))),
    ("monospace", (0x1D670, 0x1D68A, Some(0x1D7F6))),
];

/// Letters that Unicode encodes in the Letterlike Symbols block, leaving holes in the
/// Mathematical Alphanumeric Symbols block.
const HOLES: [(&str, char, char); 24] = [
    ("italic", 'h', 'ℎ'),
    ("script", 'B', 'ℬ'),
    ("script", 'E', 'ℰ'),
    ("script", 'F', 'ℱ'),
    ("script", 'H', 'ℋ'),
    ("script", 'I', 'ℐ'),
    ("script", 'L', 'ℒ'),
    ("script", 'M', 'ℳ'),
    ("script", 'R', 'ℛ'),
    ("script", 'e', 'ℯ'),
    ("script", 'g', 'ℊ'),
    ("script", 'o', 'ℴ'),
    ("fraktur", 'C', 'ℭ'),
    ("fraktur", 'H', 'ℌ'),
    ("fraktur", 'I', 'ℑ'),
    ("fraktur", 'R', 'ℜ'),
    ("fraktur", 'Z', 'ℨ'),
    ("double-struck", 'C', 'ℂ'),
    ("double-struck", 'H', 'ℍ'),
    ("double-struck", 'N', 'ℕ'),
    ("double-struck", 'P', 'ℙ'),
    ("double-struck", 'Q', 'ℚ'),
    ("double-struck", 'R', 'ℝ'),
    ("double-struck", 'Z', 'ℤ'),
];

/// The Unicode mathematical alphanumeric symbol for `c` in `variant`, if there is one.
fn map_variant(variant: &str, c: char) -> Option<char> {
    if let Some(&(_, _, mapped)) = HOLES
        .iter()
        .find(|(v, from, _)| *v == variant && *from == c)
    {
        return Some(mapped);
    }
    let &(_, (upper, lower, digit)) = VARIANTS.iter().find(|(v, _)| *v == variant)?;
    let code = match c {
        'A'..='Z' => upper + (c as u32 - 'A' as u32),
        'a'..='z' => lower + (c as u32 - 'a' as u32),
        '0'..='9' => digit? + (c as u32 - '0' as u32),
        _ => return None,
    };
    char::from_u32(code)
}

// ---------------------------------------------------------------------------------------------
// Include directives
// ---------------------------------------------------------------------------------------------

/// One `{{#include PATH[:SELECTOR]}}` or `{{#rustdoc_include PATH[:SELECTOR]}}` of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// `include` or `rustdoc_include`.
    pub directive: String,
    /// The path, relative to the page's directory.
    pub path: String,
    /// What follows the first `:`: an anchor name or a line range, if any.
    pub selector: Option<String>,
}

impl Include {
    /// The anchor name, if the selector is one (line ranges are digits and colons).
    #[must_use]
    pub fn anchor(&self) -> Option<&str> {
        self.selector
            .as_deref()
            .filter(|s| !s.chars().all(|c| c.is_ascii_digit() || c == ':'))
    }
}

/// Every include directive of a Markdown page, in order (mdBook's other `{{#…}}` directives,
/// such as `{{#title}}`, are skipped).
#[must_use]
pub fn include_directives(markdown: &str) -> Vec<Include> {
    let mut found = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("{{#") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let body = &rest[start + 3..start + len];
        rest = &rest[start + len + 2..];
        let mut words = body.split_whitespace();
        let (Some(directive), Some(arg)) = (words.next(), words.next()) else {
            continue;
        };
        if directive != "include" && directive != "rustdoc_include" {
            continue;
        }
        let (path, selector) = match arg.split_once(':') {
            Some((p, s)) => (p, Some(s.to_owned())),
            None => (arg, None),
        };
        found.push(Include {
            directive: directive.to_owned(),
            path: path.to_owned(),
            selector,
        });
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Generated outputs: every number the prose quotes
// ---------------------------------------------------------------------------------------------

/// One file under `book/generated/`: its name and the library code that computes it.
///
/// To add an output, write a `fn() -> Result<String>` (next to the code it reports on, if
/// you like) and add a line to [`GENERATED_OUTPUTS`]; a chapter then includes it with
/// `{{#include ../../generated/NAME}}` (block) or `{{#include ../../generated/NAME:anchor}}`
/// (an `ANCHOR: anchor` … `ANCHOR_END: anchor` region, e.g. one number inline).
#[derive(Clone, Copy, Debug)]
pub struct GeneratedOutput {
    /// File name under `book/generated/`.
    pub name: &'static str,
    /// Computes the file's content.
    pub make: fn() -> Result<String>,
}

/// The registry of generated outputs, one computing function per file.
pub const GENERATED_OUTPUTS: &[GeneratedOutput] = &[
    // Accuracy in ULPs on hard cases, ours vs PyTorch (issue 5): src/book/accuracy.rs.
    GeneratedOutput {
        name: "appendix-ulp.md",
        make: accuracy::ulp_table,
    },
    GeneratedOutput {
        name: "equivalence-worked.md",
        make: theory::equivalence_worked,
    },
    GeneratedOutput {
        name: "equivalence-values.txt",
        make: theory::equivalence_values,
    },
    GeneratedOutput {
        name: "background-values.txt",
        make: theory::background_values,
    },
    GeneratedOutput {
        name: "information-values.txt",
        make: theory::information_values,
    },
    GeneratedOutput {
        name: "information-ce-curve.en.svg",
        make: theory::information_ce_curve_en,
    },
    GeneratedOutput {
        name: "information-ce-curve.zh.svg",
        make: theory::information_ce_curve_zh,
    },
    GeneratedOutput {
        name: "likelihood-values.txt",
        make: theory::likelihood_values,
    },
    GeneratedOutput {
        name: "likelihood-gd.en.svg",
        make: theory::likelihood_gd_en,
    },
    GeneratedOutput {
        name: "likelihood-gd.zh.svg",
        make: theory::likelihood_gd_zh,
    },
    GeneratedOutput {
        name: "softmax-values.txt",
        make: theory::softmax_values,
    },
    GeneratedOutput {
        name: "binary-values.txt",
        make: theory::binary_values,
    },
    GeneratedOutput {
        name: "options-values.txt",
        make: theory::options_values,
    },
    GeneratedOutput {
        name: "training-table.txt",
        make: training_table,
    },
    GeneratedOutput {
        name: "training-values.txt",
        make: training_values,
    },
    GeneratedOutput {
        name: "bigram-counts.md",
        make: bigram_counts_table,
    },
    GeneratedOutput {
        name: "bigram-rows.md",
        make: bigram_rows_table,
    },
    GeneratedOutput {
        name: "bigram-values.txt",
        make: bigram_values,
    },
    GeneratedOutput {
        name: "bigram-corpus-report.txt",
        make: bigram_corpus_report,
    },
    GeneratedOutput {
        name: "bigram-corpus.txt",
        make: bigram_corpus_values,
    },
    // The practical chapters: src/book/practice.rs.
    GeneratedOutput {
        name: "sentiment-values.txt",
        make: practice::sentiment_values,
    },
    GeneratedOutput {
        name: "answers-values.txt",
        make: practice::answers_values,
    },
    GeneratedOutput {
        name: "answers-steps.en.svg",
        make: practice::answers_figure_en,
    },
    GeneratedOutput {
        name: "answers-steps.zh.svg",
        make: practice::answers_figure_zh,
    },
    GeneratedOutput {
        name: "tradeoffs-values.txt",
        make: practice::tradeoffs_values,
    },
    GeneratedOutput {
        name: "tradeoffs-overfit.en.svg",
        make: practice::tradeoffs_overfit_en,
    },
    GeneratedOutput {
        name: "tradeoffs-overfit.zh.svg",
        make: practice::tradeoffs_overfit_zh,
    },
    GeneratedOutput {
        name: "tradeoffs-shift.en.svg",
        make: practice::tradeoffs_shift_en,
    },
    GeneratedOutput {
        name: "tradeoffs-shift.zh.svg",
        make: practice::tradeoffs_shift_zh,
    },
    GeneratedOutput {
        name: "strategies-values.txt",
        make: practice::strategies_values,
    },
    GeneratedOutput {
        name: "strategies-curves.en.svg",
        make: practice::strategies_curves_en,
    },
    GeneratedOutput {
        name: "strategies-curves.zh.svg",
        make: practice::strategies_curves_zh,
    },
    GeneratedOutput {
        name: "strategies-weights.en.svg",
        make: practice::strategies_weights_en,
    },
    GeneratedOutput {
        name: "strategies-weights.zh.svg",
        make: practice::strategies_weights_zh,
    },
    GeneratedOutput {
        name: "training-torch.txt",
        make: practice::training_torch_values,
    },
    GeneratedOutput {
        name: "glossary.md",
        make: practice::glossary_table,
    },
];

/// Every generated output as `(file name under book/generated/, content)`, computed now
/// by library code, in the order of [`GENERATED_OUTPUTS`].
///
/// # Errors
/// Whatever a computing function returns.
pub fn generated_outputs() -> Result<Vec<(String, String)>> {
    GENERATED_OUTPUTS
        .iter()
        .map(|g| Ok((g.name.to_owned(), (g.make)()?)))
        .collect()
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

/// `book/LANG/src/figures`: the generated figures of one language's book.
#[must_use]
pub fn figures_dir(lang: &str) -> PathBuf {
    book_root().join(lang).join("src").join("figures")
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
/// As [`generated_outputs`]; [`Error::Io`] on a read or write failure.
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

/// Predicted distributions of the chapter's worked example (two samples, three classes;
/// the example of d2l's softmax-regression section).
pub const WORKED_PROBS: [[f64; 3]; 2] = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]];
/// Observed classes of the worked example.
pub const WORKED_LABELS: [usize; 2] = [0, 2];
/// The soft target `p` of the chapter's CE = H + KL example.
pub const SOFT_P: [f64; 3] = [0.7, 0.2, 0.1];
/// The model `q` of the chapter's CE = H + KL example.
pub const SOFT_Q: [f64; 3] = [0.5, 0.3, 0.2];
/// Logits of the chapter's gradient example.
pub const GRAD_LOGITS: [f64; 3] = [2.0, 1.0, 0.1];
/// Observed class of the chapter's gradient example.
pub const GRAD_LABEL: usize = 0;
/// Labels of the chapter's categorical-MLE example (three classes).
pub const MLE_LABELS: [usize; 10] = [0, 1, 2, 2, 1, 2, 2, 0, 2, 2];
/// Label smoothing ε of the chapter's example.
pub const SMOOTHING: f64 = 0.1;
/// Tolerance of the book's listings: two computations of the same quantity in `f64` agree
/// when they differ by less than this (each listing asserts that its `TOL` equals it).
pub const LISTING_TOLERANCE: f64 = 1e-12;
/// How many factors of 0.1 the chapter multiplies to show underflow.
pub const UNDERFLOW_FACTORS: usize = 400;

/// A fixed number of decimals, so that last-bit differences between platforms cannot
/// change a committed file.
fn f6(x: f64) -> String {
    format!("{x:.6}")
}

/// [`f6`] without trailing zeros: `1.000000` → `1`.
fn short(x: f64) -> String {
    f6(x).trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn tuple(xs: &[f64]) -> String {
    let inner: Vec<String> = xs.iter().map(|&x| format!("{x:?}")).collect();
    format!("({})", inner.join(", "))
}

fn tuple6(xs: &[f64]) -> String {
    let inner: Vec<String> = xs.iter().map(|&x| f6(x)).collect();
    format!("({})", inner.join(", "))
}

/// Writes `ANCHOR` regions for inline includes.
#[derive(Default)]
struct Anchored(String);

impl Anchored {
    fn put(&mut self, anchor: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "ANCHOR: {anchor}\n{value}\nANCHOR_END: {anchor}");
    }
}

// ---------------------------------------------------------------------------------------------
// The training chapter (T10)
// ---------------------------------------------------------------------------------------------

/// The training chapter's claim: the untrained model's mean loss is within this many nats of
/// `ln C` (its listing asserts it).
pub const TRAINING_START_MARGIN: f64 = 0.1;
/// Seed of the fresh samples on which the training chapter tests the trained model.
pub const TRAINING_FRESH_SEED: u64 = crate::data::DEFAULT_SEED + 1;
/// Number of those fresh samples.
pub const TRAINING_FRESH_N: usize = 1000;
/// PyTorch's default `betas` of Adam, as the training chapter quotes them;
/// [`training_values`] checks that `Adam::new` uses them.
pub const ADAM_BETAS: (f64, f64) = (0.9, 0.999);
/// PyTorch's default `eps` of Adam (checked as [`ADAM_BETAS`]).
pub const ADAM_EPS: f64 = 1e-8;

/// The data and the untrained model of [`crate::train::seed_example`], drawn as it draws
/// them (data first, then the layer, from one generator).
fn seed_start(
    config: &crate::train::SeedConfig,
) -> Result<(crate::data::Classification, crate::nn::SoftmaxClassifier)> {
    let mut rng = crate::data::rng(config.seed);
    let data =
        crate::data::random_classification(config.n, config.features, config.classes, &mut rng)?;
    let linear = crate::nn::Linear::new(config.features, config.classes, &mut rng)?;
    Ok((data, crate::nn::SoftmaxClassifier::new(linear)))
}

fn mean_ce(
    model: &crate::nn::SoftmaxClassifier,
    data: &crate::data::Classification,
) -> Result<f64> {
    cross_entropy(
        &model.logits(&data.x)?,
        Target::Indices(&data.y),
        &CrossEntropyOptions::default(),
    )?
    .scalar()
    .ok_or_else(|| book_err("Reduction::Mean returned a vector"))
}

/// `hits/N (p%)` for an accuracy measured on `n` samples.
fn accuracy_text(accuracy: f64, n: usize) -> String {
    let hits = (accuracy * n as f64).round();
    format!("{hits}/{n} ({:.1}%)", 100.0 * accuracy)
}

/// The loss table that the article's program prints, from [`crate::train::TrainReport::table`].
fn training_table() -> Result<String> {
    Ok(crate::train::seed_example(&crate::train::SeedConfig::default())?.table())
}

/// Every number the training chapter quotes, as `ANCHOR` regions.
fn training_values() -> Result<String> {
    use crate::optim::{Adam, Optimizer};
    let config = crate::train::SeedConfig::default();
    let report = crate::train::seed_example(&config)?;
    let (data, untrained) = seed_start(&config)?;
    let first = report.losses[0];
    if mean_ce(&untrained, &data)? != first {
        return Err(book_err(
            "seed_start no longer draws what seed_example draws: update it",
        ));
    }
    let mut a = Anchored::default();

    // The settings (the article's).
    let (n, d, c) = (config.n, config.features, config.classes);
    a.put("n", n);
    a.put("features", d);
    a.put("classes", c);
    a.put("params", c * d + c);
    a.put("weights", c * d);
    a.put("lr", config.lr);
    a.put("epochs", config.epochs);
    a.put("print_every", config.print_every);
    a.put("lines", config.epochs / config.print_every);
    a.put("seed", config.seed);
    a.put("init_bound", f6(1.0 / (d as f64).sqrt()));

    // Adam's defaults: stepping with them spelled out must equal `Adam::new`.
    let (mut spelled, mut default) = (
        Adam::with_options(config.lr, ADAM_BETAS, ADAM_EPS, 0.0)?,
        Adam::new(config.lr)?,
    );
    let (mut p, mut q) = (vec![0.5, -1.0, 2.0], vec![0.5, -1.0, 2.0]);
    for g in [[1e-9, -3.0, 0.2], [2e-9, 1.0, -0.3], [-1e-9, 0.5, 0.25]] {
        spelled.step(&mut [&mut p[..]], &[&g[..]])?;
        default.step(&mut [&mut q[..]], &[&g[..]])?;
    }
    if p != q {
        return Err(book_err("Adam::new no longer uses ADAM_BETAS and ADAM_EPS"));
    }
    a.put("beta1", ADAM_BETAS.0);
    a.put("beta2", ADAM_BETAS.1);
    // As TeX (the chapter shows it inside a formula): 1e-8 → 10^{-8}.
    let eps = format!("{ADAM_EPS:e}");
    let eps = match eps.split_once('e') {
        Some(("1", exp)) => format!("10^{{{exp}}}"),
        _ => eps,
    };
    a.put("eps", eps);

    // The start: close to ln C, and why.
    let ln_c = (c as f64).ln();
    a.put("ln_c", f6(ln_c));
    a.put("first_loss", f6(first));
    a.put("start_gap", f6(first - ln_c));
    a.put("start_margin", TRAINING_START_MARGIN);
    let z = untrained.logits(&data.x)?;
    // −log q_{i,y} = lse(z_i) − z_{i,y} = ln C + [lse(z_i) − mean(z_i) − ln C] + [mean(z_i) − z_{i,y}]:
    // the first bracket is ≥ 0 (Jensen), the second averages to ≈ 0 for random labels.
    let lse = crate::softmax::logsumexp(&z)?;
    let (mut slack, mut label) = (0.0, 0.0);
    for ((row, &y), lse) in z.row_iter().zip(&data.y).zip(lse.iter()) {
        let mean = row.mean();
        slack += lse - mean - ln_c;
        label += mean - row[y as usize];
    }
    a.put("start_slack", f6(slack / n as f64));
    a.put("start_label", f6(label / n as f64));
    a.put(
        "logit_rms",
        format!("{:.2}", (z.norm_squared() / z.len() as f64).sqrt()),
    );

    // The fall, and its first-order bound.
    let last = report.losses[report.losses.len() - 1];
    a.put("last_epoch_loss", f6(last));
    a.put("final_loss", f6(report.final_loss));
    let drop = first - report.final_loss;
    a.put("drop", f6(drop));
    let (_, g0) = untrained.loss_and_grad(
        &data.x,
        Target::Indices(&data.y),
        &CrossEntropyOptions::default(),
    )?;
    let l1 = g0.l1_norm();
    let budget = config.lr * config.epochs as f64;
    let estimate = budget * l1;
    let moved = (&report.model.linear.weight - &untrained.linear.weight)
        .amax()
        .max((&report.model.linear.bias - &untrained.linear.bias).amax());
    a.put("grad_l1", f6(l1));
    a.put("budget", budget);
    a.put("estimate", f6(estimate));
    a.put("moved", f6(moved));
    a.put("hard_bound", f6(l1 * moved));
    a.put("drop_ratio", format!("{:.0}%", 100.0 * drop / estimate));
    a.put("first_step_drop", f6(report.losses[0] - report.losses[1]));
    a.put("first_step_estimate", f6(config.lr * l1));
    a.put("last_step_drop", f6(last - report.final_loss));

    // Accuracy and what it means: labels are noise.
    a.put("chance", format!("{:.0}%", 100.0 / c as f64));
    a.put("acc_before", accuracy_text(report.accuracy.0, n));
    a.put("acc_after", accuracy_text(report.accuracy.1, n));
    let labels: Vec<usize> = data.y.iter().map(|&y| y as usize).collect();
    let p_hat = categorical_mle(&labels, c)?;
    let counts: Vec<String> = p_hat
        .iter()
        .map(|p| format!("{}", (p * n as f64).round()))
        .collect();
    a.put("label_counts", counts.join(", "));
    a.put("label_entropy", f6(entropy(&p_hat)?));
    let fresh = crate::data::random_classification(
        TRAINING_FRESH_N,
        d,
        c,
        &mut crate::data::rng(TRAINING_FRESH_SEED),
    )?;
    a.put("fresh_n", TRAINING_FRESH_N);
    a.put("fresh_loss_before", f6(mean_ce(&untrained, &fresh)?));
    a.put("fresh_loss_after", f6(mean_ce(&report.model, &fresh)?));
    a.put(
        "fresh_acc_after",
        accuracy_text(report.model.accuracy(&fresh.x, &fresh.y)?, TRAINING_FRESH_N),
    );
    Ok(a.0)
}

// ---------------------------------------------------------------------------------------------
// The bigram chapter (T11)
// ---------------------------------------------------------------------------------------------

/// The bigram chapter's small text, short enough to count its bigrams by hand: "CE =
/// cross-entropy, cross-entropy = CE", in Latin and Chinese characters.
pub const BIGRAM_TEXT: &str = "CE=交叉熵，交叉熵=CE";
/// A text with a bigram ("=熵") that [`BIGRAM_TEXT`] never shows.
pub const BIGRAM_UNSEEN_TEXT: &str = "CE=熵";
/// The contexts whose rows the chapter shows under both models.
const BIGRAM_ROWS: [char; 3] = ['=', '熵', 'C'];

/// Counts, counting model and trained model of [`BIGRAM_TEXT`], with the default options.
fn bigram_small() -> Result<crate::lm::BigramRun> {
    crate::lm::run(BIGRAM_TEXT, &crate::lm::BigramOptions::default())
}

/// The id of a character of [`BIGRAM_TEXT`].
fn bigram_id(vocab: &crate::lm::Vocab, c: char) -> Result<usize> {
    vocab
        .id(c)
        .ok_or_else(|| book_err(format!("{c:?} is not in the vocabulary of BIGRAM_TEXT")))
}

/// The count table `n(a, b)` of [`BIGRAM_TEXT`] (row = current character `a`, column = next
/// character `b`) with the row sums `n(a)`.
fn bigram_counts_table() -> Result<String> {
    let r = bigram_small()?;
    let vocab = r.counts.vocab();
    let v = vocab.len();
    let labels: Vec<String> = (0..v).filter_map(|i| vocab.label(i)).collect();
    let mut s = format!("| $a$ | {} | $n(a)$ |\n", labels.join(" | "));
    let _ = writeln!(s, "|---|{}---|", "---|".repeat(v));
    for (a, label) in labels.iter().enumerate() {
        let row = r
            .counts
            .row(a)
            .ok_or_else(|| book_err("a count row is missing"))?;
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        let n = r.counts.context_count(a).unwrap_or(0);
        let _ = writeln!(s, "| {label} | {} | {n} |", cells.join(" | "));
    }
    Ok(s)
}

/// For the contexts `a` of [`BIGRAM_ROWS`]: `P̂(b | a)` of the counting model and `P(b | a)` of
/// the trained one, one row per next character `b` (a column per context and model keeps the
/// table narrow).
fn bigram_rows_table() -> Result<String> {
    let r = bigram_small()?;
    let vocab = r.counts.vocab();
    let (p_hat, p) = (r.counting.probabilities(), r.training.model.probabilities());
    // Exact zeros and ones as such; tiny probabilities in scientific notation.
    let cell = |x: f64| {
        if x != 0.0 && x < 1e-3 {
            format!("{x:.1e}")
        } else {
            short(x)
        }
    };
    let mut columns = Vec::new();
    let mut s = String::from("| $b$ |");
    for c in BIGRAM_ROWS {
        let a = bigram_id(vocab, c)?;
        for (name, m) in [("\\hat P", &p_hat), ("P", &p)] {
            let _ = write!(s, " ${name}(b \\mid \\text{{{c}}})$ |");
            columns.push((a, m));
        }
    }
    let _ = writeln!(s, "\n|---|{}", "---|".repeat(columns.len()));
    for b in 0..vocab.len() {
        let label = vocab
            .label(b)
            .ok_or_else(|| book_err("a token without label"))?;
        let cells: Vec<String> = columns.iter().map(|&(a, m)| cell(m[(a, b)])).collect();
        let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
    }
    Ok(s)
}

/// Every number the bigram chapter quotes about [`BIGRAM_TEXT`] and the training options.
fn bigram_values() -> Result<String> {
    let r = bigram_small()?;
    let vocab = r.counts.vocab();
    let rep = &r.report;
    let opts = crate::lm::TrainOptions::default();
    let mut a = Anchored::default();
    a.put("text", BIGRAM_TEXT);
    a.put("tokens", rep.tokens);
    a.put("bigrams", rep.bigrams);
    a.put("vocab", rep.vocab_size);
    let v = rep.vocab_size;
    let seen = r.counts.to_matrix().iter().filter(|&&n| n > 0.0).count();
    a.put("pairs_seen", seen);
    a.put("pairs_all", v * v);
    a.put("pairs_unseen", v * v - seen);
    // Positions where the counting model hesitates: contexts with more than one successor.
    let branching: u64 = (0..v)
        .filter_map(|c| r.counts.row(c))
        .filter(|row| row.iter().filter(|&&k| k > 0).count() > 1)
        .map(|row| row.iter().sum::<u64>())
        .sum();
    a.put("branching", branching);
    let id = |c| bigram_id(vocab, c);
    let n = |x, y| -> Result<u64> {
        r.counts
            .count(id(x)?, id(y)?)
            .ok_or_else(|| book_err("count out of range"))
    };
    a.put("n_jiao_cha", n('交', '叉')?);
    a.put("n_eq", r.counts.context_count(id('=')?).unwrap_or(0));
    a.put("n_eq_jiao", n('=', '交')?);
    a.put("n_eq_c", n('=', 'C')?);
    a.put("ce_counting", f6(rep.ce_counting));
    a.put("ce_trained", f6(rep.ce_trained));
    a.put("ppl_counting", f6(rep.perplexity_counting));
    a.put("ppl_trained", f6(rep.perplexity_trained));
    a.put("mean_kl", format!("{:.2e}", rep.mean_kl));
    a.put("iterations", rep.iterations);
    a.put("ln_v", f6((v as f64).ln()));
    a.put("initial_gap", f6(r.training.gaps[0]));
    a.put(
        "p_unseen",
        format!("{:.1e}", r.training.model.prob('C', '交')?),
    );
    a.put("unseen_text", BIGRAM_UNSEEN_TEXT);
    a.put(
        "unseen_ce_trained",
        f6(r.training.model.cross_entropy_on(BIGRAM_UNSEEN_TEXT)?),
    );
    a.put("lr", opts.lr);
    a.put("beta1", opts.betas.0);
    a.put("beta2", opts.betas.1);
    a.put("tolerance", format!("{:.0e}", opts.tolerance));
    a.put("max_iters", opts.max_iters);
    a.put("vocab_cap", crate::lm::DEFAULT_MAX_VOCAB);
    Ok(a.0)
}

/// The frozen corpus of the bigram chapter: the books' prose ([`crate::corpus::book_corpus`])
/// as it was once, while the book was being written, so that editing a page does not change
/// the chapter's figures. `ce-mle bigram` still defaults to the live prose.
#[must_use]
pub fn bigram_snapshot_path() -> PathBuf {
    book_root().join("corpus").join("books.txt")
}

/// The bigram report on the chapter's corpus ([`bigram_snapshot_path`]), computed once per
/// process for a given corpus: it takes seconds in an unoptimised build, and
/// [`generated_outputs`] is called by more than one test.
fn bigram_corpus_run() -> Result<Arc<CorpusRun>> {
    static CACHE: Mutex<Option<Arc<CorpusRun>>> = Mutex::new(None);
    let text = crate::corpus::load_corpus(&bigram_snapshot_path())?;
    let mut cache = match CACHE.lock() {
        Ok(c) => c,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(run) = cache.as_ref().filter(|r| r.text == text) {
        return Ok(Arc::clone(run));
    }
    let r = crate::lm::run(&text, &crate::lm::BigramOptions::default())?;
    let seen = r.counts.to_matrix().iter().filter(|&&n| n > 0.0).count();
    let run = Arc::new(CorpusRun {
        text,
        report: r.report,
        pairs_seen: seen,
    });
    *cache = Some(Arc::clone(&run));
    Ok(run)
}

/// What the chapter quotes from the run on the default corpus.
struct CorpusRun {
    text: String,
    report: crate::lm::BigramReport,
    pairs_seen: usize,
}

/// The report table of the default corpus ([`crate::lm::BigramReport::render`]).
fn bigram_corpus_report() -> Result<String> {
    Ok(bigram_corpus_run()?.report.render())
}

/// The numbers the chapter quotes from the run on the default corpus.
fn bigram_corpus_values() -> Result<String> {
    let run = bigram_corpus_run()?;
    let rep = &run.report;
    // The chapter says so in words.
    if rep.unknown_token || !rep.converged {
        return Err(book_err(
            "the bigram chapter says every character of the books is in the vocabulary and \
             that training converged: update its prose",
        ));
    }
    let mut a = Anchored::default();
    a.put("tokens", rep.tokens);
    a.put("bigrams", rep.bigrams);
    a.put("distinct", rep.distinct_chars);
    a.put("vocab", rep.vocab_size);
    a.put("ce_counting", f6(rep.ce_counting));
    a.put("ce_trained", f6(rep.ce_trained));
    a.put("ppl_counting", format!("{:.3}", rep.perplexity_counting));
    a.put("ppl_trained", format!("{:.3}", rep.perplexity_trained));
    a.put("ce_counting_short", format!("{:.2}", rep.ce_counting));
    a.put("ppl_round", format!("{:.0}", rep.perplexity_counting));
    a.put("mean_kl", format!("{:.2e}", rep.mean_kl));
    a.put("iterations", rep.iterations);
    a.put("converged", rep.converged);
    let all = rep.vocab_size * rep.vocab_size;
    a.put("pairs_seen", run.pairs_seen);
    a.put("pairs_all", all);
    a.put(
        "pairs_seen_percent",
        format!("{:.1}%", 100.0 * run.pairs_seen as f64 / all as f64),
    );
    Ok(a.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unary_signs_get_the_prefix_form_and_binary_ones_do_not() {
        let m = "<math><mrow><mo>\u{2212}</mo><mi>x</mi><mo>=</mo><mo>\u{2212}</mo><mn>1</mn><mo>\u{2212}</mo><mo stretchy=\"false\">(</mo><mo>+</mo><mn>2</mn><mo separator=\"true\">,</mo><mo>\u{2212}</mo><mn>3</mn><mo stretchy=\"false\">)</mo><mo>\u{2212}</mo><msub><mi>z</mi><mi>k</mi></msub><mo>+</mo><mi>y</mi></mrow></math>";
        let f = mark_prefix_signs(m);
        let prefix = "<mo form=\"prefix\">";
        // −x, = −1, ( +2, , −3 are unary; 1 − (, ) − z and z + y are binary.
        assert_eq!(f.matches(prefix).count(), 4, "{f}");
        assert!(
            f.starts_with(&format!("<math><mrow>{prefix}\u{2212}</mo><mi>x</mi>")),
            "{f}"
        );
        assert!(f.contains("<mn>1</mn><mo>\u{2212}</mo><mo stretchy"), "{f}");
        assert!(f.contains(")</mo><mo>\u{2212}</mo><msub>"), "{f}");
        assert!(f.contains("</msub><mo>+</mo><mi>y</mi>"), "{f}");
    }

    #[test]
    fn annotation_text_is_escaped() {
        let s = "x <math xmlns=\"http://www.w3.org/1998/Math/MathML\"><semantics><msub><mi>q</mi><mi>j</mi></msub><annotation encoding=\"application/x-tex\">q_j * p_i &lt; 1</annotation></semantics></math> y_z";
        let f = fix_mathml(s).unwrap();
        assert!(f.contains("q&#95;j &#42; p&#95;i &lt; 1"), "{f}");
        assert!(f.ends_with(" y_z"), "text outside math untouched: {f}");
        assert!(f.contains("<annotation encoding=\"application/x-tex\">"));
    }

    #[test]
    fn operator_names_get_a_thin_space() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi>log</mi><mo>\u{2061}</mo><mi>p</mi><mi>log</mi><mo>\u{2061}</mo><mo stretchy=\"false\">(</mo></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<mi>log</mi><mo rspace=\"0.1667em\">\u{2061}</mo><mi>p</mi>"),
            "{f}"
        );
        assert!(
            f.contains("<mi>log</mi><mo>\u{2061}</mo><mo stretchy=\"false\">"),
            "{f}"
        );
        // Thin space before the name after an ordinary element or a closing bracket ...
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>p</mi><mo>)</mo><mi>log</mi><mo>\u{2061}</mo><mi>q</mi><mi>x</mi><mi>log</mi><mo>\u{2061}</mo><mi>q</mi></mrow></math>";
        let f = fix_mathml(s).unwrap();
        let spaced = "<mspace width=\"0.1667em\"></mspace><mi>log</mi>";
        assert!(f.contains(&format!("<mo>&#41;</mo>{spaced}")), "{f}");
        assert!(f.contains(&format!("<mi>x</mi>{spaced}")), "{f}");
        // The name is the element right before U+2061, attributes and all.
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><msub><mi>q</mi><mi>i</mi></msub><mo>=</mo><mi mathvariant=\"normal\">softmax</mi><mo>\u{2061}</mo><mo>(</mo><mi>z</mi><mo>)</mo><mi mathvariant=\"normal\">softmax</mi><mo>\u{2061}</mo><mi>z</mi></mrow></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<msub><mi>q</mi><mi>i</mi></msub><mo>&#61;</mo><mi mathvariant"),
            "{f}"
        );
        assert!(f.contains("<mo>&#41;</mo><mspace width=\"0.1667em\"></mspace><mi mathvariant=\"normal\">softmax"), "{f}");
        // ... but not after an operator, nor at the start of a row, nor at the end.
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>log</mi><mo>\u{2061}</mo></mrow><mo>−</mo><mi>log</mi><mo>\u{2061}</mo><mi>p</mi><mo>(</mo><mi>log</mi><mo>\u{2061}</mo></math>";
        let f = fix_mathml(s).unwrap();
        assert!(!f.contains("mspace"), "{f}");
        assert!(
            f.contains("<mrow><mi>log</mi><mo>\u{2061}</mo></mrow>"),
            "{f}"
        );
    }

    #[test]
    fn scripted_operator_names_get_a_thin_space_after_the_scripts() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>arg</mi><mo>\u{2061}</mo><msub><mrow><mi>max</mi><mo>\u{2061}</mo></mrow><mrow><mi>θ</mi><mn>1</mn></mrow></msub><mi>L</mi><msub><mrow><mi>min</mi><mo>\u{2061}</mo></mrow><mi>k</mi></msub><mo>(</mo></mrow></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<mn>1</mn></mrow></msub><mspace width=\"0.1667em\"></mspace><mi>L</mi>"),
            "{f}"
        );
        assert!(f.contains("<mi>k</mi></msub><mo>&#40;"), "{f}");
        assert_eq!(element_len("<a><b>x</b></a>tail"), Some(15));
        assert_eq!(element_len("<c/>tail"), Some(4));
        assert_eq!(element_len("text<a/>"), None);
        assert_eq!(element_len("<a><b>"), None);
    }

    #[test]
    fn variants_map_to_unicode() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"double-struck\">R</mi><mi mathvariant=\"bold\">x</mi><mrow><mi mathvariant=\"script\">L</mi></mrow><mi mathvariant=\"normal\">Γ</mi></math>";
        let f = fix_mathml(s).unwrap();
        assert!(f.contains("<mi>ℝ</mi><mi>𝐱</mi>"), "{f}");
        assert!(f.contains("<mi>ℒ</mi>"), "{f}");
        assert!(f.contains("<mi mathvariant=\"normal\">Γ</mi>"), "{f}");
        assert_eq!(map_variant("double-struck", '1'), Some('𝟙'));
        assert_eq!(map_variant("script", 'C'), Some('𝒞'));
        assert_eq!(map_variant("italic", 'h'), Some('ℎ'));
    }

    #[test]
    fn unmappable_variant_fails() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"double-struck\">α</mi></math>";
        assert!(matches!(fix_mathml(s), Err(Error::Book(_))));
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"tailed\">a</mi></math>";
        assert!(matches!(fix_mathml(s), Err(Error::Book(_))));
    }

    #[test]
    fn leftover_tex_fails() {
        assert!(fix_mathml("text $\\frac{1$ more").is_err());
        assert!(fix_mathml("a\n$$\nx^\n$$\n").is_err());
        assert!(fix_mathml("code `$x$` is fine").is_ok());
        assert!(fix_mathml("<span class=\"katex-html\">").is_err());
    }

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
    fn image_sources_are_found() {
        let html = r#"<p><img src="figures/a.en.svg" alt="x"><img alt="y" src="b.png"/><img src="https://e.org/c.svg"></p>"#;
        assert_eq!(
            image_sources(html),
            vec!["figures/a.en.svg", "b.png", "https://e.org/c.svg"]
        );
    }

    #[test]
    fn include_directives_are_parsed() {
        let page = "a {{#include ../x.txt:mean}} b\n{{#rustdoc_include l.rs:2:5}} {{#title T}} {{#include y.md}}";
        let found = include_directives(page);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].path, "../x.txt");
        assert_eq!(found[0].anchor(), Some("mean"));
        assert_eq!(found[1].directive, "rustdoc_include");
        assert_eq!(found[1].anchor(), None);
        assert_eq!(found[2].selector, None);
    }

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
