//! The `{{#include}}` and `{{#rustdoc_include}}` directives of a book page, for the tests that
//! check every include points at a file and an anchor that exist (mdBook only logs a missing
//! anchor and includes nothing); and what an included listing looks like to a reader
//! ([`code_for_reader`]): its comments in the book's language, dedented.
//!
//! # Comments in two languages
//! The listings (`book/listings/*.rs`) are shared by both books, and each book shows its own
//! language's comments. A comment line whose text starts with `en: ` or `zh: ` begins a
//! section in that language; the comment lines after it whose text is indented by four more
//! spaces continue it; any other line ends it:
//!
//! ```text
//!     // en: The mean over the batch is the NLL divided by N,
//!     //     the loss PyTorch reports with reduction = "mean".
//!     // zh: 批次上的均值等于 NLL 除以 N，即 PyTorch 在
//!     //     reduction = "mean" 时报告的损失。
//!     let mean = nll / n; // en: nats per sample // zh: 每个样本的奈特数
//! ```
//!
//! A trailing comment carries both languages, each after ` // en: ` or ` // zh: `. The
//! English book keeps the `en` sections without their marker (and continuation lines without
//! the four extra spaces) and drops the `zh` ones; the Chinese book the reverse; comments
//! without a marker are shown in both. `///` and `//!` comments follow the same rules. The
//! markers are ordinary comments: rustfmt keeps them, and `cargo test` and `mdbook test`
//! (which do not run the book's preprocessor) compile the listings with both languages in them.

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

/// The languages a listing's comments are written in, as their markers spell them.
const COMMENT_LANGUAGES: [&str; 2] = ["en", "zh"];

/// Extra indentation of a continuation line of a comment section (the width of `en: `).
const CONTINUATION: &str = "    ";

/// A comment line: its indentation, its opener (`//`, `///` or `//!`) and the text after it.
fn comment_line(line: &str) -> Option<(&str, &str, &str)> {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let opener = ["///", "//!", "//"]
        .into_iter()
        .find(|o| body.starts_with(o))?;
    Some((indent, opener, &body[opener.len()..]))
}

/// The language of a marker at the start of a comment's text (`" en: …"`), and the text after it.
fn marker(text: &str) -> Option<(&'static str, &str)> {
    let text = text.strip_prefix(' ')?;
    COMMENT_LANGUAGES.into_iter().find_map(|lang| {
        let rest = text.strip_prefix(lang)?.strip_prefix(':')?;
        Some((lang, rest.strip_prefix(' ').unwrap_or(rest)))
    })
}

/// Split a code line at its trailing comments in both languages: the code, then each
/// `(language, text)`. `None` if the line has no ` // en: ` or ` // zh: ` comment.
fn trailing_comments(line: &str) -> Option<(&str, Vec<(&'static str, &str)>)> {
    let marks = |s: &str| {
        COMMENT_LANGUAGES
            .into_iter()
            .filter_map(|lang| s.find(&format!(" // {lang}: ")).map(|i| (i, lang)))
            .min()
    };
    let (first, _) = marks(line)?;
    let code = &line[..first];
    let mut parts = Vec::new();
    let mut rest = &line[first..];
    while let Some((i, lang)) = marks(rest) {
        debug_assert_eq!(i, 0);
        let text = &rest[format!(" // {lang}: ").len()..];
        let end = marks(text).map_or(text.len(), |(j, _)| j);
        parts.push((lang, text[..end].trim_end()));
        rest = &text[end..];
    }
    Some((code, parts))
}

/// A listing line as mdBook's `{{#rustdoc_include}}` leaves it: hidden lines (outside the
/// anchor) start with `# ` (or are just `#`).
fn split_hidden(line: &str) -> (&str, &str) {
    if line == "#" {
        ("#", "")
    } else if let Some(rest) = line.strip_prefix("# ") {
        ("# ", rest)
    } else {
        ("", line)
    }
}

/// The lines of a listing's code in the book language `lang`: comment sections of the other
/// language dropped, markers removed (see the module documentation). Hidden lines (`# `) are
/// filtered the same way and stay hidden.
#[must_use]
pub fn comments_in_language(code: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    // The language of the comment section the previous line belongs to.
    let mut section: Option<&str> = None;
    for line in code.lines() {
        let (hidden, line) = split_hidden(line);
        let keep = |l: String| format!("{hidden}{l}");
        if let Some((indent, opener, text)) = comment_line(line) {
            if let Some((which, rest)) = marker(text) {
                section = Some(which);
                if which == lang {
                    out.push(keep(format!("{indent}{opener} {rest}")));
                }
                continue;
            }
            if let Some(which) = section
                && let Some(rest) = text
                    .strip_prefix(' ')
                    .and_then(|t| t.strip_prefix(CONTINUATION))
            {
                if which == lang {
                    out.push(keep(format!("{indent}{opener} {rest}")));
                }
                continue;
            }
            section = None;
            out.push(keep(line.to_owned()));
            continue;
        }
        section = None;
        match trailing_comments(line) {
            Some((code, parts)) => match parts.iter().find(|(which, _)| *which == lang) {
                Some((_, text)) => out.push(keep(format!("{code} // {text}"))),
                None => out.push(keep(code.trim_end().to_owned())),
            },
            None => out.push(keep(line.to_owned())),
        }
    }
    out
}

/// Remove the indentation that all visible (not hidden, not blank) lines share: an excerpt
/// from inside a function starts at the left margin. Hidden lines lose as much of their own
/// indentation, up to the same amount.
#[must_use]
pub fn dedent(lines: &[String]) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let common = lines
        .iter()
        .map(|l| split_hidden(l))
        .filter(|(hidden, l)| hidden.is_empty() && !l.trim().is_empty())
        .map(|(_, l)| indent(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            let (hidden, l) = split_hidden(l);
            let cut = indent(l).min(common);
            if l.trim().is_empty() {
                hidden.trim_end().to_owned()
            } else {
                format!("{hidden}{}", &l[cut..])
            }
        })
        .collect()
}

