//! The error function in `f64`, for the exact GELU (`f64::erf` is not stable in Rust 1.95:
//! feature `float_erf`, rust-lang/rust#136321).
//!
//! A transcription of `erf` from Sun's fdlibm `s_erf.c` (as in FreeBSD's msun and musl),
//! whose rational approximations keep the error below 1 ULP; the coefficients and the
//! interval boundaries are fdlibm's. The tests compare it with statrs (Boost's
//! approximations) and with values computed by mpmath at 50 digits.
//!
//! ```text
//! ====================================================
//! Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//!
//! Developed at SunPro, a Sun Microsystems, Inc. business.
//! Permission to use, copy, modify, and distribute this
//! software is freely granted, provided that this notice
//! is preserved.
//! ====================================================
//! ```
//!
//! Method (fdlibm's comments, abridged):
//! 1. `|x| < 0.84375`: `erf(x) = x + x·R(x²)`, `R = P/Q` (degrees 8 and 10, odd),
//!    `|R − (erf(x) − x)/x| ≤ 2^−57.90`.
//! 2. `0.84375 ≤ |x| < 1.25`: `s = |x| − 1`, `erf(x) = sign(x)·(c + P1(s)/Q1(s))`,
//!    `c = 0.84506291151` rounded to single precision; `|P1/Q1 − (erf(|x|) − c)| ≤ 2^−59.06`.
//! 3. `1.25 ≤ |x| < 1/0.35`: `erfc(x) = (1/x)·exp(−x² − 0.5625 + R1(z)/S1(z))`, `z = 1/x²`,
//!    error `< 2^−62.57`; `erf = 1 − erfc`.
//! 4. `1/0.35 ≤ |x| < 6`: the same with `R2/S2`, error `< 2^−61.52`.
//! 5. `|x| ≥ 6`: `erf(x) = sign(x)·(1 − tiny)`, which rounds to `±1`.
//!
//! `−x²` is computed as `−s² + (s − x)(s + x)` with `s = x` cut to its high 32 bits, so that
//! `exp(−s² − 0.5625)` has an exact argument.

#![allow(clippy::excessive_precision, clippy::unreadable_literal)]

const ERX: f64 = 8.45062911510467529297e-01;
const EFX8: f64 = 1.02703333676410069053e+00;
const PP0: f64 = 1.28379167095512558561e-01;
const PP1: f64 = -3.25042107247001499370e-01;
const PP2: f64 = -2.84817495755985104766e-02;
const PP3: f64 = -5.77027029648944159157e-03;
const PP4: f64 = -2.37630166566501626084e-05;
const QQ1: f64 = 3.97917223959155352819e-01;
const QQ2: f64 = 6.50222499887672944485e-02;
const QQ3: f64 = 5.08130628187576562776e-03;
const QQ4: f64 = 1.32494738004321644526e-04;
const QQ5: f64 = -3.96022827877536812320e-06;
const PA0: f64 = -2.36211856075265944077e-03;
const PA1: f64 = 4.14856118683748331666e-01;
const PA2: f64 = -3.72207876035701323847e-01;
const PA3: f64 = 3.18346619901161753674e-01;
const PA4: f64 = -1.10894694282396677476e-01;
const PA5: f64 = 3.54783043256182359371e-02;
const PA6: f64 = -2.16637559486879084300e-03;
const QA1: f64 = 1.06420880400844228286e-01;
const QA2: f64 = 5.40397917702171048937e-01;
const QA3: f64 = 7.18286544141962662868e-02;
const QA4: f64 = 1.26171219808761642112e-01;
const QA5: f64 = 1.36370839120290507362e-02;
const QA6: f64 = 1.19844998467991074170e-02;
const RA0: f64 = -9.86494403484714822705e-03;
const RA1: f64 = -6.93858572707181764372e-01;
const RA2: f64 = -1.05586262253232909814e+01;
const RA3: f64 = -6.23753324503260060396e+01;
const RA4: f64 = -1.62396669462573470355e+02;
const RA5: f64 = -1.84605092906711035994e+02;
const RA6: f64 = -8.12874355063065934246e+01;
const RA7: f64 = -9.81432934416914548592e+00;
const SA1: f64 = 1.96512716674392571292e+01;
const SA2: f64 = 1.37657754143519042600e+02;
const SA3: f64 = 4.34565877475229228821e+02;
const SA4: f64 = 6.45387271733267880336e+02;
const SA5: f64 = 4.29008140027567833386e+02;
const SA6: f64 = 1.08635005541779435134e+02;
const SA7: f64 = 6.57024977031928170135e+00;
const SA8: f64 = -6.04244152148580987438e-02;
const RB0: f64 = -9.86494292470009928597e-03;
const RB1: f64 = -7.99283237680523006574e-01;
const RB2: f64 = -1.77579549177547519889e+01;
const RB3: f64 = -1.60636384855821916062e+02;
const RB4: f64 = -6.37566443368389627722e+02;
const RB5: f64 = -1.02509513161107724954e+03;
const RB6: f64 = -4.83519191608651397019e+02;
const SB1: f64 = 3.03380607434824582924e+01;
const SB2: f64 = 3.25792512996573918826e+02;
const SB3: f64 = 1.53672958608443695994e+03;
const SB4: f64 = 3.19985821950859553908e+03;
const SB5: f64 = 2.55305040643316442583e+03;
const SB6: f64 = 4.74528541206955367215e+02;
const SB7: f64 = -2.24409524465858183362e+01;

