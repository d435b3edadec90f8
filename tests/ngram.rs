//! n-gram count models and the character split: hand-computed examples from Chen & Goodman's
//! formulas, a slow brute-force re-implementation of every model (hash maps of n-gram vectors,
//! sums over the whole vocabulary) compared on random texts, normalisation to 1e-12 on seen and
//! unseen contexts, nanoGPT's split arithmetic, and bad input.

use std::collections::{HashMap, HashSet};

use ce_mle::Error;
use ce_mle::lm::{
    AddK, BaselineOptions, Bigram, BigramCounts, CharSplit, Discounts, FALLBACK_DISCOUNTS,
    KneserNey, MAX_VOCAB, NextToken, NgramCounts, Vocab, WittenBell, baselines, split_point,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn kind<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.expect_err("bad input is refused").kind()
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{what}: {a} vs {b} (diff {:e})",
        (a - b).abs()
    );
}

// ------------------------------------------------------------------ the split

#[test]
fn split_point_is_pythons_int_of_n_times_fraction() {
    // nanoGPT's prepare.py on Tiny Shakespeare: n = 1,115,394, int(n * 0.9) = 1,003,854.
    assert_eq!(split_point(1_115_394, 0.9), 1_003_854);
    assert_eq!(1_115_394 - split_point(1_115_394, 0.9), 111_540);
    // Python: int(10 * 0.9) == 9, int(3 * 0.9) == 2, int(20 * 0.3) == 6 (6.000000000000001),
    // int(10 * 0.7) == 7 (7.000000000000001), int(100 * 0.29) == 28 (28.999999999999996).
    assert_eq!(split_point(10, 0.9), 9);
    assert_eq!(split_point(3, 0.9), 2);
    assert_eq!(split_point(20, 0.3), 6);
    assert_eq!(split_point(10, 0.7), 7);
    assert_eq!(split_point(100, 0.29), 28);
}

#[test]
fn split_vocabulary_is_the_sorted_characters_of_the_whole_text() {
    // 10 characters cut at int(10 · 0.6) = 6: "bacab中" | "dede". 'd' and 'e' occur only in
    // the validation part and still have ids; ids follow code-point order.
    let s = CharSplit::new("bacab中dede", 0.6).unwrap();
    assert_eq!(s.vocab().chars(), ['a', 'b', 'c', 'd', 'e', '中']);
    assert_eq!(s.vocab().unknown_id(), None);
    assert_eq!(s.vocab_size(), 6);
    assert_eq!(s.train(), [1, 0, 2, 0, 1, 5]);
    assert_eq!(s.val(), [3, 4, 3, 4]);
    assert_eq!(s.decode(s.train()).unwrap(), "bacab中");
    assert_eq!(s.decode(s.val()).unwrap(), "dede");
    assert_eq!(kind(s.decode(&[6])), "InvalidValue");
}

#[test]
fn split_refuses_bad_text_and_fractions() {
    assert_eq!(kind(CharSplit::nanogpt("")), "Corpus");
    // 2 characters: int(2 · 0.9) = 1 training character.
    assert_eq!(kind(CharSplit::nanogpt("ab")), "Corpus");
    // 11 characters: int(9.9) = 9 train, 2 validate.
    assert!(CharSplit::nanogpt("abcdefghijk").is_ok());
    // 10 characters: 9 + 1, no validation prediction.
    assert_eq!(kind(CharSplit::nanogpt("abcdefghij")), "Corpus");
    for f in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert_eq!(
            kind(CharSplit::new("abcdefghijklmnop", f)),
            "InvalidHyperParameter"
        );
    }
    // More distinct characters than a vocabulary may hold.
    let many: String = (0..=MAX_VOCAB as u32)
        .map(|i| char::from_u32(0x4E00 + i).unwrap())
        .collect();
    assert_eq!(kind(CharSplit::nanogpt(&many)), "TooLarge");
}

