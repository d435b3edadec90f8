//! n-gram counts over token ids and the smoothed count models built on them: add-k, interpolated
//! Witten–Bell and interpolated modified Kneser–Ney. See the [`crate::lm`] module docs for the
//! formulas, the sources and why smoothing is a prior.

use crate::compensated::Neumaier;
use crate::error::{Error, Result};

/// The fallback discounts `(D1, D2, D3+)` used at an order whose count-of-counts do not give
/// usable estimates (KenLM's `--discount_fallback` defaults).
pub const FALLBACK_DISCOUNTS: [f64; 3] = [0.5, 1.0, 1.5];

/// The n-grams of one order: sorted unique packed keys with their counts.
#[derive(Clone, Debug, PartialEq)]
struct OrderCounts {
    /// Packed n-grams, sorted: the first token in the highest bits, so n-grams with the same
    /// context (all but the last token) are contiguous.
    keys: Vec<u128>,
    /// Occurrences `c(g)` of each n-gram in the text.
    raw: Vec<u32>,
    /// Continuation counts `N1+(• g)`: the number of distinct tokens seen just before `g`
    /// (empty at the highest order counted).
    cont: Vec<u32>,
}

/// n-gram counts of a token sequence, for every order `1..=max_order`.
///
/// For each order `m`, every distinct m-gram `g` of the text with its count `c(g)` (occurrences)
/// and, for `m < max_order`, its continuation count `N1+(• g) = |{v : c(v g) > 0}|`, the number of
/// distinct tokens that precede it (Kneser–Ney's lower-order counts).
///
/// # Storage
/// An m-gram of token ids `(t_1, …, t_m)` is packed into a `u128` key with `b = ⌈log2 V⌉` bits
/// per token, `t_1` in the highest bits; each order is a sorted array of unique keys with their
/// counts (24 bytes per distinct n-gram), so a lookup is a binary search and the n-grams sharing
/// a context are contiguous. Hence `max_order · b ≤ 128` (e.g. order 18 for `V = 65`, order 9 for
/// `V ≤ 16384`). Building sorts one array of `T` keys per order: time `O(max_order · T log T)`,
/// memory at most `40 · T` bytes per order for a text of `T` tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct NgramCounts {
    vocab_size: usize,
    max_order: usize,
    bits: u32,
    tokens: usize,
    orders: Vec<OrderCounts>,
}

/// The number of bits that hold a token id below `vocab_size`.
fn bits_for(vocab_size: usize) -> u32 {
    (usize::BITS - (vocab_size.max(2) - 1).leading_zeros()).max(1)
}

/// Sorted keys → (unique keys, run lengths), allocated to their exact length.
fn run_lengths(sorted: &[u128]) -> (Vec<u128>, Vec<u32>) {
    let distinct =
        sorted.windows(2).filter(|w| w[0] != w[1]).count() + usize::from(!sorted.is_empty());
    let mut keys = Vec::with_capacity(distinct);
    let mut counts: Vec<u32> = Vec::with_capacity(distinct);
    for &k in sorted {
        if keys.last() == Some(&k) {
            *counts.last_mut().expect("same length as keys") += 1;
        } else {
            keys.push(k);
            counts.push(1);
        }
    }
    (keys, counts)
}

