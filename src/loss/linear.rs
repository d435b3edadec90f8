//! The fused linear layer + cross-entropy: see [`linear_cross_entropy`].

use super::cross_entropy::{Prepared, TargetRows, prepare};
use super::fast::{self, Layout, Plan, RowEnd, RowsTarget};
use super::rows::RowTarget;
use super::{CrossEntropyOptions, Loss, narrow_loss, reduce};
use crate::error::{Error, Result};
use crate::real::Real;

/// The linear layer in front of the loss: `nn.Linear(D, V)`'s parameters, row-major.
#[derive(Clone, Copy, Debug)]
pub struct Linear<'a, T: Real = f64> {
    /// `(V, D)`: row `v` holds the weights of class `v` (a tied language-model head passes
    /// its token embedding `wte`).
    pub weight: &'a [T],
    /// `(V,)`, or none.
    pub bias: Option<&'a [T]>,
    /// `D`, the width of a hidden state.
    pub in_features: usize,
}

/// How the tokens are chunked (PyTorch's `LinearCrossEntropyOptions.batch_chunk_size`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinearCrossEntropyOptions {
    /// Tokens per chunk. `None`: as many as fit in [`DEFAULT_CHUNK_BYTES`] of logits (at
    /// least 32, at most N).
    pub batch_chunk_size: Option<usize>,
}

/// The memory for one chunk of logits when no chunk size is given: 64 MiB.
pub const DEFAULT_CHUNK_BYTES: usize = 64 << 20;

impl LinearCrossEntropyOptions {
    /// The chunk size used for `n` tokens and `v` classes of `T`.
    #[must_use]
    pub fn chunk_rows<T>(&self, n: usize, v: usize) -> usize {
        let auto = || {
            let per_row = v.max(1) * std::mem::size_of::<T>();
            (DEFAULT_CHUNK_BYTES / per_row).max(32)
        };
        self.batch_chunk_size
            .unwrap_or_else(auto)
            .clamp(1, n.max(1))
    }
}

/// Where [`linear_cross_entropy_with_grad`] writes the gradients (every element is written).
#[derive(Debug)]
pub struct LinearGrads<'a, T: Real = f64> {
    /// `∂loss/∂input`, `(N, D)`.
    pub input: &'a mut [T],
    /// `∂loss/∂linear_weight`, `(V, D)`.
    pub weight: &'a mut [T],
    /// `∂loss/∂linear_bias`, `(V,)`, if wanted (also without a bias: the gradient at `b = 0`).
    pub bias: Option<&'a mut [T]>,
}