/// A Rust code block's text as the reader of the book in language `lang` sees it:
/// [`comments_in_language`], then [`dedent`].
#[must_use]
pub fn code_for_reader(code: &str, lang: &str) -> String {
    let mut text = dedent(&comments_in_language(code, lang)).join("\n");
    if code.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Apply [`code_for_reader`] to every fenced Rust code block (info string `rust…`) of a page
/// whose fence starts at the left margin, after mdBook has expanded its includes. Other code
/// blocks and the prose are left as they are.
#[must_use]
pub fn code_blocks_for_reader(markdown: &str, lang: &str) -> String {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
    let mut out = String::with_capacity(markdown.len());
    let mut copied = 0;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else {
            continue;
        };
        let block = &markdown[range.clone()];
        let fence: String = block
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        let Some(open_end) = block.find('\n') else {
            continue;
        };
        let at_margin = range.start == 0 || markdown[..range.start].ends_with('\n');
        if !info.starts_with("rust") || fence.len() < 3 || !at_margin || range.start < copied {
            continue;
        }
        // The content: after the opening line, up to the closing fence line (if any).
        let body = &block[open_end + 1..];
        let close = body.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        let content_len = if body[close..].trim_start().starts_with(fence.as_str()) {
            close
        } else {
            body.len()
        };
        let start = range.start + open_end + 1;
        out.push_str(&markdown[copied..start]);
        out.push_str(&code_for_reader(
            &markdown[start..start + content_len],
            lang,
        ));
        copied = start + content_len;
    }
    out.push_str(&markdown[copied..]);
    out
}

/// Function names a comment may use in both books without being English prose.
const NEUTRAL_WORDS: [&str; 14] = [
    "softmax",
    "logsumexp",
    "log",
    "exp",
    "ln",
    "max",
    "min",
    "diag",
    "softplus",
    "sigmoid",
    "inf",
    "nan",
    "argmax",
    "onehot",
];

/// Whether a comment shown in both books is free of prose: no lower-case word of three or
/// more Latin letters other than [`NEUTRAL_WORDS`] (formulas, symbols and Chinese names are).
fn language_neutral(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()))
        .all(|w| NEUTRAL_WORDS.contains(&w))
}

/// The trailing `//` comment of a code line, outside string and character literals (a
/// heuristic good enough for the listings: it tracks `"` and skips escaped quotes).
fn trailing_comment(line: &str) -> Option<&str> {
    let mut in_string = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        if c == '"' && prev != '\\' {
            in_string = !in_string;
        }
        if !in_string && line[i..].starts_with("//") && !line[..i].trim().is_empty() {
            return Some(&line[i..]);
        }
        prev = c;
    }
    None
}

