//! Property tests (quickcheck) of theorems T1–T4, T6 and T9, of
//! `cross_entropy = nll_loss ∘ log_softmax`, and of the weighted / smoothed / pos_weight
//! formulas with PyTorch's mean denominators.
//!
//! Expected values never come from the function under test: they come from an identity
//! with another function of the crate, from a naive formula written here (`ln Σ e^z − z_y`
//! without max subtraction, exact for the bounded logits of `generators`), or from a closed
//! form.

use ce_mle::information;
use ce_mle::likelihood;
use ce_mle::loss::{
    self, BceWithLogitsOptions, CrossEntropyOptions, Loss, NllLossOptions, Reduction, Target,
};
use ce_mle::softmax;
use nalgebra::{DMatrix, DVector};
use quickcheck_macros::quickcheck;

use crate::generators::{
    Batch, BinaryBatch, DistPair, Distribution, LOGIT_BOUND, LabelsAndQ, Logits, NegInfLogits,
    Shift, Smoothed, SoftBatch, WeightedBatch, assert_close, max_abs_finite, naive_neg_log_softmax,
    one_hot, row,
};

fn per_sample(l: Loss) -> DVector<f64> {
    l.per_sample()
        .expect("Reduction::None gives per-sample losses")
        .clone()
}

fn scalar(l: Loss) -> f64 {
    l.scalar().expect("Mean and Sum give a scalar")
}

fn none() -> CrossEntropyOptions {
    CrossEntropyOptions::default().reduction(Reduction::None)
}

/// Absolute tolerance for comparing `−ln q` computed two ways from logits of size up to
/// `zmax`: the naive oracle subtracts two numbers of size ~`zmax`.
fn tol_for(zmax: f64) -> f64 {
    1e-13 * (1.0 + zmax)
}

// ------------------------------------------------------------------ T1

/// T1: with a class-index target, CE = −ln q_y; the same from one-hot probability targets,
/// from `−log_softmax`, from the naive formula, and from `information::cross_entropy_between`.
#[quickcheck]
fn t1_one_hot_ce_is_minus_log_q(b: Batch) {
    let (n, c) = b.z.shape();
    let tol = tol_for(max_abs_finite(&b.z));
    let per = per_sample(loss::cross_entropy(&b.z, Target::Indices(&b.y), &none()).unwrap());
    let oh = one_hot(&b.y, c);
    let per_p = per_sample(loss::cross_entropy(&b.z, Target::Probabilities(&oh), &none()).unwrap());
    let ls = softmax::log_softmax(&b.z).unwrap();
    let q = softmax::softmax(&b.z).unwrap();
    assert_eq!(per.len(), n);
    for r in 0..n {
        let y = b.y[r] as usize;
        let zr: Vec<f64> = b.z.row(r).iter().copied().collect();
        assert_close(
            "CE vs naive ln Σe^z − z_y",
            per[r],
            naive_neg_log_softmax(&zr, y),
            tol,
            1e-13,
        );
        assert_close("CE vs −log_softmax", per[r], -ls[(r, y)], tol, 1e-13);
        assert_close("index vs one-hot target", per_p[r], per[r], tol, 1e-13);
        let h = information::cross_entropy_between(&row(&oh, r), &row(&q, r)).unwrap();
        assert_close("CE vs H(onehot, softmax)", per[r], h, tol, 1e-12);
        assert!(per[r] >= 0.0, "CE must be ≥ 0, got {}", per[r]);
    }
}

// ------------------------------------------------------------------ T2

/// T2: Σ_i CE_i = −ln Π_i p(y_i) = NLL, and the mean is NLL / N.
#[quickcheck]
fn t2_sum_of_ce_is_nll(b: Batch) {
    let (n, _) = b.z.shape();
    let zmax = max_abs_finite(&b.z);
    let tol = n as f64 * tol_for(zmax);
    let sum = scalar(
        loss::cross_entropy(
            &b.z,
            Target::Indices(&b.y),
            &CrossEntropyOptions::default().reduction(Reduction::Sum),
        )
        .unwrap(),
    );
    let mean = scalar(
        loss::cross_entropy(&b.z, Target::Indices(&b.y), &CrossEntropyOptions::default()).unwrap(),
    );
    let q = softmax::softmax(&b.z).unwrap();
    let picked: Vec<f64> = (0..n).map(|r| q[(r, b.y[r] as usize)]).collect();
    let nll = likelihood::negative_log_likelihood(&picked).unwrap();
    // The product itself (no underflow: each factor ≥ e^{-2·30}/8, N ≤ 6), from naive softmax.
    let product: f64 = (0..n)
        .map(|r| {
            let zr: Vec<f64> = b.z.row(r).iter().copied().collect();
            crate::generators::naive_softmax(&zr)[b.y[r] as usize]
        })
        .product();
    assert!(product > 0.0, "the product underflowed: {product}");
    assert_close("Σ CE vs NLL(picked probabilities)", sum, nll, tol, 1e-12);
    assert_close("Σ CE vs −ln Π p", sum, -product.ln(), tol, 1e-12);
    assert_close("mean CE vs NLL / N", mean, nll / n as f64, tol, 1e-12);
}

