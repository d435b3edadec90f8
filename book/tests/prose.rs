//! Pointers a reader follows: no chapter is named by its position ("the previous chapter",
//! 上一章), because positions change when chapters move; relative links point to pages that
//! exist; twin pages link to the same pages.

use std::path::{Path, PathBuf};

use ce_mle_book::paths::{LANGUAGES, book_root};

use crate::common::prose;

/// Phrases that name a chapter or section by its position, lower-cased.
const POSITIONAL_EN: &[&str] = &[
    "previous chapter",
    "next chapter",
    "first chapter",
    "last chapter",
    "preceding chapter",
    "following chapter",
    "earlier chapter",
    "later chapter",
    "chapter before",
    "chapter after",
    "chapter above",
    "chapter below",
    "two previous chapters",
    "previous section",
    "next section",
    "first section",
    "last section",
    "preceding section",
    "following section",
];

/// The same in Chinese; `第…章` and `第…节` with a numeral are caught separately.
const POSITIONAL_ZH: &[&str] = &[
    "上一章",
    "下一章",
    "前一章",
    "后一章",
    "前两章",
    "前几章",
    "后几章",
    "前面几章",
    "后面几章",
    "前面各章",
    "最后一章",
    "上章",
    "下章",
    "上一节",
    "下一节",
    "前一节",
    "后一节",
    "最后一节",
];

/// `第` + numerals + `章`/`节` (第一章, 第 3 节, …), and "chapter" + a digit.
fn numbered_chapter(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '第' {
            let digits: String = chars[i + 1..]
                .iter()
                .take_while(|d| d.is_ascii_digit() || "一二三四五六七八九十百".contains(**d))
                .collect();
            let after = chars.get(i + 1 + digits.chars().count());
            if !digits.is_empty() && matches!(after, Some('章' | '节')) {
                return Some(format!("第{digits}{}", after.unwrap_or(&'章')));
            }
        }
    }
    text.match_indices("chapter ").find_map(|(i, m)| {
        let next = text[i + m.len()..].chars().next()?;
        next.is_ascii_digit().then(|| format!("chapter {next}…"))
    })
}

/// The positional phrases in `text` (lower-cased prose or a comment).
fn positional(text: &str) -> Vec<String> {
    let compact: String = text.split_whitespace().collect();
    let mut found: Vec<String> = POSITIONAL_EN
        .iter()
        .filter(|p| text.contains(*p))
        .map(|p| (*p).to_owned())
        .collect();
    found.extend(
        POSITIONAL_ZH
            .iter()
            .filter(|p| compact.contains(*p))
            .map(|p| (*p).to_owned()),
    );
    found.extend(numbered_chapter(text));
    found.extend(numbered_chapter(&compact).filter(|s| s.starts_with('第')));
    found.sort();
    found.dedup();
    found
}

