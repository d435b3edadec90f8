//! The fast kernels of the softmax family and the cross-entropy: one read of the logits for a
//! forward pass, a second (from cache) for the outputs, no widened copy of `f32` input, and
//! results within the accuracy targets of the slow reference loops ([`super::reference`]), which
//! the tests compare them with.
//!
//! # Layout
//! A [`Layout`] `(outer, classes, inner)` describes a tensor whose class axis has stride
//! `inner`: element `(o, c, i)` is at `(o·classes + c)·inner + i`. It covers
//! * PyTorch's `(N, C)` logits, row-major: `(N, C, 1)`, each row contiguous;
//! * K-dimensional `(N, C, d1, …, dK)` inputs: `(N, C, d1⋯dK)`;
//! * `softmax(x, dim)` of any standard-layout tensor: the product of the axes before `dim`,
//!   the size of `dim`, the product of the axes after it;
//! * nalgebra's column-major `DMatrix` `(N, C)`: `(1, C, N)` — the memory of an `(N, C)`
//!   column-major matrix is that of a `(C, N)` row-major one.
//!
//! Rows whose classes are contiguous (`inner = 1`) are reduced eight elements at a time; rows
//! with `inner > 1` eight rows at a time (the eight adjacent positions `i`), so that every load
//! is contiguous either way.
//!
//! # Online log-sum-exp
//! Each row is reduced in one pass over memory, in chunks that stay in the L1 cache: a chunk's
//! maximum first; if it exceeds the running maximum `m`, the running tail
//! `s = Σ_{j ≠ arg} exp(z_j − m)` is rescaled, `s ← (s + 1)·exp(m_old − m_new)`, in
//! double-double; then the chunk's terms are added. `arg` is the first maximum, as in the
//! reference, whose own term (exactly 1) is left out so that `log1p(s)` keeps its digits.
//!
//! # Precision
//! * `f64`: each term is `exp(d)·(1 + e)` with `z − m = d + e` split exactly (as the reference),
//!   `exp` a branch-free polynomial within 1 ULP ([`exp_precise`]), and the terms summed with
//!   per-lane compensation (TwoSum): the tail is as accurate as the reference's.
//! * `f32`: `z − m` is computed in `f64` from the `f32` values, `exp` by a shorter polynomial
//!   (relative error below 2·10⁻¹⁰, [`exp_single`]) and the terms summed in `f64`: every error
//!   is far below half an `f32` ULP, and each result is rounded to `f32` once. A value within
//!   that error of a midpoint between two `f32` numbers can round to the other neighbour, so a
//!   result may be 1 `f32` ULP from the `f64` path's rounded once (the ULP bounds of
//!   `book/tests/ulp.rs` include this).
//!
//! No fused multiply-add and no reassociation: every operation is an IEEE operation in a fixed
//! order, so the 8-lane code compiled for AVX-512, AVX2 or SSE2 gives bit-identical results
//! (the lanes are written out in the source, not left to the compiler), whatever the number
//! of threads.

// The lane loops index several arrays by the lane on purpose (that is what vectorises), and
// `!(x < ∞)` is the one test that is true for both NaN and +∞.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::compensated::{Dd, exp_dd, two_diff, two_sum};
use crate::real::Real;

/// Elements (or rows) processed side by side.
pub(crate) const LANES: usize = 8;

/// Elements of a contiguous row per online step: 4 KiB of `f32`, 8 KiB of `f64`, in L1.
const ROW_CHUNK: usize = 1024;

/// Classes per online step of the strided kernel (`LANES` rows each).
const CLASS_CHUNK: usize = 32;

/// `1.5 · 2^52`: adding it rounds a double of magnitude below `2^51` to an integer, which then
/// sits in the low bits of the sum's representation.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// `2^k` for an integer-valued `k` in `[−1022, 1023]`, built from bits (vectorisable).
#[inline(always)]
fn pow2(k: f64) -> f64 {
    let t = k + (MAGIC + 1023.0);
    f64::from_bits(t.to_bits().wrapping_sub(MAGIC.to_bits()) << 52)
}

/// `exp(r)` for `|r| ≤ ½ ln 2 + ε` times `2^k`, for `k ≥ −1077` (subnormal results included).
#[inline(always)]
fn scale(er: f64, k: f64) -> f64 {
    let k1 = k.max(-1022.0);
    er * pow2(k1) * pow2(k - k1)
}