#[test]
fn validation_characters_outside_the_vocabulary() {
    let vocab = Vocab::from_chars(&['a', 'b'], false).unwrap();
    let e = CharSplit::with_vocab("abab", "abxb", vocab.clone()).unwrap_err();
    assert_eq!(e.kind(), "Corpus");
    let msg = e.to_string();
    assert!(
        msg.contains("<validation>") && msg.contains("'x'") && msg.contains("index 2"),
        "{msg}"
    );
    assert_eq!(kind(CharSplit::with_vocab("abzb", "abab", vocab)), "Corpus");
    // With an unknown token, the policy is to map the character to it.
    let with_unk = Vocab::from_chars(&['a', 'b'], true).unwrap();
    let s = CharSplit::with_vocab("abab", "abxb", with_unk).unwrap();
    assert_eq!(s.val(), [0, 1, 2, 1]);
    assert_eq!(s.decode(s.val()).unwrap(), "ab<unk>b");
}

#[test]
fn split_of_empty_binary_or_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(kind(CharSplit::load(&empty, 0.9)), "Corpus");
    let binary = dir.path().join("binary.bin");
    std::fs::write(&binary, [0x61, 0x62, 0xFF, 0xFE, 0x00, 0x63]).unwrap();
    let e = CharSplit::load(&binary, 0.9).unwrap_err();
    assert_eq!(e.kind(), "Corpus");
    assert!(e.to_string().contains("UTF-8"), "{e}");
    assert_eq!(
        kind(CharSplit::load(&dir.path().join("none.txt"), 0.9)),
        "Io"
    );
    // Too short to split: the message names the file.
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "abcdef").unwrap();
    let e = CharSplit::load(&short, 0.9).unwrap_err();
    assert_eq!(e.kind(), "Corpus");
    assert!(e.to_string().contains("short.txt"), "{e}");
    let ok = dir.path().join("ok.txt");
    std::fs::write(&ok, "to be or not to be").unwrap();
    let s = CharSplit::load(&ok, 0.9).unwrap();
    assert_eq!((s.train().len(), s.val().len()), (16, 2));
}

// ------------------------------------------------------------------ by hand

/// "abaab" over V = 3 (a, b, c; c never occurs): the numbers in the comments are computed by
/// hand from the formulas of Chen & Goodman (interpolated Kneser–Ney with fixed discounts
/// D1 = 0.5, D2 = 1, D3+ = 1.5; Witten–Bell; add-k).
const ABAAB: [u32; 5] = [0, 1, 0, 0, 1];

#[test]
fn counts_by_hand() {
    let c = NgramCounts::new(&ABAAB, 3, 3).unwrap();
    assert_eq!((c.tokens(), c.vocab_size(), c.max_order()), (5, 3, 3));
    // Bigrams: ab ×2, ba, aa. Trigrams: aba, baa, aab.
    assert_eq!(c.count(&[0, 1]), 2);
    assert_eq!(c.count(&[1, 0]), 1);
    assert_eq!(c.count(&[0, 0]), 1);
    assert_eq!(c.count(&[1, 1]), 0);
    assert_eq!(c.count(&[0, 2]), 0);
    assert_eq!((c.distinct(1), c.distinct(2), c.distinct(3)), (2, 3, 3));
    assert_eq!(c.distinct(4), 0);
    // a is preceded by b and a; b only by a; c never occurs.
    assert_eq!(c.continuation_count(&[0]), 2);
    assert_eq!(c.continuation_count(&[1]), 1);
    assert_eq!(c.continuation_count(&[2]), 0);
    // ab occurs at 0..2 (nothing before it) and at 3..5 (after a): one left neighbour.
    assert_eq!(c.continuation_count(&[0, 1]), 1);
    // Order 3 is the highest counted: no continuation counts there.
    assert_eq!(c.continuation_count(&[0, 1, 0]), 0);
    assert_eq!(c.following(&[]), 5);
    assert_eq!(c.following(&[0]), 3);
    assert_eq!(c.following(&[1]), 1);
    assert_eq!(c.following(&[2]), 0);
    // "abc": bigrams ab (seen), bc (unseen).
    assert_eq!(c.unseen(&[0, 1, 2], 2).unwrap(), 1);
    assert_eq!(c.unseen(&[0, 1, 2], 1).unwrap(), 1);
}

