//! Differential target: the fast kernels of the cross-entropy and the softmax family
//! (`ce_mle::loss::rows`, the `DMatrix` API, `ce_mle::loss::nd`) against the slow reference
//! loops (`ce_mle::loss::reference`) on cases decoded from the bytes: `f32` or `f64`; inputs
//! `(N, C)`, `(C,)` or `(N, C, d1[, d2])` (rows longer than the kernels' 1024-element online
//! chunk included); logits from special bit patterns, raw bits or ties; index targets (valid,
//! ignored, out of range, negative) or probability targets (valid and invalid rows); class
//! weights, `ignore_index`, label smoothing, every reduction; the softmax family along any
//! `dim`.
//!
//! Invariants, for every case:
//! * **Same answer as the reference.** Every fast entry point returns `Ok` exactly when the
//!   reference does; errors are the same error (kind and message), except where a layer must
//!   refuse a target it cannot lay out (a probability target or an `nd` target of the wrong
//!   shape is a `ShapeMismatch` there, whatever else is wrong); values agree within the
//!   tolerances of `tests/kernels.rs` (below), with NaN and infinities in the same places.
//! * **Forward alone = forward of forward + backward**, bit for bit, on each API; the
//!   in-place backward (`rows::cross_entropy_backward_in_place`) gives the same loss and
//!   gradient bits as `rows::cross_entropy_with_grad`, and on error keeps its documented
//!   contract: options and target are checked before anything is written; otherwise the
//!   error names the first bad row in row-major order (a NaN/`+∞`, or a kept row of only
//!   `−∞`), such rows are left as they were and the other rows hold their gradients.
//! * **Every element of a caller's output buffer is written** (they start as a sentinel).
//! * **Determinism.** AVX-512, AVX2 and the baseline (`rows::limit_simd`), and a pool of one
//!   thread against a pool of two, give the same bits on every fast entry point.
//!
//! Tolerances (as `tests/kernels.rs`, where they are explained): fast and reference are each
//! within a few ULP of the exact value, so they may differ by a few: losses and the softmax
//! family within `8` (`f64`) / `4` (`f32`) machine epsilons of the value (`+ C` when a loss
//! sums `C` terms: label smoothing or probability targets; `+ N` for a reduction over `N`
//! rows), gradients within as many epsilons of the size of the terms that make them; and in
//! any case within that many of the type's smallest subnormal steps, plus two per exponential
//! summed (a tail of `C` subnormal terms is rounded term by term, in both implementations).
#![no_main]

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nalgebra::{DMatrix, DVector};
use ndarray::{ArrayD, IxDyn};

use ce_mle::loss::nd::{self, NdOutput, NdTarget, SoftmaxOp};
use ce_mle::loss::rows::{self, RowTarget};
use ce_mle::loss::{self, CrossEntropyOptions, Loss, Reduction, Target, reference};
use ce_mle::{Error, Real, softmax};

// ---------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------

/// The fuzz bytes, read from the front; an exhausted input reads as zeros.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | (u32::from(self.u16()) << 16)
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// The two types
// ---------------------------------------------------------------------------------------------

trait F: Real {
    const NAME: &'static str;
    /// Machine epsilon (twice the unit roundoff).
    const EPS: f64;
    /// Smallest positive normal number.
    const MIN_POS: f64;
    const MAX_F: f64;
    /// From raw bits (the low 32 for `f32`).
    fn from_raw(b: u64) -> Self;
    fn bits(self) -> u64;
    /// The `k`-th representable neighbour (in bit order, within the same sign).
    fn step(self, k: i8) -> Self;
    /// Rust source for the value.
    fn literal(self) -> String;
}

