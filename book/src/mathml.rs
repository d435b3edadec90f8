//! MathML that survives Markdown and displays in browsers: the preprocessor that runs after
//! KaTeX ([`MathMlFixup`], [`fix_mathml`]).
//!
//! The books ask KaTeX for MathML without a stylesheet (`output = "mathml"`, `no-css = true` in
//! `book.toml`): no CDN, no fonts shipped. Two traps of that route are fixed here: KaTeX's
//! `<annotation>` holds raw TeX whose `_` and `*` Markdown would turn into emphasis, and
//! Chromium honours only `mathvariant="normal"`, so `\mathbb`, `\mathbf`, `\mathcal` letters
//! are mapped to their Unicode code points. A formula KaTeX could not parse (left as `$…$`)
//! fails the build.

use std::fmt::Write as _;

use mdbook_driver::book::Book;
use mdbook_katex::scan::{Delimiter, Event as ScanEvent, Scan};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::error::{Error, Result};

/// Name under which [`MathMlFixup`] registers (it runs after KaTeX).
pub const FIXUP_NAME: &str = "ce-mle-mathml";

fn book_err(what: impl std::fmt::Display) -> Error {
    Error::Book(what.to_string())
}

/// Preprocessor that runs after KaTeX and applies [`fix_mathml`] to every chapter, for the
/// `html` renderer only. [`crate::render::BookMath`] runs it after KaTeX; its name is
/// [`FIXUP_NAME`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MathMlFixup;

impl Preprocessor for MathMlFixup {
    fn name(&self) -> &str {
        FIXUP_NAME
    }

    fn run(
        &self,
        _ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let mut failures = Vec::new();
        book.for_each_chapter_mut(|ch| match fix_mathml(&ch.content) {
            Ok(fixed) => ch.content = fixed,
            Err(e) => failures.push(format!("chapter {:?}: {e}", ch.name)),
        });
        if failures.is_empty() {
            Ok(book)
        } else {
            Err(mdbook_preprocessor::errors::Error::msg(failures.join("\n")))
        }
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(renderer == "html")
    }
}

const MATH_OPEN: &str = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"";
const MATH_CLOSE: &str = "</math>";

/// Make KaTeX's MathML output safe for Markdown and for browsers; refuse what would not
/// display.
///
/// 1. **Unrendered math.** Any `$…$` or `$$…$$` still present (KaTeX keeps the TeX when it
///    cannot parse it, and only logs from a worker thread) is an error.
/// 2. **HTML output.** KaTeX's HTML output (`class="katex-html"`) needs its stylesheet and
///    fonts from a CDN: an error (set `output = "mathml"` and `no-css = true`).
/// 3. **Markdown inside MathML.** mdBook parses the text between MathML tags as Markdown, so
///    `_` and `*` in KaTeX's `<annotation>` (the raw TeX) start emphasis, the TeX leaks onto
///    the page and neighbouring text vanishes. Every ASCII punctuation character in the text
///    of a `<math>` element becomes a numeric character reference (`_` → `&#95;`), which the
///    browser reads back as the same character.
/// 4. **`mathvariant`.** Chromium honours only `mathvariant="normal"`. Letters and digits
///    under `double-struck`, `bold`, `italic`, `bold-italic`, `script`, `bold-script`,
///    `fraktur`, `bold-fraktur`, `sans-serif`, `bold-sans-serif` or `monospace` (what
///    `\mathbb`, `\mathbf`, `\mathcal`, … produce) are replaced by their Unicode
///    mathematical alphanumeric symbols (ℝ, 𝐱, 𝒞) and the attribute is dropped.
/// 5. **Operator names.** `\log p` gets TeX's thin space between `log` and `p`, which
///    MathML Core's spacing of the function-application operator U+2061 leaves out.
/// 6. **Accents.** KaTeX draws `\bar`, `\acute` and `\grave` with the spacing modifier
///    letters U+02C9, U+02CA and U+02CB, which Latin Modern Math does not have: the browser
///    falls back to another font, on a `lang="zh"` page to Noto CJK, whose glyphs are
///    full-width bopomofo tone marks (a wide, displaced bar over z̄). Inside an accent they
///    become U+00AF, U+00B4 and U+0060, which the math font has ([`ACCENTS`]).
/// 7. **Long inline formulas.** MathML Core never breaks a line inside `<math>`, so a long
///    inline formula runs off a phone's screen. Like TeX, an inline formula may break after
///    a relation at its top level: it is cut there into consecutive `<math>` elements
///    ([`split_at_relations`]).
/// 8. **Punctuation after inline math.** Chromium may break a line between an inline
///    `<math>` and the punctuation that follows it (or between an opening bracket and the
///    formula), even with U+2060 WORD JOINER between them, so `，` `。` `)` `,` could start a
///    line. Each inline formula with punctuation right before or after it is wrapped with
///    that punctuation in a `white-space: nowrap` span ([`glue_punctuation`]).
///
/// # Errors
/// [`Error::Book`] for 1 and 2, for an unknown `mathvariant`, for a character that variant
/// cannot map (e.g. `\mathbb{α}`: write the Unicode character instead), and for a `<math>`
/// element that is not closed.
pub fn fix_mathml(content: &str) -> Result<String> {
    check_rendered(content)?;
    if content.contains("class=\"katex-html\"") {
        return Err(book_err(
            "KaTeX produced HTML output, which needs its CDN stylesheet and fonts; set \
             output = \"mathml\" and no-css = true under [preprocessor.katex]",
        ));
    }
    let mut out = String::with_capacity(content.len() + content.len() / 8);
    let mut rest = content;
    while let Some(start) = rest.find(MATH_OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after
            .find(MATH_CLOSE)
            .ok_or_else(|| book_err("a <math> element is not closed"))?
            + MATH_CLOSE.len();
        let mut element = String::with_capacity(end + 32);
        fix_math_element(&after[..end], &mut element)?;
        out.push_str(&split_at_relations(&mark_prefix_signs(
            &space_function_application(&element),
        )));
        rest = &after[end..];
    }
    out.push_str(rest);
    Ok(glue_punctuation(&out))
}