fn pages(lang: &str) -> Vec<PathBuf> {
    let dir = book_root().join(lang).join("src");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    v.sort();
    v
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_test_sees_positional_references() {
    assert_eq!(
        positional("as the previous chapter showed"),
        ["previous chapter"]
    );
    assert_eq!(positional("按上一 章的结论"), ["上一章"]);
    assert_eq!(positional("见第 3 章"), ["第3章"]);
    assert_eq!(positional("见第十二节"), ["第十二节"]);
    assert_eq!(positional("in chapter 4"), ["chapter 4…"]);
    assert!(positional("the chapter on softmax; 第一个优点; 本章").is_empty());
}

/// Chapters are named ("the chapter on softmax", a link), never counted: the order of the
/// chapters changes, and a pointer by position then silently points elsewhere.
#[test]
fn chapters_are_named_not_counted() {
    let mut bad = Vec::new();
    for lang in LANGUAGES {
        for page in pages(lang) {
            for p in positional(&prose(&read(&page))) {
                bad.push(format!("{}: “{p}”", page.display()));
            }
        }
    }
    // The listings' comments are read in the books too.
    let dir = book_root().join("listings");
    for entry in std::fs::read_dir(&dir).expect("book/listings") {
        let path = entry.expect("dir entry").path();
        for (n, line) in read(&path).lines().enumerate() {
            if let Some((_, comment)) = line.split_once("//") {
                for p in positional(&comment.to_lowercase()) {
                    bad.push(format!("{}:{}: “{p}”", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "name the chapter (a link such as [the chapter on softmax](softmax.md)) instead of \
         pointing by position:\n{}",
        bad.join("\n")
    );
}

/// The relative `.md` link targets of a page, in order, without `#fragment`.
fn md_links(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(markdown)
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .filter(|url| !url.contains("://") && !url.starts_with('#') && !url.starts_with(".."))
        .map(|url| url.split('#').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn relative_links_point_to_pages_that_exist() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for lang in LANGUAGES {
        let dir = book_root().join(lang).join("src");
        for page in pages(lang) {
            for target in md_links(&read(&page)) {
                checked += 1;
                if !dir.join(&target).is_file() {
                    bad.push(format!("{}: link to {target}", page.display()));
                }
            }
        }
    }
    assert!(checked > 0, "no relative link found");
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

/// A pointer in one language is a pointer in the other: twin pages link to the same pages in
/// the same order.
#[test]
fn twin_pages_link_to_the_same_pages() {
    for page in pages("en") {
        if page.file_name().is_some_and(|n| n == "SUMMARY.md") {
            continue; // checked by book_sync
        }
        let name = page.file_name().expect("file name");
        let zh = book_root().join("zh").join("src").join(name);
        assert_eq!(
            md_links(&read(&zh)),
            md_links(&read(&page)),
            "{}: the zh and en pages link to different pages (left: zh, right: en)",
            name.to_string_lossy()
        );
    }
}

/// The value of `ANCHOR: name` … `ANCHOR_END: name` in a generated file.
fn anchor_value(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("ANCHOR: {name}\n"))? + "ANCHOR: \n".len() + name.len();
    let end = text[start..].find(&format!("\nANCHOR_END: {name}"))? + start;
    Some(text[start..end].to_owned())
}

/// Whether a line of Markdown starts a list item, a heading or a quote: `12. `, `3) `, `- `,
/// `+ `, `* `, `# `, `> `.
fn starts_block(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && (rest.starts_with(". ") || rest.starts_with(") ") || rest == "." || rest == ")"))
        || ["- ", "+ ", "* ", "# ", "> "]
            .iter()
            .any(|m| line.starts_with(m))
}

#[test]
fn the_test_sees_block_markers() {
    assert!(starts_block("1. Minimising"));
    assert!(starts_block("12) x"));
    assert!(starts_block("- x"));
    assert!(!starts_block("0.5 nats"));
    assert!(!starts_block("1.8 × 10⁻⁵, and"));
    assert_eq!(
        anchor_value("ANCHOR: a\n1\nANCHOR_END: a\n", "a").as_deref(),
        Some("1")
    );
}

/// A number included at the start of a line must not turn the line into a list item or a
/// heading (`{{#include …:n}}. The` with n = 1 renders as an ordered list "1." and the number
/// disappears from the sentence).
#[test]
fn included_values_do_not_start_markdown_blocks() {
    let mut bad = Vec::new();
    for lang in LANGUAGES {
        for page in pages(lang) {
            let text = read(&page);
            let dir = page.parent().expect("page directory");
            let mut fenced = false;
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("```") {
                    fenced = !fenced;
                }
                let Some(rest) = line.strip_prefix("{{#include ") else {
                    continue;
                };
                let Some((target, after)) = rest.split_once("}}") else {
                    continue;
                };
                let Some((path, anchor)) = target.split_once(':') else {
                    continue;
                };
                if fenced {
                    continue;
                }
                let value = anchor_value(&read(&dir.join(path)), anchor).unwrap_or_default();
                let expanded = format!("{value}{after}");
                if starts_block(&expanded) {
                    bad.push(format!("{}:{}: {expanded}", page.display(), n + 1));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "move the include off the start of the line:\n{}",
        bad.join("\n")
    );
}
