//! The losses and the softmax family on PyTorch-shaped arrays: unbatched `(C,)`, batched
//! `(N, C)` and K-dimensional `(N, C, d1, …, dK)` inputs, as `ndarray` arrays in row-major
//! (C) order — the layout of a PyTorch tensor or a nested list.
//!
//! # Shapes
//! * The class axis is **axis 1**, or axis 0 for a 1-D (unbatched) input, as in PyTorch.
//! * A K-dimensional input `(N, C, d1, …, dK)` is the same loss on `N·d1⋯dK` rows of C logits:
//!   each position `(n, d1, …, dK)` is a sample. Class-index targets then have shape
//!   `(N, d1, …, dK)` and probability targets the input's shape. `Reduction::None` returns
//!   `(N, d1, …, dK)`; `Mean` divides by the sum of the kept samples' class weights over
//!   *all* positions (PyTorch's definition).
//! * Unbatched: input `(C,)`, an index target is a 0-dimensional array, a probability target is
//!   `(C,)`; `Reduction::None` returns a 0-dimensional array.
//! * Binary and KL losses are pointwise: any shape; the target has the input's shape and
//!   `weight` / `pos_weight` are broadcast to it with NumPy's rules (as PyTorch does).
//!
//! The cross-entropy and the softmax family run on the fast kernels over the array's own
//! row-major storage (the class axis has stride `d1⋯dK`); the other losses flatten to the
//! `(rows, C)` matrix form of [`crate::loss`] and reshape the result. An error that names a
//! row refers to the flattened positions in row-major order.
//!
//! Source: PyTorch docs for `CrossEntropyLoss` ("K-dimensional loss"), `NLLLoss`,
//! `BCEWithLogitsLoss`, `BCELoss`, `KLDivLoss`.

use nalgebra::DMatrix;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::bce::{bce_element, bce_with_logits_element, check_unit_interval};
use super::cross_entropy::{FastTarget, fast_cross_entropy};
use super::fast::{self, Family, Layout as FastLayout};
use super::kl_div::{KlDivReduction, kl_div_check, kl_div_element, kl_reduce};
use super::{
    CrossEntropyOptions, Loss, NllLossOptions, Reduction, Target, check_weights, reduce, reference,
};
use crate::error::{Error, Result, check_elements};
use crate::real::Real;

