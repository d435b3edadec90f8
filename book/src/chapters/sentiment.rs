//! Sentiment classification with a bag of words: the machinery of the sentiment chapter
//! (`book/{en,zh}/src/sentiment.md`, listing `book/listings/sentiment.rs`) and its numbers.
//!
//! The pieces are the classic ones, kept small enough to read in one sitting:
//! * [`tokenize`]: English by lower-cased words, Chinese by characters and character
//!   bigrams (adjacent pairs within a run of letters, so that 不好 is a feature of its own and
//!   not only 不 and 好);
//! * [`BagOfWords`]: the tokens of the training documents, sorted, each with a column;
//! * [`BagOfWords::features`]: the bag-of-words matrix `(N, V)`, `1` where a document contains a
//!   token (presence, not counts: the reviews are one sentence long);
//! * [`sentiment`]: a seeded, stratified train/test split of the book's labelled reviews
//!   ([`SENTIMENT_TSV`], `book/data/sentiment.tsv`), a [`SoftmaxClassifier`] trained on the
//!   mean cross-entropy by [`ce_mle::train::fit_with`], and what it learned.
//!
//! [`token_dropout`] is the data augmentation of the strategies chapter: copies of each training
//! document with every token dropped with some probability.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use nalgebra::DMatrix;
use rand::Rng;

use ce_mle::data::{Classification, rng};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::train::{FitConfig, History, OptimizerSpec, Regularization, fit_with};
use ce_mle::{Error, Result};

use super::{Anchored, Outputs, book_err, fixed6, pct, prose_number};

/// The book's labelled reviews: `lang<TAB>label<TAB>text` after a header line; `lang` is `en`
/// or `zh`, `label` one of [`SENTIMENT_LABELS`].
pub const SENTIMENT_TSV: &str = include_str!("../../data/sentiment.tsv");

/// The classes of the sentiment example, in the order of their indices.
pub const SENTIMENT_LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// The language of a text, which decides how it is cut into tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    /// English: lower-cased words.
    En,
    /// Chinese: characters and character bigrams.
    Zh,
}

impl Lang {
    /// `en` or `zh`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "en" => Some(Self::En),
            "zh" => Some(Self::Zh),
            _ => None,
        }
    }
}

/// One labelled document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// Its language.
    pub lang: Lang,
    /// Index into [`SENTIMENT_LABELS`].
    pub label: usize,
    /// The text.
    pub text: String,
}

/// Parse `lang<TAB>label<TAB>text` lines after a header (see [`SENTIMENT_TSV`]).
///
/// # Errors
/// [`Error::InvalidFile`] for a line without three fields, an unknown language or label,
/// or an empty text.
pub fn parse_reviews(tsv: &str) -> Result<Vec<Review>> {
    let bad = |n: usize, reason: String| Error::InvalidFile {
        path: format!("sentiment TSV, line {n}"),
        reason,
    };
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [lang, label, text] = fields[..] else {
            return Err(bad(i + 1, format!("want 3 tab-separated fields: {line:?}")));
        };
        let lang = Lang::parse(lang).ok_or_else(|| bad(i + 1, format!("language {lang:?}")))?;
        let label = SENTIMENT_LABELS
            .iter()
            .position(|&l| l == label)
            .ok_or_else(|| bad(i + 1, format!("label {label:?}")))?;
        if text.trim().is_empty() {
            return Err(bad(i + 1, "empty text".into()));
        }
        out.push(Review {
            lang,
            label,
            text: text.to_owned(),
        });
    }
    Ok(out)
}

/// The book's reviews in one language, in file order.
///
/// # Errors
/// As [`parse_reviews`].
pub fn reviews(lang: Lang) -> Result<Vec<Review>> {
    Ok(parse_reviews(SENTIMENT_TSV)?
        .into_iter()
        .filter(|r| r.lang == lang)
        .collect())
}

