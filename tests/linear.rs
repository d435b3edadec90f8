//! `linear_cross_entropy` (the fused linear layer + cross-entropy) checked three ways:
//! against the unfused computation (logits by a plain triple loop, the loss and its gradient
//! by the reference cross-entropy, the products of the backward pass by loops), by central
//! finite differences, and against PyTorch 2.15's `torch.nn.functional.linear_cross_entropy`
//! (`tests/fixtures/torch_linear_cross_entropy.json`, written by
//! `tools/golden/linear_cross_entropy.py`). Plus: chunk sizes, thread counts and bad input.

use ce_mle::Error;
use ce_mle::loss::rows::RowTarget;
use ce_mle::loss::{
    CrossEntropyOptions, Linear, LinearCrossEntropyOptions, LinearGrads, Loss, Reduction, Target,
    linear_cross_entropy, linear_cross_entropy_with_grad, reference,
};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// Inputs of one call, in `f64`.
struct Case {
    n: usize,
    d: usize,
    v: usize,
    x: Vec<f64>,
    w: Vec<f64>,
    b: Option<Vec<f64>>,
    indices: Option<Vec<i64>>,
    probs: Option<Vec<f64>>,
    opts: CrossEntropyOptions<f64>,
}

impl Case {
    fn linear(&self) -> Linear<'_, f64> {
        Linear {
            weight: &self.w,
            bias: self.b.as_deref(),
            in_features: self.d,
        }
    }

    fn target(&self) -> RowTarget<'_, f64> {
        match (&self.indices, &self.probs) {
            (Some(t), _) => RowTarget::Indices(t),
            (None, Some(p)) => RowTarget::Probabilities(p),
            (None, None) => unreachable!(),
        }
    }
}

/// What a call returns: per-sample or scalar loss, and the three gradients.
struct Out {
    loss: Vec<f64>,
    gx: Vec<f64>,
    gw: Vec<f64>,
    gb: Vec<f64>,
}

fn losses(l: &Loss<f64>) -> Vec<f64> {
    match l {
        Loss::Scalar(s) => vec![*s],
        Loss::PerSample(v) => v.iter().copied().collect(),
    }
}

fn fused(k: &Case, chunk: Option<usize>) -> Result<Out, Error> {
    let mut gx = vec![f64::NAN; k.x.len()];
    let mut gw = vec![f64::NAN; k.w.len()];
    let mut gb = vec![f64::NAN; k.v];
    let l = linear_cross_entropy_with_grad(
        &k.x,
        k.linear(),
        k.target(),
        &k.opts,
        LinearCrossEntropyOptions {
            batch_chunk_size: chunk,
        },
        LinearGrads {
            input: &mut gx,
            weight: &mut gw,
            bias: Some(&mut gb),
        },
    )?;
    Ok(Out {
        loss: losses(&l),
        gx,
        gw,
        gb,
    })
}

/// The unfused computation, independent of the fused code: logits by loops, the reference
/// cross-entropy, the backward products by loops.
fn unfused(k: &Case) -> Result<Out, Error> {
    let (n, d, v) = (k.n, k.d, k.v);
    let z = DMatrix::from_fn(n, v, |i, c| {
        let dot: f64 = (0..d).map(|j| k.x[i * d + j] * k.w[c * d + j]).sum();
        dot + k.b.as_ref().map_or(0.0, |b| b[c])
    });
    let probs = k.probs.as_ref().map(|p| DMatrix::from_row_slice(n, v, p));
    let target = match (&k.indices, &probs) {
        (Some(t), _) => Target::Indices(t),
        (None, Some(p)) => Target::Probabilities(p),
        (None, None) => unreachable!(),
    };
    let (l, g) = reference::cross_entropy_with_grad(&z, target, &k.opts)?;
    let gx = (0..n * d)
        .map(|e| (0..v).map(|c| g[(e / d, c)] * k.w[c * d + e % d]).sum())
        .collect();
    let gw = (0..v * d)
        .map(|e| (0..n).map(|i| g[(i, e / d)] * k.x[i * d + e % d]).sum())
        .collect();
    let gb = (0..v).map(|c| (0..n).map(|i| g[(i, c)]).sum()).collect();
    Ok(Out {
        loss: losses(&l),
        gx,
        gw,
        gb,
    })
}