impl NgramCounts {
    /// Count the n-grams of `tokens` (ids below `vocab_size`) for orders `1..=max_order`.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty sequence or `vocab_size = 0`;
    /// [`Error::InvalidHyperParameter`] (`order`) for `max_order = 0`; [`Error::TooLarge`] if
    /// `max_order` packed ids do not fit in 128 bits, or for more than `u32::MAX` tokens;
    /// [`Error::InvalidValue`] (`tokens`) for an id `≥ vocab_size`.
    pub fn new(tokens: &[u32], vocab_size: usize, max_order: usize) -> Result<Self> {
        if vocab_size == 0 {
            return Err(Error::Empty(
                "an n-gram model needs a vocabulary of at least 1 token",
            ));
        }
        if tokens.is_empty() {
            return Err(Error::Empty("no tokens to count n-grams in"));
        }
        if max_order == 0 {
            return Err(Error::InvalidHyperParameter {
                name: "order",
                value: 0.0,
                reason: "an n-gram order must be >= 1",
            });
        }
        let bits = bits_for(vocab_size);
        let limit = (128 / bits) as usize;
        if max_order > limit {
            return Err(Error::TooLarge {
                what: "n-gram order (its token ids must pack into 128 bits)",
                value: max_order as u128,
                limit: limit as u128,
            });
        }
        if tokens.len() > u32::MAX as usize {
            return Err(Error::TooLarge {
                what: "tokens counted by an n-gram model",
                value: tokens.len() as u128,
                limit: u128::from(u32::MAX),
            });
        }
        if let Some((i, &t)) = tokens
            .iter()
            .enumerate()
            .find(|&(_, &t)| t as usize >= vocab_size)
        {
            return Err(Error::InvalidValue {
                what: "tokens",
                row: i,
                col: 0,
                value: f64::from(t),
                reason: "a token id must be below the vocabulary size",
            });
        }
        let mut orders = Vec::with_capacity(max_order);
        for m in 1..=max_order {
            // The m-gram starting at each position, packed; one such array at a time.
            let mut grams: Vec<u128> = tokens
                .windows(m)
                .map(|w| w.iter().fold(0u128, |k, &t| (k << bits) | u128::from(t)))
                .collect();
            grams.sort_unstable();
            let (keys, raw) = run_lengths(&grams);
            orders.push(OrderCounts {
                keys,
                raw,
                cont: Vec::new(),
            });
        }
        // Continuation counts of order m from the distinct (m+1)-grams: N1+(• g) is the number
        // of distinct (m+1)-grams whose last m tokens are g.
        for m in 1..max_order {
            let mask = (1u128 << (bits as usize * m)) - 1;
            let mut suffixes: Vec<u128> = orders[m].keys.iter().map(|&k| k & mask).collect();
            suffixes.sort_unstable();
            let (keys, counts) = run_lengths(&suffixes);
            let lower = &mut orders[m - 1];
            let mut cont = vec![0u32; lower.keys.len()];
            let mut j = 0;
            for (k, c) in keys.into_iter().zip(counts) {
                // Every suffix of an (m+1)-gram of the text is an m-gram of the text.
                while lower.keys[j] < k {
                    j += 1;
                }
                debug_assert_eq!(lower.keys[j], k);
                cont[j] = c;
            }
            lower.cont = cont;
        }
        Ok(Self {
            vocab_size,
            max_order,
            bits,
            tokens: tokens.len(),
            orders,
        })
    }

    /// The vocabulary size `V`.
    #[must_use]
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// The highest order counted.
    #[must_use]
    pub fn max_order(&self) -> usize {
        self.max_order
    }

    /// The number of tokens `T` counted.
    #[must_use]
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// The number of distinct n-grams of order `n` in the text (0 if `n` is not counted).
    #[must_use]
    pub fn distinct(&self, n: usize) -> usize {
        self.order(n).map_or(0, |o| o.keys.len())
    }

    /// `c(g)`: how many times the n-gram `gram` (`1 ≤ gram.len() ≤ max_order`) occurs; 0 for
    /// an n-gram never seen, of an order not counted, or with an id `≥ V`.
    #[must_use]
    pub fn count(&self, gram: &[u32]) -> u64 {
        self.find(gram)
            .map_or(0, |(o, i)| u64::from(self.orders[o].raw[i]))
    }

    /// `N1+(• g)`: the number of distinct tokens that precede `gram` in the text; 0 for an
    /// n-gram never seen, or of an order `≥ max_order` (not counted).
    #[must_use]
    pub fn continuation_count(&self, gram: &[u32]) -> u64 {
        self.find(gram).map_or(0, |(o, i)| {
            self.orders[o].cont.get(i).copied().map_or(0, u64::from)
        })
    }