/// The target of [`cross_entropy`]: class indices or probabilities.
#[derive(Clone, Debug)]
pub enum NdTarget<'a, T: Real = f64> {
    /// Class indices, shape `(N, d1, …, dK)` (0-dimensional for an unbatched input).
    Indices(ArrayViewD<'a, i64>),
    /// Probabilities, the input's shape.
    Probabilities(ArrayViewD<'a, T>),
}

/// A result: the loss (0-dimensional when reduced) and, when asked for, its gradient with
/// respect to the input (the input's shape; of the sum for `Reduction::None`).
#[derive(Clone, Debug, PartialEq)]
pub struct NdOutput<T: Real = f64> {
    /// The value.
    pub output: ArrayD<T>,
    /// `∂(Σ output)/∂input`, when requested.
    pub grad: Option<ArrayD<T>>,
}

fn shape_str(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(ToString::to_string).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

fn mismatch(what: &'static str, expected: &[usize], got: &[usize]) -> Error {
    Error::ShapeMismatch {
        what,
        expected: shape_str(expected),
        got: shape_str(got),
    }
}

/// Where the class axis is, and how to undo the flattening.
struct Layout {
    /// The input's shape.
    shape: Vec<usize>,
    /// Number of classes.
    c: usize,
    /// Number of rows of the flattened matrix.
    rows: usize,
}

impl Layout {
    fn of(shape: &[usize]) -> Result<Self> {
        match shape.len() {
            0 => Err(Error::ShapeMismatch {
                what: "input",
                expected: "(C,), (N, C) or (N, C, d1, ...)".into(),
                got: "() (a scalar)".into(),
            }),
            1 => Ok(Self {
                shape: shape.to_vec(),
                c: shape[0],
                rows: 1,
            }),
            _ => {
                let c = shape[1];
                let rows = shape[0]
                    .checked_mul(shape[2..].iter().product::<usize>())
                    .ok_or(Error::TooLarge {
                        what: "input rows",
                        value: u128::MAX,
                        limit: crate::error::MAX_ELEMENTS as u128,
                    })?;
                check_elements("input elements", rows, c)?;
                Ok(Self {
                    shape: shape.to_vec(),
                    c,
                    rows,
                })
            }
        }
    }

    /// The shape without the class axis: a per-sample output.
    fn sample_shape(&self) -> Vec<usize> {
        let mut s = self.shape.clone();
        if s.len() == 1 {
            s.clear();
        } else {
            s.remove(1);
        }
        s
    }

    /// The axis order that moves the class axis last.
    fn class_last(&self) -> Vec<usize> {
        let d = self.shape.len();
        if d == 1 {
            return vec![0];
        }
        let mut order = vec![0];
        order.extend(2..d);
        order.push(1);
        order
    }

    /// `(rows, C)` matrix of an array of the input's shape.
    fn flatten<T: Real>(&self, a: &ArrayViewD<'_, T>) -> DMatrix<T> {
        let v = a.view().permuted_axes(IxDyn(&self.class_last()));
        DMatrix::from_row_iterator(self.rows, self.c, v.iter().copied())
    }

    /// An array of the input's shape from a `(rows, C)` matrix.
    fn unflatten<T: Real>(&self, m: &DMatrix<T>) -> ArrayD<T> {
        let order = self.class_last();
        let permuted_shape: Vec<usize> = order.iter().map(|&a| self.shape[a]).collect();
        let mut data = Vec::with_capacity(m.len());
        for r in 0..m.nrows() {
            for c in 0..m.ncols() {
                data.push(m[(r, c)]);
            }
        }
        // Cannot fail: `rows · C` = the product of `permuted_shape` by construction.
        let a = ArrayD::from_shape_vec(IxDyn(&permuted_shape), data)
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&permuted_shape)));
        // Inverse permutation: position of each original axis in `order`.
        let mut inverse = vec![0; order.len()];
        for (pos, &axis) in order.iter().enumerate() {
            inverse[axis] = pos;
        }
        a.permuted_axes(IxDyn(&inverse))
            .as_standard_layout()
            .into_owned()
    }

    /// The per-sample output of a multi-class loss in `(N, d1, …)` shape.
    fn samples<T: Real>(&self, loss: Loss<T>) -> ArrayD<T> {
        match loss {
            Loss::Scalar(v) => ArrayD::from_elem(IxDyn(&[]), v),
            Loss::PerSample(v) => {
                let s = self.sample_shape();
                ArrayD::from_shape_vec(IxDyn(&s), v.as_slice().to_vec())
                    .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&s)))
            }
        }
    }
}

fn index_targets(layout: &Layout, target: &ArrayViewD<'_, i64>) -> Result<Vec<i64>> {
    let expected = layout.sample_shape();
    if target.shape() != expected.as_slice() {
        return Err(mismatch("target", &expected, target.shape()));
    }
    Ok(target.iter().copied().collect())
}

/// The kernels' layout of a standard-layout input whose class axis is `dim`.
fn kernel_layout(shape: &[usize], dim: usize) -> FastLayout {
    FastLayout {
        outer: shape[..dim].iter().product(),
        classes: shape[dim],
        inner: shape[dim + 1..].iter().product(),
    }
}

/// The class axis of an input of this shape: 1, or 0 for a 1-D input.
fn class_axis(shape: &[usize]) -> usize {
    usize::from(shape.len() > 1)
}

