//! One module per chapter, named like the chapter's listing (`book/listings/<chapter>.rs`) and
//! its generated files (`book/generated/<chapter>-*`): the inputs the listing asserts it uses,
//! the code that computes every number and figure the chapter quotes, and [`Outputs`], the list
//! of its files. [`ALL`] is the registry that `cargo test` compares with the committed files
//! (see [`crate::generated`]).

use std::fmt::Write as _;

use nalgebra::DVector;

use crate::error::{Error, Result};
use crate::paths::LANGUAGES;

pub mod answers;
pub mod background;
pub mod bigram;
pub mod bigram_heldout;
pub mod binary;
pub mod equivalence;
pub mod exercise_answers;
pub mod glossary;
pub mod information;
pub mod likelihood;
pub mod maintainers;
pub mod options;
pub mod performance;
pub mod sentiment;
pub mod softmax;
pub mod strategies;
pub mod strategies_synonyms;
pub mod tradeoffs;
pub mod tradeoffs_label_shift;
pub mod training;
pub mod transformer;
pub mod why_cross_entropy;

/// The generated files of one chapter and the function that computes them.
///
/// A chapter includes a file with `{{#include ../../generated/NAME}}` (a block) or
/// `{{#include ../../generated/NAME:anchor}}` (one `ANCHOR: anchor` … `ANCHOR_END: anchor`
/// region, e.g. a number inline). A figure `NAME.LANG.svg` goes under `book/LANG/src/figures/`
/// instead (see [`crate::generated::output_path`]).
#[derive(Clone, Copy, Debug)]
pub struct Outputs {
    /// The chapter (its page is `book/{en,zh}/src/<chapter>.md`, with `-` for `_`).
    pub chapter: &'static str,
    /// File names, each `<chapter>-…`.
    pub files: &'static [&'static str],
    /// Computes the files' contents, in the order of `files`.
    pub make: fn() -> Result<Vec<String>>,
}

/// Every chapter with generated files, in the books' order.
pub const ALL: &[Outputs] = &[
    background::OUTPUTS,
    information::OUTPUTS,
    likelihood::OUTPUTS,
    equivalence::OUTPUTS,
    softmax::OUTPUTS,
    binary::OUTPUTS,
    why_cross_entropy::OUTPUTS,
    options::OUTPUTS,
    bigram::OUTPUTS,
    bigram_heldout::OUTPUTS,
    transformer::OUTPUTS,
    sentiment::OUTPUTS,
    answers::OUTPUTS,
    tradeoffs::OUTPUTS,
    tradeoffs_label_shift::OUTPUTS,
    strategies::OUTPUTS,
    strategies_synonyms::OUTPUTS,
    training::OUTPUTS,
    exercise_answers::OUTPUTS,
    glossary::OUTPUTS,
    maintainers::OUTPUTS,
    performance::OUTPUTS,
];

/// Tolerance of the book's listings: two computations of the same quantity in `f64` agree
/// when they differ by less than this (each listing asserts that its `TOL` equals it).
pub const LISTING_TOLERANCE: f64 = 1e-12;

pub(crate) fn book_err(what: impl std::fmt::Display) -> Error {
    Error::Book(what.to_string())
}

/// A fixed number of decimals, so that last-bit differences between platforms cannot
/// change a committed file.
pub(crate) fn fixed6(x: f64) -> String {
    format!("{x:.6}")
}

/// [`fixed6`] without trailing zeros: `1.000000` → `1`.
pub(crate) fn trimmed(x: f64) -> String {
    fixed6(x)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_owned()
}

pub(crate) fn tuple_exact(xs: &[f64]) -> String {
    let inner: Vec<String> = xs.iter().map(|&x| format!("{x:?}")).collect();
    format!("({})", inner.join(", "))
}

pub(crate) fn tuple_fixed6(xs: &[f64]) -> String {
    let inner: Vec<String> = xs.iter().map(|&x| fixed6(x)).collect();
    format!("({})", inner.join(", "))
}

/// Writes `ANCHOR` regions for inline includes.
#[derive(Default)]
pub(crate) struct Anchored(pub(crate) String);

impl Anchored {
    pub(crate) fn put(&mut self, anchor: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "ANCHOR: {anchor}\n{value}\nANCHOR_END: {anchor}");
    }
}

