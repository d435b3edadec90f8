//! statrs as an independent oracle: T1 and T2 against `Categorical` and `Multinomial`, T3's
//! entropy against `Categorical::entropy`, T7 against `Bernoulli`, T8 against `Normal`.
//!
//! statrs computes `Categorical::ln_pmf` as `pmf().ln()` and `Bernoulli::ln_pmf(0)` as
//! `ln(1 − p)`, so the oracles are only exact for moderate logits: `|z| ≤ 30` for the
//! categorical ones, `|x| ≤ 8` for the Bernoulli one (there `1 − σ(x) ≥ 3e-4` keeps 12
//! digits).

use ce_mle::information;
use ce_mle::likelihood;
use ce_mle::loss::{self, BceWithLogitsOptions, CrossEntropyOptions, Loss, Reduction, Target};
use nalgebra::{DMatrix, DVector};
use quickcheck_macros::quickcheck;
use statrs::distribution::{Bernoulli, Categorical, Continuous, Discrete, Multinomial, Normal};
use statrs::function::factorial::ln_factorial;
use statrs::statistics::Distribution as _;

use crate::generators::{
    Batch, BinaryBatch, Distribution, Labels, Logits, SparseDistribution, assert_close,
    max_abs_finite,
};

fn opts(r: Reduction) -> CrossEntropyOptions {
    CrossEntropyOptions::default().reduction(r)
}

/// statrs' categorical for one row of logits: weights `e^{z_k}`, normalised by statrs.
fn categorical(z: &[f64]) -> Categorical {
    let w: Vec<f64> = z.iter().map(|v| v.exp()).collect();
    Categorical::new(&w).expect("positive finite weights")
}

// ------------------------------------------------------------------ T1

/// T1: per-sample CE with an index target = −`Categorical::ln_pmf(y)`.
#[quickcheck]
fn t1_ce_is_minus_categorical_ln_pmf(b: Batch) {
    let per = loss::cross_entropy(&b.z, Target::Indices(&b.y), &opts(Reduction::None)).unwrap();
    let per = per.per_sample().unwrap();
    let tol = 1e-13 * (1.0 + max_abs_finite(&b.z));
    for (r, &y) in b.y.iter().enumerate() {
        let zr: Vec<f64> = b.z.row(r).iter().copied().collect();
        let want = -categorical(&zr).ln_pmf(y as u64);
        assert_close("CE vs −Categorical::ln_pmf", per[r], want, tol, 1e-12);
    }
}

// ------------------------------------------------------------------ T2

/// T2: the summed CE of a data set = −Σ_i `Categorical_i::ln_pmf(y_i)` (one model per row),
/// and the mean is that over N.
#[quickcheck]
fn t2_dataset_nll_is_sum_of_categorical_ln_pmf(b: Batch) {
    let n = b.z.nrows();
    let sum = loss::cross_entropy(&b.z, Target::Indices(&b.y), &opts(Reduction::Sum)).unwrap();
    let mean = loss::cross_entropy(&b.z, Target::Indices(&b.y), &opts(Reduction::Mean)).unwrap();
    let ll: f64 = (0..n)
        .map(|r| {
            let zr: Vec<f64> = b.z.row(r).iter().copied().collect();
            categorical(&zr).ln_pmf(b.y[r] as u64)
        })
        .sum();
    let tol = n as f64 * 1e-13 * (1.0 + max_abs_finite(&b.z));
    assert_close("Σ CE vs −Σ ln_pmf", sum.scalar().unwrap(), -ll, tol, 1e-12);
    assert_close(
        "mean CE vs −Σ ln_pmf / N",
        mean.scalar().unwrap(),
        -ll / n as f64,
        tol,
        1e-12,
    );
}