// ------------------------------------------------------------------ T3

/// T3: H(p, q) = H(p) + KL(p‖q) ≥ H(p); KL(p‖p) = 0; H(p, p) = H(p).
#[quickcheck]
fn t3_ce_is_entropy_plus_kl(d: DistPair) {
    let (p, q) = (&d.p.p, &d.q.p);
    let h = information::entropy(p).unwrap();
    let kl = information::kl_divergence(p, q).unwrap();
    let ce = information::cross_entropy_between(p, q).unwrap();
    assert_close("H(p,q) vs H(p) + KL(p‖q)", ce, h + kl, 1e-14, 1e-13);
    assert!(kl >= -1e-15, "Gibbs: KL(p‖q) = {kl} < 0");
    assert!(ce >= h - 1e-14, "Gibbs: H(p,q) = {ce} < H(p) = {h}");
    let kl_pp = information::kl_divergence(p, p).unwrap();
    assert!(kl_pp.abs() <= 1e-15, "KL(p‖p) = {kl_pp}");
    assert_close(
        "H(p,p) vs H(p)",
        information::cross_entropy_between(p, p).unwrap(),
        h,
        1e-15,
        1e-14,
    );
    // Bounds of the entropy: 0 ≤ H ≤ ln C.
    assert!(
        h >= 0.0 && h <= (p.len() as f64).ln() + 1e-14,
        "H = {h} outside [0, ln C]"
    );
}

/// T3 through the loss: a probability target p with logits ln q gives Σ_n H(p_n, q).
#[quickcheck]
fn t3_loss_with_soft_target_is_cross_entropy_between_distributions(s: SoftBatch) {
    let (n, _) = s.z.shape();
    let per = per_sample(loss::cross_entropy(&s.z, Target::Probabilities(&s.p), &none()).unwrap());
    let q = softmax::softmax(&s.z).unwrap();
    let tol = tol_for(max_abs_finite(&s.z));
    for r in 0..n {
        let (pr, qr) = (row(&s.p, r), row(&q, r));
        let want = information::cross_entropy_between(&pr, &qr).unwrap();
        assert_close(
            "soft-target CE vs H(p, softmax z)",
            per[r],
            want,
            tol,
            1e-12,
        );
        let h = information::entropy(&pr).unwrap();
        let kl = information::kl_divergence(&pr, &qr).unwrap();
        assert!(per[r] >= h - tol, "row {r}: CE {} < H(p) {h}", per[r]);
        assert_close("CE vs H + KL", per[r], h + kl, tol, 1e-12);
    }
}

// ------------------------------------------------------------------ T4

/// Mean CE of the data `y` under one fixed distribution `q` (logits `ln q` in every row).
fn mean_ce_under(q: &DVector<f64>, y: &[usize]) -> f64 {
    let z = DMatrix::from_fn(y.len(), q.len(), |_, k| q[k].ln());
    let t: Vec<i64> = y.iter().map(|&k| k as i64).collect();
    scalar(loss::cross_entropy(&z, Target::Indices(&t), &CrossEntropyOptions::default()).unwrap())
}

