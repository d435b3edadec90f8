//! The Chinese and English books stay aligned: same chapters in the same order, the same
//! includes, code blocks and display formulas in each chapter pair, links between twins, and
//! a Chinese page that records which version of its English twin it translates.

use std::path::{Path, PathBuf};

use ce_mle_book::includes::{Include, include_directives};
use ce_mle_book::paths::book_root;
use sha2::{Digest, Sha256};

fn src(lang: &str) -> PathBuf {
    book_root().join(lang).join("src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.md` targets of the links in a `SUMMARY.md`, in order.
fn summary_files(lang: &str) -> Vec<String> {
    let text = read(&src(lang).join("SUMMARY.md"));
    let mut files = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            files.push(rest[..end].trim().to_owned());
            rest = &rest[end..];
        }
    }
    files
}

#[test]
fn summaries_list_the_same_chapters_in_the_same_order() {
    let [zh, en] = ce_mle_book::paths::LANGUAGES.map(summary_files);
    assert!(!en.is_empty(), "book/en/src/SUMMARY.md lists no chapter");
    assert_eq!(
        zh, en,
        "book/zh/src/SUMMARY.md and book/en/src/SUMMARY.md must list the same files in the same order"
    );
}

#[test]
fn both_books_have_the_same_pages() {
    let names = |lang| {
        let mut v: Vec<String> = std::fs::read_dir(src(lang))
            .expect("src dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("zh"),
        names("en"),
        "book/zh/src and book/en/src differ"
    );
    for f in summary_files("en") {
        assert!(
            src("en").join(&f).is_file(),
            "SUMMARY lists {f}, which does not exist"
        );
    }
}

/// What must match between the two languages of one page.
#[derive(Debug, PartialEq)]
struct Structure {
    includes: Vec<Include>,
    code_blocks: Vec<String>,
    display_math: usize,
    headings: Vec<u8>,
}

fn structure(markdown: &str) -> Structure {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
    let mut code_blocks = Vec::new();
    let mut headings = Vec::new();
    let mut in_code = false;
    let mut prose = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = true;
                code_blocks.push(match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => "(indented)".to_owned(),
                });
            }
            Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Heading { level, .. }) => headings.push(level as u8),
            Event::Text(t) if !in_code => prose.push_str(&t),
            _ => {}
        }
    }
    Structure {
        includes: include_directives(markdown),
        code_blocks,
        display_math: prose.matches("$$").count() / 2,
        headings,
    }
}

fn summary_pages() -> Vec<String> {
    let mut pages = vec!["SUMMARY.md".to_owned()];
    pages.extend(summary_files("en"));
    pages
}

#[test]
fn chapter_pairs_have_the_same_structure() {
    for page in summary_pages() {
        let mut zh = structure(&read(&src("zh").join(&page)));
        let en = structure(&read(&src("en").join(&page)));
        // A generated file in the page's own language: `NAME.zh.md` ↔ `NAME.en.md`.
        for inc in &mut zh.includes {
            inc.path = inc.path.replace(".zh.", ".en.");
        }
        assert_eq!(
            zh, en,
            "{page}: the Chinese and English pages differ in includes, code blocks, display \
             formulas or heading levels (left: zh, right: en)"
        );
    }
}

/// `README.md` is rendered as `index.html`.
fn html_name(page: &str) -> String {
    if page == "README.md" {
        "index.html".to_owned()
    } else {
        page.replace(".md", ".html")
    }
}