/// Where a listing breaks the convention of the module documentation, one line each
/// (`line N: …`): an `en` section not followed by its `zh` twin or a `zh` section without an
/// `en` one before it, a trailing comment in one language only, or a comment shown in both
/// books that is English prose ([`language_neutral`]). `ANCHOR` lines are mdBook's.
#[must_use]
pub fn comment_problems(listing: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // The language of the section the previous line belongs to, and whether an `en`
    // section is waiting for its `zh` twin (with the line it started on).
    let mut section: Option<&str> = None;
    let mut waiting: Option<usize> = None;
    for (n, line) in listing.lines().enumerate() {
        let n = n + 1;
        let line = split_hidden(line).1;
        let comment = comment_line(line);
        let marked = comment.and_then(|(_, _, text)| marker(text));
        let continues = section.is_some()
            && comment.is_some_and(|(_, _, text)| {
                marked.is_none() && text.starts_with(&format!(" {CONTINUATION}"))
            });
        if continues {
            continue;
        }
        match marked {
            Some(("zh", _)) if waiting.is_some() => waiting = None,
            Some(("zh", _)) => {
                problems.push(format!("line {n}: a zh comment without en before it"))
            }
            Some(_) => {
                if let Some(start) = waiting.replace(n) {
                    problems.push(format!("line {start}: an en comment without zh after it"));
                }
            }
            None => {
                if let Some(start) = waiting.take() {
                    problems.push(format!("line {start}: an en comment without zh after it"));
                }
            }
        }
        section = marked.map(|(lang, _)| lang);
        if marked.is_some() {
            continue;
        }
        if let Some((_, _, text)) = comment {
            let anchor = ["ANCHOR:", "ANCHOR_END:"]
                .iter()
                .any(|a| text.trim_start().starts_with(a));
            if !anchor && !language_neutral(text) {
                problems.push(format!(
                    "line {n}: a comment in one language for both books: {line}"
                ));
            }
        } else if let Some(tail) = trailing_comment(line) {
            match trailing_comments(line) {
                Some((_, parts)) => {
                    let langs: Vec<&str> = parts.iter().map(|(l, _)| *l).collect();
                    if langs != ["en", "zh"] {
                        problems.push(format!(
                            "line {n}: a trailing comment needs en then zh: {line}"
                        ));
                    }
                }
                None if !language_neutral(tail) => {
                    problems.push(format!(
                        "line {n}: a comment in one language for both books: {line}"
                    ));
                }
                None => {}
            }
        }
    }
    if let Some(start) = waiting {
        problems.push(format!("line {start}: an en comment without zh after it"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_problems_are_found() {
        // The filter's example has one trailing comment in Chinese only.
        let found = comment_problems(LISTING);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("line 10: a trailing comment needs en then zh"));
        let bad = "\
// en: English only.
//     Continued.
fn f() {} // en: trailing, English only
// zh: 只有中文。
// A plain English comment.
// ANCHOR: x
let right = [0]; // 曹雪芹
let y = softmax(z); // softmax(z − max z)
let s = \"// not a comment\";
// en: last, English only
";
        let found = comment_problems(bad);
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(
            found[0].starts_with("line 1: an en comment without zh"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("line 3: a trailing comment needs en then zh"),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("line 4: a zh comment without en"),
            "{found:?}"
        );
        assert!(
            found[3].starts_with("line 5: a comment in one language"),
            "{found:?}"
        );
        assert!(
            found[4].starts_with("line 10: an en comment without zh"),
            "{found:?}"
        );
    }

    const LISTING: &str = "\
# fn main() {
#     // en: Hidden, in English.
#     // zh: 隐藏的中文。
    // en: The mean over the batch is the NLL divided by N,
    //     the loss PyTorch reports.
    // zh: 批次上的均值等于 NLL 除以 N，
    //     即 PyTorch 报告的损失。
    // Σ CE = NLL
    let mean = nll / n; // en: nats per sample // zh: 每个样本的奈特数
    let x = 1; // zh: 只有中文
        /// en: Doc.
        /// zh: 文档。
        inner();
#
# }
";

    #[test]
    fn each_book_sees_its_own_comments_dedented() {
        assert_eq!(
            code_for_reader(LISTING, "en"),
            "\
# fn main() {
# // Hidden, in English.
// The mean over the batch is the NLL divided by N,
// the loss PyTorch reports.
// Σ CE = NLL
let mean = nll / n; // nats per sample
let x = 1;
    /// Doc.
    inner();
#
# }
"
        );
        assert_eq!(
            code_for_reader(LISTING, "zh"),
            "\
# fn main() {
# // 隐藏的中文。
// 批次上的均值等于 NLL 除以 N，
// 即 PyTorch 报告的损失。
// Σ CE = NLL
let mean = nll / n; // 每个样本的奈特数
let x = 1; // 只有中文
    /// 文档。
    inner();
#
# }
"
        );
    }

    #[test]
    fn only_rust_blocks_at_the_margin_change() {
        let page = format!(
            "Text // en: not code\n\n```rust\n{LISTING}```\n\n```text\n    // en: x\n```\n\n- item\n\n  ```rust\n      // en: in a list\n  ```\n"
        );
        let zh = code_blocks_for_reader(&page, "zh");
        assert!(
            zh.starts_with("Text // en: not code\n\n```rust\n# fn main() {\n# // 隐藏"),
            "{zh}"
        );
        assert!(
            zh.contains("# }\n```\n\n```text\n    // en: x\n```"),
            "{zh}"
        );
        assert!(
            zh.ends_with("  ```rust\n      // en: in a list\n  ```\n"),
            "{zh}"
        );
        // A block without a closing fence runs to the end of the page.
        assert_eq!(
            code_blocks_for_reader("```rust\n    a(); // en: A // zh: 甲\n", "zh"),
            "```rust\na(); // 甲\n"
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
}