/// Cut `text` into tokens: for [`Lang::En`] the lower-cased words (letters, digits and
/// apostrophes); for [`Lang::Zh`] every letter (a Chinese character is one) and every pair of
/// adjacent letters within a run, punctuation breaking the runs.
#[must_use]
pub fn tokenize(text: &str, lang: Lang) -> Vec<String> {
    let runs = text
        .split(|c: char| !(c.is_alphanumeric() || (lang == Lang::En && c == '\'')))
        .filter(|w| !w.is_empty());
    match lang {
        Lang::En => runs.map(str::to_lowercase).collect(),
        Lang::Zh => {
            let mut tokens = Vec::new();
            for run in runs {
                let chars: Vec<char> = run.chars().collect();
                tokens.extend(chars.iter().map(char::to_string));
                tokens.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
            }
            tokens
        }
    }
}

/// The tokens a model knows, sorted, each with a column of the feature matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BagOfWords {
    tokens: Vec<String>,
    index: BTreeMap<String, usize>,
}

impl BagOfWords {
    /// Every token of `docs` (each a token list), sorted.
    ///
    /// # Errors
    /// [`ce_mle::Error::Empty`] if there is no token at all.
    pub fn fit(docs: &[Vec<String>]) -> Result<Self> {
        let set: BTreeSet<&String> = docs.iter().flatten().collect();
        if set.is_empty() {
            return Err(Error::Empty("no token in the training documents"));
        }
        let tokens: Vec<String> = set.into_iter().cloned().collect();
        let index = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
        Ok(Self { tokens, index })
    }

    /// Number of tokens V.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there is no token (never, for a fitted vocabulary).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The column of `token`, if known.
    #[must_use]
    pub fn id(&self, token: &str) -> Option<usize> {
        self.index.get(token).copied()
    }

    /// The token of column `i`.
    #[must_use]
    pub fn token(&self, i: usize) -> Option<&str> {
        self.tokens.get(i).map(String::as_str)
    }

    /// The bag-of-words matrix `(N, V)`: entry `(i, j)` is 1 if document `i` contains token `j`,
    /// else 0. Unknown tokens are ignored (a test document may use words never seen).
    #[must_use]
    pub fn features(&self, docs: &[Vec<String>]) -> DMatrix<f64> {
        let mut x = DMatrix::zeros(docs.len(), self.len());
        for (i, doc) in docs.iter().enumerate() {
            for t in doc {
                if let Some(j) = self.id(t) {
                    x[(i, j)] = 1.0;
                }
            }
        }
        x
    }
}

/// Augmentation by token dropout: for each document, `copies` extra copies in which every token
/// is dropped independently with probability `p` (a copy keeps at least one token). Returns the
/// originals followed by the copies, with their labels.
///
/// # Errors
/// [`ce_mle::Error::InvalidHyperParameter`] unless `0 ≤ p < 1`.
pub fn token_dropout<R: Rng + ?Sized>(
    docs: &[Vec<String>],
    labels: &[i64],
    copies: usize,
    p: f64,
    rng: &mut R,
) -> Result<(Vec<Vec<String>>, Vec<i64>)> {
    if !(0.0..1.0).contains(&p) {
        return Err(Error::InvalidHyperParameter {
            name: "p",
            value: p,
            reason: "a dropout probability must be in [0, 1)",
        });
    }
    let (mut out, mut y) = (docs.to_vec(), labels.to_vec());
    for _ in 0..copies {
        for (doc, &label) in docs.iter().zip(labels) {
            let mut kept: Vec<String> = doc
                .iter()
                .filter(|_| !rng.random_bool(p))
                .cloned()
                .collect();
            if kept.is_empty()
                && let Some(t) = doc.first()
            {
                kept.push(t.clone());
            }
            out.push(kept);
            y.push(label);
        }
    }
    Ok((out, y))
}

/// Settings of [`sentiment`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SentimentConfig {
    /// Seed of the split, the initialisation and the augmentation.
    pub seed: u64,
    /// Test documents per class.
    pub test_per_class: usize,
    /// Full-batch Adam epochs.
    pub epochs: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// L2 penalty λ₂ on the weights (see [`Regularization`]).
    pub l2: f64,
    /// Token-dropout augmentation: `(copies, p)`, or none.
    pub dropout: Option<(usize, f64)>,
}

impl Default for SentimentConfig {
    fn default() -> Self {
        Self {
            seed: ce_mle::data::DEFAULT_SEED,
            test_per_class: 5,
            epochs: 200,
            lr: 0.05,
            l2: 0.0,
            dropout: None,
        }
    }
}