#[test]
fn kneser_ney_by_hand() {
    let c = NgramCounts::new(&ABAAB, 3, 2).unwrap();
    let kn = KneserNey::with_discounts(&c, 2, [0.5, 1.0, 1.5]).unwrap();
    // Level 1, continuation counts a: 2, b: 1, c: 0 (total 3, N1 = 1, N2 = 1):
    // γ(ε) = (0.5 + 1)/3 = 1/2; P(a) = (2 − 1)/3 + 1/6 = 1/2, P(b) = (1 − 0.5)/3 + 1/6 = 1/3,
    // P(c) = 1/6.
    let level1 = [0.5, 1.0 / 3.0, 1.0 / 6.0];
    // Context a (raw counts ab: 2, aa: 1; total 3): γ(a) = 1/2;
    // P(a|a) = 0.5/3 + 1/4 = 5/12, P(b|a) = 1/3 + 1/6 = 1/2, P(c|a) = 1/12.
    // Context b (ba: 1): γ(b) = 1/2; P(a|b) = 1/2 + 1/4 = 3/4, P(b|b) = 1/6, P(c|b) = 1/12.
    // Context c: never seen, so level 1.
    let want = [
        [5.0 / 12.0, 0.5, 1.0 / 12.0],
        [0.75, 1.0 / 6.0, 1.0 / 12.0],
        level1,
    ];
    for (a, row) in want.iter().enumerate() {
        for (b, &p) in row.iter().enumerate() {
            assert_close(kn.prob(&[a as u32], b as u32), p, 1e-15, "P_KN(b|a)");
        }
    }
    // The empty history gives level 1; a longer one is cut to its last token.
    assert_close(kn.prob(&[], 0), 0.5, 1e-15, "P_KN(a)");
    assert_close(kn.prob(&[2, 2, 1], 0), 0.75, 1e-15, "P_KN(a|..b)");
    // CE of "abc": −(ln P(b|a) + ln P(c|b))/2 = (ln 2 + ln 12)/2.
    let ce = kn.cross_entropy(&[0, 1, 2]).unwrap();
    assert_close(ce, (2f64.ln() + 12f64.ln()) / 2.0, 1e-15, "CE");
    // A unigram Kneser–Ney model uses raw counts (a: 3, b: 2; N2 = 1, N3+ = 1):
    // γ = (1 + 1.5)/5 = 1/2; P(a) = 1.5/5 + 1/6 = 7/15, P(b) = 1/5 + 1/6 = 11/30, P(c) = 1/6.
    let uni = KneserNey::with_discounts(&c, 1, [0.5, 1.0, 1.5]).unwrap();
    for (w, p) in [7.0 / 15.0, 11.0 / 30.0, 1.0 / 6.0].into_iter().enumerate() {
        assert_close(uni.prob(&[1, 0], w as u32), p, 1e-15, "P_KN1(w)");
    }
}

#[test]
fn witten_bell_by_hand() {
    let c = NgramCounts::new(&ABAAB, 3, 2).unwrap();
    let wb = WittenBell::new(&c, 2).unwrap();
    // Level 1: raw a: 3, b: 2 (total 5, 2 types): P(w) = (c(w) + 2/3)/7 = 11/21, 8/21, 2/21.
    // Context a (ab: 2, aa: 1; total 3, 2 types): P(w|a) = (c(aw) + 2 P(w))/5
    //   = 43/105, 58/105, 4/105. Context b (ba: 1; 1 type): (c(bw) + P(w))/2 = 16/21, 4/21, 1/21.
    let want = [
        [43.0 / 105.0, 58.0 / 105.0, 4.0 / 105.0],
        [16.0 / 21.0, 4.0 / 21.0, 1.0 / 21.0],
        [11.0 / 21.0, 8.0 / 21.0, 2.0 / 21.0],
    ];
    for (a, row) in want.iter().enumerate() {
        for (b, &p) in row.iter().enumerate() {
            assert_close(wb.prob(&[a as u32], b as u32), p, 1e-15, "P_WB(b|a)");
        }
    }
}

