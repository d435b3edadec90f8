//! The bad-input catalogue (`ce_mle::catalogue`): one test per row that no other test file
//! already checks. Library rows assert the exact [`Error::kind`]; CLI rows assert exit status 2
//! and a one-line `error: …` message on stderr. Also: the regression tests of what fuzzing
//! found (`fuzz/`), and the atomic book build.

use std::path::Path;
use std::process::{Command, Output};

use ce_mle::Error;
use ce_mle::loss::nd::{self, NdTarget, SoftmaxOp};
use ce_mle::loss::{self, CrossEntropyOptions, KlDivReduction, Reduction, Target};
use ce_mle::optim::{Adam, Optimizer, Sgd};
use nalgebra::{DMatrix, DVector};
use ndarray::{ArrayD, IxDyn};
use serde_json::{Value, json};

/// The variant name of an error result.
fn kind<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.expect_err("bad input is refused").kind()
}

/// `error.kind` of a `ce-mle loss` case.
fn case_kind(case: Value) -> String {
    let r = ce_mle::cases::result_of(&case);
    r["error"]["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {case}: {r}"))
        .to_string()
}

fn ce_mle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(args)
        .output()
        .expect("the ce-mle binary runs")
}

/// Run a command that must be refused as bad input: exit 2, one line `error: …` on stderr,
/// containing `needle`, nothing on stdout.
fn refused(args: &[&str], needle: &str) {
    let out = ce_mle(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {needle:?} not in {stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}: stdout not empty");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

fn arr(shape: &[usize], v: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

// ------------------------------------------------------------------ losses (nd and f32)

#[test]
fn nd_zero_dimensional_input() {
    let x = arr(&[], vec![1.0]);
    let t = ArrayD::<i64>::zeros(IxDyn(&[]));
    let opts = CrossEntropyOptions::default();
    assert_eq!(
        kind(nd::cross_entropy(
            x.view(),
            NdTarget::Indices(t.view()),
            &opts,
            false
        )),
        "ShapeMismatch"
    );
    assert_eq!(
        kind(nd::softmax_family(x.view(), SoftmaxOp::Softmax, false)),
        "ShapeMismatch"
    );
}

#[test]
fn nd_k_dimensional_index_target_of_the_wrong_shape() {
    // Input (2, 3, 4): the index target must be (2, 4).
    let x = arr(&[2, 3, 4], vec![0.0; 24]);
    let t = ArrayD::<i64>::zeros(IxDyn(&[2, 3]));
    let opts = CrossEntropyOptions::default();
    assert_eq!(
        kind(nd::cross_entropy(
            x.view(),
            NdTarget::Indices(t.view()),
            &opts,
            false
        )),
        "ShapeMismatch"
    );
}

#[test]
fn nd_zero_size_axis_is_empty() {
    // (N, C) = (2, 0): zero classes, whatever the layout.
    let x = arr(&[2, 0], vec![]);
    let t = ArrayD::<i64>::zeros(IxDyn(&[2]));
    let opts = CrossEntropyOptions::default();
    assert_eq!(
        kind(nd::cross_entropy(
            x.view(),
            NdTarget::Indices(t.view()),
            &opts,
            false
        )),
        "Empty"
    );
}

#[test]
fn f32_nan_logit() {
    let z = DMatrix::<f32>::from_row_slice(1, 2, &[0.0, f32::NAN]);
    let opts = CrossEntropyOptions::<f32>::default();
    assert_eq!(
        kind(loss::cross_entropy(&z, Target::Indices(&[0]), &opts)),
        "InvalidValue"
    );
}

#[test]
fn nan_in_a_probability_target() {
    let z = DMatrix::from_row_slice(1, 2, &[0.0, 1.0]);
    let p = DMatrix::from_row_slice(1, 2, &[f64::NAN, 1.0]);
    assert_eq!(
        kind(loss::cross_entropy(
            &z,
            Target::Probabilities(&p),
            &CrossEntropyOptions::default()
        )),
        "InvalidDistribution"
    );
}

#[test]
fn kl_div_negative_target() {
    let x = arr(&[2], vec![-0.5, -1.0]);
    let t = arr(&[2], vec![-0.1, 1.1]);
    assert_eq!(
        kind(nd::kl_div(
            x.view(),
            t.view(),
            KlDivReduction::Sum,
            false,
            false
        )),
        "InvalidValue"
    );
}

#[test]
fn bce_probability_input_outside_unit_interval() {
    let x = arr(&[2], vec![0.5, 1.5]);
    let t = arr(&[2], vec![0.0, 1.0]);
    assert_eq!(
        kind(nd::binary_cross_entropy(
            x.view(),
            t.view(),
            None,
            Reduction::Mean,
            false
        )),
        "InvalidValue"
    );
}

#[test]
fn bce_weight_that_does_not_broadcast() {
    let x = arr(&[2, 3], vec![0.0; 6]);
    let t = arr(&[2, 3], vec![0.0; 6]);
    let w = arr(&[2], vec![1.0, 1.0]);
    assert_eq!(
        kind(nd::binary_cross_entropy_with_logits(
            x.view(),
            t.view(),
            Some(w.view()),
            None,
            Reduction::Mean,
            false
        )),
        "ShapeMismatch"
    );
}

// ------------------------------------------------------------------ loss cases (JSON)

#[test]
fn case_non_number_leaf() {
    let c = json!({"op": "softmax", "input": [[1.0, "two"]]});
    assert_eq!(case_kind(c), "InvalidCase");
    let c = json!({"op": "softmax", "input": [[1.0, null]]});
    assert_eq!(case_kind(c), "InvalidCase");
}

#[test]
fn case_infinite_label_smoothing_is_not_a_number() {
    // JSON has no infinity literal; the spelling "Infinity" is accepted for array values only.
    let c = json!({"op": "cross_entropy", "input": [[1.0, 2.0]], "target": [0],
                   "label_smoothing": "Infinity"});
    assert_eq!(case_kind(c), "InvalidCase");
    let c = json!({"op": "cross_entropy", "input": [[1.0, 2.0]], "target": [0],
                   "label_smoothing": 1e308});
    assert_eq!(case_kind(c), "InvalidLabelSmoothing");
}

#[test]
fn case_nesting_deeper_than_the_parser_allows() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let doc = format!("{{\"op\": \"softmax\", \"input\": {deep}}}");
    assert_eq!(kind(ce_mle::cases::run_json(&doc)), "InvalidCase");
}

// ------------------------------------------------------------------ optimisers, training

#[test]
fn adam_bad_hyper_parameters() {
    for (lr, betas, eps, wd) in [
        (0.0, (0.9, 0.999), 1e-8, 0.0),
        (f64::NAN, (0.9, 0.999), 1e-8, 0.0),
        (1e-3, (1.0, 0.999), 1e-8, 0.0),
        (1e-3, (0.9, -0.1), 1e-8, 0.0),
        (1e-3, (0.9, 0.999), 0.0, 0.0),
        (1e-3, (0.9, 0.999), 1e-8, -1.0),
        (f64::INFINITY, (0.9, 0.999), 1e-8, 0.0),
    ] {
        assert_eq!(
            kind(Adam::with_options(lr, betas, eps, wd)),
            "InvalidHyperParameter",
            "{lr} {betas:?} {eps} {wd}"
        );
    }
}

#[test]
fn sgd_bad_hyper_parameters() {
    assert_eq!(kind(Sgd::new(-0.1)), "InvalidHyperParameter");
    assert_eq!(
        kind(Sgd::with_options(0.1, 1.0, 0.0)),
        "InvalidHyperParameter"
    );
    assert_eq!(
        kind(Sgd::with_options(0.1, 0.9, f64::NAN)),
        "InvalidHyperParameter"
    );
    assert_eq!(
        kind(Sgd::new(0.1).and_then(|s| s.nesterov(true))),
        "InvalidHyperParameter"
    );
    assert_eq!(
        kind(Sgd::new(0.1).and_then(|s| s.dampening(2.0))),
        "InvalidHyperParameter"
    );
}

#[test]
fn optimizer_step_with_mismatched_buffers() {
    let mut adam = Adam::new(1e-3).unwrap();
    let mut w = vec![1.0, 2.0];
    let g = vec![0.1];
    assert_eq!(kind(adam.step(&mut [&mut w], &[&g])), "ShapeMismatch");
    let g = vec![0.1, f64::NAN];
    assert_eq!(kind(adam.step(&mut [&mut w], &[&g])), "InvalidValue");
    assert_eq!(w, [1.0, 2.0], "a failed step changes nothing");
}

#[test]
fn penalties_and_early_stopping_out_of_range() {
    use ce_mle::train::{EarlyStopping, Regularization};
    assert_eq!(
        kind(Regularization::new(-0.1, 0.0)),
        "InvalidHyperParameter"
    );
    assert_eq!(
        kind(Regularization::new(0.0, f64::NAN)),
        "InvalidHyperParameter"
    );
    assert_eq!(
        kind(EarlyStopping::new(0, 0.0, true)),
        "InvalidHyperParameter"
    );
    assert_eq!(
        kind(EarlyStopping::new(3, -1.0, true)),
        "InvalidHyperParameter"
    );
}

#[test]
fn training_with_zero_epochs_or_a_diverging_learning_rate() {
    use ce_mle::train::{SeedConfig, fit, seed_start};
    let (data, model) = seed_start(&SeedConfig::default()).unwrap();
    let mut m = model.clone();
    let mut adam = Adam::new(1e-3).unwrap();
    assert_eq!(kind(fit(&mut m, &data, None, &mut adam, 0, None)), "Empty");
    // A parameter that overflows, and (found by this catalogue) finite parameters whose
    // logits overflow: both are `Diverged`, not an "input" error the user never made.
    for (lr, adam) in [
        (f64::MAX, true),
        (1e307, true),
        (1e308, false),
        (f64::MAX, false),
    ] {
        let mut m = model.clone();
        let r = if adam {
            fit(&mut m, &data, None, &mut Adam::new(lr).unwrap(), 50, None)
        } else {
            fit(&mut m, &data, None, &mut Sgd::new(lr).unwrap(), 50, None)
        };
        assert_eq!(kind(r), "Diverged", "lr {lr:e}, adam {adam}");
    }
}

#[test]
fn validation_split_out_of_range() {
    use ce_mle::train::{SeedConfig, seed_start, split_validation};
    let (data, _) = seed_start(&SeedConfig::default()).unwrap();
    for f in [1.0, -0.1, f64::NAN, 0.001] {
        assert_eq!(
            kind(split_validation(&data, f, 0)),
            "InvalidHyperParameter",
            "{f}"
        );
    }
}

#[test]
fn linear_layer_with_mismatched_bias_or_no_features() {
    use ce_mle::nn::Linear;
    let w = DMatrix::from_element(2, 3, 0.1);
    assert_eq!(
        kind(Linear::from_parameters(w, DVector::zeros(3))),
        "ShapeMismatch"
    );
    assert_eq!(
        kind(Linear::from_parameters(
            DMatrix::zeros(0, 3),
            DVector::zeros(0)
        )),
        "Empty"
    );
}

#[test]
fn recorded_start_with_bad_contents() {
    use ce_mle::train::RecordedStart;
    for text in [
        "not json",
        r#"{"x": [[1, 2], [3]], "y": [0, 0], "init": {"weight": [[1, 2]], "bias": [0]}}"#,
        r#"{"x": [], "y": [], "init": {"weight": [[1]], "bias": [0]}}"#,
        r#"{"x": [[1e999]], "y": [0], "init": {"weight": [[1]], "bias": [0]}}"#,
        r#"{"x": [[1]], "y": [-1], "init": {"weight": [[1]], "bias": [0]}}"#,
        r#"{"x": [[1]], "y": [0], "init": {"weight": [[1]], "bias": [0, 1]}}"#,
    ] {
        assert_eq!(
            kind(RecordedStart::from_json(text, "start.json")),
            "InvalidFile",
            "{text}"
        );
    }
}

// ------------------------------------------------------------------ language model, corpus

#[test]
fn vocabulary_cap_out_of_range() {
    use ce_mle::lm::{MAX_VOCAB, Vocab};
    assert_eq!(kind(Vocab::from_text("abc", 1)), "InvalidHyperParameter");
    assert_eq!(kind(Vocab::from_text("abc", MAX_VOCAB + 1)), "TooLarge");
    assert_eq!(kind(Vocab::from_text("", 10)), "Empty");
}

#[test]
fn corpus_larger_than_the_limit() {
    // A sparse file: 1 GiB + 1 byte of length, no data blocks written.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.txt");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(ce_mle::corpus::MAX_CORPUS_BYTES + 1).unwrap();
    drop(f);
    let e = ce_mle::corpus::load_corpus(&path).unwrap_err();
    assert_eq!(e.kind(), "Corpus");
    assert!(e.to_string().contains("more than"), "{e}");
}

#[cfg(unix)]
#[test]
fn corpus_without_read_permission() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.txt");
    std::fs::write(&path, "some text").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root reads anything: then the file loads, and the row is about non-root users.
    if std::fs::read(&path).is_ok() {
        assert!(ce_mle::corpus::load_corpus(&path).is_ok());
        return;
    }
    assert_eq!(kind(ce_mle::corpus::load_corpus(&path)), "Io");
}

// ------------------------------------------------------------------ outputs

#[test]
fn history_and_figure_in_a_missing_directory() {
    use ce_mle::train::History;
    let dir = tempfile::tempdir().unwrap();
    let h = History {
        train: vec![1.0, 0.5],
        ..History::default()
    };
    let missing = dir.path().join("no").join("h.csv");
    assert_eq!(kind(h.write(&missing)), "Io");
    let chart = ce_mle::plot::Chart::new("t", "x", "y").with_series("", vec![(0.0, 1.0)]);
    let svg = dir.path().join("no").join("f.svg");
    assert_eq!(kind(ce_mle::plot::write_svg(&svg, &chart)), "Io");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn empty_history_has_no_curve() {
    use ce_mle::train::History;
    assert_eq!(
        kind(ce_mle::plot::loss_curve(
            &History::default(),
            &ce_mle::plot::LossCurveText::ENGLISH
        )),
        "Empty"
    );
}

#[test]
fn book_output_where_a_file_blocks_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let e = ce_mle::book::build_books(&blocker.join("book")).unwrap_err();
    assert_eq!(e.kind(), "Io", "{e}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a directory");
}

// ------------------------------------------------------------------ command line

#[test]
fn cli_verify_case_count_out_of_range() {
    refused(&["verify", "--no-book", "--cases", "0"], "--cases");
    refused(&["verify", "--no-book", "--cases", "-5"], "--cases");
}

#[test]
fn cli_bigram_bad_hyper_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "abcabcabc").unwrap();
    refused(
        &["bigram", "--corpus", p(&good), "--max-vocab", "1"],
        "max_vocab",
    );
    refused(&["bigram", "--corpus", p(&good), "--lr", "-1"], "lr");
    refused(&["bigram", "--corpus", p(&good), "--lr", "nan"], "lr");
}