/// The reduction `x = k·ln 2 + r` of Cody and Waite (fdlibm's split of ln 2: `k·LN2_HI` is
/// exact for the `k` here), for `x ≥ −746`.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let k = (x * std::f64::consts::LOG2_E + MAGIC) - MAGIC;
    (k, (x - k * LN2_HI) - k * LN2_LO)
}

/// `exp(d)` for `d ≤ 0` (`−∞` included: 0), within 1 ULP, branch-free so that a loop over it
/// vectorises. Taylor series of `e^r − 1` to degree 13 after the reduction (remainder below
/// 5·10⁻¹⁸ relative), evaluated by Estrin's scheme (short dependency chains); below −746
/// the result rounds to 0.
#[inline(always)]
pub(crate) fn exp_precise(d: f64) -> f64 {
    let (k, r) = reduce(d.max(-746.0));
    // e^r − 1 − r = r²·(c2 + c3 r + … + c13 r^11), by pairs.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = 0.5 + r * (1.0 / 6.0);
    let p23 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let p45 = 1.0 / 720.0 + r * (1.0 / 5_040.0);
    let p67 = 1.0 / 40_320.0 + r * (1.0 / 362_880.0);
    let p89 = 1.0 / 3_628_800.0 + r * (1.0 / 39_916_800.0);
    let p1011 = 1.0 / 479_001_600.0 + r * (1.0 / 6_227_020_800.0);
    let q03 = p01 + r2 * p23;
    let q47 = p45 + r2 * p67;
    let q811 = p89 + r2 * p1011;
    let p = q03 + r4 * q47 + r8 * q811;
    scale(1.0 + (r + r2 * p), k)
}

/// `exp(d)` for `d ≤ 0` with a relative error below 10⁻¹⁰ for `d ≥ −700`, enough for results
/// rounded to `f32` (half an `f32` ULP is 3·10⁻⁸). Fewer operations than [`exp_precise`]: the
/// reduction by one constant `ln 2` (its rounding moves `r` by at most 3·10⁻¹⁴), a polynomial
/// of degree 7 fitted to the relative error (coefficients from
/// `tools/precise/exp_coefficients.py`: 5.2·10⁻¹¹ at most), and `2^k` from the bits of the
/// rounding step. Below −700 it returns `exp(−700) ≈ 10⁻³⁰⁴`, which is 0 next to any `f32`
/// result.
#[inline(always)]
pub(crate) fn exp_single(d: f64) -> f64 {
    const C2: f64 = 0.500_000_006_769_054_3;
    const C3: f64 = 0.166_666_658_689_397_12;
    const C4: f64 = 0.041_666_294_923_810_05;
    const C5: f64 = 0.008_333_497_062_010_63;
    const C6: f64 = 0.001_394_466_104_895_347_6;
    const C7: f64 = 0.000_197_903_527_229_777_15;
    let x = d.max(-700.0);
    let t = x * std::f64::consts::LOG2_E + MAGIC;
    let k = t - MAGIC;
    let r = x - k * std::f64::consts::LN_2;
    let r2 = r * r;
    let p = (C2 + r * C3) + r2 * (C4 + r * C5) + (r2 * r2) * (C6 + r * C7);
    let two_k = f64::from_bits(t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(1023) << 52);
    (1.0 + (r + r2 * p)) * two_k
}

/// Whether `T` only needs `f32` accuracy (see the module docs).
#[inline(always)]
fn single<T: Real>() -> bool {
    T::UNIT_ROUNDOFF > 1e-10
}

/// One term of the tail, `exp(x − m)` for `x ≤ m` (or `x = −∞`).
#[inline(always)]
fn term<T: Real>(x: f64, m: f64) -> f64 {
    if single::<T>() {
        exp_single(x - m)
    } else {
        let (d, e) = two_diff(x, m);
        let t = exp_precise(d);
        // `e` is NaN when `d` is infinite (then `t = 0`): no correction.
        t + t * e.max(-1.0)
    }
}

/// `exp(a − b)` for `a ≤ b`, in double-double (`f32`: the double is enough).
fn rescale_factor<T: Real>(a: f64, b: f64) -> Dd {
    if single::<T>() {
        Dd::new((a - b).exp())
    } else {
        let (d, e) = two_diff(a, b);
        exp_dd(Dd { hi: d, lo: e })
    }
}

