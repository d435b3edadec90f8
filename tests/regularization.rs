//! L1 and L2 penalties (`ce_mle::train::Regularization`) on a seeded data set whose label
//! depends on 3 of its 20 features: L1 by proximal gradient (ISTA) sets the weights of the 17
//! irrelevant features exactly to 0, L2 shrinks ‖W‖₂ monotonically in λ down to the stationary
//! point `W = −∇_W CE / (2λ)`, and the penalised objective's gradient agrees with central finite
//! differences. Every comparison is against the same run without a penalty (same seed, same
//! initialisation). Run with `--nocapture` to see the counts and norms.

use ce_mle::data::{Classification, rng};
use ce_mle::loss::Target;
use ce_mle::nn::{Linear, LinearGrad, SoftmaxClassifier};
use ce_mle::train::{
    EarlyStopping, FitConfig, History, L1Mode, OptimizerSpec, Regularization, fit_with,
    soft_threshold, split_validation,
};
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::StandardNormal;

/// Features, of which the first `RELEVANT` carry the label.
const FEATURES: usize = 20;
const RELEVANT: usize = 3;
const CLASSES: usize = 3;
const SAMPLES: usize = 150;
const SEED: u64 = 11;
/// Plain gradient descent: step size and epochs.
const LR: f64 = 0.5;
const EPOCHS: usize = 500;

/// `x ~ N(0, 1)^(n × FEATURES)`; the label is the class `k < 3` whose feature `x_k` is largest,
/// replaced by a uniform label with probability 0.1 (so that the unpenalised optimum is finite).
fn three_relevant(n: usize, r: &mut impl Rng) -> Classification {
    let x = DMatrix::from_fn(n, FEATURES, |_, _| r.sample::<f64, _>(StandardNormal));
    let y = (0..n)
        .map(|i| {
            if r.random_bool(0.1) {
                r.random_range(0..CLASSES as i64)
            } else {
                (0..RELEVANT)
                    .max_by(|&a, &b| x[(i, a)].total_cmp(&x[(i, b)]))
                    .unwrap() as i64
            }
        })
        .collect();
    Classification {
        x,
        y,
        classes: CLASSES,
    }
}

fn setup() -> (SoftmaxClassifier, Classification) {
    let mut r = rng(SEED);
    let data = three_relevant(SAMPLES, &mut r);
    let model = SoftmaxClassifier::new(Linear::new(FEATURES, CLASSES, &mut r).unwrap());
    (model, data)
}

fn sgd() -> OptimizerSpec {
    OptimizerSpec::Sgd {
        lr: LR,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    }
}

/// Train from the shared start with `reg`: the trained model and its history.
fn train(reg: Regularization) -> (SoftmaxClassifier, History) {
    let (mut model, data) = setup();
    let config = FitConfig {
        optimizer: sgd(),
        epochs: EPOCHS,
        regularization: reg,
    };
    let h = fit_with(&mut model, &data, None, &config, None).unwrap();
    (model, h)
}

/// The unpenalised run, shared by the L1 and L2 tests (it is the slowest part of both).
fn plain() -> &'static (SoftmaxClassifier, History) {
    static PLAIN: std::sync::OnceLock<(SoftmaxClassifier, History)> = std::sync::OnceLock::new();
    PLAIN.get_or_init(|| train(Regularization::none()))
}

/// The weights of the irrelevant features (columns `RELEVANT..`), all classes.
fn irrelevant(model: &SoftmaxClassifier) -> Vec<f64> {
    let w = &model.linear.weight;
    (RELEVANT..FEATURES)
        .flat_map(|c| (0..CLASSES).map(move |r| w[(r, c)]))
        .collect()
}

fn exact_zeros(v: &[f64]) -> usize {
    v.iter().filter(|x| **x == 0.0).count()
}

