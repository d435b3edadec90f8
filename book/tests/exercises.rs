//! The exercises at the end of the theory chapters and the appendix of answers stay matched:
//! each chapter's exercise section links to its own section of the answers page by name, and
//! that section answers exactly as many exercises as the chapter asks (five to eight, as d2l
//! has), in both books.

use ce_mle_book::paths::{LANGUAGES, book_root};

/// The chapters with exercises and the id of their section in `exercise-answers.md`.
const CHAPTERS: &[(&str, &str)] = &[
    ("background.md", "ex-background"),
    ("information.md", "ex-information"),
    ("likelihood.md", "ex-likelihood"),
    ("equivalence.md", "ex-equivalence"),
    ("softmax.md", "ex-softmax"),
    ("binary.md", "ex-binary"),
    ("why-cross-entropy.md", "ex-why"),
    ("options.md", "ex-options"),
];

fn page(lang: &str, name: &str) -> String {
    let path = book_root().join(lang).join("src").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text from the line `heading` (exactly, or starting with it) to the next `## ` heading.
fn section<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let start = text
        .match_indices("\n## ")
        .map(|(i, _)| i + 1)
        .find(|&i| text[i..].starts_with(heading))?;
    let end = text[start + 3..]
        .find("\n## ")
        .map_or(text.len(), |e| start + 3 + e + 1);
    Some(&text[start..end])
}

/// The numbers of the top-level ordered list items of a section (`1. `, `2. `, …).
fn items(section: &str) -> Vec<usize> {
    section
        .lines()
        .filter_map(|l| l.split_once(". "))
        .filter_map(|(n, _)| n.parse().ok())
        .collect()
}

#[test]
fn every_exercise_has_an_answer_and_a_named_link() {
    for lang in LANGUAGES {
        let heading = if lang == "zh" {
            "## 练习"
        } else {
            "## Exercises"
        };
        let answers = page(lang, "exercise-answers.md");
        for (chapter, id) in CHAPTERS {
            let text = page(lang, chapter);
            let exercises = section(&text, heading)
                .unwrap_or_else(|| panic!("book/{lang}/src/{chapter}: no `{heading}` section"));
            assert!(
                text.trim_end().ends_with(exercises.trim_end()),
                "book/{lang}/src/{chapter}: the exercises are not the last section"
            );
            let asked = items(exercises);
            assert!(
                (5..=8).contains(&asked.len()) && asked == (1..=asked.len()).collect::<Vec<_>>(),
                "book/{lang}/src/{chapter}: exercises numbered {asked:?}"
            );
            let link = format!("](exercise-answers.md#{id})");
            assert!(
                exercises.contains(&link),
                "book/{lang}/src/{chapter}: no link to the answers, {link}"
            );
            let answered = answers
                .split("\n## ")
                .find(|s| {
                    s.lines()
                        .next()
                        .is_some_and(|h| h.ends_with(&format!("{{#{id}}}")))
                })
                .unwrap_or_else(|| panic!("book/{lang}/src/exercise-answers.md: no {{#{id}}}"));
            assert!(
                answered.contains(&format!("]({chapter})")),
                "book/{lang}/src/exercise-answers.md#{id} does not link back to {chapter}"
            );
            assert_eq!(
                items(answered),
                asked,
                "book/{lang}: {chapter} asks {} exercises, exercise-answers.md#{id} answers {}",
                asked.len(),
                items(answered).len()
            );
        }
    }
}

#[test]
fn the_test_sees_list_items() {
    let text = "# T\n\nx\n\n## Exercises\n\n1. **A.** one\n   2. not an item\n2. two\n\n\
                Answers: [x](exercise-answers.md#ex-a).\n";
    let s = section(text, "## Exercises").expect("section");
    assert_eq!(items(s), vec![1, 2]);
    assert!(section(text, "## Missing").is_none());
}