/// `|a − b| ≤ rel·max(|b|, floor)`, elementwise, NaN nowhere.
fn close(what: &str, a: &[f64], b: &[f64], rel: f64, floor: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let tol = rel * y.abs().max(floor);
        assert!(
            (x - y).abs() <= tol,
            "{what}[{i}]: {x:e} vs {y:e} (|diff| {:e} > {tol:e})",
            (x - y).abs()
        );
    }
}

fn random_case(r: &mut ChaCha8Rng) -> Case {
    let n = r.random_range(1..12);
    let d = r.random_range(1..9);
    let v = r.random_range(1..40);
    let scale = [0.1, 1.0, 5.0][r.random_range(0..3)];
    let x = (0..n * d).map(|_| r.random_range(-scale..scale)).collect();
    let w = (0..v * d).map(|_| r.random_range(-1.0..1.0)).collect();
    let b = r
        .random_bool(0.5)
        .then(|| (0..v).map(|_| r.random_range(-2.0..2.0)).collect());
    let mut opts = CrossEntropyOptions::default();
    if r.random_bool(0.3) {
        opts = opts.weight(DVector::from_fn(v, |_, _| r.random_range(0.1..2.0)));
    }
    if r.random_bool(0.3) {
        opts = opts.label_smoothing(r.random_range(0.0..0.5));
    }
    opts = opts.reduction([Reduction::Mean, Reduction::Sum, Reduction::None][r.random_range(0..3)]);
    let (indices, probs) = if r.random_bool(0.7) {
        let mut t: Vec<i64> = (0..n).map(|_| r.random_range(0..v as i64)).collect();
        // Keep one row so that a mean is defined.
        for t in t.iter_mut().skip(1) {
            if r.random_bool(0.2) {
                *t = -100;
            }
        }
        (Some(t), None)
    } else {
        let mut p = Vec::with_capacity(n * v);
        for _ in 0..n {
            let row: Vec<f64> = (0..v).map(|_| r.random_range(0.0..1.0)).collect();
            let s: f64 = row.iter().sum();
            p.extend(row.iter().map(|x| x / s));
        }
        (None, Some(p))
    };
    Case {
        n,
        d,
        v,
        x,
        w,
        b,
        indices,
        probs,
        opts,
    }
}

#[test]
fn fused_equals_unfused_for_every_option_and_chunk_size() {
    let mut r = ChaCha8Rng::seed_from_u64(17);
    for case_no in 0..200 {
        let k = random_case(&mut r);
        let want = unfused(&k).unwrap();
        for chunk in [None, Some(1), Some(2), Some(5), Some(1000)] {
            let got = fused(&k, chunk).unwrap();
            let what = format!("case {case_no}, chunk {chunk:?}");
            close(
                &format!("{what} loss"),
                &got.loss,
                &want.loss,
                1e-13,
                1e-300,
            );
            let gscale = want
                .gw
                .iter()
                .chain(&want.gx)
                .fold(1e-300, |m: f64, x| m.max(x.abs()));
            close(
                &format!("{what} grad input"),
                &got.gx,
                &want.gx,
                1e-12,
                gscale,
            );
            close(
                &format!("{what} grad weight"),
                &got.gw,
                &want.gw,
                1e-12,
                gscale,
            );
            close(
                &format!("{what} grad bias"),
                &got.gb,
                &want.gb,
                1e-12,
                gscale,
            );
        }
    }
}

#[test]
fn f32_agrees_with_f64_to_f32_precision() {
    let mut r = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..50 {
        let k = random_case(&mut r);
        let want = fused(&k, None).unwrap();
        let f = |v: &[f64]| v.iter().map(|x| *x as f32).collect::<Vec<f32>>();
        let (x, w, b) = (f(&k.x), f(&k.w), k.b.as_deref().map(f));
        let probs = k.probs.as_deref().map(f);
        let target = match (&k.indices, &probs) {
            (Some(t), _) => RowTarget::Indices(t),
            (None, Some(p)) => RowTarget::Probabilities(p),
            (None, None) => unreachable!(),
        };
        let opts = CrossEntropyOptions::<f32> {
            weight: k.opts.weight.as_ref().map(|w| w.map(|x| x as f32)),
            ignore_index: k.opts.ignore_index,
            reduction: k.opts.reduction,
            label_smoothing: k.opts.label_smoothing,
        };
        let mut gx = vec![0f32; x.len()];
        let mut gw = vec![0f32; w.len()];
        let l = linear_cross_entropy_with_grad(
            &x,
            Linear {
                weight: &w,
                bias: b.as_deref(),
                in_features: k.d,
            },
            target,
            &opts,
            LinearCrossEntropyOptions::default(),
            LinearGrads {
                input: &mut gx,
                weight: &mut gw,
                bias: None,
            },
        )
        .unwrap();
        let l: Vec<f64> = match l {
            Loss::Scalar(s) => vec![f64::from(s)],
            Loss::PerSample(v) => v.iter().map(|x| f64::from(*x)).collect(),
        };
        // The inputs were rounded to f32 (relative 6e-8 each), the products summed in f32:
        // a few 1e-6 of the scale.
        close("f32 loss", &l, &want.loss, 1e-5, 1.0);
        let gscale = want.gw.iter().fold(1e-3, |m: f64, x| m.max(x.abs()));
        let widen = |v: &[f32]| v.iter().map(|x| f64::from(*x)).collect::<Vec<_>>();
        close("f32 grad weight", &widen(&gw), &want.gw, 1e-4, gscale);
        close("f32 grad input", &widen(&gx), &want.gx, 1e-4, gscale);
    }
}

