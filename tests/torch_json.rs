//! `ce_mle::torch_json` (the JSON format of `ce-mle loss`), the K-dimensional and unbatched
//! forms of `ce_mle::loss::nd`, and the `f32` path ("computed in f64, rounded once"). The
//! command `ce-mle loss` itself is tested in `book/tests/loss_cli.rs`.

use nalgebra::{DMatrix, DVector};
use ndarray::{ArrayD, IxDyn};
use quickcheck_macros::quickcheck;
use serde_json::{Value, json};

use ce_mle::loss::nd::{self, NdTarget};
use ce_mle::loss::{
    CrossEntropyOptions, KlDivOptions, KlDivReduction, Reduction, Target, cross_entropy,
    cross_entropy_with_grad, kl_div,
};
use ce_mle::torch_json::{result_of, run_json};

fn kind(v: &Value) -> &str {
    v["error"]["kind"].as_str().unwrap_or("<no error>")
}

#[test]
fn a_case_gives_pytorch_shaped_output_and_grad() {
    // ln(1 + e^-1 + e^-1.9) by hand: the first class has the largest logit.
    let r = result_of(&json!({"op": "cross_entropy", "input": [[2.0, 1.0, 0.1]],
                               "target": [0], "grad": true, "name": "one"}));
    let expected = (1.0 + (-1.0f64).exp() + (-1.9f64).exp()).ln();
    assert_eq!(r["name"], "one");
    assert!((r["output"].as_f64().unwrap() - expected).abs() < 1e-15);
    let g = r["grad"].as_array().unwrap()[0].as_array().unwrap();
    let s: f64 = g.iter().map(|x| x.as_f64().unwrap()).sum();
    assert_eq!(g.len(), 3);
    assert!(s.abs() < 1e-15, "softmax − onehot sums to 0, got {s}");
    assert!(g[0].as_f64().unwrap() < 0.0 && g[1].as_f64().unwrap() > 0.0);
}

#[test]
fn non_finite_numbers_are_strings_both_ways() {
    let r = result_of(&json!({"op": "log_softmax", "input": ["-Infinity", 0.0]}));
    assert_eq!(r["output"], json!(["-Infinity", 0.0]));
    let r = result_of(&json!({"op": "logsumexp", "input": [["-inf", "-INF"]]}));
    assert_eq!(r["output"], json!(["-Infinity"]));
    let r = result_of(&json!({"op": "cross_entropy", "input": [["NaN", 0.0]], "target": [0]}));
    assert_eq!(kind(&r), "InvalidValue");
    let r = result_of(&json!({"op": "softmax", "input": [["infinite", 0.0]]}));
    assert_eq!(kind(&r), "InvalidCase");
}

#[test]
fn float32_cases_are_rounded_to_f32() {
    let r = result_of(&json!({"op": "softmax", "input": [0.1, 0.2], "dtype": "float32"}));
    let out: Vec<f64> = r["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    for x in out {
        assert_eq!(x, f64::from(x as f32), "{x} is not an f32 value");
    }
}

#[test]
fn misspelt_or_misplaced_options_are_refused() {
    for (case, needle) in [
        (
            json!({"op": "cross_entropy", "input": [[1.0]], "target": [0], "reduce": "sum"}),
            "unknown field `reduce`",
        ),
        (
            json!({"op": "softmax", "input": [[1.0]], "target": [0]}),
            "takes no target",
        ),
        (
            json!({"op": "nll_loss", "input": [[0.0]], "target": [0], "label_smoothing": 0.1}),
            "takes no label_smoothing",
        ),
        (
            json!({"op": "cross_entropy", "input": [[1.0]], "target": [0], "reduction": "batchmean"}),
            "not valid for CrossEntropy",
        ),
        (
            json!({"op": "cross_entropy", "input": [[1.0, 2.0]]}),
            "needs a target",
        ),
        (
            json!({"op": "hinge", "input": [1.0]}),
            "unknown variant `hinge`",
        ),
        (
            json!({"op": "softmax", "input": [[1.0, 2.0], [3.0]]}),
            "ragged",
        ),
        (json!({"op": "softmax", "input": [[1.0], 2.0]}), "ragged"),
        (
            json!({"op": "softmax", "input": [1.0], "dtype": "float16"}),
            "unknown variant `float16`",
        ),
        (
            json!({"op": "nll_loss", "input": [[0.0]], "target": [9223372036854775808u64]}),
            "does not fit in int64",
        ),
    ] {
        let r = result_of(&case);
        assert_eq!(kind(&r), "InvalidCase", "{case} gave {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{case}: {msg:?} lacks {needle:?}");
    }
}