/// T2 with one shared model q (logits `z` in every row): Σ CE = −(Multinomial(q, N).ln_pmf(counts)
/// − ln(N! / Π n_c!)). The multinomial coefficient counts orderings; the likelihood of the
/// ordered sample is what the CE sums.
#[quickcheck]
fn t2_dataset_nll_is_multinomial_ln_pmf_minus_coefficient(l: Logits, labels: Labels) {
    let c = labels.classes;
    // One row of logits with C = labels.classes: reuse the generated values cyclically.
    let vals: Vec<f64> = l.0.iter().copied().collect();
    let z_row: Vec<f64> = (0..c).map(|k| vals[k % vals.len()]).collect();
    let n = labels.y.len();
    let z = DMatrix::from_fn(n, c, |_, k| z_row[k]);
    let y: Vec<i64> = labels.y.iter().map(|&k| k as i64).collect();
    let sum = loss::cross_entropy(&z, Target::Indices(&y), &opts(Reduction::Sum))
        .unwrap()
        .scalar()
        .unwrap();
    let counts = likelihood::class_counts(&labels.y, c).unwrap();
    let counts_u64 = DVector::from_iterator(c, counts.iter().map(|&k| k as u64));
    let w: Vec<f64> = z_row.iter().map(|v| v.exp()).collect();
    let multi = Multinomial::new(w, n as u64).unwrap();
    let ln_coef =
        ln_factorial(n as u64) - counts.iter().map(|&k| ln_factorial(k as u64)).sum::<f64>();
    let want = -(multi.ln_pmf(&counts_u64) - ln_coef);
    let tol = n as f64 * 1e-13 * (1.0 + z_row.iter().fold(0.0f64, |m, v| m.max(v.abs())))
        + 1e-12 * ln_coef;
    assert_close(
        "Σ CE vs −(Multinomial ln_pmf − ln coefficient)",
        sum,
        want,
        tol,
        1e-12,
    );
}

// ------------------------------------------------------------------ T3

/// T3's entropy against `Categorical::entropy`, with and without zero probabilities.
#[quickcheck]
fn t3_entropy_matches_categorical_entropy(d: Distribution, s: SparseDistribution) {
    for p in [d.p, s.0.p] {
        let want = Categorical::new(p.as_slice()).unwrap().entropy().unwrap();
        let got = information::entropy(&p).unwrap();
        assert_close("entropy vs Categorical::entropy", got, want, 1e-15, 1e-13);
    }
}

// ------------------------------------------------------------------ T7

