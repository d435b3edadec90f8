//! The GPT (`ce_mle::lm::gpt`), checked three ways: every layer function and every parameter
//! tensor against finite differences in f64, the whole model against PyTorch (a nanoGPT
//! golden file in float64: logits, loss, every gradient, 10 training steps), and the
//! results against the number of threads.
//!
//! # Finite differences
//! Five-point central differences, `f'(x) ≈ (f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)) / 12h`
//! with `h = 1e-3`: truncation error `h⁴·|f⁽⁵⁾|/30 ≈ 3e-14·|f⁽⁵⁾|` and rounding error about
//! `1.5·ε·|f|/h ≈ 3e-13·|f|` (ε = 2.2e-16) — an absolute error of ~1e-12 for the O(1)
//! losses here. The relative error of a gradient entry `g` against its estimate `d` is
//!
//! ```text
//! rel = |g − d| / max(|g|, |d|, FLOOR),   FLOOR = 1e-5
//! ```
//!
//! The floor is where the estimate's own absolute error (~1e-12) would reach 1e-7 of the
//! value: below it a relative comparison would measure the estimate, not the gradient, so
//! entries under 1e-5 are held to an absolute 1e-11 instead. Every entry of every parameter
//! tensor of the small model is checked (not a sample: the model is small enough), and the
//! test asserts that most entries are above the floor, so the check is not vacuous.

use ce_mle::lm::gpt::{
    self, Gpt, GptConfig, IGNORE_INDEX, TrainConfig, Trainer, Workspace, layers,
};
use ce_mle::loss::Reduction;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::Value;

const H: f64 = 1e-3;
const FLOOR: f64 = 1e-5;
const FD_TOL: f64 = 1e-6;

/// The five-point derivative of `f` along coordinate `i` of `x`.
fn fd(f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let mut y = x.to_vec();
    let mut at = |d: f64| {
        y[i] = x[i] + d;
        f(&y)
    };
    let (m2, m1, p1, p2) = (at(-2.0 * H), at(-H), at(H), at(2.0 * H));
    (m2 - 8.0 * m1 + 8.0 * p1 - p2) / (12.0 * H)
}

fn rel(g: f64, d: f64) -> f64 {
    (g - d).abs() / g.abs().max(d.abs()).max(FLOOR)
}

/// Worst relative error over every coordinate, and how many gradients are above the floor.
fn check_all(
    what: &str,
    f: &mut dyn FnMut(&[f64]) -> f64,
    x: &[f64],
    grad: &[f64],
) -> (f64, usize) {
    check_some(what, f, x, grad, &(0..x.len()).collect::<Vec<_>>())
}

/// As [`check_all`] on the coordinates `picks`.
fn check_some(
    what: &str,
    f: &mut dyn FnMut(&[f64]) -> f64,
    x: &[f64],
    grad: &[f64],
    picks: &[usize],
) -> (f64, usize) {
    assert_eq!(x.len(), grad.len(), "{what}");
    let mut worst = 0.0f64;
    let mut above = 0;
    for &i in picks {
        let d = fd(f, x, i);
        let r = rel(grad[i], d);
        assert!(
            r <= FD_TOL,
            "{what}[{i}]: analytic {:e}, finite difference {d:e}, rel {r:e}",
            grad[i]
        );
        worst = worst.max(r);
        above += usize::from(grad[i].abs() > FLOOR);
    }
    (worst, above)
}

fn normal(rng: &mut ChaCha8Rng, n: usize, std: f64) -> Vec<f64> {
    let d = Normal::new(0.0, std).unwrap();
    (0..n).map(|_| d.sample(rng)).collect()
}

// ------------------------------------------------------------------ erf

/// fdlibm's erf against mpmath (`tests/fixtures/erf_mpmath.json`, 50 digits rounded to
/// f64, written by `tools/precise/erf.py`) within 1 ULP at every point, and against statrs
/// (Boost's approximations) on a grid. statrs is the looser oracle: it is itself 9.5e-11 off
/// at x = −0.5 (mpmath: erf(−0.5) = −0.5204998778130465, statrs −0.5204998777636538).
#[test]
fn erf_agrees_with_mpmath_and_statrs() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/erf_mpmath.json")).unwrap();
    let values = fixture["values"].as_array().unwrap();
    assert!(values.len() > 1000);
    for v in values {
        let (x, want) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
        let got = gpt::erf(x);
        // One unit in the last place of the exact value (2^-1074 at least).
        let ulp = (f64::EPSILON * want.abs()).max(f64::from_bits(1));
        assert!(
            (got - want).abs() <= ulp,
            "erf({x:e}) = {got:e}, mpmath {want:e}"
        );
    }
    let mut worst = 0.0f64;
    for k in -8000..=8000 {
        let x = f64::from(k) * 1e-3;
        let (a, b) = (gpt::erf(x), statrs::function::erf::erf(x));
        if b != 0.0 {
            worst = worst.max((a - b).abs() / b.abs());
        }
    }
    assert!(worst <= 1e-9, "worst relative gap to statrs {worst:e}");
    assert_eq!(gpt::erf(f64::INFINITY), 1.0);
    assert_eq!(gpt::erf(f64::NEG_INFINITY), -1.0);
    assert!(gpt::erf(f64::NAN).is_nan());
    assert_eq!(gpt::erf(0.0), 0.0);
}

// ------------------------------------------------------------------ layers on their own

/// `L = Σ w ⊙ out` for a fixed random `w`: its gradient with respect to an input is what the
/// backward function computes from `dout = w`.
fn weighted(out: &[f64], w: &[f64]) -> f64 {
    out.iter().zip(w).map(|(a, b)| a * b).sum()
}

const B: usize = 2;
const T: usize = 5;
const C: usize = 8;
const NH: usize = 2;
const N: usize = B * T;