/// What only the text shows: integers beyond u64 (which `serde_json` reads as floats) and
/// fields written twice.
#[test]
fn integers_beyond_u64_and_duplicate_fields_are_refused() {
    for (text, needle) in [
        (
            r#"{"op": "cross_entropy", "input": [[0.0, 1.0]], "target": [18446744073709551616]}"#,
            "target: 18446744073709551616 does not fit in int64",
        ),
        (
            r#"{"op": "nll_loss", "input": [[0.0, 1.0]], "target": [-9223372036854775809]}"#,
            "target: -9223372036854775809 does not fit in int64",
        ),
        (
            r#"{"op": "softmax", "input": [1.0], "input": [2.0]}"#,
            "duplicate field `input`",
        ),
    ] {
        let r = run_json(text).unwrap();
        assert_eq!(kind(&r), "InvalidCase", "{text}: {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{text}: {msg}");
    }
    // As numbers of an input they are floats, as before.
    let r = run_json(r#"{"op": "softmax", "input": [18446744073709551616, 18446744073709551616]}"#)
        .unwrap();
    assert_eq!(r["output"], json!([0.5, 0.5]));
}

#[test]
fn a_float_target_of_the_wrong_shape_says_indices_must_be_integers() {
    let r = result_of(&json!({"op": "cross_entropy", "input": [[1.0, 2.0]], "target": [1.0]}));
    assert_eq!(kind(&r), "ShapeMismatch");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("class indices must be JSON integers such as 2, not 2.0"),
        "{msg}"
    );
}

#[test]
fn a_list_gives_a_list_in_order_and_bad_documents_are_errors() {
    let r =
        run_json(r#"[{"op":"softmax","input":[0.0,0.0]},{"op":"softmax","input":[[]]}]"#).unwrap();
    let a = r.as_array().unwrap();
    assert_eq!(a[0]["output"], json!([0.5, 0.5]));
    assert_eq!(kind(&a[1]), "Empty");
    for bad in ["", "[1", "3", "\"x\"", "null"] {
        let e = run_json(bad).unwrap_err();
        assert_eq!(e.kind(), "InvalidCase", "{bad:?}");
    }
}

#[test]
fn k_dimensional_cross_entropy_is_the_flattened_one() {
    // (N, C, d1) = (2, 3, 2): position (n, d) is a sample with logits input[n, :, d].
    let data: Vec<f64> = (0..12).map(|i| (f64::from(i) * 0.7).sin() * 3.0).collect();
    let input = ArrayD::from_shape_vec(IxDyn(&[2, 3, 2]), data.clone()).unwrap();
    let target = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0i64, 2, -100, 1]).unwrap();
    let w = DVector::from_vec(vec![1.0, 2.0, 0.5]);
    let opts = CrossEntropyOptions::default().weight(w.clone());
    let out =
        nd::cross_entropy(input.view(), NdTarget::Indices(target.view()), &opts, true).unwrap();
    // The same samples by hand, as rows (n, d) in row-major order.
    let rows = DMatrix::from_fn(4, 3, |r, c| data[(r / 2) * 6 + c * 2 + r % 2]);
    let (flat, g) = cross_entropy_with_grad(
        &rows,
        Target::Indices(&[0, 2, -100, 1]),
        &CrossEntropyOptions::default().weight(w),
    )
    .unwrap();
    assert_eq!(out.output.shape(), &[] as &[usize]);
    assert_eq!(out.output[IxDyn(&[])], flat.scalar().unwrap());
    let grad = out.grad.unwrap();
    assert_eq!(grad.shape(), &[2, 3, 2]);
    for r in 0..4 {
        for c in 0..3 {
            assert_eq!(grad[IxDyn(&[r / 2, c, r % 2])], g[(r, c)]);
        }
    }
    // Reduction::None keeps (N, d1).
    let none = nd::cross_entropy(
        input.view(),
        NdTarget::Indices(target.view()),
        &CrossEntropyOptions::default().reduction(Reduction::None),
        false,
    )
    .unwrap();
    assert_eq!(none.output.shape(), &[2, 2]);
    assert_eq!(none.output[IxDyn(&[1, 0])], 0.0, "ignored position");
}

