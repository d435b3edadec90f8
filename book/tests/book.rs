//! The book, built and tested in-process (`ce_mle_book::render`): its snippets compile and pass,
//! both languages build with no mdBook warning, a broken book is refused, the generated
//! numbers are up to date, and every include points at something that exists.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ce_mle_book::paths::{LANGUAGES, book_root};
use ce_mle_book::{Error, generated, includes, render};

#[test]
fn book_snippets_pass_mdbook_test() {
    let start = Instant::now();
    if let Err(e) = render::test_books(&["zh"]) {
        panic!("mdbook test failed (rustdoc's output is above):\n{e}");
    }
    eprintln!("test_books: {:.2?}", start.elapsed());
}

/// The text of every `<math>…</math>` element of an HTML page.
fn math_elements(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<math") {
        let Some(len) = rest[start..].find("</math>") else {
            panic!("unclosed <math> element");
        };
        found.push(&rest[start..start + len]);
        rest = &rest[start + len..];
    }
    found
}

/// Widest a line of code may be in what a reader sees (columns; a Chinese character is two).
const CODE_COLUMNS: usize = 80;

/// The lines of the code blocks of an HTML page as a reader sees them: the text of each
/// `<pre><code …>` without the hidden lines of a Rust block (`<span class="boring">`, shown
/// only on request), tags removed and entities decoded. Each line comes with its block's class.
fn visible_code_lines(html: &str) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<pre><code") {
        rest = &rest[start..];
        let open_end = "<pre><code".len()
            + rest["<pre><code".len()..]
                .find('>')
                .expect("a <code> tag ends");
        let class = rest[..open_end]
            .split("class=\"")
            .nth(1)
            .and_then(|c| c.split('"').next())
            .unwrap_or("")
            .to_owned();
        let end = rest.find("</code></pre>").expect("a code block ends");
        let mut body = &rest[open_end + 1..end];
        rest = &rest[end..];
        let mut shown = String::new();
        while let Some(b) = body.find("<span class=\"boring\">") {
            shown.push_str(&body[..b]);
            let after = &body[b..];
            body = &after[after.find("</span>").expect("a hidden line ends") + "</span>".len()..];
        }
        shown.push_str(body);
        let mut text = String::new();
        let mut in_tag = false;
        for c in shown.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => text.push(c),
                _ => {}
            }
        }
        let text = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&");
        lines.extend(text.lines().map(|l| (class.clone(), l.to_owned())));
    }
    lines
}

/// What the books' readers see of the listings (`ce_mle_book::includes::code_for_reader`):
/// no line of code wider than [`CODE_COLUMNS`] (an excerpt from inside a function starts at
/// the left margin), no comment marker left, and in the Chinese book every comment of a Rust
/// excerpt in Chinese or free of prose.
fn check_code_as_shown(out: &Path) {
    use unicode_width::UnicodeWidthStr as _;
    let mut wide = Vec::new();
    let mut english = Vec::new();
    let mut checked = 0;
    for lang in LANGUAGES {
        let dir = out.join(lang);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
            let page = entry.expect("dir entry").path();
            let name = page
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            // print.html repeats the chapters; 404.html and toc.html have no code.
            if !name.ends_with(".html")
                || ["print.html", "404.html", "toc.html"].contains(&name.as_str())
            {
                continue;
            }
            let html = std::fs::read_to_string(&page).expect("page");
            for (class, line) in visible_code_lines(&html) {
                checked += 1;
                let columns = line.width();
                if columns > CODE_COLUMNS {
                    wide.push(format!("{lang}/{name} ({columns} columns): {line}"));
                }
                assert!(
                    !line.contains("// en: ") && !line.contains("// zh: "),
                    "{lang}/{name}: a comment marker is left: {line}"
                );
                let comment = line.split_once("//").map(|(_, c)| c);
                let han = |s: &str| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
                if lang == "zh"
                    && class.contains("language-rust")
                    && let Some(c) = comment.filter(|c| !han(c))
                {
                    let prose = c
                        .split(|ch: char| !ch.is_ascii_alphabetic())
                        .filter(|w| w.len() >= 4 && w.chars().all(|ch| ch.is_ascii_lowercase()))
                        .count();
                    if prose >= 2 && !c.contains("ANCHOR") {
                        english.push(format!("zh/{name}: {line}"));
                    }
                }
            }
        }
    }
    assert!(
        checked > 500,
        "only {checked} lines of code found: is the book there?"
    );
    assert!(
        wide.is_empty(),
        "{} lines of code wider than {CODE_COLUMNS} columns in the built books (a phone shows \
         about 40; wrap the comment or let rustfmt wrap the code, book/listings/rustfmt.toml):\n{}",
        wide.len(),
        wide.join("\n")
    );
    assert!(
        english.is_empty(),
        "English comments in the Chinese book (write them as `// en: …` / `// zh: …`, see \
         ce_mle_book::includes):\n{}",
        english.join("\n")
    );
}