/// Accents that KaTeX writes with a spacing modifier letter that Latin Modern Math lacks, and
/// the character of the same shape that it has (`fc-list ':charset=02c9'` lists no math font;
/// `fc-list ':charset=00af'` lists Latin Modern Math).
pub const ACCENTS: [(char, char); 3] = [
    ('\u{02C9}', '\u{00AF}'), // \bar: modifier letter macron → macron
    ('\u{02CA}', '\u{00B4}'), // \acute: modifier letter acute → acute accent
    ('\u{02CB}', '\u{0060}'), // \grave: modifier letter grave → grave accent
];

/// The opening tag of the span that keeps an inline formula and its punctuation on one line.
pub const GLUE_OPEN: &str = "<span style=\"white-space: nowrap\">";

const KATEX_INLINE: &str = "<span class=\"katex\">";
const KATEX_INLINE_END: &str = "</math></span>";

/// Punctuation that must not start a line: Chinese full-width closing marks and pauses, and
/// their ASCII counterparts (a `]` is left alone: it may close a Markdown link).
fn closes(c: char) -> bool {
    "，。、；：？！）”’》」』】〉〕］｝,.;:!?)'".contains(c)
}

/// Punctuation that must not end a line: opening brackets and quotes (a `[` is left alone: it
/// may open a Markdown link).
fn opens(c: char) -> bool {
    "（“‘《「『【〈〔［｛(".contains(c)
}

/// Glue every inline formula (`<span class="katex"><math …>…</math></span>`, not display
/// math) to the punctuation directly before ([`opens`]) or after ([`closes`]) it: the
/// punctuation moves inside KaTeX's span, and the formula's first (last) `<math>` piece and
/// that punctuation are wrapped in [`GLUE_OPEN`]`…</span>`. Chromium treats a formula as an
/// atomic inline and may break a line on either side of it, whatever Unicode says about the
/// punctuation, and a `nowrap` span is what stops it (U+2060 WORD JOINER does not: measured in
/// Chromium 156, see `tests/browser/README.md`). Only the outer piece is glued, so a formula
/// split by [`split_at_relations`] can still break inside.
#[must_use]
pub fn glue_punctuation(content: &str) -> String {
    let mut out = String::with_capacity(content.len() + content.len() / 16);
    let mut rest = content;
    while let Some(start) = rest.find(KATEX_INLINE) {
        let after = &rest[start..];
        let Some(len) = after
            .find(KATEX_INLINE_END)
            .map(|e| e + KATEX_INLINE_END.len())
        else {
            break;
        };
        let formula = &after[..len];
        let before = &rest[..start];
        let is_display = formula
            .split('>')
            .nth(1)
            .is_some_and(|math_tag| math_tag.contains("display=\"block\""));
        let open_len: usize = before
            .chars()
            .rev()
            .take_while(|&c| opens(c))
            .map(char::len_utf8)
            .sum();
        let tail = &after[len..];
        let close_len: usize = tail
            .chars()
            .take_while(|&c| closes(c))
            .map(char::len_utf8)
            .sum();
        if is_display || (open_len == 0 && close_len == 0) {
            out.push_str(before);
            out.push_str(formula);
            rest = tail;
            continue;
        }
        let (text, opening) = before.split_at(before.len() - open_len);
        let (closing, next) = tail.split_at(close_len);
        // The `<math>` pieces between KaTeX's span tags.
        let inner = &formula[KATEX_INLINE.len()..formula.len() - "</span>".len()];
        let first_end = inner
            .find(MATH_CLOSE)
            .map_or(inner.len(), |e| e + MATH_CLOSE.len());
        let last_start = inner.rfind(MATH_OPEN).unwrap_or(0);
        out.push_str(text);
        out.push_str(KATEX_INLINE);
        if first_end == inner.len() || opening.is_empty() || closing.is_empty() {
            // One piece, or punctuation on one side only: one glue span.
            let (head, glued, tail) = if opening.is_empty() {
                (&inner[..last_start], &inner[last_start..], "")
            } else if closing.is_empty() {
                ("", &inner[..first_end], &inner[first_end..])
            } else {
                ("", inner, "")
            };
            out.push_str(head);
            out.push_str(GLUE_OPEN);
            out.push_str(opening);
            out.push_str(glued);
            out.push_str(closing);
            out.push_str("</span>");
            out.push_str(tail);
        } else {
            // Several pieces and punctuation on both sides: glue the first and the last.
            out.push_str(GLUE_OPEN);
            out.push_str(opening);
            out.push_str(&inner[..first_end]);
            out.push_str("</span>");
            out.push_str(&inner[first_end..last_start]);
            out.push_str(GLUE_OPEN);
            out.push_str(&inner[last_start..]);
            out.push_str(closing);
            out.push_str("</span>");
        }
        out.push_str("</span>");
        rest = next;
    }
    out.push_str(rest);
    out
}