#[test]
fn unbatched_input_takes_a_scalar_target() {
    let input = ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.0, 0.0, 0.0]).unwrap();
    let t = ArrayD::from_elem(IxDyn(&[]), 1i64);
    let out = nd::cross_entropy(
        input.view(),
        NdTarget::Indices(t.view()),
        &CrossEntropyOptions::default().reduction(Reduction::None),
        false,
    )
    .unwrap();
    assert_eq!(out.output.ndim(), 0);
    assert!((out.output[IxDyn(&[])] - 3f64.ln()).abs() < 1e-15);
    let wrong = ArrayD::from_shape_vec(IxDyn(&[1]), vec![1i64]).unwrap();
    let e = nd::cross_entropy(
        input.view(),
        NdTarget::Indices(wrong.view()),
        &CrossEntropyOptions::default(),
        false,
    )
    .unwrap_err();
    assert_eq!(e.kind(), "ShapeMismatch");
}

#[test]
fn kl_div_batchmean_is_the_mean_kl_per_sample() {
    let p = DMatrix::from_row_slice(2, 2, &[0.25, 0.75, 1.0, 0.0]);
    let q = DMatrix::from_row_slice(2, 2, &[0.5, 0.5, 0.9, 0.1]);
    let kl_by_hand =
        (0.25 * (0.25f64 / 0.5).ln() + 0.75 * (0.75f64 / 0.5).ln()) + (1.0f64 / 0.9).ln();
    let opts = KlDivOptions {
        reduction: KlDivReduction::BatchMean,
        log_target: false,
    };
    let l = kl_div(&q.map(f64::ln), &p, &opts)
        .unwrap()
        .scalar()
        .unwrap();
    assert!(
        (l - kl_by_hand / 2.0).abs() < 1e-15,
        "{l} vs {}",
        kl_by_hand / 2.0
    );
    let with_log_target = kl_div(
        &q.map(f64::ln),
        &p.map(f64::ln),
        &KlDivOptions {
            log_target: true,
            ..opts
        },
    )
    .unwrap()
    .scalar()
    .unwrap();
    assert!((with_log_target - l).abs() < 1e-15);
    let mean = kl_div(&q.map(f64::ln), &p, &KlDivOptions::default())
        .unwrap()
        .scalar()
        .unwrap();
    assert!(
        (mean - kl_by_hand / 4.0).abs() < 1e-15,
        "PyTorch's mean ÷ N·C"
    );
}

/// The `f32` path is the `f64` computation rounded once: bit for bit.
#[quickcheck]
fn f32_is_f64_rounded_once(raw: Vec<(i16, i16, i16)>, label: u8) -> bool {
    if raw.is_empty() {
        return true;
    }
    let n = raw.len();
    let z32 = DMatrix::from_fn(n, 3, |r, c| {
        let (a, b, d) = raw[r];
        f32::from([a, b, d][c]) / 97.0
    });
    let z64 = z32.map(f64::from);
    let y: Vec<i64> = (0..n)
        .map(|r| ((usize::from(label) + r) % 3) as i64)
        .collect();
    let opts32 = CrossEntropyOptions::<f32>::default().label_smoothing(0.1);
    let opts64 = CrossEntropyOptions::<f64>::default().label_smoothing(0.1);
    let (l32, g32) = cross_entropy_with_grad(&z32, Target::Indices(&y), &opts32).unwrap();
    let (l64, g64) = cross_entropy_with_grad(&z64, Target::Indices(&y), &opts64).unwrap();
    let same_loss = l32.scalar().unwrap() == l64.scalar().unwrap() as f32;
    let same_grad = g32.iter().zip(g64.iter()).all(|(&a, &b)| a == b as f32);
    let plain = cross_entropy(&z32, Target::Indices(&y), &opts32).unwrap() == l32;
    same_loss && same_grad && plain
}

