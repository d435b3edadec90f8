//! Accuracy to the last bits: our error in ULPs on the hard cases of
//! `tests/fixtures/precise_hard.json` (exact values from mpmath at 80 digits, written by
//! `tools/precise/hard_cases.py`), measured by `ce_mle_book::accuracy` (its docs define the
//! ULP). Targets, in `f64` and `f32` alike: `cross_entropy` and BCE with logits ≤ 2 ULP,
//! `log_softmax` and `logsumexp` ≤ 4 ULP, `softmax` ≤ 4 ULP for C ≤ 1000.
//! Run with `--nocapture` to see the worst case of each, next to PyTorch's.

use std::sync::OnceLock;

use ce_mle_book::accuracy::{FUNCTIONS, Worst, measure, measure_nudged, ulp, ulp_error};

fn rows() -> &'static [Worst] {
    static ROWS: OnceLock<Vec<Worst>> = OnceLock::new();
    ROWS.get_or_init(|| measure().expect("the hard cases run"))
}

fn check(function: &str, dtype: &str) {
    let w = rows()
        .iter()
        .find(|w| w.function == function && w.dtype == dtype)
        .expect("a row per function and precision");
    eprintln!(
        "{function:<16} {dtype:<8} ours {:.3} ULP at {} (got {:e}, correctly rounded {:e}; {:.3} \
         over all cases at {}), PyTorch {:.3e} ULP at {}",
        w.ours,
        w.ours_case,
        w.ours_value.0,
        w.ours_value.1,
        w.ours_all,
        w.ours_all_case,
        w.torch,
        w.torch_case
    );
    let bad: Vec<String> = w
        .per_case
        .iter()
        .filter(|(_, e)| *e > w.target)
        .map(|(c, e)| format!("{c}: {e:.3} ULP"))
        .collect();
    assert!(
        w.ours <= w.target,
        "{function} {dtype}: worst {} ULP at {} > target {} (cases over the target, softmax \
         with C > 1000 included: {bad:?})",
        w.ours,
        w.ours_case,
        w.target
    );
    assert!(w.per_case.len() >= 10, "only {} cases", w.per_case.len());
}

#[test]
fn log_softmax_f64() {
    check("log_softmax", "float64");
}

#[test]
fn log_softmax_f32() {
    check("log_softmax", "float32");
}

#[test]
fn softmax_f64() {
    check("softmax", "float64");
}

#[test]
fn softmax_f32() {
    check("softmax", "float32");
}

#[test]
fn logsumexp_f64() {
    check("logsumexp", "float64");
}

#[test]
fn logsumexp_f32() {
    check("logsumexp", "float32");
}

#[test]
fn cross_entropy_f64() {
    check("cross_entropy", "float64");
}

#[test]
fn cross_entropy_f32() {
    check("cross_entropy", "float32");
}

#[test]
fn bce_with_logits_f64() {
    check("bce_with_logits", "float64");
}

#[test]
fn bce_with_logits_f32() {
    check("bce_with_logits", "float32");
}

/// The measure has teeth: values 3 representable numbers off are reported as 3 ULP, at 1, at
/// a subnormal, at 0, in both precisions; a wrong infinity or a NaN is infinitely wrong.
#[test]
fn ulp_measure_has_teeth() {
    let up = |x: f64, k: usize| (0..k).fold(x, |x, _| x.next_up());
    let up32 = |x: f32, k: usize| (0..k).fold(x, |x, _| x.next_up());
    assert_eq!(ulp_error(up(1.0, 3), 1.0, "float64"), 3.0);
    assert_eq!(ulp_error(1.0, up(1.0, 3), "float64"), 3.0);
    assert_eq!(ulp_error(up(4.2e-18, 3), 4.2e-18, "float64"), 3.0);
    assert_eq!(ulp_error(up(0.0, 3), 0.0, "float64"), 3.0);
    assert_eq!(ulp_error(up(1e-310, 3), 1e-310, "float64"), 3.0);
    assert_eq!(
        ulp_error(-0.0, 4.2e-18, "float64"),
        4.2e-18 / ulp(4.2e-18, "float64")
    );
    let c = 4.2e-18_f32;
    assert_eq!(
        ulp_error(f64::from(up32(c, 3)), f64::from(c), "float32"),
        3.0
    );
    assert_eq!(ulp_error(f64::from(up32(0.0, 3)), 0.0, "float32"), 3.0);
    assert_eq!(ulp(1.0, "float64"), f64::EPSILON);
    assert_eq!(ulp(1.0, "float32"), f64::from(f32::EPSILON));
    assert_eq!(ulp(0.0, "float64"), 2f64.powi(-1074));
    assert_eq!(ulp(0.0, "float32"), 2f64.powi(-149));
    // Below a power of two the spacing is half the ulp used: one value down is ½ ULP.
    assert_eq!(ulp_error(1.0f64.next_down(), 1.0, "float64"), 0.5);
    assert_eq!(ulp_error(f64::INFINITY, f64::INFINITY, "float64"), 0.0);
    assert_eq!(ulp_error(f64::MAX, f64::INFINITY, "float64"), f64::INFINITY);
    assert_eq!(ulp_error(f64::NAN, 1.0, "float64"), f64::INFINITY);
    assert_eq!(ulp_error(0.0, 0.0, "float32"), 0.0);

    // On the fixture: every result moved 3 values up is reported at least 3 ULP off, and a
    // case we round correctly (the loss log1p(e^-40) = 4.2e-18) exactly 3.
    let nudged = measure_nudged(3).expect("the hard cases run");
    for w in &nudged {
        let row = rows()
            .iter()
            .find(|r| r.function == w.function && r.dtype == w.dtype)
            .expect("same rows");
        for ((case, e3), (_, e0)) in w.per_case.iter().zip(&row.per_case) {
            // (0 only where every output is infinite and so not moved)
            if *e0 == 0.0 {
                assert!(
                    *e3 == 0.0 || *e3 >= 3.0,
                    "{} {} {case}: {e3}",
                    w.function,
                    w.dtype
                );
            }
        }
        if w.function == "cross_entropy" {
            let (_, e) = w
                .per_case
                .iter()
                .find(|(c, _)| c == "c2_0_m40")
                .expect("the case exists");
            assert_eq!(*e, 3.0, "{}", w.dtype);
        }
    }
    assert_eq!(nudged.len(), FUNCTIONS.len() * 2);
}

/// The ULP table (`book/generated/maintainers-ulp.md`): one row per function and precision,
/// ours and PyTorch's worst.
#[test]
fn appendix_table_has_a_row_per_function_and_precision() {
    let t = ce_mle_book::accuracy::ulp_table().expect("renders");
    eprintln!("{t}");
    assert_eq!(t.lines().count(), FUNCTIONS.len() * 2);
    for (f, _) in FUNCTIONS {
        assert_eq!(t.matches(&format!("| `{f}` |")).count(), 2, "{f}");
    }
}