pub(crate) fn scalar(l: &ce_mle::loss::Loss) -> Result<f64> {
    l.scalar()
        .ok_or_else(|| book_err("a reduced loss returned a vector"))
}

pub(crate) fn dist(xs: &[f64]) -> DVector<f64> {
    DVector::from_row_slice(xs)
}

/// `x` in scientific notation with `digits` decimals, as TeX (`4.25 \times 10^{-18}`).
pub(crate) fn sci_tex(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$e}");
    match s.split_once('e') {
        Some((m, e)) => format!("{m} \\times 10^{{{e}}}"),
        None => s,
    }
}

/// A number (or a tuple of numbers) as formatted by Rust, rewritten for prose: a minus sign is
/// U+2212 (`-0.5` → `−0.5`), an infinity `∞`, and scientific notation a power of ten
/// (`9.76e-5` → `9.76 × 10⁻⁵`, `1e-12` → `10⁻¹²`). Inside `$…$` the book writes TeX instead
/// (see [`sci_tex`]).
pub(crate) fn prose_number(s: &str) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = i == 0 || !chars[i - 1].is_alphanumeric();
        if c == '-' && starts_number {
            out.push('−');
            i += 1;
            continue;
        }
        if c.is_ascii_digit() && starts_number {
            // A mantissa, then maybe `e`, a sign and an exponent.
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let mantissa: String = chars[i..j].iter().collect();
            let mut k = j + 1;
            if chars.get(k) == Some(&'-') {
                k += 1;
            }
            let digits = chars[k.min(chars.len())..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            if chars.get(j) == Some(&'e') && digits > 0 {
                let exp: String = chars[j + 1..k + digits]
                    .iter()
                    .map(|&d| match d {
                        '-' => '⁻',
                        d => SUP[d.to_digit(10).unwrap_or(0) as usize],
                    })
                    .collect();
                if mantissa != "1" {
                    out.push_str(&mantissa);
                    out.push_str(" × ");
                }
                out.push_str("10");
                out.push_str(&exp);
                i = k + digits;
            } else {
                out.push_str(&mantissa);
                i = j;
            }
            continue;
        }
        if chars[i..].starts_with(&['i', 'n', 'f']) && starts_number {
            out.push('∞');
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Axis labels and legends of a figure, per language.
pub(crate) struct Texts {
    pub(crate) title: &'static str,
    pub(crate) x: &'static str,
    pub(crate) y: &'static str,
}

pub(crate) fn lang_texts(lang: &str, en: Texts, zh: Texts) -> Texts {
    if lang == "zh" { zh } else { en }
}

/// Parse the language of a figure generator from the output's name, as a guard: the
/// registry and the generator must agree.
pub(crate) fn check_lang(lang: &str) -> Result<()> {
    if LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(book_err(format!("no book in language {lang:?}")))
    }
}

/// The index and value of the smallest element (the first one on ties).
pub(crate) fn argmin(v: &[f64]) -> (usize, f64) {
    v.iter().copied().enumerate().fold(
        (0, f64::INFINITY),
        |b, (i, x)| if x < b.1 { (i, x) } else { b },
    )
}

/// A per-epoch curve `(epoch, value)`, epochs counted from 1.
pub(crate) fn curve(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(e, &l)| ((e + 1) as f64, l))
        .collect()
}

/// The text of a figure in language `lang` (0 = English, 1 = Chinese) from `[en, zh]`.
pub(crate) fn pick(t: [&str; 2], lang: usize) -> &str {
    t[lang]
}

/// A fraction as a whole percentage: `0.873` → `87%`.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

#[cfg(test)]
mod tests {
    use super::prose_number;

    #[test]
    fn numbers_for_prose() {
        assert_eq!(prose_number("-0.040559"), "−0.040559");
        assert_eq!(prose_number("(2.0, -1.0, 0.5)"), "(2.0, −1.0, 0.5)");
        assert_eq!(prose_number("-inf"), "−∞");
        assert_eq!(prose_number("9.76e-5"), "9.76 × 10⁻⁵");
        assert_eq!(prose_number("1e-12"), "10⁻¹²");
        assert_eq!(prose_number("5e-324"), "5 × 10⁻³²⁴");
        assert_eq!(prose_number("1e3"), "10³");
        assert_eq!(prose_number("-100"), "−100");
        assert_eq!(prose_number("NaN"), "NaN");
        assert_eq!(prose_number("0.05"), "0.05");
    }
}