/// `dim` as PyTorch's: the softmax family along axes 0, 1, 2 and −1 of a 3-D input equals the
/// reference along the class axis of the array with that axis moved last; axes the input does
/// not have are refused.
#[test]
fn softmax_family_along_any_axis() {
    use ce_mle::loss::nd::{SoftmaxOp, softmax_family_dim};
    let shape = [2, 3, 4];
    let x = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
        (i[0] as f64) * 1.7 - (i[1] as f64) * 0.9 + (i[2] as f64).powi(2) * 0.31
    });
    for dim in [0isize, 1, 2, -1, -3] {
        let axis = if dim < 0 {
            (dim + 3) as usize
        } else {
            dim as usize
        };
        // The input with `axis` last, as (rows, C).
        let mut order: Vec<usize> = (0..3).filter(|&a| a != axis).collect();
        order.push(axis);
        let moved = x.view().permuted_axes(IxDyn(&order));
        let c = shape[axis];
        let rows = 24 / c;
        let m = DMatrix::from_row_iterator(rows, c, moved.iter().copied());
        for (op, want) in [
            (
                SoftmaxOp::Softmax,
                ce_mle::loss::reference::softmax(&m).unwrap(),
            ),
            (
                SoftmaxOp::LogSoftmax,
                ce_mle::loss::reference::log_softmax(&m).unwrap(),
            ),
        ] {
            let got = softmax_family_dim(x.view(), op, dim, false).unwrap().output;
            let got_moved = got.view().permuted_axes(IxDyn(&order));
            for (g, w) in got_moved.iter().zip(want.transpose().iter()) {
                assert!(
                    (g - w).abs() <= 4.0 * f64::EPSILON * w.abs().max(1.0),
                    "{op:?} dim {dim}: {g} vs {w}"
                );
            }
        }
        let lse = softmax_family_dim(x.view(), SoftmaxOp::LogSumExp, dim, true).unwrap();
        let want = ce_mle::loss::reference::logsumexp(&m).unwrap();
        let mut kept = shape.to_vec();
        kept.remove(axis);
        assert_eq!(lse.output.shape(), kept.as_slice());
        let flat: Vec<f64> = lse
            .output
            .view()
            .permuted_axes(IxDyn(&(0..2).collect::<Vec<_>>()))
            .iter()
            .copied()
            .collect();
        for (g, w) in flat.iter().zip(want.iter()) {
            assert!(
                (g - w).abs() <= 4.0 * f64::EPSILON * w.abs(),
                "lse dim {dim}: {g} vs {w}"
            );
        }
        // The gradient of Σ logsumexp is the softmax along that axis.
        let sm = softmax_family_dim(x.view(), SoftmaxOp::Softmax, dim, false)
            .unwrap()
            .output;
        let g = lse.grad.unwrap();
        for (a, b) in g.iter().zip(sm.iter()) {
            assert!((a - b).abs() <= 4.0 * f64::EPSILON, "lse grad dim {dim}");
        }
    }
    for dim in [3isize, -4] {
        let e = softmax_family_dim(x.view(), SoftmaxOp::Softmax, dim, false).unwrap_err();
        assert_eq!(e.kind(), "ShapeMismatch", "dim {dim}");
        assert!(e.to_string().contains("dim"), "{e}");
    }
}