impl F for f64 {
    const NAME: &'static str = "f64";
    const EPS: f64 = f64::EPSILON;
    const MIN_POS: f64 = f64::MIN_POSITIVE;
    const MAX_F: f64 = f64::MAX;
    fn from_raw(b: u64) -> Self {
        f64::from_bits(b)
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn step(self, k: i8) -> Self {
        f64::from_bits(self.to_bits().wrapping_add_signed(i64::from(k)))
    }
    fn literal(self) -> String {
        if self.is_nan() {
            format!("f64::from_bits({:#018x})", self.to_bits())
        } else if self.is_infinite() {
            if self > 0.0 {
                "f64::INFINITY"
            } else {
                "f64::NEG_INFINITY"
            }
            .into()
        } else {
            format!("{self:?}")
        }
    }
}

impl F for f32 {
    const NAME: &'static str = "f32";
    const EPS: f64 = f32::EPSILON as f64;
    const MIN_POS: f64 = f32::MIN_POSITIVE as f64;
    const MAX_F: f64 = f32::MAX as f64;
    fn from_raw(b: u64) -> Self {
        f32::from_bits(b as u32)
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn step(self, k: i8) -> Self {
        f32::from_bits(self.to_bits().wrapping_add_signed(i32::from(k)))
    }
    fn literal(self) -> String {
        if self.is_nan() {
            format!("f32::from_bits({:#010x})", self.to_bits())
        } else if self.is_infinite() {
            if self > 0.0 {
                "f32::INFINITY"
            } else {
                "f32::NEG_INFINITY"
            }
            .into()
        } else {
            format!("{self:?}")
        }
    }
}

/// Special values (rounded to the case's type: `1e300` is `+∞` in `f32`).
fn special<T: F>(i: usize) -> T {
    let min_sub = T::from_raw(1);
    let max_sub = T::from_raw(if T::NAME == "f32" {
        0x007f_ffff
    } else {
        0x000f_ffff_ffff_ffff
    });
    let r = T::round_from_f64;
    let v = [
        r(0.0),
        r(1.0),
        r(-1.0),
        r(-0.0),
        r(f64::NAN),
        r(-f64::NAN),
        T::from_raw(if T::NAME == "f32" {
            0x7fc0_0001
        } else {
            0x7ff8_0000_0000_0001
        }),
        r(f64::INFINITY),
        r(f64::NEG_INFINITY),
        r(T::MIN_POS),
        r(-T::MIN_POS),
        min_sub,
        -min_sub,
        max_sub,
        r(T::MAX_F),
        r(-T::MAX_F),
        r(T::MAX_F / 2.0),
        r(700.0),
        r(-700.0),
        r(709.782_712_893_384),
        r(-708.4),
        r(-745.13),
        r(-745.2),
        r(746.0),
        r(88.722_84),
        r(-87.336_55),
        r(-103.278_93),
        r(-104.0),
        r(1e300),
        r(-1e300),
        r(1e-300),
        r(0.5),
        r(std::f64::consts::LN_2),
        r(-std::f64::consts::LN_2),
        r(30.0),
        r(-30.0),
        r(1e-8),
        r(1e38),
        r(-1e38),
        r(36.0),
        r(-37.0),
    ];
    v[i % v.len()]
}

/// Bases whose neighbours are interesting.
fn near_base<T: F>(i: usize, bg: T) -> T {
    let r = T::round_from_f64;
    let v = [
        r(0.0),
        r(1.0),
        r(-1.0),
        r(700.0),
        r(-700.0),
        r(745.13),
        r(-745.13),
        r(88.72),
        r(-103.28),
        r(1e300),
        r(T::MAX_F),
        r(-T::MAX_F),
        r(T::MIN_POS),
        bg,
    ];
    v[i % v.len()]
}

/// One logit.
fn value<T: F>(r: &mut Bytes<'_>, bg: T) -> T {
    let s = r.u8();
    match s {
        0..=63 => special(usize::from(s)),
        // Halves from −12 to 11.5: ties.
        64..=111 => T::round_from_f64((f64::from(s) - 88.0) / 2.0),
        112..=143 => near_base(usize::from(s - 112), bg).step(r.u8() as i8),
        144..=191 => T::from_raw(r.u64()),
        192..=223 => T::round_from_f64(bg.as_f64() + f64::from(r.u8() as i8) / 16.0),
        _ => T::round_from_f64(f64::from(r.u16() as i16) / 64.0),
    }
}

/// Columns where chunks and lanes meet.
const EDGE_COLS: [usize; 16] = [
    0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 1023, 1024, 1025, 2047, 2048,
];

// ---------------------------------------------------------------------------------------------
// A case
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Tgt<T> {
    /// Class indices, with the shape `nd` sees (the matrix APIs see the flat list).
    Indices { shape: Vec<usize>, data: Vec<i64> },
    /// Probabilities, row-major, with their shape.
    Probs { shape: Vec<usize>, data: Vec<T> },
}

struct Case<T: F> {
    shape: Vec<usize>,
    logits: Vec<T>,
    target: Tgt<T>,
    opts: CrossEntropyOptions<T>,
    dim: isize,
    want_grad: bool,
}

impl<T: F> Case<T> {
    /// The case as Rust source, for a regression test.
    fn source(&self) -> String {
        let mut s = String::new();
        let list = |v: &[T]| v.iter().map(|x| x.literal()).collect::<Vec<_>>().join(", ");
        let _ = writeln!(s, "dtype: {}", T::NAME);
        let _ = writeln!(s, "shape: {:?}", self.shape);
        let _ = writeln!(s, "logits: [{}]", list(&self.logits));
        match &self.target {
            Tgt::Indices { shape, data } => {
                let _ = writeln!(s, "indices (shape {shape:?}): {data:?}");
            }
            Tgt::Probs { shape, data } => {
                let _ = writeln!(s, "probabilities (shape {shape:?}): [{}]", list(data));
            }
        }
        let o = &self.opts;
        let _ = writeln!(
            s,
            "weight: {:?}",
            o.weight
                .as_ref()
                .map(|w| format!("[{}]", list(w.as_slice())))
        );
        let _ = writeln!(
            s,
            "ignore_index: {}, reduction: {:?}, label_smoothing: {}",
            o.ignore_index,
            o.reduction,
            o.label_smoothing.literal()
        );
        let _ = writeln!(s, "dim: {}, want_grad: {}", self.dim, self.want_grad);
        s
    }
}

/// Elements at most, so that one run stays in milliseconds.
const MAX_LEN: usize = 40_000;

fn decode<T: F>(r: &mut Bytes<'_>) -> Case<T> {
    // Shape.
    let kind = r.u8() % 8;
    let mut n = usize::from(r.u8() % 41);
    let cs = r.u8();
    let c = match cs {
        0..=127 => usize::from(cs % 48),
        128..=239 => usize::from(r.u16() % 301),
        _ => 1000 + usize::from(r.u16() % 2100),
    };
    let shape = match kind {
        0..=4 => {
            if n * c > MAX_LEN {
                n = MAX_LEN / c;
            }
            vec![n, c]
        }
        5 => vec![c],
        _ => {
            let c = c % 72;
            let n = n % 7;
            let mut s = vec![n, c, usize::from(r.u8() % 20)];
            if kind == 7 {
                s.push(usize::from(r.u8() % 6));
            }
            while s.iter().product::<usize>() > MAX_LEN {
                s[2] /= 2;
            }
            s
        }
    };
    let c = if shape.len() == 1 { shape[0] } else { shape[1] };
    let nd = shape.len();
    // Options.
    let reduction = [Reduction::Mean, Reduction::Sum, Reduction::None][usize::from(r.u8() % 3)];
    let ls = r.u8();
    let label_smoothing = match ls {
        0..=127 => 0.0,
        128..=199 => f64::from(ls - 128) / 71.0,
        _ => [
            1.0,
            1e-300,
            5e-324,
            -0.0,
            -1e-9,
            1.000_000_1,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.5,
        ][usize::from(ls % 10)],
    };
    let ii = r.u8();
    let ignore_index = match ii {
        0..=199 => -100,
        200..=219 => i64::from(r.u16()) % (c.max(1) as i64),
        220..=234 => -1,
        235..=244 => r.u64() as i64,
        _ => c as i64,
    };
    let ws = r.u8();
    let weight = (ws >= 160).then(|| {
        let len = if ws >= 250 { c + 1 } else { c };
        DVector::from_fn(len, |_, _| {
            let b = r.u8();
            match b % 20 {
                0..=3 => T::round_from_f64(1.0),
                4 => T::round_from_f64(0.0),
                5 => T::round_from_f64(0.5),
                6 => T::round_from_f64(2.0),
                7 => T::round_from_f64(3.0),
                8 => T::round_from_f64(1e-3),
                9 => T::round_from_f64(1e3),
                10 => T::from_raw(1),
                11 => T::round_from_f64(T::MIN_POS),
                12 => T::round_from_f64(T::MAX_F),
                13 => T::round_from_f64(1e300),
                14 => T::round_from_f64(-1.0),
                15 => T::round_from_f64(f64::NAN),
                16 => T::round_from_f64(f64::INFINITY),
                17 => T::round_from_f64(-0.0),
                18 => T::round_from_f64(f64::from(r.u8()) / 16.0),
                _ => T::from_raw(r.u64()),
            }
        })
    });
    let dim_sel = r.u8();
    let dim = isize::from(dim_sel) % (2 * nd as isize + 2) - nd as isize - 1;
    // Mostly a valid axis: the class axis, or any.
    let dim = match dim_sel % 4 {
        0 => dim,
        1 => -1,
        _ => isize::from(nd > 1),
    };
    let want_grad = r.u8() & 1 == 1;
    let opts = CrossEntropyOptions {
        weight,
        ignore_index,
        reduction,
        label_smoothing,
    };
    // Target.
    let ts = r.u8();
    let bad_shape = ts % 16 == 15;
    let sample_shape: Vec<usize> = match nd {
        1 => vec![],
        _ => {
            let mut s = shape.clone();
            s.remove(1);
            s
        }
    };
    let target = if ts >= 192 && (nd == 2 || !bad_shape) {
        let pshape = if bad_shape {
            vec![shape[0] + 1, c]
        } else {
            shape.clone()
        };
        let prow = pshape.iter().product::<usize>() / c.max(1);
        let prow = if c == 0 { 0 } else { prow };
        let mut data = Vec::with_capacity(prow * c);
        // Rows in class-last order, written back in the shape's order below.
        let mut flat = vec![vec![0.0f64; c]; prow];
        for row in flat.iter_mut() {
            let s = r.u8();
            match s {
                0..=159 => {
                    const PAL: [f64; 8] = [1.0, 0.0, 2.0, 0.5, 3.0, 1e-3, 0.0, 1e-300];
                    for x in row.iter_mut() {
                        *x = if r.is_empty() {
                            1.0
                        } else {
                            PAL[usize::from(r.u8() % 8)]
                        };
                    }
                    let sum: f64 = row.iter().sum();
                    if sum > 0.0 {
                        row.iter_mut().for_each(|x| *x /= sum);
                    } else {
                        row.iter_mut().for_each(|x| *x = 1.0 / c as f64);
                    }
                }
                160..=199 => {
                    if c > 0 {
                        row[usize::from(r.u16()) % c] = 1.0;
                    }
                }
                200..=223 => row.iter_mut().for_each(|x| *x = 1.0 / c as f64),
                _ => {
                    if c > 0 {
                        let k = usize::from(r.u16()) % c;
                        row[k] = 1.0;
                        let j = usize::from(r.u16()) % c;
                        match r.u8() % 7 {
                            0 => row[j] = -1e-3,
                            1 => row[j] = f64::NAN,
                            2 => row[j] = f64::INFINITY,
                            3 => row[j] = 1.5,
                            4 => row[j] = -0.0,
                            5 => row[j] += 1e-300,
                            _ => row.iter_mut().for_each(|x| *x *= 1.0 + 3e-6),
                        }
                    }
                }
            }
        }
        // Back to the shape's (class axis 1) order.
        if pshape.len() <= 2 {
            for row in &flat {
                data.extend(row.iter().map(|&x| T::round_from_f64(x)));
            }
        } else {
            let inner: usize = pshape[2..].iter().product();
            for o in 0..pshape[0] {
                for k in 0..c {
                    for i in 0..inner {
                        data.push(T::round_from_f64(flat[o * inner + i][k]));
                    }
                }
            }
        }
        Tgt::Probs {
            shape: pshape,
            data,
        }
    } else {
        let mut ishape = sample_shape.clone();
        if bad_shape {
            if ishape.is_empty() {
                ishape.push(1);
            } else {
                ishape[0] += 1;
            }
        }
        let len: usize = ishape.iter().product();
        let data = (0..len)
            .map(|_| {
                let s = r.u8();
                match s {
                    0..=207 => i64::from(r.u16()) % (c.max(1) as i64),
                    208..=223 => ignore_index,
                    224..=231 => c as i64,
                    232..=239 => -1,
                    240..=247 => -100,
                    248 => i64::MIN,
                    249 => i64::MAX,
                    _ => r.u64() as i64,
                }
            })
            .collect();
        Tgt::Indices {
            shape: ishape,
            data,
        }
    };
    // Logits, last: they may take every remaining byte.
    let len: usize = shape.iter().product();
    let bg = value(r, T::round_from_f64(0.0));
    let mut logits = vec![bg; len];
    let mode = r.u8() % 4;
    match mode {
        0 => {
            for x in logits.iter_mut() {
                if r.is_empty() {
                    break;
                }
                *x = value(r, bg);
            }
        }
        1 => {}
        2 => {
            // A ramp of small steps: many ties, maxima in every chunk.
            let a = usize::from(r.u8()) + 1;
            let m = usize::from(r.u8() % 64) + 1;
            let step = value(r, bg).as_f64();
            for (j, x) in logits.iter_mut().enumerate() {
                *x = T::round_from_f64(bg.as_f64() + ((j * a) % m) as f64 * step);
            }
        }
        _ => {
            // A background per run of C elements (a row of an (N, C) input).
            for chunk in logits.chunks_mut(c.max(1)) {
                let v = value(r, bg);
                chunk.iter_mut().for_each(|x| *x = v);
            }
        }
    }
    if mode != 0 && len > 0 {
        let edits = r.u8() % 33;
        for _ in 0..edits {
            let pos = if nd == 2 && c > 0 && r.u8() & 1 == 0 {
                let row = usize::from(r.u8()) % shape[0].max(1);
                let col = EDGE_COLS[usize::from(r.u8() % 16)].min(c - 1);
                row * c + col
            } else {
                r.u32() as usize % len
            };
            logits[pos] = value(r, bg);
        }
    }
    Case {
        shape,
        logits,
        target,
        opts,
        dim,
        want_grad,
    }
}

// ---------------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------------

/// The class axis of a shape (1, or 0 for a 1-D input).
fn class_axis(shape: &[usize]) -> usize {
    usize::from(shape.len() > 1)
}

/// A row-major array of `shape` rearranged so that `axis` is last: `(rows, shape[axis])`,
/// row-major, rows in the order of the other axes.
fn axis_last<T: Copy>(data: &[T], shape: &[usize], axis: usize) -> Vec<T> {
    let a = ndarray::ArrayViewD::from_shape(IxDyn(shape), data).expect("shape");
    let mut order: Vec<usize> = (0..shape.len()).filter(|&i| i != axis).collect();
    order.push(axis);
    a.permuted_axes(IxDyn(&order)).iter().copied().collect()
}

fn row_major<T: Real>(m: &DMatrix<T>) -> Vec<T> {
    m.transpose().as_slice().to_vec()
}

// ---------------------------------------------------------------------------------------------
// Results and comparisons
// ---------------------------------------------------------------------------------------------

/// A loss and maybe a gradient (row-major in the class-last matrix), or an error.
type Out = Result<(Vec<f64>, Option<Vec<f64>>), Error>;

fn loss_vec<T: Real>(l: &Loss<T>) -> Vec<f64> {
    match l {
        Loss::Scalar(v) => vec![v.as_f64()],
        Loss::PerSample(v) => v.iter().map(|x| x.as_f64()).collect(),
    }
}

fn wide<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.as_f64()).collect()
}