#[test]
fn listing_comments_are_in_both_languages() {
    let dir = book_root().join("listings");
    let mut listings = 0;
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        listings += 1;
        let text = std::fs::read_to_string(&path).expect("listing");
        for p in includes::comment_problems(&text) {
            problems.push(format!("{}: {p}", path.display()));
        }
    }
    assert!(listings > 10, "only {listings} listings found");
    assert!(
        problems.is_empty(),
        "listing comments must come in both languages (`// en: …` then `// zh: …`, see \
         ce_mle_book::includes):\n{}",
        problems.join("\n")
    );
}

/// Both books, built once by the command a reader runs (`ce-mle book build --out DIR`, DIR
/// relative to the current directory): no mdBook warning (the command fails on any), every
/// formula rendered to MathML that Markdown did not touch, no CDN.
#[test]
fn books_build_without_warnings_and_render_math() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(["book", "build", "--out", "rel-books"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    eprintln!("ce-mle book build: {:.2?}", start.elapsed());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = dir.path().join("rel-books");
    let index: Vec<PathBuf> = LANGUAGES
        .iter()
        .map(|lang| out.join(lang).join("index.html"))
        .collect();
    for lang in LANGUAGES {
        // Never inside the book's sources (where mdBook would put a relative build-dir).
        let stray = book_root().join(lang).join("rel-books");
        assert!(!stray.exists(), "{}", stray.display());
    }
    for (lang, index) in LANGUAGES.iter().zip(&index) {
        assert!(index.is_file(), "{}", index.display());
        let page = out.join(lang).join("equivalence.html");
        let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{page:?}: {e}"));
        assert!(
            html.contains(&format!("lang=\"{lang}\"")),
            "{page:?} does not declare its language"
        );
        let maths = math_elements(&html);
        assert!(maths.len() > 20, "{page:?}: only {} formulas", maths.len());
        for m in &maths {
            // Markdown must not have touched the formulas (the annotation trap of
            // `ce_mle_book::mathml`) ...
            for tag in ["<em>", "<strong>", "<code>", "<a "] {
                assert!(!m.contains(tag), "{page:?}: Markdown inside MathML: {m}");
            }
            // ... and no letter may rely on a mathvariant Chromium ignores (its second trap).
            if let Some(i) = m.find("mathvariant=\"") {
                assert!(
                    m[i..].starts_with("mathvariant=\"normal\""),
                    "{page:?}: {m}"
                );
            }
        }
        let text_outside_code = html
            .split("<pre>")
            .map(|s| s.split("</pre>").last().unwrap_or(""))
            .collect::<String>();
        assert!(
            !text_outside_code.contains("$$"),
            "{page:?}: raw TeX left on the page"
        );
        assert!(!html.contains("cdn.jsdelivr"), "{page:?} links a CDN");
    }
    check_code_as_shown(&out);
}

/// A minimal book in a temporary directory with `chapter` as its only chapter.
fn scratch_book(chapter: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).expect("mkdir");
    std::fs::write(
        root.join("book.toml"),
        "[book]\ntitle = \"scratch\"\n\n[rust]\nedition = \"2024\"\n\n\
         [preprocessor.katex]\nafter = [\"links\"]\noutput = \"mathml\"\nno-css = true\n\
         optional = true\nrenderers = [\"html\"]\n",
    )
    .expect("book.toml");
    std::fs::write(
        root.join("src/SUMMARY.md"),
        "# Summary\n\n- [Chapter](chapter.md)\n",
    )
    .expect("SUMMARY.md");
    std::fs::write(root.join("src/chapter.md"), chapter).expect("chapter.md");
    dir
}