/// T4: the categorical MLE is the vector of frequencies n_c / N; its mean CE is H(p̂) and no
/// other distribution does better (the gap is KL(p̂‖q)).
#[quickcheck]
fn t4_mle_is_frequencies_and_minimises_mean_ce(d: LabelsAndQ) {
    let (c, y) = (d.labels.classes, &d.labels.y);
    let n = y.len() as f64;
    let mle = likelihood::categorical_mle(y, c).unwrap();
    assert_eq!(mle.len(), c);
    for k in 0..c {
        let count = y.iter().filter(|&&v| v == k).count() as f64;
        assert_eq!(mle[k], count / n, "class {k}: frequency");
    }
    let h = information::entropy(&mle).unwrap();
    let ce_mle = mean_ce_under(&mle, y);
    let ce_q = mean_ce_under(&d.q.p, y);
    assert_close("min mean CE vs H(p̂)", ce_mle, h, 1e-14, 1e-13);
    assert!(
        ce_q >= ce_mle - 1e-13,
        "q = {:?} beats the MLE: {ce_q} < {ce_mle}",
        d.q.p.as_slice()
    );
    let kl = information::kl_divergence(&mle, &d.q.p).unwrap();
    assert_close(
        "mean CE(q) − H(p̂) vs KL(p̂‖q)",
        ce_q - ce_mle,
        kl,
        1e-13,
        1e-12,
    );
}

/// T4, second oracle: gradient descent on free logits θ (one row shared by every sample)
/// converges to the frequencies.
#[test]
fn t4_gradient_descent_on_free_logits_reaches_the_frequencies() {
    let y: Vec<i64> = vec![0, 0, 1, 2, 2, 2, 3, 0, 2, 1];
    let c = 4;
    let freq = [0.3, 0.2, 0.4, 0.1];
    let mut theta = DVector::<f64>::zeros(c);
    let opts = CrossEntropyOptions::default();
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..3000 {
        let z = DMatrix::from_fn(y.len(), c, |_, k| theta[k]);
        let (l, g) = loss::cross_entropy_with_grad(&z, Target::Indices(&y), &opts).unwrap();
        last = scalar(l);
        first.get_or_insert(last);
        for k in 0..c {
            theta[k] -= 1.0 * g.column(k).sum();
        }
    }
    let q = softmax::softmax_vector(&theta).unwrap();
    for k in 0..c {
        assert_close("trained q vs frequency", q[k], freq[k], 1e-9, 0.0);
    }
    let h = information::entropy(&DVector::from_row_slice(&freq)).unwrap();
    assert_close("final mean CE vs H(p̂)", last, h, 1e-12, 0.0);
    assert!(first.unwrap() > last + 0.1, "the loss did not go down");
}

// ------------------------------------------------------------------ T6

/// T6: log_softmax(z + c) = log_softmax(z) for |c| ≤ 1e6; −∞ entries stay −∞.
///
/// Tolerance: `z + c` is rounded to half an ulp of `|c| + |z|`, and each output depends on
/// two such differences (and on `log1p` of a sum whose terms inherit them), so the error is
/// at most a few ε·(|c| + max|z|); we allow 8 ε·(|c| + max|z| + 1).
#[quickcheck]
fn t6_log_softmax_is_shift_invariant(l: NegInfLogits, s: Shift) {
    let z = l.0;
    let c = s.0;
    let shifted = z.map(|v| v + c);
    let tol = 8.0 * f64::EPSILON * (c.abs() + max_abs_finite(&z) + 1.0);
    let a = softmax::log_softmax(&z).unwrap();
    let b = softmax::log_softmax(&shifted).unwrap();
    for (i, (&x, &v)) in a.iter().zip(b.iter()).enumerate() {
        if x == f64::NEG_INFINITY || v == f64::NEG_INFINITY {
            assert_eq!(x, v, "entry {i}: −∞ must stay −∞");
            assert_eq!(
                z[i],
                f64::NEG_INFINITY,
                "entry {i}: −∞ only where the logit is −∞"
            );
        } else {
            assert_close("log_softmax(z + c) vs log_softmax(z)", v, x, tol, 0.0);
        }
    }
    let la = softmax::logsumexp(&z).unwrap();
    let lb = softmax::logsumexp(&shifted).unwrap();
    for r in 0..z.nrows() {
        assert_close(
            "logsumexp(z + c) − c vs logsumexp(z)",
            lb[r] - c,
            la[r],
            2.0 * tol,
            0.0,
        );
    }
}

/// T6: max z ≤ logsumexp(z) ≤ max z + ln C, on finite logits and with −∞ entries.
#[quickcheck]
fn t6_logsumexp_between_max_and_max_plus_ln_c(f: Logits, l: NegInfLogits) {
    for z in [f.0, l.0] {
        let lse = softmax::logsumexp(&z).unwrap();
        let c = z.ncols() as f64;
        for r in 0..z.nrows() {
            let m = z.row(r).max();
            let slack = 4.0 * f64::EPSILON * (m.abs() + 1.0);
            assert!(lse[r] >= m, "row {r}: logsumexp {} < max {m}", lse[r]);
            assert!(
                lse[r] <= m + c.ln() + slack,
                "row {r}: logsumexp {} > max + ln C = {}",
                lse[r],
                m + c.ln()
            );
            let zr: Vec<f64> = z.row(r).iter().copied().collect();
            let naive = zr.iter().map(|v| v.exp()).sum::<f64>().ln();
            assert_close(
                "logsumexp vs naive ln Σ e^z",
                lse[r],
                naive,
                1e-13 * (1.0 + m.abs()),
                1e-14,
            );
        }
    }
}