fn same_error(a: &Error, b: &Error) -> bool {
    a.kind() == b.kind() && a.to_string() == b.to_string()
}

/// `a` and `b` agree within `ulps` machine epsilons of `scale`, with the same NaN and
/// infinities; and in any case within `ulps + 2·terms` of the type's smallest subnormal steps,
/// for a value that sums `terms` exponentials: in the subnormal range each is rounded to a
/// multiple of that step, in the fast kernel and in the reference alike (a tail of 1555 terms
/// `e^−718` is 7.3e-309, and the two differ by 440 steps, 3e-13 of it).
fn close<T: F>(a: f64, b: f64, ulps: f64, scale: f64, terms: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    if !a.is_finite() || !b.is_finite() {
        return false;
    }
    let step = T::EPS * T::MIN_POS;
    (a - b).abs() <= (ulps * T::EPS * scale).max((ulps + 2.0 * terms) * step)
}

/// A description of a mismatch, with the case.
fn fail<T: F>(case: &Case<T>, what: &str) -> ! {
    panic!("{what}\n--- case ---\n{}", case.source());
}

/// Bit fingerprint of a result, for the determinism checks.
fn print_out(fp: &mut Vec<u64>, o: &Out) {
    match o {
        Ok((l, g)) => {
            fp.push(1);
            fp.extend(l.iter().map(|x| x.to_bits()));
            if let Some(g) = g {
                fp.push(2);
                fp.extend(g.iter().map(|x| x.to_bits()));
            }
        }
        Err(e) => {
            let mut h = DefaultHasher::new();
            e.to_string().hash(&mut h);
            fp.push(3);
            fp.push(h.finish());
        }
    }
}