/// What [`sentiment`] measured.
#[derive(Clone, Debug)]
pub struct SentimentReport {
    /// The language.
    pub lang: Lang,
    /// The vocabulary of the training documents.
    pub vocab: BagOfWords,
    /// The trained model, `Linear(V → 3)`.
    pub model: SoftmaxClassifier,
    /// Training set (bag of words; without the augmented copies).
    pub train: Classification,
    /// Test set.
    pub test: Classification,
    /// The texts of the test set, in its row order.
    pub test_texts: Vec<String>,
    /// Training curve.
    pub history: History,
    /// Mean cross-entropy (nats) on the training and on the test set.
    pub ce: (f64, f64),
    /// Accuracy on the training and on the test set.
    pub accuracy: (f64, f64),
}

impl SentimentReport {
    /// The `k` tokens with the largest weight for class `class`, with that weight, largest
    /// first (ties by token order).
    #[must_use]
    pub fn top_tokens(&self, class: usize, k: usize) -> Vec<(String, f64)> {
        let w = &self.model.linear.weight;
        if class >= w.nrows() {
            return Vec::new();
        }
        let mut cols: Vec<usize> = (0..w.ncols()).collect();
        cols.sort_by(|&a, &b| w[(class, b)].total_cmp(&w[(class, a)]).then(a.cmp(&b)));
        cols.into_iter()
            .take(k)
            .filter_map(|j| Some((self.vocab.token(j)?.to_owned(), w[(class, j)])))
            .collect()
    }

    /// The test reviews the model gets wrong, in test-set order, each with the share of every
    /// token in the model's choice (see [`Mistake`]).
    ///
    /// # Errors
    /// Errors of the model's forward pass (none for a trained report).
    pub fn mistakes(&self) -> Result<Vec<Mistake>> {
        let logits = self.model.logits(&self.test.x)?;
        let (w, b) = (&self.model.linear.weight, &self.model.linear.bias);
        let mut out = Vec::new();
        for (i, row) in logits.row_iter().enumerate() {
            let predicted = row.transpose().argmax().0;
            let truth = self.test.y[i] as usize;
            if predicted == truth {
                continue;
            }
            let mut tokens: Vec<(String, Option<f64>)> = Vec::new();
            for t in tokenize(&self.test_texts[i], self.lang) {
                if tokens.iter().any(|(seen, _)| *seen == t) {
                    continue; // presence features: a repeated token counts once
                }
                let share = self.vocab.id(&t).map(|j| w[(predicted, j)] - w[(truth, j)]);
                tokens.push((t, share));
            }
            out.push(Mistake {
                text: self.test_texts[i].clone(),
                truth,
                predicted,
                bias: b[predicted] - b[truth],
                margin: row[predicted] - row[truth],
                tokens,
            });
        }
        Ok(out)
    }
}

/// A test review the model gets wrong, taken apart. The logit of class `c` is
/// `b_c + Σ_j W_cj x_j`, a sum over the tokens present; so the margin by which the predicted
/// class beat the true one, `z_predicted − z_truth`, is `bias` plus one share per known token,
/// `W_predicted,j − W_truth,j` (positive: the token pulled towards the wrong class).
#[derive(Clone, Debug, PartialEq)]
pub struct Mistake {
    /// The review.
    pub text: String,
    /// Its label (index into [`SENTIMENT_LABELS`]).
    pub truth: usize,
    /// The model's choice.
    pub predicted: usize,
    /// `b_predicted − b_truth`.
    pub bias: f64,
    /// `z_predicted − z_truth` (> 0, else the model would not have chosen `predicted`; ties
    /// go to the lower index).
    pub margin: f64,
    /// Each distinct token of the review in reading order, with its share of the margin, or
    /// `None` for a token the training reviews never contain (it has no weight).
    pub tokens: Vec<(String, Option<f64>)>,
}

impl Mistake {
    /// The known tokens sorted by their share, largest (most towards the wrong class) first.
    #[must_use]
    pub fn ranked(&self) -> Vec<(&str, f64)> {
        let mut v: Vec<(&str, f64)> = self
            .tokens
            .iter()
            .filter_map(|(t, s)| s.map(|s| (t.as_str(), s)))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// The tokens the training reviews never contain.
    #[must_use]
    pub fn unknown(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(t, _)| t.as_str())
            .collect()
    }
}