#[test]
fn add_k_by_hand() {
    let c = NgramCounts::new(&ABAAB, 3, 2).unwrap();
    let laplace = AddK::new(&c, 2, 1.0).unwrap();
    assert_eq!(laplace.k(), 1.0);
    // (c(aw) + 1)/(3 + 3): 2/6, 3/6, 1/6; an unseen context: 1/3.
    for (w, p) in [1.0 / 3.0, 0.5, 1.0 / 6.0].into_iter().enumerate() {
        assert_close(laplace.prob(&[0], w as u32), p, 1e-15, "add-1");
    }
    assert_close(
        laplace.prob(&[2], 1),
        1.0 / 3.0,
        1e-15,
        "add-1, unseen context",
    );
    // k = 1/2: P(b|a) = 2.5/4.5 = 5/9; the empty history is the add-k unigram (3.5/6.5).
    let half = AddK::new(&c, 2, 0.5).unwrap();
    assert_close(half.prob(&[0], 1), 5.0 / 9.0, 1e-15, "add-1/2");
    assert_close(half.prob(&[], 0), 3.5 / 6.5, 1e-15, "add-1/2 unigram");
}

#[test]
fn discounts_from_count_of_counts_by_hand() {
    // n = (10, 4, 2, 1): Y = 10/18 = 5/9; D1 = 1 − 2·(5/9)·(4/10) = 5/9,
    // D2 = 2 − 3·(5/9)·(2/4) = 7/6, D3+ = 3 − 4·(5/9)·(1/2) = 17/9.
    let d = Discounts::from_count_of_counts([10, 4, 2, 1]);
    assert!(d.estimated);
    assert_close(d.d1, 5.0 / 9.0, 1e-15, "D1");
    assert_close(d.d2, 7.0 / 6.0, 1e-15, "D2");
    assert_close(d.d3, 17.0 / 9.0, 1e-15, "D3+");
    assert_eq!(
        (d.of(0), d.of(1), d.of(2), d.of(3), d.of(70)),
        (0.0, d.d1, d.d2, d.d3, d.d3)
    );
    // A zero count-of-counts, or D2 = 2 − 3·(1/3)·100 < 0: the fallback.
    for n in [[5, 0, 2, 1], [1, 1, 100, 1], [0, 0, 0, 0]] {
        let d = Discounts::from_count_of_counts(n);
        assert!(!d.estimated, "{n:?}");
        assert_eq!([d.d1, d.d2, d.d3], FALLBACK_DISCOUNTS);
        assert_eq!(d.count_of_counts, n);
    }
}

// ------------------------------------------------------------------ the brute-force oracle

/// Every model's formula, written the slow and obvious way: counts in hash maps keyed by
/// n-gram vectors, continuation counts as sets of left neighbours, context totals and
/// count-of-counts as sums over the whole vocabulary.
struct Oracle {
    v: usize,
    raw: HashMap<Vec<u32>, u64>,
    left: HashMap<Vec<u32>, HashSet<u32>>,
}

impl Oracle {
    fn new(tokens: &[u32], v: usize, max_order: usize) -> Self {
        let mut raw = HashMap::new();
        let mut left: HashMap<Vec<u32>, HashSet<u32>> = HashMap::new();
        for m in 1..=max_order {
            for i in 0..tokens.len().saturating_sub(m - 1) {
                let g = tokens[i..i + m].to_vec();
                *raw.entry(g.clone()).or_insert(0) += 1;
                if i > 0 && m < max_order {
                    left.entry(g).or_default().insert(tokens[i - 1]);
                }
            }
        }
        Self { v, raw, left }
    }

    fn raw(&self, g: &[u32]) -> u64 {
        self.raw.get(g).copied().unwrap_or(0)
    }

    fn cont(&self, g: &[u32]) -> u64 {
        self.left.get(g).map_or(0, |s| s.len() as u64)
    }

    fn with(ctx: &[u32], w: u32) -> Vec<u32> {
        let mut g = ctx.to_vec();
        g.push(w);
        g
    }

    fn tail(h: &[u32], n: usize) -> &[u32] {
        &h[h.len().saturating_sub(n - 1)..]
    }

