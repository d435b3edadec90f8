//! Error-free transformations and double-double arithmetic for the last bits of the softmax
//! family and the losses (their targets: ≤ 4 ULP, and ≤ 2 ULP for the losses).
//!
//! * [`two_sum`], [`two_diff`], [`two_prod`]: `a ∘ b = s + e` exactly, `s = fl(a ∘ b)`
//!   (Knuth; Dekker; `two_prod` by a fused multiply-add).
//! * [`Neumaier`]: compensated summation, error `≤ 2u·|sum| + O(n u²)·Σ|x_i|` whatever the
//!   number of terms (naive summation: `(n − 1)·u·Σ|x_i|`).
//! * [`Dd`]: double-double numbers `hi + lo` (about 106 significant bits) with `+`, `·`,
//!   [`exp_dd`] and [`ln_1p_dd`], used where `logsumexp = m + log1p(s)` cancels.
//!
//! References: T. J. Dekker, "A floating-point technique for extending the available
//! precision" (1971); A. Neumaier (1974); Y. Hida, X. S. Li, D. H. Bailey, "Library for
//! double-double and quad-double arithmetic" (2007), whose `add` and `mul` are used here.

/// `(s, e)` with `s = fl(a + b)` and `a + b = s + e` exactly (no condition on `a`, `b`).
#[inline]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// `(s, e)` with `s = fl(a + b)` and `a + b = s + e`, for `|a| ≥ |b|` (or `a = 0`).
#[inline]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `(d, e)` with `d = fl(a − b)` and `a − b = d + e` exactly. For finite `a`, `b`; `e` is 0
/// when `a − b` is representable (e.g. Sterbenz: `b/2 ≤ a ≤ 2b`).
#[inline]
pub(crate) fn two_diff(a: f64, b: f64) -> (f64, f64) {
    two_sum(a, -b)
}

/// `(p, e)` with `p = fl(a·b)` and `a·b = p + e` exactly (barring underflow).
#[inline]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// Neumaier's compensated sum ("improved Kahan–Babuška"): the running sum and the sum of
/// the rounding errors of each addition, added back at the end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    /// Add one term.
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.sum, x);
        self.sum = s;
        self.comp += e;
    }

    /// The sum as a double-double `(hi, lo)`, `hi = fl(sum + comp)`.
    #[inline]
    pub(crate) fn dd(self) -> Dd {
        let (hi, lo) = two_sum(self.sum, self.comp);
        Dd { hi, lo }
    }

    /// The compensated sum.
    #[inline]
    pub(crate) fn value(self) -> f64 {
        self.sum + self.comp
    }
}

/// A double-double number `hi + lo` with `|lo| ≤ ulp(hi)/2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Dd {
    pub(crate) hi: f64,
    pub(crate) lo: f64,
}

impl Dd {
    pub(crate) const fn new(hi: f64) -> Self {
        Self { hi, lo: 0.0 }
    }

    /// `self + o` (Hida–Li–Bailey "IEEE add": relative error ≈ 2^−104).
    pub(crate) fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let (t, f) = two_sum(self.lo, o.lo);
        let (s, e) = fast_two_sum(s, e + t);
        let (hi, lo) = fast_two_sum(s, e + f);
        Dd { hi, lo }
    }

    /// `self · o` (relative error ≈ 2^−104).
    pub(crate) fn mul(self, o: Dd) -> Dd {
        let (p, e) = two_prod(self.hi, o.hi);
        let e = e + (self.hi * o.lo + self.lo * o.hi);
        let (hi, lo) = fast_two_sum(p, e);
        Dd { hi, lo }
    }

    /// `self · x` for a double `x`.
    fn mul_f(self, x: f64) -> Dd {
        let (p, e) = two_prod(self.hi, x);
        let (hi, lo) = fast_two_sum(p, e + self.lo * x);
        Dd { hi, lo }
    }
}

/// ln 2 as a triple-double (the terms of its binary expansion, each rounded to 53 bits).
const LN2: [f64; 3] = [
    std::f64::consts::LN_2,
    2.319_046_813_846_299_6e-17,
    5.707_708_438_416_212e-34,
];

/// `1/n!` for `n = 2..=11` as double-doubles (from mpmath at 60 digits).
const INV_FACT: [Dd; 10] = [
    Dd { hi: 0.5, lo: 0.0 },
    Dd {
        hi: 0.166_666_666_666_666_66,
        lo: 9.251_858_538_542_97e-18,
    },
    Dd {
        hi: 0.041_666_666_666_666_664,
        lo: 2.312_964_634_635_742_7e-18,
    },
    Dd {
        hi: 0.008_333_333_333_333_333,
        lo: 1.156_482_317_317_871_4e-19,
    },
    Dd {
        hi: 0.001_388_888_888_888_889,
        lo: -5.300_543_954_373_577e-20,
    },
    Dd {
        hi: 0.000_198_412_698_412_698_4,
        lo: 1.720_955_829_342_070_5e-22,
    },
    Dd {
        hi: 2.480_158_730_158_73e-5,
        lo: 2.151_194_786_677_588_2e-23,
    },
    Dd {
        hi: 2.755_731_922_398_589_3e-6,
        lo: -1.858_393_274_046_472e-22,
    },
    Dd {
        hi: 2.755_731_922_398_589e-7,
        lo: 2.376_771_462_225_029_7e-23,
    },
    Dd {
        hi: 2.505_210_838_544_172e-8,
        lo: -1.448_814_070_935_912e-24,
    },
];