/// T6: softmax rows sum to 1, entries in [0, 1], exactly 0 where the logit is −∞, and
/// exp(log_softmax) = softmax.
#[quickcheck]
fn t6_softmax_rows_sum_to_one(l: NegInfLogits) {
    let z = l.0;
    let (n, c) = z.shape();
    let q = softmax::softmax(&z).unwrap();
    let lq = softmax::log_softmax(&z).unwrap();
    for r in 0..n {
        let s: f64 = q.row(r).sum();
        assert_close("row sum", s, 1.0, 2.0 * c as f64 * f64::EPSILON, 0.0);
        for k in 0..c {
            let v = q[(r, k)];
            assert!((0.0..=1.0).contains(&v), "q[{r},{k}] = {v}");
            if z[(r, k)] == f64::NEG_INFINITY {
                assert_eq!(v, 0.0, "q[{r},{k}] must be exactly 0 at a −∞ logit");
            }
            assert_close(
                "exp(log_softmax) vs softmax",
                lq[(r, k)].exp(),
                v,
                1e-15,
                1e-13,
            );
        }
    }
}

// ------------------------------------------------------------------ T9

/// T9: with smoothing ε and index target y, CE(q) = −Σ_k q*_k ln q_k for
/// q* = (1 − ε)·onehot(y) + ε/C, so CE = H(q*) + KL(q*‖q): minimised at q = q* (logits ln q*)
/// with value H(q*) (closed form below) and zero gradient there; a perturbation never lowers it.
#[quickcheck]
fn t9_label_smoothing_minimum_is_the_smoothed_target(s: Smoothed) {
    let (c, y, eps) = (s.classes, s.y, s.eps);
    let cf = c as f64;
    let q_star = DVector::from_fn(c, |k, _| {
        if k == y {
            1.0 - eps + eps / cf
        } else {
            eps / cf
        }
    });
    let z_star = DMatrix::from_fn(1, c, |_, k| q_star[k].ln());
    let t = [y as i64];
    let opts = CrossEntropyOptions::default().label_smoothing(eps);
    let (l, g) = loss::cross_entropy_with_grad(&z_star, Target::Indices(&t), &opts).unwrap();
    let l_star = scalar(l);
    // Closed form of H(q*), with 0 ln 0 = 0.
    let xlnx = |x: f64| if x > 0.0 { x * x.ln() } else { 0.0 };
    let closed = -xlnx(1.0 - eps + eps / cf) - (cf - 1.0) * xlnx(eps / cf);
    let h = information::entropy(&q_star).unwrap();
    assert_close("H(q*) vs closed form", h, closed, 1e-15, 1e-13);
    assert_close("CE at q* vs H(q*)", l_star, closed, 1e-14, 1e-13);
    for k in 0..c {
        assert!(
            g[(0, k)].abs() <= 1e-14,
            "gradient at q* is not 0: {:?}",
            g.as_slice()
        );
    }
    // The same with a one-hot probability target.
    let oh = one_hot(&t, c);
    let l_p = scalar(loss::cross_entropy(&z_star, Target::Probabilities(&oh), &opts).unwrap());
    assert_close(
        "one-hot probability target vs index target",
        l_p,
        l_star,
        1e-14,
        1e-13,
    );
    // Perturb: never lower, and the excess is exactly KL(q*‖q).
    let z = DMatrix::from_fn(1, c, |_, k| z_star[(0, k)] + s.delta[k]);
    let l_z = scalar(loss::cross_entropy(&z, Target::Indices(&t), &opts).unwrap());
    assert!(
        l_z >= l_star - 1e-14,
        "perturbed logits lowered the loss: {l_z} < {l_star}"
    );
    let q = softmax::softmax_vector(&row(&z, 0)).unwrap();
    let kl = information::kl_divergence(&q_star, &q).unwrap();
    assert_close("CE(q) − H(q*) vs KL(q*‖q)", l_z - l_star, kl, 1e-13, 1e-12);
}