    /// `c(h •) = Σ_w c(h w)`: how many times `context` is followed by a token (for the empty
    /// context, `T`); 0 if it never is, or if `context.len() ≥ max_order`.
    #[must_use]
    pub fn following(&self, context: &[u32]) -> u64 {
        let m = context.len() + 1;
        if m > self.max_order {
            return 0;
        }
        let Some(k) = self.key(context) else { return 0 };
        let raw = &self.orders[m - 1].raw;
        self.run(m, k).map(|i| u64::from(raw[i])).sum()
    }

    /// How many of the `tokens.len() − 1` next-token predictions of `tokens` (position `t ≥ 1`
    /// predicted from the `min(t, n − 1)` tokens before it) use an n-gram the training text
    /// never showed: for `n = 2`, the validation bigrams to which the counting MLE gives
    /// probability 0 (its cross-entropy is `+∞` as soon as this is positive).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`order`) unless `1 ≤ n ≤ max_order`;
    /// [`Error::InvalidValue`] for an id `≥ V`.
    pub fn unseen(&self, tokens: &[u32], n: usize) -> Result<usize> {
        self.check_order(n)?;
        check_ids(tokens, self.vocab_size)?;
        Ok((1..tokens.len())
            .filter(|&t| self.count(&tokens[t.saturating_sub(n - 1)..=t]) == 0)
            .count())
    }

    fn check_order(&self, n: usize) -> Result<()> {
        if n == 0 || n > self.max_order {
            return Err(Error::InvalidHyperParameter {
                name: "order",
                value: n as f64,
                reason: "must be between 1 and the highest order counted",
            });
        }
        Ok(())
    }

    fn order(&self, n: usize) -> Option<&OrderCounts> {
        n.checked_sub(1).and_then(|i| self.orders.get(i))
    }

    /// The packed key of `gram`, or `None` if an id is `≥ V`.
    fn key(&self, gram: &[u32]) -> Option<u128> {
        let mut k = 0u128;
        for &t in gram {
            if t as usize >= self.vocab_size {
                return None;
            }
            k = (k << self.bits) | u128::from(t);
        }
        Some(k)
    }

    /// `(order index, position)` of `gram` in the arrays.
    fn find(&self, gram: &[u32]) -> Option<(usize, usize)> {
        let o = self.order(gram.len())?;
        let k = self.key(gram)?;
        o.keys.binary_search(&k).ok().map(|i| (gram.len() - 1, i))
    }

    /// The range of order `m` (≥ 1) holding the m-grams whose first `m − 1` tokens have key
    /// `context` (the whole order for `m = 1`).
    fn run(&self, m: usize, context: u128) -> std::ops::Range<usize> {
        let keys = &self.orders[m - 1].keys;
        if m == 1 {
            return 0..keys.len();
        }
        let lo = context << self.bits;
        let hi = lo | ((1u128 << self.bits) - 1);
        keys.partition_point(|&k| k < lo)..keys.partition_point(|&k| k <= hi)
    }
}

fn check_ids(tokens: &[u32], vocab_size: usize) -> Result<()> {
    match tokens
        .iter()
        .enumerate()
        .find(|&(_, &t)| t as usize >= vocab_size)
    {
        Some((i, &t)) => Err(Error::InvalidValue {
            what: "tokens",
            row: i,
            col: 0,
            value: f64::from(t),
            reason: "a token id must be below the vocabulary size",
        }),
        None => Ok(()),
    }
}

fn check_model_order(counts: &NgramCounts, n: usize) -> Result<()> {
    counts.check_order(n)
}

/// Statistics of one context `h` at one order: `total = Σ_w c(h w)` and, for Kneser–Ney, the
/// numbers of next tokens seen once, twice and three times or more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ContextStats {
    total: u32,
    n1: u32,
    n2: u32,
    n3: u32,
}

impl ContextStats {
    fn add(&mut self, c: u32) {
        if c == 0 {
            return;
        }
        self.total += c;
        match c {
            1 => self.n1 += 1,
            2 => self.n2 += 1,
            _ => self.n3 += 1,
        }
    }