fn frobenius(w: &DMatrix<f64>) -> f64 {
    w.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// The penalised objective `J = CE + λ₁‖W‖₁ + λ₂‖W‖₂²` at the end of a run.
fn final_objective(model: &SoftmaxClassifier, data: &Classification, reg: &Regularization) -> f64 {
    let (ce, _) = model
        .loss_and_grad(&data.x, Target::Indices(&data.y), &Default::default())
        .unwrap();
    ce.scalar().unwrap() + reg.penalty(&model.linear)
}

#[test]
fn proximal_l1_zeroes_the_irrelevant_weights_and_plain_training_does_not() {
    let (_, data) = setup();
    let l1 = 0.05;
    let prox = Regularization::new(l1, 0.0)
        .unwrap()
        .l1_mode(L1Mode::Proximal);
    let sub = Regularization::new(l1, 0.0).unwrap();
    let (plain, _) = plain();
    let (lasso, h_lasso) = train(prox);
    let (subgradient, _) = train(sub);
    let n = (FEATURES - RELEVANT) * CLASSES;
    let (z_plain, z_lasso, z_sub) = (
        exact_zeros(&irrelevant(plain)),
        exact_zeros(&irrelevant(&lasso)),
        exact_zeros(&irrelevant(&subgradient)),
    );
    let max_abs = |v: &[f64]| v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    eprintln!(
        "irrelevant weights exactly 0 (of {n}): no penalty {z_plain}, L1 proximal {z_lasso}, L1 subgradient {z_sub}"
    );
    eprintln!(
        "largest |irrelevant weight|: no penalty {:.4}, L1 proximal {:.4}, L1 subgradient {:.4}",
        max_abs(&irrelevant(plain)),
        max_abs(&irrelevant(&lasso)),
        max_abs(&irrelevant(&subgradient))
    );
    eprintln!(
        "weights of the 3 relevant features with L1 proximal (row = class):\n{}",
        lasso.linear.weight.columns(0, RELEVANT)
    );
    assert_eq!(
        exact_zeros(plain.linear.weight.as_slice()),
        0,
        "without a penalty no weight is exactly 0"
    );
    assert!(
        z_lasso * 10 >= n * 8,
        "proximal L1 zeroes at least 80% of the irrelevant weights: {z_lasso} of {n}"
    );
    // What survives is the rule that made the labels: class k rises with feature k.
    for k in 0..RELEVANT {
        assert!(
            lasso.linear.weight[(k, k)] > 0.5,
            "class {k} keeps feature {k}: {}",
            lasso.linear.weight[(k, k)]
        );
    }
    // The subgradient shrinks the same weights but leaves them oscillating around 0.
    assert!(z_sub * 10 < n, "subgradient: {z_sub} exact zeros of {n}");
    // ISTA with a step below 1/L (L ≤ ½·λmax(XᵀX/N) ≈ 1 here, lr = 0.5) never increases the
    // objective (Beck & Teboulle 2009, Lemma 2.3) ...
    let obj = h_lasso.objective();
    for (e, w) in obj.windows(2).enumerate() {
        assert!(
            w[1] <= w[0] + 1e-12,
            "objective rose at epoch {}: {} -> {}",
            e + 2,
            w[0],
            w[1]
        );
    }
    // ... and reaches a lower penalised objective than the subgradient method in as many steps.
    let (j_prox, j_sub) = (
        final_objective(&lasso, &data, &prox),
        final_objective(&subgradient, &data, &sub),
    );
    eprintln!(
        "penalised objective after {EPOCHS} epochs: proximal {j_prox:.6}, subgradient {j_sub:.6}"
    );
    assert!(j_prox < j_sub);
}

/// For λ < μ, the minimisers w_λ, w_μ of f + λ‖w‖² and f + μ‖w‖² satisfy ‖w_μ‖ ≤ ‖w_λ‖ and
/// f(w_μ) ≥ f(w_λ): add f(w_λ) + λ‖w_λ‖² ≤ f(w_μ) + λ‖w_μ‖² and
/// f(w_μ) + μ‖w_μ‖² ≤ f(w_λ) + μ‖w_λ‖² to get (μ − λ)(‖w_μ‖² − ‖w_λ‖²) ≤ 0.
#[test]
fn l2_shrinks_the_weights_monotonically_down_to_the_stationary_point() {
    let (_, data) = setup();
    let lambdas = [0.0, 0.01, 0.03, 0.1];
    let mut runs = Vec::new();
    for &l2 in &lambdas {
        let (model, h) = if l2 == 0.0 {
            plain().clone()
        } else {
            train(Regularization::new(0.0, l2).unwrap())
        };
        let norm = frobenius(&model.linear.weight);
        let (ce, g) = model
            .loss_and_grad(&data.x, Target::Indices(&data.y), &Default::default())
            .unwrap();
        let ce = ce.scalar().unwrap();
        // Stationarity of CE + λ‖W‖²: ∇_W CE + 2λW = 0, i.e. W = −∇_W CE / (2λ).
        let residual = (&g.weight + &model.linear.weight * (2.0 * l2)).abs().max();
        eprintln!(
            "l2 = {l2:<5} ‖W‖₂ = {norm:.4}  CE = {ce:.4}  penalty = {:.4}  max|∇CE + 2λW| = {residual:.1e}",
            h.penalty[h.penalty.len() - 1]
        );
        runs.push((l2, norm, ce, residual));
    }
    for w in runs.windows(2) {
        let ((l_a, n_a, ce_a, _), (l_b, n_b, ce_b, _)) = (w[0], w[1]);
        assert!(
            n_b < n_a,
            "‖W‖ must shrink from λ = {l_a} to {l_b}: {n_a} -> {n_b}"
        );
        assert!(
            ce_b > ce_a,
            "the data loss must rise from λ = {l_a} to {l_b}"
        );
    }
    let ratio = runs[3].1 / runs[0].1;
    eprintln!("‖W(λ = 0.1)‖ / ‖W(no penalty)‖ = {ratio:.3}");
    assert!(ratio < 0.5, "{ratio}");
    // Strongly convex in W for λ ≥ 0.03: the run has converged to W = −∇CE/(2λ).
    for &(l2, norm, _, residual) in &runs[2..] {
        assert!(
            residual < 1e-8 * norm.max(1.0),
            "λ = {l2}: residual {residual}"
        );
    }
}

/// Mean cross-entropy of a linear softmax model by plain loops (no code shared with
/// `ce_mle::loss`).
fn reference_ce(w: &DMatrix<f64>, b: &DVector<f64>, x: &DMatrix<f64>, y: &[i64]) -> f64 {
    let mut total = 0.0;
    for n in 0..x.nrows() {
        let z: Vec<f64> = (0..w.nrows())
            .map(|k| b[k] + (0..x.ncols()).map(|j| w[(k, j)] * x[(n, j)]).sum::<f64>())
            .collect();
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
        total += m + s.ln() - z[y[n] as usize];
    }
    total / x.nrows() as f64
}

#[test]
fn the_penalised_gradient_matches_central_differences() {
    let mut r = rng(5);
    let data = three_relevant(8, &mut r);
    let x = data.x.columns(0, 4).into_owned();
    let model = SoftmaxClassifier::new(Linear::new(4, CLASSES, &mut r).unwrap());
    let h = 1e-6;
    // |θ| is differentiable away from 0: the finite differences must not straddle it.
    let smallest = model
        .linear
        .weight
        .iter()
        .chain(model.linear.bias.iter())
        .fold(f64::INFINITY, |m, v| m.min(v.abs()));
    assert!(smallest > 100.0 * h, "{smallest}");
    let (l1, l2) = (0.07, 0.3);
    for include_bias in [false, true] {
        let reg = Regularization::new(l1, l2)
            .unwrap()
            .include_bias(include_bias);
        // The objective, written out independently of the crate.
        let objective = |w: &DMatrix<f64>, b: &DVector<f64>| {
            let mut j = reference_ce(w, b, &x, &data.y)
                + l1 * w.iter().map(|v| v.abs()).sum::<f64>()
                + l2 * w.iter().map(|v| v * v).sum::<f64>();
            if include_bias {
                j += l1 * b.iter().map(|v| v.abs()).sum::<f64>()
                    + l2 * b.iter().map(|v| v * v).sum::<f64>();
            }
            j
        };
        let (_, mut g): (_, LinearGrad) = model
            .loss_and_grad(&x, Target::Indices(&data.y), &Default::default())
            .unwrap();
        reg.add_gradient(&model.linear, &mut g).unwrap();
        let (w0, b0) = (&model.linear.weight, &model.linear.bias);
        let mut worst = 0.0f64;
        for i in 0..w0.len() {
            let (mut wp, mut wm) = (w0.clone(), w0.clone());
            wp[i] += h;
            wm[i] -= h;
            let fd = (objective(&wp, b0) - objective(&wm, b0)) / (2.0 * h);
            worst = worst.max((fd - g.weight[i]).abs());
        }
        for i in 0..b0.len() {
            let (mut bp, mut bm) = (b0.clone(), b0.clone());
            bp[i] += h;
            bm[i] -= h;
            let fd = (objective(w0, &bp) - objective(w0, &bm)) / (2.0 * h);
            worst = worst.max((fd - g.bias[i]).abs());
        }
        eprintln!(
            "include_bias = {include_bias}: worst |finite difference − gradient| = {worst:.1e}"
        );
        assert!(worst < 1e-8, "{worst}");
    }
}

#[test]
fn penalty_value_gradient_and_prox_on_hand_worked_numbers() {
    // W = [[0.5, −1.5], [0, 2]], b = [3, −4]; ‖W‖₁ = 4, ‖W‖₂² = 6.5, ‖b‖₁ = 7, ‖b‖₂² = 25.
    let linear = Linear::from_parameters(
        DMatrix::from_row_slice(2, 2, &[0.5, -1.5, 0.0, 2.0]),
        DVector::from_vec(vec![3.0, -4.0]),
    )
    .unwrap();
    let reg = Regularization::new(0.1, 0.01).unwrap();
    assert!((reg.penalty(&linear) - (0.1 * 4.0 + 0.01 * 6.5)).abs() < 1e-15);
    let with_bias = reg.include_bias(true);
    assert!((with_bias.penalty(&linear) - (0.1 * 11.0 + 0.01 * 31.5)).abs() < 1e-15);
    assert_eq!(Regularization::none().penalty(&linear), 0.0);

    // Gradient 2λ₂W + λ₁·sign(W), sign(0) = 0: [[0.11, −0.13], [0, 0.14]]; bias untouched.
    let zero_grad = || LinearGrad {
        weight: DMatrix::zeros(2, 2),
        bias: DVector::zeros(2),
        input: DMatrix::zeros(1, 2),
    };
    let mut g = zero_grad();
    reg.add_gradient(&linear, &mut g).unwrap();
    let expected = [0.11, 0.0, -0.13, 0.14]; // column-major
    for (got, want) in g.weight.iter().zip(expected) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    assert_eq!(g.bias.as_slice(), &[0.0, 0.0]);
    let mut g = zero_grad();
    with_bias.add_gradient(&linear, &mut g).unwrap();
    assert!((g.bias[0] - (0.06 + 0.1)).abs() < 1e-15 && (g.bias[1] - (-0.08 - 0.1)).abs() < 1e-15);
    // In proximal mode the L1 part is left to the proximal step: only 2λ₂W.
    let mut g = zero_grad();
    reg.l1_mode(L1Mode::Proximal)
        .add_gradient(&linear, &mut g)
        .unwrap();
    assert!((g.weight[(0, 1)] - (-0.03)).abs() < 1e-15);

    // Soft-thresholding by t = 0.1: shrink towards 0 by t, and exactly 0 within t of it.
    for (x, want) in [
        (0.3, 0.2),
        (-0.4, -0.3),
        (0.1, 0.0),
        (-0.05, 0.0),
        (0.0, 0.0),
    ] {
        let got = soft_threshold(x, 0.1);
        assert!((got - want).abs() < 1e-15, "soft_threshold({x}) = {got}");
        if want == 0.0 {
            assert!(got == 0.0 && got.is_sign_positive(), "{got}");
        }
    }
    // The proximal step applies it with t = lr·λ₁ = 1·0.1 to the weights only.
    let mut l = linear.clone();
    reg.l1_mode(L1Mode::Proximal)
        .proximal_step(&mut l, 1.0)
        .unwrap();
    assert_eq!(l.weight.as_slice(), &[0.4, 0.0, -1.4, 1.9]);
    assert_eq!(l.bias, linear.bias);
}

#[test]
fn early_stopping_composes_with_the_penalty() {
    let mut r = rng(SEED);
    let data = three_relevant(60, &mut r);
    let (train_set, val) = split_validation(&data, 0.5, SEED).unwrap();
    let val = val.unwrap();
    assert_eq!((train_set.y.len(), val.y.len()), (30, 30));
    let mut model = SoftmaxClassifier::new(Linear::new(FEATURES, CLASSES, &mut r).unwrap());
    let reg = Regularization::new(0.0, 1e-3).unwrap();
    let config = FitConfig {
        optimizer: sgd(),
        epochs: EPOCHS,
        regularization: reg,
    };
    let mut es = EarlyStopping::new(10, 0.0, true).unwrap();
    let h = fit_with(&mut model, &train_set, Some(&val), &config, Some(&mut es)).unwrap();
    let (best, best_val) = es.best().unwrap();
    eprintln!(
        "L2 1e-3 + patience 10: stopped at {:?}, best epoch {}",
        h.stopped_at,
        best + 1
    );
    let stopped = h
        .stopped_at
        .expect("30 samples, 20 features: it overfits and stops");
    assert_eq!(stopped, h.len());
    assert_eq!(stopped - 1 - best, 10);
    // The decision is on the validation *data* loss; the penalty is recorded beside it.
    let min = h.validation.iter().cloned().fold(f64::INFINITY, f64::min);
    assert_eq!(best_val, min);
    assert_eq!(h.penalty.len(), h.len());
    // The restored model is the best epoch's: its penalty is the one recorded then.
    assert_eq!(reg.penalty(&model.linear), h.penalty[best]);
    assert!(h.penalty.iter().all(|p| *p > 0.0));
}

#[test]
fn bad_penalties_are_typed_errors() {
    for (l1, l2) in [
        (-0.1, 0.0),
        (0.0, -1e-9),
        (f64::NAN, 0.0),
        (0.0, f64::INFINITY),
    ] {
        assert!(
            matches!(
                Regularization::new(l1, l2),
                Err(ce_mle::Error::InvalidHyperParameter { .. })
            ),
            "{l1} {l2}"
        );
    }
    // The proximal step is the proximal gradient method only after a plain gradient step.
    let (mut model, data) = setup();
    let prox = Regularization::new(0.1, 0.0)
        .unwrap()
        .l1_mode(L1Mode::Proximal);
    for optimizer in [
        OptimizerSpec::Adam {
            lr: 1e-3,
            weight_decay: 0.0,
        },
        OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 0.0,
        },
    ] {
        let config = FitConfig {
            optimizer,
            epochs: 3,
            regularization: prox,
        };
        assert!(matches!(
            fit_with(&mut model, &data, None, &config, None),
            Err(ce_mle::Error::InvalidHyperParameter {
                name: "l1_mode",
                ..
            })
        ));
    }
    let mut l = model.linear.clone();
    for lr in [0.0, f64::NAN] {
        assert_eq!(
            prox.proximal_step(&mut l, lr).unwrap_err().kind(),
            "InvalidHyperParameter",
            "lr {lr}"
        );
    }
}