/// Relations after which TeX may break a line in inline math (as escaped by
/// [`escape_math_text`]: `=` `<` `>` are character references).
const RELATIONS: [&str; 13] = [
    "&#61;", "&lt;", "&gt;", "≤", "≥", "≈", "≠", "≡", "∈", "→", "⇒", "∝", "≃",
];

/// TeX's line breaks in inline math: after a relation at the top level of the formula (not
/// inside brackets or a fraction). MathML Core never breaks a `<math>` element, so a long
/// inline formula overflows a phone's width; this cuts an inline formula after each such
/// relation into consecutive `<math>` elements, between which the browser may break. The
/// first piece keeps KaTeX's `<semantics>` and TeX annotation; the relation that ends a piece
/// gets `form="infix"` (its spacing as inside the formula). Display math, and formulas
/// without a top-level relation, are returned as they are.
fn split_at_relations(math: &str) -> String {
    const HEAD: &str = "<semantics><mrow>";
    const TAIL: &str = "</mrow><annotation encoding=\"application/x-tex\">";
    let Some(open_end) = math.find('>').map(|i| i + 1) else {
        return math.to_owned();
    };
    let open = &math[..open_end];
    if open.contains("display=\"block\"") || !math[open_end..].starts_with(HEAD) {
        return math.to_owned();
    }
    let Some(tail_at) = math.rfind(TAIL) else {
        return math.to_owned();
    };
    let row = &math[open_end + HEAD.len()..tail_at];
    // The top-level children of the row, and the cuts after relations outside brackets
    // (KaTeX writes `(` and `)` as siblings of what they enclose).
    let mut cuts = Vec::new();
    let mut at = 0;
    let mut depth = 0usize;
    while at < row.len() {
        let Some(len) = element_len(&row[at..]) else {
            return math.to_owned();
        };
        let child = &row[at..at + len];
        at += len;
        let operator = |ops: &[&str]| {
            child.starts_with("<mo") && ops.iter().any(|o| child.ends_with(&format!(">{o}</mo>")))
        };
        if operator(&["&#40;", "&#91;", "&#123;", "⟨"]) {
            depth += 1;
        } else if operator(&["&#41;", "&#93;", "&#125;", "⟩"]) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && operator(&RELATIONS) && at < row.len() {
            cuts.push(at);
        }
    }
    if cuts.is_empty() {
        return math.to_owned();
    }
    let infix = |piece: &str| -> String {
        // The relation is the piece's last child: `<mo …>REL</mo>`.
        let k = piece.rfind("<mo").unwrap_or(0);
        if piece[k..].starts_with("<mo>") {
            format!("{}<mo form=\"infix\">{}", &piece[..k], &piece[k + 4..])
        } else {
            piece.to_owned()
        }
    };
    let mut out = String::with_capacity(math.len() + 128);
    let mut from = 0;
    for (n, &cut) in cuts.iter().enumerate() {
        let piece = infix(&row[from..cut]);
        if n == 0 {
            // The first piece carries the annotation (the whole formula's TeX).
            let _ = write!(out, "{open}{HEAD}{piece}{}", &math[tail_at..]);
        } else {
            let _ = write!(out, "{open}<mrow>{piece}</mrow>{MATH_CLOSE}");
        }
        from = cut;
    }
    let _ = write!(out, "{open}<mrow>{}</mrow>{MATH_CLOSE}", &row[from..]);
    out
}