/// `erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt` in `f64`, within 1 ULP (fdlibm's `erf`). `erf(±∞) = ±1`,
/// `erf(NaN)` is NaN.
#[must_use]
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let ax = x.abs();
    if ax < 0.84375 {
        if ax < f64::from_bits(0x3e30_0000_0000_0000) {
            // |x| < 2^-28: erf(x) = x·2/√π to within rounding (scaled to avoid underflow).
            return 0.125 * (8.0 * x + EFX8 * x);
        }
        let z = x * x;
        let r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
        let s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
        return x + x * (r / s);
    }
    let y = if ax < 1.25 {
        let s = ax - 1.0;
        let p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
        let q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
        ERX + p / q
    } else if ax < 6.0 {
        let s = 1.0 / (ax * ax);
        let (r, big_s) = if ax < 1.0 / 0.35 {
            (
                RA0 + s
                    * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7)))))),
                1.0 + s
                    * (SA1
                        + s * (SA2
                            + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8))))))),
            )
        } else {
            (
                RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6))))),
                1.0 + s
                    * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7)))))),
            )
        };
        // z = |x| with its low 32 bits cleared: z² is exact.
        let z = f64::from_bits(ax.to_bits() & 0xffff_ffff_0000_0000);
        let erfc = (-z * z - 0.5625).exp() * ((z - ax) * (z + ax) + r / big_s).exp() / ax;
        1.0 - erfc
    } else {
        1.0
    };
    if x < 0.0 { -y } else { y }
}

/// `erfc(y) = 1 − erf(y)` in `f64` for results that are rounded to `f32`: fdlibm's
/// approximations on each interval, all evaluated and one selected (no branch, so that a
/// loop over it vectorises), with `exp` replaced by the crate's `exp_single` (relative error
/// below 1e-10) and the exact split of `x²` dropped (its rounding moves the result by
/// ~1e-14 relative). Relative error below 1e-9: far below half an `f32` ULP (3e-8).
/// `|y|` is clamped at 27, where `erfc` is below 1e-318.
#[inline(always)]
pub(crate) fn erfc_single(y: f64) -> f64 {
    use crate::loss::kernel::exp_single;
    let a = y.abs().min(27.0);
    // |y| < 0.84375: erfc = 1 − (a + a·R(a²)).
    let z = a * a;
    let r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
    let s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
    let small = 1.0 - (a + a * (r / s));
    // 0.84375 ≤ |y| < 1.25: erfc = (1 − c) − P1(a − 1)/Q1(a − 1).
    let t = a - 1.0;
    let p = PA0 + t * (PA1 + t * (PA2 + t * (PA3 + t * (PA4 + t * (PA5 + t * PA6)))));
    let q = 1.0 + t * (QA1 + t * (QA2 + t * (QA3 + t * (QA4 + t * (QA5 + t * QA6)))));
    let mid = (1.0 - ERX) - p / q;
    // |y| ≥ 1.25: erfc = exp(−a² − 0.5625 + R(1/a²)/S(1/a²)) / a, two coefficient sets.
    let w = 1.0 / z.max(1.0);
    let near = a < 1.0 / 0.35;
    let ra = RA0 + w * (RA1 + w * (RA2 + w * (RA3 + w * (RA4 + w * (RA5 + w * (RA6 + w * RA7))))));
    let sa = 1.0
        + w * (SA1
            + w * (SA2 + w * (SA3 + w * (SA4 + w * (SA5 + w * (SA6 + w * (SA7 + w * SA8)))))));
    let rb = RB0 + w * (RB1 + w * (RB2 + w * (RB3 + w * (RB4 + w * (RB5 + w * RB6)))));
    let sb = 1.0 + w * (SB1 + w * (SB2 + w * (SB3 + w * (SB4 + w * (SB5 + w * (SB6 + w * SB7))))));
    let rs = if near { ra / sa } else { rb / sb };
    let big = exp_single(-z - 0.5625 + rs) / a.max(1.0);
    let e = if a < 0.84375 {
        small
    } else if a < 1.25 {
        mid
    } else {
        big
    };
    if y < 0.0 { 2.0 - e } else { e }
}