/// `cross_entropy(input · linear.weightᵀ + linear.bias, target)` without the `(N, V)` logits:
/// PyTorch's `linear_cross_entropy(input, linear_weight, target, linear_bias=..., weight=...,
/// reduction=..., ignore_index=..., label_smoothing=...)`, in nats.
///
///
/// `input` is `(N, D)` row-major with `D = linear.in_features`; `target` holds class indices
/// `(N,)` or probabilities `(N, V)` row-major; `opts` are [`super::cross_entropy`]'s.
///
/// # Formula
/// Hidden states `X` `(N, D)`, a weight `W` `(V, D)` (`nn.Linear`'s layout: row `v` is class
/// `v`), an optional bias `b` `(V,)`:
///
/// ```text
/// Z = X·Wᵀ + b                       (N, V), class axis 1
/// loss = cross_entropy(Z, target)    every option of `cross_entropy`
/// G = ∂loss/∂Z                       = (softmax(Z) − y)/scale for plain index targets
/// ∂loss/∂X = G·W    ∂loss/∂W = Gᵀ·X    ∂loss/∂b = Σ_n G_n
/// ```
///
/// # Memory
/// `Z` is `N·V` numbers: for 2048 tokens and GPT-2's V = 50 257, 412 MB in `f32`, twice that
/// with its gradient. Here the tokens go through in chunks of `m` rows: a chunk's logits are
/// computed into one `m × V` buffer, reduced, overwritten by their gradient `G` in the same
/// pass (the in-place backward of [`super::rows::cross_entropy_backward_in_place`]), and `G`
/// is consumed by the two products of the backward pass before the next chunk. The only
/// allocation proportional to the vocabulary is that buffer (plus `N` per-token losses and the
/// matrix library's small packing buffers); the gradients go straight into the caller's
/// buffers. This is the idea of Liger-Kernel's `FusedLinearCrossEntropy` and of Apple's Cut
/// Cross-Entropy (Wijmans et al., 2024), and what PyTorch's chunked path
/// (`LinearCrossEntropyOptions`) does.
///
/// # Arithmetic
/// The three products run through `matrixmultiply`'s gemm (the kernel nalgebra uses for large
/// matrices) on strided views of the row-major buffers; with the `rayon` feature each product is split into
/// disjoint output blocks over the cores: the logits by classes (each core packs only its
/// part of `W`), `∂X` by rows, `∂W` by classes. Each element of these products is summed over
/// `D` (or over the chunk's tokens) in the same order whatever the split. For `V` above
/// 8,192, `∂X = G·W` is summed over fixed blocks of 8,192 classes (each block's `G` and `W`
/// packed once, not once per core) and the blocks' products are added in class order. So
/// results do not depend on the number of threads. The gradient with respect to `W` adds the
/// chunks in token order.
/// The cross-entropy itself is the crate's kernel: same accuracy, same semantics.
///
/// Where PyTorch differs: it accepts `in_features = 0` (all logits equal the bias) and
/// non-finite inputs (NaN losses); its default `ignore_index` for this function is `None`,
/// which it maps to −100 for class-index targets, the same as ours.
///
/// ```
/// use ce_mle::loss::{CrossEntropyOptions, Linear, LinearCrossEntropyOptions, linear_cross_entropy};
/// use ce_mle::loss::rows::RowTarget;
/// // Two tokens, D = 2, V = 3: the logits are (2, 1, 0.1) and (0, 0, 0).
/// let x = [1.0, 0.0, 0.0, 0.0];
/// let w = [2.0, 0.0, 1.0, 0.0, 0.1, 0.0];
/// let linear = Linear { weight: &w, bias: None, in_features: 2 };
/// let l = linear_cross_entropy(&x, linear, RowTarget::Indices(&[0, 2]),
///     &CrossEntropyOptions::default(), LinearCrossEntropyOptions::default())?;
/// let want = (0.417_030_016_277_833_5 + 3f64.ln()) / 2.0;
/// assert!((l.scalar().unwrap() - want).abs() < 1e-14);
/// # Ok::<(), ce_mle::Error>(())
/// ```
///
/// # Errors
/// In this order: shapes ([`Error::ShapeMismatch`], [`Error::Empty`] for `D = 0` or `V = 0`);
/// a NaN or `±∞` in `input`, `linear_weight` or `linear_bias` ([`Error::InvalidValue`]); the
/// options and the target, as [`super::cross_entropy`] reports them; then, while the chunks
/// are computed, a logit that overflowed to `±∞` ([`Error::InvalidValue`] with `what =
/// "logits"`, or [`Error::AllNegInfRow`]). After an error found during the chunks the
/// gradient buffers hold partial results.
pub fn linear_cross_entropy<T: Real>(
    input: &[T],
    linear: Linear<'_, T>,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    chunking: LinearCrossEntropyOptions,
) -> Result<Loss<T>> {
    run(input, linear, target, opts, chunking, None)
}

/// [`linear_cross_entropy`] and its gradients with respect to the input, the weight and the
/// bias, written into `grads`. For [`super::Reduction::None`] they are the gradients of
/// `Σ_n l_n`.
///
/// # Errors
/// As [`linear_cross_entropy`]; [`Error::ShapeMismatch`] for a gradient buffer of another
/// length.
pub fn linear_cross_entropy_with_grad<T: Real>(
    input: &[T],
    linear: Linear<'_, T>,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    chunking: LinearCrossEntropyOptions,
    grads: LinearGrads<'_, T>,
) -> Result<Loss<T>> {
    run(input, linear, target, opts, chunking, Some(grads))
}