/// Everything the fast path answers for a case.
struct Fast {
    rows_fwd: Out,
    rows_grad: Out,
    rows_in_place: Out,
    /// The in-place buffer after the call (also on error).
    in_place_buf: Vec<f64>,
    mat_fwd: Out,
    mat_grad: Out,
    nd_fwd: Out,
    nd_grad: Out,
    /// softmax, log_softmax, logsumexp: matrix API, rows API, nd along `dim` (output, grad).
    fam_mat: [Out; 3],
    fam_rows: [Out; 3],
    fam_nd: [Out; 3],
}

impl Fast {
    fn outs(&self) -> Vec<(&'static str, &Out)> {
        let mut v = vec![
            ("rows cross_entropy", &self.rows_fwd),
            ("rows cross_entropy_with_grad", &self.rows_grad),
            ("rows cross_entropy_backward_in_place", &self.rows_in_place),
            ("matrix cross_entropy", &self.mat_fwd),
            ("matrix cross_entropy_with_grad", &self.mat_grad),
            ("nd cross_entropy", &self.nd_fwd),
            ("nd cross_entropy (grad)", &self.nd_grad),
        ];
        for (i, o) in self.fam_mat.iter().enumerate() {
            v.push((
                ["matrix softmax", "matrix log_softmax", "matrix logsumexp"][i],
                o,
            ));
        }
        for (i, o) in self.fam_rows.iter().enumerate() {
            v.push((["rows softmax", "rows log_softmax", "rows logsumexp"][i], o));
        }
        for (i, o) in self.fam_nd.iter().enumerate() {
            v.push((["nd softmax", "nd log_softmax", "nd logsumexp"][i], o));
        }
        v
    }

    /// The first output whose bits differ from `other`'s.
    fn differs(&self, other: &Fast) -> Option<&'static str> {
        if self
            .in_place_buf
            .iter()
            .map(|x| x.to_bits())
            .ne(other.in_place_buf.iter().map(|x| x.to_bits()))
        {
            return Some("the in-place buffer");
        }
        self.outs()
            .into_iter()
            .zip(other.outs())
            .find(|((_, a), (_, b))| !bits_eq(a, b))
            .map(|((name, _), _)| name)
    }
}

/// The class-last view of a case: `(rows, C)` logits and target, as the matrix APIs take it.
struct Flat<T> {
    rows: usize,
    c: usize,
    z: Vec<T>,
    indices: Option<Vec<i64>>,
    /// Probabilities `(prow, C)` row-major (`prow ≠ rows` for a target of the wrong shape).
    probs: Option<(usize, Vec<T>)>,
}

fn flat<T: F>(case: &Case<T>) -> Flat<T> {
    let shape = &case.shape;
    let axis = class_axis(shape);
    let c = shape[axis];
    let len: usize = shape.iter().product();
    let rows = if c == 0 {
        shape
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != axis)
            .map(|(_, &d)| d)
            .product()
    } else {
        len / c
    };
    let z = axis_last(&case.logits, shape, axis);
    let (indices, probs) = match &case.target {
        Tgt::Indices { data, .. } => (Some(data.clone()), None),
        Tgt::Probs { shape: ps, data } => {
            let prow = if c == 0 {
                ps.iter()
                    .enumerate()
                    .filter(|&(i, _)| i != axis)
                    .map(|(_, &d)| d)
                    .product()
            } else {
                ps.iter().product::<usize>() / c
            };
            (None, Some((prow, axis_last(data, ps, axis))))
        }
    };
    Flat {
        rows,
        c,
        z,
        indices,
        probs,
    }
}

fn row_target<'a, T: Real>(f: &'a Flat<T>) -> RowTarget<'a, T> {
    match (&f.indices, &f.probs) {
        (Some(t), _) => RowTarget::Indices(t),
        (None, Some((_, p))) => RowTarget::Probabilities(p),
        (None, None) => unreachable!("a case has a target"),
    }
}

fn loss_out<T: Real>(r: Result<Loss<T>, Error>) -> Out {
    r.map(|l| (loss_vec(&l), None))
}

fn nd_out<T: Real>(r: Result<NdOutput<T>, Error>, shape: &[usize], axis: usize) -> Out {
    r.map(|o| {
        let l = o.output.iter().map(|x| x.as_f64()).collect();
        let g = o.grad.map(|g| {
            assert_eq!(g.shape(), shape, "nd gradient shape");
            wide(&axis_last(
                g.as_slice().expect("standard layout"),
                shape,
                axis,
            ))
        });
        (l, g)
    })
}

