//! The number type of the GPT: `f32` for training, `f64` for the checks.
//!
//! [`GptFloat`] extends the crate's [`Real`] with the two things the model needs and `Real`
//! does not give: a matrix product on raw row-major buffers (`matrixmultiply`'s `sgemm` /
//! `dgemm`, the kernels nalgebra itself calls) and the error function of the exact GELU.
//!
//! Unlike the losses (see [`crate::real`]), the model does **not** widen `f32` to `f64`: a
//! Transformer's cost is its matrix products, and an `f32` product in `f64` would halve the
//! SIMD width and double the memory traffic. Layers compute in the model's type, as PyTorch
//! does; the cross-entropy at the head is the crate's (computed in `f64`, rounded once), and
//! the optimiser works in `f64` on widened copies.

use crate::real::Real;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64` as the GPT's number type (sealed).
pub trait GptFloat: Real + Send + Sync + sealed::Sealed {
    /// `C ← α·A·B + β·C` for an `m × k` matrix `A`, a `k × n` matrix `B` and an `m × n`
    /// matrix `C`, each given as a buffer with a row stride and a column stride (any strides
    /// for `A` and `B`; `C`'s must not alias). With `β = 0`, `C` is not read.
    ///
    /// # Panics
    /// If a matrix does not fit in its buffer (an internal error: the layers check shapes).
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: &[Self],
        a_strides: (usize, usize),
        b: &[Self],
        b_strides: (usize, usize),
        beta: Self,
        c: &mut [Self],
        c_strides: (usize, usize),
    );

    /// The error function `erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt`.
    fn erf(self) -> Self;

    /// `GELU(x) = x·Φ(x)`, `Φ(x) = ½·(1 + erf(x/√2))` (PyTorch's exact GELU).
    fn gelu(self) -> Self;

    /// `GELU′(x) = Φ(x) + x·φ(x)`, `φ(x) = exp(−x²/2)/√(2π)`.
    fn gelu_grad(self) -> Self;

    /// `exp(d)` for `d ≤ 0` (the softmax of attention).
    fn exp_nonpositive(self) -> Self;
}

const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `true` if an `rows × cols` matrix with these strides fits in `len` elements.
fn fits(rows: usize, cols: usize, (rs, cs): (usize, usize), len: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * rs + (cols - 1) * cs < len
}

macro_rules! impl_gpt_float {
    ($t:ty, $gemm:path, $erf:path, $gelu:path, $gelu_grad:path, $exp:path) => {
        impl GptFloat for $t {
            #[allow(clippy::cast_possible_wrap)]
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: &[Self],
                (rsa, csa): (usize, usize),
                b: &[Self],
                (rsb, csb): (usize, usize),
                beta: Self,
                c: &mut [Self],
                (rsc, csc): (usize, usize),
            ) {
                assert!(
                    fits(m, k, (rsa, csa), a.len())
                        && fits(k, n, (rsb, csb), b.len())
                        && fits(m, n, (rsc, csc), c.len()),
                    "gemm: a matrix does not fit its buffer"
                );
                if m == 0 || n == 0 {
                    return;
                }
                // SAFETY: every element addressed lies inside its slice (checked above), the
                // slices are valid for the call, and `c` (a unique borrow) aliases neither `a`
                // nor `b`; the callers' strides for `c` never map two elements to one place.
                unsafe {
                    $gemm(
                        m,
                        k,
                        n,
                        alpha,
                        a.as_ptr(),
                        rsa as isize,
                        csa as isize,
                        b.as_ptr(),
                        rsb as isize,
                        csb as isize,
                        beta,
                        c.as_mut_ptr(),
                        rsc as isize,
                        csc as isize,
                    );
                }
            }

            #[inline]
            fn erf(self) -> Self {
                $erf(self)
            }

            #[inline(always)]
            fn gelu(self) -> Self {
                $gelu(self)
            }

            #[inline(always)]
            fn gelu_grad(self) -> Self {
                $gelu_grad(self)
            }

            #[inline(always)]
            fn exp_nonpositive(self) -> Self {
                $exp(self)
            }
        }
    };
}

// f64: the formulas as PyTorch's float64 GELU evaluates them, with fdlibm's erf (< 1 ULP).

fn gelu_f64(x: f64) -> f64 {
    0.5 * x * (1.0 + super::erf::erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

fn gelu_grad_f64(x: f64) -> f64 {
    let cdf = 0.5 * (1.0 + super::erf::erf(x * std::f64::consts::FRAC_1_SQRT_2));
    cdf + x * (-0.5 * x * x).exp() * INV_SQRT_2PI
}

fn exp_f64(d: f64) -> f64 {
    d.exp()
}

// f32: computed in f64 and rounded once, branch-free so that the element-wise loops
// vectorise. Φ(x) = ½·erfc(−x/√2) keeps its relative accuracy in the left tail, where
// ½·(1 + erf(x/√2)) would cancel (PyTorch's float32 GELU loses digits there).

fn erf_f32(x: f32) -> f32 {
    // The f64 function rounded once: correctly rounded but in rare ties.
    super::erf::erf(f64::from(x)) as f32
}

#[inline(always)]
fn cdf_single(x: f64) -> f64 {
    0.5 * super::erf::erfc_single(-x * std::f64::consts::FRAC_1_SQRT_2)
}

#[inline(always)]
fn gelu_f32(x: f32) -> f32 {
    let x = f64::from(x);
    (x * cdf_single(x)) as f32
}

#[inline(always)]
fn gelu_grad_f32(x: f32) -> f32 {
    let x = f64::from(x);
    let pdf = crate::loss::kernel::exp_single(-0.5 * x * x) * INV_SQRT_2PI;
    (cdf_single(x) + x * pdf) as f32
}

#[inline(always)]
fn exp_f32(d: f32) -> f32 {
    crate::loss::kernel::exp_single(f64::from(d)) as f32
}

impl_gpt_float!(
    f32,
    matrixmultiply::sgemm,
    erf_f32,
    gelu_f32,
    gelu_grad_f32,
    exp_f32
);
impl_gpt_float!(
    f64,
    matrixmultiply::dgemm,
    super::erf::erf,
    gelu_f64,
    gelu_grad_f64,
    exp_f64
);
