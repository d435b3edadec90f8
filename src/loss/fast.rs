//! The cross-entropy and the softmax family over a [`Layout`], on the kernels of
//! [`super::kernel`]: what `cross_entropy`, `log_softmax`, `softmax` and `logsumexp` run, for
//! nalgebra matrices, PyTorch-layout slices ([`crate::loss::rows`]) and n-dimensional arrays
//! alike.
//!
//! Validation happens in the same pass as the reduction: a row holding a NaN or `+∞` sends
//! the whole call to the reference loops ([`super::reference`]), which find the first bad
//! element and return the same error as before. Rows are independent and written to disjoint
//! outputs, so with the `rayon` feature they are spread over the cores and the results do not
//! depend on the number of threads; sums over rows are taken in row order.

use crate::compensated::Dd;
use crate::real::Real;

use super::kernel::{
    LANES, Stats, lanes_gap_sum, lanes_output, lanes_stats, log_softmax_element,
    row_affine_softmax, row_log_softmax, row_scaled_softmax_in_place, row_stats, scaled_term,
    strided_row_stats,
};

/// A tensor whose class axis has stride `inner`: element `(o, c, i)` is at
/// `(o·classes + c)·inner + i` (see [`super::kernel`]). Its rows (samples) are the pairs
/// `(o, i)`, numbered `o·inner + i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) outer: usize,
    pub(crate) classes: usize,
    pub(crate) inner: usize,
}

impl Layout {
    /// Row-major `(N, C)`: PyTorch's logits.
    pub(crate) fn rows(n: usize, c: usize) -> Self {
        Layout {
            outer: n,
            classes: c,
            inner: 1,
        }
    }

    /// nalgebra's column-major `(N, C)` matrix.
    pub(crate) fn column_major(n: usize, c: usize) -> Self {
        Layout {
            outer: 1,
            classes: c,
            inner: n,
        }
    }

    /// Number of rows (samples).
    pub(crate) fn n(&self) -> usize {
        self.outer * self.inner
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.outer * self.classes * self.inner
    }

    /// Index of class `c` of row `r`.
    #[inline]
    pub(crate) fn at(&self, r: usize, c: usize) -> usize {
        let (o, i) = (r / self.inner, r % self.inner);
        (o * self.classes + c) * self.inner + i
    }
}

/// A row with a NaN or `+∞`: the caller reruns the reference to report it.
pub(crate) struct BadInput;

/// The stats of every row, in row order.
pub(crate) fn all_stats<T: Real>(
    data: &[T],
    layout: Layout,
) -> std::result::Result<Vec<Stats>, BadInput> {
    if layout.inner == 1 {
        let mut out = vec![EMPTY; layout.n()];
        each_row(data, layout.classes, &mut out, |row, s| {
            *s = row_stats(row).ok_or(BadInput)?;
            Ok(())
        })?;
        return Ok(out);
    }
    let per_block = each_block(layout, None::<&mut [T]>, |blk, _| {
        let mut st = Vec::with_capacity(blk.width);
        block_stats(data, layout, blk, |_, s| st.push(*s))?;
        Ok(st)
    })?;
    Ok(per_block.into_iter().flatten().collect())
}

const EMPTY: Stats = Stats {
    m: f64::NEG_INFINITY,
    tail: Dd { hi: 0.0, lo: 0.0 },
};

// ---------------------------------------------------------------------------------------------
// Strided layouts: blocks of rows side by side
// ---------------------------------------------------------------------------------------------

/// Rows per unit of work of a strided layout (eight groups of [`LANES`]).
const BLOCK: usize = 8 * LANES;

/// A unit of work: rows `outer·inner + i0 ..` of one outer index, `width` of them.
#[derive(Clone, Copy, Debug)]
struct Block {
    outer: usize,
    i0: usize,
    width: usize,
}

impl Block {
    /// The index of class 0 of the block's row `j`.
    fn base(&self, layout: Layout, j: usize) -> usize {
        self.outer * layout.classes * layout.inner + self.i0 + j
    }

    /// The row number of the block's row `j`.
    fn row(&self, layout: Layout, j: usize) -> usize {
        self.outer * layout.inner + self.i0 + j
    }
}

