//! T5: the analytic gradients against central finite differences, for every combination of
//! the options, on a few seeded random inputs.
//!
//! Central differences `(f(z + h e_i) − f(z − h e_i)) / 2h` with `h = 1e-6` in f64: the
//! truncation error is ~h²·|f'''| ≈ 1e-12 and the rounding error ~ε·|f|/h ≈ 1e-9 for the
//! losses here (|f| ≲ 10), so `|fd − grad| ≤ 1e-6 + 1e-6·|grad|` has a wide margin, while
//! any wrong term in a gradient (a missing factor, a wrong denominator) is off by ≳ 1e-2.
//! For `Reduction::None` the gradient is that of `Σ_n l_n`.

use ce_mle::loss::{
    self, BceWithLogitsOptions, CrossEntropyOptions, Loss, NllLossOptions, Reduction, Target,
};
use nalgebra::{DMatrix, DVector};

use crate::generators::{
    assert_close, logit_matrix, naive_softmax, prob_matrix, seeded, size_in, uniform,
};

const H: f64 = 1e-6;
const TOL: f64 = 1e-6;
const SEEDS: [u64; 3] = [1, 2, 3];
const REDUCTIONS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

/// The scalar whose gradient `*_with_grad` returns: the loss, or `Σ_n l_n` for `None`.
fn total(l: &Loss) -> f64 {
    match l {
        Loss::Scalar(v) => *v,
        Loss::PerSample(v) => v.sum(),
    }
}

/// Central finite differences of `f` at `z`.
fn finite_diff(z: &DMatrix<f64>, f: impl Fn(&DMatrix<f64>) -> f64) -> DMatrix<f64> {
    let mut g = DMatrix::zeros(z.nrows(), z.ncols());
    for i in 0..z.len() {
        let mut zp = z.clone();
        let mut zm = z.clone();
        zp[i] += H;
        zm[i] -= H;
        g[i] = (f(&zp) - f(&zm)) / (2.0 * H);
    }
    g
}

#[track_caller]
fn assert_grad(what: &str, got: &DMatrix<f64>, fd: &DMatrix<f64>) {
    assert_eq!(got.shape(), fd.shape(), "{what}: gradient shape");
    for i in 0..got.len() {
        assert_close(&format!("{what}: ∂/∂input[{i}]"), got[i], fd[i], TOL, TOL);
    }
}

/// How the class-index targets meet `ignore_index`.
#[derive(Clone, Copy, Debug)]
enum Ignore {
    /// Default `-100`, no target equal to it.
    Nothing,
    /// Default `-100`, row 1 has target `-100`.
    RowDefault,
    /// `ignore_index = 2`, a real class: row 2 has target 2 and is skipped.
    RowClassIndex,
}

const N: usize = 4;
const C: usize = 5;

fn index_targets(g: &mut quickcheck::Gen, ignore: Ignore) -> (Vec<i64>, i64) {
    // Kept rows never use class 2, so only the chosen row is ignored in `RowClassIndex`.
    let mut y: Vec<i64> = (0..N).map(|_| [0i64, 1, 3, 4][size_in(g, 0, 3)]).collect();
    match ignore {
        Ignore::Nothing => (y, -100),
        Ignore::RowDefault => {
            y[1] = -100;
            (y, -100)
        }
        Ignore::RowClassIndex => {
            y[2] = 2;
            (y, 2)
        }
    }
}

fn class_weights(g: &mut quickcheck::Gen) -> DVector<f64> {
    DVector::from_fn(C, |_, _| uniform(g, 0.2, 2.0))
}

/// T5 for `cross_entropy_with_grad`: target kind × weight × ignore_index × label_smoothing ×
/// reduction, every combination, three seeds each.
#[test]
fn t5_cross_entropy_gradient_matches_finite_differences_for_every_option() {
    let mut checked = 0;
    for seed in SEEDS {
        let mut g = seeded(seed);
        let z = logit_matrix(&mut g, N, C, 4.0);
        let w = class_weights(&mut g);
        let p = prob_matrix(&mut g, N, C);
        for weighted in [false, true] {
            for eps in [0.0, 0.15] {
                for reduction in REDUCTIONS {
                    let mut base = CrossEntropyOptions::default()
                        .label_smoothing(eps)
                        .reduction(reduction);
                    if weighted {
                        base = base.weight(w.clone());
                    }
                    // Index targets, with each way of ignoring.
                    for ignore in [Ignore::Nothing, Ignore::RowDefault, Ignore::RowClassIndex] {
                        let (y, ii) = index_targets(&mut g, ignore);
                        let opts = base.clone().ignore_index(ii);
                        let what = format!(
                            "seed {seed}, indices, weighted {weighted}, {ignore:?}, ε {eps}, {reduction:?}"
                        );
                        let (l, grad) =
                            loss::cross_entropy_with_grad(&z, Target::Indices(&y), &opts).unwrap();
                        let plain = loss::cross_entropy(&z, Target::Indices(&y), &opts).unwrap();
                        assert_eq!(l, plain, "{what}: the loss of _with_grad");
                        let fd = finite_diff(&z, |zz| {
                            total(&loss::cross_entropy(zz, Target::Indices(&y), &opts).unwrap())
                        });
                        assert_grad(&what, &grad, &fd);
                        for (r, &t) in y.iter().enumerate() {
                            if t == ii {
                                assert!(
                                    grad.row(r).iter().all(|&v| v == 0.0),
                                    "{what}: ignored row {r} has a gradient"
                                );
                            }
                        }
                        checked += 1;
                    }
                    // Probability targets (ignore_index stays negative).
                    let what = format!(
                        "seed {seed}, probabilities, weighted {weighted}, ε {eps}, {reduction:?}"
                    );
                    let (l, grad) =
                        loss::cross_entropy_with_grad(&z, Target::Probabilities(&p), &base)
                            .unwrap();
                    assert_eq!(
                        l,
                        loss::cross_entropy(&z, Target::Probabilities(&p), &base).unwrap(),
                        "{what}"
                    );
                    let fd = finite_diff(&z, |zz| {
                        total(&loss::cross_entropy(zz, Target::Probabilities(&p), &base).unwrap())
                    });
                    assert_grad(&what, &grad, &fd);
                    checked += 1;
                }
            }
        }
    }
    // 3 seeds × 2 weights × 2 ε × 3 reductions × (3 index variants + 1 probability variant)
    assert_eq!(checked, 3 * 2 * 2 * 3 * 4);
}