#[test]
fn encoder_gradients_match_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(1);
    let v = 7;
    let wte = normal(&mut r, v * C, 1.0);
    let wpe = normal(&mut r, T * C, 1.0);
    // Token 3 appears three times: its gradient accumulates.
    let inp: Vec<u32> = vec![3, 1, 3, 0, 6, 2, 3, 5, 4, 1];
    let w = normal(&mut r, N * C, 1.0);
    let (mut dwte, mut dwpe) = (vec![0.0; v * C], vec![0.0; T * C]);
    layers::encoder_backward(&mut dwte, &mut dwpe, &w, &inp, B, T, C);
    let mut out = vec![0.0; N * C];
    check_all(
        "encoder wte",
        &mut |x| {
            layers::encoder_forward(&mut out, &inp, x, &wpe, B, T, C);
            weighted(&out, &w)
        },
        &wte,
        &dwte,
    );
    check_all(
        "encoder wpe",
        &mut |x| {
            layers::encoder_forward(&mut out, &inp, &wte, x, B, T, C);
            weighted(&out, &w)
        },
        &wpe,
        &dwpe,
    );
}

#[test]
fn layernorm_gradients_match_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(2);
    let inp = normal(&mut r, N * C, 2.0);
    let weight: Vec<f64> = normal(&mut r, C, 0.5).iter().map(|x| 1.0 + x).collect();
    let w = normal(&mut r, N * C, 1.0);
    let (mut out, mut mean, mut rstd) = (vec![0.0; N * C], vec![0.0; N], vec![0.0; N]);
    layernorm_check_forward(&mut out, &mut mean, &mut rstd, &inp, &weight);
    let (mut dinp, mut dw) = (vec![0.0; N * C], vec![0.0; C]);
    layers::layernorm_backward(&mut dinp, &mut dw, &w, &inp, &weight, &mean, &rstd, N, C);
    check_all(
        "layernorm inp",
        &mut |x| {
            layernorm_check_forward(&mut out, &mut mean, &mut rstd, x, &weight);
            weighted(&out, &w)
        },
        &inp,
        &dinp,
    );
    check_all(
        "layernorm weight",
        &mut |x| {
            layernorm_check_forward(&mut out, &mut mean, &mut rstd, &inp, x);
            weighted(&out, &w)
        },
        &weight,
        &dw,
    );
}

fn layernorm_check_forward(
    out: &mut [f64],
    mean: &mut [f64],
    rstd: &mut [f64],
    inp: &[f64],
    weight: &[f64],
) {
    layers::layernorm_forward(out, mean, rstd, inp, weight, N, C);
}

#[test]
fn layernorm_matches_its_definition() {
    // Independent of the code: (x − μ)/√(σ² + ε)·w written out for one row.
    let x = [1.0, -2.0, 0.5, 4.0];
    let w = [1.0, 0.5, -1.0, 2.0];
    let mut out = [0.0; 4];
    let (mut m, mut s) = ([0.0], [0.0]);
    layers::layernorm_forward(&mut out, &mut m, &mut s, &x, &w, 1, 4);
    let mu = 3.5 / 4.0;
    let var = x.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / 4.0;
    for i in 0..4 {
        let want = (x[i] - mu) / (var + 1e-5).sqrt() * w[i];
        assert!((out[i] - want).abs() <= 1e-15 * want.abs().max(1.0));
    }
}

#[test]
fn matmul_gradients_match_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(3);
    let oc = 12;
    let inp = normal(&mut r, N * C, 1.0);
    let weight = normal(&mut r, oc * C, 1.0);
    let w = normal(&mut r, N * oc, 1.0);
    let mut out = vec![0.0; N * oc];
    let (mut dinp, mut dw) = (vec![0.0; N * C], vec![0.0; oc * C]);
    layers::matmul_backward(&mut dinp, &mut dw, &w, &inp, &weight, N, C, oc);
    check_all(
        "matmul inp",
        &mut |x| {
            layers::matmul_forward(&mut out, x, &weight, N, C, oc);
            weighted(&out, &w)
        },
        &inp,
        &dinp,
    );
    check_all(
        "matmul weight",
        &mut |x| {
            layers::matmul_forward(&mut out, &inp, x, N, C, oc);
            weighted(&out, &w)
        },
        &weight,
        &dw,
    );
    // The forward pass is inp · Wᵀ, checked entry by entry.
    layers::matmul_forward(&mut out, &inp, &weight, N, C, oc);
    for (row, o) in out.chunks(oc).enumerate() {
        for (j, &v) in o.iter().enumerate() {
            let want: f64 = (0..C).map(|k| inp[row * C + k] * weight[j * C + k]).sum();
            assert!((v - want).abs() <= 1e-13);
        }
    }
}

#[test]
fn attention_gradients_match_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(4);
    let qkv = normal(&mut r, N * 3 * C, 1.5);
    let w = normal(&mut r, N * C, 1.0);
    let (mut out, mut att) = (vec![0.0; N * C], vec![0.0; B * NH * T * T]);
    layers::attention_forward(&mut out, &mut att, &qkv, B, T, C, NH);
    let (mut dqkv, mut datt) = (vec![0.0; N * 3 * C], vec![0.0; B * NH * T * T]);
    layers::attention_backward(&mut dqkv, &mut datt, &w, &qkv, &att, B, T, C, NH);
    let (worst, above) = check_all(
        "attention qkv",
        &mut |x| {
            layers::attention_forward(&mut out, &mut att, x, B, T, C, NH);
            weighted(&out, &w)
        },
        &qkv,
        &dqkv,
    );
    // The first position attends only to itself: its query has no influence.
    assert!(above > N * 3 * C * 3 / 4, "{above} entries above the floor");
    assert!(worst <= FD_TOL);
}

#[test]
fn attention_is_causal_and_matches_a_direct_computation() {
    let mut r = ChaCha8Rng::seed_from_u64(5);
    let qkv = normal(&mut r, N * 3 * C, 1.0);
    let (mut out, mut att) = (vec![0.0; N * C], vec![0.0; B * NH * T * T]);
    layers::attention_forward(&mut out, &mut att, &qkv, B, T, C, NH);
    let hs = C / NH;
    for b in 0..B {
        for h in 0..NH {
            for t in 0..T {
                let q = |s: usize, k: usize, part: usize| {
                    qkv[(b * T + s) * 3 * C + part * C + h * hs + k]
                };
                let scores: Vec<f64> = (0..=t)
                    .map(|s| {
                        (0..hs).map(|k| q(t, k, 0) * q(s, k, 1)).sum::<f64>() / (hs as f64).sqrt()
                    })
                    .collect();
                let z: f64 = scores.iter().map(|s| s.exp()).sum();
                for k in 0..hs {
                    let want: f64 = (0..=t).map(|s| scores[s].exp() / z * q(s, k, 2)).sum();
                    let got = out[(b * T + t) * C + h * hs + k];
                    assert!(
                        (got - want).abs() <= 1e-14,
                        "b{b} h{h} t{t} k{k}: {got} vs {want}"
                    );
                }
                for s in t + 1..T {
                    assert_eq!(att[((b * NH + h) * T + t) * T + s], 0.0, "future weight");
                }
            }
        }
    }
}