/// TeX's rule for signs: a `−` or `+` that starts a list, or follows an opening bracket, a
/// comma, a relation or another operator, is a unary sign and gets no space around it.
/// KaTeX writes every sign as `<mo>−</mo>`, and MathML Core infers the prefix form only for
/// the first child of a row, so `(−0.4, −1.4)` would render as `( − 0.4, − 1.4)`: such signs
/// get `form="prefix"`.
fn mark_prefix_signs(math: &str) -> String {
    const SIGNS: [&str; 2] = ["<mo>\u{2212}</mo>", "<mo>+</mo>"];
    let mut out = String::with_capacity(math.len() + 64);
    let mut rest = math;
    loop {
        let next = SIGNS
            .iter()
            .filter_map(|s| rest.find(s).map(|i| (i, *s)))
            .min_by_key(|&(i, _)| i);
        let Some((i, sign)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        if unary_sign_context(&out) {
            out.push_str(&sign.replacen("<mo>", "<mo form=\"prefix\">", 1));
        } else {
            out.push_str(sign);
        }
        rest = &rest[i + sign.len()..];
    }
}

/// Whether a sign after `before` (the MathML so far) is unary: it follows an opening tag
/// (first child) or an operator other than a closing bracket or a postfix one.
fn unary_sign_context(before: &str) -> bool {
    let Some(b) = before.strip_suffix("</mo>") else {
        // After a tag: an opening tag means the sign is the first child.
        return before.ends_with('>')
            && before
                .rfind('<')
                .is_some_and(|k| !before[k..].starts_with("</"));
    };
    let content = b.rfind('>').map_or("", |k| &b[k + 1..]);
    !matches!(
        content,
        ")" | "]" | "}" | "|" | "‖" | "⟩" | "!" | "′" | "&#41;" | "&#93;" | "&#125;" | "&#124;"
    )
}

const APPLY: &str = "<mo>\u{2061}</mo>";
const APPLY_SPACED: &str = "<mo rspace=\"0.1667em\">\u{2061}</mo>";

const THIN_SPACE: &str = "<mspace width=\"0.1667em\"></mspace>";

/// TeX's spacing around operator names such as `\log`, which MathML Core leaves out.
///
/// KaTeX writes `\log p` as `<mi>log</mi><mo>U+2061</mo><mi>p</mi>`; MathML Core spaces the
/// invisible function-application operator U+2061 by 0 and puts no space around an `<mi>`,
/// so `p(x)\log q` would render as `p(x)logq`. TeX puts a thin space on each side of the
/// name, except after an operator or an opening bracket and before an operator or a
/// bracket (`\log(p)`, `-\log p`). This restores the right-hand space with `rspace` on
/// U+2061 and the left-hand one with an `<mspace>` before the name.
fn space_function_application(math: &str) -> String {
    let mut out = String::with_capacity(math.len() + 64);
    let mut rest = math;
    while let Some(i) = rest.find(APPLY) {
        let before = &rest[..i];
        rest = &rest[i + APPLY.len()..];
        // `<mi>name</mi>` just before U+2061: maybe a thin space in front of it.
        match operator_name_start(before) {
            Some(m) if needs_space_after(&format!("{out}{}", &before[..m])) => {
                out.push_str(&before[..m]);
                out.push_str(THIN_SPACE);
                out.push_str(&before[m..]);
            }
            _ => out.push_str(before),
        }
        let next_is_operator = rest.starts_with("<mo") || rest.starts_with("</");
        out.push_str(if next_is_operator {
            APPLY
        } else {
            APPLY_SPACED
        });
        // `\max_\theta L`: the name ends the base of a script element; the space goes
        // after the whole element.
        if let Some(k) = end_of_scripted_base(rest) {
            out.push_str(&rest[..k]);
            if !rest[k..].starts_with("<mo") && !rest[k..].starts_with("</") {
                out.push_str(THIN_SPACE);
            }
            rest = &rest[k..];
        }
    }
    out.push_str(rest);
    out
}

/// If `rest` closes the base row of a script element (`</mrow>` then the scripts, then
/// `</msub>`, `</munder>`, …), the length of that stretch.
fn end_of_scripted_base(rest: &str) -> Option<usize> {
    let mut k = rest.strip_prefix("</mrow>").map(|_| "</mrow>".len())?;
    while !rest[k..].starts_with("</") {
        k += element_len(&rest[k..])?;
    }
    [
        "</msub>",
        "</msup>",
        "</msubsup>",
        "</munder>",
        "</mover>",
        "</munderover>",
    ]
    .iter()
    .find(|close| rest[k..].starts_with(*close))
    .map(|close| k + close.len())
}

/// Length of the complete element (`<x …>…</x>` or `<x …/>`) at the start of `s`.
fn element_len(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        let lt = i + s[i..].find('<')?;
        if depth == 0 && lt != i {
            return None; // text, not an element
        }
        let gt = lt + s[lt..].find('>')? + 1;
        let tag = &s[lt..gt];
        if tag.starts_with("</") {
            depth = depth.checked_sub(1)?;
        } else if !tag.ends_with("/>") {
            depth += 1;
        }
        i = gt;
        if depth == 0 {
            return Some(i);
        }
    }
}

/// Where the `<mi …>name</mi>` that `math` ends with starts, if it ends with one.
fn operator_name_start(math: &str) -> Option<usize> {
    let body = math.strip_suffix("</mi>")?;
    let open_end = body.rfind('>')?;
    let open_start = body[..open_end].rfind('<')?;
    let tag = &body[open_start..=open_end];
    let is_mi = tag == "<mi>" || tag.starts_with("<mi ");
    (is_mi && !body[open_end + 1..].contains('<')).then_some(open_start)
}

