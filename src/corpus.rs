//! Text corpora for the bigram language model ([`crate::lm`]): loading a file with typed errors,
//! and extracting the prose of Markdown (the book crate uses the prose of its two books as the
//! default corpus of `ce-mle bigram`).
//!
//! Everything here works on Unicode text (`&str`): the language model's tokens are Unicode
//! scalar values (`char`), so Chinese and English are treated alike.

use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::error::{Error, Result};

/// The largest corpus file [`load_corpus`] reads: 1 GiB.
pub const MAX_CORPUS_BYTES: u64 = 1 << 30;

/// Read a UTF-8 text file for use as a corpus.
///
/// The whole file is read into memory (a 10 MB file is no problem). A leading byte-order mark is
/// kept as a character like any other.
///
/// # Errors
/// * [`Error::Io`] — the file is missing or cannot be read (the operating system's message).
/// * [`Error::Corpus`] — not a regular file (a directory, a FIFO, a device); larger than
///   [`MAX_CORPUS_BYTES`]; the file is empty; it is not valid UTF-8 (the message gives the byte
///   offset of the first bad byte); or it holds fewer than 2 characters, so not a single bigram.
///
/// # Examples
/// ```
/// let dir = std::env::temp_dir().join("ce_mle_corpus_doc");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("a.txt");
/// std::fs::write(&path, "交叉熵").unwrap();
/// assert_eq!(ce_mle::corpus::load_corpus(&path).unwrap(), "交叉熵");
/// ```
pub fn load_corpus(path: &Path) -> Result<String> {
    let bad = |reason: String| Error::Corpus {
        path: path.display().to_string(),
        reason,
    };
    // Only regular files: a FIFO would block forever and /dev/zero never ends.
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    if meta.len() > MAX_CORPUS_BYTES {
        return Err(bad(format!(
            "{} bytes is more than the {MAX_CORPUS_BYTES} bytes a corpus may have",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.is_empty() {
        return Err(bad(
            "the file is empty: a corpus needs at least 2 characters".into(),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let err = e.utf8_error();
        bad(format!(
            "not valid UTF-8: the first bad byte is at byte offset {} (0x{:02X})",
            err.valid_up_to(),
            e.as_bytes()[err.valid_up_to()]
        ))
    })?;
    check_has_bigram(&text, &path.display().to_string())?;
    Ok(text)
}

/// [`Error::Corpus`] unless `text` holds at least 2 characters (one bigram).
fn check_has_bigram(text: &str, path: &str) -> Result<()> {
    let n = text.chars().take(2).count();
    if n < 2 {
        return Err(Error::Corpus {
            path: path.to_string(),
            reason: format!(
                "it holds {n} character{}, but a bigram needs at least 2",
                if n == 1 { "" } else { "s" }
            ),
        });
    }
    Ok(())
}

/// The prose of a Markdown document, as parsed by pulldown-cmark (CommonMark, plus the
/// extensions mdBook turns on: tables, footnotes, strikethrough, task lists, heading
/// attributes; and `$…$` / `$$…$$` math).
///
/// Kept: the text of paragraphs, headings, list items, block quotes, table cells, footnotes and
/// link labels. Each block ends with a newline, soft and hard line breaks become newlines, table
/// cells are separated by a space.
///
/// Dropped: fenced and indented code blocks, inline code, inline and display math, HTML (blocks
/// and inline), image alt text, metadata blocks, heading attributes (`{#id}`), and mdBook
/// directives such as `{{#include file.rs:anchor}}`, `{{#rustdoc_include …}}` or
/// `{{#title …}}` (any `{{#…}}` span, which mdBook would have replaced by code or metadata).
///
/// The result never has two consecutive newlines or leading/trailing newlines.
///
/// # Examples
/// ```
/// let md = "# Title\n\nSome *prose* with `code` and $x^2$.\n\n```rust\nfn main() {}\n```\n";
/// assert_eq!(ce_mle::corpus::markdown_prose(md), "Title\nSome prose with  and .");
/// ```
#[must_use]
pub fn markdown_prose(markdown: &str) -> String {
    let opts = Options::ENABLE_MATH
        | Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut out = String::with_capacity(markdown.len());
    // Depth inside elements whose text is not prose (code blocks, images, metadata, HTML blocks).
    let mut skip = 0usize;
    let newline = |out: &mut String| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    };
    for event in Parser::new_ext(markdown, opts) {
        match event {
            Event::Start(
                Tag::CodeBlock(_) | Tag::Image { .. } | Tag::MetadataBlock(_) | Tag::HtmlBlock,
            ) => skip += 1,
            Event::End(
                TagEnd::CodeBlock | TagEnd::Image | TagEnd::MetadataBlock(_) | TagEnd::HtmlBlock,
            ) => skip = skip.saturating_sub(1),
            Event::Text(t) if skip == 0 => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak if skip == 0 => newline(&mut out),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition
                | TagEnd::DefinitionListTitle
                | TagEnd::DefinitionListDefinition,
            ) => newline(&mut out),
            Event::End(TagEnd::TableCell) if !out.is_empty() && !out.ends_with(['\n', ' ']) => {
                out.push(' ');
            }
            // Code, InlineMath, DisplayMath, Html, InlineHtml, FootnoteReference, Rule,
            // TaskListMarker and text inside skipped elements: not prose.
            _ => {}
        }
    }
    let out = strip_directives(&out);
    // Removing a directive can leave an empty line behind: collapse newlines again.
    let mut clean = String::with_capacity(out.len());
    for line in out.split('\n') {
        let line = line.trim_end_matches([' ', '\t']);
        if line.trim().is_empty() {
            continue;
        }
        if !clean.is_empty() {
            clean.push('\n');
        }
        clean.push_str(line);
    }
    clean
}

/// Remove every mdBook directive `{{#…}}` (up to the first `}}` that follows; an unclosed
/// `{{#` is kept as text).
fn strip_directives(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{#") {
        match rest[start..].find("}}") {
            Some(len) => {
                out.push_str(&rest[..start]);
                rest = &rest[start + len + 2..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Every `*.md` file under each of `roots` (recursively), each root's files sorted by path, the
/// roots in the order given.
///
/// # Errors
/// [`Error::Io`] if a root or one of its sub-directories cannot be listed.
pub fn markdown_files(roots: &[&Path]) -> Result<Vec<PathBuf>> {
    let mut all = Vec::new();
    for root in roots {
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&dir, e))?;
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
                if kind.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "md") {
                    files.push(path);
                }
            }
        }
        files.sort();
        all.extend(files);
    }
    Ok(all)
}

/// The prose ([`markdown_prose`]) of every `*.md` file under `roots` ([`markdown_files`]), the
/// files' prose joined with `"\n"`.
///
/// # Errors
/// [`Error::Io`] for a missing root or an unreadable file; [`Error::Corpus`] for a file that is
/// not UTF-8, or if the joined prose holds fewer than 2 characters.
pub fn markdown_corpus(roots: &[&Path]) -> Result<String> {
    let mut parts = Vec::new();
    for path in markdown_files(roots)? {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Corpus {
            path: path.display().to_string(),
            reason: format!(
                "not valid UTF-8: the first bad byte is at byte offset {}",
                e.utf8_error().valid_up_to()
            ),
        })?;
        let prose = markdown_prose(&text);
        if !prose.is_empty() {
            parts.push(prose);
        }
    }
    let joined = parts.join("\n");
    let names: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    check_has_bigram(&joined, &names.join(", "))?;
    Ok(joined)
}