    /// `N1+(h •)`: distinct next tokens.
    fn types(&self) -> u32 {
        self.n1 + self.n2 + self.n3
    }
}

/// Per-context statistics of order `m` from the counts `count(i)` of its n-grams, indexed like
/// the keys of order `m − 1` (one entry for `m = 1`).
fn context_stats(
    counts: &NgramCounts,
    m: usize,
    count: impl Fn(usize) -> u32,
) -> Vec<ContextStats> {
    let grams = &counts.orders[m - 1].keys;
    if m == 1 {
        let mut s = ContextStats::default();
        (0..grams.len()).for_each(|i| s.add(count(i)));
        return vec![s];
    }
    let contexts = &counts.orders[m - 2].keys;
    let mut stats = vec![ContextStats::default(); contexts.len()];
    let mut j = 0;
    for (i, &g) in grams.iter().enumerate() {
        let h = g >> counts.bits;
        // Every context of an m-gram of the text is an (m−1)-gram of the text.
        while contexts[j] < h {
            j += 1;
        }
        stats[j].add(count(i));
    }
    stats
}

/// The modified Kneser–Ney discounts of one order (Chen & Goodman 1998, eq. 26).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Discounts {
    /// `D1`, subtracted from a count of 1.
    pub d1: f64,
    /// `D2`, subtracted from a count of 2.
    pub d2: f64,
    /// `D3+`, subtracted from a count of 3 or more.
    pub d3: f64,
    /// The count-of-counts `n1, n2, n3, n4`: the number of n-grams of this order whose
    /// (Kneser–Ney) count is exactly 1, 2, 3, 4.
    pub count_of_counts: [u64; 4],
    /// `false` if the estimates were unusable (a zero count-of-counts, or a discount outside
    /// `(0, r]`) and [`FALLBACK_DISCOUNTS`] were used instead.
    pub estimated: bool,
}

impl Discounts {
    /// Chen & Goodman's estimates from the count-of-counts `n = [n1, n2, n3, n4]`:
    /// `Y = n1 / (n1 + 2 n2)`, `D1 = 1 − 2Y n2/n1`, `D2 = 2 − 3Y n3/n2`, `D3+ = 3 − 4Y n4/n3`.
    /// If a denominator is 0, or an estimate `D_r` falls outside `(0, r]` (a discount must take
    /// something from every seen n-gram and cannot take more than its count), all three are
    /// [`FALLBACK_DISCOUNTS`] and `estimated` is `false`.
    #[must_use]
    pub fn from_count_of_counts(n: [u64; 4]) -> Self {
        let [n1, n2, n3, n4] = n.map(|x| x as f64);
        let fallback = Self {
            d1: FALLBACK_DISCOUNTS[0],
            d2: FALLBACK_DISCOUNTS[1],
            d3: FALLBACK_DISCOUNTS[2],
            count_of_counts: n,
            estimated: false,
        };
        if n.contains(&0) {
            return fallback;
        }
        let y = n1 / (n1 + 2.0 * n2);
        let d = [
            1.0 - 2.0 * y * n2 / n1,
            2.0 - 3.0 * y * n3 / n2,
            3.0 - 4.0 * y * n4 / n3,
        ];
        let ok = d
            .iter()
            .zip(1..)
            .all(|(&x, r)| x > 0.0 && x <= f64::from(r));
        if !ok {
            return fallback;
        }
        Self {
            d1: d[0],
            d2: d[1],
            d3: d[2],
            count_of_counts: n,
            estimated: true,
        }
    }

    /// The discount `D(c)` of a count: 0, `D1`, `D2` or `D3+`.
    #[must_use]
    pub fn of(&self, c: u32) -> f64 {
        match c {
            0 => 0.0,
            1 => self.d1,
            2 => self.d2,
            _ => self.d3,
        }
    }

    fn mass(&self, s: &ContextStats) -> f64 {
        self.d1 * f64::from(s.n1) + self.d2 * f64::from(s.n2) + self.d3 * f64::from(s.n3)
    }
}