    /// The count Kneser–Ney uses at level m of a model of order n.
    fn kn_count(&self, n: usize, g: &[u32]) -> u64 {
        if g.len() == n {
            self.raw(g)
        } else {
            self.cont(g)
        }
    }

    fn discounts(&self, n: usize, m: usize) -> [f64; 3] {
        let mut coc = [0f64; 4];
        for g in self.raw.keys().filter(|g| g.len() == m) {
            let c = self.kn_count(n, g);
            if (1..=4).contains(&c) {
                coc[c as usize - 1] += 1.0;
            }
        }
        let [n1, n2, n3, n4] = coc;
        if coc.contains(&0.0) {
            return [0.5, 1.0, 1.5];
        }
        let y = n1 / (n1 + 2.0 * n2);
        let d = [
            1.0 - 2.0 * y * n2 / n1,
            2.0 - 3.0 * y * n3 / n2,
            3.0 - 4.0 * y * n4 / n3,
        ];
        if d[0] > 0.0 && d[0] <= 1.0 && d[1] > 0.0 && d[1] <= 2.0 && d[2] > 0.0 && d[2] <= 3.0 {
            d
        } else {
            [0.5, 1.0, 1.5]
        }
    }

    fn kn(&self, n: usize, history: &[u32], w: u32) -> f64 {
        self.kn_level(n, Self::tail(history, n), w)
    }

    fn kn_level(&self, n: usize, ctx: &[u32], w: u32) -> f64 {
        let lower = if ctx.is_empty() {
            1.0 / self.v as f64
        } else {
            self.kn_level(n, &ctx[1..], w)
        };
        let cs: Vec<u64> = (0..self.v as u32)
            .map(|x| self.kn_count(n, &Self::with(ctx, x)))
            .collect();
        let total: u64 = cs.iter().sum();
        if total == 0 {
            return lower;
        }
        let d = self.discounts(n, ctx.len() + 1);
        let disc = |c: u64| match c {
            0 => 0.0,
            1 => d[0],
            2 => d[1],
            _ => d[2],
        };
        let freed: f64 = cs.iter().map(|&c| disc(c)).sum();
        let c = cs[w as usize];
        (c as f64 - disc(c)) / total as f64 + freed / total as f64 * lower
    }

    fn wb(&self, n: usize, history: &[u32], w: u32) -> f64 {
        self.wb_level(Self::tail(history, n), w)
    }

    fn wb_level(&self, ctx: &[u32], w: u32) -> f64 {
        let lower = if ctx.is_empty() {
            1.0 / self.v as f64
        } else {
            self.wb_level(&ctx[1..], w)
        };
        let cs: Vec<u64> = (0..self.v as u32)
            .map(|x| self.raw(&Self::with(ctx, x)))
            .collect();
        let total: u64 = cs.iter().sum();
        if total == 0 {
            return lower;
        }
        let types = cs.iter().filter(|&&c| c > 0).count() as f64;
        (cs[w as usize] as f64 + types * lower) / (total as f64 + types)
    }

    fn add_k(&self, n: usize, k: f64, history: &[u32], w: u32) -> f64 {
        let h = Self::tail(history, n);
        let total: u64 = (0..self.v as u32)
            .map(|x| self.raw(&Self::with(h, x)))
            .sum();
        (self.raw(&Self::with(h, w)) as f64 + k) / (total as f64 + k * self.v as f64)
    }
}

/// The oracle's `P(w | history)` of one model.
type OracleProb<'a> = dyn Fn(&[u32], u32) -> f64 + 'a;

/// A random text over `v` tokens with skewed frequencies (the last token is often absent).
fn random_text(r: &mut ChaCha8Rng, v: usize, len: usize) -> Vec<u32> {
    (0..len)
        .map(|_| {
            let x: f64 = r.random();
            ((x * x * x) * v as f64) as u32
        })
        .collect()
}