#[test]
fn gelu_gradient_matches_finite_differences_and_pytorch_values() {
    let mut r = ChaCha8Rng::seed_from_u64(6);
    let inp = normal(&mut r, 64, 2.0);
    let w = normal(&mut r, 64, 1.0);
    let mut out = vec![0.0; 64];
    let mut dinp = vec![0.0; 64];
    layers::gelu_backward(&mut dinp, &inp, &w);
    check_all(
        "gelu inp",
        &mut |x| {
            layers::gelu_forward(&mut out, x);
            weighted(&out, &w)
        },
        &inp,
        &dinp,
    );
    // torch.nn.GELU()(torch.tensor([-3., -1., -0.5, 0.5, 1., 3.], dtype=torch.float64)),
    // torch 2.15.0.
    let x = [-3.0, -1.0, -0.5, 0.5, 1.0, 3.0];
    let want: [f64; 6] = [
        -0.00404969409489031,
        -0.15865525393145702,
        -0.15426876936299344,
        0.34573123063700656,
        0.841344746068543,
        2.99595030590511,
    ];
    let mut y = [0.0; 6];
    layers::gelu_forward(&mut y, &x);
    for (g, w) in y.iter().zip(want) {
        assert!((g - w).abs() <= 2.0 * f64::EPSILON * w.abs(), "{g} vs {w}");
    }
}

/// The f32 GELU, its derivative and the attention's exp (computed in f64 without branches,
/// rounded once) are within 1 f32 ULP of the exact values, on 400 001 points of [−20, 20]
/// (both tails: no cancellation in the left one, where `½x(1 + erf(x/√2))` would give 0).
/// Reference: `x·½·erfc(−x/√2)` with statrs' erfc (Boost's, accurate in the tails) in f64.
#[test]
fn f32_gelu_and_exp_are_within_one_ulp() {
    use statrs::function::erf::erfc;
    let ulps = |a: f32, b: f32| {
        if a == b {
            0
        } else {
            (i64::from(a.to_bits() as i32) - i64::from(b.to_bits() as i32)).abs()
        }
    };
    let (mut worst_g, mut worst_d, mut worst_e) = (0, 0, 0);
    for k in -200_000..=200_000 {
        let x = k as f32 * 1e-4;
        let xd = f64::from(x);
        let cdf = 0.5 * erfc(-xd * std::f64::consts::FRAC_1_SQRT_2);
        let pdf = (-0.5 * xd * xd).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let (mut g, mut d) = ([0.0f32], [0.0f32]);
        layers::gelu_forward(&mut g, &[x]);
        layers::gelu_backward(&mut d, &[x], &[1.0]);
        worst_g = worst_g.max(ulps(g[0], (xd * cdf) as f32));
        // GELU′ = Φ + xφ crosses 0 near x = −0.75 (the minimum of GELU), where a sum of two
        // terms loses its relative accuracy whatever the method: held to half an f32 ULP of
        // the terms' size, |Φ| + |xφ|, plus the final rounding.
        let want = cdf + xd * pdf;
        let err = (f64::from(d[0]) - want).abs();
        let bound = f64::from(f32::EPSILON) * 0.5 * (cdf + xd.abs() * pdf)
            + f64::from(f32::EPSILON) * 0.5 * want.abs();
        let rounded_equal = d[0] == want as f32; // e.g. both underflow to 0 at x = −20
        worst_d =
            worst_d.max(i64::from(err > bound && !rounded_equal) * ulps(d[0], want as f32).max(2));
    }
    for k in 0..20_000 {
        let s = -(k as f32) * 1e-3;
        let p = gpt::exp_nonpositive_for_tests(s);
        worst_e = worst_e.max(ulps(p, f64::from(s).exp() as f32));
    }
    assert!(
        worst_g <= 1 && worst_d <= 1 && worst_e <= 1,
        "{worst_g} {worst_d} {worst_e}"
    );
    // mpmath: x·½·erfc(−x/√2) at x = −10 is −7.619853024160526e−23.
    let mut y = [0.0f32];
    layers::gelu_forward(&mut y, &[-10.0f32]);
    assert!(
        (f64::from(y[0]) / -7.619_853_024_160_526e-23 - 1.0).abs() < 1e-7,
        "{}",
        y[0]
    );
}

#[test]
fn residual_gradients_match_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(7);
    let (a, b) = (normal(&mut r, 20, 1.0), normal(&mut r, 20, 1.0));
    let w = normal(&mut r, 20, 1.0);
    let mut out = vec![0.0; 20];
    let (mut da, mut db) = (vec![0.0; 20], vec![0.0; 20]);
    layers::residual_backward(&mut da, &mut db, &w);
    check_all(
        "residual inp1",
        &mut |x| {
            layers::residual_forward(&mut out, x, &b);
            weighted(&out, &w)
        },
        &a,
        &da,
    );
    check_all(
        "residual inp2",
        &mut |x| {
            layers::residual_forward(&mut out, &a, x);
            weighted(&out, &w)
        },
        &b,
        &db,
    );
}

#[test]
fn head_gradients_match_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(8);
    let v = 9;
    let hidden = normal(&mut r, N * C, 1.0);
    let weight = normal(&mut r, v * C, 0.7);
    let mut targets: Vec<i64> = (0..N).map(|_| r.random_range(0..v as i64)).collect();
    targets[3] = IGNORE_INDEX;
    let mut scratch = Vec::new();
    let (mut dh, mut dw) = (vec![0.0; N * C], vec![0.0; v * C]);
    for reduction in [Reduction::Mean, Reduction::Sum] {
        dh.fill(0.0);
        dw.fill(0.0);
        gpt::lm_head_cross_entropy(
            &hidden,
            &weight,
            &targets,
            reduction,
            Some((&mut dh, &mut dw)),
            &mut scratch,
        )
        .unwrap();
        let loss = |h: &[f64], w: &[f64]| {
            gpt::lm_head_cross_entropy(h, w, &targets, reduction, None, &mut Vec::new()).unwrap()
        };
        check_all("head hidden", &mut |x| loss(x, &weight), &hidden, &dh);
        check_all("head weight", &mut |x| loss(&hidden, x), &weight, &dw);
        // The ignored row gets no gradient.
        assert!(dh[3 * C..4 * C].iter().all(|&g| g == 0.0));
    }
}