fn shape_error(what: &'static str, expected: String, got: usize) -> Error {
    Error::ShapeMismatch {
        what,
        expected,
        got: format!("{got} numbers"),
    }
}

/// The first NaN or `±∞` of `(rows, cols)` row-major `data`.
fn check_finite<T: Real>(what: &'static str, data: &[T], cols: usize) -> Result<()> {
    match data.iter().position(|x| !x.as_f64().is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::InvalidValue {
            what,
            row: i / cols.max(1),
            col: i % cols.max(1),
            value: data[i].as_f64(),
            reason: "the logits would be NaN or infinite; every entry must be finite",
        }),
    }
}

fn run<T: Real>(
    input: &[T],
    linear: Linear<'_, T>,
    target: RowTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    chunking: LinearCrossEntropyOptions,
    mut grads: Option<LinearGrads<'_, T>>,
) -> Result<Loss<T>> {
    let d = linear.in_features;
    if d == 0 {
        return Err(Error::Empty("in_features is 0 (D = 0)"));
    }
    if !input.len().is_multiple_of(d) {
        return Err(shape_error("input", format!("(N, {d})"), input.len()));
    }
    if !linear.weight.len().is_multiple_of(d) {
        return Err(shape_error(
            "linear_weight",
            format!("(V, {d})"),
            linear.weight.len(),
        ));
    }
    let (n, v) = (input.len() / d, linear.weight.len() / d);
    if v == 0 {
        return Err(Error::Empty("linear_weight has no rows (V = 0 classes)"));
    }
    if let Some(b) = linear.bias
        && b.len() != v
    {
        return Err(shape_error("linear_bias", format!("({v},)"), b.len()));
    }
    if let Some(g) = grads.as_ref() {
        if g.input.len() != input.len() {
            return Err(shape_error(
                "grad input",
                format!("({n}, {d})"),
                g.input.len(),
            ));
        }
        if g.weight.len() != linear.weight.len() {
            return Err(shape_error(
                "grad weight",
                format!("({v}, {d})"),
                g.weight.len(),
            ));
        }
        if let Some(gb) = g.bias.as_ref()
            && gb.len() != v
        {
            return Err(shape_error("grad bias", format!("({v},)"), gb.len()));
        }
    }
    check_finite("input", input, d)?;
    check_finite("linear_weight", linear.weight, d)?;
    if let Some(b) = linear.bias {
        check_finite("linear_bias", b, v)?;
    }
    let prep = match target {
        RowTarget::Indices(t) => prepare(n, v, TargetRows::Indices(t), opts)?,
        RowTarget::Probabilities(p) => {
            let row = |r: usize, buf: &mut [f64]| {
                for (b, x) in buf.iter_mut().zip(&p[r * v..(r + 1) * v]) {
                    *b = x.as_f64();
                }
            };
            prepare(
                n,
                v,
                TargetRows::Probabilities {
                    len: p.len(),
                    row: &row,
                },
                opts,
            )?
        }
    };
    if let Some(g) = grads.as_mut() {
        g.weight.fill(T::zero());
        if let Some(gb) = g.bias.as_mut() {
            gb.fill(T::zero());
        }
    }
    let m = chunking.chunk_rows::<T>(n, v);
    let mut buf = vec![T::zero(); m.min(n) * v];
    let mut per = Vec::with_capacity(n);
    let mut r0 = 0;
    while r0 < n {
        let r1 = (r0 + m).min(n);
        let rows = r1 - r0;
        let x = &input[r0 * d..r1 * d];
        let z = &mut buf[..rows * v];
        logits(x, linear, d, v, z);
        let plan = Plan {
            layout: Layout::rows(rows, v),
            target: match (&prep, target) {
                (
                    Prepared {
                        classes: Some(cl), ..
                    },
                    _,
                ) => RowsTarget::Classes(&cl[r0..r1]),
                (_, RowTarget::Probabilities(p)) => RowsTarget::Probabilities(&p[r0 * v..r1 * v]),
                (_, RowTarget::Indices(_)) => unreachable!("class targets are prepared"),
            },
            weight: prep.weight.as_deref(),
            eps: opts.label_smoothing,
            // A mean's denominator without a finite reciprocal (see `Prepared::fast_scale`):
            // the kernel writes the unscaled gradient and it is divided below.
            grad_scale: if prep.fast_scale() {
                prep.grad_scale
            } else {
                1.0
            },
        };
        match grads.as_mut() {
            Some(g) => {
                let (chunk_per, ends) = fast::cross_entropy_in_place(z, &plan);
                if let Some(r) = ends.iter().position(|e| *e != RowEnd::Done) {
                    return Err(overflowed(&z[r * v..(r + 1) * v], r0 + r, ends[r]));
                }
                per.extend(chunk_per);
                if !prep.fast_scale() {
                    for e in z.iter_mut() {
                        *e = T::round_from_f64(e.as_f64() / prep.grad_scale);
                    }
                }
                backward(z, x, linear.weight, d, v, g, r0);
            }
            None => match fast::cross_entropy(z, &plan, None) {
                Ok(Ok(chunk_per)) => per.extend(chunk_per),
                Ok(Err(r)) => return Err(Error::AllNegInfRow { row: r0 + r }),
                Err(_) => {
                    let r = z
                        .chunks_exact(v)
                        .position(|row| {
                            row.iter()
                                .any(|x| x.as_f64().is_nan() || x.as_f64() == f64::INFINITY)
                        })
                        .unwrap_or(0);
                    return Err(overflowed(&z[r * v..(r + 1) * v], r0 + r, RowEnd::Bad));
                }
            },
        }
        r0 = r1;
    }
    let (loss, _) = reduce(per, opts.reduction, prep.denom)?;
    Ok(narrow_loss(loss))
}

