//! The book, built and tested in-process (`ce_mle::book`): its snippets compile and pass,
//! both languages build with no mdBook warning, a broken book is refused, the generated
//! numbers are up to date, and every include points at something that exists.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ce_mle::Error;
use ce_mle::book;

#[test]
fn book_snippets_pass_mdbook_test() {
    let start = Instant::now();
    if let Err(e) = book::test_books() {
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

#[test]
fn books_build_without_warnings_and_render_math() {
    let out = book::target_dir().expect("cargo metadata").join("book");
    let start = Instant::now();
    let index = book::build_books(&out).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("build_books: {:.2?} → {}", start.elapsed(), out.display());
    assert_eq!(index.len(), book::LANGUAGES.len());
    for (lang, index) in book::LANGUAGES.iter().zip(&index) {
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
            // Markdown must not have touched the formulas (trap 1 of DESIGN §3) ...
            for tag in ["<em>", "<strong>", "<code>", "<a "] {
                assert!(!m.contains(tag), "{page:?}: Markdown inside MathML: {m}");
            }
            // ... and no letter may rely on a mathvariant Chromium ignores (trap 2).
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
    book::build_book(dir.path(), &out)?;
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
    book::build_book(dir.path(), &out).unwrap_or_else(|e| panic!("{e}"));
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
    let err = book::test_book(dir.path(), empty.path()).expect_err("a failing snippet");
    assert!(matches!(err, Error::Book(_)), "{err:?}");
}

#[test]
fn generated_outputs_are_up_to_date() {
    let update = std::env::var("UPDATE_BOOK_OUTPUTS").is_ok_and(|v| !v.is_empty() && v != "0");
    let stale = book::check_generated_outputs(update).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stale.is_empty(),
        "book/generated/ differs from what the code computes now: {stale:?} (changed, missing, \
         or no longer generated). Run `UPDATE_BOOK_OUTPUTS=1 cargo test`, then read the diff \
         of book/generated/ and the prose that quotes those numbers."
    );
}

#[test]
fn generated_outputs_have_one_function_each() {
    let outputs = book::generated_outputs().unwrap_or_else(|e| panic!("{e}"));
    let mut names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), outputs.len(), "two outputs share a file name");
}

/// Every Markdown file of both books.
fn book_pages() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    for lang in book::LANGUAGES {
        let src = book::book_root().join(lang).join("src");
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
        for inc in book::include_directives(&text) {
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