/// A conditional model of the next token given the tokens before it.
///
/// Implemented by the count models of this module; [`NextToken::cross_entropy`] is the
/// validation loss in nats per token.
///
/// # Examples
/// ```
/// use ce_mle::lm::{CharSplit, KneserNey, NextToken, NgramCounts};
/// let s = CharSplit::new("the cat sat on the mat; the cat sat on the hat", 0.8)?;
/// let counts = NgramCounts::new(s.train(), s.vocab_size(), 3)?;
/// let kn = KneserNey::new(&counts, 3)?;
/// // A distribution over the whole vocabulary after any history, seen or not.
/// let p = kn.distribution(&s.train()[..2]);
/// assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// let ce = kn.cross_entropy(s.val())?; // nats per character
/// assert!(ce > 0.0 && ce < (s.vocab_size() as f64).ln());
/// # Ok::<(), ce_mle::Error>(())
/// ```
pub trait NextToken {
    /// The vocabulary size `V`.
    fn vocab_size(&self) -> usize;

    /// The model's order `n`: it looks at most `n − 1` tokens back.
    fn order(&self) -> usize;

    /// `P(w | history)`; only the last `n − 1` tokens of `history` are used. Ids must be
    /// `< V` (an id out of range is treated as never seen).
    fn prob(&self, history: &[u32], w: u32) -> f64;

    /// The whole next-token distribution after `history`, a vector of length `V` summing to 1.
    fn distribution(&self, history: &[u32]) -> Vec<f64> {
        (0..self.vocab_size() as u32)
            .map(|w| self.prob(history, w))
            .collect()
    }

    /// Mean cross-entropy of the model on `tokens`, in nats per token:
    /// `CE = −(1/(T−1)) Σ_{t=1}^{T−1} ln P(x_t | x_{max(0, t−n+1)} … x_{t−1})`. The first token is
    /// not predicted (it has no context) and the first `n − 2` predictions see the shorter
    /// histories the text offers, so models of every order score the same `T − 1` predictions.
    /// The terms are added with a compensated sum. It is `+∞` if a token gets probability 0.
    ///
    /// # Errors
    /// [`Error::Corpus`] (path `<tokens>`) for fewer than 2 tokens; [`Error::InvalidValue`] for
    /// an id `≥ V`.
    fn cross_entropy(&self, tokens: &[u32]) -> Result<f64> {
        if tokens.len() < 2 {
            return Err(Error::Corpus {
                path: "<tokens>".into(),
                reason: format!(
                    "{} token{}: a cross-entropy needs at least 2 (one prediction)",
                    tokens.len(),
                    if tokens.len() == 1 { "" } else { "s" }
                ),
            });
        }
        check_ids(tokens, self.vocab_size())?;
        let n = self.order();
        let mut sum = Neumaier::default();
        for t in 1..tokens.len() {
            let p = self.prob(&tokens[t.saturating_sub(n - 1)..t], tokens[t]);
            sum.add(-p.ln());
        }
        Ok(sum.value() / (tokens.len() - 1) as f64)
    }
}

/// The last `min(len, n − 1)` tokens of `history`.
fn tail(history: &[u32], n: usize) -> &[u32] {
    &history[history.len().saturating_sub(n - 1)..]
}

/// Add-k smoothing of the n-gram MLE (Laplace for `k = 1`):
/// `P(w | h) = (c(h w) + k) / (c(h •) + k V)` with `c(h •) = Σ_w c(h w)` and `h` the last `n − 1`
/// tokens (fewer at the start of a text: the model of the order the history allows). A
/// context never seen gets the uniform `1/V`. Per context, this is the MAP estimate of a
/// categorical distribution under a symmetric `Dirichlet(k + 1)` prior, and its posterior mean
/// under `Dirichlet(k)` (see the [`crate::lm`] docs).
#[derive(Clone, Debug)]
pub struct AddK<'a> {
    counts: &'a NgramCounts,
    order: usize,
    k: f64,
    /// `totals[m − 1]`: `c(h •)` per context of order m, indexed like the keys of order m − 1.
    totals: Vec<Vec<ContextStats>>,
}

