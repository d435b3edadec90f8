//! PyTorch golden values: every case of `tests/fixtures/torch_functional.json` (written by
//! `tools/golden/generate.py` with PyTorch 2.15) is run through `ce_mle::torch_json` — the
//! same code as `ce-mle loss` — and compared by `ce_mle_book::verify::golden::functional` (its
//! docs give the tolerances and the rules for documented differences). Run with
//! `--nocapture` for the table.

use serde_json::json;

use ce_mle_book::verify::golden::{TORCH_FUNCTIONAL, compare, functional};

#[test]
fn every_pytorch_case_agrees() {
    let rep = functional().expect("fixtures load");
    eprintln!("torch {} ({} cases)", rep.torch_version, rep.cases);
    eprintln!("worst relative error against PyTorch (op, dtype, part): value, tolerance use, case");
    for ((op, dtype, part), w) in &rep.worst {
        eprintln!(
            "  {op:<34} {dtype:<8} {part:<6} {:.2e}  {:.3}  {}",
            w.agreement.relative, w.agreement.usage, w.case
        );
    }
    eprintln!("rejected by both (PyTorch exception → our Error kind): count");
    for ((t, k), n) in &rep.rejections {
        eprintln!("  {t:<14} → {k:<28} {n}");
    }
    eprintln!("documented refusals (PyTorch answers, we return an error): count");
    for (k, n) in &rep.refusals {
        eprintln!("  {k:<28} {n}");
    }
    eprintln!("where PyTorch is off and we match the exact value:");
    for line in &rep.torch_off {
        eprintln!("  {line}");
    }
    assert!(
        rep.failures.is_empty(),
        "{} disagreements with PyTorch:\n{}",
        rep.failures.len(),
        rep.failures.join("\n")
    );
    assert!(rep.cases >= 300, "only {} cases", rep.cases);
    assert!(rep.worst_usage() <= 1.0);
    // Every op of the format succeeds in both dtypes, with a gradient somewhere.
    for op in [
        "cross_entropy",
        "nll_loss",
        "binary_cross_entropy_with_logits",
        "binary_cross_entropy",
        "kl_div",
        "log_softmax",
        "softmax",
        "logsumexp",
    ] {
        for dtype in ["float64", "float32"] {
            let key = (op.to_string(), dtype.to_string(), "output".to_string());
            assert!(
                rep.worst.contains_key(&key),
                "no successful {op} in {dtype}"
            );
        }
        assert!(
            rep.worst.keys().any(|(o, _, p)| o == op && p == "grad"),
            "no gradient case for {op}"
        );
    }
    // The rejections PyTorch and we share, as the table in `ce_mle::loss` states them.
    for (torch, ours) in [
        ("IndexError", "ClassIndexOutOfRange"),
        ("IndexError", "Empty"),
        ("ValueError", "ShapeMismatch"),
        ("RuntimeError", "ShapeMismatch"),
        ("RuntimeError", "InvalidLabelSmoothing"),
        ("RuntimeError", "IgnoreIndexWithProbabilities"),
        ("RuntimeError", "InvalidValue"),
    ] {
        assert!(
            rep.rejections
                .contains_key(&(torch.to_string(), ours.to_string())),
            "no case maps {torch} to {ours}"
        );
    }
    assert_eq!(
        rep.rejections.len(),
        7,
        "a new exception/kind pair: update the table in ce_mle::loss: {:?}",
        rep.rejections.keys()
    );
}

/// The fixture holds what `every_pytorch_case_agrees` must have compared: the softmax family
/// along axes 0, 2 and −1 of a 3-D input in both dtypes, with gradients, and empty batches
/// `(0, C)` written with `shape`; PyTorch and we both answer every one of them with numbers
/// (so none of them is passed as a shared rejection or a documented refusal).
#[test]
fn pytorch_cases_cover_dim_and_shape() {
    let fixture: serde_json::Value = serde_json::from_str(TORCH_FUNCTIONAL).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    let answered = |c: &serde_json::Value| {
        let ours = ce_mle::torch_json::result_of(&c["case"]);
        c["torch"].get("output").is_some() && ours.get("output").is_some()
    };
    for op in ["log_softmax", "softmax", "logsumexp"] {
        for dim in [0, 2, -1] {
            for dtype in ["float64", "float32"] {
                let found = cases.iter().filter(|c| {
                    let case = &c["case"];
                    case["op"] == op
                        && case["dim"] == dim
                        && case["dtype"].as_str().unwrap_or("float64") == dtype
                        && case["grad"] == true
                        && case["input"][0][0][0].is_number()
                });
                let found: Vec<_> = found.collect();
                assert!(
                    !found.is_empty(),
                    "no {op} dim {dim} {dtype} case on a 3-D input"
                );
                assert!(found.iter().all(|c| answered(c)), "{op} dim {dim} {dtype}");
            }
        }
    }
    let shaped: Vec<_> = cases
        .iter()
        .filter(|c| c["case"]["shape"] == json!([0, 3]))
        .collect();
    for op in [
        "cross_entropy",
        "nll_loss",
        "binary_cross_entropy_with_logits",
        "kl_div",
        "softmax",
        "log_softmax",
        "logsumexp",
    ] {
        assert!(
            shaped.iter().any(|c| c["case"]["op"] == op && answered(c)),
            "no answered (0, 3) case of {op}"
        );
    }
}

/// The comparison can fail: one ulp-scale difference passes, a 1e-11 relative one does not.
#[test]
fn the_comparison_has_teeth() {
    assert!(compare(&json!([1.0]), &json!([1.0 + 2e-16]), "float64").is_ok());
    assert!(compare(&json!([1.0]), &json!([1.0 + 1e-11]), "float64").is_err());
    assert!(compare(&json!([1.0]), &json!([1.0 + 1e-6]), "float32").is_ok());
    assert!(compare(&json!([1.0]), &json!([1.0 + 1e-5]), "float32").is_err());
    assert!(compare(&json!(["NaN"]), &json!([0.0]), "float64").is_err());
    assert!(compare(&json!(["Infinity"]), &json!(["-Infinity"]), "float64").is_err());
    assert!(compare(&json!([1.0, 2.0]), &json!([[1.0, 2.0]]), "float64").is_err());
    // Near 0: an absolute floor of 1e-15 in float64.
    assert!(compare(&json!([1e-16]), &json!([0.0]), "float64").is_ok());
    assert!(compare(&json!([1e-14]), &json!([0.0]), "float64").is_err());
}