#[test]
fn gradients_match_central_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(99);
    for _ in 0..10 {
        let mut k = random_case(&mut r);
        if k.b.is_none() {
            k.b = Some(vec![0.3; k.v]);
        }
        k.opts.reduction = Reduction::Mean;
        let got = fused(&k, Some(2)).unwrap();
        let loss_at = |k: &Case| {
            let l = linear_cross_entropy(
                &k.x,
                k.linear(),
                k.target(),
                &k.opts,
                LinearCrossEntropyOptions::default(),
            )
            .unwrap();
            l.scalar().unwrap()
        };
        let h = 1e-6;
        // Central differences have error O(h²·f''') + O(ε·f/h): about 1e-9 here.
        let check = |what: &str, grad: &[f64], get: &dyn Fn(&mut Case) -> &mut Vec<f64>| {
            let len = grad.len();
            for e in [0, len / 2, len - 1] {
                let mut kp = clone(&k);
                get(&mut kp)[e] += h;
                let mut km = clone(&k);
                get(&mut km)[e] -= h;
                let fd = (loss_at(&kp) - loss_at(&km)) / (2.0 * h);
                assert!(
                    (fd - grad[e]).abs() <= 1e-7 * grad[e].abs().max(1e-2),
                    "{what}[{e}]: analytic {:e}, finite difference {fd:e}",
                    grad[e]
                );
            }
        };
        check("input", &got.gx, &|c| &mut c.x);
        check("weight", &got.gw, &|c| &mut c.w);
        check("bias", &got.gb, &|c| c.b.as_mut().unwrap());
    }
}

fn clone(k: &Case) -> Case {
    Case {
        n: k.n,
        d: k.d,
        v: k.v,
        x: k.x.clone(),
        w: k.w.clone(),
        b: k.b.clone(),
        indices: k.indices.clone(),
        probs: k.probs.clone(),
        opts: k.opts.clone(),
    }
}

/// A dense case: uniform inputs, weight and bias in (−1, 1), class targets, default options.
fn dense_case(seed: u64, (n, d, v): (usize, usize, usize)) -> Case {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    Case {
        n,
        d,
        v,
        x: (0..n * d).map(|_| r.random_range(-1.0..1.0)).collect(),
        w: (0..v * d).map(|_| r.random_range(-1.0..1.0)).collect(),
        b: Some((0..v).map(|_| r.random_range(-1.0..1.0)).collect()),
        indices: Some((0..n).map(|_| r.random_range(0..v as i64)).collect()),
        probs: None,
        opts: CrossEntropyOptions::default(),
    }
}

/// The fused call on a pool of `threads` threads.
fn on_threads(k: &Case, threads: usize, chunk: Option<usize>) -> Out {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| fused(k, chunk).unwrap())
}

/// The same bits in the loss and in every gradient.
fn assert_same_bits(a: &Out, b: &Out, what: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.loss), bits(&b.loss), "loss, {what}");
    assert_eq!(bits(&a.gx), bits(&b.gx), "grad input, {what}");
    assert_eq!(bits(&a.gw), bits(&b.gw), "grad weight, {what}");
    assert_eq!(bits(&a.gb), bits(&b.gb), "grad bias, {what}");
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    // Large enough for the matrix library's blocked kernels and several row blocks.
    let k = dense_case(3, (70, 24, 531));
    let one = on_threads(&k, 1, Some(16));
    for threads in [2, 3] {
        let many = on_threads(&k, threads, Some(16));
        assert_same_bits(&one, &many, &format!("{threads} threads"));
    }
}