/// Train and test the sentiment classifier of one language: split [`reviews`] into a test set
/// of `test_per_class` documents per class (seeded) and a training set, build the vocabulary
/// from the training documents, optionally add token-dropout copies, and train
/// `Linear(V → 3)` with Adam on the mean cross-entropy (+ λ₂‖W‖²).
///
/// # Errors
/// [`ce_mle::Error::InvalidHyperParameter`] if a class has no more than `test_per_class` documents;
/// errors of the data file, the model and the training loop.
pub fn sentiment(lang: Lang, config: &SentimentConfig) -> Result<SentimentReport> {
    let docs = reviews(lang)?;
    let mut r = rng(config.seed);
    let mut is_test = vec![false; docs.len()];
    for class in 0..SENTIMENT_LABELS.len() {
        let rows: Vec<usize> = (0..docs.len())
            .filter(|&i| docs[i].label == class)
            .collect();
        if rows.len() <= config.test_per_class {
            return Err(Error::InvalidHyperParameter {
                name: "test_per_class",
                value: config.test_per_class as f64,
                reason: "leaves a class without training documents",
            });
        }
        for k in rand::seq::index::sample(&mut r, rows.len(), config.test_per_class) {
            is_test[rows[k]] = true;
        }
    }
    let part = |test: bool| -> (Vec<Vec<String>>, Vec<i64>, Vec<String>) {
        let rows = (0..docs.len()).filter(|&i| is_test[i] == test);
        let mut t = (Vec::new(), Vec::new(), Vec::new());
        for i in rows {
            t.0.push(tokenize(&docs[i].text, lang));
            t.1.push(docs[i].label as i64);
            t.2.push(docs[i].text.clone());
        }
        t
    };
    let (train_docs, train_y, _) = part(false);
    let (test_docs, test_y, test_texts) = part(true);
    let vocab = BagOfWords::fit(&train_docs)?;
    let classes = SENTIMENT_LABELS.len();
    let train = Classification {
        x: vocab.features(&train_docs),
        y: train_y.clone(),
        classes,
    };
    let test = Classification {
        x: vocab.features(&test_docs),
        y: test_y,
        classes,
    };
    let fit_set = match config.dropout {
        Some((copies, p)) => {
            let (docs, y) = token_dropout(&train_docs, &train_y, copies, p, &mut r)?;
            Classification {
                x: vocab.features(&docs),
                y,
                classes,
            }
        }
        None => train.clone(),
    };
    let mut model = SoftmaxClassifier::new(Linear::new(vocab.len(), classes, &mut r)?);
    let fit_config = FitConfig {
        optimizer: OptimizerSpec::Adam {
            lr: config.lr,
            weight_decay: 0.0,
        },
        epochs: config.epochs,
        regularization: Regularization::new(0.0, config.l2)?,
    };
    let history = fit_with(&mut model, &fit_set, Some(&test), &fit_config, None)?;
    let ce = (model.mean_loss(&train)?, model.mean_loss(&test)?);
    let accuracy = (
        model.accuracy(&train.x, &train.y)?,
        model.accuracy(&test.x, &test.y)?,
    );
    Ok(SentimentReport {
        lang,
        vocab,
        model,
        train,
        test,
        test_texts,
        history,
        ce,
        accuracy,
    })
}

// ---------------------------------------------------------------------------------------------
// The chapter's numbers
// ---------------------------------------------------------------------------------------------

/// The sentiment chapter's settings: 5 test reviews per class, Adam (lr 0.05), 60 epochs,
/// λ₂ = 10⁻³.
#[must_use]
pub fn sentiment_config() -> SentimentConfig {
    SentimentConfig {
        epochs: 60,
        lr: 0.05,
        l2: 1e-3,
        ..SentimentConfig::default()
    }
}

/// [`sentiment`] with [`sentiment_config`] changed by `l2` and `dropout`.
pub(super) fn sentiment_run(
    lang: Lang,
    l2: f64,
    dropout: Option<(usize, f64)>,
) -> Result<SentimentReport> {
    sentiment(
        lang,
        &SentimentConfig {
            l2,
            dropout,
            ..sentiment_config()
        },
    )
}

