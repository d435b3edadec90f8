//! The two floating-point types the softmax family and the losses accept: `f32` and `f64`
//! (PyTorch's `float32` and `float64`).
//!
//! # How `f32` is computed
//! Every function generic over [`Real`] reads its inputs, widens them to `f64` one element at
//! a time, does the computation (maxima, exponentials, sums, logarithms, gradients) in `f64`,
//! and rounds each result **once** to the input's type. For `f64` the widening and the
//! rounding are the identity, so the `f64` path is the one the rest of the crate documents.
//! The fast kernels' `f32` path (`loss::kernel`) uses a shorter `exp` (relative error below
//! 2·10⁻¹⁰ instead of 1 ULP): its results are the `f64` computation's rounded once except
//! when that value lies within about 10⁻¹⁰ (relative) of a midpoint between two `f32` numbers,
//! where the two may round to neighbours, 1 `f32` ULP apart; a gradient element that is a
//! small difference of larger terms (softmax minus a smoothed target) carries 10⁻¹⁰ of those
//! terms, which can be a few ULPs of the small result (`tests/torch_json.rs`,
//! `f32_is_close_to_f64_rounded_once`; the ULP bounds of the losses hold, `book/tests/ulp.rs`).
//!
//! For `f32` this is the "wider accumulator" strategy PyTorch itself uses for `float16` and
//! `bfloat16` (their CPU reductions accumulate in `float32`), applied one level up: the
//! intermediate error of an `f64` computation (about 1e-16 relative) is far below half an `f32`
//! unit in the last place (3e-8), so the `f32` result is the correctly rounded value of the
//! exact function in all but rare near-ties (where it is 1 ULP off). PyTorch's own `float32` kernels accumulate in `float32`,
//! which costs them digits on long rows (large C) and on losses that are tiny differences; the
//! appendix of the book measures both. On the hard cases of `tests/fixtures/precise_hard.json`
//! (measured by `book/tests/ulp.rs`) every `f32` result of the softmax family, `cross_entropy` and
//! BCE with logits is the correctly rounded exact value (0 ULP), where PyTorch's `float32` is
//! up to 1.4e7 ULP off (e.g. 0 for the cross-entropy `log1p(e^−30) = 9.4e-14`).
//!
//! Modules outside `softmax` and `loss` (information theory, likelihood, models, optimisers,
//! language models) work in `f64` only.

use std::any::Any;
use std::borrow::Cow;
use std::fmt::{Debug, Display};

use nalgebra::{DMatrix, DVector, RealField};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64` (sealed: no other implementations).
pub trait Real: RealField + Copy + Default + Debug + Display + sealed::Sealed + 'static {
    /// PyTorch's name for the type: `"float32"` or `"float64"`.
    const DTYPE: &'static str;
    /// The unit roundoff `2^-p` (half the machine epsilon): `2^-24` for `f32`, `2^-53` for `f64`.
    const UNIT_ROUNDOFF: f64;
    /// The value as `f64` (exact for both types).
    fn as_f64(self) -> f64;
    /// `x` rounded to the nearest value of this type (ties to even; overflow gives ±∞).
    fn round_from_f64(x: f64) -> Self;
}

impl Real for f64 {
    const DTYPE: &'static str = "float64";
    const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
    #[inline]
    fn round_from_f64(x: f64) -> Self {
        x
    }
}

impl Real for f32 {
    const DTYPE: &'static str = "float32";
    const UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;
    #[inline]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    #[allow(clippy::cast_possible_truncation)]
    fn round_from_f64(x: f64) -> Self {
        // `as` rounds to nearest, ties to even, and overflows to ±∞ (Rust reference,
        // "Numeric cast": f64 → f32).
        x as f32
    }
}

/// A matrix as `f64`: borrowed when it already is one, widened (a copy) for `f32`.
pub(crate) fn widen<T: Real>(m: &DMatrix<T>) -> Cow<'_, DMatrix<f64>> {
    match (m as &dyn Any).downcast_ref::<DMatrix<f64>>() {
        Some(m64) => Cow::Borrowed(m64),
        None => Cow::Owned(m.map(Real::as_f64)),
    }
}

/// A vector as `f64`: borrowed when it already is one, widened for `f32`.
pub(crate) fn widen_vec<T: Real>(v: &DVector<T>) -> Cow<'_, DVector<f64>> {
    match (v as &dyn Any).downcast_ref::<DVector<f64>>() {
        Some(v64) => Cow::Borrowed(v64),
        None => Cow::Owned(v.map(Real::as_f64)),
    }
}

/// An `f64` matrix rounded to `T`: moved without a copy when `T = f64`.
pub(crate) fn narrow<T: Real>(m: DMatrix<f64>) -> DMatrix<T> {
    let mut slot = Some(m);
    if let Some(same) = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<DMatrix<T>>>()
        .and_then(Option::take)
    {
        return same;
    }
    match slot {
        Some(m) => m.map(T::round_from_f64),
        None => DMatrix::zeros(0, 0),
    }
}

/// An `f64` vector rounded to `T`: moved without a copy when `T = f64`.
pub(crate) fn narrow_vec<T: Real>(v: DVector<f64>) -> DVector<T> {
    let mut slot = Some(v);
    if let Some(same) = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<DVector<T>>>()
        .and_then(Option::take)
    {
        return same;
    }
    match slot {
        Some(v) => v.map(T::round_from_f64),
        None => DVector::zeros(0),
    }
}
