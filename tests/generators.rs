//! Bounded quickcheck generators and numeric helpers shared by the test modules.
//!
//! quickcheck 1.1's `f64::arbitrary` gives NaN, ±∞ or a huge value about 10% of the time and
//! its shrinker drops fractions, so no float here comes from it: every float is drawn
//! uniformly from a bounded range (`uniform`), every shape from a bounded range (`size_in`),
//! and every shrinker keeps the shape `(N, C)` while it moves values towards simple ones
//! (0, then integers, then one decimal). The number of cases comes from `QUICKCHECK_TESTS`
//! (quickcheck reads it itself; default 100).
//!
//! The module is compiled as `generators` (see `tests/lib.rs`): `gen` is a reserved keyword
//! in edition 2024.

use ce_mle::loss::Reduction;
use nalgebra::{DMatrix, DVector};
use quickcheck::{Arbitrary, Gen};

/// Logits of the generic generators lie in `[-LOGIT_BOUND, LOGIT_BOUND]`: wide enough for
/// probabilities down to ~1e-27, moderate enough that a naive `exp` / `ln` oracle in the
/// test (no max subtraction) is still exact to ~1e-14.
pub const LOGIT_BOUND: f64 = 30.0;

// ---------------------------------------------------------------- drawing

/// Uniform in `[0, 1)` from 53 random bits. (`u64::arbitrary` returns 0, 1 or `u64::MAX`
/// about one time in ten, so the end points `0` and `1 − 2^-53` come up often: useful.)
pub fn unit(g: &mut Gen) -> f64 {
    (u64::arbitrary(g) >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform in `[lo, hi)`.
pub fn uniform(g: &mut Gen, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(g)
}

/// A size in `lo..=hi`.
pub fn size_in(g: &mut Gen, lo: usize, hi: usize) -> usize {
    lo + (u64::arbitrary(g) % (hi - lo + 1) as u64) as usize
}

/// `true` with probability about `1 / k`.
pub fn one_in(g: &mut Gen, k: u64) -> bool {
    u64::arbitrary(g) % k == 0
}

/// A generator with a fixed seed, for the deterministic loops (gradient checks).
pub fn seeded(seed: u64) -> Gen {
    Gen::from_size_and_seed(100, seed)
}

/// A logit in `[-bound, bound]`; one time in eight a small integer in `-3..=3`, so that ties
/// (equal maxima) occur.
pub fn logit(g: &mut Gen, bound: f64) -> f64 {
    if one_in(g, 8) {
        size_in(g, 0, 6) as f64 - 3.0
    } else {
        uniform(g, -bound, bound)
    }
}

/// An `(n, c)` matrix of logits in `[-bound, bound]`.
pub fn logit_matrix(g: &mut Gen, n: usize, c: usize, bound: f64) -> DMatrix<f64> {
    DMatrix::from_fn(n, c, |_, _| logit(g, bound))
}

/// Unnormalised positive weights in `[0.05, 1]`, and with `zeros` some exact zeros (never all).
pub fn raw_weights(g: &mut Gen, c: usize, zeros: bool) -> Vec<f64> {
    let mut w: Vec<f64> = (0..c)
        .map(|_| {
            if zeros && one_in(g, 3) {
                0.0
            } else {
                uniform(g, 0.05, 1.0)
            }
        })
        .collect();
    if w.iter().all(|&x| x == 0.0) {
        let k = size_in(g, 0, c - 1);
        w[k] = 1.0;
    }
    w
}

/// Normalise non-negative weights (not all 0) into a probability vector.
pub fn normalise(w: &[f64]) -> DVector<f64> {
    let s: f64 = w.iter().sum();
    DVector::from_iterator(w.len(), w.iter().map(|x| x / s))
}

/// An `(n, c)` matrix whose rows are probability vectors (some with exact zeros).
pub fn prob_matrix(g: &mut Gen, n: usize, c: usize) -> DMatrix<f64> {
    let mut p = DMatrix::zeros(n, c);
    for r in 0..n {
        let zeros = one_in(g, 2);
        let row = normalise(&raw_weights(g, c, zeros));
        for k in 0..c {
            p[(r, k)] = row[k];
        }
    }
    p
}

/// One-hot rows `(N, C)` for class indices.
pub fn one_hot(y: &[i64], c: usize) -> DMatrix<f64> {
    DMatrix::from_fn(y.len(), c, |r, k| if y[r] == k as i64 { 1.0 } else { 0.0 })
}

// ---------------------------------------------------------------- shrinking

/// Simpler values than `x`, simplest first: 0, the integer part, one decimal, half an
/// integer. Each candidate is strictly simpler in the order
/// (0) < (integers, by magnitude) < (one decimal) < (anything else), so shrinking ends.
/// Non-finite values (a deliberate −∞) are kept.
pub fn simpler(x: f64) -> Vec<f64> {
    let mut v = Vec::new();
    if !x.is_finite() || x == 0.0 {
        return v;
    }
    v.push(0.0);
    let t = x.trunc();
    if t != x {
        if t != 0.0 {
            v.push(t);
        }
        let d = (x * 10.0).round() / 10.0;
        if d != x && d != t && d != 0.0 && (x * 10.0).fract() != 0.0 {
            v.push(d);
        }
    } else {
        let h = (x / 2.0).trunc();
        if h != 0.0 && h != x {
            v.push(h);
        }
    }
    v
}

/// Simpler positive weights than `w > 0`: 1, then rounding to an integer ≥ 1, then one
/// decimal (never 0, so a weight stays positive).
pub fn simpler_positive(w: f64) -> Vec<f64> {
    let mut v = Vec::new();
    if w == 1.0 || w <= 0.0 {
        return v;
    }
    v.push(1.0);
    let r = w.round().max(1.0);
    if r != w && r != 1.0 {
        v.push(r);
    }
    let d = ((w * 10.0).round() / 10.0).max(0.1);
    if d != w && d != r && d != 1.0 && (w * 10.0).fract() != 0.0 {
        v.push(d);
    }
    v
}

/// Candidates for a value vector: everything simplified at once, then one entry at a time.
/// `ok` filters out candidates that would break an invariant of the generator.
pub fn shrink_values(
    vals: &[f64],
    simplify: fn(f64) -> Vec<f64>,
    ok: impl Fn(&[f64]) -> bool,
) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    let all: Vec<f64> = vals
        .iter()
        .map(|&x| simplify(x).first().copied().unwrap_or(x))
        .collect();
    if all != vals && ok(&all) {
        out.push(all);
    }
    for (i, &x) in vals.iter().enumerate() {
        for s in simplify(x) {
            let mut v = vals.to_vec();
            v[i] = s;
            if ok(&v) && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// Shrink the entries of a matrix, keeping its shape.
pub fn shrink_matrix(
    m: &DMatrix<f64>,
    simplify: fn(f64) -> Vec<f64>,
    ok: impl Fn(&DMatrix<f64>) -> bool,
) -> Vec<DMatrix<f64>> {
    let (n, c) = m.shape();
    shrink_values(m.as_slice(), simplify, |v| {
        ok(&DMatrix::from_column_slice(n, c, v))
    })
    .into_iter()
    .map(|v| DMatrix::from_column_slice(n, c, &v))
    .collect()
}

/// Shrink class labels towards 0 (then towards `y − 1`), keeping the length.
pub fn shrink_labels(y: &[usize]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if y.iter().any(|&k| k != 0) {
        out.push(vec![0; y.len()]);
    }
    for (i, &k) in y.iter().enumerate() {
        if k > 0 {
            for s in [0, k - 1] {
                let mut v = y.to_vec();
                v[i] = s;
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

fn no_all_neg_inf_row(m: &DMatrix<f64>) -> bool {
    m.row_iter()
        .all(|r| r.iter().any(|&x| x != f64::NEG_INFINITY))
}

fn boxed<T: 'static>(v: Vec<T>) -> Box<dyn Iterator<Item = T>> {
    Box::new(v.into_iter())
}

fn to_i64(y: &[usize]) -> Vec<i64> {
    y.iter().map(|&k| k as i64).collect()
}

fn to_usize(y: &[i64]) -> Vec<usize> {
    y.iter().map(|&k| k as usize).collect()
}

// ---------------------------------------------------------------- generators

/// Finite logits `(N, C)`, N in 1..=6, C in 2..=8, entries in `[-LOGIT_BOUND, LOGIT_BOUND]`.
#[derive(Clone, Debug)]
pub struct Logits(pub DMatrix<f64>);

impl Arbitrary for Logits {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = size_in(g, 1, 6);
        let c = size_in(g, 2, 8);
        Logits(logit_matrix(g, n, c, LOGIT_BOUND))
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        boxed(
            shrink_matrix(&self.0, simpler, |_| true)
                .into_iter()
                .map(Logits)
                .collect(),
        )
    }
}

/// Logits `(N, C)` as [`Logits`], but about a quarter of the entries are −∞ (probability
/// exactly 0); every row keeps at least one finite entry. The −∞ entries are not shrunk.
#[derive(Clone, Debug)]
pub struct NegInfLogits(pub DMatrix<f64>);

impl Arbitrary for NegInfLogits {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = size_in(g, 1, 6);
        let c = size_in(g, 2, 8);
        let mut z = logit_matrix(g, n, c, LOGIT_BOUND);
        for r in 0..n {
            for k in 0..c {
                if one_in(g, 4) {
                    z[(r, k)] = f64::NEG_INFINITY;
                }
            }
            if z.row(r).iter().all(|&x| x == f64::NEG_INFINITY) {
                let k = size_in(g, 0, c - 1);
                z[(r, k)] = logit(g, LOGIT_BOUND);
            }
        }
        NegInfLogits(z)
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        boxed(
            shrink_matrix(&self.0, simpler, no_all_neg_inf_row)
                .into_iter()
                .map(NegInfLogits)
                .collect(),
        )
    }
}

/// A probability vector `(C,)`, C in 2..=8, every entry > 0: positive weights in
/// `[0.05, 1]`, normalised. Shrinks the weights towards 1 (the uniform distribution).
#[derive(Clone, Debug)]
pub struct Distribution {
    /// The distribution.
    pub p: DVector<f64>,
    w: Vec<f64>,
}

impl Distribution {
    fn from_weights(w: Vec<f64>) -> Self {
        Distribution {
            p: normalise(&w),
            w,
        }
    }
    fn with_classes(g: &mut Gen, c: usize, zeros: bool) -> Self {
        Self::from_weights(raw_weights(g, c, zeros))
    }
    fn shrunk(&self) -> Vec<Self> {
        shrink_values(&self.w, simpler_positive, |_| true)
            .into_iter()
            .map(Self::from_weights)
            .collect()
    }
}

impl Arbitrary for Distribution {
    fn arbitrary(g: &mut Gen) -> Self {
        let c = size_in(g, 2, 8);
        Self::with_classes(g, c, false)
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        boxed(self.shrunk())
    }
}

/// A probability vector `(C,)` with some exact zeros (never all): tests `0 · ln 0 = 0`.
#[derive(Clone, Debug)]
pub struct SparseDistribution(pub Distribution);

impl Arbitrary for SparseDistribution {
    fn arbitrary(g: &mut Gen) -> Self {
        let c = size_in(g, 2, 8);
        SparseDistribution(Distribution::with_classes(g, c, true))
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        boxed(
            self.0
                .shrunk()
                .into_iter()
                .map(SparseDistribution)
                .collect(),
        )
    }
}

/// Class labels: `classes` in 2..=8, N in 1..=20 labels in `0..classes`.
#[derive(Clone, Debug)]
pub struct Labels {
    /// Number of classes C.
    pub classes: usize,
    /// The labels.
    pub y: Vec<usize>,
}

impl Labels {
    fn with_classes(g: &mut Gen, classes: usize, n: usize) -> Self {
        let y = (0..n).map(|_| size_in(g, 0, classes - 1)).collect();
        Labels { classes, y }
    }
}

impl Arbitrary for Labels {
    fn arbitrary(g: &mut Gen) -> Self {
        let c = size_in(g, 2, 8);
        let n = size_in(g, 1, 20);
        Self::with_classes(g, c, n)
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let classes = self.classes;
        boxed(
            shrink_labels(&self.y)
                .into_iter()
                .map(|y| Labels { classes, y })
                .collect(),
        )
    }
}

/// A batch: finite logits `(N, C)` as [`Logits`] and one class index per row.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Logits `(N, C)`.
    pub z: DMatrix<f64>,
    /// Class indices in `0..C`, as `i64` (PyTorch's `LongTensor`).
    pub y: Vec<i64>,
}

impl Arbitrary for Batch {
    fn arbitrary(g: &mut Gen) -> Self {
        let Logits(z) = Logits::arbitrary(g);
        let (n, c) = z.shape();
        let y = to_i64(&Labels::with_classes(g, c, n).y);
        Batch { z, y }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let mut out: Vec<Self> = shrink_labels(&to_usize(&self.y))
            .into_iter()
            .map(|y| Batch {
                z: self.z.clone(),
                y: to_i64(&y),
            })
            .collect();
        out.extend(
            shrink_matrix(&self.z, simpler, |_| true)
                .into_iter()
                .map(|z| Batch {
                    z,
                    y: self.y.clone(),
                }),
        );
        boxed(out)
    }
}

/// A batch with soft targets: logits `(N, C)` and probability rows `(N, C)` (some with zeros).
/// Only the logits shrink (the rows must stay distributions).
#[derive(Clone, Debug)]
pub struct SoftBatch {
    /// Logits `(N, C)`.
    pub z: DMatrix<f64>,
    /// Target distributions, one per row.
    pub p: DMatrix<f64>,
}

impl Arbitrary for SoftBatch {
    fn arbitrary(g: &mut Gen) -> Self {
        let Logits(z) = Logits::arbitrary(g);
        let (n, c) = z.shape();
        let p = prob_matrix(g, n, c);
        SoftBatch { z, p }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let p = self.p.clone();
        boxed(
            shrink_matrix(&self.z, simpler, |_| true)
                .into_iter()
                .map(|z| SoftBatch { z, p: p.clone() })
                .collect(),
        )
    }
}

/// Two distributions over the same C classes: `p` may have exact zeros, `q` is positive
/// (so `KL(p‖q)` is finite).
#[derive(Clone, Debug)]
pub struct DistPair {
    /// May contain zeros.
    pub p: Distribution,
    /// Strictly positive.
    pub q: Distribution,
}

impl Arbitrary for DistPair {
    fn arbitrary(g: &mut Gen) -> Self {
        let c = size_in(g, 2, 8);
        DistPair {
            p: Distribution::with_classes(g, c, true),
            q: Distribution::with_classes(g, c, false),
        }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let mut out: Vec<Self> = self
            .p
            .shrunk()
            .into_iter()
            .map(|p| DistPair {
                p,
                q: self.q.clone(),
            })
            .collect();
        out.extend(self.q.shrunk().into_iter().map(|q| DistPair {
            p: self.p.clone(),
            q,
        }));
        boxed(out)
    }
}

/// Labels and a competing positive distribution `q` over the same classes.
#[derive(Clone, Debug)]
pub struct LabelsAndQ {
    /// The data.
    pub labels: Labels,
    /// Another model of the same classes.
    pub q: Distribution,
}

impl Arbitrary for LabelsAndQ {
    fn arbitrary(g: &mut Gen) -> Self {
        let labels = Labels::arbitrary(g);
        let q = Distribution::with_classes(g, labels.classes, false);
        LabelsAndQ { labels, q }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let mut out: Vec<Self> = Labels::shrink(&self.labels)
            .map(|labels| LabelsAndQ {
                labels,
                q: self.q.clone(),
            })
            .collect();
        out.extend(self.q.shrunk().into_iter().map(|q| LabelsAndQ {
            labels: self.labels.clone(),
            q,
        }));
        boxed(out)
    }
}

/// A shift `c` for shift invariance: `±m · 10^k` with `m ∈ [0, 1)`, `k ∈ 0..=6`, so
/// `|c| < 1e6`, with one time in eight exactly `±1e6`.
#[derive(Clone, Debug)]
pub struct Shift(pub f64);

impl Arbitrary for Shift {
    fn arbitrary(g: &mut Gen) -> Self {
        let sign = if bool::arbitrary(g) { 1.0 } else { -1.0 };
        if one_in(g, 8) {
            return Shift(sign * 1e6);
        }
        let k = size_in(g, 0, 6) as i32;
        Shift(sign * unit(g) * 10f64.powi(k))
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        boxed(simpler(self.0).into_iter().map(Shift).collect())
    }
}

/// One sample for label smoothing: C in 2..=8, a class `y`, ε in `[0, 1]` (0 and 1 each one
/// time in ten) and a perturbation `delta` of the logits with entries in `[-2, 2]`.
#[derive(Clone, Debug)]
pub struct Smoothed {
    /// Number of classes.
    pub classes: usize,
    /// The target class.
    pub y: usize,
    /// Label smoothing ε.
    pub eps: f64,
    /// A perturbation of the logits, `(C,)`.
    pub delta: DVector<f64>,
}

impl Arbitrary for Smoothed {
    fn arbitrary(g: &mut Gen) -> Self {
        let classes = size_in(g, 2, 8);
        let y = size_in(g, 0, classes - 1);
        let eps = match size_in(g, 0, 9) {
            0 => 0.0,
            1 => 1.0,
            _ => unit(g),
        };
        let delta = DVector::from_fn(classes, |_, _| uniform(g, -2.0, 2.0));
        Smoothed {
            classes,
            y,
            eps,
            delta,
        }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let mut out = Vec::new();
        if self.y > 0 {
            out.push(Smoothed {
                y: 0,
                ..self.clone()
            });
        }
        for eps in simpler(self.eps) {
            out.push(Smoothed {
                eps,
                ..self.clone()
            });
        }
        for d in shrink_values(self.delta.as_slice(), simpler, |_| true) {
            out.push(Smoothed {
                delta: DVector::from_vec(d),
                ..self.clone()
            });
        }
        boxed(out)
    }
}

/// Inputs for `cross_entropy(z, y) == nll_loss(log_softmax(z), y)`: a [`Batch`] whose
/// targets may hit `ignore_index` (−100, −1 or a real class index), optional class weights
/// in `[0, 3]` (exact zeros now and then) and any reduction.
#[derive(Clone, Debug)]
pub struct WeightedBatch {
    /// Logits `(N, C)`.
    pub z: DMatrix<f64>,
    /// Targets: class indices or `ignore_index`.
    pub y: Vec<i64>,
    /// Class weights `(C,)`.
    pub weight: Option<DVector<f64>>,
    /// The ignored index.
    pub ignore_index: i64,
    /// The reduction.
    pub reduction: Reduction,
}

impl Arbitrary for WeightedBatch {
    fn arbitrary(g: &mut Gen) -> Self {
        let Batch { z, mut y } = Batch::arbitrary(g);
        let c = z.ncols();
        let ignore_index = match size_in(g, 0, 2) {
            0 => -100,
            1 => -1,
            _ => size_in(g, 0, c - 1) as i64,
        };
        for t in y.iter_mut() {
            if one_in(g, 4) {
                *t = ignore_index;
            }
        }
        let weight = bool::arbitrary(g).then(|| {
            DVector::from_fn(c, |_, _| {
                if one_in(g, 6) {
                    0.0
                } else {
                    uniform(g, 0.0, 3.0)
                }
            })
        });
        let reduction = *g
            .choose(&[Reduction::None, Reduction::Mean, Reduction::Sum])
            .expect("non-empty");
        WeightedBatch {
            z,
            y,
            weight,
            ignore_index,
            reduction,
        }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let mut out = Vec::new();
        if self.weight.is_some() {
            out.push(WeightedBatch {
                weight: None,
                ..self.clone()
            });
        }
        if let Some(w) = &self.weight {
            for v in shrink_values(w.as_slice(), simpler, |_| true) {
                out.push(WeightedBatch {
                    weight: Some(DVector::from_vec(v)),
                    ..self.clone()
                });
            }
        }
        for z in shrink_matrix(&self.z, simpler, |_| true) {
            out.push(WeightedBatch { z, ..self.clone() });
        }
        boxed(out)
    }
}

/// Binary logits `x` in `[-8, 8]` (moderate: `1 − σ(x)` keeps ≥ 12 digits) and 0/1 targets,
/// both `(N, K)`, N in 1..=6, K in 1..=5.
#[derive(Clone, Debug)]
pub struct BinaryBatch {
    /// Logits `(N, K)`.
    pub x: DMatrix<f64>,
    /// Targets in {0, 1}.
    pub y: DMatrix<f64>,
}

impl Arbitrary for BinaryBatch {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = size_in(g, 1, 6);
        let k = size_in(g, 1, 5);
        let x = logit_matrix(g, n, k, 8.0);
        let y = DMatrix::from_fn(n, k, |_, _| if bool::arbitrary(g) { 1.0 } else { 0.0 });
        BinaryBatch { x, y }
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let y = self.y.clone();
        boxed(
            shrink_matrix(&self.x, simpler, |_| true)
                .into_iter()
                .map(|x| BinaryBatch { x, y: y.clone() })
                .collect(),
        )
    }
}

// ---------------------------------------------------------------- comparing

/// `|a − b| ≤ abs + rel · max(|a|, |b|)`; equal infinities of the same sign count as close.
pub fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    if a == b {
        return true;
    }
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

/// Panics with both values and the tolerance unless [`close`].
#[track_caller]
pub fn assert_close(what: &str, got: f64, want: f64, abs: f64, rel: f64) {
    assert!(
        close(got, want, abs, rel),
        "{what}: got {got:e}, want {want:e}, |diff| = {:e} > {abs:e} + {rel:e}·max(|got|, |want|)",
        (got - want).abs()
    );
}

/// Largest finite `|z|` of a matrix (0 if none).
pub fn max_abs_finite(z: &DMatrix<f64>) -> f64 {
    z.iter()
        .filter(|x| x.is_finite())
        .fold(0.0, |m, &x| m.max(x.abs()))
}

/// Row `r` of a matrix as a vector `(C,)`.
pub fn row(m: &DMatrix<f64>, r: usize) -> DVector<f64> {
    DVector::from_iterator(m.ncols(), m.row(r).iter().copied())
}

/// `−ln q_y` computed the naive way, `ln Σ_j e^{z_j} − z_y`, with no max subtraction: an
/// oracle independent of the crate's stable kernel, exact enough for `|z| ≤ LOGIT_BOUND`.
pub fn naive_neg_log_softmax(z: &[f64], y: usize) -> f64 {
    z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[y]
}

/// Softmax the naive way, `e^{z_k} / Σ_j e^{z_j}` (moderate logits only).
pub fn naive_softmax(z: &[f64]) -> Vec<f64> {
    let s: f64 = z.iter().map(|v| v.exp()).sum();
    z.iter().map(|v| v.exp() / s).collect()
}