impl<'a> AddK<'a> {
    /// The add-k model of order `n` (`n = 2`: the smoothed bigram).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`order`) unless `1 ≤ n ≤ counts.max_order()`;
    /// [`Error::InvalidHyperParameter`] (`k`) unless `k` is finite and `> 0` (`k = 0` is the
    /// MLE, which gives unseen n-grams probability 0: see [`NgramCounts::unseen`]).
    pub fn new(counts: &'a NgramCounts, n: usize, k: f64) -> Result<Self> {
        check_model_order(counts, n)?;
        if !(k.is_finite() && k > 0.0) {
            return Err(Error::InvalidHyperParameter {
                name: "k",
                value: k,
                reason: "add-k smoothing needs a finite k > 0",
            });
        }
        let totals = (1..=n)
            .map(|m| {
                let raw = &counts.orders[m - 1].raw;
                context_stats(counts, m, |i| raw[i])
            })
            .collect();
        Ok(Self {
            counts,
            order: n,
            k,
            totals,
        })
    }

    /// The pseudo-count `k`.
    #[must_use]
    pub fn k(&self) -> f64 {
        self.k
    }
}

/// A history, packed: the key of its last `min(len, n − 1)` tokens, and how many those are;
/// `None` if an id is `≥ V`.
fn packed_tail(counts: &NgramCounts, history: &[u32], n: usize) -> Option<(u128, usize)> {
    let h = tail(history, n);
    counts.key(h).map(|k| (k, h.len()))
}

impl NgramCounts {
    /// The key of the last `tokens` tokens of a packed sequence.
    fn suffix(&self, key: u128, tokens: usize) -> u128 {
        let bits = self.bits as usize * tokens;
        if bits >= 128 {
            key
        } else {
            key & ((1u128 << bits) - 1)
        }
    }

    /// The index of the context with key `ctx` as a context of order `m`: among the keys of
    /// order `m − 1`, or 0 (the empty context) for `m = 1`.
    fn context_index(&self, m: usize, ctx: u128) -> Option<usize> {
        if m == 1 {
            return Some(0);
        }
        self.orders[m - 2].keys.binary_search(&ctx).ok()
    }

    /// The index of the m-gram with key `gram` among the keys of order `m`.
    fn gram_index(&self, m: usize, gram: u128) -> Option<usize> {
        self.orders[m - 1].keys.binary_search(&gram).ok()
    }
}

impl NextToken for AddK<'_> {
    fn vocab_size(&self) -> usize {
        self.counts.vocab_size
    }

    fn order(&self) -> usize {
        self.order
    }

    fn prob(&self, history: &[u32], w: u32) -> f64 {
        let c = self.counts;
        let v = c.vocab_size as f64;
        let Some((hk, len)) = packed_tail(c, history, self.order) else {
            return 1.0 / v;
        };
        let m = len + 1;
        let total = c
            .context_index(m, hk)
            .map_or(0, |j| self.totals[m - 1][j].total);
        let n_hw = c
            .gram_index(m, (hk << c.bits) | u128::from(w))
            .map_or(0, |i| c.orders[m - 1].raw[i]);
        (f64::from(n_hw) + self.k) / (f64::from(total) + self.k * v)
    }
}

/// Interpolated Witten–Bell smoothing (Witten & Bell 1991; Chen & Goodman 1998 §2.5):
///
/// ```text
/// P_WB(w | h) = (c(h w) + N1+(h •) · P_WB(w | h')) / (c(h •) + N1+(h •)),
/// ```
///
/// `h'` = `h` without its first token, `N1+(h •)` = the number of distinct tokens seen after
/// `h`, raw counts at every order; a context never seen (`c(h •) = 0`) gives `P_WB(w | h')`, and
/// the recursion ends at the uniform distribution `1/V` (below the unigram level).
#[derive(Clone, Debug)]
pub struct WittenBell<'a> {
    counts: &'a NgramCounts,
    order: usize,
    /// `stats[m − 1]`: per-context statistics of order m from raw counts.
    stats: Vec<Vec<ContextStats>>,
}