/// `F.cross_entropy` on a PyTorch-shaped input (see the module docs for the shapes).
/// Formula, options and errors as [`super::cross_entropy`].
///
/// Runs on the fast kernels over the array's own (row-major) storage: for `(N, C, d1, …)` the
/// class axis has stride `d1⋯dK`, and no transposed copy is made.
///
/// # Errors
/// As [`super::cross_entropy`], plus [`Error::ShapeMismatch`] for a 0-dimensional input or a
/// target whose shape does not match, and [`Error::TooLarge`].
pub fn cross_entropy<T: Real>(
    input: ArrayViewD<'_, T>,
    target: NdTarget<'_, T>,
    opts: &CrossEntropyOptions<T>,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    let layout = Layout::of(input.shape())?;
    let input_std = input.as_standard_layout();
    let probs_std;
    let (fast_target, index_t) = match &target {
        NdTarget::Indices(t) => {
            let t = index_targets(&layout, t)?;
            (None, Some(t))
        }
        NdTarget::Probabilities(p) => {
            if p.shape() != input.shape() {
                return Err(mismatch("target", input.shape(), p.shape()));
            }
            probs_std = p.as_standard_layout();
            (probs_std.as_slice(), None)
        }
    };
    if let Some(data) = input_std.as_slice() {
        let kl = kernel_layout(input.shape(), class_axis(input.shape()));
        let ft = match (&index_t, fast_target) {
            (Some(t), _) => Some(FastTarget::Indices(t)),
            (None, Some(p)) => Some(FastTarget::Probabilities(p)),
            (None, None) => None,
        };
        if let Some(ft) = ft {
            let mut grad = want_grad.then(|| vec![T::zero(); data.len()]);
            if let Some(loss) = fast_cross_entropy(data, kl, ft, opts, grad.as_deref_mut()) {
                let grad = grad.map(|g| {
                    ArrayD::from_shape_vec(IxDyn(input.shape()), g)
                        .unwrap_or_else(|_| ArrayD::zeros(IxDyn(input.shape())))
                });
                return Ok(NdOutput {
                    output: layout.samples(loss),
                    grad,
                });
            }
        }
    }
    // Bad input: the reference, on the flattened matrix, reports it.
    let z = layout.flatten(&input);
    let (loss, grad) = match target {
        NdTarget::Indices(_) => {
            let t = index_t.unwrap_or_default();
            reference::cross_entropy_with_grad(&z, Target::Indices(&t), opts)?
        }
        NdTarget::Probabilities(p) => {
            let p = layout.flatten(&p);
            reference::cross_entropy_with_grad(&z, Target::Probabilities(&p), opts)?
        }
    };
    Ok(NdOutput {
        output: layout.samples(loss),
        grad: want_grad.then(|| layout.unflatten(&grad)),
    })
}

/// `F.nll_loss` on PyTorch-shaped log-probabilities (see the module docs for the shapes).
///
/// # Errors
/// As [`super::nll_loss`], plus the shape errors of [`cross_entropy`].
pub fn nll_loss<T: Real>(
    input: ArrayViewD<'_, T>,
    target: ArrayViewD<'_, i64>,
    opts: &NllLossOptions<T>,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    let layout = Layout::of(input.shape())?;
    let t = index_targets(&layout, &target)?;
    // The loss from a `(rows, C)` copy, dropped before the gradient is built: the gradient
    // has one nonzero per kept sample, written straight into an array of the input's shape,
    // so that no second full-size matrix and no re-layout copy exist (`ce-mle loss` on large
    // cases stays within its memory bound).
    let loss = super::nll_loss(&layout.flatten(&input), &t, opts)?;
    let grad = want_grad.then(|| nll_grad(&layout, &t, opts));
    Ok(NdOutput {
        output: layout.samples(loss),
        grad,
    })
}

/// The gradient of [`nll_loss`] (called first: the targets are valid) in the input's shape:
/// `−w_y` at each kept sample's target class, divided by `Σ_kept w_y` under `Mean`, computed
/// in `f64` and rounded once, as `nll_loss_with_grad`; 0 elsewhere.
fn nll_grad<T: Real>(layout: &Layout, t: &[i64], opts: &NllLossOptions<T>) -> ArrayD<T> {
    let w = |y: usize| opts.weight.as_ref().map_or(1.0, |w| w[y].as_f64());
    let kept = |tr: i64| {
        usize::try_from(tr)
            .ok()
            .filter(|&y| tr != opts.ignore_index && y < layout.c)
    };
    let scale = if opts.reduction == Reduction::Mean {
        t.iter().filter_map(|&tr| kept(tr)).map(w).sum()
    } else {
        1.0
    };
    // Row r of the `(rows, C)` view is (n, i) with i over the axes after the class axis.
    let inner: usize = layout.shape.get(2..).map_or(1, |s| s.iter().product());
    let mut g = ArrayD::from_elem(IxDyn(&layout.shape), T::zero());
    if let Some(flat) = g.as_slice_mut() {
        for (r, &tr) in t.iter().enumerate() {
            if let Some(y) = kept(tr) {
                let (n, i) = (r / inner, r % inner);
                let v = -w(y);
                flat[(n * layout.c + y) * inner + i] =
                    T::round_from_f64(if scale == 1.0 { v } else { v / scale });
            }
        }
    }
    g
}

/// Which member of the softmax family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoftmaxOp {
    /// `torch.softmax(input, dim)`: same shape as the input.
    Softmax,
    /// `torch.log_softmax(input, dim)`: same shape as the input.
    LogSoftmax,
    /// `torch.logsumexp(input, dim)`: the class axis removed.
    LogSumExp,
}