fn sigmoid_naive(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// T7: BCE-with-logits with y ∈ {0, 1} is −`Bernoulli(σ(x)).ln_pmf(y)`, element by element
/// (`Reduction::None`, column-major), and a multi-label (N, K) sum is the sum of the K·N
/// Bernoulli NLLs; the mean divides by N·K.
#[quickcheck]
fn t7_bce_with_logits_is_bernoulli_nll(b: BinaryBatch) {
    let (n, k) = b.x.shape();
    let run = |r: Reduction| {
        loss::binary_cross_entropy_with_logits(
            &b.x,
            &b.y,
            &BceWithLogitsOptions {
                reduction: r,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let per = run(Reduction::None);
    let Loss::PerSample(per) = per else {
        panic!("Reduction::None must give per-element losses")
    };
    assert_eq!(per.len(), n * k);
    let mut total = 0.0;
    for col in 0..k {
        for r in 0..n {
            let x = b.x[(r, col)];
            let nll = -Bernoulli::new(sigmoid_naive(x))
                .unwrap()
                .ln_pmf(b.y[(r, col)] as u64);
            assert_close(
                "BCE element vs −Bernoulli ln_pmf",
                per[col * n + r],
                nll,
                1e-11,
                1e-11,
            );
            total += nll;
        }
    }
    let tol = 1e-11 * (n * k) as f64;
    assert_close(
        "Σ BCE vs Σ Bernoulli NLL",
        run(Reduction::Sum).scalar().unwrap(),
        total,
        tol,
        1e-11,
    );
    assert_close(
        "mean BCE vs Σ Bernoulli NLL / (N·K)",
        run(Reduction::Mean).scalar().unwrap(),
        total / (n * k) as f64,
        tol,
        1e-11,
    );
}

// ------------------------------------------------------------------ T8

/// −Σ_i ln N(x_i; μ, σ) by statrs.
fn gaussian_nll(xs: &[f64], mu: f64, sigma: f64) -> f64 {
    let d = Normal::new(mu, sigma).unwrap();
    -xs.iter().map(|&x| d.ln_pdf(x)).sum::<f64>()
}

/// The crate's `mse_loss` (mean) of a constant prediction μ for the data `xs`.
fn mse(xs: &[f64], mu: f64) -> f64 {
    let target = DMatrix::from_column_slice(xs.len(), 1, xs);
    let input = DMatrix::from_element(xs.len(), 1, mu);
    loss::mse_loss(&input, &target, Reduction::Mean)
        .unwrap()
        .scalar()
        .unwrap()
}

/// T8: with σ fixed, −Σ ln N(x_i; μ_i, σ) = Σ (x_i − μ_i)² / (2σ²) + N·ln(σ√(2π)), i.e.
/// NLL = N·MSE / (2σ²) + const (MSE from `loss::mse_loss`, NLL from statrs' `Normal`): the
/// same minimiser over μ. Checked element by element for per-sample means μ_i, and for a
/// shared μ, whose minimiser is `gaussian_mle`'s sample mean for both.
#[quickcheck]
fn t8_mse_is_gaussian_nll_up_to_constants(l: Logits, s: Distribution) {
    // Data x and predictions μ from the bounded generators; σ in [0.5, 2.5].
    let xs: Vec<f64> = l.0.column(0).iter().copied().collect();
    let mus: Vec<f64> = l.0.column(1).iter().copied().collect();
    let sigma = 0.5 + 2.0 * s.p[0];
    let n = xs.len() as f64;
    let konst = n * (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln();
    // Per-sample means: the identity.
    let nll: f64 = -xs
        .iter()
        .zip(&mus)
        .map(|(&x, &mu)| Normal::new(mu, sigma).unwrap().ln_pdf(x))
        .sum::<f64>();
    let (input, target) = (
        DMatrix::from_column_slice(mus.len(), 1, &mus),
        DMatrix::from_column_slice(xs.len(), 1, &xs),
    );
    let per = loss::mse_loss(&input, &target, Reduction::None).unwrap();
    let per = per.per_sample().unwrap();
    for (i, (&x, &mu)) in xs.iter().zip(&mus).enumerate() {
        let nll_i = -Normal::new(mu, sigma).unwrap().ln_pdf(x);
        let want = nll_i - konst / n;
        assert_close(
            "(x−μ)²/(2σ²) vs −ln N(x; μ, σ) − ln(σ√2π)",
            per[i] / (2.0 * sigma * sigma),
            want,
            1e-12 * (1.0 + nll_i),
            0.0,
        );
    }
    let sq = loss::mse_loss(&input, &target, Reduction::Sum)
        .unwrap()
        .scalar()
        .unwrap();
    let mean = loss::mse_loss(&input, &target, Reduction::Mean)
        .unwrap()
        .scalar()
        .unwrap();
    assert_close("MSE mean vs sum / N", mean, sq / n, 1e-15, 1e-14);
    assert_close(
        "−Σ ln N vs Σ(x−μ)²/(2σ²) + N ln(σ√2π)",
        nll,
        sq / (2.0 * sigma * sigma) + konst,
        1e-11,
        1e-12,
    );
    // Shared μ: NLL(μ) − N·MSE(μ)/(2σ²) is the same constant for every μ, and μ̂ minimises both.
    let (mu_hat, var_hat) = likelihood::gaussian_mle(&xs).unwrap();
    assert_close(
        "σ̂² (MLE) vs MSE at μ̂",
        var_hat,
        mse(&xs, mu_hat),
        1e-12,
        1e-12,
    );
    for delta in [0.0, 1e-3, -0.5, 3.0, -17.0] {
        let mu = mu_hat + delta;
        let nll_mu = gaussian_nll(&xs, mu, sigma);
        let gap = nll_mu - n * mse(&xs, mu) / (2.0 * sigma * sigma);
        // Both terms of `gap` are ~NLL, so the rounding error scales with it.
        assert_close(
            "NLL − N·MSE/(2σ²) is constant in μ",
            gap,
            konst,
            1e-13 * (1.0 + nll_mu),
            0.0,
        );
        if delta != 0.0 {
            let (at_hat, mse_hat) = (gaussian_nll(&xs, mu_hat, sigma), mse(&xs, mu_hat));
            assert!(
                nll_mu >= at_hat - 1e-13 * at_hat.abs(),
                "μ̂ does not minimise the NLL"
            );
            assert!(
                mse(&xs, mu) >= mse_hat - 1e-13 * mse_hat,
                "μ̂ does not minimise the MSE"
            );
        }
    }
}