// ------------------------------------------------------------------ CE = NLL ∘ log_softmax

fn nll_opts(w: &WeightedBatch) -> NllLossOptions {
    NllLossOptions {
        weight: w.weight.clone(),
        ignore_index: w.ignore_index,
        reduction: w.reduction,
    }
}

/// `cross_entropy(z, y) = nll_loss(log_softmax(z), y)` for any weight, ignore_index and
/// reduction; where the mean is undefined both must refuse with the same error.
#[quickcheck]
fn cross_entropy_is_nll_of_log_softmax(w: WeightedBatch) {
    let mut ce_opts = CrossEntropyOptions::default()
        .ignore_index(w.ignore_index)
        .reduction(w.reduction);
    ce_opts.weight = w.weight.clone();
    let ce = loss::cross_entropy(&w.z, Target::Indices(&w.y), &ce_opts);
    let ls = softmax::log_softmax(&w.z).unwrap();
    let nll = loss::nll_loss(&ls, &w.y, &nll_opts(&w));
    let tol = w.z.nrows() as f64 * tol_for(max_abs_finite(&w.z)) * 3.0;
    match (ce, nll) {
        (Ok(Loss::Scalar(a)), Ok(Loss::Scalar(b))) => {
            assert_close("CE vs NLL(log_softmax)", a, b, tol, 1e-13)
        }
        (Ok(Loss::PerSample(a)), Ok(Loss::PerSample(b))) => {
            assert_eq!(a.len(), b.len());
            for (r, (&x, &v)) in a.iter().zip(b.iter()).enumerate() {
                assert_close("per-sample CE vs NLL", x, v, tol, 1e-13);
                if w.y[r] == w.ignore_index {
                    assert_eq!(x, 0.0, "ignored row {r} must have loss 0");
                }
            }
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            assert_eq!(
                a,
                ce_mle::Error::UndefinedMean,
                "only an undefined mean may fail here"
            );
            assert_eq!(w.reduction, Reduction::Mean);
        }
        (a, b) => panic!("cross_entropy gave {a:?} but nll_loss gave {b:?}"),
    }
}

// ------------------------------------------------------------------ weighted formulas

/// Probability targets with class weights and smoothing ε: per sample
/// `l_n = −Σ_c w_c p'_{n,c} ln q_{n,c}` with `p' = (1 − ε)p + ε/C` (naive `ln q` here), and
/// `Mean` divides the sum by N, not by a sum of weights (PyTorch's rule).
#[quickcheck]
fn soft_target_weighted_smoothed_ce_matches_its_formula(s: SoftBatch, w: Distribution, eps: Shift) {
    let (n, c) = s.z.shape();
    // Weights in [0, 2c): reuse the generated distribution's entries cyclically, scaled.
    let weight = DVector::from_fn(c, |k, _| 2.0 * c as f64 * w.p[k % w.p.len()]);
    let eps = (eps.0.abs() / 1e6).min(1.0);
    let o = CrossEntropyOptions::default()
        .weight(weight.clone())
        .label_smoothing(eps);
    let per = per_sample(
        loss::cross_entropy(
            &s.z,
            Target::Probabilities(&s.p),
            &o.clone().reduction(Reduction::None),
        )
        .unwrap(),
    );
    let tol = 4.0 * c as f64 * tol_for(max_abs_finite(&s.z));
    for r in 0..n {
        let zr: Vec<f64> = s.z.row(r).iter().copied().collect();
        let want: f64 = (0..c)
            .map(|k| {
                weight[k]
                    * ((1.0 - eps) * s.p[(r, k)] + eps / c as f64)
                    * naive_neg_log_softmax(&zr, k)
            })
            .sum();
        assert_close("weighted soft CE vs formula", per[r], want, tol, 1e-12);
    }
    let sum = scalar(
        loss::cross_entropy(
            &s.z,
            Target::Probabilities(&s.p),
            &o.clone().reduction(Reduction::Sum),
        )
        .unwrap(),
    );
    let mean = scalar(loss::cross_entropy(&s.z, Target::Probabilities(&s.p), &o).unwrap());
    assert_close("Σ per-sample vs Sum", per.sum(), sum, tol, 1e-13);
    assert_close("Mean vs Sum / N", mean, sum / n as f64, tol, 1e-13);
}

