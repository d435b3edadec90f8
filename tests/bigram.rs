//! T11: the bigram language model. The counting MLE against hand-computed values and statrs;
//! the gradient-trained model converging to it; perplexity = exp(CE); bad input.
//!
//! Heavy checks (a 10 MB generated text, the books' corpus) run only with `CE_MLE_HEAVY=1`,
//! best in release: `CE_MLE_HEAVY=1 cargo test --release --test lib bigram::heavy -- --nocapture`.

use ce_mle::Error;
use ce_mle::lm::{
    Bigram, BigramCounts, BigramOptions, TrainOptions, UNKNOWN_LABEL, Vocab, compare_fits,
};
use nalgebra::DMatrix;
use statrs::distribution::{Categorical, Discrete};

fn counts_of(text: &str) -> BigramCounts {
    BigramCounts::from_text(text, Vocab::from_text(text, 2048).unwrap()).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

const EN: &str = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat.";
const ZH: &str = "交叉熵就是最大似然。最大似然就是交叉熵。熵是平均的惊讶。";

/// "aabab": bigrams aa, ab, ba, ab. By hand: n(a,a) = 1, n(a,b) = 2, n(b,a) = 1, n(b,b) = 0,
/// n(a) = 3, n(b) = 1, M = 4; P(a|a) = 1/3, P(b|a) = 2/3, P(a|b) = 1, P(b|b) = 0;
/// CE = −(ln 1/3 + 2 ln 2/3 + ln 1)/4 = (3 ln 3 − 2 ln 2)/4; perplexity = (27/4)^(1/4).
#[test]
fn counting_mle_by_hand() {
    let counts = counts_of("aabab");
    assert_eq!(counts.vocab().chars(), ['a', 'b']);
    assert_eq!(counts.vocab().unknown_id(), None);
    assert_eq!((counts.tokens(), counts.bigrams()), (5, 4));
    assert_eq!(
        counts.to_matrix(),
        DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 1.0, 0.0])
    );
    assert_eq!(counts.context_count(0), Some(3));
    assert_eq!(counts.context_count(1), Some(1));
    let m = Bigram::counting(&counts);
    let p = m.probabilities();
    let expected = [[1.0 / 3.0, 2.0 / 3.0], [1.0, 0.0]];
    for (a, row) in expected.iter().enumerate() {
        for (b, &e) in row.iter().enumerate() {
            assert!(close(p[(a, b)], e, 1e-15), "P({b}|{a}) = {}", p[(a, b)]);
        }
    }
    assert_eq!(m.log_prob(1, 1), Some(f64::NEG_INFINITY));
    assert!(close(m.prob('a', 'b').unwrap(), 2.0 / 3.0, 1e-15));
    let ce = (3.0 * 3f64.ln() - 2.0 * 2f64.ln()) / 4.0;
    assert!(close(m.cross_entropy_counts(&counts).unwrap(), ce, 1e-15));
    assert!(close(m.cross_entropy_on("aabab").unwrap(), ce, 1e-15));
    assert!(close(
        m.perplexity_on("aabab").unwrap(),
        6.75f64.powf(0.25),
        1e-14
    ));
    // An unseen bigram has probability 0 under the unsmoothed MLE: CE = +∞.
    assert_eq!(m.cross_entropy_on("abb").unwrap(), f64::INFINITY);
}

/// "aabac": c is never a left token, so the counting model (and the trained model) give it
/// the uniform distribution 1/3.
#[test]
fn unseen_context_is_uniform() {
    let counts = counts_of("aabac");
    assert_eq!(counts.context_count(2), Some(0));
    let m = Bigram::counting(&counts);
    for b in 0..3 {
        assert!(close(m.log_prob(2, b).unwrap(), -(3f64.ln()), 1e-15));
        assert!(close(m.log_prob(0, b).unwrap(), -(3f64.ln()), 1e-15));
    }
    let t = Bigram::fit_gradient(&counts, &TrainOptions::default(), &mut |_| {}).unwrap();
    assert!(t.converged);
    for b in 0..3 {
        assert_eq!(t.logits[(2, b)], 0.0);
        assert!(close(t.model.log_prob(2, b).unwrap(), -(3f64.ln()), 1e-15));
    }
}