fn output_f64s(v: &Value) -> Vec<f64> {
    fn walk(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            x => out.push(x.as_f64().expect("a number")),
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out
}

/// `-0` is a JSON integer: the class index 0 (it used to make a probability target, since
/// `serde_json` reads `-0` as the float −0.0). `-0.0` is not an integer.
#[test]
fn minus_zero_integer_is_the_class_index_zero() {
    // (N, C, d1) = (1, 3, 2): position d has logits input[0, :, d] and class target[0][d].
    let input = json!([[[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]]]);
    let r = result_of(
        &json!({"op": "cross_entropy", "input": input, "target": [[-0, 1]],
                               "reduction": "none"}),
    );
    // By hand: ln Σ_c e^{z_c} − z_y at each position.
    let lse = |z: [f64; 3]| z.iter().map(|x| x.exp()).sum::<f64>().ln();
    let want = [lse([1.0, 0.5, -1.0]) - 1.0, lse([-2.0, 0.0, 3.0]) - 0.0];
    let got = output_f64s(&r["output"]);
    assert_eq!(got.len(), 2, "{r}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 4.0 * f64::EPSILON * w, "{g} vs {w}");
    }
    let plain = result_of(
        &json!({"op": "cross_entropy", "input": input, "target": [[0, 1]],
                                   "reduction": "none"}),
    );
    assert_eq!(r, plain);
    // The issue's example: a 2-D input with target [[-0, 1]] is a probability target of the
    // wrong shape no more, but class indices of the wrong shape.
    let r = result_of(&json!({"op": "cross_entropy", "input": [[1.0, 2.0]], "target": [[-0, 1]]}));
    assert_eq!(kind(&r), "ShapeMismatch");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("(1,)"),
        "{r}"
    );
    // nll_loss takes `-0` as an index too: −input[0, 0].
    let r = result_of(&json!({"op": "nll_loss", "input": [[-0.25, -1.5]], "target": [-0]}));
    assert_eq!(r["output"], json!(0.25));
    // `-0.0` is a float: a probability target (one-hot on class 1 here), ln(1 + e^{-1}).
    let r = result_of(&json!({"op": "cross_entropy", "input": [[1.0, 2.0]],
                               "target": [[-0.0, 1.0]]}));
    let want = (1.0 + (-1.0f64).exp()).ln();
    assert!(
        (r["output"].as_f64().unwrap() - want).abs() <= 2.0 * f64::EPSILON,
        "{r}"
    );
    // As an input value `-0` stays −0.0, as serde_json reads it: BCE with logits at x = −0
    // and x = 0 has the gradient σ(x) − y = 0.5 − 1 either way, and the input echoes in
    // softmax-free ops unchanged; here log_softmax of [−0] is exactly 0.
    let r = result_of(&json!({"op": "log_softmax", "input": [-0]}));
    assert_eq!(r["output"], json!([0.0]));
}

