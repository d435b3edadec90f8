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

use nalgebra::DMatrix;
use rand::Rng;

use ce_mle::data::{Classification, rng};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::train::{FitConfig, History, OptimizerSpec, Regularization, fit_with};
use ce_mle::{Error, Result};

use super::{Anchored, Outputs, book_err, fixed6, pct};

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
    a.put("l2", format!("{:e}", config.l2));
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
        // Test reviews the model gets wrong.
        let pred = r.model.predict_proba(&r.test.x)?;
        let mut wrong = Vec::new();
        for (i, row) in pred.row_iter().enumerate() {
            let k = row.transpose().argmax().0;
            if k as i64 != r.test.y[i] {
                wrong.push(format!(
                    "“{}” ({} → {})",
                    r.test_texts[i], SENTIMENT_LABELS[r.test.y[i] as usize], SENTIMENT_LABELS[k]
                ));
            }
        }
        let rare = if lang == Lang::En {
            "best"
        } else {
            "太棒了"
        };
        if r.accuracy.0 < 1.0
            || r.ce.1 > 0.5 * 3f64.ln()
            || plain.ce.0 >= r.ce.0
            || plain.ce.1 <= r.ce.1
            || plain.accuracy.1 > r.accuracy.1
            || !wrong.iter().any(|w| w.contains(rare))
        {
            return Err(book_err(
                "the sentiment chapter's claims (perfect training accuracy, test CE below \
                 ln 3 / 2, the penalty's effect, the mistakes it names) no longer hold: \
                 update its prose",
            ));
        }
        a.put(&format!("{c}_wrong"), wrong.join("; "));
    }
    a.put("ln3", fixed6(3f64.ln()));
    Ok(a.0)
}

/// The files of this chapter under `book/generated/`, in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "sentiment",
    files: &["sentiment-values.txt"],
    make,
};

fn make() -> crate::Result<Vec<String>> {
    Ok(vec![sentiment_values()?])
}