/// The error for row `r` of the logits, which the finite inputs made overflow.
fn overflowed<T: Real>(row: &[T], r: usize, end: RowEnd) -> Error {
    if end == RowEnd::AllNegInf {
        return Error::AllNegInfRow { row: r };
    }
    let (col, value) = row
        .iter()
        .map(|x| x.as_f64())
        .enumerate()
        .find(|(_, x)| x.is_nan() || *x == f64::INFINITY)
        .unwrap_or((0, f64::NAN));
    Error::InvalidValue {
        what: "logits",
        row: r,
        col,
        value,
        reason: "input · linear_weightᵀ + linear_bias overflowed; scale the inputs down",
    }
}

/// A matrix in a slice: `(rows, cols)` with element `(i, j)` at `i·rs + j·cs`.
#[derive(Clone, Copy)]
struct Strided {
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl Strided {
    /// Row-major `(rows, cols)`.
    fn rm(rows: usize, cols: usize) -> Self {
        Strided {
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose (no copy).
    fn t(self) -> Self {
        Strided {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Panics unless every element lies inside a slice of `len`.
    fn check(self, len: usize) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < len, "matrix extends past its slice");
        }
    }
}

/// `c ← a·b + beta·c` (`beta` 0 or 1) with `matrixmultiply`'s gemm, the kernel nalgebra runs
/// for large matrices, called directly so that strided views of any size work.
fn gemm<T: Real>(a: (&[T], Strided), b: (&[T], Strided), beta: bool, c: (&mut [T], Strided)) {
    let ((a, sa), (b, sb), (c, sc)) = (a, b, c);
    assert!(sa.cols == sb.rows && sc.rows == sa.rows && sc.cols == sb.cols);
    sa.check(a.len());
    sb.check(b.len());
    sc.check(c.len());
    // SAFETY: the three matrices lie inside their slices (checked above), and `c` is borrowed
    // mutably, so it overlaps neither `a` nor `b`.
    unsafe {
        gemm_raw(
            (a.as_ptr(), sa),
            (b.as_ptr(), sb),
            beta,
            (c.as_mut_ptr(), sc),
        )
    }
}

/// [`gemm`] on pointers.
///
/// # Safety
/// Every element of the three matrices lies inside its allocation, `c`'s elements are
/// written by no one else while this runs, and `c` overlaps neither `a` nor `b`.
unsafe fn gemm_raw<T: Real>(
    (a, sa): (*const T, Strided),
    (b, sb): (*const T, Strided),
    beta: bool,
    (c, sc): (*mut T, Strided),
) {
    let is = |s: usize| s as isize;
    let beta = if beta { 1.0 } else { 0.0 };
    // SAFETY: the caller's contract; `T` is f32 or f64 as the type ids say.
    unsafe {
        if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
            matrixmultiply::sgemm(
                sa.rows,
                sa.cols,
                sb.cols,
                1.0,
                a.cast::<f32>(),
                is(sa.rs),
                is(sa.cs),
                b.cast::<f32>(),
                is(sb.rs),
                is(sb.cs),
                beta as f32,
                c.cast::<f32>(),
                is(sc.rs),
                is(sc.cs),
            );
        } else {
            assert!(std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>());
            matrixmultiply::dgemm(
                sa.rows,
                sa.cols,
                sb.cols,
                1.0,
                a.cast::<f64>(),
                is(sa.rs),
                is(sa.cs),
                b.cast::<f64>(),
                is(sb.rs),
                is(sb.cs),
                beta,
                c.cast::<f64>(),
                is(sc.rs),
                is(sc.cs),
            );
        }
    }
}

/// The logits buffer, shared by the threads that each write their own columns of it.
#[derive(Clone, Copy)]
struct SharedColumns<T>(*mut T);
// SAFETY: the pointer is only used to write disjoint column blocks (see `logits`).
unsafe impl<T: Send> Send for SharedColumns<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SharedColumns<T> {}

impl<T> SharedColumns<T> {
    fn ptr(self) -> *mut T {
        self.0
    }
}

/// Split the row-major `(rows, cols)` buffer `out` into one block of whole rows per thread and
/// run `f(first_row, block)` on each (in parallel with the `rayon` feature).
fn row_blocks<T: Real>(
    out: &mut [T],
    rows: usize,
    cols: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        let per = rows.div_ceil(rayon::current_num_threads().max(1));
        out.par_chunks_mut(per * cols)
            .enumerate()
            .for_each(|(b, block)| f(b * per, block));
    }
    #[cfg(not(feature = "rayon"))]
    f(0, out);
}