// ------------------------------------------------------------------ the whole model

/// The model of the checks: 2 layers, 2 heads, width 16, context 8, 11 tokens.
fn small_config() -> GptConfig {
    GptConfig {
        block_size: 8,
        vocab_size: 11,
        n_layer: 2,
        n_head: 2,
        n_embd: 16,
    }
}

fn wide_model(cfg: GptConfig, seed: u64) -> Gpt<f64> {
    gpt::checks::wide_model(cfg, seed).unwrap()
}

fn random_tokens(r: &mut ChaCha8Rng, n: usize, v: usize) -> Vec<u32> {
    (0..n).map(|_| r.random_range(0..v as u32)).collect()
}

#[test]
fn every_parameter_gradient_matches_finite_differences() {
    let cfg = small_config();
    let model = wide_model(cfg, 11);
    let mut r = ChaCha8Rng::seed_from_u64(12);
    let (b, t) = (2, cfg.block_size);
    let x = random_tokens(&mut r, b * t, cfg.vocab_size);
    let mut y: Vec<i64> = random_tokens(&mut r, b * t, cfg.vocab_size)
        .into_iter()
        .map(i64::from)
        .collect();
    y[b * t - 1] = IGNORE_INDEX; // padding
    let mut ws = Workspace::new();
    let mut grads = vec![0.0; model.parameters().len()];
    model
        .loss_and_grad(&mut ws, &x, &y, b, t, &mut grads)
        .unwrap();
    let params = model.parameters().to_vec();
    let (mut total_above, mut checked) = (0, 0);
    for spec in cfg.parameter_specs() {
        let range = spec.range();
        let mut m = model.clone();
        // 40 entries per tensor at random (every entry of the smaller ones).
        let mut picks: Vec<usize> = (0..spec.len()).collect();
        if spec.len() > 40 {
            picks = (0..40).map(|_| r.random_range(0..spec.len())).collect();
        }
        let (worst, above) = check_some(
            &spec.name,
            &mut |p| {
                m.parameters_mut()[range.clone()].copy_from_slice(p);
                m.loss(&mut ws, &x, &y, b, t, Reduction::Mean).unwrap()
            },
            &params[range.clone()],
            &grads[range.clone()],
            &picks,
        );
        assert!(worst <= FD_TOL, "{}", spec.name);
        total_above += above;
        checked += picks.len();
    }
    // The check is not vacuous: nearly every gradient is above the floor.
    assert!(
        total_above * 10 >= checked * 9,
        "only {total_above} of {checked} gradients above the floor"
    );
}

/// The whole-model check of `ce-mle verify` (G1, which compares every entry) passes on a
/// sample of 16 entries per tensor.
#[test]
fn the_verify_gradient_check_passes() {
    let rep = gpt::checks::gradient_check(Some(16)).unwrap();
    assert!(rep.worst_relative <= FD_TOL, "{rep:?}");
    assert_eq!(
        rep.checked,
        16 * gpt::checks::check_config().parameter_specs().len()
    );
    assert!(rep.above_floor * 10 >= rep.checked * 9, "{rep:?}");
    // One row per tensor, in nanoGPT's order, adding up to the totals.
    let specs = gpt::checks::check_config().parameter_specs();
    let names: Vec<&str> = rep.tensors.iter().map(|r| r.name.as_str()).collect();
    let want: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, want);
    assert_eq!(
        rep.tensors.iter().map(|r| r.checked).sum::<usize>(),
        rep.checked
    );
    let worst = rep
        .tensors
        .iter()
        .map(|r| r.worst_relative)
        .fold(0.0, f64::max);
    assert_eq!(worst, rep.worst_relative);
}

#[test]
fn f32_and_f64_models_agree_to_single_precision() {
    let cfg = small_config();
    let m64 = wide_model(cfg, 21);
    let m32: Gpt<f32> = m64.cast();
    let mut r = ChaCha8Rng::seed_from_u64(22);
    let (b, t) = (3, 6);
    let x = random_tokens(&mut r, b * t, cfg.vocab_size);
    let y: Vec<i64> = random_tokens(&mut r, b * t, cfg.vocab_size)
        .into_iter()
        .map(i64::from)
        .collect();
    let (mut g64, mut g32) = (
        vec![0.0f64; m64.parameters().len()],
        vec![0.0f32; m64.parameters().len()],
    );
    let l64 = m64
        .loss_and_grad(&mut Workspace::new(), &x, &y, b, t, &mut g64)
        .unwrap();
    let l32 = m32
        .loss_and_grad(&mut Workspace::new(), &x, &y, b, t, &mut g32)
        .unwrap();
    assert!((l64 - l32).abs() <= 1e-5 * l64, "{l64} vs {l32}");
    let scale = g64.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let worst = g64
        .iter()
        .zip(&g32)
        .fold(0.0f64, |m, (a, b)| m.max((a - f64::from(*b)).abs()));
    assert!(worst <= 1e-4 * scale, "worst {worst:e}, scale {scale:e}");
}

// ------------------------------------------------------------------ PyTorch golden file

/// `tests/fixtures/gpt_golden.json`, written by `tools/golden/gpt.py` (nanoGPT in float64).
fn golden() -> Value {
    let text = include_str!("fixtures/gpt_golden.json");
    serde_json::from_str(text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn tokens(v: &Value) -> (Vec<u32>, usize, usize) {
    let rows = v.as_array().unwrap();
    let t = rows[0].as_array().unwrap().len();
    let ids = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap() as u32)
        })
        .collect();
    (ids, rows.len(), t)
}

fn targets(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()))
        .collect()
}