/// `exp(a)` for a double-double `a` ≤ 709, relative error about 2^−100 (0 for `a < −746`:
/// the result is below every subnormal).
///
/// `a = k·ln 2 + r` (`|r| ≤ ½ ln 2`, `k·ln 2` exact in triple-double by [`two_prod`]);
/// `y = expm1(r/256)` by its Taylor series to degree 11 (remainder < 1e-43); eight squarings
/// as `y ← y·(2 + y)` (which keeps the relative error of `y`, unlike squaring `1 + y`); then
/// `(1 + y)·2^k`.
pub(crate) fn exp_dd(a: Dd) -> Dd {
    if a.hi < -746.0 {
        return Dd::new(0.0);
    }
    let k = (a.hi / LN2[0]).round();
    let mut r = a;
    for c in LN2 {
        let (p, e) = two_prod(k, c);
        r = r.add(Dd { hi: -p, lo: -e });
    }
    let r = Dd {
        hi: r.hi / 256.0,
        lo: r.lo / 256.0,
    };
    let mut p = INV_FACT[9];
    for c in INV_FACT[..9].iter().rev() {
        p = p.mul(r).add(*c);
    }
    let mut y = r.add(p.mul(r.mul(r)));
    for _ in 0..8 {
        y = y.mul(y.add(Dd::new(2.0)));
    }
    let e = Dd::new(1.0).add(y);
    // times 2^k, in two steps so that neither factor overflows (k ≥ −1077).
    let k = k as i32;
    let h = k / 2;
    let (s1, s2) = (2f64.powi(h), 2f64.powi(k - h));
    Dd {
        hi: e.hi * s1 * s2,
        lo: e.lo * s1 * s2,
    }
}

/// `ln(1 + s)` for a double-double `s ≥ 0`: one Newton step from `ln_1p(s.hi)`,
/// `L = L₀ + log1p((1 + s)·exp(−L₀) − 1)`, the correction in double-double.
pub(crate) fn ln_1p_dd(s: Dd) -> Dd {
    let l0 = s.hi.ln_1p();
    let x = Dd::new(1.0).add(s);
    let t = x.mul(exp_dd(Dd::new(-l0))).add(Dd::new(-1.0));
    // log1p(t) = t − t²/2 + …, |t| ≈ 1e-16
    let t = t.add(t.mul(t).mul_f(-0.5));
    Dd::new(l0).add(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_free_transformations() {
        let (s, e) = two_sum(1.0, 1e-20);
        assert_eq!((s, e), (1.0, 1e-20));
        let (d, e) = two_diff(-700.3, 0.1);
        assert_eq!(d, -700.4);
        assert!(e != 0.0 && e.abs() <= 0.5 * 1.2e-13);
        let (p, e) = two_prod(1.0 + f64::EPSILON, 1.0 + f64::EPSILON);
        assert_eq!(
            (p, e),
            (1.0 + 2.0 * f64::EPSILON, f64::EPSILON * f64::EPSILON)
        );
    }

    #[test]
    fn neumaier_keeps_what_naive_loses() {
        let mut n = Neumaier::default();
        for x in [1.0, 1e100, 1.0, -1e100] {
            n.add(x);
        }
        assert_eq!(n.value(), 2.0);
    }

    #[test]
    fn exp_and_log1p_in_double_double() {
        // exp(−ln 2) = ½ to about 2^−104 (LN2 is ln 2 to 2^−160).
        let ln2 = Dd {
            hi: LN2[0],
            lo: LN2[1],
        };
        let h = exp_dd(Dd {
            hi: -ln2.hi,
            lo: -ln2.lo,
        });
        assert!((h.hi - 0.5).abs() + h.lo.abs() < 1e-31, "{h:?}");
        // ln(1 + 1) = ln 2: hi and lo as the constant's.
        let l = ln_1p_dd(Dd::new(1.0));
        assert_eq!(l.hi, LN2[0]);
        assert!((l.lo - LN2[1]).abs() < 1e-32, "{l:?}");
        assert_eq!(exp_dd(Dd::new(-800.0)).hi, 0.0);
        // Against mpmath (60 digits): (a, hi, lo) of exp(a), and of ln(1 + s).
        for (a, hi, lo) in [
            (-0.3, 0.740_818_220_681_717_9, -1.805_530_505_953e-18),
            (5.5, 244.691_932_264_220_38, 4.129_320_187_450_839e-15),
            (
                -0.0001,
                0.999_900_004_999_833_3,
                1.345_063_659_972_463_3e-18,
            ),
            (0.34, 1.404_947_590_563_593_8, 8.000_517_253_714_439e-17),
        ] {
            let e = exp_dd(Dd::new(a));
            assert_eq!(e.hi, hi, "exp({a})");
            assert!(((e.lo - lo) / hi).abs() < 2f64.powi(-99), "exp({a}): {e:?}");
        }
        let e = exp_dd(Dd::new(-700.3));
        assert_eq!(e.hi, 7.304_228_033_645_715e-305);
        for (s, hi, lo) in [
            (
                0.606_530_659_712_633_4,
                0.474_076_984_180_106_7,
                -5.111_710_510_090_636e-18,
            ),
            (
                49999.0,
                10.819_778_284_410_283,
                -1.093_678_576_669_468_4e-16,
            ),
        ] {
            let l = ln_1p_dd(Dd::new(s));
            assert_eq!(l.hi, hi, "ln_1p({s})");
            assert!(
                ((l.lo - lo) / hi).abs() < 2f64.powi(-99),
                "ln_1p({s}): {l:?}"
            );
        }
        assert_eq!(exp_dd(Dd::new(1.0)).hi, std::f64::consts::E);
    }
}