/// A sentinel that no kernel writes: an unwritten element shows.
fn sentinel<T: F>() -> T {
    T::from_raw(if T::NAME == "f32" {
        0x7fa0_beef
    } else {
        0x7ff4_dead_beef_0001
    })
}

fn run_fast<T: F>(case: &Case<T>, f: &Flat<T>) -> Fast {
    let (rows, c) = (f.rows, f.c);
    let t = row_target(f);
    let opts = &case.opts;
    let unwritten = |what: &str, g: &[T]| {
        if g.iter().any(|x| x.bits() == sentinel::<T>().bits()) {
            fail(
                case,
                &format!("{what}: an element of the output buffer was not written"),
            );
        }
    };
    // The row-major API.
    let rows_fwd = loss_out(rows::cross_entropy(&f.z, c, t, opts));
    let mut g = vec![sentinel::<T>(); f.z.len()];
    let rows_grad = rows::cross_entropy_with_grad(&f.z, c, t, opts, &mut g).map(|l| {
        unwritten("rows::cross_entropy_with_grad", &g);
        (loss_vec(&l), Some(wide(&g)))
    });
    let mut buf = f.z.clone();
    let rows_in_place = rows::cross_entropy_backward_in_place(&mut buf, c, t, opts)
        .map(|l| (loss_vec(&l), Some(wide(&buf))));
    let in_place_buf = wide(&buf);
    // The matrix API.
    let zm = DMatrix::from_row_slice(rows, c, &f.z);
    let pm = f
        .probs
        .as_ref()
        .map(|(prow, p)| DMatrix::from_row_slice(*prow, c, p));
    let mt = match (&f.indices, &pm) {
        (Some(i), _) => Target::Indices(i),
        (None, Some(p)) => Target::Probabilities(p),
        (None, None) => unreachable!("a case has a target"),
    };
    let mat_fwd = loss_out(loss::cross_entropy(&zm, mt, opts));
    let mat_grad = loss::cross_entropy_with_grad(&zm, mt, opts)
        .map(|(l, g)| (loss_vec(&l), Some(wide(&row_major(&g)))));
    // The nd API.
    let x = ArrayD::from_shape_vec(IxDyn(&case.shape), case.logits.clone()).expect("shape");
    let nd_t_arrays = match &case.target {
        Tgt::Indices { shape, data } => (
            Some(ArrayD::from_shape_vec(IxDyn(shape), data.clone()).expect("shape")),
            None,
        ),
        Tgt::Probs { shape, data } => (
            None,
            Some(ArrayD::from_shape_vec(IxDyn(shape), data.clone()).expect("shape")),
        ),
    };
    let nd_t = || match &nd_t_arrays {
        (Some(i), _) => NdTarget::Indices(i.view()),
        (None, Some(p)) => NdTarget::Probabilities(p.view()),
        (None, None) => unreachable!("a case has a target"),
    };
    let axis = class_axis(&case.shape);
    let nd_fwd = nd_out(
        nd::cross_entropy(x.view(), nd_t(), opts, false),
        &case.shape,
        axis,
    );
    let nd_grad = nd_out(
        nd::cross_entropy(x.view(), nd_t(), opts, true),
        &case.shape,
        axis,
    );
    // The softmax family.
    let fam_mat = [
        softmax::softmax(&zm).map(|m| (wide(&row_major(&m)), None)),
        softmax::log_softmax(&zm).map(|m| (wide(&row_major(&m)), None)),
        softmax::logsumexp(&zm).map(|v| (wide(v.as_slice()), None)),
    ];
    let fam_rows = {
        let mut out = vec![sentinel::<T>(); f.z.len()];
        let sm = rows::softmax(&f.z, c, &mut out).map(|()| {
            unwritten("rows::softmax", &out);
            (wide(&out), None)
        });
        let mut out = vec![sentinel::<T>(); f.z.len()];
        let lsm = rows::log_softmax(&f.z, c, &mut out).map(|()| {
            unwritten("rows::log_softmax", &out);
            (wide(&out), None)
        });
        let mut out = vec![sentinel::<T>(); rows];
        let lse = rows::logsumexp(&f.z, c, &mut out).map(|()| {
            unwritten("rows::logsumexp", &out);
            (wide(&out), None)
        });
        [sm, lsm, lse]
    };
    let nd_axis = resolve_dim(case.dim, case.shape.len());
    let fam = |op| {
        let r = nd::softmax_family_dim(x.view(), op, case.dim, case.want_grad);
        let axis = nd_axis.unwrap_or(0);
        r.map(|o| {
            let out_shape = o.output.shape().to_vec();
            let l = if op == SoftmaxOp::LogSumExp {
                o.output.iter().map(|x| x.as_f64()).collect()
            } else {
                wide(&axis_last(
                    o.output.as_slice().expect("standard layout"),
                    &out_shape,
                    axis,
                ))
            };
            let g = o.grad.map(|g| {
                wide(&axis_last(
                    g.as_slice().expect("standard layout"),
                    &case.shape,
                    axis,
                ))
            });
            (l, g)
        })
    };
    let fam_nd = [
        fam(SoftmaxOp::Softmax),
        fam(SoftmaxOp::LogSoftmax),
        fam(SoftmaxOp::LogSumExp),
    ];
    Fast {
        rows_fwd,
        rows_grad,
        rows_in_place,
        in_place_buf,
        mat_fwd,
        mat_grad,
        nd_fwd,
        nd_grad,
        fam_mat,
        fam_rows,
        fam_nd,
    }
}