impl<'a> WittenBell<'a> {
    /// The interpolated Witten–Bell model of order `n`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`order`) unless `1 ≤ n ≤ counts.max_order()`.
    pub fn new(counts: &'a NgramCounts, n: usize) -> Result<Self> {
        check_model_order(counts, n)?;
        let stats = (1..=n)
            .map(|m| {
                let raw = &counts.orders[m - 1].raw;
                context_stats(counts, m, |i| raw[i])
            })
            .collect();
        Ok(Self {
            counts,
            order: n,
            stats,
        })
    }
}

impl NextToken for WittenBell<'_> {
    fn vocab_size(&self) -> usize {
        self.counts.vocab_size
    }

    fn order(&self) -> usize {
        self.order
    }

    fn prob(&self, history: &[u32], w: u32) -> f64 {
        let c = self.counts;
        let mut p = 1.0 / c.vocab_size as f64;
        let Some((hk, len)) = packed_tail(c, history, self.order) else {
            return p;
        };
        for m in 1..=len + 1 {
            let ctx = c.suffix(hk, m - 1);
            let Some(j) = c.context_index(m, ctx) else {
                continue;
            };
            let s = self.stats[m - 1][j];
            if s.total == 0 {
                continue;
            }
            let n_hw = c
                .gram_index(m, (ctx << c.bits) | u128::from(w))
                .map_or(0, |i| c.orders[m - 1].raw[i]);
            let types = f64::from(s.types());
            p = (f64::from(n_hw) + types * p) / (f64::from(s.total) + types);
        }
        p
    }
}

/// Interpolated modified Kneser–Ney smoothing (Chen & Goodman 1998, §3.5 eq. 17 with the three
/// discounts of §4.1.6, eq. 26), the recursion ending at the uniform distribution:
///
/// ```text
/// P_KN(w | h) = (c'(h w) − D(c'(h w))) / c'(h •) + γ(h) · P_KN(w | h'),
/// γ(h)        = (D1 N1(h •) + D2 N2(h •) + D3+ N3+(h •)) / c'(h •),
/// P_KN(w | ε) = (c'(w) − D(c'(w))) / c'(•) + γ(ε) / V,
/// ```
///
/// where at the model's order `n` the count `c'` is the raw count `c`, and at every lower order
/// it is the continuation count `N1+(• h w)` (how many distinct tokens precede `h w`);
/// `c'(h •) = Σ_w c'(h w)`, `N_r(h •)` is the number of `w` with `c'(h w) = r` (`N3+`: `≥ 3`),
/// and each order has its own discounts ([`Discounts::from_count_of_counts`] of that order's
/// `c'`). A context with `c'(h •) = 0` gives `P_KN(w | h')`. Every level sums to 1 over the
/// vocabulary, and every token keeps a probability `> 0`.
#[derive(Clone, Debug)]
pub struct KneserNey<'a> {
    counts: &'a NgramCounts,
    order: usize,
    discounts: Vec<Discounts>,
    stats: Vec<Vec<ContextStats>>,
}

impl<'a> KneserNey<'a> {
    /// The interpolated modified Kneser–Ney model of order `n`, with discounts estimated from
    /// the count-of-counts of each order.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] (`order`) unless `1 ≤ n ≤ counts.max_order()`.
    pub fn new(counts: &'a NgramCounts, n: usize) -> Result<Self> {
        Self::build(counts, n, None)
    }

    /// As [`KneserNey::new`], with the same given discounts `[D1, D2, D3+]` at every order
    /// (e.g. to check a hand computation).
    ///
    /// # Errors
    /// As [`KneserNey::new`]; [`Error::InvalidHyperParameter`] (`discount`) unless
    /// `0 < D_r ≤ r` for each `r`.
    pub fn with_discounts(counts: &'a NgramCounts, n: usize, d: [f64; 3]) -> Result<Self> {
        let valid = |x: f64, r: u8| x > 0.0 && x <= f64::from(r);
        if let Some((&bad, _)) = d.iter().zip(1..).find(|&(&x, r)| !valid(x, r)) {
            return Err(Error::InvalidHyperParameter {
                name: "discount",
                value: bad,
                reason: "Kneser-Ney discounts need 0 < D1 <= 1, 0 < D2 <= 2, 0 < D3+ <= 3",
            });
        }
        Self::build(counts, n, Some(d))
    }

