//! The glossary page: the table of terms of `book/glossary.tsv`, which both books use (the
//! Chinese book takes its terms from it).

use std::fmt::Write as _;

use super::Outputs;
use crate::error::Result;

/// The glossary as a Markdown table, from `book/glossary.tsv` (sorted by the English term).
fn glossary_table() -> Result<String> {
    let path = crate::paths::book_root().join("glossary.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| ce_mle::Error::io(&path, e))?;
    let mut rows: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .collect();
    rows.sort_by_key(|(en, _)| en.to_lowercase());
    let mut s = String::from("| English | 中文 |\n|---|---|\n");
    for (en, zh) in rows {
        let _ = writeln!(s, "| {en} | {zh} |");
    }
    Ok(s)
}

/// The glossary's table under `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "glossary",
    files: &["glossary-terms.md"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![glossary_table()?])
}