/// Every number of the sentiment chapter.
fn sentiment_values() -> crate::Result<String> {
    let config = sentiment_config();
    let mut a = Anchored::default();
    a.put("epochs", config.epochs);
    a.put("lr", config.lr);
    a.put("l2", prose_number(&format!("{:e}", config.l2)));
    a.put("test_per_class", config.test_per_class);
    let per_class = reviews(Lang::En)?.iter().filter(|r| r.label == 0).count();
    a.put("per_class", per_class);
    for lang in [Lang::En, Lang::Zh] {
        let c = lang.code();
        let r = sentiment_run(lang, config.l2, None)?;
        let plain = sentiment_run(lang, 0.0, None)?;
        a.put(&format!("{c}_docs"), r.train.y.len() + r.test.y.len());
        a.put(&format!("{c}_train"), r.train.y.len());
        a.put(&format!("{c}_test"), r.test.y.len());
        a.put(&format!("{c}_vocab"), r.vocab.len());
        a.put(&format!("{c}_train_ce"), fixed6(r.ce.0));
        a.put(&format!("{c}_test_ce"), fixed6(r.ce.1));
        a.put(&format!("{c}_train_acc"), pct(r.accuracy.0));
        a.put(&format!("{c}_test_acc"), pct(r.accuracy.1));
        let hits = (r.accuracy.1 * r.test.y.len() as f64).round();
        a.put(&format!("{c}_test_hits"), hits);
        a.put(&format!("{c}_plain_train_ce"), fixed6(plain.ce.0));
        a.put(&format!("{c}_plain_test_ce"), fixed6(plain.ce.1));
        a.put(&format!("{c}_plain_test_acc"), pct(plain.accuracy.1));
        for (k, label) in SENTIMENT_LABELS.iter().enumerate() {
            let top: Vec<String> = r
                .top_tokens(k, 5)
                .into_iter()
                .map(|(t, _)| format!("`{t}`"))
                .collect();
            a.put(&format!("{c}_top_{label}"), top.join(", "));
        }
        if r.accuracy.0 < 1.0
            || r.ce.1 > 0.5 * 3f64.ln()
            || plain.ce.0 >= r.ce.0
            || plain.ce.1 <= r.ce.1
            || plain.accuracy.1 >= r.accuracy.1
        {
            return Err(book_err(
                "the sentiment chapter's claims (perfect training accuracy, test CE below \
                 ln 3 / 2, the penalty's effect on the losses and the accuracy) no longer \
                 hold: update its prose",
            ));
        }
        a.put(&format!("{c}_mistakes"), r.mistakes()?.len());
        if lang == Lang::En {
            a.put(
                "en_frame",
                only_training_review(&r, &["year", "performance"])?.text,
            );
        }
    }
    a.put("ln3", fixed6(3f64.ln()));
    Ok(a.0)
}

/// The one training review that contains every token of `tokens`, which the chapter says is
/// negative.
fn only_training_review(r: &SentimentReport, tokens: &[&str]) -> crate::Result<Review> {
    let found: Vec<Review> = reviews(r.lang)?
        .into_iter()
        .filter(|d| !r.test_texts.contains(&d.text))
        .filter(|d| {
            let words = tokenize(&d.text, r.lang);
            tokens.iter().any(|t| words.iter().any(|w| w == t))
        })
        .collect();
    match &found[..] {
        [one] if one.label == 0 => Ok(one.clone()),
        _ => Err(book_err(format!(
            "the sentiment chapter says one negative training review holds {tokens:?}: \
             {found:?}"
        ))),
    }
}

/// The class names in each book's language, in the order of [`SENTIMENT_LABELS`].
const LABELS_ZH: [&str; 3] = ["消极", "中性", "积极"];

/// `x` with three decimals and a sign, the minus as U+2212 (prose, not code).
fn signed3(x: f64) -> String {
    format!("{x:+.3}").replace('-', "−")
}