/// Max-norm relative error `max|a − b| / max|b|` of a tensor (entries near zero are measured
/// against the tensor's scale, not their own).
fn tensor_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// The golden file's parameters, in our flat layout; the names and their order must be
/// nanoGPT's `named_parameters()`.
fn golden_params(g: &Value, key: &str, cfg: &GptConfig) -> Vec<f64> {
    let obj = g[key].as_object().unwrap();
    let names: Vec<&String> = obj.keys().collect();
    let ours: Vec<String> = cfg.parameter_specs().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ours.iter().collect::<Vec<_>>(),
        "nanoGPT's names, in order"
    );
    for s in cfg.parameter_specs() {
        let shape: Vec<usize> = g["shapes"][&s.name]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(shape, s.shape, "{}", s.name);
    }
    obj.values().flat_map(floats).collect()
}

fn golden_config(g: &Value) -> GptConfig {
    let c = &g["config"];
    let u = |k: &str| c[k].as_u64().unwrap() as usize;
    GptConfig {
        block_size: u("block_size"),
        vocab_size: u("vocab_size"),
        n_layer: u("n_layer"),
        n_head: u("n_head"),
        n_embd: u("n_embd"),
    }
}

const GOLDEN_TOL: f64 = 1e-10;

#[test]
fn logits_loss_and_every_gradient_match_pytorch() {
    let g = golden();
    let cfg = golden_config(&g);
    assert_eq!(
        cfg,
        small_config(),
        "the golden file checks the FD model's shape"
    );
    let model = Gpt::from_parameters(cfg, golden_params(&g, "params", &cfg)).unwrap();
    let (x, b, t) = tokens(&g["x"]);
    let y = targets(&g["y"]);
    assert!(y.contains(&IGNORE_INDEX), "the batch has padding");
    let mut ws = Workspace::new();
    let logits = model.logits(&mut ws, &x, b, t).unwrap().to_vec();
    let e = tensor_rel(&logits, &floats(&g["logits"]));
    assert!(e <= GOLDEN_TOL, "logits: {e:e}");
    let mut grads = vec![0.0; model.parameters().len()];
    let loss = model
        .loss_and_grad(&mut ws, &x, &y, b, t, &mut grads)
        .unwrap();
    let want = g["loss"].as_f64().unwrap();
    assert!(
        (loss - want).abs() <= GOLDEN_TOL * want,
        "loss {loss} vs {want}"
    );
    for s in cfg.parameter_specs() {
        let e = tensor_rel(&grads[s.range()], &floats(&g["grads"][&s.name]));
        assert!(e <= GOLDEN_TOL, "grad {}: {e:e}", s.name);
    }
}

#[test]
fn ten_adamw_steps_match_pytorch() {
    let g = golden();
    let cfg = golden_config(&g);
    let tr = &g["train"];
    let f = |k: &str| tr[k].as_f64().unwrap();
    let u = |k: &str| tr[k].as_u64().unwrap() as usize;
    let steps = g["steps"].as_array().unwrap();
    let config = TrainConfig {
        batch_size: g["batch_size"].as_u64().unwrap() as usize,
        max_iters: steps.len(),
        learning_rate: f("learning_rate"),
        min_lr: f("min_lr"),
        warmup_iters: u("warmup_iters"),
        lr_decay_iters: u("lr_decay_iters"),
        weight_decay: f("weight_decay"),
        beta1: f("beta1"),
        beta2: f("beta2"),
        eps: f("eps"),
        grad_clip: f("grad_clip"),
        eval_interval: 1,
        eval_iters: 1,
        seed: 0,
    };
    let model = Gpt::from_parameters(cfg, golden_params(&g, "params", &cfg)).unwrap();
    let mut trainer = Trainer::new(model, config).unwrap();
    for (i, s) in steps.iter().enumerate() {
        let (x, b, t) = tokens(&s["x"]);
        let y = targets(&s["y"]);
        let st = trainer.step_on(&x, &y, b, t).unwrap();
        let lr = s["lr"].as_f64().unwrap();
        assert!(
            (st.lr - lr).abs() <= 1e-15 * lr,
            "step {i}: lr {} vs {lr}",
            st.lr
        );
        for (what, got, want) in [
            ("loss", st.loss, s["loss"].as_f64().unwrap()),
            ("grad_norm", st.grad_norm, s["grad_norm"].as_f64().unwrap()),
        ] {
            assert!(
                (got - want).abs() <= GOLDEN_TOL * want,
                "step {i}: {what} {got} vs {want}"
            );
        }
    }
    let want = golden_params(&g, "final_params", &cfg);
    for s in cfg.parameter_specs() {
        let e = tensor_rel(&trainer.model().parameters()[s.range()], &want[s.range()]);
        assert!(e <= GOLDEN_TOL, "final {}: {e:e}", s.name);
    }
}

// ------------------------------------------------------------------ threads