/// Histories to probe: contexts that occur in the text (and so are seen), random ones of
/// every length (mostly unseen), and the empty one.
fn histories(r: &mut ChaCha8Rng, text: &[u32], v: usize) -> Vec<Vec<u32>> {
    let mut hs = vec![Vec::new()];
    for _ in 0..6 {
        let end = r.random_range(0..=text.len());
        let len = r.random_range(0..=end.min(6));
        hs.push(text[end - len..end].to_vec());
    }
    for len in 1..=6 {
        hs.push((0..len).map(|_| r.random_range(0..v as u32)).collect());
    }
    hs
}

#[test]
fn counts_agree_with_brute_force() {
    let mut r = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..40 {
        let v = r.random_range(1..=7);
        let len = r.random_range(1..=120);
        let max_order = r.random_range(1..=5);
        let text = random_text(&mut r, v, len);
        let c = NgramCounts::new(&text, v, max_order).unwrap();
        let o = Oracle::new(&text, v, max_order);
        for m in 1..=max_order {
            let distinct = o.raw.keys().filter(|g| g.len() == m).count();
            assert_eq!(c.distinct(m), distinct, "distinct {m}-grams of {text:?}");
        }
        for g in o.raw.keys() {
            assert_eq!(c.count(g), o.raw(g), "c({g:?}) in {text:?}");
            assert_eq!(
                c.continuation_count(g),
                o.cont(g),
                "N1+(•{g:?}) in {text:?}"
            );
        }
        for h in histories(&mut r, &text, v) {
            let h = &h[..h.len().min(max_order - 1)];
            let total: u64 = (0..v as u32).map(|x| o.raw(&Oracle::with(h, x))).sum();
            assert_eq!(c.following(h), total, "c({h:?} •)");
        }
        let probe = random_text(&mut r, v, 30);
        for n in 1..=max_order {
            let unseen = (1..probe.len())
                .filter(|&t| o.raw(&probe[t.saturating_sub(n - 1)..=t]) == 0)
                .count();
            assert_eq!(c.unseen(&probe, n).unwrap(), unseen);
        }
    }
}

/// Every model against the oracle, for every token after every probed history, and every
/// distribution summing to 1 within 1e-12 (seen and unseen contexts alike), with every
/// probability > 0.
#[test]
fn models_agree_with_brute_force_and_sum_to_one() {
    let mut r = ChaCha8Rng::seed_from_u64(7);
    for case in 0..60 {
        let v = r.random_range(2..=6);
        let len = r.random_range(1..=150);
        let max_order = r.random_range(1..=5);
        let text = random_text(&mut r, v, len);
        let c = NgramCounts::new(&text, v, max_order).unwrap();
        let o = Oracle::new(&text, v, max_order);
        let k = r.random_range(0.01..2.0);
        let hs = histories(&mut r, &text, v);
        for n in 1..=max_order {
            let kn = KneserNey::new(&c, n).unwrap();
            let wb = WittenBell::new(&c, n).unwrap();
            let ak = AddK::new(&c, n, k).unwrap();
            let models: [(&str, &dyn NextToken, &OracleProb); 3] = [
                ("KN", &kn, &|h, w| o.kn(n, h, w)),
                ("WB", &wb, &|h, w| o.wb(n, h, w)),
                ("add-k", &ak, &|h, w| o.add_k(n, k, h, w)),
            ];
            for (name, model, oracle) in models {
                assert_eq!((model.order(), model.vocab_size()), (n, v));
                for h in &hs {
                    let dist = model.distribution(h);
                    let mut sum = 0.0;
                    for w in 0..v as u32 {
                        let p = model.prob(h, w);
                        let what = format!("case {case} {name} n={n} P({w}|{h:?}) text {text:?}");
                        assert!(p > 0.0, "{what}");
                        assert_close(p, oracle(h, w), 1e-12, &what);
                        assert_close(dist[w as usize], p, 1e-12, &what);
                        sum += p;
                    }
                    assert_close(sum, 1.0, 1e-12, &format!("{name} n={n} Σ P(·|{h:?})"));
                    assert_close(dist.iter().sum(), 1.0, 1e-12, "Σ distribution");
                }
                // The cross-entropy is the mean surprisal of the oracle's probabilities.
                let eval = random_text(&mut r, v, 40);
                let want = (1..eval.len())
                    .map(|t| -oracle(&eval[t.saturating_sub(n - 1)..t], eval[t]).ln())
                    .sum::<f64>()
                    / (eval.len() - 1) as f64;
                assert_close(model.cross_entropy(&eval).unwrap(), want, 1e-12, name);
            }
            // The estimated discounts are the oracle's.
            for m in 1..=n {
                let d = kn.discounts(m).unwrap();
                let want = o.discounts(n, m);
                assert_close(d.d1, want[0], 1e-15, "D1");
                assert_close(d.d2, want[1], 1e-15, "D2");
                assert_close(d.d3, want[2], 1e-15, "D3+");
            }
        }
    }
}