#[test]
fn statrs_categorical_agrees_with_counting() {
    let counts = counts_of(EN);
    let m = Bigram::counting(&counts);
    let v = counts.vocab().len();
    let mut checked = 0;
    for a in 0..v {
        if counts.context_count(a) == Some(0) {
            continue;
        }
        let row: Vec<f64> = counts.row(a).unwrap().iter().map(|&k| k as f64).collect();
        let cat = Categorical::new(&row).unwrap();
        for (b, &k) in row.iter().enumerate() {
            let ours = m.log_prob(a, b).unwrap();
            let theirs = cat.ln_pmf(b as u64);
            if k > 0.0 {
                assert!(close(ours, theirs, 1e-12), "({a},{b}): {ours} vs {theirs}");
                checked += 1;
            } else {
                assert_eq!((ours, theirs), (f64::NEG_INFINITY, f64::NEG_INFINITY));
            }
        }
    }
    assert!(checked > 20);
}

fn assert_converges(text: &str) {
    let counts = counts_of(text);
    let counting = Bigram::counting(&counts);
    let opts = TrainOptions::default();
    let t = Bigram::fit_gradient(&counts, &opts, &mut |_| {}).unwrap();
    assert!(
        t.converged,
        "gap {} after {} steps",
        t.final_gap, t.iterations
    );
    assert!(t.iterations > 0 && t.iterations < opts.max_iters);
    assert!(t.final_gap < opts.tolerance && t.final_gap >= -1e-12);
    assert_eq!(t.gaps.len(), t.iterations + 1);
    let ce_count = counting.cross_entropy_counts(&counts).unwrap();
    let ce_trained = t.model.cross_entropy_counts(&counts).unwrap();
    let kl = t.model.mean_kl_from_counts(&counts).unwrap();
    // The identity CE(model) − CE(MLE) = Σ_a (n(a)/M) KL(P̂_a ‖ P_a).
    assert!(
        close(kl, ce_trained - ce_count, 1e-9),
        "{kl} vs {}",
        ce_trained - ce_count
    );
    assert!(close(t.final_gap, ce_trained - ce_count, 1e-9));
    // The trained probabilities approach the counting ones, context by context (weighted KL
    // below 1e-4 bounds each frequent context's total variation via Pinsker).
    let (p, q) = (counting.probabilities(), t.model.probabilities());
    let m = counts.bigrams() as f64;
    for a in 0..counts.vocab().len() {
        let w = counts.context_count(a).unwrap() as f64 / m;
        if w >= 0.05 {
            let tv: f64 = (0..p.ncols()).map(|b| (p[(a, b)] - q[(a, b)]).abs()).sum();
            assert!(tv < 0.1, "context {a}: total variation {tv}");
        }
    }
}

#[test]
fn trained_model_converges_to_counting_mle_english() {
    assert_converges(EN);
}

#[test]
fn trained_model_converges_to_counting_mle_chinese() {
    assert_converges(ZH);
}

#[test]
fn chinese_counts_by_hand() {
    let counts = counts_of(ZH);
    let id = |c| counts.vocab().id(c).unwrap();
    // "最大" occurs twice and "最" is always followed by "大".
    assert_eq!(counts.count(id('最'), id('大')), Some(2));
    assert_eq!(counts.context_count(id('最')), Some(2));
    // "熵" is followed by "就", "。", "是" once each.
    assert_eq!(counts.context_count(id('熵')), Some(3));
    let m = Bigram::counting(&counts);
    assert!(close(m.prob('最', '大').unwrap(), 1.0, 0.0));
    assert!(close(m.prob('熵', '是').unwrap(), 1.0 / 3.0, 1e-15));
    assert_eq!(counts.tokens(), ZH.chars().count() as u64);
}