/// A vocabulary above the 8,192 classes from which `∂X` is summed over blocks of classes
/// (src/loss/linear.rs): the same values as the unfused products, and the same bits on 1, 2
/// and 3 threads.
#[test]
fn a_large_vocabulary_sums_blocks_of_classes_in_order() {
    let k = dense_case(8, (6, 5, 2 * 8192 + 37));
    let want = unfused(&k).unwrap();
    let scale = want.gx.iter().fold(1e-300, |m: f64, x| m.max(x.abs()));
    for chunk in [None, Some(4)] {
        let one = on_threads(&k, 1, chunk);
        close("loss", &one.loss, &want.loss, 1e-13, 1e-300);
        close("grad input", &one.gx, &want.gx, 1e-12, scale);
        close("grad weight", &one.gw, &want.gw, 1e-12, scale);
        close("grad bias", &one.gb, &want.gb, 1e-12, scale);
        for threads in [2, 3] {
            let many = on_threads(&k, threads, chunk);
            assert_same_bits(&one, &many, &format!("{threads} threads, chunk {chunk:?}"));
        }
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn matches_pytorch_linear_cross_entropy() {
    let text = include_str!("fixtures/torch_linear_cross_entropy.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    assert_eq!(doc["torch_version"].as_str(), Some("2.15.0+cu132"));
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 18);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let size = |key: &str| c[key].as_u64().unwrap() as usize;
        let (n, d, v) = (size("n"), size("d"), size("v"));
        let mut opts = CrossEntropyOptions::default()
            .label_smoothing(c["label_smoothing"].as_f64().unwrap())
            .reduction(match c["reduction"].as_str().unwrap() {
                "mean" => Reduction::Mean,
                "sum" => Reduction::Sum,
                _ => Reduction::None,
            });
        if !c["weight"].is_null() {
            opts = opts.weight(DVector::from_vec(floats(&c["weight"])));
        }
        if let Some(i) = c["ignore_index"].as_i64() {
            opts = opts.ignore_index(i);
        }
        let by_index = c["target_kind"] == "indices";
        let k = Case {
            n,
            d,
            v,
            x: floats(&c["input"]),
            w: floats(&c["linear_weight"]),
            b: (!c["linear_bias"].is_null()).then(|| floats(&c["linear_bias"])),
            indices: by_index.then(|| {
                c["target"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_i64().unwrap())
                    .collect()
            }),
            probs: (!by_index).then(|| floats(&c["target"])),
            opts,
        };
        let chunk = Some(size("chunk"));
        for path in ["torch_reference", "torch_chunked"] {
            let torch = &c[path];
            let ours = fused(&k, chunk);
            if torch.get("error").is_some() {
                assert!(
                    matches!(ours, Err(Error::ClassIndexOutOfRange { .. })),
                    "{name}: PyTorch raised {}, we returned {:?}",
                    torch["error"],
                    ours.as_ref().map(|o| o.loss.clone())
                );
                continue;
            }
            let ours = ours.unwrap_or_else(|e| panic!("{name}: {e}"));
            let what = format!("{name} vs {path}");
            close(
                &format!("{what}: loss"),
                &ours.loss,
                &floats(&torch["loss"]),
                1e-13,
                1e-300,
            );
            let gw = floats(&torch["grad_weight"]);
            let gx = floats(&torch["grad_input"]);
            let gscale = gw
                .iter()
                .chain(&gx)
                .fold(1e-300, |m: f64, x| m.max(x.abs()));
            close(&format!("{what}: grad input"), &ours.gx, &gx, 1e-12, gscale);
            close(
                &format!("{what}: grad weight"),
                &ours.gw,
                &gw,
                1e-12,
                gscale,
            );
            if !torch["grad_bias"].is_null() {
                close(
                    &format!("{what}: grad bias"),
                    &ours.gb,
                    &floats(&torch["grad_bias"]),
                    1e-12,
                    gscale,
                );
            }
        }
    }
}

#[test]
fn bad_input_gets_typed_errors() {
    let x = [1.0, 2.0, 3.0, 4.0];
    let w = [0.5, -0.5, 1.0, 1.0, 0.0, 2.0];
    let t: &[i64] = &[0, 2];
    let opts = CrossEntropyOptions::default();
    let chunks = LinearCrossEntropyOptions::default();
    let call = |x: &[f64], w: &[f64], b: Option<&[f64]>, d: usize, t: RowTarget<'_, f64>| {
        linear_cross_entropy(
            x,
            Linear {
                weight: w,
                bias: b,
                in_features: d,
            },
            t,
            &opts,
            chunks,
        )
        .unwrap_err()
        .kind()
    };
    let idx = RowTarget::Indices(t);
    assert_eq!(call(&x, &w, None, 0, idx), "Empty");
    assert_eq!(call(&x, &w, None, 3, idx), "ShapeMismatch");
    assert_eq!(call(&x, &w[..5], None, 2, idx), "ShapeMismatch");
    assert_eq!(call(&x, &[], None, 2, idx), "Empty");
    assert_eq!(call(&x, &w, Some(&[0.0; 2]), 2, idx), "ShapeMismatch");
    assert_eq!(
        call(&[1.0, f64::NAN, 3.0, 4.0], &w, None, 2, idx),
        "InvalidValue"
    );
    assert_eq!(
        call(&x, &[0.5, f64::INFINITY, 1.0, 1.0, 0.0, 2.0], None, 2, idx),
        "InvalidValue"
    );
    assert_eq!(
        call(&x, &w, Some(&[0.0, f64::NEG_INFINITY, 0.0]), 2, idx),
        "InvalidValue"
    );
    assert_eq!(
        call(&x, &w, None, 2, RowTarget::Indices(&[0, 3])),
        "ClassIndexOutOfRange"
    );
    assert_eq!(
        call(&x, &w, None, 2, RowTarget::Indices(&[0])),
        "ShapeMismatch"
    );
    assert_eq!(
        call(&x, &w, None, 2, RowTarget::Indices(&[-100, -100])),
        "UndefinedMean"
    );
    assert_eq!(
        call(&x, &w, None, 2, RowTarget::Probabilities(&[1.0, 0.0, 0.0])),
        "ShapeMismatch"
    );
    let p = [0.5, 0.6, 0.0, 0.0, 0.0, 1.0];
    assert_eq!(
        call(&x, &w, None, 2, RowTarget::Probabilities(&p)),
        "InvalidDistribution"
    );
    // Finite inputs whose products overflow: the error names the logits.
    let huge = [1e300, 1e300, 1.0, 1.0];
    let e = linear_cross_entropy(
        &huge,
        Linear {
            weight: &[1e300, 1e300, 0.0, 0.0, 1.0, 1.0],
            bias: None,
            in_features: 2,
        },
        idx,
        &opts,
        chunks,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidValue {
                what: "logits",
                row: 0,
                col: 0,
                ..
            }
        ),
        "{e:?}"
    );
    // A gradient buffer of the wrong length.
    let (mut gx, mut gw) = (vec![0.0; 3], vec![0.0; 6]);
    let e = linear_cross_entropy_with_grad(
        &x,
        Linear {
            weight: &w,
            bias: None,
            in_features: 2,
        },
        idx,
        &opts,
        chunks,
        LinearGrads {
            input: &mut gx,
            weight: &mut gw,
            bias: None,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), "ShapeMismatch");
}

