//! The bigram model on held-out text (section "On text the model has not seen" of
//! `book/{en,zh}/src/bigram.md`, listing `book/listings/bigram.rs`): Tiny Shakespeare cut as
//! nanoGPT cuts it, the counting MLE's infinite validation cross-entropy, add-k smoothing (MAP
//! with a Dirichlet prior) and an L2 penalty on the logits (MAP with a Gaussian prior).
//!
//! The n-gram numbers come from the committed record `book/data/ngram-baselines.json`
//! ([`crate::ngram::read_record`]); the L2 models are fitted here, row by row, by Newton's
//! method (cheap: V = 65).

use std::fmt::Write as _;

use nalgebra::{DMatrix, DVector};

use ce_mle::lm::{Bigram, BigramCounts, CharSplit, split_point};

use super::{Anchored, Outputs, book_err, fixed6, pct};
use crate::error::Result;
use crate::ngram::{CORPORA, book_path, read_record};

/// The L2 strengths λ tried (penalty `λ ‖Z‖²` added to the mean training cross-entropy).
pub const L2_LAMBDAS: [f64; 6] = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3];

/// Newton's method stops when every component of a row's scaled gradient is below this.
pub const NEWTON_TOLERANCE: f64 = 1e-7;

/// The Tiny Shakespeare split of the chapter (nanoGPT's: first 90 % train, rest validation).
///
/// # Errors
/// As [`ce_mle::corpus::load_corpus`] and [`CharSplit::nanogpt`].
pub fn shakespeare_split() -> Result<CharSplit> {
    let text = ce_mle::corpus::load_corpus(&book_path(CORPORA[0].1))?;
    Ok(CharSplit::nanogpt(&text)?)
}

/// Bigram counts of token ids over the split's vocabulary.
///
/// # Errors
/// As [`CharSplit::decode`] and [`BigramCounts::from_text`].
pub fn counts_of(split: &CharSplit, ids: &[u32]) -> Result<BigramCounts> {
    Ok(BigramCounts::from_text(
        &split.decode(ids)?,
        split.vocab().clone(),
    )?)
}

/// The bigram logits `Z` (V × V, row = context) minimising
/// `J(Z) = CE_train(Z) + λ ‖Z‖²_F`, where `CE_train` is the mean cross-entropy per bigram of
/// the counted text. Rows are independent: row `a` minimises
/// `(n(a)/M) (lse(z) − Σ_b p̂(b|a) z_b) + λ ‖z‖²`; after dividing by `n(a)/M` this is
/// `lse(z) − p̂·z + μ ‖z‖²` with `μ = λ M / n(a)`, strictly convex, with gradient
/// `softmax(z) − p̂ + 2μz` and Hessian `diag(q) − q qᵀ + 2μ I` (solved by Sherman–Morrison).
/// Newton steps with a
/// backtracking line search from `z = 0`; a context never seen (`n(a) = 0`) keeps `z = 0`.
///
/// It is MAP estimation: `M · J` is the negative log-likelihood of the `M` bigrams plus
/// `Mλ ‖Z‖²`, the negative log-density of independent Gaussian priors `N(0, 1/(2Mλ))` on the
/// logits (up to a constant).
///
/// # Errors
/// [`crate::Error::Book`] if λ ≤ 0 or Newton's method fails to converge in 100 steps per row
/// (gradient above [`NEWTON_TOLERANCE`], or above 1e-6 once the line search finds no decrease).
pub fn l2_logits(counts: &BigramCounts, lambda: f64) -> Result<DMatrix<f64>> {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return Err(book_err(format!("λ must be > 0, got {lambda}")));
    }
    let v = counts.vocab().len();
    let m = counts.bigrams() as f64;
    let mut z_all = DMatrix::zeros(v, v);
    for a in 0..v {
        let n = counts.context_count(a).unwrap_or(0);
        if n == 0 {
            continue;
        }
        let row = counts
            .row(a)
            .ok_or_else(|| book_err("a count row is missing"))?;
        let p_hat = DVector::from_iterator(v, row.iter().map(|&k| k as f64 / n as f64));
        let mu = lambda * m / n as f64;
        let objective = |z: &DVector<f64>| -> f64 {
            let top = z.max();
            let lse = top + z.iter().map(|&x| (x - top).exp()).sum::<f64>().ln();
            lse - p_hat.dot(z) + mu * z.norm_squared()
        };
        let mut z: DVector<f64> = DVector::zeros(v);
        let mut done = false;
        let mut last = (0, 0.0, 0.0);
        for it in 0..100 {
            let top = z.max();
            let e = z.map(|x: f64| (x - top).exp());
            let q = &e / e.sum();
            let g = &q - &p_hat + &z * (2.0 * mu);
            last = (it, g.amax(), mu);
            if g.amax() < NEWTON_TOLERANCE {
                done = true;
                break;
            }
            // The Hessian is diagonal minus rank one, D − q qᵀ with D = diag(q) + 2μ I:
            // Sherman–Morrison solves it in O(V), with the denominator
            // 1 − qᵀD⁻¹q = Σ q − Σ q²/(q + 2μ) = 2μ Σ q/(q + 2μ) > 0 written without the
            // cancellation of the first form (Σ q = 1).
            let d_inv = q.map(|x| 1.0 / (x + 2.0 * mu));
            let dg = g.component_mul(&d_inv);
            let dq = q.component_mul(&d_inv);
            let denominator = 2.0 * mu * dq.sum();
            let step = &dg + &dq * (q.dot(&dg) / denominator);
            let (f0, slope) = (objective(&z), g.dot(&step));
            let mut t = 1.0;
            while objective(&(&z - &step * t)) > f0 - 0.25 * t * slope && t > 1e-12 {
                t *= 0.5;
            }
            if t <= 1e-12 {
                // No representable decrease left: converged to f64 precision, if the
                // gradient is small.
                done = g.amax() < 1e-6;
                break;
            }
            z -= step * t;
        }
        if !done {
            return Err(book_err(format!(
                "Newton did not converge on row {a} (step, |gradient|, μ: {last:?})"
            )));
        }
        z_all.set_row(a, &z.transpose());
    }
    Ok(z_all)
}

