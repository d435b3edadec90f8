//! The theorem checks behind `ce-mle verify`: every theorem of the book (T1–T11) evaluated on
//! seeded random cases against an independent oracle, with the worst disagreement found.
//!
//! Each [`Check`] is one row of the report: statement, oracle, cases tried, worst error,
//! tolerance and verdict. The same theorems are also quickcheck properties in `tests/`; this
//! module is the version a reader runs (`cargo run --release`).

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Bernoulli, Categorical, Continuous, Discrete, Multinomial, Normal};

use crate::error::{Error, Result};
use ce_mle::data::rng;
use ce_mle::information::{cross_entropy_between, entropy, kl_divergence};
use ce_mle::likelihood::{categorical_mle, negative_log_likelihood};
use ce_mle::loss::{
    BceWithLogitsOptions, CrossEntropyOptions, Reduction, Target, binary_cross_entropy_with_logits,
    cross_entropy, cross_entropy_with_grad, mse_loss,
};
use ce_mle::softmax::{log_softmax, logsumexp, softmax};

pub mod golden;

/// Settings of [`check_all`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyConfig {
    /// Random cases per theorem (the heavier checks T4 and T5 use a fiftieth, at least 2;
    /// 0 counts as 1). G1 checks every entry of every tensor when `cases` is at least the
    /// default (1000), else `cases` entries per tensor (evenly spaced, at least 2).
    pub cases: usize,
    /// Seed of the case generator.
    pub seed: u64,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self {
            cases: 1000,
            seed: ce_mle::data::DEFAULT_SEED,
        }
    }
}

/// One row of the report (serialised as one object of the `checks` array of
/// `ce-mle verify --json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Theorem id, `T1`…
    pub id: String,
    /// What is checked.
    pub statement: String,
    /// The independent side of the comparison.
    pub oracle: String,
    /// Cases tried.
    pub cases: usize,
    /// Worst |lhs − rhs| (or worst violation of an inequality) over the cases.
    pub worst_error: f64,
    /// The largest error accepted.
    pub tolerance: f64,
    /// `worst_error ≤ tolerance` (and no NaN).
    pub passed: bool,
    /// A short human-readable figure (e.g. the loss before and after training).
    pub detail: String,
}

fn row(
    id: &'static str,
    statement: &'static str,
    oracle: &'static str,
    cases: usize,
    worst: f64,
    tolerance: f64,
    detail: String,
) -> Check {
    Check {
        id: id.to_owned(),
        statement: statement.to_owned(),
        oracle: oracle.to_owned(),
        cases,
        worst_error: worst,
        tolerance,
        // NaN compares false: a NaN anywhere fails the row.
        passed: worst <= tolerance,
        detail,
    }
}

fn oracle<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| Error::Oracle(e.to_string()))
}

fn random_logits(r: &mut ChaCha8Rng, n: usize, c: usize, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(n, c, |_, _| r.random_range(-scale..scale))
}

fn random_distribution(r: &mut ChaCha8Rng, c: usize, zeros: bool) -> DVector<f64> {
    let mut v = DVector::from_fn(c, |_, _| r.random_range(0.0..1.0f64));
    if zeros {
        for i in 0..c {
            if r.random_bool(0.3) {
                v[i] = 0.0;
            }
        }
        if v.sum() == 0.0 {
            v[0] = 1.0;
        }
    }
    let s = v.sum();
    v / s
}