/// Fuzzing regression (`fuzz/README.md`): kept class weights in the subnormal range make the
/// mean's denominator `Σ w_y = 1e-323`, whose reciprocal overflows. The fast kernels multiply
/// by that reciprocal; the fused loss must instead divide, as the reference does.
#[test]
fn a_subnormal_mean_denominator_is_divided_not_inverted() {
    let k = Case {
        n: 2,
        d: 2,
        v: 2,
        x: vec![0.5, -1.0, 2.0, 0.25],
        w: vec![1.0, 0.0, -0.5, 1.5],
        b: Some(vec![0.1, -0.1]),
        indices: Some(vec![1, 1]),
        probs: None,
        opts: CrossEntropyOptions::default().weight(DVector::from_vec(vec![1.0, 5e-324])),
    };
    let want = unfused(&k).unwrap();
    assert!(want.gx.iter().all(|g| g.is_finite()), "{:?}", want.gx);
    for chunk in [None, Some(1)] {
        let got = fused(&k, chunk).unwrap();
        close("loss", &got.loss, &want.loss, 1e-13, 1e-300);
        close("grad input", &got.gx, &want.gx, 1e-12, 1.0);
        close("grad weight", &got.gw, &want.gw, 1e-12, 1.0);
        close("grad bias", &got.gb, &want.gb, 1e-12, 1.0);
    }
}