/// The softmax family along the class axis of a PyTorch-shaped input (axis 1, or axis 0 for a
/// 1-D input), and optionally the gradient of the **sum** of the outputs with respect to the
/// input (what `out.backward(torch.ones_like(out))` gives):
///
/// * softmax: exactly 0, since a softmax row sums to 1 whatever the logits (PyTorch evaluates
///   `s_k·(1 − Σ_j s_j)` and returns its rounding noise, up to ~3e-8 in float32);
/// * log_softmax: `1 − C·s_k` (PyTorch's backward: `g − e^{output}·Σ g` with `g = 1`);
/// * logsumexp: `s_k`.
///
/// Formulas and stability as [`crate::softmax`]. [`softmax_family_dim`] takes any axis.
///
/// # Errors
/// As [`crate::softmax::softmax`], plus [`Error::ShapeMismatch`] for a 0-dimensional input.
pub fn softmax_family<T: Real>(
    input: ArrayViewD<'_, T>,
    op: SoftmaxOp,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    Layout::of(input.shape())?;
    let dim = class_axis(input.shape()) as isize;
    softmax_family_dim(input, op, dim, want_grad)
}

/// [`softmax_family`] along axis `dim`, as PyTorch's `dim` argument: `−ndim ≤ dim < ndim`, a
/// negative `dim` counting from the end (`−1` is the last axis). `logsumexp` removes that
/// axis from the shape.
///
/// # Errors
/// As [`softmax_family`]; [`Error::ShapeMismatch`] (what `dim`) for an axis the input does not
/// have (PyTorch: `IndexError: Dimension out of range`).
pub fn softmax_family_dim<T: Real>(
    input: ArrayViewD<'_, T>,
    op: SoftmaxOp,
    dim: isize,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    let shape = input.shape().to_vec();
    let nd = shape.len();
    if nd == 0 {
        return Err(Error::ShapeMismatch {
            what: "input",
            expected: "at least one axis (the class axis)".into(),
            got: "() (a scalar)".into(),
        });
    }
    let axis = if dim < 0 { dim + nd as isize } else { dim };
    if axis < 0 || axis >= nd as isize {
        return Err(Error::ShapeMismatch {
            what: "dim",
            expected: format!("an axis in {}..{nd}", -(nd as isize)),
            got: dim.to_string(),
        });
    }
    let axis = axis as usize;
    let c = shape[axis];
    if c == 0 {
        return Err(Error::Empty("logits have zero classes (C = 0)"));
    }
    let rows = shape.iter().product::<usize>() / c;
    check_elements("input elements", rows, c)?;
    let data_std = input.as_standard_layout();
    let data = data_std.as_slice().unwrap_or(&[]);
    let layout = kernel_layout(&shape, axis);
    let mut kept = shape.clone();
    kept.remove(axis);
    let array = |v: Vec<T>, s: &[usize]| {
        ArrayD::from_shape_vec(IxDyn(s), v).unwrap_or_else(|_| ArrayD::zeros(IxDyn(s)))
    };
    let output = match op {
        SoftmaxOp::Softmax | SoftmaxOp::LogSoftmax => {
            let which = if op == SoftmaxOp::Softmax {
                Family::Softmax
            } else {
                Family::LogSoftmax
            };
            let mut out = vec![T::zero(); data.len()];
            run_family(data, layout, which, &mut out)?;
            array(out, &shape)
        }
        SoftmaxOp::LogSumExp => {
            let lse = match fast::all_stats(data, layout)
                .ok()
                .map(|st| fast::logsumexps(&st))
            {
                Some(Ok(v)) => v.into_iter().map(T::round_from_f64).collect(),
                // Bad input, or a row whose sum cancels: the reference, row by row.
                _ => reference_rows(data, layout, |m| {
                    Ok(reference::logsumexp(m)?.iter().copied().collect())
                })?,
            };
            array(lse, &kept)
        }
    };
    // The gradients of log_softmax and logsumexp come from the softmax in `f64`: `1 − C·s`
    // cancels, and an `f32` softmax would lose its digits.
    let grad = match (want_grad, op) {
        (false, _) => None,
        (true, SoftmaxOp::Softmax) => Some(ArrayD::zeros(IxDyn(&shape))),
        (true, _) => {
            let wide: Vec<f64> = data.iter().map(|x| x.as_f64()).collect();
            let mut s = vec![0.0f64; wide.len()];
            run_family(&wide, layout, Family::Softmax, &mut s)?;
            let cf = c as f64;
            let g = s
                .into_iter()
                .map(|s| {
                    T::round_from_f64(if op == SoftmaxOp::LogSoftmax {
                        1.0 - cf * s
                    } else {
                        s
                    })
                })
                .collect();
            Some(array(g, &shape))
        }
    };
    Ok(NdOutput { output, grad })
}