/// The reduction of one row: its maximum `m` (`−∞` for a row of only `−∞`) and the tail
/// `s = Σ_{j ≠ arg} exp(z_j − m)`, `arg` the first maximum.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stats {
    pub(crate) m: f64,
    pub(crate) tail: Dd,
}

impl Stats {
    const EMPTY: Stats = Stats {
        m: f64::NEG_INFINITY,
        tail: Dd { hi: 0.0, lo: 0.0 },
    };

    /// Fold in a chunk whose maximum is `cm` and whose terms, taken relative to
    /// `max(m, cm)`, sum to `sum` (each element equal to that maximum counted as 1).
    #[inline(always)]
    fn raise<T: Real>(&mut self, cm: f64) -> bool {
        if cm > self.m {
            if self.m > f64::NEG_INFINITY {
                let f = rescale_factor::<T>(self.m, cm);
                self.tail = self.tail.add(Dd::new(1.0)).mul(f);
            }
            self.m = cm;
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn add_chunk(&mut self, sum: Dd, raised: bool) {
        self.tail = self.tail.add(sum);
        if raised {
            // The new maximum's own term, exactly 1, was summed with the others.
            self.tail = self.tail.add(Dd::new(-1.0));
        }
    }

    /// `log1p(s)`: `logsumexp = m + log1p(s)` and `log_softmax = (z − m) − log1p(s)`.
    #[inline]
    pub(crate) fn log1p_tail(&self) -> f64 {
        (self.tail.hi + self.tail.lo).ln_1p()
    }

    /// `1 / (1 + s)`, the factor of `softmax = exp(z − m)/(1 + s)`, from the double-double
    /// denominator (one rounding more than a division by it).
    #[inline]
    pub(crate) fn inv_denominator(&self) -> f64 {
        let den = Dd::new(1.0).add(self.tail);
        let inv = 1.0 / den.hi;
        inv - inv * (den.lo / den.hi)
    }
}

/// Per-lane compensated sums (TwoSum).
#[derive(Clone, Copy)]
struct Lanes {
    sum: [f64; LANES],
    comp: [f64; LANES],
}

impl Lanes {
    const ZERO: Lanes = Lanes {
        sum: [0.0; LANES],
        comp: [0.0; LANES],
    };

    #[inline(always)]
    fn add(&mut self, l: usize, t: f64) {
        let (s, e) = two_sum(self.sum[l], t);
        self.sum[l] = s;
        self.comp[l] += e;
    }

    /// The lanes' total as a double-double, summed in lane order.
    #[inline(always)]
    fn total(&self) -> Dd {
        let mut t = Dd::new(0.0);
        for l in 0..LANES {
            t = t.add(Dd {
                hi: self.sum[l],
                lo: self.comp[l],
            });
        }
        t
    }
}

/// Whether `x` is NaN or `+∞` (refused as logits).
#[inline(always)]
fn bad(x: f64) -> bool {
    !(x < f64::INFINITY)
}

// ---------------------------------------------------------------------------------------------
// Contiguous rows (inner = 1)
// ---------------------------------------------------------------------------------------------

/// Lanes of the maximum pass: 16 (one AVX-512 register of `f32`, two of `f64`).
const MAX_LANES: usize = 16;

/// The maximum of a chunk (`−∞` if empty or all `−∞`) and whether it holds a NaN or `+∞`,
/// compared in `T` itself (exactly).
#[inline(always)]
fn chunk_max<T: Real>(chunk: &[T]) -> (f64, bool) {
    let inf = T::from_subset(&f64::INFINITY);
    let mut mx = [-inf; MAX_LANES];
    let mut nok = [false; MAX_LANES];
    let mut blocks = chunk.chunks_exact(MAX_LANES);
    for b in &mut blocks {
        for l in 0..MAX_LANES {
            let x = b[l];
            nok[l] |= !(x < inf);
            mx[l] = if x > mx[l] { x } else { mx[l] };
        }
    }
    let mut m = -inf;
    let mut any = false;
    for l in 0..MAX_LANES {
        m = if mx[l] > m { mx[l] } else { m };
        any |= nok[l];
    }
    for &x in blocks.remainder() {
        any |= !(x < inf);
        m = if x > m { x } else { m };
    }
    (m.as_f64(), any)
}

/// Lanes of the `f32` sums: 16 independent accumulators.
const SUM_LANES: usize = 16;

/// The lane sums of `exp_single(z − m)` over whole blocks of [`SUM_LANES`] elements.
#[inline(always)]
fn sum_blocks_single<T: Real>(part: &[T], m: f64, mut acc: [f64; SUM_LANES]) -> [f64; SUM_LANES] {
    for b in part.chunks_exact(SUM_LANES) {
        for l in 0..SUM_LANES {
            acc[l] += exp_single(b[l].as_f64() - m);
        }
    }
    acc
}

/// The compensated lane sums of the corrected `exp_precise(z − m)` over whole blocks of
/// [`LANES`] elements.
#[inline(always)]
fn sum_blocks_precise<T: Real>(part: &[T], m: f64, mut acc: Lanes) -> Lanes {
    for b in part.chunks_exact(LANES) {
        for l in 0..LANES {
            acc.add(l, term::<T>(b[l].as_f64(), m));
        }
    }
    acc
}

/// `Σ_{j ≠ skip} exp(z_j − m)` over a chunk (every element ≤ `m`): plain `f64` sums of
/// [`exp_single`] in [`SUM_LANES`] lanes for `f32`, TwoSum-compensated sums of the corrected
/// [`exp_precise`] in [`LANES`] lanes for `f64`; element `j` goes to lane `j mod lanes`, and
/// the lanes are added in order at the end. `skip` is the row's first maximum when it lies in
/// this chunk: its term, exactly 1, is left out (as the reference does), so that a tail far
/// below 1 keeps its digits. The block that holds it is summed element by element (same
/// lanes), the others in the vectorised loop.
#[inline(always)]
fn chunk_sum<T: Real>(chunk: &[T], m: f64, skip: usize) -> Dd {
    if single::<T>() {
        let mut acc = [0.0f64; SUM_LANES];
        let whole = chunk.len() / SUM_LANES * SUM_LANES;
        let cut = (skip / SUM_LANES * SUM_LANES).min(whole);
        let after = (cut + SUM_LANES).min(whole);
        acc = sum_blocks_single(&chunk[..cut], m, acc);
        acc = sum_blocks_single(&chunk[after..whole.max(after)], m, acc);
        for j in (cut..after).chain(whole..chunk.len()) {
            if j != skip {
                acc[j % SUM_LANES] += exp_single(chunk[j].as_f64() - m);
            }
        }
        // Plain sums: their relative error, below 10⁻¹², is nothing next to an `f32` ULP.
        Dd::new(acc.iter().sum())
    } else {
        let whole = chunk.len() / LANES * LANES;
        let cut = (skip / LANES * LANES).min(whole);
        let after = (cut + LANES).min(whole);
        let mut acc = sum_blocks_precise(&chunk[..cut], m, Lanes::ZERO);
        acc = sum_blocks_precise(&chunk[after..whole.max(after)], m, acc);
        for j in (cut..after).chain(whole..chunk.len()) {
            if j != skip {
                acc.add(j % LANES, term::<T>(chunk[j].as_f64(), m));
            }
        }
        acc.total()
    }
}

/// [`Stats`] of one contiguous row, or `None` if it holds a NaN or `+∞`.
#[inline(always)]
fn row_stats_impl<T: Real>(row: &[T]) -> Option<Stats> {
    let mut st = Stats::EMPTY;
    for chunk in row.chunks(ROW_CHUNK) {
        let (cm, nok) = chunk_max(chunk);
        if nok {
            return None;
        }
        let raised = st.raise::<T>(cm);
        if st.m == f64::NEG_INFINITY {
            continue;
        }
        // The first maximum, if this chunk holds it: found by a scan, rarely (the maximum
        // rises a few times per row).
        let skip = if raised {
            chunk
                .iter()
                .position(|x| x.as_f64() == cm)
                .unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        let sum = chunk_sum(chunk, st.m, skip);
        st.tail = st.tail.add(sum);
    }
    Some(st)
}

/// `out_k = a·softmax(z)_k − b·w_k` along one contiguous row (`w_k = 1` without weights):
/// the softmax itself (`a = 1`, `b = 0`) and every cross-entropy gradient are of this form
/// (plus a correction at the target class that the caller makes).
#[inline(always)]
fn row_affine_softmax_impl<T: Real>(
    row: &[T],
    st: &Stats,
    a: f64,
    b: f64,
    w: Option<&[f64]>,
    out: &mut [T],
) {
    let scale = a * st.inv_denominator();
    let m = st.m;
    match w {
        None => {
            for (o, &x) in out.iter_mut().zip(row) {
                *o = T::round_from_f64(term::<T>(x.as_f64(), m) * scale - b);
            }
        }
        Some(w) => {
            for ((o, &x), &wk) in out.iter_mut().zip(row).zip(w) {
                *o = T::round_from_f64(term::<T>(x.as_f64(), m) * scale - b * wk);
            }
        }
    }
}

/// [`row_affine_softmax`] with `b = 0` and no weights, over the row itself.
#[inline(always)]
fn row_scaled_softmax_in_place_impl<T: Real>(row: &mut [T], st: &Stats, a: f64) {
    let scale = a * st.inv_denominator();
    let m = st.m;
    for x in row.iter_mut() {
        *x = T::round_from_f64(term::<T>(x.as_f64(), m) * scale);
    }
}

/// `out_k = log_softmax(z)_k = (d − log1p(s)) + e` along one contiguous row.
#[inline(always)]
fn row_log_softmax_impl<T: Real>(row: &[T], st: &Stats, out: &mut [T]) {
    let l = st.log1p_tail();
    let m = st.m;
    for (o, &x) in out.iter_mut().zip(row) {
        *o = T::round_from_f64(log_softmax_element(x.as_f64(), m, l));
    }
}

/// `log_softmax` of one element, as the reference computes it.
#[inline(always)]
pub(crate) fn log_softmax_element(x: f64, m: f64, l: f64) -> f64 {
    let (d, e) = two_diff(x, m);
    if d.is_finite() { (d - l) + e } else { d - l }
}

// ---------------------------------------------------------------------------------------------
// Strided rows (inner > 1): LANES rows side by side
// ---------------------------------------------------------------------------------------------

/// [`Stats`] of the `LANES` rows starting at `base` (`data[base + c·stride + l]` is class `c`
/// of lane `l`), for `classes` classes; `None` if one of them holds a NaN or `+∞`.
#[inline(always)]
fn lanes_stats_impl<T: Real>(
    data: &[T],
    base: usize,
    classes: usize,
    stride: usize,
) -> Option<[Stats; LANES]> {
    let mut st = [Stats::EMPTY; LANES];
    let mut c0 = 0;
    while c0 < classes {
        let c1 = (c0 + CLASS_CHUNK).min(classes);
        let mut cm = [f64::NEG_INFINITY; LANES];
        let mut nok = [false; LANES];
        for c in c0..c1 {
            let v = &data[base + c * stride..base + c * stride + LANES];
            for l in 0..LANES {
                let x = v[l].as_f64();
                nok[l] |= bad(x);
                cm[l] = if x > cm[l] { x } else { cm[l] };
            }
        }
        if nok.iter().any(|&b| b) {
            return None;
        }
        let mut raised = [false; LANES];
        let mut m = [0.0; LANES];
        for l in 0..LANES {
            raised[l] = st[l].raise::<T>(cm[l]);
            m[l] = st[l].m;
        }
        let mut acc = Lanes::ZERO;
        for c in c0..c1 {
            let v = &data[base + c * stride..base + c * stride + LANES];
            for l in 0..LANES {
                acc.add(l, term::<T>(v[l].as_f64(), m[l]));
            }
        }
        for l in 0..LANES {
            if st[l].m > f64::NEG_INFINITY {
                let sum = Dd {
                    hi: acc.sum[l],
                    lo: acc.comp[l],
                };
                st[l].add_chunk(sum.add(Dd::new(0.0)), raised[l]);
            }
        }
        c0 = c1;
    }
    Some(st)
}

/// [`Stats`] of one strided row (class `c` at `data[start + c·stride]`), element by element:
/// the rows left over when the positions are not a multiple of `LANES`.
pub(crate) fn strided_row_stats<T: Real>(
    data: &[T],
    start: usize,
    classes: usize,
    stride: usize,
) -> Option<Stats> {
    let mut st = Stats::EMPTY;
    let mut c0 = 0;
    while c0 < classes {
        let c1 = (c0 + CLASS_CHUNK).min(classes);
        let mut cm = f64::NEG_INFINITY;
        for c in c0..c1 {
            let x = data[start + c * stride].as_f64();
            if bad(x) {
                return None;
            }
            cm = if x > cm { x } else { cm };
        }
        let raised = st.raise::<T>(cm);
        if st.m > f64::NEG_INFINITY {
            let mut acc = Lanes::ZERO;
            for c in c0..c1 {
                acc.add(0, term::<T>(data[start + c * stride].as_f64(), st.m));
            }
            st.add_chunk(acc.total(), raised);
        }
        c0 = c1;
    }
    Some(st)
}

/// The softmax's exponential of element `x` of a row with stats `st`, times `scale`
/// (`a / (1 + s)` as in [`row_affine_softmax`]).
#[inline(always)]
pub(crate) fn scaled_term<T: Real>(x: f64, m: f64, scale: f64) -> f64 {
    term::<T>(x, m) * scale
}

/// The outputs of `LANES` strided rows, class by class: `cols[c][off + l]` receives
/// `a_l·softmax(z)_{c,l} − b_l·w_c` (`w_c = 1` without weights), or `log_softmax(z)_{c,l}` with
/// `log`. Every load and store is `LANES` contiguous numbers.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lanes_output_impl<T: Real>(
    data: &[T],
    base: usize,
    stride: usize,
    st: &[Stats; LANES],
    a: &[f64; LANES],
    b: &[f64; LANES],
    w: Option<&[f64]>,
    log: bool,
    cols: &mut [&mut [T]],
    off: usize,
) {
    let mut m = [0.0; LANES];
    let mut scale = [0.0; LANES];
    let mut l1p = [0.0; LANES];
    for l in 0..LANES {
        m[l] = st[l].m;
        scale[l] = a[l] * st[l].inv_denominator();
        l1p[l] = st[l].log1p_tail();
    }
    for (c, col) in cols.iter_mut().enumerate() {
        let v = &data[base + c * stride..base + c * stride + LANES];
        let o = &mut col[off..off + LANES];
        let wc = w.map_or(1.0, |w| w[c]);
        if log {
            for l in 0..LANES {
                o[l] = T::round_from_f64(log_softmax_element(v[l].as_f64(), m[l], l1p[l]));
            }
        } else {
            for l in 0..LANES {
                o[l] = T::round_from_f64(term::<T>(v[l].as_f64(), m[l]) * scale[l] - b[l] * wc);
            }
        }
    }
}

/// `Σ_c w_c·(m_l − z_{c,l})` for `LANES` strided rows (a `0·∞` term is 0): with `W·log1p(s)`
/// added, the label-smoothing sum `Σ_c w_c·(−log_softmax(z)_c)`, each term ≥ 0.
#[inline(always)]
fn lanes_gap_sum_impl<T: Real>(
    data: &[T],
    base: usize,
    classes: usize,
    stride: usize,
    st: &[Stats; LANES],
    w: Option<&[f64]>,
) -> [f64; LANES] {
    let mut acc = [0.0; LANES];
    for c in 0..classes {
        let v = &data[base + c * stride..base + c * stride + LANES];
        let wc = w.map_or(1.0, |w| w[c]);
        for l in 0..LANES {
            let gap = st[l].m - v[l].as_f64();
            acc[l] += if wc == 0.0 { 0.0 } else { wc * gap };
        }
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// Dispatch on the CPU's vector instructions
// ---------------------------------------------------------------------------------------------

/// The widest vector instructions this CPU has, found once.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    Avx512,
    Avx2,
    Baseline,
}

/// The widest level the kernels may use: 2 (AVX-512), 1 (AVX2) or 0 (the baseline), for the
/// tests that check the three give the same bits ([`limit_simd`]).
static SIMD_LIMIT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(2);

/// Let the kernels use at most `level` (2: AVX-512, 1: AVX2, 0: neither). For tests: the
/// results must not change.
#[doc(hidden)]
pub fn limit_simd(level: u8) {
    SIMD_LIMIT.store(level, std::sync::atomic::Ordering::Relaxed);
}

pub(crate) fn simd() -> Simd {
    let limit = SIMD_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(target_arch = "x86_64")]
    {
        if limit >= 2
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return Simd::Avx512;
        }
        if limit >= 1 && std::arch::is_x86_feature_detected!("avx2") {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

/// A kernel compiled three times — for AVX-512, for AVX2 and for the baseline — from the same
/// source, and called in the widest form the CPU runs. The same IEEE operations in the same
/// order in each: only their width differs, so the results are bit-identical.
macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident<T>($($arg:ident: $ty:ty),*) -> $ret:ty = $imp:ident;) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name<T: Real>($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx")]
                #[allow(clippy::too_many_arguments)]
                fn wide512<T: Real>($($arg: $ty),*) -> $ret {
                    $imp($($arg),*)
                }
                #[target_feature(enable = "avx2,avx")]
                #[allow(clippy::too_many_arguments)]
                fn wide256<T: Real>($($arg: $ty),*) -> $ret {
                    $imp($($arg),*)
                }
                match simd() {
                    // SAFETY: `simd()` found these instructions on this CPU at run time.
                    Simd::Avx512 => return unsafe { wide512($($arg),*) },
                    // SAFETY: as above.
                    Simd::Avx2 => return unsafe { wide256($($arg),*) },
                    Simd::Baseline => {}
                }
            }
            $imp($($arg),*)
        }
    };
}

