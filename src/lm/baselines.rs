//! The count baselines of a character-level split: what a model must beat before its context
//! can be said to help.

use super::ngram::{AddK, Discounts, KneserNey, NextToken, NgramCounts, WittenBell};
use super::split::{CharSplit, split_point};
use crate::error::{Error, Result};

/// Options of [`baselines`].
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineOptions {
    /// The smoothed n-gram models are computed for `n = 1..=max_order` (default 8).
    pub max_order: usize,
    /// The part of the training text held out to choose add-k's `k` (default 0.1: the first
    /// 90% of the training text is counted, the last 10% scores each `k`).
    pub heldout_fraction: f64,
    /// The values of `k` tried (default `10^(e/4)` for `e = −16..=4`, i.e. `1e-4 … 10`).
    pub k_grid: Vec<f64>,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        Self {
            max_order: 8,
            heldout_fraction: 0.1,
            k_grid: (-16..=4).map(|e| 10f64.powf(f64::from(e) / 4.0)).collect(),
        }
    }
}

/// The counting bigram MLE on the validation text.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BigramMle {
    /// Validation bigrams never seen in training: the MLE gives each probability 0.
    pub unseen: usize,
    /// Its validation cross-entropy in nats/char; `None` when it is `+∞` (`unseen > 0`).
    pub cross_entropy: Option<f64>,
}

/// Add-k for the bigram, `k` chosen on held-out training text.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AddKChoice {
    /// The `k` of the grid with the lowest held-out cross-entropy (the smaller on a tie).
    pub k: f64,
    /// Characters counted to score the grid (the start of the training text).
    pub fit_chars: usize,
    /// Characters of held-out training text that scored it (the end of the training text).
    pub heldout_chars: usize,
    /// `[k, held-out CE]` for every `k` of the grid.
    pub grid: Vec<[f64; 2]>,
    /// The held-out cross-entropy of the chosen `k`, nats/char.
    pub heldout_cross_entropy: f64,
    /// The validation cross-entropy of the bigram with the chosen `k`, counted on the whole
    /// training text, nats/char.
    pub cross_entropy: f64,
}

/// The smoothed n-gram models of one order on the validation text.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OrderBaseline {
    /// The order `n`.
    pub n: usize,
    /// Distinct n-grams in the training text.
    pub distinct: usize,
    /// Validation predictions whose n-gram (with the history available) never occurs in
    /// training.
    pub unseen: usize,
    /// Interpolated modified Kneser–Ney, validation cross-entropy in nats/char.
    pub kneser_ney: f64,
    /// The same model counted on the start of the training text and scored on its held-out
    /// end (the data that chose add-k's `k`), nats/char: what [`Baselines::kneser_ney_order`]
    /// is chosen on.
    pub kneser_ney_heldout: f64,
    /// Interpolated Witten–Bell, validation cross-entropy in nats/char.
    pub witten_bell: f64,
    /// The Kneser–Ney discounts of the highest order (raw counts).
    pub discounts: Discounts,
}

/// Every count baseline of a split. Cross-entropies are means over the `val_chars − 1`
/// next-character predictions of the validation text (see [`NextToken::cross_entropy`]),
/// in nats per character.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Baselines {
    /// Characters of the training part.
    pub train_chars: usize,
    /// Characters of the validation part.
    pub val_chars: usize,
    /// Vocabulary size `V` (distinct characters of the whole text).
    pub vocab_size: usize,
    /// Validation characters (positions) whose character never occurs in the training part.
    pub val_chars_unseen_in_train: usize,
    /// The uniform model's cross-entropy, `ln V`.
    pub uniform: f64,
    /// The counting bigram (MLE).
    pub bigram_mle: BigramMle,
    /// The add-one (Laplace) bigram, `k = 1` fixed (as makemore does), nats/char.
    pub bigram_add_one: f64,
    /// The add-k bigram with `k` chosen on held-out training text.
    pub bigram_add_k: AddKChoice,
    /// Kneser–Ney and Witten–Bell for `n = 1..=max_order`.
    pub orders: Vec<OrderBaseline>,
    /// The order whose Kneser–Ney model has the lowest held-out cross-entropy (the smaller on a
    /// tie): the best count model chosen without looking at the validation text.
    pub kneser_ney_order: usize,
    /// Its validation cross-entropy, nats/char.
    pub kneser_ney_best: f64,
}