/// `(λ, CE on the held-out end of the training text, CE on the validation text)` for each λ
/// of [`L2_LAMBDAS`]: fitted on the first 90 % of the training text for the choice, on all of
/// it for the validation figure.
fn l2_sweep(split: &CharSplit) -> Result<Vec<(f64, f64, f64)>> {
    let train = split.train();
    let cut = split_point(train.len(), 0.9);
    let fit = counts_of(split, &train[..cut])?;
    let heldout = counts_of(split, &train[cut..])?;
    let full = counts_of(split, train)?;
    let val = counts_of(split, split.val())?;
    let vocab = split.vocab().clone();
    L2_LAMBDAS
        .iter()
        .map(|&lambda| {
            let choose = Bigram::from_logits(vocab.clone(), &l2_logits(&fit, lambda)?)?;
            let model = Bigram::from_logits(vocab.clone(), &l2_logits(&full, lambda)?)?;
            Ok((
                lambda,
                choose.cross_entropy_counts(&heldout)?,
                model.cross_entropy_counts(&val)?,
            ))
        })
        .collect()
}

fn sci(x: f64) -> String {
    super::prose_number(&format!("{x:e}"))
}

fn heldout_values() -> Result<(String, Vec<String>)> {
    let record = read_record()?;
    let mut a = Anchored::default();
    let corpus = |name: &str| {
        record
            .corpora
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| book_err(format!("no corpus {name} in the n-gram record")))
    };
    let shakespeare = corpus(CORPORA[0].0)?;
    let b = &shakespeare.baselines;
    a.put("train_chars", b.train_chars);
    a.put("val_chars", b.val_chars);
    a.put("vocab", b.vocab_size);
    a.put("unseen", b.bigram_mle.unseen);
    a.put("uniform", fixed6(b.uniform));
    a.put("add_one", fixed6(b.bigram_add_one));
    a.put("add_k_k", fixed6(b.bigram_add_k.k));
    a.put("add_k", fixed6(b.bigram_add_k.cross_entropy));
    let kn2 = b
        .orders
        .iter()
        .find(|o| o.n == 2)
        .ok_or_else(|| book_err("no order 2 in the record"))?;
    a.put("kn2", fixed6(kn2.kneser_ney));
    a.put("distinct2", kn2.distinct);
    a.put(
        "distinct2_pct",
        pct(kn2.distinct as f64 / (b.vocab_size * b.vocab_size) as f64),
    );
    let tang = corpus(CORPORA[1].0)?;
    let t = &tang.baselines;
    a.put("tang_unseen", t.bigram_mle.unseen);
    a.put("tang_vocab", t.vocab_size);
    a.put("tang_add_one", fixed6(t.bigram_add_one));
    a.put("tang_add_k_k", fixed6(t.bigram_add_k.k));
    a.put("tang_add_k", fixed6(t.bigram_add_k.cross_entropy));
    a.put("command", crate::ngram::COMMAND);

    // Recomputed here: the same split, the counting model and the L2 models.
    let split = shakespeare_split()?;
    let train = counts_of(&split, split.train())?;
    let val = counts_of(&split, split.val())?;
    let mle = Bigram::counting(&train);
    let mle_train = mle.cross_entropy_counts(&train)?;
    let mle_val = mle.cross_entropy_counts(&val)?;
    if mle_val.is_finite() {
        return Err(book_err(
            "the counting MLE was expected to be infinite on validation",
        ));
    }
    a.put("mle_train", fixed6(mle_train));
    a.put("mle_val", super::prose_number(&format!("{mle_val}")));
    let sweep = l2_sweep(&split)?;
    let (best, _) =
        sweep.iter().enumerate().fold(
            (0, f64::INFINITY),
            |b, (i, r)| if r.1 < b.1 { (i, r.1) } else { b },
        );
    let (lambda, _, l2_val) = sweep[best];
    let model = Bigram::from_logits(split.vocab().clone(), &l2_logits(&train, lambda)?)?;
    a.put("l2_lambda", sci(lambda));
    a.put("l2_val", fixed6(l2_val));
    a.put("l2_train", fixed6(model.cross_entropy_counts(&train)?));
    a.put(
        "l2_prior_sd",
        format!(
            "{:.1}",
            (1.0 / (2.0 * train.bigrams() as f64 * lambda)).sqrt()
        ),
    );
    a.put("m", train.bigrams());
    let mut tables = Vec::new();
    for lang in [0, 1] {
        let mut s = String::new();
        let head = [
            "| λ | CE, held-out end of the training text | CE, validation text |",
            "| λ | 交叉熵（训练文本末尾留出的部分） | 交叉熵（验证文本） |",
        ][lang];
        let _ = writeln!(s, "{head}\n|---|---|---|");
        for (i, &(l, h, v)) in sweep.iter().enumerate() {
            let mark = if i == best {
                [" (chosen)", "（选中）"][lang]
            } else {
                ""
            };
            let _ = writeln!(s, "| {}{mark} | {} | {} |", sci(l), fixed6(h), fixed6(v));
        }
        tables.push(s);
    }
    Ok((a.0, tables))
}