    fn build(counts: &'a NgramCounts, n: usize, fixed: Option<[f64; 3]>) -> Result<Self> {
        check_model_order(counts, n)?;
        let mut discounts = Vec::with_capacity(n);
        let mut stats = Vec::with_capacity(n);
        for m in 1..=n {
            let o = &counts.orders[m - 1];
            let c: &[u32] = if m == n { &o.raw } else { &o.cont };
            let mut coc = [0u64; 4];
            for &x in c {
                if (1..=4).contains(&x) {
                    coc[x as usize - 1] += 1;
                }
            }
            discounts.push(match fixed {
                Some([d1, d2, d3]) => Discounts {
                    d1,
                    d2,
                    d3,
                    count_of_counts: coc,
                    estimated: false,
                },
                None => Discounts::from_count_of_counts(coc),
            });
            stats.push(context_stats(counts, m, |i| c[i]));
        }
        Ok(Self {
            counts,
            order: n,
            discounts,
            stats,
        })
    }

    /// The discounts of order `m` (`1 ≤ m ≤ n`), or `None`.
    #[must_use]
    pub fn discounts(&self, m: usize) -> Option<&Discounts> {
        m.checked_sub(1).and_then(|i| self.discounts.get(i))
    }

    fn kn_counts(&self, m: usize) -> &[u32] {
        let o = &self.counts.orders[m - 1];
        if m == self.order { &o.raw } else { &o.cont }
    }
}

impl NextToken for KneserNey<'_> {
    fn vocab_size(&self) -> usize {
        self.counts.vocab_size
    }

    fn order(&self) -> usize {
        self.order
    }

    fn prob(&self, history: &[u32], w: u32) -> f64 {
        let c = self.counts;
        let mut p = 1.0 / c.vocab_size as f64;
        let Some((hk, len)) = packed_tail(c, history, self.order) else {
            return p;
        };
        for m in 1..=len + 1 {
            let ctx = c.suffix(hk, m - 1);
            let Some(j) = c.context_index(m, ctx) else {
                continue;
            };
            let s = self.stats[m - 1][j];
            if s.total == 0 {
                continue;
            }
            let d = &self.discounts[m - 1];
            let n_hw = c
                .gram_index(m, (ctx << c.bits) | u128::from(w))
                .map_or(0, |i| self.kn_counts(m)[i]);
            let total = f64::from(s.total);
            p = (f64::from(n_hw) - d.of(n_hw)) / total + d.mass(&s) / total * p;
        }
        p
    }

    /// One pass per order over the n-grams of the context (instead of `V` lookups).
    fn distribution(&self, history: &[u32]) -> Vec<f64> {
        let c = self.counts;
        let v = c.vocab_size;
        let mut p = vec![1.0 / v as f64; v];
        let Some((hk, len)) = packed_tail(c, history, self.order) else {
            return p;
        };
        let mask = (1u128 << c.bits) - 1;
        for m in 1..=len + 1 {
            let ctx = c.suffix(hk, m - 1);
            let Some(j) = c.context_index(m, ctx) else {
                continue;
            };
            let s = self.stats[m - 1][j];
            if s.total == 0 {
                continue;
            }
            let d = &self.discounts[m - 1];
            let total = f64::from(s.total);
            let gamma = d.mass(&s) / total;
            p.iter_mut().for_each(|x| *x *= gamma);
            let counts = self.kn_counts(m);
            let keys = &c.orders[m - 1].keys;
            for i in c.run(m, ctx) {
                let ci = counts[i];
                p[(keys[i] & mask) as usize] += (f64::from(ci) - d.of(ci)) / total;
            }
        }
        p
    }
}