fn max_abs_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// T1: one-hot target, `CE(y, q) = −log q_j`, against statrs `Categorical::ln_pmf`.
fn t1(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let c = r.random_range(2..12);
        let z = random_logits(r, 1, c, 8.0);
        let j = r.random_range(0..c);
        let ce = cross_entropy(
            &z,
            Target::Indices(&[j as i64]),
            &CrossEntropyOptions::default(),
        )?
        .scalar()
        .unwrap_or(f64::NAN);
        let q = softmax(&z)?;
        let cat = oracle(Categorical::new(q.as_slice()))?;
        worst = worst.max((ce + cat.ln_pmf(j as u64)).abs());
    }
    Ok(row(
        "T1",
        "one-hot target: CE(y, q) = -ln q_j",
        "statrs Categorical::ln_pmf",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T2: a data set, `Σ CE_i = −ln Π p(y_i | x_i) = NLL`, mean CE = NLL / N.
fn t2(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let n = r.random_range(1..40);
        let c = r.random_range(2..8);
        let z = random_logits(r, n, c, 6.0);
        let y: Vec<i64> = (0..n).map(|_| r.random_range(0..c) as i64).collect();
        let sum_opts = CrossEntropyOptions::default().reduction(Reduction::Sum);
        let sum = cross_entropy(&z, Target::Indices(&y), &sum_opts)?
            .scalar()
            .unwrap_or(f64::NAN);
        let mean = cross_entropy(&z, Target::Indices(&y), &CrossEntropyOptions::default())?
            .scalar()
            .unwrap_or(f64::NAN);
        let q = softmax(&z)?;
        // Oracle 1: Σ of statrs Categorical ln_pmf per sample.
        let mut ll = 0.0;
        let mut picked = Vec::with_capacity(n);
        for (i, &yi) in y.iter().enumerate() {
            let row: Vec<f64> = q.row(i).iter().copied().collect();
            ll += oracle(Categorical::new(&row))?.ln_pmf(yi as u64);
            picked.push(q[(i, yi as usize)]);
        }
        let nll = negative_log_likelihood(&picked)?;
        worst = worst
            .max((sum + ll).abs() / n as f64)
            .max((sum - nll).abs() / n as f64)
            .max((mean - nll / n as f64).abs());
        // Oracle 2: with one shared q (every row equal), the data's likelihood is the
        // multinomial pmf of the counts without its coefficient N! / Π n_c!.
        let z1 = random_logits(r, 1, c, 6.0);
        let zs = DMatrix::from_fn(n, c, |_, k| z1[(0, k)]);
        let s1 = cross_entropy(&zs, Target::Indices(&y), &sum_opts)?
            .scalar()
            .unwrap_or(f64::NAN);
        let q1 = softmax(&z1)?;
        let mut counts = vec![0u64; c];
        for &yi in &y {
            counts[yi as usize] += 1;
        }
        let multi = oracle(Multinomial::new(q1.iter().copied().collect(), n as u64))?;
        let ln_coef = statrs::function::factorial::ln_factorial(n as u64)
            - counts
                .iter()
                .map(|&k| statrs::function::factorial::ln_factorial(k))
                .sum::<f64>();
        let ln_lik = multi.ln_pmf(&DVector::from_vec(counts)) - ln_coef;
        worst = worst.max((s1 + ln_lik).abs() / n as f64);
    }
    Ok(row(
        "T2",
        "data set: sum CE_i = -ln prod p(y_i|x_i) = NLL; mean CE = NLL/N",
        "statrs Categorical & Multinomial ln_pmf",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T3: `CE(p, q) = H(p) + KL(p‖q) ≥ H(p)`, equality iff q = p.
fn t3(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let c = r.random_range(2..10);
        let p = random_distribution(r, c, true);
        let q = random_distribution(r, c, false);
        let ce = cross_entropy_between(&p, &q)?;
        let h = entropy(&p)?;
        let kl = kl_divergence(&p, &q)?;
        // Direct sums, no shared code: −Σ p ln q and Σ p ln p.
        let direct_ce: f64 = (0..c)
            .filter(|&i| p[i] > 0.0)
            .map(|i| -p[i] * q[i].ln())
            .sum();
        worst = worst
            .max((ce - (h + kl)).abs())
            .max((ce - direct_ce).abs())
            .max(-kl) // Gibbs: KL ≥ 0
            .max(kl_divergence(&p, &p)?.abs())
            .max((cross_entropy_between(&p, &p)? - h).abs());
    }
    Ok(row(
        "T3",
        "soft target: CE(p,q) = H(p) + KL(p||q) >= H(p); = iff q = p",
        "direct sums; Gibbs inequality",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T4: the categorical MLE is the empirical frequency, the minimum mean CE is H(p̂), and
/// gradient descent on free logits lands on it.
fn t4(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    let mut iters = 0;
    for _ in 0..cases {
        let c = r.random_range(2..6);
        let n = c + r.random_range(0..30);
        // Every class observed at least once, so the MLE has no zero and the logits a finite
        // optimum.
        let mut labels: Vec<usize> = (0..c).collect();
        labels.extend((c..n).map(|_| r.random_range(0..c)));
        let mle = categorical_mle(&labels, c)?;
        let y: Vec<i64> = labels.iter().map(|&v| v as i64).collect();
        // Gradient descent on one logit vector shared by all samples, from 0.
        let mut z = DMatrix::zeros(1, c);
        let opts = CrossEntropyOptions::default();
        let lr = 1.0;
        iters = 3000;
        for _ in 0..iters {
            let zs = DMatrix::from_fn(n, c, |_, k| z[(0, k)]);
            let (_, g) = cross_entropy_with_grad(&zs, Target::Indices(&y), &opts)?;
            for k in 0..c {
                z[(0, k)] -= lr * g.column(k).sum();
            }
        }
        let q: DMatrix<f64> = softmax(&z)?;
        let q_err = (0..c)
            .map(|k| (q[(0, k)] - mle[k]).abs())
            .fold(0.0, f64::max);
        // Mean CE at the MLE equals H(p̂).
        let zm = DMatrix::from_fn(n, c, |_, k| mle[k].ln());
        let at_mle = cross_entropy(&zm, Target::Indices(&y), &opts)?
            .scalar()
            .unwrap_or(f64::NAN);
        worst = worst.max(q_err).max((at_mle - entropy(&mle)?).abs());
    }
    Ok(row(
        "T4",
        "categorical MLE = frequencies n_c/N; min mean CE = H(p_hat); GD reaches it",
        "closed form; 3000 GD steps from zero logits",
        cases,
        worst,
        1e-8,
        format!("{iters} GD steps, lr 1"),
    ))
}

/// T5: `∂CE/∂z = softmax(z) − y` (in general the formula of `cross_entropy_with_grad`) against
/// central finite differences, for every option combination.
fn t5(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    let mut tried = 0;
    for _ in 0..cases {
        for probs in [false, true] {
            for weighted in [false, true] {
                for ignore in [false, true] {
                    if probs && ignore {
                        continue;
                    }
                    for eps in [0.0, 0.2] {
                        for red in [Reduction::None, Reduction::Mean, Reduction::Sum] {
                            tried += 1;
                            let n = r.random_range(2..5);
                            let c = r.random_range(2..6);
                            let z = random_logits(r, n, c, 3.0);
                            let mut y: Vec<i64> =
                                (0..n).map(|_| r.random_range(0..c) as i64).collect();
                            if ignore {
                                y[0] = -100;
                            }
                            let p = DMatrix::from_fn(n, c, |_, _| 0.0);
                            let mut p = p;
                            for i in 0..n {
                                let d = random_distribution(r, c, false);
                                for k in 0..c {
                                    p[(i, k)] = d[k];
                                }
                            }
                            let mut opts = CrossEntropyOptions::default()
                                .reduction(red)
                                .label_smoothing(eps);
                            if weighted {
                                opts = opts
                                    .weight(DVector::from_fn(c, |_, _| r.random_range(0.1..2.0)));
                            }
                            let target = if probs {
                                Target::Probabilities(&p)
                            } else {
                                Target::Indices(&y)
                            };
                            let total = |zz: &DMatrix<f64>| -> Result<f64> {
                                Ok(match cross_entropy(zz, target, &opts)? {
                                    ce_mle::loss::Loss::Scalar(v) => v,
                                    ce_mle::loss::Loss::PerSample(v) => v.sum(),
                                })
                            };
                            let (_, g) = cross_entropy_with_grad(&z, target, &opts)?;
                            let h = 1e-6;
                            for i in 0..n {
                                for k in 0..c {
                                    let mut zp = z.clone();
                                    zp[(i, k)] += h;
                                    let mut zm = z.clone();
                                    zm[(i, k)] -= h;
                                    let fd = (total(&zp)? - total(&zm)?) / (2.0 * h);
                                    worst =
                                        worst.max((fd - g[(i, k)]).abs() / (1.0 + g[(i, k)].abs()));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(row(
        "T5",
        "dCE/dz = softmax(z) - y (all weight/ignore/smoothing/reduction combinations)",
        "central finite differences, h = 1e-6",
        tried,
        worst,
        1e-7,
        String::new(),
    ))
}

/// T6: shift invariance of log_softmax and the logsumexp bounds.
fn t6(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let c = r.random_range(1..20);
        let z = random_logits(r, 1, c, 30.0);
        let shift = r.random_range(-1e3..1e3);
        let zs = z.map(|v| v + shift);
        // z + shift is rounded to about |shift|·2⁻⁵² ≈ 2e-13, which bounds the difference.
        worst = worst.max(max_abs_diff(&log_softmax(&z)?, &log_softmax(&zs)?));
        let lse = logsumexp(&z)?[0];
        let m = z.max();
        worst = worst.max(m - lse).max(lse - (m + (c as f64).ln()));
    }
    Ok(row(
        "T6",
        "log_softmax(z + c) = log_softmax(z); max z <= logsumexp(z) <= max z + ln C",
        "the identities themselves (shifts up to 1e3)",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T7: BCE-with-logits is the Bernoulli NLL; multi-label is the sum of independent ones.
fn t7(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let n = r.random_range(1..6);
        let k = r.random_range(1..5);
        // Moderate logits: statrs evaluates ln(1 − σ(x)) directly, which loses digits for large x.
        let x = random_logits(r, n, k, 8.0);
        let y = DMatrix::from_fn(n, k, |_, _| if r.random_bool(0.5) { 1.0 } else { 0.0 });
        let opts = BceWithLogitsOptions {
            reduction: Reduction::Sum,
            ..Default::default()
        };
        let ours = binary_cross_entropy_with_logits(&x, &y, &opts)?
            .scalar()
            .unwrap_or(f64::NAN);
        let mut nll = 0.0;
        for i in 0..n {
            for j in 0..k {
                let p = 1.0 / (1.0 + (-x[(i, j)]).exp());
                nll -= oracle(Bernoulli::new(p))?.ln_pmf(y[(i, j)] as u64);
            }
        }
        worst = worst.max((ours - nll).abs() / (n * k) as f64);
    }
    Ok(row(
        "T7",
        "BCE with logits = Bernoulli NLL; multi-label = sum of Bernoulli NLLs",
        "statrs Bernoulli::ln_pmf",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T8: squared error is the Gaussian NLL with fixed σ, up to scale and a constant.
fn t8(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let n = r.random_range(1..30);
        let sigma = r.random_range(0.2..3.0);
        let mu = DMatrix::from_fn(n, 1, |_, _| r.random_range(-5.0..5.0));
        let x = DMatrix::from_fn(n, 1, |_, _| r.random_range(-5.0..5.0));
        let se = mse_loss(&mu, &x, Reduction::Sum)?
            .scalar()
            .unwrap_or(f64::NAN);
        let mut nll = 0.0;
        for i in 0..n {
            nll -= oracle(Normal::new(mu[(i, 0)], sigma))?.ln_pdf(x[(i, 0)]);
        }
        let predicted = se / (2.0 * sigma * sigma)
            + n as f64 * (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln();
        worst = worst.max((nll - predicted).abs() / n as f64);
    }
    Ok(row(
        "T8",
        "Gaussian NLL (fixed sigma) = SE/(2 sigma^2) + N ln(sigma sqrt(2 pi))",
        "statrs Normal::ln_pdf",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T9: with label smoothing ε the CE is minimised at q = (1 − ε)y + ε/C, with value H(q).
fn t9(cases: usize, r: &mut ChaCha8Rng) -> Result<Check> {
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let c = r.random_range(2..10);
        let y = r.random_range(0..c);
        let eps = r.random_range(0.01..0.99);
        let qstar = DVector::from_fn(c, |k, _| {
            (1.0 - eps) * if k == y { 1.0 } else { 0.0 } + eps / c as f64
        });
        let z = DMatrix::from_fn(1, c, |_, k| qstar[k].ln());
        let opts = CrossEntropyOptions::default().label_smoothing(eps);
        let t = [y as i64];
        let (l, g) = cross_entropy_with_grad(&z, Target::Indices(&t), &opts)?;
        let l = l.scalar().unwrap_or(f64::NAN);
        worst = worst.max((l - entropy(&qstar)?).abs()).max(g.abs().max());
        // A random perturbation never lowers the loss below the minimum.
        let zp = &z + random_logits(r, 1, c, 0.5);
        let lp = cross_entropy(&zp, Target::Indices(&t), &opts)?
            .scalar()
            .unwrap_or(f64::NAN);
        worst = worst.max(l - lp);
    }
    Ok(row(
        "T9",
        "label smoothing eps: CE minimised at q = (1-eps) y + eps/C, min = H(q)",
        "closed form; random perturbations",
        cases,
        worst,
        1e-12,
        String::new(),
    ))
}

/// T10: the article's training program lowers the loss at every epoch.
fn t10() -> Result<Check> {
    let rep = ce_mle::train::article_run(&ce_mle::train::ArticleConfig::default())?;
    // The largest epoch-to-epoch change of the loss (including the last update): must be < 0.
    let rise = rep
        .losses
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(std::iter::once(
            rep.final_loss - rep.losses[rep.losses.len() - 1],
        ))
        .fold(f64::NEG_INFINITY, f64::max);
    let first = rep.losses[0];
    let mut check = row(
        "T10",
        "Linear 10->5, Adam lr 1e-3, 100 epochs: the loss falls at every epoch",
        "worst = largest epoch-to-epoch change, must be < 0",
        rep.losses.len(),
        rise,
        0.0,
        format!("loss {first:.4} -> {:.4}", rep.final_loss),
    );
    check.passed = rise < 0.0;
    Ok(check)
}

/// Run every check. Deterministic for a given [`VerifyConfig`].
///
/// # Errors
/// Only if a check cannot run at all (an oracle refuses its input); a failed comparison is a
/// row with `passed = false`, not an error.
pub fn check_all(cfg: &VerifyConfig) -> Result<Vec<Check>> {
    let mut r = rng(cfg.seed);
    let n = cfg.cases.max(1);
    let heavy = (n / 10).max(10);
    let rows = vec![
        t1(n, &mut r)?,
        t2(n, &mut r)?,
        t3(n, &mut r)?,
        t4(heavy / 5, &mut r)?,
        t5(heavy / 5, &mut r)?,
        t6(n, &mut r)?,
        t7(n, &mut r)?,
        t8(n, &mut r)?,
        t9(n, &mut r)?,
        t10()?,
        t11()?,
        p1()?,
        p2()?,
        g1(cfg.cases)?,
        g2()?,
    ];
    Ok(rows)
}

/// T11: on the books' own prose, the bigram model trained by gradient descent on CE
/// approaches the counting MLE; their CE gap is the mean KL; perplexity = exp(CE).
fn t11() -> Result<Check> {
    let text = crate::paths::book_corpus()?;
    let run = ce_mle::lm::compare_fits(&text, &ce_mle::lm::BigramOptions::default(), &mut |_| {})?;
    let rep = &run.report;
    // Independent of the model code: the counting MLE's CE straight from the counts,
    // −(1/M) Σ_a Σ_b n(a,b) ln(n(a,b)/n(a)).
    let counts = &run.counts;
    let v = counts.vocab().len();
    let mut direct = 0.0;
    for a in 0..v {
        let na = counts.context_count(a).unwrap_or(0) as f64;
        for b in 0..v {
            let nab = counts.count(a, b).unwrap_or(0) as f64;
            if nab > 0.0 {
                direct -= nab * (nab / na).ln();
            }
        }
    }
    direct /= counts.bigrams() as f64;
    let worst = (rep.mean_kl - (rep.ce_trained - rep.ce_counting))
        .abs()
        .max((rep.ce_counting - direct).abs())
        .max((rep.perplexity_counting - rep.ce_counting.exp()).abs() / rep.perplexity_counting)
        .max((rep.perplexity_trained - rep.ce_trained.exp()).abs() / rep.perplexity_trained);
    let mut check = row(
        "T11",
        "bigram on the books: Adam on CE -> counting MLE; gap = mean KL; ppl = exp(CE)",
        "worst = identities (closed-form CE of counts); the gap is checked apart",
        1,
        worst,
        1e-9,
        format!(
            "V {}, convergence gap {:.2e} < {:.0e} after {} Adam steps, ppl {:.3} vs {:.3}",
            rep.vocab_size,
            rep.mean_kl,
            rep.tolerance,
            rep.iterations,
            rep.perplexity_trained,
            rep.perplexity_counting
        ),
    );
    // The theorem is the convergence: a run that stopped at max_iters fails the row.
    check.passed &= rep.converged && rep.final_gap < rep.tolerance;
    Ok(check)
}

/// P1: every PyTorch functional case agrees (or PyTorch is off and we match the exact value,
/// or it is a documented refusal).
fn p1() -> Result<Check> {
    let rep = golden::functional()?;
    let worst = if rep.failures.is_empty() {
        rep.worst_usage()
    } else {
        f64::INFINITY
    };
    Ok(row(
        "P1",
        "ce-mle loss = PyTorch on its golden cases (f64 1e-12, f32 2e-6 relative)",
        "worst = largest share of the tolerance used (PyTorch 2.15 fixtures, mpmath exact)",
        rep.cases,
        worst,
        1.0,
        format!(
            "torch {}: worst relative f64 {:.1e}, f32 {:.1e}; {} where PyTorch is off, {} refusals, {} both reject{}",
            rep.torch_version,
            rep.worst_relative("float64"),
            rep.worst_relative("float32"),
            rep.torch_off.len(),
            rep.refusals.values().sum::<usize>(),
            rep.rejections.values().sum::<usize>(),
            rep.failures
                .first()
                .map(|f| format!("; FIRST FAILURE {f}"))
                .unwrap_or_default()
        ),
    ))
}

/// P2: the article's program under nine optimisers follows PyTorch's float64 trajectories.
fn p2() -> Result<Check> {
    let (version, runs) = golden::training()?;
    let worst = runs.iter().fold(0.0f64, |m, r| {
        m.max(if r.printed_equal {
            r.usage
        } else {
            f64::INFINITY
        })
    });
    let loss = runs.iter().fold(0.0f64, |m, r| m.max(r.loss_relative));
    let param = runs.iter().fold(0.0f64, |m, r| m.max(r.param_relative));
    let mut check = row(
        "P2",
        "SGD/Adam/AdamW trajectories = PyTorch's (loss every epoch, params, printed lines)",
        "worst = largest share of the tolerance 1e-12 rel + 1e-15 abs",
        runs.len() * 100,
        worst,
        1.0,
        format!(
            "torch {version}: {} runs, worst relative loss {loss:.1e}, params {param:.1e}",
            runs.len()
        ),
    );
    check.passed = check.passed && runs.iter().all(|r| r.printed_equal);
    Ok(check)
}

/// G1: the GPT's hand-written backward pass against five-point finite differences, every
/// entry of every parameter tensor of a small model in f64 (with fewer `cases` than the
/// default, `cases` evenly spaced entries per tensor: the quick runs of the tests; the book's
/// gradient table runs the whole check).
fn g1(cases: usize) -> Result<Check> {
    use ce_mle::lm::gpt::checks;
    let per_tensor = (cases < VerifyConfig::default().cases).then_some(cases.max(2));
    let rep = checks::gradient_check(per_tensor)?;
    let cfg = checks::check_config();
    Ok(row(
        "G1",
        "GPT: hand-written backward = finite differences, every parameter (f64)",
        "five-point differences, h = 1e-3; rel = |g - d| / max(|g|, |d|, 1e-5)",
        rep.checked,
        rep.worst_relative,
        1e-6,
        format!(
            "{} layers, {} heads, width {}, V {}, {} parameters, {} above 1e-5; worst in {}",
            cfg.n_layer,
            cfg.n_head,
            cfg.n_embd,
            cfg.vocab_size,
            rep.parameters,
            rep.above_floor,
            rep.worst_tensor
        ),
    ))
}

/// G2: the chain rule, `Σ_t CE_t = −ln p(x_2..x_n | x_1)`, on the committed checkpoint of
/// nanoGPT's recipe (`book/data/gpt/shakespeare-recipe.safetensors`, its `f32` weights
/// evaluated in `f64`) and the first `block_size + 1` characters of Tiny Shakespeare's
/// validation split: the batched loss (one pass, the causal mask) against one forward pass
/// per prefix.
fn g2() -> Result<Check> {
    use ce_mle::lm::gpt::{Gpt, checks};
    let path = crate::paths::book_root().join("data/gpt/shakespeare-recipe.safetensors");
    let ck = crate::lm::load(&path)?;
    let corpus = crate::paths::book_root().join("data/tinyshakespeare/input.txt");
    let split = ce_mle::lm::CharSplit::load(&corpus, ce_mle::lm::NANOGPT_TRAIN_FRACTION)?;
    if split.vocab() != &ck.vocab {
        return Err(ce_mle::Error::InvalidFile {
            path: path.display().to_string(),
            reason: "its vocabulary is not Tiny Shakespeare's".into(),
        }
        .into());
    }
    let model: Gpt<f64> = ck.model.cast();
    let n = (model.config().block_size + 1).min(split.val().len());
    let c = checks::chain_rule(&model, &split.val()[..n])?;
    Ok(row(
        "G2",
        "GPT: sum of token CEs (one batched pass) = -ln p(text) by the chain rule",
        "worst = |difference| per token; one forward pass per prefix, log_softmax",
        c.tokens,
        c.gap_per_token(),
        1e-12,
        format!(
            "recipe checkpoint (f64), first {} validation characters: -ln p = {:.6} nats",
            n, c.token_by_token
        ),
    ))
}

/// What `ce-mle verify` prints: [`render_table`], then one line with the verdict.
#[must_use]
pub fn render_report(rows: &[Check]) -> String {
    let verdict = if rows.iter().all(|r| r.passed) {
        "all checks PASS / 全部通过"
    } else {
        "some checks FAIL / 有检查未通过"
    };
    format!("{}{verdict}\n", render_table(rows))
}

/// The report as a fixed-width text table.
#[must_use]
pub fn render_table(rows: &[Check]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<4} {:<78} {:>6} {:>10} {:>8}  result",
        "id", "statement", "cases", "worst", "tol"
    );
    for c in rows {
        let _ = writeln!(
            s,
            "{:<4} {:<78} {:>6} {:>10.2e} {:>8.0e}  {}{}",
            c.id,
            c.statement,
            c.cases,
            c.worst_error,
            c.tolerance,
            if c.passed { "PASS" } else { "FAIL" },
            if c.detail.is_empty() {
                String::new()
            } else {
                format!("  ({})", c.detail)
            }
        );
    }
    s
}