/// `z = x·Wᵀ + b` for the chunk's `x` `(rows, D)`, split over the cores by classes: each
/// core packs only its rows of `W` (split by rows, every core would pack all of `W` for every
/// chunk; for a large vocabulary that packing is a pass over `W` each time).
fn logits<T: Real>(x: &[T], linear: Linear<'_, T>, d: usize, v: usize, z: &mut [T]) {
    let rows = x.len() / d;
    if rows == 0 || v == 0 {
        return;
    }
    assert_eq!(z.len(), rows * v, "logits buffer");
    Strided::rm(rows, d).check(x.len());
    Strided::rm(v, d).check(linear.weight.len());
    let out = SharedColumns(z.as_mut_ptr());
    let block = |c0: usize, c1: usize| {
        // Through a method, so that the closure captures the `Sync` wrapper, not its pointer.
        let p = out.ptr();
        let bc = c1 - c0;
        // SAFETY: `z` is `(rows, v)` row-major (its length is checked above), and this call
        // writes only its columns `c0..c1`, which no other block writes; `x` and `W` are only
        // read, and lie inside their slices (checked above), `W`'s rows `c0..c1` included.
        unsafe {
            gemm_raw(
                (x.as_ptr(), Strided::rm(rows, d)),
                (linear.weight.as_ptr().add(c0 * d), Strided::rm(bc, d).t()),
                false,
                (
                    p.add(c0),
                    Strided {
                        rows,
                        cols: bc,
                        rs: v,
                        cs: 1,
                    },
                ),
            );
            if let Some(b) = linear.bias {
                for r in 0..rows {
                    let zr = std::slice::from_raw_parts_mut(p.add(r * v + c0), bc);
                    for (z, b) in zr.iter_mut().zip(&b[c0..c1]) {
                        *z += *b;
                    }
                }
            }
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        let per = v.div_ceil(rayon::current_num_threads().max(1));
        (0..v.div_ceil(per))
            .into_par_iter()
            .for_each(|i| block(i * per, ((i + 1) * per).min(v)));
    }
    #[cfg(not(feature = "rayon"))]
    block(0, v);
}

/// Above this many classes, `∂X = G·W` is summed over blocks of this many classes (see
/// [`linear_cross_entropy`], "Arithmetic"; `tests/linear.rs` crosses it).
const DX_CLASS_BLOCK: usize = 8192;

/// The chunk's share of the gradients: `∂X = G·W` for its rows, `∂W += Gᵀ·X`, `∂b += Σ G`.
fn backward<T: Real>(
    g: &[T],
    x: &[T],
    w: &[T],
    d: usize,
    v: usize,
    out: &mut LinearGrads<'_, T>,
    r0: usize,
) {
    let rows = x.len() / d;
    let gx = &mut out.input[r0 * d..(r0 + rows) * d];
    let wv = (w, Strided::rm(v, d));
    if v > DX_CLASS_BLOCK && rows > 0 && d > 0 {
        // One product per block of classes (its part of G and of W packed once), then the
        // blocks added in class order.
        let blocks = v.div_ceil(DX_CLASS_BLOCK);
        let mut partial = vec![T::zero(); blocks * rows * d];
        let one = |b: usize, p: &mut [T]| {
            let c0 = b * DX_CLASS_BLOCK;
            let bc = DX_CLASS_BLOCK.min(v - c0);
            let gb = Strided {
                rows,
                cols: bc,
                rs: v,
                cs: 1,
            };
            gemm(
                (&g[c0..], gb),
                (&w[c0 * d..], Strided::rm(bc, d)),
                false,
                (p, Strided::rm(rows, d)),
            );
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            partial
                .par_chunks_mut(rows * d)
                .enumerate()
                .for_each(|(b, p)| one(b, p));
        }
        #[cfg(not(feature = "rayon"))]
        partial
            .chunks_mut(rows * d)
            .enumerate()
            .for_each(|(b, p)| one(b, p));
        let mut parts = partial.chunks_exact(rows * d);
        gx.copy_from_slice(parts.next().expect("at least one block"));
        for p in parts {
            for (a, b) in gx.iter_mut().zip(p) {
                *a += *b;
            }
        }
    } else {
        row_blocks(gx, rows, d, |i0, block| {
            let bi = block.len() / d;
            let gb = (&g[i0 * v..(i0 + bi) * v], Strided::rm(bi, v));
            gemm(gb, wv, false, (block, Strided::rm(bi, d)));
        });
    }
    let xv = (x, Strided::rm(rows, d));
    let bias = out.bias.as_deref_mut();
    // ∂W rows [c0, c1) += G[:, c0..c1]ᵀ · X; the bias gradient over the same classes.
    let weight_block = |c0: usize, block: &mut [T], bias: Option<&mut [T]>| {
        let bc = block.len() / d;
        // Gᵀ restricted to classes c0..c0+bc: element (c, i) is g[i·V + c0 + c].
        let gt = Strided {
            rows: bc,
            cols: rows,
            rs: 1,
            cs: v,
        };
        gemm((&g[c0..], gt), xv, true, (block, Strided::rm(bc, d)));
        if let Some(bias) = bias {
            for row in g.chunks_exact(v) {
                for (s, x) in bias.iter_mut().zip(&row[c0..c0 + bc]) {
                    *s += *x;
                }
            }
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        let per = v.div_ceil(rayon::current_num_threads().max(1));
        match bias {
            Some(bias) => out
                .weight
                .par_chunks_mut(per * d)
                .zip(bias.par_chunks_mut(per))
                .enumerate()
                .for_each(|(b, (block, bias))| weight_block(b * per, block, Some(bias))),
            None => out
                .weight
                .par_chunks_mut(per * d)
                .enumerate()
                .for_each(|(b, block)| weight_block(b * per, block, None)),
        }
    }
    #[cfg(not(feature = "rayon"))]
    weight_block(0, out.weight, bias);
}