fn blocks_of(layout: Layout) -> Vec<Block> {
    let mut v = Vec::new();
    for outer in 0..layout.outer {
        let mut i0 = 0;
        while i0 < layout.inner {
            let width = BLOCK.min(layout.inner - i0);
            v.push(Block { outer, i0, width });
            i0 += width;
        }
    }
    v
}

/// Split `out` (in `layout`) into each block's column slices: `cols[b][c]` holds class `c` of
/// block `b`'s rows. Disjoint, so the blocks can be written in parallel.
fn block_columns<'a, T>(
    out: &'a mut [T],
    layout: Layout,
    blocks: &[Block],
) -> Vec<Vec<&'a mut [T]>> {
    let mut cols: Vec<Vec<&'a mut [T]>> = blocks
        .iter()
        .map(|_| Vec::with_capacity(layout.classes))
        .collect();
    let per_outer = layout.inner.div_ceil(BLOCK);
    for (o, sub) in out
        .chunks_mut(layout.classes * layout.inner)
        .enumerate()
        .take(layout.outer)
    {
        for column in sub.chunks_mut(layout.inner) {
            let mut rest = column;
            for b in 0..per_outer {
                let blk = o * per_outer + b;
                let (head, tail) = rest.split_at_mut(blocks[blk].width);
                cols[blk].push(head);
                rest = tail;
            }
        }
    }
    cols
}

/// Run `f` on every block, with its column slices of `out` if given (in parallel with the
/// `rayon` feature), and return the results in block order.
fn each_block<T: Real, R: Send>(
    layout: Layout,
    out: Option<&mut [T]>,
    f: impl Fn(&Block, Option<&mut [&mut [T]]>) -> std::result::Result<R, BadInput> + Sync + Send,
) -> std::result::Result<Vec<R>, BadInput> {
    let blocks = blocks_of(layout);
    if blocks.is_empty() {
        return Ok(Vec::new());
    }
    let cols: Vec<Option<Vec<&mut [T]>>> = match out {
        Some(out) => block_columns(out, layout, &blocks)
            .into_iter()
            .map(Some)
            .collect(),
        None => blocks.iter().map(|_| None).collect(),
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        blocks
            .par_iter()
            .zip(cols.into_par_iter())
            .map(|(b, mut c)| f(b, c.as_deref_mut()))
            .collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        blocks
            .iter()
            .zip(cols)
            .map(|(b, mut c)| f(b, c.as_deref_mut()))
            .collect()
    }
}

/// The stats of a block's rows, `LANES` at a time (the rest one by one); `each(j, stats)` for
/// its row `j`, in order.
fn block_stats<T: Real>(
    data: &[T],
    layout: Layout,
    blk: &Block,
    mut each: impl FnMut(usize, &Stats),
) -> std::result::Result<(), BadInput> {
    let full = blk.width / LANES * LANES;
    for j0 in (0..full).step_by(LANES) {
        let st = lanes_stats(data, blk.base(layout, j0), layout.classes, layout.inner)
            .ok_or(BadInput)?;
        for (l, s) in st.iter().enumerate() {
            each(j0 + l, s);
        }
    }
    for j in full..blk.width {
        let s = strided_row_stats(data, blk.base(layout, j), layout.classes, layout.inner)
            .ok_or(BadInput)?;
        each(j, &s);
    }
    Ok(())
}

/// Run `f` on every contiguous row of `data` (rows of `c` elements) with its slot of `out`,
/// on all cores with the `rayon` feature.
fn each_row<T: Real, S: Send>(
    data: &[T],
    c: usize,
    out: &mut [S],
    f: impl Fn(&[T], &mut S) -> std::result::Result<(), BadInput> + Sync + Send,
) -> std::result::Result<(), BadInput> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        data.par_chunks_exact(c)
            .zip(out.par_iter_mut())
            .try_for_each(|(row, s)| f(row, s))
    }
    #[cfg(not(feature = "rayon"))]
    {
        data.chunks_exact(c)
            .zip(out.iter_mut())
            .try_for_each(|(row, s)| f(row, s))
    }
}