/// What the chapter says about the test mistakes, checked on the mistakes themselves: the
/// praise the model knows pulls the right way, the strongest praise has no weight (never in a
/// training review), and words that say nothing about sentiment pull the other way.
fn check_mistake_claims(lang: Lang, mistakes: &[Mistake]) -> crate::Result<()> {
    // (token, true when it must pull towards the label, false towards the model's choice),
    // and the tokens that must have no weight, per mistake in test order.
    type Claims = (&'static [(&'static str, bool)], &'static [&'static str]);
    let claims: &[Claims] = match lang {
        Lang::En => &[
            (&[("wonderful", true), ("the", false)], &["best"]),
            (
                &[
                    ("wonderful", true),
                    ("year", false),
                    ("performance", false),
                    ("cast", false),
                ],
                &["best"],
            ),
        ],
        Lang::Zh => &[(
            &[("棒", true), ("好", true), ("的", false), ("是", false)],
            &["最好", "太棒"],
        )],
    };
    let holds = mistakes.len() == claims.len()
        && mistakes.iter().zip(claims).all(|(m, (pulls, unknown))| {
            let share = |t: &str| m.tokens.iter().find(|(s, _)| s == t).and_then(|(_, s)| *s);
            pulls
                .iter()
                .all(|&(t, right)| share(t).is_some_and(|s| (s < 0.0) == right))
                && unknown.iter().all(|t| m.unknown().contains(t))
                && (m.predicted != 1 || m.bias > 0.0)
                && m.ranked()
                    .first()
                    .is_some_and(|(t, _)| pulls.iter().any(|&(p, right)| p == *t && !right))
        });
    if holds {
        Ok(())
    } else {
        Err(book_err(format!(
            "the sentiment chapter's account of the {} test mistakes no longer holds: \
             update its prose ({mistakes:?})",
            lang.code()
        )))
    }
}

/// The test mistakes of both languages, taken apart token by token, as a Markdown list in the
/// language `book` (`en` or `zh`).
fn sentiment_mistakes(book: &str) -> crate::Result<String> {
    let zh = book == "zh";
    let mut s = String::new();
    for lang in [Lang::En, Lang::Zh] {
        let r = sentiment_run(lang, sentiment_config().l2, None)?;
        let mistakes = r.mistakes()?;
        check_mistake_claims(lang, &mistakes)?;
        for m in &mistakes {
            let label = |k: usize| {
                if zh {
                    LABELS_ZH[k]
                } else {
                    SENTIMENT_LABELS[k]
                }
            };
            let (truth, predicted) = (label(m.truth), label(m.predicted));
            let mut towards_wrong = Vec::new();
            let mut towards_right = Vec::new();
            let bias = if zh { "偏置" } else { "bias" };
            let mut shares: Vec<(String, f64)> = m
                .ranked()
                .into_iter()
                .map(|(t, v)| (format!("`{t}`"), v))
                .collect();
            shares.push((bias.to_owned(), m.bias));
            shares.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (t, v) in shares {
                let item = format!("{t} {}", signed3(v));
                if v > 0.0 {
                    towards_wrong.push(item);
                } else {
                    towards_right.push(item);
                }
            }
            towards_right.reverse();
            let unknown: Vec<String> = m.unknown().iter().map(|t| format!("`{t}`")).collect();
            let line = if zh {
                format!(
                    "* “{}”（{truth}，被判为{predicted}；{predicted}的 logit 领先 {}）。\
                     偏向{predicted}：{}。偏向{truth}：{}。训练评论中从未出现、没有权重：{}。",
                    m.text,
                    fixed3(m.margin),
                    towards_wrong.join("、"),
                    towards_right.join("、"),
                    unknown.join("、")
                )
            } else {
                format!(
                    "* “{}” ({truth}, read as {predicted}; the {predicted} logit ahead by {}). \
                     Towards {predicted}: {}. Towards {truth}: {}. In no training review, so \
                     without weight: {}.",
                    m.text,
                    fixed3(m.margin),
                    towards_wrong.join(", "),
                    towards_right.join(", "),
                    unknown.join(", ")
                )
            };
            let _ = writeln!(s, "{line}");
        }
    }
    Ok(s)
}

fn fixed3(x: f64) -> String {
    format!("{x:.3}")
}

/// The files of this chapter under `book/generated/`, in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "sentiment",
    files: &[
        "sentiment-values.txt",
        "sentiment-mistakes.en.md",
        "sentiment-mistakes.zh.md",
    ],
    make,
};

fn make() -> crate::Result<Vec<String>> {
    Ok(vec![
        sentiment_values()?,
        sentiment_mistakes("en")?,
        sentiment_mistakes("zh")?,
    ])
}