/// `dim` as PyTorch's: values by hand on a 2-D input, negative dims, the default (the
/// class axis), and the refusals.
#[test]
fn dim_chooses_the_axis_of_the_softmax_family() {
    let ln3 = 3f64.ln();
    // Columns [0, ln 3] along dim 0: softmax (1/4, 3/4); logsumexp ln 4.
    let x = json!([[0.0, 0.0], [ln3, ln3]]);
    for dim in [json!(0), json!(-2)] {
        let r = result_of(&json!({"op": "softmax", "input": x, "dim": dim}));
        let got = output_f64s(&r["output"]);
        for (g, w) in got.iter().zip([0.25, 0.25, 0.75, 0.75]) {
            assert!((g - w).abs() <= 2.0 * f64::EPSILON, "dim {dim}: {r}");
        }
        let r = result_of(&json!({"op": "logsumexp", "input": x, "dim": dim, "grad": true}));
        let got = output_f64s(&r["output"]);
        assert_eq!(got.len(), 2);
        for g in got {
            assert!(
                (g - 4f64.ln()).abs() <= 2.0 * f64::EPSILON,
                "dim {dim}: {r}"
            );
        }
        // ∂ Σ logsumexp / ∂x is the softmax along the same axis.
        let g = output_f64s(&r["grad"]);
        for (g, w) in g.iter().zip([0.25, 0.25, 0.75, 0.75]) {
            assert!((g - w).abs() <= 2.0 * f64::EPSILON, "dim {dim}: {r}");
        }
        let r = result_of(&json!({"op": "log_softmax", "input": x, "dim": dim}));
        let got = output_f64s(&r["output"]);
        for (g, w) in got
            .iter()
            .zip([-(4f64.ln()), -(4f64.ln()), (0.75f64).ln(), (0.75f64).ln()])
        {
            assert!(
                (g - w).abs() <= 2.0 * f64::EPSILON * w.abs(),
                "dim {dim}: {r}"
            );
        }
    }
    // dim 1 = dim −1 = the default for a 2-D input: rows [0, 0] and [ln 3, ln 3] are uniform.
    let default = result_of(&json!({"op": "softmax", "input": x}));
    assert_eq!(output_f64s(&default["output"]), vec![0.5; 4]);
    for dim in [1, -1] {
        assert_eq!(
            result_of(&json!({"op": "softmax", "input": x, "dim": dim})),
            default
        );
    }
    // Axes the input does not have; a dim that is not one integer; an op without dim.
    for (case, want, needle) in [
        (
            json!({"op": "softmax", "input": x, "dim": 2}),
            "ShapeMismatch",
            "dim",
        ),
        (
            json!({"op": "logsumexp", "input": x, "dim": -3}),
            "ShapeMismatch",
            "dim",
        ),
        (
            json!({"op": "log_softmax", "input": [1.0], "dim": 1}),
            "ShapeMismatch",
            "dim",
        ),
        (
            json!({"op": "softmax", "input": x, "dim": 1.0}),
            "InvalidCase",
            "expected i64",
        ),
        (
            json!({"op": "logsumexp", "input": x, "dim": [0, 1]}),
            "InvalidCase",
            "expected i64",
        ),
        (
            json!({"op": "cross_entropy", "input": x, "target": [0, 1], "dim": 1}),
            "InvalidCase",
            "takes no dim",
        ),
    ] {
        let r = result_of(&case);
        assert_eq!(kind(&r), want, "{case}: {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{case}: {msg}");
    }
}

/// `shape` writes the empty batch `(0, C)` that `[]` alone cannot; it must agree with the
/// nested list.
#[test]
fn shape_writes_an_empty_batch_and_must_agree_with_the_list() {
    // Without `shape`, `[]` is a 1-D input with zero classes.
    let r = result_of(&json!({"op": "cross_entropy", "input": [], "target": [],
                               "reduction": "sum"}));
    assert_eq!(kind(&r), "Empty");
    // (0, 3): no samples, a sum of nothing (PyTorch: tensor(0.)), an empty gradient.
    let r = result_of(&json!({"op": "cross_entropy", "input": [], "shape": [0, 3],
                               "target": [], "reduction": "sum", "grad": true}));
    assert_eq!(r["output"], json!(0.0), "{r}");
    assert_eq!(r["grad"], json!([]));
    let r = result_of(&json!({"op": "cross_entropy", "input": [], "shape": [0, 3],
                               "target": [], "reduction": "none"}));
    assert_eq!(r["output"], json!([]), "{r}");
    // A class-index target of the wrong length is still one (N = 0 samples, 1 target).
    let r = result_of(&json!({"op": "cross_entropy", "input": [], "shape": [0, 3],
                               "target": [1], "reduction": "sum"}));
    assert_eq!(kind(&r), "ShapeMismatch", "{r}");
    // softmax along the 3 classes of no rows: nothing; logsumexp keeps the empty axis.
    let r = result_of(&json!({"op": "softmax", "input": [], "shape": [0, 3], "grad": true}));
    assert_eq!((&r["output"], &r["grad"]), (&json!([]), &json!([])), "{r}");
    let r = result_of(&json!({"op": "logsumexp", "input": [], "shape": [0, 3], "dim": -1}));
    assert_eq!(r["output"], json!([]), "{r}");
    // (2, 0, 4) is `[[], []]`: the list says (2, 0), `shape` the last axis.
    let r = result_of(
        &json!({"op": "log_softmax", "input": [[], []], "shape": [2, 0, 4],
                               "dim": 2}),
    );
    assert_eq!(r["output"], json!([[], []]), "{r}");
    // A `shape` equal to the list's changes nothing.
    let a = result_of(&json!({"op": "softmax", "input": [[1.0, 2.0]], "shape": [1, 2]}));
    let b = result_of(&json!({"op": "softmax", "input": [[1.0, 2.0]]}));
    assert_eq!(a, b);
    // Disagreements: InvalidCase, naming both shapes.
    for (input, shape) in [
        (json!([[1.0, 2.0]]), json!([2, 1])),
        (json!([[1.0, 2.0]]), json!([1, 2, 1])),
        (json!([[]]), json!([0, 3])),
        (json!([]), json!([3, 0])),
        (json!(1.0), json!([1])),
    ] {
        let r = result_of(&json!({"op": "softmax", "input": input, "shape": shape}));
        assert_eq!(kind(&r), "InvalidCase", "{input} {shape}: {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("does not match the nested list of input"),
            "{msg}"
        );
    }
    // Sizes that cannot be allocated, even around a zero: TooLarge, not a panic.
    let r = result_of(&json!({"op": "softmax", "input": [], "shape": [0, 1u64 << 40, 1u64 << 40]}));
    assert_eq!(kind(&r), "TooLarge", "{r}");
    let r = result_of(&json!({"op": "softmax", "input": [], "shape": [0, -1]}));
    assert_eq!(kind(&r), "InvalidCase", "{r}");
}