#[test]
fn every_page_links_to_its_twin() {
    for page in summary_files("en") {
        for (lang, other, label) in [("zh", "en", "English"), ("en", "zh", "中文")] {
            let text = read(&src(lang).join(&page));
            let link = format!("[{label}](../{other}/{})", html_name(&page));
            let head: String = text.lines().take(3).collect::<Vec<_>>().join("\n");
            assert!(
                head.contains(&link),
                "book/{lang}/src/{page}: its first lines must link to the twin: {link}"
            );
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const HASH_MARK: &str = "<!-- en-sha256: ";

#[test]
fn chinese_pages_translate_the_current_english_pages() {
    let mut stale = Vec::new();
    for page in summary_pages() {
        let en = std::fs::read(src("en").join(&page)).expect("en page");
        let want = sha256_hex(&en);
        let zh = read(&src("zh").join(&page));
        let recorded = zh
            .lines()
            .find_map(|l| l.trim().strip_prefix(HASH_MARK))
            .and_then(|rest| rest.strip_suffix("-->"))
            .map(str::trim);
        if recorded != Some(want.as_str()) {
            stale.push(format!(
                "book/zh/src/{page}: records {recorded:?}, but book/en/src/{page} now hashes to {want}.\n  \
                 Re-read the English page (git diff / git log -p book/en/src/{page}), bring the Chinese page up \
                 to date, then set its first line to: {HASH_MARK}{want} -->"
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "the English book changed after its Chinese translation:\n{}",
        stale.join("\n")
    );
}

#[test]
fn theme_files_are_identical() {
    let css = |lang: &str| std::fs::read(book_root().join(lang).join("theme/math.css"));
    let zh = css("zh").expect("book/zh/theme/math.css");
    let en = css("en").expect("book/en/theme/math.css");
    assert!(
        zh == en,
        "book/zh/theme/math.css and book/en/theme/math.css differ"
    );
}

#[test]
fn glossary_terms_are_used_in_both_books() {
    let path = book_root().join("glossary.tsv");
    let text = read(&path);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("English\t中文"), "glossary.tsv header");
    let all = |lang: &str| {
        summary_pages()
            .iter()
            .map(|p| read(&src(lang).join(p)))
            .collect::<String>()
    };
    // Terms may be broken across lines: compare with whitespace collapsed.
    let collapse = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (zh_text, en_text) = (collapse(all("zh")), collapse(all("en")).to_lowercase());
    let mut seen = std::collections::BTreeSet::new();
    for (n, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(
            fields.len() == 2 && fields.iter().all(|f| !f.trim().is_empty()),
            "glossary.tsv line {}: want `English<TAB>中文`, got {line:?}",
            n + 2
        );
        let (en, zh) = (fields[0], fields[1]);
        assert!(seen.insert(en), "glossary.tsv: {en:?} appears twice");
        // An entry `X（Y）` (the book writes X and explains it once as Y) must occur whole.
        assert!(
            en_text.contains(&en.to_lowercase()),
            "glossary.tsv: {en:?} is not used in the English book"
        );
        assert!(
            zh_text.contains(zh),
            "glossary.tsv: {zh:?} is not used in the Chinese book"
        );
    }
}

/// Chinese prose uses full-width quotes “…”: after Chinese text, mdBook's smart punctuation
/// turns both ASCII quotes of a pair into an opening “, so `"对"` would show as “对“.
#[test]
fn chinese_prose_has_no_ascii_double_quotes() {
    let dir = book_root().join("zh").join("src");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut fenced = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            // Drop code spans, where ASCII quotes are code.
            let prose: String = line.split('`').step_by(2).collect();
            if !fenced && !line.starts_with("<!--") && prose.contains('"') {
                bad.push(format!("{}:{}: {line}", path.display(), i + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "use “…” in Chinese prose:\n{}",
        bad.join("\n")
    );
}

/// Whether `term` occurs in `text` as a whole word (no letter or digit right before or after).
fn has_word(text: &str, term: &str) -> bool {
    text.match_indices(term).any(|(i, m)| {
        let before = text[..i].chars().next_back();
        let after = text[i + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The term the Chinese prose uses for a glossary entry: `X` for an entry `X（Y）` (the book
/// writes X and explains it once as Y), else the entry itself.
fn running_term(zh: &str) -> &str {
    match zh.split_once('（') {
        Some((term, gloss)) if gloss.ends_with('）') && !term.trim().is_empty() => term.trim(),
        _ => zh,
    }
}

/// For each glossary row whose English term is used in the prose of an English page, the
/// Chinese term is used in the Chinese twin: a chapter cannot introduce a term in one language
/// only, nor translate it with a non-standard word.
#[test]
fn glossary_terms_used_in_en_appear_in_zh() {
    let text = read(&book_root().join("glossary.tsv"));
    let rows: Vec<(String, &str)> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(en, zh)| (en.to_lowercase(), running_term(zh)))
        .collect();
    let mut missing = Vec::new();
    for page in summary_files("en") {
        if page == "glossary.md" {
            continue; // the glossary itself lists every term in both languages
        }
        let en = crate::common::prose(&read(&src("en").join(&page)));
        let zh: String = read(&src("zh").join(&page)).split_whitespace().collect();
        for (term_en, term_zh) in &rows {
            let zh_term: String = term_zh.split_whitespace().collect();
            if has_word(&en, term_en) && !zh.contains(&zh_term) {
                missing.push(format!(
                    "{page}: “{term_en}” is used in en, “{term_zh}” not in zh"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "use the glossary's Chinese term (book/glossary.tsv) in the Chinese twin:\n{}",
        missing.join("\n")
    );
}

/// The images of a page, in order: `![alt](path)` targets.
fn images(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(markdown)
        .filter_map(|e| match e {
            Event::Start(Tag::Image { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// Twin pages show the same figures in the same order, each in its own language
/// (`figures/NAME.en.svg` ↔ `figures/NAME.zh.svg`), and each image file exists under the
/// book's `src/` (mdBook copies nothing else into the built book).
#[test]
fn twin_pages_show_the_same_figures_in_their_own_language() {
    for page in summary_pages() {
        let [zh, en] = ["zh", "en"].map(|lang| images(&read(&src(lang).join(&page))));
        let as_zh: Vec<String> = en.iter().map(|p| p.replace(".en.", ".zh.")).collect();
        assert_eq!(zh, as_zh, "{page}: the figures differ between zh and en");
        for (lang, list) in [("zh", &zh), ("en", &en)] {
            for p in list {
                if p.contains("://") {
                    continue;
                }
                let file = src(lang).join(p);
                assert!(
                    file.is_file(),
                    "book/{lang}/src/{page}: image {p} does not exist"
                );
                assert!(
                    file.canonicalize()
                        .is_ok_and(|f| f.starts_with(src(lang).canonicalize().unwrap())),
                    "book/{lang}/src/{page}: image {p} is outside src/, mdBook will not copy it"
                );
            }
        }
    }
}