/// Whether TeX puts a thin space between what `math` (already escaped) ends with and an
/// operator name: after an ordinary element or a closing bracket, not after another
/// operator, an opening bracket, or the start of a row.
fn needs_space_after(math: &str) -> bool {
    if let Some(body) = math.strip_suffix("</mo>") {
        let op = body.rfind('>').map_or("", |o| &body[o + 1..]);
        // `)`, `]`, `}`, `|` as escaped by `escape_math_text`, and ‖ ⟩ as they are.
        return ["&#41;", "&#93;", "&#125;", "&#124;", "\u{2225}", "\u{27e9}"].contains(&op);
    }
    // After a start tag (`<mrow>`, `<semantics>`) the name opens its row.
    math.rfind('<').is_none_or(|i| math[i..].starts_with("</"))
}

/// Refuse math delimiters left in `content` after KaTeX.
fn check_rendered(content: &str) -> Result<()> {
    let block = Delimiter::same("$$".into());
    let inline = Delimiter::same("$".into());
    let mut begin = 0;
    for event in Scan::new(content, &block, &inline) {
        match event {
            ScanEvent::Begin(b) => begin = b,
            ScanEvent::InlineEnd(end) | ScanEvent::BlockEnd(end) => {
                let tex: String = content[begin..end].chars().take(80).collect();
                return Err(book_err(format!(
                    "KaTeX left this formula unrendered (a TeX error?): `{tex}`"
                )));
            }
            ScanEvent::TextEnd(_) => {}
        }
    }
    Ok(())
}

/// Rewrite one `<math …>…</math>` element (tags and text) into `out`.
fn fix_math_element(math: &str, out: &mut String) -> Result<()> {
    // The mathvariant in force for each open element (inherited from the parent).
    let mut variants: Vec<Option<&str>> = Vec::new();
    let mut rest = math;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest
                .find('>')
                .ok_or_else(|| book_err("a MathML tag is not closed"))?;
            let tag = &rest[..=end];
            rest = &rest[end + 1..];
            if tag.starts_with("</") {
                variants.pop();
                out.push_str(tag);
                continue;
            }
            let self_closing = tag.ends_with("/>");
            let own = attribute(tag, "mathvariant");
            let inherited = variants.last().copied().flatten();
            let variant = match own {
                Some("normal") => None,
                Some(v) => {
                    if !VARIANTS.iter().any(|(name, _)| *name == v) {
                        return Err(book_err(format!(
                            "mathvariant=\"{v}\" does not display in Chromium and has no \
                             Unicode mapping here; write the symbol as a Unicode character"
                        )));
                    }
                    Some(v)
                }
                None => inherited,
            };
            match own {
                Some(v) if v != "normal" => out.push_str(&remove_attribute(tag, "mathvariant")),
                _ => out.push_str(tag),
            }
            if !self_closing {
                variants.push(variant);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            let text = if in_accent(out) {
                std::borrow::Cow::Owned(
                    text.chars()
                        .map(|c| ACCENTS.iter().find(|(k, _)| *k == c).map_or(c, |&(_, v)| v))
                        .collect::<String>(),
                )
            } else {
                std::borrow::Cow::Borrowed(text)
            };
            escape_math_text(&text, variants.last().copied().flatten(), out)?;
            rest = &rest[end..];
        }
    }
    Ok(())
}

/// Whether text that follows `math` (written so far) is the accent of an accent element: the
/// `<mo>` right after the base of `<mover accent="true">` (KaTeX's `\bar`, `\hat`, …).
fn in_accent(math: &str) -> bool {
    let Some(head) = math.strip_suffix("<mo>") else {
        return false;
    };
    let Some(open) = head.rfind("<mover accent=\"true\">") else {
        return false;
    };
    // The base is the one complete element between the opening tag and this <mo>.
    let base = &head[open + "<mover accent=\"true\">".len()..];
    element_len(base) == Some(base.len())
}

/// The value of `name="…"` in an opening tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn remove_attribute(tag: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    match tag.find(&key) {
        Some(start) => {
            let value_start = start + key.len();
            match tag[value_start..].find('"') {
                Some(len) => format!("{}{}", &tag[..start], &tag[value_start + len + 1..]),
                None => tag.to_owned(),
            }
        }
        None => tag.to_owned(),
    }
}

/// Text of a MathML element: entity references are copied as they are, ASCII punctuation
/// becomes `&#N;`, and letters and digits are mapped to `variant`'s Unicode symbols.
fn escape_math_text(text: &str, variant: Option<&str>, out: &mut String) -> Result<()> {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let entity_len = (c == '&')
            .then(|| text[i..].find(';'))
            .flatten()
            .filter(|&l| {
                text[i + 1..i + l]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '#')
            });
        if let Some(len) = entity_len {
            out.push_str(&text[i..=i + len]);
            while chars.peek().is_some_and(|&(j, _)| j <= i + len) {
                chars.next();
            }
            continue;
        }
        if c.is_ascii_punctuation() {
            let _ = write!(out, "&#{};", u32::from(c));
            continue;
        }
        match variant {
            Some(v) if !c.is_whitespace() => {
                out.push(map_variant(v, c).ok_or_else(|| {
                    book_err(format!(
                        "no Unicode {v} form of {c:?} here; write the symbol as a Unicode \
                         character instead of using a math-alphabet macro"
                    ))
                })?);
            }
            _ => out.push(c),
        }
    }
    Ok(())
}