/// The fast softmax or log-softmax; bad input reported by the reference.
fn run_family<T: Real>(data: &[T], layout: FastLayout, which: Family, out: &mut [T]) -> Result<()> {
    match fast::family(data, layout, which, out) {
        Ok(None) => Ok(()),
        Ok(Some(row)) => Err(Error::AllNegInfRow { row }),
        Err(_) => {
            let v = reference_rows(data, layout, |m| {
                let r = match which {
                    Family::Softmax => reference::softmax(m)?,
                    Family::LogSoftmax => reference::log_softmax(m)?,
                };
                Ok(r.iter().copied().collect())
            })?;
            out.copy_from_slice(&v);
            Ok(())
        }
    }
}

/// Run a reference function on the `(rows, C)` matrix of a layout, and give its result back
/// in the layout's order (for matrix results) or row order (for one value per row). Its
/// errors name rows in the layout's row order.
fn reference_rows<T: Real>(
    data: &[T],
    layout: FastLayout,
    f: impl Fn(&DMatrix<T>) -> Result<Vec<T>>,
) -> Result<Vec<T>> {
    let (n, c) = (layout.n(), layout.classes);
    let m = DMatrix::from_fn(n, c, |r, k| data[layout.at(r, k)]);
    let v = f(&m)?;
    if v.len() == n {
        return Ok(v);
    }
    // Column-major (n, c) back to the layout.
    let mut out = vec![T::zero(); data.len()];
    for r in 0..n {
        for k in 0..c {
            out[layout.at(r, k)] = v[k * n + r];
        }
    }
    Ok(out)
}

/// Broadcast an optional weight to `shape` and flatten it (row-major), checking it.
fn broadcast_weight<T: Real>(
    what: &'static str,
    w: Option<ArrayViewD<'_, T>>,
    shape: &[usize],
) -> Result<Option<Vec<f64>>> {
    let Some(w) = w else { return Ok(None) };
    let Some(b) = w.broadcast(IxDyn(shape)) else {
        return Err(Error::ShapeMismatch {
            what,
            expected: format!("a shape that broadcasts to {}", shape_str(shape)),
            got: shape_str(w.shape()),
        });
    };
    let flat: Vec<f64> = b.iter().map(|x| x.as_f64()).collect();
    check_weights(what, &flat)?;
    Ok(Some(flat))
}

/// A pointwise loss: element kernel `f(i, x, y, w) -> (l, g)` over row-major elements.
fn pointwise<T: Real>(
    input: &ArrayViewD<'_, T>,
    target: &ArrayViewD<'_, T>,
    weight: Option<&[f64]>,
    mut f: impl FnMut(usize, f64, f64, f64) -> Result<(f64, f64)>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    if target.shape() != input.shape() {
        return Err(mismatch("target", input.shape(), target.shape()));
    }
    check_elements("input elements", input.len(), 1)?;
    let mut per = Vec::with_capacity(input.len());
    let mut grad = Vec::with_capacity(input.len());
    for (i, (x, y)) in input.iter().zip(target.iter()).enumerate() {
        let w = weight.map_or(1.0, |w| w[i]);
        let (l, g) = f(i, x.as_f64(), y.as_f64(), w)?;
        per.push(l);
        grad.push(g);
    }
    Ok((per, grad))
}

fn pointwise_output<T: Real>(
    shape: &[usize],
    loss: Loss,
    scale: f64,
    grad: Vec<f64>,
    want_grad: bool,
) -> NdOutput<T> {
    let output = match loss {
        Loss::Scalar(v) => ArrayD::from_elem(IxDyn(&[]), T::round_from_f64(v)),
        Loss::PerSample(v) => ArrayD::from_shape_vec(
            IxDyn(shape),
            v.iter().map(|&x| T::round_from_f64(x)).collect(),
        )
        .unwrap_or_else(|_| ArrayD::zeros(IxDyn(shape))),
    };
    let grad = want_grad.then(|| {
        ArrayD::from_shape_vec(
            IxDyn(shape),
            grad.iter().map(|&g| T::round_from_f64(g / scale)).collect(),
        )
        .unwrap_or_else(|_| ArrayD::zeros(IxDyn(shape)))
    });
    NdOutput { output, grad }
}