#[test]
fn perplexity_is_exp_cross_entropy() {
    let r = compare_fits(EN, &BigramOptions::default(), &mut |_| {}).unwrap();
    let rep = &r.report;
    assert!(close(rep.perplexity_counting, rep.ce_counting.exp(), 0.0));
    assert!(close(rep.perplexity_trained, rep.ce_trained.exp(), 0.0));
    assert!(close(rep.mean_kl, rep.ce_trained - rep.ce_counting, 1e-9));
    for model in [&r.counting, &r.training.model] {
        let ce = model.cross_entropy_on(EN).unwrap();
        assert!(close(model.perplexity_on(EN).unwrap(), ce.exp(), 1e-12));
        assert!(close(
            ce,
            model.cross_entropy_counts(&r.counts).unwrap(),
            1e-12
        ));
    }
    // A uniform model (all logits 0) has perplexity V.
    let v = r.counts.vocab().len();
    let uniform = Bigram::from_logits(r.counts.vocab().clone(), &DMatrix::zeros(v, v)).unwrap();
    assert!(close(uniform.perplexity_on(EN).unwrap(), v as f64, 1e-9));
}

/// The counting model minimises the CE: every other model is at least as bad, by exactly its
/// mean KL from the MLE.
#[test]
fn counting_mle_is_the_minimum() {
    let counts = counts_of(EN);
    let counting = Bigram::counting(&counts);
    let best = counting.cross_entropy_counts(&counts).unwrap();
    assert!(close(
        counting.mean_kl_from_counts(&counts).unwrap(),
        0.0,
        0.0
    ));
    let v = counts.vocab().len();
    let mut models = Vec::new();
    for max_iters in [0, 1, 5, 50, 2000] {
        let opts = TrainOptions {
            max_iters,
            ..TrainOptions::default()
        };
        models.push(
            Bigram::fit_gradient(&counts, &opts, &mut |_| {})
                .unwrap()
                .model,
        );
    }
    // Deterministic pseudo-random logits.
    let mut s = 12345u64;
    for _ in 0..5 {
        let z = DMatrix::from_fn(v, v, |_, _| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 8.0
        });
        models.push(Bigram::from_logits(counts.vocab().clone(), &z).unwrap());
    }
    for m in &models {
        let ce = m.cross_entropy_counts(&counts).unwrap();
        let kl = m.mean_kl_from_counts(&counts).unwrap();
        assert!(ce >= best, "{ce} < {best}");
        assert!(kl >= 0.0);
        assert!(close(ce - best, kl, 1e-9), "{} vs {kl}", ce - best);
    }
    // max_iters = 0 is the uniform start: CE = ln V.
    let ce0 = models[0].cross_entropy_counts(&counts).unwrap();
    assert!(close(ce0, (v as f64).ln(), 1e-12));
}

#[test]
fn training_gap_decreases_overall() {
    let counts = counts_of(EN);
    let t = Bigram::fit_gradient(&counts, &TrainOptions::default(), &mut |_| {}).unwrap();
    let g = &t.gaps;
    assert!(g[0] > 1.0 && g[g.len() - 1] < 1e-4);
    assert!(g[10] < g[0] && g[50.min(g.len() - 1)] < g[10]);
}

#[test]
fn vocabulary_cap_uses_unknown_token() {
    // Frequencies: e ×5, d ×4, c ×3, b ×3, a ×1, and 50 CJK characters once each.
    let mut text = String::from("eeeeeddddcccbbba");
    text.extend((0..50).map(|i| char::from_u32(0x4E00 + i).unwrap()));
    let vocab = Vocab::from_text(&text, 4).unwrap();
    // Keep the 3 most frequent: e, d, then b (tied with c: the smaller code point wins);
    // sorted; the unknown token last.
    assert_eq!(vocab.chars(), ['b', 'd', 'e']);
    assert_eq!(vocab.len(), 4);
    assert_eq!(vocab.unknown_id(), Some(3));
    assert_eq!(vocab.distinct_chars(), 55);
    assert_eq!(vocab.id('c'), Some(3));
    assert_eq!(vocab.id('a'), Some(3));
    assert_eq!(vocab.id('丁'), Some(3));
    assert_eq!(vocab.label(3).as_deref(), Some(UNKNOWN_LABEL));
    assert_eq!(vocab.label(0).as_deref(), Some("b"));
    assert_eq!(vocab.label(4), None);
    let opts = BigramOptions {
        max_vocab: 4,
        ..BigramOptions::default()
    };
    let r = compare_fits(&text, &opts, &mut |_| {}).unwrap();
    assert!(r.report.unknown_token && r.report.vocab_size == 4);
    assert!(r.report.converged);
    // Unseen characters map to the unknown token: finite CE for the trained model.
    assert!(
        r.training
            .model
            .cross_entropy_on("xyz交")
            .unwrap()
            .is_finite()
    );
    // A huge vocabulary is capped at the default 2048.
    let many: String = (0..5000)
        .map(|i| char::from_u32(0x4E00 + i).unwrap())
        .collect();
    let big = Vocab::from_text(&many, ce_mle::lm::DEFAULT_MAX_VOCAB).unwrap();
    assert_eq!(big.len(), 2048);
    assert_eq!(big.chars().len(), 2047);
    assert_eq!(big.chars()[2046], char::from_u32(0x4E00 + 2046).unwrap());
}