/// Compute every count baseline of `split` (the models are counted on its training part and
/// scored on its validation part; nothing is tuned on the validation part).
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for `max_order = 0`, a `heldout_fraction` outside `(0, 1)`,
/// an empty grid or a `k ≤ 0`; [`Error::TooLarge`] if `max_order` ids do not pack into 128 bits
/// ([`NgramCounts::new`]); [`Error::Corpus`] if the held-out part would hold fewer than 2
/// characters.
pub fn baselines(split: &CharSplit, opts: &BaselineOptions) -> Result<Baselines> {
    if opts.max_order == 0 {
        return Err(Error::InvalidHyperParameter {
            name: "max_order",
            value: 0.0,
            reason: "the n-gram orders start at 1",
        });
    }
    if opts.k_grid.is_empty() {
        return Err(Error::InvalidHyperParameter {
            name: "k_grid",
            value: 0.0,
            reason: "needs at least one k",
        });
    }
    if !(opts.heldout_fraction > 0.0 && opts.heldout_fraction < 1.0) {
        return Err(Error::InvalidHyperParameter {
            name: "heldout_fraction",
            value: opts.heldout_fraction,
            reason: "must be strictly between 0 and 1",
        });
    }
    let v = split.vocab_size();
    let (train, val) = (split.train(), split.val());
    // k (and Kneser–Ney's order) on held-out training text: count the start, score the end.
    let cut = split_point(train.len(), 1.0 - opts.heldout_fraction);
    let (fit, heldout) = train.split_at(cut);
    if fit.is_empty() || heldout.len() < 2 {
        return Err(Error::Corpus {
            path: "<train>".into(),
            reason: format!(
                "{} training characters leave {} to count and {} to choose k on; need at \
                 least 1 and 2",
                train.len(),
                fit.len(),
                heldout.len()
            ),
        });
    }
    let fit_counts = NgramCounts::new(fit, v, opts.max_order.max(2))?;
    // Kneser–Ney on the held-out part, every order, before the counts of the start go.
    let heldout_kn = (1..=opts.max_order)
        .map(|n| KneserNey::new(&fit_counts, n)?.cross_entropy(heldout))
        .collect::<Result<Vec<f64>>>()?;
    let mut grid = Vec::with_capacity(opts.k_grid.len());
    for &k in &opts.k_grid {
        grid.push([k, AddK::new(&fit_counts, 2, k)?.cross_entropy(heldout)?]);
    }
    let best = grid
        .iter()
        .copied()
        .reduce(|a, b| if b[1] < a[1] { b } else { a })
        .expect("the grid is not empty");
    let mut bigram_add_k = AddKChoice {
        k: best[0],
        fit_chars: fit.len(),
        heldout_chars: heldout.len(),
        heldout_cross_entropy: best[1],
        cross_entropy: 0.0,
        grid,
    };
    // The held-out counts go before the full ones come: one set of counts at a time.
    drop(fit_counts);

    let counts = NgramCounts::new(train, v, opts.max_order.max(2))?;

    let unseen_bigrams = counts.unseen(val, 2)?;
    let bigram_mle = BigramMle {
        unseen: unseen_bigrams,
        cross_entropy: if unseen_bigrams == 0 {
            Some(mle_cross_entropy(&counts, val)?)
        } else {
            None
        },
    };
    let bigram_add_one = AddK::new(&counts, 2, 1.0)?.cross_entropy(val)?;

    bigram_add_k.cross_entropy = AddK::new(&counts, 2, bigram_add_k.k)?.cross_entropy(val)?;

    let mut orders = Vec::with_capacity(opts.max_order);
    for n in 1..=opts.max_order {
        // One model at a time: each holds per-context statistics of every order up to n.
        let kn = KneserNey::new(&counts, n)?;
        let kneser_ney = kn.cross_entropy(val)?;
        let discounts = *kn.discounts(n).expect("order n exists");
        drop(kn);
        orders.push(OrderBaseline {
            n,
            distinct: counts.distinct(n),
            unseen: counts.unseen(val, n)?,
            kneser_ney,
            kneser_ney_heldout: heldout_kn[n - 1],
            witten_bell: WittenBell::new(&counts, n)?.cross_entropy(val)?,
            discounts,
        });
    }
    let best = orders
        .iter()
        .reduce(|a, b| {
            if b.kneser_ney_heldout < a.kneser_ney_heldout {
                b
            } else {
                a
            }
        })
        .expect("max_order >= 1");
    let (kneser_ney_order, kneser_ney_best) = (best.n, best.kneser_ney);
    let val_chars_unseen_in_train = val.iter().filter(|&&t| counts.count(&[t]) == 0).count();
    Ok(Baselines {
        train_chars: train.len(),
        val_chars: val.len(),
        vocab_size: v,
        val_chars_unseen_in_train,
        uniform: (v as f64).ln(),
        bigram_mle,
        bigram_add_one,
        bigram_add_k,
        orders,
        kneser_ney_order,
        kneser_ney_best,
    })
}

/// The bigram MLE's cross-entropy on `tokens`, every bigram of which was seen in training:
/// `P(b | a) = c(a b) / c(a •)`.
fn mle_cross_entropy(counts: &NgramCounts, tokens: &[u32]) -> Result<f64> {
    let mut sum = crate::compensated::Neumaier::default();
    for w in tokens.windows(2) {
        let p = counts.count(w) as f64 / counts.following(&w[..1]) as f64;
        sum.add(-p.ln());
    }
    Ok(sum.value() / (tokens.len() - 1) as f64)
}
