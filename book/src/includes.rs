//! The `{{#include}}` and `{{#rustdoc_include}}` directives of a book page, for the tests that
//! check every include points at a file and an anchor that exist (mdBook only logs a missing
//! anchor and includes nothing).

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

#[cfg(test)]
mod tests {
    use super::*;

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