dispatch! {
    /// [`Stats`] of one contiguous row, or `None` if it holds a NaN or `+∞`.
    fn row_stats<T>(row: &[T]) -> Option<Stats> = row_stats_impl;
}

dispatch! {
    /// `out_k = a·softmax(z)_k − b·w_k` along one contiguous row (`w_k = 1` without weights):
    /// the softmax itself and every cross-entropy gradient are of this form (plus a correction
    /// at the target class that the caller makes).
    fn row_affine_softmax<T>(
        row: &[T],
        st: &Stats,
        a: f64,
        b: f64,
        w: Option<&[f64]>,
        out: &mut [T]
    ) -> () = row_affine_softmax_impl;
}

dispatch! {
    /// `z_k ← a·softmax(z)_k` along one contiguous row, in place.
    fn row_scaled_softmax_in_place<T>(row: &mut [T], st: &Stats, a: f64) -> () =
        row_scaled_softmax_in_place_impl;
}

dispatch! {
    /// `out_k = log_softmax(z)_k` along one contiguous row.
    fn row_log_softmax<T>(row: &[T], st: &Stats, out: &mut [T]) -> () = row_log_softmax_impl;
}

dispatch! {
    /// The outputs of `LANES` strided rows: `a_l·softmax − b_l·w_c`, or `log_softmax` with
    /// `log` (see `lanes_output_impl`).
    fn lanes_output<T>(
        data: &[T],
        base: usize,
        stride: usize,
        st: &[Stats; LANES],
        a: &[f64; LANES],
        b: &[f64; LANES],
        w: Option<&[f64]>,
        log: bool,
        cols: &mut [&mut [T]],
        off: usize
    ) -> () = lanes_output_impl;
}