/// As [`each_row`], with the row's slice of a second buffer of the same layout.
fn each_row_mut<T: Real, S: Send>(
    data: &[T],
    c: usize,
    dst: &mut [T],
    out: &mut [S],
    f: impl Fn(usize, &[T], &mut [T], &mut S) -> std::result::Result<(), BadInput> + Sync + Send,
) -> std::result::Result<(), BadInput> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        data.par_chunks_exact(c)
            .zip(dst.par_chunks_exact_mut(c))
            .zip(out.par_iter_mut())
            .enumerate()
            .try_for_each(|(r, ((row, d), s))| f(r, row, d, s))
    }
    #[cfg(not(feature = "rayon"))]
    {
        data.chunks_exact(c)
            .zip(dst.chunks_exact_mut(c))
            .zip(out.iter_mut())
            .enumerate()
            .try_for_each(|(r, ((row, d), s))| f(r, row, d, s))
    }
}

/// The same in place: `buf` holds the logits and receives the outputs.
fn each_row_in_place<T: Real, S: Send>(
    buf: &mut [T],
    c: usize,
    out: &mut [S],
    f: impl Fn(usize, &mut [T], &mut S) -> std::result::Result<(), BadInput> + Sync + Send,
) -> std::result::Result<(), BadInput> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        buf.par_chunks_exact_mut(c)
            .zip(out.par_iter_mut())
            .enumerate()
            .try_for_each(|(r, (row, s))| f(r, row, s))
    }
    #[cfg(not(feature = "rayon"))]
    {
        buf.chunks_exact_mut(c)
            .zip(out.iter_mut())
            .enumerate()
            .try_for_each(|(r, (row, s))| f(r, row, s))
    }
}

// ---------------------------------------------------------------------------------------------
// The softmax family
// ---------------------------------------------------------------------------------------------

/// Which member of the softmax family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    LogSoftmax,
    Softmax,
}

/// `log_softmax` or `softmax` of every row into `out` (same layout); `Err(BadInput)` for a NaN
/// or `+∞`, `Ok(Some(r))` for a first row `r` of only `−∞`.
pub(crate) fn family<T: Real>(
    data: &[T],
    layout: Layout,
    which: Family,
    out: &mut [T],
) -> std::result::Result<Option<usize>, BadInput> {
    let c = layout.classes;
    if layout.inner == 1 {
        let mut empty = vec![false; layout.n()];
        each_row_mut(data, c, out, &mut empty, |_, row, o, e| {
            let st = row_stats(row).ok_or(BadInput)?;
            if st.m == f64::NEG_INFINITY {
                *e = true;
                return Ok(());
            }
            match which {
                Family::LogSoftmax => row_log_softmax(row, &st, o),
                Family::Softmax => row_affine_softmax(row, &st, 1.0, 0.0, None, o),
            }
            Ok(())
        })?;
        return Ok(empty.iter().position(|&e| e));
    }
    let firsts = each_block(layout, Some(out), |blk, cols| {
        let cols = cols.unwrap_or_default();
        let mut first_empty = None;
        let full = blk.width / LANES * LANES;
        for j0 in (0..full).step_by(LANES) {
            let base = blk.base(layout, j0);
            let st = lanes_stats(data, base, c, layout.inner).ok_or(BadInput)?;
            if let Some(l) = st.iter().position(|s| s.m == f64::NEG_INFINITY) {
                first_empty.get_or_insert(blk.row(layout, j0 + l));
                continue;
            }
            let log = which == Family::LogSoftmax;
            let ones = [1.0; LANES];
            let zeros = [0.0; LANES];
            lanes_output(
                data,
                base,
                layout.inner,
                &st,
                &ones,
                &zeros,
                None,
                log,
                cols,
                j0,
            );
        }
        for j in full..blk.width {
            let base = blk.base(layout, j);
            let st = strided_row_stats(data, base, c, layout.inner).ok_or(BadInput)?;
            if st.m == f64::NEG_INFINITY {
                first_empty.get_or_insert(blk.row(layout, j));
                continue;
            }
            let l = st.log1p_tail();
            let inv = st.inv_denominator();
            for (k, col) in cols.iter_mut().enumerate() {
                let x = data[base + k * layout.inner].as_f64();
                col[j] = T::round_from_f64(match which {
                    Family::LogSoftmax => log_softmax_element(x, st.m, l),
                    Family::Softmax => scaled_term::<T>(x, st.m, inv),
                });
            }
        }
        Ok(first_empty)
    })?;
    Ok(firsts.into_iter().flatten().min())
}