/// A larger vocabulary and longer text (every order up to 6 of a 2000-token text over 300
/// symbols, so ids need 9 bits and keys up to 54 bits): sums to 1 on seen and unseen contexts.
#[test]
fn kneser_ney_sums_to_one_with_a_large_vocabulary() {
    let mut r = ChaCha8Rng::seed_from_u64(3);
    let v = 300;
    let text = random_text(&mut r, v, 2000);
    let c = NgramCounts::new(&text, v, 6).unwrap();
    for n in [2, 4, 6] {
        let kn = KneserNey::new(&c, n).unwrap();
        let wb = WittenBell::new(&c, n).unwrap();
        for h in histories(&mut r, &text, v) {
            let s_kn: f64 = (0..v as u32).map(|w| kn.prob(&h, w)).sum();
            let s_wb: f64 = (0..v as u32).map(|w| wb.prob(&h, w)).sum();
            assert_close(s_kn, 1.0, 1e-12, "Σ P_KN");
            assert_close(s_wb, 1.0, 1e-12, "Σ P_WB");
            assert_close(
                kn.distribution(&h).iter().sum(),
                1.0,
                1e-12,
                "Σ KN distribution",
            );
        }
    }
}

// ------------------------------------------------------------------ the baselines

/// The bigram MLE of the baselines against the dense counting bigram of `lm::Bigram` (another
/// implementation): infinite when a validation bigram is new, the same number otherwise.
#[test]
fn bigram_mle_baseline_agrees_with_the_counting_bigram() {
    // 20 characters cut at 16: the validation bigrams of "aaab" all occur in training; those
    // of "aacc" do not ('c' is not even a training character).
    let seen = "aabbaabbabababbbaaab";
    let new = "aabbaabbabababbbaacc";
    let opts = BaselineOptions {
        max_order: 3,
        ..BaselineOptions::default()
    };
    for (text, infinite) in [(seen, false), (new, true)] {
        let split = CharSplit::new(text, 0.8).unwrap();
        let b = baselines(&split, &opts).unwrap();
        let vocab = split.vocab().clone();
        let cut = split.train().len();
        let train: String = text.chars().take(cut).collect();
        let val: String = text.chars().skip(cut).collect();
        let dense = Bigram::counting(&BigramCounts::from_text(&train, vocab).unwrap());
        let ce = dense.cross_entropy_on(&val).unwrap();
        assert_eq!(b.bigram_mle.unseen > 0, infinite, "{text}");
        match b.bigram_mle.cross_entropy {
            None => assert!(ce.is_infinite()),
            Some(x) => assert_close(x, ce, 1e-12, "MLE CE"),
        }
        assert_eq!(
            (b.train_chars, b.val_chars, b.vocab_size),
            (16, 4, vocab_len(text))
        );
        assert_eq!(b.orders.len(), 3);
        // Add-one is the k = 1 model; the grid held the chosen k.
        let counts = NgramCounts::new(split.train(), split.vocab_size(), 2).unwrap();
        let add_one = AddK::new(&counts, 2, 1.0)
            .unwrap()
            .cross_entropy(split.val())
            .unwrap();
        assert_close(b.bigram_add_one, add_one, 0.0, "add-one");
        assert!(b.bigram_add_k.grid.iter().any(|g| g[0] == b.bigram_add_k.k));
        let min = b
            .bigram_add_k
            .grid
            .iter()
            .map(|g| g[1])
            .fold(f64::INFINITY, f64::min);
        assert_eq!(b.bigram_add_k.heldout_cross_entropy, min);
        assert_close(b.uniform, (b.vocab_size as f64).ln(), 0.0, "ln V");
    }
}