fn resolve_dim(dim: isize, nd: usize) -> Option<usize> {
    let a = if dim < 0 { dim + nd as isize } else { dim };
    (0..nd as isize).contains(&a).then_some(a as usize)
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// The size of the terms whose sum is the gradient of row `r` (as `tests/kernels.rs`).
fn gradient_scale<T: F>(case: &Case<T>, f: &Flat<T>, r: usize) -> f64 {
    let c = f.c;
    let opts = &case.opts;
    let w = |j: usize| opts.weight.as_ref().map_or(1.0, |w| w[j].as_f64());
    let w_max = (0..c).map(w).fold(0.0f64, f64::max);
    let w_total: f64 = (0..c).map(w).sum();
    let eps = opts.label_smoothing;
    let kept = |y: i64| y != opts.ignore_index;
    let denom = match (&f.indices, opts.reduction) {
        (Some(t), Reduction::Mean) => t
            .iter()
            .filter(|&&y| kept(y))
            .map(|&y| w(y as usize))
            .sum::<f64>(),
        (None, Reduction::Mean) => f.rows as f64,
        _ => 1.0,
    };
    let per = match (&f.indices, &f.probs) {
        (Some(t), _) if !kept(t[r]) => 0.0,
        (Some(t), _) => w(t[r] as usize) + eps * (w_total + w_max) / c as f64,
        (None, Some((_, p))) => {
            2.0 * (0..c)
                .map(|j| w(j) * ((1.0 - eps) * p[r * c + j].as_f64() + eps / c as f64))
                .sum::<f64>()
        }
        (None, None) => 0.0,
    };
    per / denom
}

fn ulps<T: F>() -> f64 {
    if T::NAME == "f32" { 4.0 } else { 8.0 }
}

/// A cross-entropy answer against the reference's.
fn check_ce<T: F>(case: &Case<T>, f: &Flat<T>, name: &str, fast: &Out, slow: &Out) {
    match (fast, slow) {
        (Err(a), Err(b)) => {
            if !same_error(a, b) {
                fail(case, &format!("{name}: error {a} vs reference {b}"));
            }
        }
        (Ok((la, ga)), Ok((lb, gb))) => {
            let sums = case.opts.label_smoothing > 0.0 || f.probs.is_some();
            let mut u = ulps::<T>();
            if sums {
                u += f.c as f64;
            }
            if case.opts.reduction != Reduction::None {
                u += f.rows as f64;
            }
            if la.len() != lb.len() {
                fail(
                    case,
                    &format!("{name}: {} losses vs {}", la.len(), lb.len()),
                );
            }
            for (i, (a, b)) in la.iter().zip(lb).enumerate() {
                // Each loss sums the tails of the rows it covers.
                let terms = (f.c * if la.len() == 1 { f.rows } else { 1 }) as f64;
                if !close::<T>(*a, *b, u, b.abs(), terms) {
                    fail(case, &format!("{name}: loss[{i}] {a:e} vs reference {b:e}"));
                }
            }
            if let (Some(ga), Some(gb)) = (ga, gb) {
                if ga.len() != gb.len() {
                    fail(
                        case,
                        &format!("{name}: gradient of {} vs {}", ga.len(), gb.len()),
                    );
                }
                let c = f.c.max(1);
                for (r, (rowa, rowb)) in ga.chunks(c).zip(gb.chunks(c)).enumerate() {
                    let scale = rowb
                        .iter()
                        .filter(|x| x.is_finite())
                        .fold(0.0f64, |m, x| m.max(x.abs()))
                        .max(gradient_scale(case, f, r));
                    for (k, (a, b)) in rowa.iter().zip(rowb).enumerate() {
                        if !close::<T>(*a, *b, ulps::<T>(), scale, 0.0) {
                            fail(
                                case,
                                &format!("{name}: grad[{r}, {k}] {a:e} vs reference {b:e}"),
                            );
                        }
                    }
                }
            }
        }
        (a, b) => fail(case, &format!("{name}: fast {a:?}\nvs reference {b:?}")),
    }
}

/// An answer that may be a `ShapeMismatch` instead of the reference's error (a target the
/// layer cannot lay out), else as [`check_ce`].
fn check_ce_shape<T: F>(
    case: &Case<T>,
    f: &Flat<T>,
    name: &str,
    fast: &Out,
    slow: &Out,
    shape_ok: bool,
) {
    if shape_ok {
        check_ce(case, f, name, fast, slow);
    } else {
        match fast {
            Err(e) if e.kind() == "ShapeMismatch" => {}
            Err(e) if e.kind() == "Empty" && f.c == 0 => {}
            other => fail(case, &format!("{name}: {other:?}, want a ShapeMismatch")),
        }
    }
}

fn bits_eq(a: &Out, b: &Out) -> bool {
    let mut x = Vec::new();
    let mut y = Vec::new();
    print_out(&mut x, a);
    print_out(&mut y, b);
    x == y
}

/// The loss of `with`, bit for bit the loss of `fwd`.
fn check_same_loss<T: F>(case: &Case<T>, name: &str, fwd: &Out, with: &Out) {
    let strip = |o: &Out| -> Out {
        match o {
            Ok((l, _)) => Ok((l.clone(), None)),
            Err(e) => Err(e.clone()),
        }
    };
    if !bits_eq(&strip(fwd), &strip(with)) {
        fail(
            case,
            &format!("{name}: forward alone {fwd:?}\nvs forward with backward {with:?}"),
        );
    }
}

/// The in-place backward's documented contract.
fn check_in_place<T: F>(case: &Case<T>, f: &Flat<T>, fast: &Fast, rows_shape_ok: bool) {
    let c = f.c;
    let opts = &case.opts;
    let t = row_target(f);
    // A copy without bad rows: whether the options and the target alone are fine.
    let bad_row = |r: usize| -> Option<Error> {
        let row = &f.z[r * c..(r + 1) * c];
        if let Some((col, x)) = row
            .iter()
            .enumerate()
            .find(|(_, x)| x.as_f64().is_nan() || x.as_f64() == f64::INFINITY)
        {
            return Some(Error::InvalidValue {
                what: "input",
                row: r,
                col,
                value: x.as_f64(),
                reason: "",
            });
        }
        let kept = match &f.indices {
            Some(i) => i.get(r).is_none_or(|&y| y != opts.ignore_index),
            None => true,
        };
        (kept && c > 0 && row.iter().all(|x| x.as_f64() == f64::NEG_INFINITY))
            .then_some(Error::AllNegInfRow { row: r })
    };
    let bad: Vec<(usize, Error)> = if c == 0 {
        Vec::new()
    } else {
        (0..f.rows)
            .filter_map(|r| bad_row(r).map(|e| (r, e)))
            .collect()
    };
    let mut clean = f.z.clone();
    for (r, _) in &bad {
        clean[r * c..(r + 1) * c]
            .iter_mut()
            .for_each(|x| *x = T::round_from_f64(0.0));
    }
    let mut g_clean = vec![sentinel::<T>(); clean.len()];
    let clean_res = rows::cross_entropy_with_grad(&clean, c, t, opts, &mut g_clean);
    // The documented exception: under `Mean`, a denominator `Σ w_y` (weights divided by their
    // maximum, as the library does) whose reciprocal overflows is left to the reference.
    let left_to_reference = opts.reduction == Reduction::Mean
        && clean_res.is_ok()
        && f.indices.as_ref().is_some_and(|t| {
            let w: Vec<f64> = opts
                .weight
                .as_ref()
                .map_or_else(|| vec![1.0; c], |w| wide(w.as_slice()));
            let max = w.iter().copied().fold(0.0, f64::max);
            let denom: f64 = t
                .iter()
                .filter(|&&y| y != opts.ignore_index)
                .map(|&y| w[y as usize] / max)
                .sum();
            !(1.0 / denom).is_finite()
        });
    if left_to_reference {
        let same = match (&fast.rows_in_place, &fast.rows_grad) {
            (Ok(a), Ok(b)) => bits_eq(&Ok(a.clone()), &Ok(b.clone())),
            (Err(a), Err(b)) => {
                same_error(a, b)
                    && fast
                        .in_place_buf
                        .iter()
                        .zip(&f.z)
                        .all(|(a, z)| a.to_bits() == z.as_f64().to_bits())
            }
            _ => false,
        };
        if !same {
            fail(
                case,
                "in place (left to the reference): differs from cross_entropy_with_grad",
            );
        }
        return;
    }
    match (&fast.rows_in_place, clean_res) {
        // Options or target refused: the same error as the forward call, nothing written.
        (Err(e), Err(_)) => {
            let Err(want) = &fast.rows_fwd else {
                fail(case, "in place: an error where the forward call has none")
            };
            let ok = if rows_shape_ok {
                same_error(e, want)
            } else {
                e.kind() == want.kind()
            };
            if !ok {
                fail(case, &format!("in place: {e} vs forward {want}"));
            }
            if fast
                .in_place_buf
                .iter()
                .zip(&f.z)
                .any(|(a, z)| a.to_bits() != z.as_f64().to_bits())
            {
                fail(
                    case,
                    "in place: the buffer was written before an option/target error",
                );
            }
        }
        (Ok((l, g)), Ok(lc)) => {
            if !bad.is_empty() {
                fail(case, &format!("in place: Ok on a bad row ({:?})", bad[0].1));
            }
            let want: Out = Ok((loss_vec(&lc), Some(wide(&g_clean))));
            if !bits_eq(&Ok((l.clone(), g.clone())), &want) {
                fail(
                    case,
                    "in place: loss or gradient differ from cross_entropy_with_grad",
                );
            }
        }
        (Err(e), Ok(_)) => {
            let Some((r0, want)) = bad.first() else {
                fail(case, &format!("in place: {e} on good rows"));
            };
            let ok = match (e, want) {
                (
                    Error::InvalidValue {
                        what,
                        row,
                        col,
                        value,
                        ..
                    },
                    Error::InvalidValue {
                        row: r2,
                        col: c2,
                        value: v2,
                        ..
                    },
                ) => *what == "input" && row == r2 && col == c2 && value.to_bits() == v2.to_bits(),
                (Error::AllNegInfRow { row }, Error::AllNegInfRow { row: r2 }) => row == r2,
                _ => false,
            };
            if !ok {
                fail(case, &format!("in place: {e}, want {want} (row {r0})"));
            }
            {
                let b = &fast.in_place_buf;
                for r in 0..f.rows {
                    let got = &b[r * c..(r + 1) * c];
                    let is_bad = bad.iter().any(|(br, _)| *br == r);
                    let want: Vec<f64> = if is_bad {
                        wide(&f.z[r * c..(r + 1) * c])
                    } else {
                        wide(&g_clean[r * c..(r + 1) * c])
                    };
                    if got
                        .iter()
                        .zip(&want)
                        .any(|(a, w)| a.to_bits() != w.to_bits())
                    {
                        fail(
                            case,
                            &format!(
                                "in place: row {r} ({}) is {got:?}, want {want:?}",
                                if is_bad {
                                    "bad, left as it was"
                                } else {
                                    "its gradient"
                                }
                            ),
                        );
                    }
                }
            }
        }
        (Ok(_), Err(e)) => fail(
            case,
            &format!("in place: Ok where the clean input gives {e}"),
        ),
    }
}

/// A softmax-family answer against the reference's: values relative to themselves; a
/// gradient within the given scales.
/// `terms`: the length of the rows (the number of exponentials in each tail).
fn check_family<T: F>(
    case: &Case<T>,
    name: &str,
    fast: &Out,
    slow: &Out,
    gscale: Option<&[f64]>,
    terms: usize,
) {
    let terms = terms as f64;
    match (fast, slow) {
        (Err(a), Err(b)) => {
            if !same_error(a, b) {
                fail(case, &format!("{name}: error {a} vs reference {b}"));
            }
        }
        (Ok((a, ga)), Ok((b, gb))) => {
            if a.len() != b.len() {
                fail(case, &format!("{name}: {} values vs {}", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if !close::<T>(*x, *y, ulps::<T>(), y.abs(), terms) {
                    fail(case, &format!("{name}: [{i}] {x:e} vs reference {y:e}"));
                }
            }
            match (ga, gb, gscale) {
                (None, None, _) => {}
                (Some(ga), Some(gb), Some(sc)) if ga.len() == gb.len() => {
                    for (i, ((x, y), s)) in ga.iter().zip(gb).zip(sc).enumerate() {
                        if !close::<T>(*x, *y, ulps::<T>(), *s, 0.0) {
                            fail(case, &format!("{name}: grad[{i}] {x:e} vs reference {y:e}"));
                        }
                    }
                }
                _ => fail(case, &format!("{name}: gradients {ga:?} vs {gb:?}")),
            }
        }
        (a, b) => fail(case, &format!("{name}: fast {a:?}\nvs reference {b:?}")),
    }
}

/// The reference softmax family of a `(rows, C)` row-major matrix: softmax, log_softmax,
/// logsumexp; with `grads`, the gradients `nd` gives (of the sum of the outputs, from the
/// softmax `s` in `f64`: 0, `1 − C·s`, `s`) and the size of their terms (`1 + C·s` for
/// `1 − C·s`: `C` times the error of `s`).
fn reference_family<T: F>(
    z: &[T],
    rows: usize,
    c: usize,
    grads: bool,
) -> ([Out; 3], [Vec<f64>; 3]) {
    let zm = DMatrix::from_row_slice(rows, c, z);
    let mut outs = [
        reference::softmax(&zm).map(|m| (wide(&row_major(&m)), None)),
        reference::log_softmax(&zm).map(|m| (wide(&row_major(&m)), None)),
        reference::logsumexp(&zm).map(|v| (wide(v.as_slice()), None)),
    ];
    let mut scales = [Vec::new(), Vec::new(), Vec::new()];
    if !grads {
        return (outs, scales);
    }
    let zw = DMatrix::from_row_slice(rows, c, &wide(z));
    let s = reference::softmax(&zw).map(|m| row_major(&m));
    let cf = c as f64;
    let rules: [&dyn Fn(f64) -> (f64, f64); 3] =
        [&|_| (0.0, 0.0), &|s| (1.0 - cf * s, 1.0 + cf * s), &|s| {
            (s, s)
        }];
    for (i, rule) in rules.iter().enumerate() {
        let o = std::mem::replace(&mut outs[i], Ok((Vec::new(), None)));
        outs[i] = match (o, &s) {
            (Ok((v, _)), Ok(s)) => {
                let (g, sc): (Vec<f64>, Vec<f64>) = s
                    .iter()
                    .map(|&x| {
                        let (g, sc) = rule(x);
                        (T::round_from_f64(g).as_f64(), sc)
                    })
                    .unzip();
                scales[i] = sc;
                Ok((v, Some(g)))
            }
            (Ok(_), Err(e)) => Err(e.clone()),
            (Err(e), _) => Err(e),
        };
    }
    (outs, scales)
}

fn check<T: F>(case: &Case<T>) {
    let f = flat(case);
    let (rows, c) = (f.rows, f.c);
    let opts = &case.opts;
    // The reference.
    let zm = DMatrix::from_row_slice(rows, c, &f.z);
    let pm = f
        .probs
        .as_ref()
        .map(|(prow, p)| DMatrix::from_row_slice(*prow, c, p));
    let mt = match (&f.indices, &pm) {
        (Some(i), _) => Target::Indices(i),
        (None, Some(p)) => Target::Probabilities(p),
        (None, None) => unreachable!("a case has a target"),
    };
    let slow: Out = reference::cross_entropy_with_grad(&zm, mt, opts)
        .map(|(l, g)| (loss_vec(&l), Some(wide(&row_major(&g)))));
    let slow_fwd: Out = match &slow {
        Ok((l, _)) => Ok((l.clone(), None)),
        Err(e) => Err(e.clone()),
    };
    // The fast paths, at full width on two threads.
    let fast = pools().1.install(|| run_fast(case, &f));
    // Determinism: every vector width, one thread.
    for level in [1u8, 0] {
        rows::limit_simd(level);
        let other = pools().1.install(|| run_fast(case, &f));
        rows::limit_simd(2);
        if let Some(what) = fast.differs(&other) {
            fail(
                case,
                &format!("{what}: SIMD level {level} gives other bits than level 2"),
            );
        }
    }
    let one = pools().0.install(|| run_fast(case, &f));
    if let Some(what) = fast.differs(&one) {
        fail(
            case,
            &format!("{what}: one thread gives other bits than two"),
        );
    }

    // Shapes: which layers can lay the target out.
    let probs_len_ok = f.probs.as_ref().is_none_or(|(prow, _)| *prow == rows);
    let nd_shape_ok = match &case.target {
        Tgt::Indices { shape, .. } => {
            let mut s = case.shape.clone();
            if s.len() > 1 {
                s.remove(1);
            } else {
                s.clear();
            }
            *shape == s
        }
        Tgt::Probs { shape, .. } => *shape == case.shape,
    };

    // Against the reference.
    check_ce(
        case,
        &f,
        "matrix cross_entropy_with_grad",
        &fast.mat_grad,
        &slow,
    );
    check_ce(case, &f, "matrix cross_entropy", &fast.mat_fwd, &slow_fwd);
    check_ce_shape(
        case,
        &f,
        "rows cross_entropy_with_grad",
        &fast.rows_grad,
        &slow,
        probs_len_ok,
    );
    check_ce_shape(
        case,
        &f,
        "rows cross_entropy",
        &fast.rows_fwd,
        &slow_fwd,
        probs_len_ok,
    );
    check_ce_shape(
        case,
        &f,
        "nd cross_entropy (grad)",
        &fast.nd_grad,
        &slow,
        nd_shape_ok,
    );
    check_ce_shape(
        case,
        &f,
        "nd cross_entropy",
        &fast.nd_fwd,
        &slow_fwd,
        nd_shape_ok,
    );
    // Forward alone = forward with backward, bit for bit.
    check_same_loss(case, "rows", &fast.rows_fwd, &fast.rows_grad);
    check_same_loss(case, "matrix", &fast.mat_fwd, &fast.mat_grad);
    check_same_loss(case, "nd", &fast.nd_fwd, &fast.nd_grad);
    check_in_place(case, &f, &fast, probs_len_ok);

    // The softmax family along the class axis: the matrix and rows APIs.
    let (fam_ref, _) = reference_family(&f.z, rows, c, false);
    let names = ["softmax", "log_softmax", "logsumexp"];
    for i in 0..3 {
        check_family(
            case,
            &format!("matrix {}", names[i]),
            &fast.fam_mat[i],
            &fam_ref[i],
            None,
            c,
        );
        check_family(
            case,
            &format!("rows {}", names[i]),
            &fast.fam_rows[i],
            &fam_ref[i],
            None,
            c,
        );
    }
    // nd along `dim`.
    match resolve_dim(case.dim, case.shape.len()) {
        None => {
            for (i, o) in fast.fam_nd.iter().enumerate() {
                match o {
                    Err(e) if e.kind() == "ShapeMismatch" => {}
                    o => fail(
                        case,
                        &format!("nd {} with dim {}: {o:?}", names[i], case.dim),
                    ),
                }
            }
        }
        Some(axis) => {
            let cd = case.shape[axis];
            let zd = axis_last(&case.logits, &case.shape, axis);
            let rd = if cd == 0 { 0 } else { zd.len() / cd };
            let (want, scales) = reference_family(&zd, rd, cd, case.want_grad);
            for i in 0..3 {
                check_family(
                    case,
                    &format!("nd {} dim {}", names[i], case.dim),
                    &fast.fam_nd[i],
                    &want[i],
                    Some(&scales[i]),
                    cd,
                );
            }
        }
    }
}

/// A pool of one thread and one of two, built once.
fn pools() -> &'static (rayon::ThreadPool, rayon::ThreadPool) {
    static POOLS: OnceLock<(rayon::ThreadPool, rayon::ThreadPool)> = OnceLock::new();
    POOLS.get_or_init(|| {
        let p = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("a thread pool")
        };
        (p(1), p(2))
    })
}

fuzz_target!(|data: &[u8]| {
    let mut r = Bytes { data };
    if r.u8() & 1 == 0 {
        let case = decode::<f64>(&mut r);
        check(&case);
    } else {
        let case = decode::<f32>(&mut r);
        check(&case);
    }
});