/// `m + log1p(s)` of every row, or `Err(r)` for a row where the two cancel (`m < 0` and
/// `log1p(s)` between `|m|/2` and `4|m|`): the reference recomputes those in double-double.
pub(crate) fn logsumexps(stats: &[Stats]) -> std::result::Result<Vec<f64>, usize> {
    stats
        .iter()
        .enumerate()
        .map(|(r, st)| {
            if st.m == f64::NEG_INFINITY {
                return Ok(st.m);
            }
            let l = st.log1p_tail();
            if st.m < 0.0 && l > -0.5 * st.m && l < -4.0 * st.m {
                Err(r)
            } else {
                Ok(st.m + l)
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy
// ---------------------------------------------------------------------------------------------

/// The target of one call, with the class indices already checked.
pub(crate) enum RowsTarget<'a, T: Real> {
    /// The class of each row, `None` where ignored.
    Classes(&'a [Option<usize>]),
    /// Probabilities in the logits' layout, each row already checked to be a distribution.
    Probabilities(&'a [T]),
}

/// Everything the per-row arithmetic needs, validated by the caller.
pub(crate) struct Plan<'a, T: Real> {
    pub(crate) layout: Layout,
    pub(crate) target: RowsTarget<'a, T>,
    /// Class weights (`f64`), scaled as the caller decided; `None` means all 1.
    pub(crate) weight: Option<&'a [f64]>,
    /// Label smoothing ε.
    pub(crate) eps: f64,
    /// The gradient is divided by this (the mean's denominator, or 1).
    pub(crate) grad_scale: f64,
}

impl<T: Real> Plan<'_, T> {
    fn w(&self, k: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[k])
    }

    fn w_total(&self) -> f64 {
        self.weight
            .map_or(self.layout.classes as f64, |w| w.iter().sum())
    }
}

/// `a · b`, except that a zero coefficient wins over an infinite factor (`0 · ∞ = 0`).
#[inline(always)]
fn term(a: f64, b: f64) -> f64 {
    if a == 0.0 { 0.0 } else { a * b }
}

/// The loss of one row (and, with `grad`, its gradient), from its stats. `value(k)` reads
/// class `k` of the row; `set(k, g)` writes the gradient's class `k`.
#[inline(always)]
fn row_loss<T: Real>(
    plan: &Plan<'_, T>,
    r: usize,
    st: &Stats,
    value: impl Fn(usize) -> f64,
    prob: impl Fn(usize) -> f64,
    mut set: Option<impl FnMut(usize, f64)>,
) -> f64 {
    let c = plan.layout.classes;
    let cf = c as f64;
    let eps = plan.eps;
    let l = st.log1p_tail();
    let inv = st.inv_denominator();
    let inv_scale = 1.0 / plan.grad_scale;
    let lq = |k: usize| log_softmax_element(value(k), st.m, l);
    match plan.target {
        RowsTarget::Classes(classes) => {
            let Some(y) = classes[r] else {
                if let Some(set) = set.as_mut() {
                    for k in 0..c {
                        set(k, 0.0);
                    }
                }
                return 0.0;
            };
            let wy = plan.w(y);
            let nll = term(wy, -lq(y));
            let mut loss = term(1.0 - eps, nll);
            if eps > 0.0 {
                let smooth: f64 = (0..c).map(|k| term(plan.w(k), -lq(k))).sum::<f64>() / cf;
                loss += term(eps, smooth);
            }
            if let Some(set) = set.as_mut() {
                let w_total = plan.w_total();
                for k in 0..c {
                    let q = scaled_term::<T>(value(k), st.m, inv);
                    let hard = wy * (q - if k == y { 1.0 } else { 0.0 });
                    let g = if eps > 0.0 {
                        let soft = (w_total * q - plan.w(k)) / cf;
                        (1.0 - eps) * hard + eps * soft
                    } else {
                        hard
                    };
                    set(k, g * inv_scale);
                }
            }
            loss
        }
        RowsTarget::Probabilities(_) => {
            let p = |k: usize| (1.0 - eps) * prob(k) + eps / cf;
            let loss = (0..c).map(|k| term(plan.w(k) * p(k), -lq(k))).sum();
            if let Some(set) = set.as_mut() {
                let mass: f64 = (0..c).map(|k| plan.w(k) * p(k)).sum();
                for k in 0..c {
                    let q = scaled_term::<T>(value(k), st.m, inv);
                    set(k, (q * mass - plan.w(k) * p(k)) * inv_scale);
                }
            }
            loss
        }
    }
}

/// Whether the plan is the plain case (index targets, no weights, no smoothing), whose
/// gradient is `(softmax − onehot)/scale`: one vectorised pass.
fn plain<T: Real>(plan: &Plan<'_, T>) -> bool {
    matches!(plan.target, RowsTarget::Classes(_)) && plan.weight.is_none() && plan.eps == 0.0
}

/// Per-row losses of the cross-entropy, and the gradient into `grad` (same layout) if given.
/// `Err(BadInput)` for a NaN or `+∞` logit, `Ok(Err(r))` for a first kept row `r` of only `−∞`.
pub(crate) fn cross_entropy<T: Real>(
    data: &[T],
    plan: &Plan<'_, T>,
    grad: Option<&mut [T]>,
) -> std::result::Result<std::result::Result<Vec<f64>, usize>, BadInput> {
    let layout = plan.layout;
    let c = layout.classes;
    let n = layout.n();
    let mut per = vec![0.0; n];
    let mut empty = vec![false; n];
    let probs = match plan.target {
        RowsTarget::Probabilities(p) => Some(p),
        RowsTarget::Classes(_) => None,
    };
    if layout.inner == 1 {
        let mut slots: Vec<(f64, bool)> = vec![(0.0, false); n];
        let one_row = |r: usize, row: &[T], g: Option<&mut [T]>, slot: &mut (f64, bool)| {
            let st = row_stats(row).ok_or(BadInput)?;
            let kept = match plan.target {
                RowsTarget::Classes(cl) => cl[r].is_some(),
                RowsTarget::Probabilities(_) => true,
            };
            if st.m == f64::NEG_INFINITY {
                slot.1 = kept;
                // An ignored row of only −∞ has gradient 0 (a kept one is an error).
                if let Some(g) = g {
                    g.iter_mut().for_each(|x| *x = T::round_from_f64(0.0));
                }
                return Ok(());
            }
            let value = |k: usize| row[k].as_f64();
            let prob = |k: usize| probs.map_or(0.0, |p| p[r * c + k].as_f64());
            match g {
                Some(g) if plain(plan) => {
                    // softmax/scale, then the target's −1/scale.
                    let inv_scale = 1.0 / plan.grad_scale;
                    let RowsTarget::Classes(cl) = plan.target else {
                        unreachable!("plain() checked the target kind")
                    };
                    match cl[r] {
                        Some(y) => {
                            row_affine_softmax(row, &st, inv_scale, 0.0, None, g);
                            let q = scaled_term::<T>(row[y].as_f64(), st.m, st.inv_denominator());
                            g[y] = T::round_from_f64((q - 1.0) * inv_scale);
                            let l = st.log1p_tail();
                            slot.0 = -log_softmax_element(row[y].as_f64(), st.m, l);
                        }
                        None => g.iter_mut().for_each(|x| *x = T::round_from_f64(0.0)),
                    }
                }
                Some(g) => {
                    slot.0 = row_loss(
                        plan,
                        r,
                        &st,
                        value,
                        prob,
                        Some(|k, v| {
                            g[k] = T::round_from_f64(v);
                        }),
                    );
                }
                None => {
                    slot.0 = row_loss(plan, r, &st, value, prob, None::<fn(usize, f64)>);
                }
            }
            Ok(())
        };
        match grad {
            Some(g) => each_row_mut(data, c, g, &mut slots, |r, row, g, s| {
                one_row(r, row, Some(g), s)
            })?,
            None => {
                let mut indexed: Vec<(usize, (f64, bool))> =
                    (0..n).map(|r| (r, (0.0, false))).collect();
                each_row(data, c, &mut indexed, |row, s| {
                    one_row(s.0, row, None, &mut s.1)
                })?;
                for (slot, (_, v)) in slots.iter_mut().zip(indexed) {
                    *slot = v;
                }
            }
        }
        for (r, (l, e)) in slots.into_iter().enumerate() {
            per[r] = l;
            empty[r] = e;
        }
    } else {
        let want_grad = grad.is_some();
        let results = each_block(layout, grad, |blk, cols| {
            strided_block_loss(data, plan, probs, blk, cols.filter(|_| want_grad))
        })?;
        for (blk, res) in blocks_of(layout).iter().zip(results) {
            for (j, (l, e)) in res.into_iter().enumerate() {
                let r = blk.row(layout, j);
                per[r] = l;
                empty[r] = e;
            }
        }
    }
    Ok(match empty.iter().position(|&e| e) {
        Some(r) => Err(r),
        None => Ok(per),
    })
}

/// The losses of one block of a strided layout (and its gradient into `cols`): class-index
/// targets `LANES` rows at a time with vectorised outputs, probability targets and the rows
/// left over one by one. `(loss, kept row of only −∞)` per row.
fn strided_block_loss<T: Real>(
    data: &[T],
    plan: &Plan<'_, T>,
    probs: Option<&[T]>,
    blk: &Block,
    mut cols: Option<&mut [&mut [T]]>,
) -> std::result::Result<Vec<(f64, bool)>, BadInput> {
    let layout = plan.layout;
    let (c, stride) = (layout.classes, layout.inner);
    let cf = c as f64;
    let eps = plan.eps;
    let inv_scale = 1.0 / plan.grad_scale;
    let mut out = vec![(0.0, false); blk.width];
    let mut lanes_done = 0;
    if let RowsTarget::Classes(classes) = plan.target {
        let w_total = plan.w_total();
        lanes_done = blk.width / LANES * LANES;
        for j0 in (0..lanes_done).step_by(LANES) {
            let base = blk.base(layout, j0);
            let st = lanes_stats(data, base, c, stride).ok_or(BadInput)?;
            let mut a = [0.0; LANES];
            let mut b = [0.0; LANES];
            let mut ys = [None; LANES];
            for l in 0..LANES {
                let y = classes[blk.row(layout, j0 + l)];
                if st[l].m == f64::NEG_INFINITY {
                    out[j0 + l].1 = y.is_some();
                    continue;
                }
                if let Some(y) = y {
                    let wy = plan.w(y);
                    // `term`: without smoothing, no 0·∞ when the weights' total overflows.
                    a[l] = ((1.0 - eps) * wy + term(eps, w_total / cf)) * inv_scale;
                    b[l] = eps / cf * inv_scale;
                    ys[l] = Some(y);
                }
            }
            let gaps = (eps > 0.0).then(|| lanes_gap_sum(data, base, c, stride, &st, plan.weight));
            for l in 0..LANES {
                let Some(y) = ys[l] else { continue };
                let s = &st[l];
                let lq =
                    log_softmax_element(data[base + y * stride + l].as_f64(), s.m, s.log1p_tail());
                let wy = plan.w(y);
                let mut loss = term(1.0 - eps, term(wy, -lq));
                if let Some(g) = gaps {
                    let smooth = (g[l] + w_total * s.log1p_tail()) / cf;
                    loss += term(eps, smooth);
                }
                out[j0 + l].0 = loss;
            }
            if let Some(cols) = cols.as_deref_mut() {
                lanes_output(
                    data,
                    base,
                    stride,
                    &st,
                    &a,
                    &b,
                    plan.weight,
                    false,
                    cols,
                    j0,
                );
                // The target class exactly: (1 − ε)·w_y·(q_y − 1) + ε·(W·q_y − w_y)/C.
                for l in 0..LANES {
                    let Some(y) = ys[l] else { continue };
                    let s = &st[l];
                    let q = scaled_term::<T>(
                        data[base + y * stride + l].as_f64(),
                        s.m,
                        s.inv_denominator(),
                    );
                    let wy = plan.w(y);
                    let mut g = wy * (q - 1.0);
                    if eps > 0.0 {
                        g = (1.0 - eps) * g + eps * (w_total * q - wy) / cf;
                    }
                    cols[y][j0 + l] = T::round_from_f64(g * inv_scale);
                }
            }
        }
    }
    for j in lanes_done..blk.width {
        let base = blk.base(layout, j);
        let r = blk.row(layout, j);
        let st = strided_row_stats(data, base, c, stride).ok_or(BadInput)?;
        let kept = match plan.target {
            RowsTarget::Classes(cl) => cl[r].is_some(),
            RowsTarget::Probabilities(_) => true,
        };
        if st.m == f64::NEG_INFINITY {
            out[j].1 = kept;
            continue;
        }
        let value = |k: usize| data[base + k * stride].as_f64();
        let prob = |k: usize| probs.map_or(0.0, |p| p[base + k * stride].as_f64());
        out[j].0 = match cols.as_deref_mut() {
            Some(cols) => row_loss(
                plan,
                r,
                &st,
                value,
                prob,
                Some(|k: usize, v: f64| {
                    cols[k][j] = T::round_from_f64(v);
                }),
            ),
            None => row_loss(plan, r, &st, value, prob, None::<fn(usize, f64)>),
        };
    }
    Ok(out)
}

/// How a row of the in-place form ended.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum RowEnd {
    /// Its loss; the gradient is written.
    #[default]
    Done,
    /// A NaN or `+∞`: the row is left as it was.
    Bad,
    /// Kept, and every logit `−∞`: the row is left as it was.
    AllNegInf,
}

/// The Liger-Kernel form: the per-row losses, with the gradient written over the logits
/// (contiguous rows only). Each row is reduced, then overwritten while it is in cache; a row
/// with a NaN or `+∞`, or a kept row of only `−∞`, is left as it was and reported in `ends`.
pub(crate) fn cross_entropy_in_place<T: Real>(
    buf: &mut [T],
    plan: &Plan<'_, T>,
) -> (Vec<f64>, Vec<RowEnd>) {
    let layout = plan.layout;
    debug_assert_eq!(layout.inner, 1);
    let c = layout.classes;
    let n = layout.n();
    let probs = match plan.target {
        RowsTarget::Probabilities(p) => Some(p),
        RowsTarget::Classes(_) => None,
    };
    let mut slots: Vec<(f64, RowEnd)> = vec![(0.0, RowEnd::Done); n];
    let _ = each_row_in_place(buf, c, &mut slots, |r, row, slot| {
        let Some(st) = row_stats(row) else {
            slot.1 = RowEnd::Bad;
            return Ok(());
        };
        let kept = match plan.target {
            RowsTarget::Classes(cl) => cl[r].is_some(),
            RowsTarget::Probabilities(_) => true,
        };
        if st.m == f64::NEG_INFINITY {
            if kept {
                slot.1 = RowEnd::AllNegInf;
            } else {
                row.iter_mut().for_each(|x| *x = T::round_from_f64(0.0));
            }
            return Ok(());
        }
        let prob = |k: usize| probs.map_or(0.0, |p| p[r * c + k].as_f64());
        // The loss reads the logits: take it before they are overwritten.
        slot.0 = {
            let logits: &[T] = row;
            row_loss(
                plan,
                r,
                &st,
                |k| logits[k].as_f64(),
                prob,
                None::<fn(usize, f64)>,
            )
        };
        let inv_scale = 1.0 / plan.grad_scale;
        match plan.target {
            RowsTarget::Classes(cl) if plain(plan) => match cl[r] {
                Some(y) => {
                    let q_y = scaled_term::<T>(row[y].as_f64(), st.m, st.inv_denominator());
                    row_scaled_softmax_in_place(row, &st, inv_scale);
                    row[y] = T::round_from_f64((q_y - 1.0) * inv_scale);
                }
                None => row.iter_mut().for_each(|x| *x = T::round_from_f64(0.0)),
            },
            _ => {
                let mut g = vec![0.0; c];
                {
                    let logits: &[T] = row;
                    row_loss(
                        plan,
                        r,
                        &st,
                        |k| logits[k].as_f64(),
                        prob,
                        Some(|k, v| g[k] = v),
                    );
                }
                for (x, v) in row.iter_mut().zip(g) {
                    *x = T::round_from_f64(v);
                }
            }
        }
        Ok(())
    });
    slots.into_iter().unzip()
}