/// Build [`scratch_book`]; on success, the page's HTML.
fn build_scratch(chapter: &str) -> Result<String, Error> {
    let dir = scratch_book(chapter);
    let out = dir.path().join("out");
    render::build_book(dir.path(), &out)?;
    let page = out.join("chapter.html");
    Ok(std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{page:?}: {e}")))
}

#[test]
fn scratch_book_builds() {
    let html = build_scratch("# Chapter\n\nFine: $q_j = e^{z_j} / \\sum_k e^{z_k}$ and *x*.\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(html.contains("<math"), "{html}");
    assert!(
        html.contains("<em>x</em>"),
        "prose keeps its Markdown: {html}"
    );
}

#[test]
fn missing_include_fails_the_build() {
    let err = build_scratch("# Chapter\n\n{{#include does-not-exist.md}}\n")
        .expect_err("mdBook only logs a missing include; the build must fail");
    let Error::Book(msg) = err else {
        panic!("expected Error::Book, got {err:?}")
    };
    assert!(msg.contains("does-not-exist.md"), "{msg}");
}

#[test]
fn missing_image_fails_the_build() {
    let err = build_scratch("# Chapter\n\n![a figure](figures/does-not-exist.en.svg)\n")
        .expect_err("mdBook copies only files under src/; a missing image must fail the build");
    assert!(
        matches!(&err, Error::Book(m) if m.contains("figures/does-not-exist.en.svg")),
        "{err:?}"
    );
}

#[test]
fn images_under_src_are_copied_and_accepted() {
    let dir = scratch_book("# Chapter\n\n![a figure](figures/f.en.svg)\n");
    let figures = dir.path().join("src/figures");
    std::fs::create_dir_all(&figures).expect("mkdir");
    std::fs::write(
        figures.join("f.en.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .expect("svg");
    let out = dir.path().join("out");
    render::build_book(dir.path(), &out).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.join("figures/f.en.svg").is_file());
}

#[test]
fn unrendered_math_fails_the_build() {
    let err = build_scratch("# Chapter\n\nBroken: $\\frac{1$.\n").expect_err("bad TeX");
    assert!(
        matches!(&err, Error::Book(m) if m.contains("unrendered")),
        "{err:?}"
    );
}

#[test]
fn failing_snippet_fails_mdbook_test() {
    let dir = scratch_book("# Chapter\n\n```rust\nassert_eq!(1 + 1, 3);\n```\n");
    let empty = tempfile::tempdir().expect("temp dir");
    let err = render::test_book(dir.path(), empty.path()).expect_err("a failing snippet");
    assert!(matches!(err, Error::Book(_)), "{err:?}");
}

#[test]
fn generated_outputs_are_up_to_date() {
    let update = std::env::var("UPDATE_BOOK_OUTPUTS").is_ok_and(|v| !v.is_empty() && v != "0");
    let stale = generated::check_generated_outputs(update).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stale.is_empty(),
        "book/generated/ differs from what the code computes now: {stale:?} (changed, missing, \
         or no longer generated). Run `UPDATE_BOOK_OUTPUTS=1 cargo test`, then read the diff \
         of book/generated/ and the prose that quotes those numbers."
    );
}

/// Every Markdown file of both books.
fn book_pages() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    for lang in LANGUAGES {
        let src = book_root().join(lang).join("src");
        for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{src:?}: {e}")) {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

fn anchor_exists(text: &str, anchor: &str) -> bool {
    let names = |marker: &str| {
        text.lines()
            .filter_map(move |l| l.split_once(marker))
            .filter_map(|(_, rest)| rest.split_whitespace().next())
            .any(|name| name == anchor)
    };
    names("ANCHOR: ") && names("ANCHOR_END: ")
}

#[test]
fn every_include_exists() {
    let mut checked = 0;
    for page in book_pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        let dir = page.parent().unwrap_or(Path::new("."));
        for inc in includes::include_directives(&text) {
            let (directive, path) = (&inc.directive, &inc.path);
            let target = dir.join(path);
            let content = std::fs::read_to_string(&target).unwrap_or_else(|e| {
                panic!("{page:?}: {{{{#{directive} {path}}}}}: {target:?}: {e}")
            });
            if let Some(anchor) = inc.anchor() {
                assert!(
                    anchor_exists(&content, anchor),
                    "{page:?}: {{{{#{directive} {path}:{anchor}}}}}: no ANCHOR/ANCHOR_END \
                     `{anchor}` in {target:?} (mdBook would silently include nothing)"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no include found: is the book there?");
}

/// `mdbook test` compiles each Rust block of a page; a block that includes a listing with
/// `{{#rustdoc_include}}` compiles the **whole** listing (the lines outside the anchor are
/// only hidden). So on each page the first block of a listing is the tested one (`rust`:
/// compiled and run; `rust,no_run` for the listings too slow to run there — every listing
/// also runs once as a cargo example), and its later excerpts are `rust,ignore`: the same
/// file again. This holds that convention: an `ignore` only after a tested block of the same
/// listing on the same page, never on a block of its own code, never a first block ignored.
#[test]
fn only_repeated_listing_excerpts_are_ignored() {
    let mut ignored = 0;
    for page in book_pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut tested = std::collections::HashSet::new();
        for (i, line) in lines.iter().enumerate() {
            let Some(info) = line.strip_prefix("```rust") else {
                continue;
            };
            let listing = lines
                .get(i + 1)
                .and_then(|l| l.strip_prefix("{{#rustdoc_include ../../listings/"))
                .and_then(|l| l.split([':', '}']).next());
            let at = format!("{}:{}", page.display(), i + 1);
            match (info, listing) {
                ("" | ",no_run", Some(l)) => {
                    assert!(
                        tested.insert(l),
                        "{at}: {l} is already tested on this page; mark this excerpt rust,ignore"
                    );
                }
                ("" | ",no_run", None) => {}
                (",ignore", Some(l)) => {
                    assert!(
                        tested.contains(l),
                        "{at}: {l} is ignored before any tested block of it on this page"
                    );
                    ignored += 1;
                }
                _ => panic!("{at}: a Rust block marked {info:?} (see this test's comment)"),
            }
        }
    }
    assert!(
        ignored > 0,
        "no repeated excerpt found: is the pattern stale?"
    );
}