dispatch! {
    /// `Σ_c w_c·(m_l − z_{c,l})` for `LANES` strided rows.
    fn lanes_gap_sum<T>(
        data: &[T],
        base: usize,
        classes: usize,
        stride: usize,
        st: &[Stats; LANES],
        w: Option<&[f64]>
    ) -> [f64; LANES] = lanes_gap_sum_impl;
}

dispatch! {
    /// [`Stats`] of the `LANES` rows starting at `base` (`data[base + c·stride + l]` is class
    /// `c` of lane `l`), for `classes` classes; `None` if one of them holds a NaN or `+∞`.
    fn lanes_stats<T>(
        data: &[T],
        base: usize,
        classes: usize,
        stride: usize
    ) -> Option<[Stats; LANES]> = lanes_stats_impl;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ULPs between two doubles of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exp_polynomials_against_libm() {
        let mut worst = (0, 0.0);
        let mut worst_single = 0.0f64;
        let mut x: f64 = -746.5;
        while x <= 0.0 {
            let want = x.exp();
            let u = ulps(exp_precise(x), want);
            if u > worst.0 {
                worst = (u, x);
            }
            if x >= -700.0 {
                worst_single = worst_single.max(((exp_single(x) - want) / want).abs());
            }
            x += 0.000_731;
        }
        assert!(
            worst.0 <= 1,
            "exp_precise is {} ULP off at {}",
            worst.0,
            worst.1
        );
        assert!(worst_single < 1e-10, "exp_single: relative {worst_single}");
        assert_eq!(exp_precise(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_precise(-1000.0), 0.0);
        assert_eq!(exp_precise(0.0), 1.0);
        // The subnormal range: 2^−1074 is the smallest double.
        assert_eq!(exp_precise(-744.4), (-744.4f64).exp());
    }
}