/// Class-index targets with weights and smoothing ε: per kept sample
/// `l_n = (1 − ε)(−w_y ln q_y) + (ε/C) Σ_c (−w_c ln q_c)` (naive `ln q` here), and `Mean`
/// divides by `Σ_{kept n} w_{y_n}`.
#[quickcheck]
fn index_target_weighted_smoothed_ce_matches_its_formula(b: WeightedBatch, eps: Shift) {
    let (n, c) = b.z.shape();
    let eps = (eps.0.abs() / 1e6).min(1.0);
    let w = |k: usize| b.weight.as_ref().map_or(1.0, |w| w[k]);
    let mut o = CrossEntropyOptions::default()
        .ignore_index(b.ignore_index)
        .label_smoothing(eps)
        .reduction(Reduction::Sum);
    o.weight = b.weight.clone();
    let tol =
        4.0 * (n * c) as f64 * tol_for(max_abs_finite(&b.z)) * (1.0 + (0..c).map(w).sum::<f64>());
    let (mut want_sum, mut denom) = (0.0, 0.0);
    for (r, &t) in b.y.iter().enumerate() {
        if t == b.ignore_index {
            continue;
        }
        let y = t as usize;
        let zr: Vec<f64> = b.z.row(r).iter().copied().collect();
        let smooth: f64 = (0..c)
            .map(|k| w(k) * naive_neg_log_softmax(&zr, k))
            .sum::<f64>()
            / c as f64;
        want_sum += (1.0 - eps) * w(y) * naive_neg_log_softmax(&zr, y) + eps * smooth;
        denom += w(y);
    }
    let sum = scalar(loss::cross_entropy(&b.z, Target::Indices(&b.y), &o).unwrap());
    assert_close(
        "weighted smoothed Σ CE vs formula",
        sum,
        want_sum,
        tol,
        1e-12,
    );
    let mean = loss::cross_entropy(&b.z, Target::Indices(&b.y), &o.reduction(Reduction::Mean));
    if denom > 0.0 {
        assert_close(
            "Mean vs Σ / Σ w_y",
            scalar(mean.unwrap()),
            want_sum / denom,
            tol / denom,
            1e-12,
        );
    } else {
        assert_eq!(mean.unwrap_err(), ce_mle::Error::UndefinedMean);
    }
}

/// BCE with logits with per-element weights and pos_weight, soft targets:
/// `l = w·[pw·y·(−ln σ(x)) + (1 − y)·(−ln(1 − σ(x)))]` with a naive σ (|x| ≤ 8), and `Mean`
/// divides by N·K.
#[quickcheck]
fn bce_weighted_matches_its_formula(b: BinaryBatch, soft: Logits) {
    let (n, k) = b.x.shape();
    // Soft targets in [0, 1] and weights in [0, 2] from the second generator, cyclically.
    let vals: Vec<f64> = soft
        .0
        .iter()
        .map(|v| (v / LOGIT_BOUND + 1.0) / 2.0)
        .collect();
    let y = DMatrix::from_fn(n, k, |r, c| {
        if (r + c) % 3 == 0 {
            b.y[(r, c)]
        } else {
            vals[(r * k + c) % vals.len()]
        }
    });
    let w = DMatrix::from_fn(n, k, |r, c| 2.0 * vals[(r + 2 * c + 1) % vals.len()]);
    let pw = DVector::from_fn(k, |c, _| 0.5 + 3.0 * vals[(c + 3) % vals.len()]);
    let opts = |reduction| BceWithLogitsOptions {
        weight: Some(w.clone()),
        pos_weight: Some(pw.clone()),
        reduction,
    };
    let per = per_sample(
        loss::binary_cross_entropy_with_logits(&b.x, &y, &opts(Reduction::None)).unwrap(),
    );
    let mut total = 0.0;
    for c in 0..k {
        for r in 0..n {
            let s = 1.0 / (1.0 + (-b.x[(r, c)]).exp());
            let yy = y[(r, c)];
            let want = w[(r, c)] * (pw[c] * yy * -s.ln() + (1.0 - yy) * -(1.0 - s).ln());
            assert_close(
                "weighted BCE element vs formula",
                per[c * n + r],
                want,
                1e-11,
                1e-10,
            );
            total += want;
        }
    }
    let mean =
        scalar(loss::binary_cross_entropy_with_logits(&b.x, &y, &opts(Reduction::Mean)).unwrap());
    assert_close(
        "weighted BCE mean vs Σ / (N·K)",
        mean,
        total / (n * k) as f64,
        1e-11,
        1e-10,
    );
}