/// Row and column of flat element `i` for error messages: the last axis is the column.
fn position(shape: &[usize], i: usize) -> (usize, usize) {
    let last = shape.last().copied().unwrap_or(1).max(1);
    (i / last, i % last)
}

/// `F.binary_cross_entropy_with_logits` on any shape; `weight` and `pos_weight` broadcast to
/// the input's shape. Formula as [`super::binary_cross_entropy_with_logits`].
///
/// # Errors
/// As [`super::binary_cross_entropy_with_logits`]; [`Error::ShapeMismatch`] when the target's
/// shape differs or a weight does not broadcast.
pub fn binary_cross_entropy_with_logits<T: Real>(
    input: ArrayViewD<'_, T>,
    target: ArrayViewD<'_, T>,
    weight: Option<ArrayViewD<'_, T>>,
    pos_weight: Option<ArrayViewD<'_, T>>,
    reduction: Reduction,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    let shape = input.shape().to_vec();
    let w = broadcast_weight("weight", weight, &shape)?;
    let pw = broadcast_weight("pos_weight", pos_weight, &shape)?;
    let (per, grad) = pointwise(&input, &target, w.as_deref(), |i, x, y, w| {
        let (row, col) = position(&shape, i);
        if x.is_nan() {
            return Err(Error::InvalidValue {
                what: "input",
                row,
                col,
                value: x,
                reason: "NaN is not a logit",
            });
        }
        check_unit_interval(
            "target",
            row,
            col,
            y,
            "a binary target is a probability in [0, 1]",
        )?;
        Ok(bce_with_logits_element(
            x,
            y,
            w,
            pw.as_ref().map_or(1.0, |p| p[i]),
        ))
    })?;
    let count = per.len() as f64;
    let (loss, scale) = reduce(per, reduction, count)?;
    Ok(pointwise_output(&shape, loss, scale, grad, want_grad))
}

/// `F.binary_cross_entropy` on probabilities of any shape; `weight` broadcasts to the input's
/// shape. Formula (PyTorch's log clamp at −100) as [`super::binary_cross_entropy`].
///
/// # Errors
/// As [`super::binary_cross_entropy`]; [`Error::ShapeMismatch`] as
/// [`binary_cross_entropy_with_logits`].
pub fn binary_cross_entropy<T: Real>(
    input: ArrayViewD<'_, T>,
    target: ArrayViewD<'_, T>,
    weight: Option<ArrayViewD<'_, T>>,
    reduction: Reduction,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    let shape = input.shape().to_vec();
    let w = broadcast_weight("weight", weight, &shape)?;
    let (per, grad) = pointwise(&input, &target, w.as_deref(), |i, p, y, w| {
        let (row, col) = position(&shape, i);
        check_unit_interval("input", row, col, p, "a probability is in [0, 1]")?;
        check_unit_interval(
            "target",
            row,
            col,
            y,
            "a binary target is a probability in [0, 1]",
        )?;
        Ok(bce_element(p, y, w))
    })?;
    let count = per.len() as f64;
    let (loss, scale) = reduce(per, reduction, count)?;
    Ok(pointwise_output(&shape, loss, scale, grad, want_grad))
}

/// `F.kl_div(input, target, reduction, log_target)` on any shape: input log-probabilities,
/// target probabilities (or log-probabilities). `BatchMean` divides by the size of axis 0,
/// as PyTorch does (for a 1-D input that is its length). Formula as [`super::kl_div`].
///
/// # Errors
/// As [`super::kl_div`]; [`Error::ShapeMismatch`] when the target's shape differs.
pub fn kl_div<T: Real>(
    input: ArrayViewD<'_, T>,
    target: ArrayViewD<'_, T>,
    reduction: KlDivReduction,
    log_target: bool,
    want_grad: bool,
) -> Result<NdOutput<T>> {
    let shape = input.shape().to_vec();
    let (per, grad) = pointwise(&input, &target, None, |i, x, t, _| {
        let (row, col) = position(&shape, i);
        kl_div_check(row, col, x, t, log_target)?;
        Ok(kl_div_element(x, t, log_target))
    })?;
    let batch = shape.first().copied().unwrap_or(1);
    let (loss, scale) = kl_reduce(per, reduction, batch)?;
    Ok(pointwise_output(&shape, loss, scale, grad, want_grad))
}