/// Code points of `A`, `a` and `0` in one style of the Mathematical Alphanumeric Symbols
/// block (`None`: the style has no digits).
type Alphabet = (u32, u32, Option<u32>);

/// The styles [`fix_mathml`] maps, by `mathvariant` name.
const VARIANTS: [(&str, Alphabet); 11] = [
    ("bold", (0x1D400, 0x1D41A, Some(0x1D7CE))),
    ("italic", (0x1D434, 0x1D44E, None)),
    ("bold-italic", (0x1D468, 0x1D482, None)),
    ("script", (0x1D49C, 0x1D4B6, None)),
    ("bold-script", (0x1D4D0, 0x1D4EA, None)),
    ("fraktur", (0x1D504, 0x1D51E, None)),
    ("double-struck", (0x1D538, 0x1D552, Some(0x1D7D8))),
    ("bold-fraktur", (0x1D56C, 0x1D586, None)),
    ("sans-serif", (0x1D5A0, 0x1D5BA, Some(0x1D7E2))),
    ("bold-sans-serif", (0x1D5D4, 0x1D5EE, Some(0x1D7EC))),
    ("monospace", (0x1D670, 0x1D68A, Some(0x1D7F6))),
];

/// Letters that Unicode encodes in the Letterlike Symbols block, leaving holes in the
/// Mathematical Alphanumeric Symbols block.
const HOLES: [(&str, char, char); 24] = [
    ("italic", 'h', 'ℎ'),
    ("script", 'B', 'ℬ'),
    ("script", 'E', 'ℰ'),
    ("script", 'F', 'ℱ'),
    ("script", 'H', 'ℋ'),
    ("script", 'I', 'ℐ'),
    ("script", 'L', 'ℒ'),
    ("script", 'M', 'ℳ'),
    ("script", 'R', 'ℛ'),
    ("script", 'e', 'ℯ'),
    ("script", 'g', 'ℊ'),
    ("script", 'o', 'ℴ'),
    ("fraktur", 'C', 'ℭ'),
    ("fraktur", 'H', 'ℌ'),
    ("fraktur", 'I', 'ℑ'),
    ("fraktur", 'R', 'ℜ'),
    ("fraktur", 'Z', 'ℨ'),
    ("double-struck", 'C', 'ℂ'),
    ("double-struck", 'H', 'ℍ'),
    ("double-struck", 'N', 'ℕ'),
    ("double-struck", 'P', 'ℙ'),
    ("double-struck", 'Q', 'ℚ'),
    ("double-struck", 'R', 'ℝ'),
    ("double-struck", 'Z', 'ℤ'),
];