#[test]
fn bad_inputs_give_typed_errors() {
    let no_bigram = |r: ce_mle::Result<_>| match r {
        Err(Error::Corpus { reason, .. }) => assert!(reason.contains("bigram"), "{reason}"),
        Err(e) => panic!("expected Error::Corpus, got {e:?}"),
        Ok(_) => panic!("expected Error::Corpus, got Ok"),
    };
    no_bigram(compare_fits("x", &BigramOptions::default(), &mut |_| {}).map(|_| ()));
    no_bigram(compare_fits("熵", &BigramOptions::default(), &mut |_| {}).map(|_| ()));
    no_bigram(compare_fits("", &BigramOptions::default(), &mut |_| {}).map(|_| ()));
    let v = Vocab::from_text("ab", 16).unwrap();
    no_bigram(BigramCounts::from_text("a", v.clone()).map(|_| ()));
    let m = Bigram::counting(&counts_of("abab"));
    no_bigram(m.cross_entropy_on("a").map(|_| ()));
    // A character outside a vocabulary without unknown token.
    assert!(matches!(
        BigramCounts::from_text("abc", v.clone()),
        Err(Error::Corpus { .. })
    ));
    assert!(matches!(
        m.cross_entropy_on("abc"),
        Err(Error::Corpus { .. })
    ));
    assert!(matches!(v.encode("ac"), Err(Error::Corpus { .. })));
    assert_eq!(v.encode("ba").unwrap(), [1, 0]);
    // Options.
    assert!(matches!(
        Vocab::from_text("abc", 1),
        Err(Error::InvalidHyperParameter {
            name: "max_vocab",
            ..
        })
    ));
    assert!(matches!(Vocab::from_text("", 8), Err(Error::Empty(_))));
    let counts = counts_of("abab");
    for (lr, tolerance) in [(0.0, 1e-4), (f64::NAN, 1e-4), (0.1, 0.0), (0.1, -1.0)] {
        let opts = TrainOptions {
            lr,
            tolerance,
            ..TrainOptions::default()
        };
        assert!(matches!(
            Bigram::fit_gradient(&counts, &opts, &mut |_| {}),
            Err(Error::InvalidHyperParameter { .. })
        ));
    }
    // Logits of the wrong shape, NaN logits, a row of −∞.
    let vocab = counts.vocab().clone();
    assert!(matches!(
        Bigram::from_logits(vocab.clone(), &DMatrix::zeros(2, 3)),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut z = DMatrix::zeros(2, 2);
    z[(0, 1)] = f64::NAN;
    assert!(matches!(
        Bigram::from_logits(vocab.clone(), &z),
        Err(Error::InvalidValue { .. })
    ));
    z[(0, 1)] = 0.0;
    z[(1, 0)] = f64::NEG_INFINITY;
    z[(1, 1)] = f64::NEG_INFINITY;
    assert!(matches!(
        Bigram::from_logits(vocab, &z),
        Err(Error::AllNegInfRow { row: 1 })
    ));
    // Counts of another vocabulary.
    assert!(matches!(
        m.cross_entropy_counts(&counts_of("abc")),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn report_renders_a_fixed_table() {
    let r = compare_fits("aabab", &BigramOptions::default(), &mut |_| {}).unwrap();
    let text = r.report.render();
    assert_eq!(text, r.report.to_string());
    assert_eq!(
        text,
        compare_fits("aabab", &BigramOptions::default(), &mut |_| {})
            .unwrap()
            .report
            .render()
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 15);
    // CE of the counting model by hand: (3 ln 3 − 2 ln 2)/4 = 0.477386 nats; exp = 1.611855.
    let expect = [
        "quantity                           value",
        "tokens T                               5",
        "bigrams M = T - 1                      4",
        "vocabulary V                           2",
        "CE counting MLE (nats/token)    0.477386",
        "perplexity counting MLE         1.611855",
        "tolerance (nats)                  1.0e-4",
        "converged                            yes",
    ];
    for e in expect {
        assert!(lines.contains(&e), "missing line {e:?} in\n{text}");
    }
}

/// Deterministic ~`bytes`-byte mixed Chinese/English text (splitmix64): English sentences from
/// a small lexicon, Chinese sentences from a lexicon of 4000 words over 3500 CJK characters
/// (skewed frequencies, so more than 2048 distinct characters and a long tail).
fn mixed_text(bytes: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    const WORDS: &[&str] = &[
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "it",
        "for",
        "as",
        "with",
        "we",
        "entropy",
        "cross",
        "likelihood",
        "maximum",
        "model",
        "loss",
        "probability",
        "data",
        "gradient",
        "softmax",
        "logits",
        "class",
        "sample",
        "mean",
        "log",
        "minimise",
        "token",
        "bigram",
        "text",
        "train",
        "step",
        "learning",
        "rate",
        "equal",
        "proof",
        "distribution",
        "estimate",
        "count",
        "sum",
        "nats",
        "bits",
        "theorem",
        "book",
        "chapter",
        "code",
        "test",
    ];
    let cjk = |u: f64| char::from_u32(0x4E00 + (3500.0 * u * u * u) as u32).unwrap_or('中');
    let lexicon: Vec<String> = (0..4000)
        .map(|_| {
            let len = 1 + (next() * 3.0) as usize;
            (0..len).map(|_| cjk(next())).collect()
        })
        .collect();
    let mut out = String::with_capacity(bytes + 256);
    let mut sentences = 0;
    while out.len() < bytes {
        if next() < 0.5 {
            let n = 6 + (next() * 9.0) as usize;
            for i in 0..n {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(WORDS[(WORDS.len() as f64 * next() * next()) as usize]);
            }
            out.push_str(". ");
        } else {
            let n = 4 + (next() * 9.0) as usize;
            for i in 0..n {
                if i > 0 && next() < 0.15 {
                    out.push('，');
                }
                out.push_str(&lexicon[(lexicon.len() as f64 * next() * next()) as usize]);
            }
            out.push('。');
        }
        sentences += 1;
        if sentences % 5 == 0 {
            out.push('\n');
        }
    }
    out
}

/// 10 MB of mixed Chinese/English text through the whole pipeline (file → report).
#[test]
#[ignore = "10 MB through the whole pipeline takes minutes in a test build: `cargo test --release -- --ignored heavy`"]
fn heavy_10mb_mixed_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed10mb.txt");
    let t0 = std::time::Instant::now();
    std::fs::write(&path, mixed_text(10 * 1024 * 1024, 42)).unwrap();
    let t1 = std::time::Instant::now();
    let text = ce_mle::corpus::load_corpus(&path).unwrap();
    let vocab = Vocab::from_text(&text, ce_mle::lm::DEFAULT_MAX_VOCAB).unwrap();
    let counts = BigramCounts::from_text(&text, vocab).unwrap();
    let t2 = std::time::Instant::now();
    let r = compare_fits(&text, &BigramOptions::default(), &mut |_| {}).unwrap();
    let t3 = std::time::Instant::now();
    eprintln!(
        "10 MB mixed text ({} bytes): generate {:.2?}, load + vocab + count {:.2?}, run (vocab + count + train + report) {:.2?}\n{}",
        text.len(),
        t1 - t0,
        t2 - t1,
        t3 - t2,
        r.report
    );
    assert_eq!(r.counts, counts);
    assert!(r.report.unknown_token && r.report.vocab_size == 2048);
    assert!(r.report.converged);
    assert!(close(
        r.report.mean_kl,
        r.report.ce_trained - r.report.ce_counting,
        1e-9
    ));
}