#[test]
fn cli_bigram_directory_as_corpus() {
    let dir = tempfile::tempdir().unwrap();
    refused(&["bigram", "--corpus", p(dir.path())], "not a regular file");
}

#[test]
fn cli_book_build_into_an_unwritable_place() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = ce_mle(&["book", "build", "--out", p(&blocker.join("book"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("file"), "{stderr}");
}

#[test]
fn cli_train_unknown_flag_value() {
    refused(&["train", "--l1-mode", "lasso"], "lasso");
    refused(&["train", "--epochs", "-3"], "epochs");
}

#[test]
fn cli_train_with_a_diverging_learning_rate() {
    refused(
        &["train", "--optimizer", "sgd", "--lr", "1e308"],
        "training diverged",
    );
}

#[test]
fn cli_closed_stderr_still_exits_2_without_a_panic() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ce-mle"))
        .args(["train", "--lr", "-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end of stderr: the one-line message meets a broken pipe.
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a panic exits 101");
}

// ------------------------------------------------------------------ atomic book build

#[test]
fn a_refused_book_build_leaves_the_previous_book() {
    // A previous, complete book at out/en; out/zh is a file, so the zh book (built first)
    // cannot be written: the build is refused before anything is written, out/en is left as
    // it was, and no temporary directory stays behind.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("book");
    std::fs::create_dir_all(out.join("en")).unwrap();
    std::fs::write(out.join("en").join("index.html"), "old").unwrap();
    std::fs::write(out.join("zh"), "a file where the zh book goes").unwrap();
    assert_eq!(kind(ce_mle::book::build_books(&out)), "Io");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["en", "zh"], "no temporary directories left");
    assert_eq!(
        std::fs::read(out.join("en").join("index.html")).unwrap(),
        b"old"
    );
}

// ------------------------------------------------------------------ fuzzing regressions
// Each input a fuzz target of `fuzz/` (see fuzz/README.md) found, minimised, as a test.

/// `fuzz/` loss_cases, first run: kl_div with finite but huge values (an "input" of 1e300
/// is no log-probability, a target of 1e300 no probability) sums +inf and −inf terms to NaN
/// (PyTorch does the same). In `src/loss/kl_div.rs`: reported to its owner; ignored until
/// kl_div refuses such values or the NaN is documented.
#[test]
fn fuzz_kl_div_overflow_is_not_a_silent_nan() {
    let case = json!({"op": "kl_div", "input": [[-2.145553811975552e110], [1e300]],
                      "target": [[1e300], [1e300]]});
    let r = ce_mle::cases::result_of(&case);
    assert_eq!(r["error"]["kind"], "InvalidValue", "{r}");
    // The same magnitudes as real log-probabilities and probabilities are fine.
    let ok = json!({"op": "kl_div", "input": [[-2.145553811975552e110], [-1e300]],
                    "target": [[1.0], [0.5]], "reduction": "sum"});
    let r = ce_mle::cases::result_of(&ok);
    // 2.1e110 + 0.5·(ln 0.5 + 1e300): finite, no NaN.
    let v = r["output"].as_f64().expect("a finite number");
    assert!((v - 5e299).abs() <= 1e-15 * 5e299, "{r}");
}

/// `fuzz/` loss_cases, second run: kl_div with `log_target` and a target log-probability
/// above ~709.8 (not a log-probability at all: it is > 0): `exp(target)` overflows to +inf,
/// and with `input == target` the term is `inf · 0 = NaN` (gradient −inf). Reported with the
/// one above; ignored until kl_div refuses such targets or the NaN is documented.
#[test]
fn fuzz_kl_div_log_target_overflow_is_not_a_silent_nan() {
    let case = json!({"op": "kl_div", "input": 3.5e38, "target": 3.5e38, "log_target": true,
                      "grad": true});
    let r = ce_mle::cases::result_of(&case);
    assert_eq!(r["error"]["kind"], "InvalidValue", "{r}");
}