/// Ragged lists are refused with the depth, whatever the position of the odd list.
#[test]
fn ragged_lists_name_what_and_where() {
    for (input, needle) in [
        (json!([[1.0, 2.0], [3.0]]), "lengths 2 and 1 at depth 1"),
        (
            json!([[[1.0], [2.0]], [[3.0], [4.0, 5.0]]]),
            "lengths 1 and 2 at depth 2",
        ),
        (json!([[], [1.0]]), "lengths 0 and 1 at depth 1"),
        (
            json!([1.0, [2.0]]),
            "a list where a number was expected at depth 1",
        ),
        (
            json!([[1.0], 2.0]),
            "a number where a list was expected at depth 1",
        ),
        (
            json!([[], 2.0]),
            "a number where a list was expected at depth 1",
        ),
    ] {
        let r = result_of(&json!({"op": "softmax", "input": input}));
        assert_eq!(kind(&r), "InvalidCase");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("input: ragged nested list ({needle})")),
            "{input}: {msg}"
        );
    }
    // The target's raggedness is the target's.
    let r = result_of(&json!({"op": "cross_entropy", "input": [[1.0, 2.0]], "target": [[0], 1]}));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("target: ragged"),
        "{r}"
    );
}

/// `Document::write` (what `ce-mle loss` runs) prints what `serde_json` prints for
/// `run_json`'s value, compact and indented, one case or a list.
#[test]
fn streamed_results_are_the_values_serde_json_prints() {
    use ce_mle::torch_json::Document;
    let text = r#"[{"name": "a", "op": "cross_entropy", "input": [[1.5, "-Infinity", 0.25]],
                   "target": [0], "grad": true, "dtype": "float32"},
                  {"op": "softmax", "input": [[1e300, -1e300]], "grad": true},
                  {"op": "nll_loss", "input": [[0.0]], "target": [2]},
                  {"op": "logsumexp", "input": [[], []]}]"#;
    for doc in [
        text.to_string(),
        serde_json::to_string(&json!({"op": "softmax", "input": [0.5, 2.0]})).unwrap(),
        "[]".to_string(),
    ] {
        let value = run_json(&doc).unwrap();
        for pretty in [false, true] {
            let mut out = Vec::new();
            Document::parse(doc.clone())
                .unwrap()
                .write(&mut out, pretty)
                .unwrap();
            let want = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
    assert_eq!(Document::parse(text.to_string()).unwrap().len(), 4);
    assert_eq!(Document::parse("{\"op\": 1}".into()).unwrap().len(), 1);
    assert!(Document::parse("[]".into()).unwrap().is_empty());
}

/// `ce-mle loss` computes the gradients of log_softmax and logsumexp after writing the output
/// (to hold less memory at once); they must be, bit for bit, what
/// `loss::nd::softmax_family_dim` returns with `want_grad`, in both dtypes, along every axis,
/// on the kernels' fast path and on inputs that send them to the reference (−∞, 1e300).
#[test]
fn deferred_softmax_family_gradients_are_the_kernels() {
    use ce_mle::loss::nd::{SoftmaxOp, softmax_family, softmax_family_dim};
    let smooth: Vec<f64> = (0..24).map(|i| (f64::from(i) * 1.3).sin() * 4.0).collect();
    let mut hard = smooth.clone();
    hard[1] = f64::NEG_INFINITY;
    hard[6] = 1e300;
    hard[7] = -1e300;
    hard[13] = f64::NEG_INFINITY;
    for (name, op) in [
        ("log_softmax", SoftmaxOp::LogSoftmax),
        ("logsumexp", SoftmaxOp::LogSumExp),
    ] {
        for values in [&smooth, &hard] {
            for dim in [None, Some(0isize), Some(1), Some(2), Some(-1)] {
                let x = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), values.clone()).unwrap();
                let mut case = json!({"op": name, "input": to_json(&x), "grad": true});
                if let Some(d) = dim {
                    case["dim"] = json!(d);
                }
                for dtype in ["float64", "float32"] {
                    case["dtype"] = json!(dtype);
                    let r = result_of(&case);
                    let want: Result<Vec<f64>, _> = if dtype == "float64" {
                        match dim {
                            None => softmax_family(x.view(), op, true),
                            Some(d) => softmax_family_dim(x.view(), op, d, true),
                        }
                        .map(|o| o.grad.unwrap().iter().copied().collect())
                    } else {
                        let x32 = x.mapv(|v| v as f32);
                        match dim {
                            None => softmax_family(x32.view(), op, true),
                            Some(d) => softmax_family_dim(x32.view(), op, d, true),
                        }
                        .map(|o| o.grad.unwrap().iter().map(|&v| f64::from(v)).collect())
                    };
                    let want = match want {
                        Ok(w) => w,
                        // (1e300 is +inf in float32: refused by both.)
                        Err(e) => {
                            assert_eq!(kind(&r), e.kind(), "{case}: {r}");
                            continue;
                        }
                    };
                    let got: Vec<f64> = r["grad"]
                        .as_array()
                        .map(|a| {
                            fn leaves(v: &Value, out: &mut Vec<f64>) {
                                match v {
                                    Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
                                    Value::String(s) if s == "NaN" => out.push(f64::NAN),
                                    x => out.push(x.as_f64().expect("a number")),
                                }
                            }
                            let mut out = Vec::new();
                            a.iter().for_each(|x| leaves(x, &mut out));
                            out
                        })
                        .unwrap_or_else(|| panic!("{case}: {r}"));
                    assert_eq!(got.len(), 24, "{case}: {r}");
                    for (g, w) in got.iter().zip(&want) {
                        assert_eq!(g.to_bits(), w.to_bits(), "{case}: {g} vs {w}");
                    }
                }
            }
        }
    }
}

fn to_json(a: &ArrayD<f64>) -> Value {
    fn build(data: &[f64], shape: &[usize]) -> Value {
        match shape.split_first() {
            None => {
                let x = data[0];
                if x == f64::NEG_INFINITY {
                    json!("-Infinity")
                } else {
                    json!(x)
                }
            }
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                Value::Array(
                    (0..n)
                        .map(|i| build(&data[i * stride..(i + 1) * stride], rest))
                        .collect(),
                )
            }
        }
    }
    build(a.as_slice().unwrap(), a.shape())
}