fn vocab_len(text: &str) -> usize {
    text.chars().collect::<HashSet<char>>().len()
}

// ------------------------------------------------------------------ bad input

#[test]
fn counts_refuse_bad_input() {
    assert_eq!(kind(NgramCounts::new(&[], 3, 2)), "Empty");
    assert_eq!(kind(NgramCounts::new(&[0, 0], 0, 2)), "Empty");
    assert_eq!(
        kind(NgramCounts::new(&[0, 1], 3, 0)),
        "InvalidHyperParameter"
    );
    // 65 tokens need 7 bits: at most 18 per 128-bit key.
    assert!(NgramCounts::new(&[0, 1], 65, 18).is_ok());
    assert_eq!(kind(NgramCounts::new(&[0, 1], 65, 19)), "TooLarge");
    let e = NgramCounts::new(&[0, 1, 5, 2], 3, 2).unwrap_err();
    assert_eq!(e.kind(), "InvalidValue");
    assert!(e.to_string().contains("tokens[2, 0] = 5"), "{e}");
    let c = NgramCounts::new(&[0, 1, 2], 3, 2).unwrap();
    assert_eq!(kind(c.unseen(&[0, 1], 3)), "InvalidHyperParameter");
    assert_eq!(kind(c.unseen(&[0, 9], 2)), "InvalidValue");
}

#[test]
fn models_refuse_bad_orders_and_parameters() {
    let c = NgramCounts::new(&ABAAB, 3, 3).unwrap();
    for n in [0, 4] {
        assert_eq!(kind(KneserNey::new(&c, n)), "InvalidHyperParameter");
        assert_eq!(kind(WittenBell::new(&c, n)), "InvalidHyperParameter");
        assert_eq!(kind(AddK::new(&c, n, 1.0)), "InvalidHyperParameter");
    }
    for k in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(kind(AddK::new(&c, 2, k)), "InvalidHyperParameter");
    }
    for d in [
        [0.0, 1.0, 1.5],
        [0.5, 2.5, 1.5],
        [1.1, 1.0, 1.0],
        [0.5, 1.0, f64::NAN],
    ] {
        assert_eq!(
            kind(KneserNey::with_discounts(&c, 2, d)),
            "InvalidHyperParameter"
        );
    }
}

#[test]
fn cross_entropy_refuses_short_or_out_of_vocabulary_tokens() {
    let c = NgramCounts::new(&ABAAB, 3, 2).unwrap();
    let kn = KneserNey::new(&c, 2).unwrap();
    assert_eq!(kind(kn.cross_entropy(&[])), "Corpus");
    assert_eq!(kind(kn.cross_entropy(&[0])), "Corpus");
    assert_eq!(kind(kn.cross_entropy(&[0, 3])), "InvalidValue");
    let wb = WittenBell::new(&c, 2).unwrap();
    assert_eq!(kind(wb.cross_entropy(&[7, 0])), "InvalidValue");
}

#[test]
fn baseline_options_out_of_range() {
    let split = CharSplit::nanogpt("to be or not to be, that is the question").unwrap();
    let bad = [
        BaselineOptions {
            max_order: 0,
            ..BaselineOptions::default()
        },
        BaselineOptions {
            k_grid: vec![],
            ..BaselineOptions::default()
        },
        BaselineOptions {
            k_grid: vec![1.0, 0.0],
            ..BaselineOptions::default()
        },
        BaselineOptions {
            heldout_fraction: 1.0,
            ..BaselineOptions::default()
        },
        BaselineOptions {
            heldout_fraction: f64::NAN,
            ..BaselineOptions::default()
        },
    ];
    for opts in bad {
        assert_eq!(
            kind(baselines(&split, &opts)),
            "InvalidHyperParameter",
            "{opts:?}"
        );
    }
    let ok = baselines(&split, &BaselineOptions::default()).unwrap();
    assert_eq!(ok.orders.len(), 8);
}