/// Gradients are bit-identical on 1 and 3 threads (fixed blocks, reductions in block order),
/// in f32 and f64, on a model large enough to have several blocks of each kind.
#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let cfg = GptConfig {
        block_size: 40,
        vocab_size: 13,
        n_layer: 1,
        n_head: 2,
        n_embd: 24,
    };
    let m64 = wide_model(cfg, 31);
    let m32: Gpt<f32> = m64.cast();
    let mut r = ChaCha8Rng::seed_from_u64(32);
    let (b, t) = (4, 40); // 160 rows: 3 row blocks; 4·24 = 96 channels: 3 channel blocks
    let x = random_tokens(&mut r, b * t, cfg.vocab_size);
    let y: Vec<i64> = random_tokens(&mut r, b * t, cfg.vocab_size)
        .into_iter()
        .map(i64::from)
        .collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut g64 = vec![0.0f64; m64.parameters().len()];
            let mut g32 = vec![0.0f32; m64.parameters().len()];
            let l64 = m64
                .loss_and_grad(&mut Workspace::new(), &x, &y, b, t, &mut g64)
                .unwrap();
            let l32 = m32
                .loss_and_grad(&mut Workspace::new(), &x, &y, b, t, &mut g32)
                .unwrap();
            (l64.to_bits(), l32.to_bits(), g64, g32)
        })
    };
    let one = run(1);
    let three = run(3);
    assert_eq!(one.0, three.0);
    assert_eq!(one.1, three.1);
    assert!(
        one.2
            .iter()
            .zip(&three.2)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    assert!(
        one.3
            .iter()
            .zip(&three.3)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

// ------------------------------------------------------------------ chain rule, evaluation

/// Σ_t CE_t from one batched pass = −ln p(x_2..x_n | x_1) from one pass per prefix.
#[test]
fn batched_loss_is_the_chain_rule_log_likelihood() {
    let cfg = small_config();
    let model = wide_model(cfg, 41);
    let mut r = ChaCha8Rng::seed_from_u64(42);
    let ids = random_tokens(&mut r, cfg.block_size + 1, cfg.vocab_size);
    let c = gpt::checks::chain_rule(&model, &ids).unwrap();
    assert_eq!(c.tokens, cfg.block_size);
    assert!(c.gap_per_token() <= 1e-13, "{c:?}");
    assert!(c.batched_sum > 1.0, "a real likelihood: {c:?}");
    let c32 = gpt::checks::chain_rule(&model.cast::<f32>(), &ids).unwrap();
    assert!(c32.gap_per_token() <= 1e-5, "{c32:?}");
    assert!((c32.batched_sum - c.batched_sum).abs() <= 1e-4 * c.batched_sum);
    // Too long for one pass, too short to predict anything.
    let long = random_tokens(&mut r, cfg.block_size + 2, cfg.vocab_size);
    assert_eq!(
        gpt::checks::chain_rule(&model, &long).unwrap_err().kind(),
        "ShapeMismatch"
    );
    assert_eq!(
        gpt::checks::chain_rule(&model, &ids[..1])
            .unwrap_err()
            .kind(),
        "Corpus"
    );
}

/// `evaluate` predicts every id after the first exactly once: on a text that fits one
/// window it is the mean of the chain rule; on a longer one, the windows' sums.
#[test]
fn evaluation_covers_every_target_once() {
    let cfg = small_config();
    let model = wide_model(cfg, 43);
    let mut r = ChaCha8Rng::seed_from_u64(44);
    let mut ws = Workspace::new();
    let short = random_tokens(&mut r, 6, cfg.vocab_size);
    let e = gpt::evaluate(&model, &mut ws, &short, 4).unwrap();
    let c = gpt::checks::chain_rule(&model, &short).unwrap();
    assert_eq!(e.tokens, 5);
    assert!((e.mean - c.token_by_token / 5.0).abs() <= 1e-14);
    // 30 ids: windows [0..9), [8..17), [16..25), [24..30): 8 + 8 + 8 + 5 targets.
    let long = random_tokens(&mut r, 30, cfg.vocab_size);
    for batch in [1, 3, 8] {
        let e = gpt::evaluate(&model, &mut ws, &long, batch).unwrap();
        let sum: f64 = [0, 8, 16, 24]
            .iter()
            .map(|&s| {
                let end = (s + 9).min(30);
                gpt::checks::chain_rule(&model, &long[s..end])
                    .unwrap()
                    .token_by_token
            })
            .sum();
        assert_eq!(e.tokens, 29);
        assert!((e.mean - sum / 29.0).abs() <= 1e-13, "batch {batch}");
    }
    assert_eq!(
        gpt::evaluate(&model, &mut ws, &long[..1], 4)
            .unwrap_err()
            .kind(),
        "Corpus"
    );
}

// ------------------------------------------------------------------ the optimiser

/// AdamW with one decay per buffer = two AdamWs, one per group (nanoGPT's two groups).
#[test]
fn adamw_parameter_groups_equal_one_optimiser_per_group() {
    use ce_mle::optim::{AdamW, Optimizer};
    let mut r = ChaCha8Rng::seed_from_u64(51);
    let (mut a, mut b) = (normal(&mut r, 6, 1.0), normal(&mut r, 3, 1.0));
    let (mut a2, mut b2) = (a.clone(), b.clone());
    let mut grouped = AdamW::with_options(1e-2, (0.9, 0.99), 1e-8, 0.1)
        .unwrap()
        .weight_decay_per_buffer(vec![0.1, 0.0])
        .unwrap();
    let mut decay = AdamW::with_options(1e-2, (0.9, 0.99), 1e-8, 0.1).unwrap();
    let mut none = AdamW::with_options(1e-2, (0.9, 0.99), 1e-8, 0.0).unwrap();
    for step in 0..5 {
        let lr = 1e-2 / f64::from(step + 1);
        for o in [&mut grouped, &mut decay, &mut none] {
            o.set_lr(lr).unwrap();
        }
        let (ga, gb) = (normal(&mut r, 6, 1.0), normal(&mut r, 3, 1.0));
        grouped.step(&mut [&mut a, &mut b], &[&ga, &gb]).unwrap();
        decay.step(&mut [&mut a2], &[&ga]).unwrap();
        none.step(&mut [&mut b2], &[&gb]).unwrap();
    }
    assert_eq!(a, a2);
    assert_eq!(b, b2);
    assert_eq!(grouped.steps(), 5);
}

/// Saving the optimiser's state and loading it into a fresh one continues identically.
#[test]
fn adamw_state_round_trip_continues_identically() {
    use ce_mle::optim::{AdamW, Optimizer};
    let mut r = ChaCha8Rng::seed_from_u64(52);
    let grads: Vec<Vec<f64>> = (0..6).map(|_| normal(&mut r, 4, 1.0)).collect();
    let start = normal(&mut r, 4, 1.0);
    let new = || AdamW::with_options(1e-2, (0.9, 0.99), 1e-8, 0.1).unwrap();
    let (mut whole, mut p) = (new(), start.clone());
    for g in &grads {
        whole.step(&mut [&mut p], &[g]).unwrap();
    }
    let (mut first, mut q) = (new(), start);
    for g in &grads[..2] {
        first.step(&mut [&mut q], &[g]).unwrap();
    }
    let mut second = new();
    second.load_state(first.state()).unwrap();
    for g in &grads[2..] {
        second.step(&mut [&mut q], &[g]).unwrap();
    }
    assert_eq!(p, q);
    assert_eq!(second.steps(), 6);
}

// ------------------------------------------------------------------ training

/// A small run: a model trained k + m steps equals one trained k steps, saved (parameters
/// and trainer state) and resumed for m steps, bit for bit (f32).
#[test]
fn resumed_training_is_bit_identical() {
    let cfg = GptConfig {
        block_size: 8,
        vocab_size: 11,
        n_layer: 1,
        n_head: 2,
        n_embd: 8,
    };
    let mut r = ChaCha8Rng::seed_from_u64(61);
    let train = random_tokens(&mut r, 300, cfg.vocab_size);
    let config = TrainConfig {
        batch_size: 3,
        max_iters: 10,
        warmup_iters: 2,
        lr_decay_iters: 10,
        learning_rate: 1e-2,
        min_lr: 1e-3,
        ..TrainConfig::nanogpt_cpu()
    };
    let model = Gpt::<f32>::new(cfg, 7).unwrap();
    let mut whole = Trainer::new(model.clone(), config.clone()).unwrap();
    for _ in 0..10 {
        whole.step(&train).unwrap();
    }
    let mut first = Trainer::new(model, config.clone()).unwrap();
    for _ in 0..4 {
        first.step(&train).unwrap();
    }
    let saved = (first.model().parameters().to_vec(), first.state());
    drop(first);
    let restored = Gpt::from_parameters(cfg, saved.0).unwrap();
    let mut second = Trainer::resume(restored, config, saved.1).unwrap();
    for _ in 0..6 {
        second.step(&train).unwrap();
    }
    assert_eq!(second.iter(), 10);
    let bits = |t: &Trainer<f32>| {
        t.model()
            .parameters()
            .iter()
            .map(|p| p.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&whole), bits(&second));
    assert_eq!(whole.state(), second.state());
}

/// nanoGPT's learning-rate schedule: warm-up from lr/(w+1), the peak at iteration w, the
/// cosine's midpoint halfway, min_lr from lr_decay_iters on.
#[test]
fn learning_rate_schedule_is_nanogpts() {
    let c = TrainConfig::nanogpt_cpu();
    assert!((c.lr_at(0) - 1e-3 / 101.0).abs() < 1e-18);
    assert!((c.lr_at(99) - 1e-3 * 100.0 / 101.0).abs() < 1e-18);
    assert!((c.lr_at(100) - 1e-3).abs() < 1e-18);
    assert!((c.lr_at(1050) - 0.55e-3).abs() < 1e-15);
    assert!((c.lr_at(2000) - 1e-4).abs() < 1e-18);
    assert_eq!(c.lr_at(5000), 1e-4);
}

/// A run reports steps and evaluations through its callback and can be stopped there.
#[test]
fn a_run_reports_through_its_callback_and_stops_on_request() {
    use std::ops::ControlFlow;
    let cfg = GptConfig {
        block_size: 8,
        vocab_size: 11,
        n_layer: 1,
        n_head: 1,
        n_embd: 8,
    };
    let mut r = ChaCha8Rng::seed_from_u64(62);
    let (train, val) = (
        random_tokens(&mut r, 200, cfg.vocab_size),
        random_tokens(&mut r, 50, cfg.vocab_size),
    );
    let data = gpt::TrainData {
        train: &train,
        val: &val,
    };
    let config = TrainConfig {
        batch_size: 2,
        max_iters: 7,
        eval_interval: 3,
        eval_iters: 2,
        warmup_iters: 1,
        lr_decay_iters: 7,
        ..TrainConfig::nanogpt_cpu()
    };
    let mut t = Trainer::new(Gpt::<f32>::new(cfg, 1).unwrap(), config.clone())
        .unwrap()
        .with_full_validation(true);
    let mut events = Vec::new();
    let done = t
        .run(&data, &mut |e, tr| {
            events.push((*e, tr.iter()));
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(done, 7);
    let evals: Vec<usize> = events
        .iter()
        .filter_map(|(e, _)| match e {
            gpt::Event::Eval(s) => {
                assert!(s.val_full.is_some() && s.train_loss > 0.0 && s.val_loss > 0.0);
                Some(s.iter)
            }
            gpt::Event::Step(_) => None,
        })
        .collect();
    assert_eq!(evals, [0, 3, 6, 7]);
    assert_eq!(events.len(), 7 + 4);
    // Stop after the third step.
    let mut t = Trainer::new(Gpt::<f32>::new(cfg, 1).unwrap(), config).unwrap();
    let done = t
        .run(&data, &mut |e, _| match e {
            gpt::Event::Step(s) if s.iter == 2 => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        })
        .unwrap();
    assert_eq!(done, 3);
}

// ------------------------------------------------------------------ bad input

fn kind<T: std::fmt::Debug>(r: ce_mle::Result<T>) -> &'static str {
    r.expect_err("bad input is refused").kind()
}

#[test]
fn bad_configs_are_refused() {
    let ok = small_config();
    assert!(ok.validate().is_ok());
    for (name, cfg) in [
        (
            "block_size",
            GptConfig {
                block_size: 0,
                ..ok
            },
        ),
        (
            "vocab_size",
            GptConfig {
                vocab_size: 0,
                ..ok
            },
        ),
        ("n_layer", GptConfig { n_layer: 0, ..ok }),
        ("n_head", GptConfig { n_head: 0, ..ok }),
        ("n_embd", GptConfig { n_embd: 0, ..ok }),
        ("n_head", GptConfig { n_head: 3, ..ok }),
    ] {
        let e = Gpt::<f32>::new(cfg, 0).unwrap_err();
        assert_eq!(e.kind(), "InvalidHyperParameter", "{e}");
        assert!(e.to_string().contains(name), "{e}");
    }
    let huge = GptConfig {
        n_embd: 1 << 16,
        n_head: 1,
        ..ok
    };
    assert_eq!(kind(huge.validate()), "TooLarge");
    let absurd = GptConfig {
        vocab_size: usize::MAX,
        ..ok
    };
    assert_eq!(kind(absurd.validate()), "TooLarge");
}

#[test]
fn bad_batches_are_refused() {
    let cfg = small_config();
    let m = wide_model(cfg, 71);
    let mut ws = Workspace::new();
    let x = vec![1u32; 16];
    let y = vec![2i64; 16];
    assert_eq!(
        kind(m.loss(&mut ws, &x, &y, 0, 8, Reduction::Mean)),
        "Empty"
    );
    // T = 16 > block_size = 8: the position table has no row for it.
    assert_eq!(
        kind(m.loss(&mut ws, &x, &y, 1, 16, Reduction::Mean)),
        "ShapeMismatch"
    );
    assert_eq!(
        kind(m.loss(&mut ws, &x[..15], &y, 2, 8, Reduction::Mean)),
        "ShapeMismatch"
    );
    assert_eq!(
        kind(m.loss(&mut ws, &x, &y[..15], 2, 8, Reduction::Mean)),
        "ShapeMismatch"
    );
    let mut bad = x.clone();
    bad[9] = 11;
    let e = m
        .loss(&mut ws, &bad, &y, 2, 8, Reduction::Mean)
        .unwrap_err();
    assert_eq!(e.kind(), "InvalidValue");
    assert!(e.to_string().contains("tokens[1, 1] = 11"), "{e}");
    let mut bad_y = y.clone();
    bad_y[3] = 11;
    assert_eq!(
        kind(m.loss(&mut ws, &x, &bad_y, 2, 8, Reduction::Mean)),
        "ClassIndexOutOfRange"
    );
    // Every target padding: the mean is undefined (PyTorch returns NaN).
    let pad = vec![IGNORE_INDEX; 16];
    assert_eq!(
        kind(m.loss(&mut ws, &x, &pad, 2, 8, Reduction::Mean)),
        "UndefinedMean"
    );
    let mut g = vec![0.0; 3];
    assert_eq!(
        kind(m.loss_and_grad(&mut ws, &x, &y, 2, 8, &mut g)),
        "ShapeMismatch"
    );
}

#[test]
fn bad_parameter_buffers_are_refused() {
    let cfg = small_config();
    let n = cfg.num_parameters();
    assert_eq!(
        kind(Gpt::from_parameters(cfg, vec![0.0f64; n - 1])),
        "ShapeMismatch"
    );
    let mut p = vec![0.0f64; n];
    p[5] = f64::NAN;
    assert_eq!(kind(Gpt::from_parameters(cfg, p)), "InvalidValue");
}

#[test]
fn bad_training_settings_and_short_texts_are_refused() {
    let ok = TrainConfig::nanogpt_cpu();
    assert!(ok.validate().is_ok());
    for c in [
        TrainConfig {
            batch_size: 0,
            ..ok.clone()
        },
        TrainConfig {
            max_iters: 0,
            ..ok.clone()
        },
        TrainConfig {
            eval_interval: 0,
            ..ok.clone()
        },
        TrainConfig {
            eval_iters: 0,
            ..ok.clone()
        },
        TrainConfig {
            learning_rate: -1.0,
            ..ok.clone()
        },
        TrainConfig {
            learning_rate: f64::NAN,
            ..ok.clone()
        },
        TrainConfig {
            min_lr: 1.0,
            ..ok.clone()
        },
        TrainConfig {
            warmup_iters: 5000,
            ..ok.clone()
        },
        TrainConfig {
            beta2: 1.0,
            ..ok.clone()
        },
        TrainConfig {
            eps: 0.0,
            ..ok.clone()
        },
        TrainConfig {
            weight_decay: -0.1,
            ..ok.clone()
        },
        TrainConfig {
            grad_clip: f64::INFINITY,
            ..ok.clone()
        },
    ] {
        assert_eq!(kind(c.validate()), "InvalidHyperParameter", "{c:?}");
    }
    assert_eq!(
        kind(
            TrainConfig {
                batch_size: 1 << 21,
                ..ok.clone()
            }
            .validate()
        ),
        "TooLarge"
    );
    let cfg = small_config();
    let mut t = Trainer::new(Gpt::<f32>::new(cfg, 0).unwrap(), ok).unwrap();
    // block_size + 1 = 9 ids are needed for one window.
    assert_eq!(kind(t.step(&[1, 2, 3, 4, 5, 6, 7, 8])), "Corpus");
    let e = t.step(&[1; 9]).map(|_| ());
    assert!(e.is_ok(), "{e:?}");
}

#[test]
fn adam_groups_and_state_refuse_bad_input() {
    use ce_mle::optim::{AdamState, AdamW, Optimizer};
    let o = AdamW::new(1e-3).unwrap();
    assert_eq!(
        kind(o.clone().weight_decay_per_buffer(vec![0.1, -1.0])),
        "InvalidHyperParameter"
    );
    let mut g = o.clone().weight_decay_per_buffer(vec![0.1, 0.0]).unwrap();
    let mut p = vec![1.0];
    assert_eq!(kind(g.step(&mut [&mut p], &[&[0.5]])), "ShapeMismatch");
    let mut o2 = o.clone();
    assert_eq!(kind(o2.set_lr(0.0)), "InvalidHyperParameter");
    let bad_shapes = AdamState {
        step: 1,
        exp_avg: vec![vec![0.0; 2]],
        exp_avg_sq: vec![vec![0.0; 3]],
        max_exp_avg_sq: vec![],
    };
    assert_eq!(kind(o2.load_state(bad_shapes)), "ShapeMismatch");
    let negative = AdamState {
        step: 1,
        exp_avg: vec![vec![0.0; 2]],
        exp_avg_sq: vec![vec![0.0, -1.0]],
        max_exp_avg_sq: vec![],
    };
    assert_eq!(kind(o2.load_state(negative)), "InvalidValue");
    let steps_without_state = AdamState {
        step: 3,
        ..AdamState::default()
    };
    assert_eq!(kind(o2.load_state(steps_without_state)), "ShapeMismatch");
}

#[test]
fn a_diverging_gpt_run_is_reported() {
    let cfg = small_config();
    let mut r = ChaCha8Rng::seed_from_u64(81);
    let train = random_tokens(&mut r, 100, cfg.vocab_size);
    let config = TrainConfig {
        batch_size: 2,
        learning_rate: 1e30,
        min_lr: 0.0,
        warmup_iters: 0,
        grad_clip: 0.0,
        ..TrainConfig::nanogpt_cpu()
    };
    let mut t = Trainer::new(Gpt::<f32>::new(cfg, 0).unwrap(), config).unwrap();
    let mut err = None;
    for _ in 0..20 {
        if let Err(e) = t.step(&train) {
            err = Some(e);
            break;
        }
    }
    let e = err.expect("a learning rate of 1e30 diverges");
    assert_eq!(e.kind(), "Diverged", "{e}");
}