/// T5 in its textbook form: one row, no options, ∂CE/∂z = softmax(z) − onehot(y); with N rows
/// and `Mean`, (softmax − onehot) / N. Softmax is computed naively here.
#[test]
fn t5_gradient_is_softmax_minus_one_hot() {
    for seed in SEEDS {
        let mut g = seeded(seed);
        let z = logit_matrix(&mut g, N, C, 6.0);
        let y: Vec<i64> = (0..N).map(|_| size_in(&mut g, 0, C - 1) as i64).collect();
        for r in 0..N {
            let z1 = DMatrix::from_fn(1, C, |_, k| z[(r, k)]);
            let (_, grad) = loss::cross_entropy_with_grad(
                &z1,
                Target::Indices(&y[r..=r]),
                &CrossEntropyOptions::default(),
            )
            .unwrap();
            let q = naive_softmax(z1.as_slice());
            for k in 0..C {
                let want = q[k] - if k as i64 == y[r] { 1.0 } else { 0.0 };
                assert_close(
                    "single row: softmax − onehot",
                    grad[(0, k)],
                    want,
                    1e-15,
                    1e-13,
                );
            }
        }
        let (_, grad) =
            loss::cross_entropy_with_grad(&z, Target::Indices(&y), &CrossEntropyOptions::default())
                .unwrap();
        for r in 0..N {
            let zr: Vec<f64> = z.row(r).iter().copied().collect();
            let q = naive_softmax(&zr);
            for k in 0..C {
                let want = (q[k] - if k as i64 == y[r] { 1.0 } else { 0.0 }) / N as f64;
                assert_close(
                    "mean over N rows: (softmax − onehot)/N",
                    grad[(r, k)],
                    want,
                    1e-15,
                    1e-13,
                );
            }
        }
    }
}

/// T5 for `nll_loss_with_grad` on arbitrary log-probabilities: weight × ignore × reduction.
#[test]
fn t5_nll_loss_gradient_matches_finite_differences() {
    let mut checked = 0;
    for seed in SEEDS {
        let mut g = seeded(seed);
        let lp = DMatrix::from_fn(N, C, |_, _| uniform(&mut g, -5.0, 0.0));
        let w = class_weights(&mut g);
        for weighted in [false, true] {
            for ignore in [Ignore::Nothing, Ignore::RowDefault, Ignore::RowClassIndex] {
                for reduction in REDUCTIONS {
                    let (y, ii) = index_targets(&mut g, ignore);
                    let opts = NllLossOptions {
                        weight: weighted.then(|| w.clone()),
                        ignore_index: ii,
                        reduction,
                    };
                    let what = format!(
                        "seed {seed}, nll_loss, weighted {weighted}, {ignore:?}, {reduction:?}"
                    );
                    let (l, grad) = loss::nll_loss_with_grad(&lp, &y, &opts).unwrap();
                    assert_eq!(l, loss::nll_loss(&lp, &y, &opts).unwrap(), "{what}");
                    let fd = finite_diff(&lp, |x| total(&loss::nll_loss(x, &y, &opts).unwrap()));
                    assert_grad(&what, &grad, &fd);
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 2 * 3 * 3);
}

/// T5 for `binary_cross_entropy_with_logits_with_grad`: per-element weight × pos_weight ×
/// reduction, with soft targets in [0, 1] (exact 0 and 1 included).
#[test]
fn t5_bce_with_logits_gradient_matches_finite_differences() {
    const K: usize = 3;
    let mut checked = 0;
    for seed in SEEDS {
        let mut g = seeded(seed);
        let x = logit_matrix(&mut g, N, K, 6.0);
        let mut y = DMatrix::from_fn(N, K, |_, _| uniform(&mut g, 0.0, 1.0));
        y[(0, 0)] = 0.0;
        y[(1, 1)] = 1.0;
        let w = DMatrix::from_fn(N, K, |_, _| uniform(&mut g, 0.0, 2.0));
        let pw = DVector::from_fn(K, |_, _| uniform(&mut g, 0.5, 4.0));
        for weighted in [false, true] {
            for pos in [false, true] {
                for reduction in REDUCTIONS {
                    let opts = BceWithLogitsOptions {
                        weight: weighted.then(|| w.clone()),
                        pos_weight: pos.then(|| pw.clone()),
                        reduction,
                    };
                    let what = format!(
                        "seed {seed}, BCE, weight {weighted}, pos_weight {pos}, {reduction:?}"
                    );
                    let (l, grad) =
                        loss::binary_cross_entropy_with_logits_with_grad(&x, &y, &opts).unwrap();
                    assert_eq!(
                        l,
                        loss::binary_cross_entropy_with_logits(&x, &y, &opts).unwrap(),
                        "{what}"
                    );
                    let fd = finite_diff(&x, |xx| {
                        total(&loss::binary_cross_entropy_with_logits(xx, &y, &opts).unwrap())
                    });
                    assert_grad(&what, &grad, &fd);
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 2 * 2 * 3);
}