/// Characters of the count heatmap: the most frequent of the training text.
pub const HEATMAP_CHARS: usize = 30;

/// A label for a character in a figure: space and newline made visible.
fn visible(c: char) -> String {
    match c {
        ' ' => "␣".into(),
        '\n' => "↵".into(),
        c => c.to_string(),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Heatmap of the bigram counts `n(a, b)` of the Tiny Shakespeare training text among its
/// [`HEATMAP_CHARS`] most frequent characters (row = current character `a`, column = next
/// character `b`), drawn as SVG by hand: a cell's shade grows with `log(1 + n)` in nine steps
/// of ColorBrewer's single-hue "Blues" (readable by every common colour-vision deficiency,
/// and in grey), an empty cell (`n = 0`, a pair the text never shows) is white with a cross.
/// Transparent background, deterministic bytes.
fn heatmap_figure(lang: &str) -> Result<String> {
    super::check_lang(lang)?;
    let zh = lang == "zh";
    let split = shakespeare_split()?;
    let text = split.decode(split.train())?;
    let vocab = ce_mle::lm::Vocab::from_text(&text, HEATMAP_CHARS + 1)?;
    let counts = BigramCounts::from_text(&text, vocab.clone())?;
    let chars: Vec<(usize, char)> = (0..vocab.len())
        .filter(|&i| Some(i) != vocab.unknown_id())
        .filter_map(|i| {
            vocab
                .label(i)
                .and_then(|l| l.chars().next())
                .map(|c| (i, c))
        })
        .collect();
    const BLUES: [&str; 9] = [
        "#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
        "#08306b",
    ];
    let n = chars.len();
    let (cell, left, top) = (20.0, 40.0, 70.0);
    let size = left + cell * n as f64 + 20.0;
    let height = top + cell * n as f64 + 60.0;
    let max = chars
        .iter()
        .flat_map(|&(a, _)| chars.iter().map(move |&(b, _)| (a, b)))
        .map(|(a, b)| counts.count(a, b).unwrap_or(0))
        .max()
        .unwrap_or(1) as f64;
    let mut svg = String::new();
    let lang_attr = if zh { r#" xml:lang="zh-Hans""# } else { "" };
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg"{lang_attr} width="{size}" height="{height}" viewBox="0 0 {size} {height}" font-family="sans-serif">"#
    );
    let title = if zh {
        "Tiny Shakespeare 训练文本的字符对计数（前 30 个字符）"
    } else {
        "Pair counts of the Tiny Shakespeare training text (top 30 characters)"
    };
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>"#,
        size / 2.0,
        xml_escape(title)
    );
    let axes = if zh {
        "行：当前字符 a　列：下一个字符 b"
    } else {
        "row: current character a   column: next character b"
    };
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="42" font-size="12" text-anchor="middle">{}</text>"#,
        size / 2.0,
        xml_escape(axes)
    );
    for (j, &(_, c)) in chars.iter().enumerate() {
        let x = left + cell * (j as f64 + 0.5);
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
            top - 6.0,
            xml_escape(&visible(c))
        );
        let y = top + cell * (j as f64 + 0.5) + 4.0;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{y}" font-size="12" text-anchor="middle">{}</text>"#,
            left - 12.0,
            xml_escape(&visible(c))
        );
    }
    let mut empty = 0;
    for (i, &(a, _)) in chars.iter().enumerate() {
        for (j, &(b, _)) in chars.iter().enumerate() {
            let k = counts.count(a, b).unwrap_or(0);
            let (x, y) = (left + cell * j as f64, top + cell * i as f64);
            if k == 0 {
                empty += 1;
                let _ = writeln!(
                    svg,
                    r##"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="#ffffff" stroke="#cccccc" stroke-width="0.5"/><path d="M{},{}L{},{}M{},{}L{},{}" stroke="#999999" stroke-width="0.8"/>"##,
                    x + 5.0,
                    y + 5.0,
                    x + cell - 5.0,
                    y + cell - 5.0,
                    x + 5.0,
                    y + cell - 5.0,
                    x + cell - 5.0,
                    y + 5.0
                );
            } else {
                let shade = (((k as f64).ln_1p() / max.ln_1p()) * 8.0).round() as usize;
                let _ = writeln!(
                    svg,
                    r##"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{}" stroke="#cccccc" stroke-width="0.5"/>"##,
                    BLUES[shade.clamp(1, 8)]
                );
            }
        }
    }
    let legend = if zh {
        format!("颜色越深，计数越多（对数刻度，最大 {max}）；× = 从未出现（{empty} 个字符对）")
    } else {
        format!("darker = more (log scale, largest {max}); × = never seen ({empty} pairs)")
    };
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
        size / 2.0,
        top + cell * n as f64 + 30.0,
        xml_escape(&legend)
    );
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// The files of the bigram chapter's held-out section under `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "bigram",
    files: &[
        "bigram-heldout.txt",
        "bigram-heldout-l2.en.md",
        "bigram-heldout-l2.zh.md",
        "bigram-heatmap.en.svg",
        "bigram-heatmap.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let (values, tables) = heldout_values()?;
    let [en, zh]: [String; 2] = tables
        .try_into()
        .map_err(|_| book_err("one λ table per language"))?;
    Ok(vec![
        values,
        en,
        zh,
        heatmap_figure("en")?,
        heatmap_figure("zh")?,
    ])
}