/// The Unicode mathematical alphanumeric symbol for `c` in `variant`, if there is one.
fn map_variant(variant: &str, c: char) -> Option<char> {
    if let Some(&(_, _, mapped)) = HOLES
        .iter()
        .find(|(v, from, _)| *v == variant && *from == c)
    {
        return Some(mapped);
    }
    let &(_, (upper, lower, digit)) = VARIANTS.iter().find(|(v, _)| *v == variant)?;
    let code = match c {
        'A'..='Z' => upper + (c as u32 - 'A' as u32),
        'a'..='z' => lower + (c as u32 - 'a' as u32),
        '0'..='9' => digit? + (c as u32 - '0' as u32),
        _ => return None,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unary_signs_get_the_prefix_form_and_binary_ones_do_not() {
        let m = "<math><mrow><mo>\u{2212}</mo><mi>x</mi><mo>=</mo><mo>\u{2212}</mo><mn>1</mn><mo>\u{2212}</mo><mo stretchy=\"false\">(</mo><mo>+</mo><mn>2</mn><mo separator=\"true\">,</mo><mo>\u{2212}</mo><mn>3</mn><mo stretchy=\"false\">)</mo><mo>\u{2212}</mo><msub><mi>z</mi><mi>k</mi></msub><mo>+</mo><mi>y</mi></mrow></math>";
        let f = mark_prefix_signs(m);
        let prefix = "<mo form=\"prefix\">";
        // −x, = −1, ( +2, , −3 are unary; 1 − (, ) − z and z + y are binary.
        assert_eq!(f.matches(prefix).count(), 4, "{f}");
        assert!(
            f.starts_with(&format!("<math><mrow>{prefix}\u{2212}</mo><mi>x</mi>")),
            "{f}"
        );
        assert!(f.contains("<mn>1</mn><mo>\u{2212}</mo><mo stretchy"), "{f}");
        assert!(f.contains(")</mo><mo>\u{2212}</mo><msub>"), "{f}");
        assert!(f.contains("</msub><mo>+</mo><mi>y</mi>"), "{f}");
    }

    #[test]
    fn annotation_text_is_escaped() {
        let s = "x <math xmlns=\"http://www.w3.org/1998/Math/MathML\"><semantics><msub><mi>q</mi><mi>j</mi></msub><annotation encoding=\"application/x-tex\">q_j * p_i &lt; 1</annotation></semantics></math> y_z";
        let f = fix_mathml(s).unwrap();
        assert!(f.contains("q&#95;j &#42; p&#95;i &lt; 1"), "{f}");
        assert!(f.ends_with(" y_z"), "text outside math untouched: {f}");
        assert!(f.contains("<annotation encoding=\"application/x-tex\">"));
    }

    #[test]
    fn operator_names_get_a_thin_space() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi>log</mi><mo>\u{2061}</mo><mi>p</mi><mi>log</mi><mo>\u{2061}</mo><mo stretchy=\"false\">(</mo></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<mi>log</mi><mo rspace=\"0.1667em\">\u{2061}</mo><mi>p</mi>"),
            "{f}"
        );
        assert!(
            f.contains("<mi>log</mi><mo>\u{2061}</mo><mo stretchy=\"false\">"),
            "{f}"
        );
        // Thin space before the name after an ordinary element or a closing bracket ...
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>p</mi><mo>)</mo><mi>log</mi><mo>\u{2061}</mo><mi>q</mi><mi>x</mi><mi>log</mi><mo>\u{2061}</mo><mi>q</mi></mrow></math>";
        let f = fix_mathml(s).unwrap();
        let spaced = "<mspace width=\"0.1667em\"></mspace><mi>log</mi>";
        assert!(f.contains(&format!("<mo>&#41;</mo>{spaced}")), "{f}");
        assert!(f.contains(&format!("<mi>x</mi>{spaced}")), "{f}");
        // The name is the element right before U+2061, attributes and all.
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><msub><mi>q</mi><mi>i</mi></msub><mo>=</mo><mi mathvariant=\"normal\">softmax</mi><mo>\u{2061}</mo><mo>(</mo><mi>z</mi><mo>)</mo><mi mathvariant=\"normal\">softmax</mi><mo>\u{2061}</mo><mi>z</mi></mrow></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<msub><mi>q</mi><mi>i</mi></msub><mo>&#61;</mo><mi mathvariant"),
            "{f}"
        );
        assert!(f.contains("<mo>&#41;</mo><mspace width=\"0.1667em\"></mspace><mi mathvariant=\"normal\">softmax"), "{f}");
        // ... but not after an operator, nor at the start of a row, nor at the end.
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>log</mi><mo>\u{2061}</mo></mrow><mo>−</mo><mi>log</mi><mo>\u{2061}</mo><mi>p</mi><mo>(</mo><mi>log</mi><mo>\u{2061}</mo></math>";
        let f = fix_mathml(s).unwrap();
        assert!(!f.contains("mspace"), "{f}");
        assert!(
            f.contains("<mrow><mi>log</mi><mo>\u{2061}</mo></mrow>"),
            "{f}"
        );
    }

    #[test]
    fn scripted_operator_names_get_a_thin_space_after_the_scripts() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>arg</mi><mo>\u{2061}</mo><msub><mrow><mi>max</mi><mo>\u{2061}</mo></mrow><mrow><mi>θ</mi><mn>1</mn></mrow></msub><mi>L</mi><msub><mrow><mi>min</mi><mo>\u{2061}</mo></mrow><mi>k</mi></msub><mo>(</mo></mrow></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<mn>1</mn></mrow></msub><mspace width=\"0.1667em\"></mspace><mi>L</mi>"),
            "{f}"
        );
        assert!(f.contains("<mi>k</mi></msub><mo>&#40;"), "{f}");
        assert_eq!(element_len("<a><b>x</b></a>tail"), Some(15));
        assert_eq!(element_len("<c/>tail"), Some(4));
        assert_eq!(element_len("text<a/>"), None);
        assert_eq!(element_len("<a><b>"), None);
    }

    #[test]
    fn variants_map_to_unicode() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"double-struck\">R</mi><mi mathvariant=\"bold\">x</mi><mrow><mi mathvariant=\"script\">L</mi></mrow><mi mathvariant=\"normal\">Γ</mi></math>";
        let f = fix_mathml(s).unwrap();
        assert!(f.contains("<mi>ℝ</mi><mi>𝐱</mi>"), "{f}");
        assert!(f.contains("<mi>ℒ</mi>"), "{f}");
        assert!(f.contains("<mi mathvariant=\"normal\">Γ</mi>"), "{f}");
        assert_eq!(map_variant("double-struck", '1'), Some('𝟙'));
        assert_eq!(map_variant("script", 'C'), Some('𝒞'));
        assert_eq!(map_variant("italic", 'h'), Some('ℎ'));
    }

    #[test]
    fn unmappable_variant_fails() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"double-struck\">α</mi></math>";
        assert!(matches!(fix_mathml(s), Err(Error::Book(_))));
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"tailed\">a</mi></math>";
        assert!(matches!(fix_mathml(s), Err(Error::Book(_))));
    }

    #[test]
    fn katex_accents_use_characters_the_math_font_has() {
        let s = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><msub><mover accent=\"true\"><mi>z</mi><mo>\u{02C9}</mo></mover><mi>i</mi></msub><mover accent=\"true\"><mrow><mi>x</mi><mi>y</mi></mrow><mo>\u{02CA}</mo></mover><mover accent=\"true\"><mi>p</mi><mo>^</mo></mover><mo>\u{02C9}</mo></math>";
        let f = fix_mathml(s).unwrap();
        assert!(
            f.contains("<mover accent=\"true\"><mi>z</mi><mo>\u{00AF}</mo></mover>"),
            "{f}"
        );
        assert!(f.contains("</mrow><mo>\u{00B4}</mo></mover>"), "{f}");
        // ^ is in the font (and escaped as ASCII punctuation); outside an accent nothing moves.
        assert!(f.contains("<mi>p</mi><mo>&#94;</mo></mover>"), "{f}");
        assert!(f.ends_with("<mo>\u{02C9}</mo></math>"), "{f}");
    }

    fn inline(tex: &str) -> String {
        format!(
            "<span class=\"katex\"><math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi>{tex}</mi></math></span>"
        )
    }

    #[test]
    fn punctuation_is_glued_to_inline_math() {
        let m = |t: &str| {
            format!("<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi>{t}</mi></math>")
        };
        let (x, y) = (inline("x"), inline("y"));
        let page = format!("设{x}，令（{y}）。又 {x} 与 ({y}), 和 [{x}](#a) 以及 {y}'s end");
        let f = glue_punctuation(&page);
        let g = GLUE_OPEN;
        let k = KATEX_INLINE;
        let (mx, my) = (m("x"), m("y"));
        assert_eq!(
            f,
            format!(
                "设{k}{g}{mx}，</span></span>令{k}{g}（{my}）。</span></span>又 {x} 与 \
                 {k}{g}({my}),</span></span> 和 [{x}](#a) 以及 {k}{g}{my}'</span></span>s end"
            )
        );
        // Display math stays a block of its own.
        let display = "<p><span class=\"katex\"><math xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\"><mi>x</mi></math></span>。</p>";
        assert_eq!(glue_punctuation(display), display);
        // A formula in pieces: only the outer pieces are glued, so it can still break inside.
        let pieces = format!("（{k}{mx}{my}{}</span>）", m("z"));
        assert_eq!(
            glue_punctuation(&pieces),
            format!("{k}{g}（{mx}</span>{my}{g}{}）</span></span>", m("z"))
        );
        let one_side = format!("{k}{mx}{my}</span>。");
        assert_eq!(
            glue_punctuation(&one_side),
            format!("{k}{mx}{g}{my}。</span></span>")
        );
        // fix_mathml applies it.
        let f = fix_mathml(&format!("{x}，")).unwrap();
        assert!(f.starts_with(&format!("{k}{g}")), "{f}");
        assert!(f.ends_with("，</span></span>"), "{f}");
    }

    #[test]
    fn inline_math_is_cut_after_top_level_relations() {
        let tex = "<annotation encoding=\"application/x-tex\">f(a = b) = c \\le d</annotation>";
        let s = format!(
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><semantics><mrow><mi>f</mi><mo stretchy=\"false\">(</mo><mi>a</mi><mo>=</mo><mi>b</mi><mo stretchy=\"false\">)</mo><mo>=</mo><mi>c</mi><mo>≤</mo><mi>d</mi></mrow>{tex}</semantics></math>"
        );
        let f = fix_mathml(&s).unwrap();
        let open = "<math xmlns=\"http://www.w3.org/1998/Math/MathML\">";
        // Three pieces: the `=` inside the brackets does not cut.
        assert_eq!(f.matches(open).count(), 3, "{f}");
        assert!(
            f.starts_with(&format!(
                "{open}<semantics><mrow><mi>f</mi><mo stretchy=\"false\">&#40;</mo><mi>a</mi><mo>&#61;</mo>"
            )),
            "{f}"
        );
        assert!(
            f.contains("<mo form=\"infix\">&#61;</mo></mrow><annotation"),
            "{f}"
        );
        assert!(
            f.contains(&format!(
                "</math>{open}<mrow><mi>c</mi><mo form=\"infix\">≤</mo></mrow></math>{open}<mrow><mi>d</mi></mrow></math>"
            )),
            "{f}"
        );
        // A relation at the end, display math, and a formula without relation stay whole.
        for whole in [
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><semantics><mrow><mi>x</mi><mo>=</mo></mrow><annotation encoding=\"application/x-tex\">x=</annotation></semantics></math>",
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\"><semantics><mrow><mi>x</mi><mo>=</mo><mi>y</mi></mrow><annotation encoding=\"application/x-tex\">x=y</annotation></semantics></math>",
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><semantics><mrow><mi>x</mi><mo>+</mo><mi>y</mi></mrow><annotation encoding=\"application/x-tex\">x+y</annotation></semantics></math>",
        ] {
            let f = fix_mathml(whole).unwrap();
            assert_eq!(f.matches("<math").count(), 1, "{f}");
        }
    }

    #[test]
    fn leftover_tex_fails() {
        assert!(fix_mathml("text $\\frac{1$ more").is_err());
        assert!(fix_mathml("a\n$$\nx^\n$$\n").is_err());
        assert!(fix_mathml("code `$x$` is fine").is_ok());
        assert!(fix_mathml("<span class=\"katex-html\">").is_err());
    }
}
