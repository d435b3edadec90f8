//! The fast kernels against the slow reference loops (`ce_mle::loss::reference`), as PyTorch
//! tests its kernels: the same cases through both, on every layout the kernels serve
//! (nalgebra's column-major matrices, PyTorch's row-major slices, rows longer than one
//! online chunk), in `f64` and `f32`, with every option, non-finite logits and bad input.
//! Results agree to a few ULP; errors are the same error.

use ce_mle::Error;
use ce_mle::loss::rows::{self, RowTarget};
use ce_mle::loss::{
    CrossEntropyOptions, Loss, Reduction, Target, cross_entropy_with_grad, reference,
};
use ce_mle::softmax;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A logit: mostly moderate, sometimes tied, huge, tiny or `−∞`.
fn logit(r: &mut ChaCha8Rng, style: u32) -> f64 {
    match style {
        0 => r.random_range(-30.0..30.0),
        1 => r.random_range(-3..=3) as f64,
        2 => r.random_range(-1e300..1e300),
        3 => {
            if r.random_bool(0.3) {
                f64::NEG_INFINITY
            } else {
                r.random_range(-5.0..5.0)
            }
        }
        4 => r.random_range(-1e-300..1e-300),
        _ => r.random_range(-800.0..0.0),
    }
}

/// A case: logits `(n, c)`, a target and options, in `f64`.
struct Case {
    z: DMatrix<f64>,
    indices: Option<Vec<i64>>,
    probs: Option<DMatrix<f64>>,
    opts: CrossEntropyOptions<f64>,
}

fn case(r: &mut ChaCha8Rng) -> Case {
    let n = r.random_range(0..24);
    // Mostly small rows; sometimes longer than one online chunk (1024), with the maximum
    // anywhere.
    let c = if r.random_bool(0.15) {
        r.random_range(1000..2600)
    } else {
        r.random_range(1..40)
    };
    let style = r.random_range(0..6);
    let z = DMatrix::from_fn(n, c, |_, _| logit(r, style));
    let mut opts = CrossEntropyOptions::default().reduction(match r.random_range(0..3) {
        0 => Reduction::Mean,
        1 => Reduction::Sum,
        _ => Reduction::None,
    });
    if r.random_bool(0.3) {
        opts = opts.label_smoothing(r.random_range(0.0..1.0));
    }
    if r.random_bool(0.3) {
        let w = DVector::from_fn(c, |_, _| {
            if r.random_bool(0.2) {
                0.0
            } else {
                r.random_range(0.0..3.0)
            }
        });
        opts = opts.weight(w);
    }
    let (indices, probs) = if r.random_bool(0.75) {
        let t = (0..n)
            .map(|_| {
                if r.random_bool(0.1) {
                    -100
                } else {
                    r.random_range(0..c as i64)
                }
            })
            .collect();
        (Some(t), None)
    } else {
        let p = DMatrix::from_fn(n, c, |_, _| r.random_range(0.0..1.0));
        let p = DMatrix::from_fn(n, c, |i, j| p[(i, j)] / p.row(i).sum());
        (None, Some(p))
    };
    Case {
        z,
        indices,
        probs,
        opts,
    }
}

fn target<'a, T: ce_mle::Real>(
    indices: &'a Option<Vec<i64>>,
    probs: &'a Option<DMatrix<T>>,
) -> Target<'a, T> {
    match (indices, probs) {
        (Some(t), _) => Target::Indices(t),
        (None, Some(p)) => Target::Probabilities(p),
        (None, None) => unreachable!("every case has a target"),
    }
}

/// `|a − b| ≤ ulps·ε·scale`, or both the same non-finite value.
fn near(a: f64, b: f64, ulps: f64, eps: f64, scale: f64) -> bool {
    if a == b {
        return true;
    }
    (a - b).abs() <= ulps * eps * scale.max(f64::MIN_POSITIVE)
}

fn losses<T: ce_mle::Real>(l: &Loss<T>) -> Vec<f64> {
    match l {
        Loss::Scalar(v) => vec![v.as_f64()],
        Loss::PerSample(v) => v.iter().map(|x| x.as_f64()).collect(),
    }
}

/// The same error: the same kind and the same message (an error holding a NaN is not equal to
/// itself).
fn same_error(a: &Error, b: &Error) -> bool {
    a.kind() == b.kind() && a.to_string() == b.to_string()
}

/// The size of the terms whose sum is the gradient of row `r` (the bound on its rounding
/// errors): `q_k·(w_y + W/C)` and the constants `w_y`, `w_k/C` for class indices,
/// `q_k·mass + w_k·p'_k` for probabilities, over the mean's denominator.
fn gradient_scale(k: &Case, r: usize) -> f64 {
    let c = k.z.ncols();
    let w = |j: usize| k.opts.weight.as_ref().map_or(1.0, |w| w[j]);
    let w_max = (0..c).map(w).fold(0.0f64, f64::max).max(f64::MIN_POSITIVE);
    let w_total: f64 = (0..c).map(w).sum();
    let eps = k.opts.label_smoothing;
    let denom = match (&k.indices, k.opts.reduction) {
        (Some(t), Reduction::Mean) => {
            t.iter()
                .filter(|&&y| y >= 0)
                .map(|&y| w(y as usize) / w_max)
                .sum::<f64>()
                * w_max
        }
        (None, Reduction::Mean) => k.z.nrows() as f64,
        _ => 1.0,
    };
    let per = match (&k.indices, &k.probs) {
        (Some(t), _) if t[r] < 0 => 0.0,
        (Some(t), _) => w(t[r] as usize) + (eps * (w_total + w_max) / c as f64),
        (None, Some(p)) => {
            2.0 * (0..c)
                .map(|j| w(j) * ((1.0 - eps) * p[(r, j)] + eps / c as f64))
                .sum::<f64>()
        }
        (None, None) => 0.0,
    };
    per / denom.max(f64::MIN_POSITIVE)
}

/// The fast and the reference result of one case agree: the same error, or losses within
/// `ulps` ULP and gradients within `ulps` ULP of the size of their terms.
fn agree<T: ce_mle::Real>(
    name: &str,
    k: &Case,
    fast: Result<(Loss<T>, DMatrix<T>), Error>,
    slow: Result<(Loss<T>, DMatrix<T>), Error>,
    ulps: f64,
) {
    let eps = T::UNIT_ROUNDOFF * 2.0;
    match (fast, slow) {
        (Err(a), Err(b)) => assert!(same_error(&a, &b), "{name}: {a} vs {b}"),
        (Ok((la, ga)), Ok((lb, gb))) => {
            // A smoothed or soft-target loss sums C terms (all ≥ 0) naively in the reference:
            // its own error is up to C ULP.
            let sums = k.opts.label_smoothing > 0.0 || k.probs.is_some();
            let loss_ulps = if sums {
                ulps + k.z.ncols() as f64
            } else {
                ulps
            };
            for (a, b) in losses(&la).into_iter().zip(losses(&lb)) {
                assert!(
                    near(a, b, loss_ulps, eps, b.abs()),
                    "{name}: loss {a} vs {b}"
                );
            }
            assert_eq!(ga.shape(), gb.shape(), "{name}: gradient shapes");
            for r in 0..ga.nrows() {
                let scale = gb
                    .row(r)
                    .iter()
                    .fold(0.0f64, |m, x| m.max(x.as_f64().abs()))
                    .max(gradient_scale(k, r));
                for k in 0..ga.ncols() {
                    let (a, b) = (ga[(r, k)].as_f64(), gb[(r, k)].as_f64());
                    assert!(
                        near(a, b, ulps, eps, scale),
                        "{name}: grad[{r}, {k}] {a} vs {b}"
                    );
                }
            }
        }
        (a, b) => panic!("{name}: fast {a:?} vs reference {b:?}"),
    }
}

fn to_f32(m: &DMatrix<f64>) -> DMatrix<f32> {
    m.map(|x| x as f32)
}

fn opts_f32(o: &CrossEntropyOptions<f64>) -> CrossEntropyOptions<f32> {
    CrossEntropyOptions {
        weight: o.weight.as_ref().map(|w| w.map(|x| x as f32)),
        ignore_index: o.ignore_index,
        reduction: o.reduction,
        label_smoothing: o.label_smoothing,
    }
}

/// Row-major copy of a column-major matrix.
fn row_major<T: ce_mle::Real>(m: &DMatrix<T>) -> Vec<T> {
    m.transpose().as_slice().to_vec()
}

/// The row-major API's result, gradient back as a matrix.
fn rows_api<T: ce_mle::Real>(
    z: &DMatrix<T>,
    indices: &Option<Vec<i64>>,
    probs: &Option<DMatrix<T>>,
    opts: &CrossEntropyOptions<T>,
) -> Result<(Loss<T>, DMatrix<T>), Error> {
    let (n, c) = z.shape();
    let data = row_major(z);
    let p = probs.as_ref().map(row_major);
    let t = match (indices, &p) {
        (Some(t), _) => RowTarget::Indices(t),
        (None, Some(p)) => RowTarget::Probabilities(p),
        (None, None) => unreachable!("every case has a target"),
    };
    let mut g = vec![T::zero(); data.len()];
    let l = rows::cross_entropy_with_grad(&data, c, t, opts, &mut g)?;
    // Forward alone and in place give the same loss, and in place the same gradient.
    assert_eq!(rows::cross_entropy(&data, c, t, opts)?, l);
    let mut inplace = data.clone();
    assert_eq!(
        rows::cross_entropy_backward_in_place(&mut inplace, c, t, opts)?,
        l
    );
    assert!(inplace == g, "in-place gradient differs");
    Ok((l, DMatrix::from_row_slice(n, c, &g)))
}

#[test]
fn cross_entropy_fast_paths_agree_with_the_reference() {
    let mut r = ChaCha8Rng::seed_from_u64(20_241_206);
    for i in 0..400 {
        let k = case(&mut r);
        let t = target(&k.indices, &k.probs);
        let slow = reference::cross_entropy_with_grad(&k.z, t, &k.opts);
        agree(
            &format!("case {i} f64 matrix"),
            &k,
            cross_entropy_with_grad(&k.z, t, &k.opts),
            slow.clone(),
            8.0,
        );
        agree(
            &format!("case {i} f64 rows"),
            &k,
            rows_api(&k.z, &k.indices, &k.probs, &k.opts),
            slow,
            8.0,
        );
        let (z32, p32, o32) = (
            to_f32(&k.z),
            k.probs.as_ref().map(to_f32),
            opts_f32(&k.opts),
        );
        let t32 = target(&k.indices, &p32);
        let slow32 = reference::cross_entropy_with_grad(&z32, t32, &o32);
        agree(
            &format!("case {i} f32 matrix"),
            &k,
            cross_entropy_with_grad(&z32, t32, &o32),
            slow32.clone(),
            4.0,
        );
        agree(
            &format!("case {i} f32 rows"),
            &k,
            rows_api(&z32, &k.indices, &p32, &o32),
            slow32,
            4.0,
        );
    }
}

#[test]
fn softmax_family_fast_paths_agree_with_the_reference() {
    let mut r = ChaCha8Rng::seed_from_u64(7);
    for i in 0..300 {
        let k = case(&mut r);
        let (n, c) = k.z.shape();
        let z = &k.z;
        type Pair = (
            &'static str,
            Result<DMatrix<f64>, Error>,
            Result<DMatrix<f64>, Error>,
        );
        let pairs: [Pair; 2] = [
            ("softmax", softmax::softmax(z), reference::softmax(z)),
            (
                "log_softmax",
                softmax::log_softmax(z),
                reference::log_softmax(z),
            ),
        ];
        for (what, fast, slow) in pairs {
            match (fast, slow) {
                (Ok(a), Ok(b)) => {
                    // The row-major API on the same numbers gives the same answer.
                    let mut out = vec![0.0; n * c];
                    let data = row_major(z);
                    if what == "softmax" {
                        rows::softmax(&data, c, &mut out).unwrap();
                    } else {
                        rows::log_softmax(&data, c, &mut out).unwrap();
                    }
                    for rr in 0..n {
                        for kk in 0..c {
                            let (x, y) = (a[(rr, kk)], b[(rr, kk)]);
                            let scale = if what == "softmax" { 1.0 } else { y.abs() };
                            assert!(
                                near(x, y, 8.0, f64::EPSILON, scale),
                                "{i} {what} {x} vs {y}"
                            );
                            let w = out[rr * c + kk];
                            assert!(
                                near(w, y, 8.0, f64::EPSILON, scale),
                                "{i} {what} rows {w} vs {y}"
                            );
                        }
                    }
                }
                (Err(a), Err(b)) => assert!(same_error(&a, &b), "{i} {what}: {a} vs {b}"),
                (a, b) => panic!("{i} {what}: fast {a:?} vs reference {b:?}"),
            }
        }
        match (softmax::logsumexp(z), reference::logsumexp(z)) {
            (Ok(a), Ok(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    assert!(
                        near(*x, *y, 8.0, f64::EPSILON, y.abs()),
                        "{i} lse {x} vs {y}"
                    );
                }
            }
            (Err(a), Err(b)) => assert!(same_error(&a, &b), "{i} logsumexp: {a} vs {b}"),
            (a, b) => panic!("{i} logsumexp: fast {a:?} vs reference {b:?}"),
        }
    }
}

/// Bad input through the fast entry points gets the reference's error; the in-place form,
/// which cannot rerun the reference once it has written, names the first bad element in
/// row-major order and leaves that row as it was.
#[test]
fn bad_input_gets_the_same_error_on_every_path() {
    let opts = CrossEntropyOptions::default();
    let mut z = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    z[(2, 0)] = f64::NAN;
    z[(1, 1)] = f64::INFINITY;
    let t = [0, 1, 0];
    let want = reference::cross_entropy(&z, Target::Indices(&t), &opts).unwrap_err();
    assert_eq!(want.kind(), "InvalidValue");
    let fast = ce_mle::loss::cross_entropy(&z, Target::Indices(&t), &opts).unwrap_err();
    assert!(same_error(&fast, &want), "{fast} vs {want}");
    let data = row_major(&z);
    let rows_err = rows::cross_entropy(&data, 2, RowTarget::Indices(&t), &opts).unwrap_err();
    assert!(same_error(&rows_err, &want), "{rows_err} vs {want}");
    let mut buf = data.clone();
    let e = rows::cross_entropy_backward_in_place(&mut buf, 2, RowTarget::Indices(&t), &opts)
        .unwrap_err();
    assert_eq!(e.kind(), "InvalidValue");
    assert!(e.to_string().contains("[1, 1]"), "{e}");
    assert_eq!(&buf[2..4], &data[2..4], "the bad row is left as it was");
    // Options and targets are checked before anything is written.
    let mut buf = row_major(&DMatrix::<f64>::zeros(2, 3));
    let before = buf.clone();
    let e = rows::cross_entropy_backward_in_place(&mut buf, 3, RowTarget::Indices(&[0, 3]), &opts)
        .unwrap_err();
    assert_eq!(e.kind(), "ClassIndexOutOfRange");
    assert_eq!(buf, before);
    // Lengths that are not (N, C).
    let e = rows::cross_entropy(&[0.0; 5], 2, RowTarget::Indices(&[0, 0]), &opts).unwrap_err();
    assert_eq!(e.kind(), "ShapeMismatch");
    let e = rows::cross_entropy(&[0.0; 4], 0, RowTarget::Indices(&[]), &opts).unwrap_err();
    assert_eq!(e.kind(), "Empty");
    let mut short = [0.0; 3];
    let e =
        rows::cross_entropy_with_grad(&[0.0; 4], 2, RowTarget::Indices(&[0, 0]), &opts, &mut short)
            .unwrap_err();
    assert_eq!(e.kind(), "ShapeMismatch");
}

/// The kernels are deterministic whatever the number of threads: the same call twice, and
/// on a pool of one thread, gives the same bits.
#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let mut r = ChaCha8Rng::seed_from_u64(99);
    let (n, c) = (64, 3000);
    let data: Vec<f32> = (0..n * c).map(|_| r.random_range(-8.0..8.0)).collect();
    let t: Vec<i64> = (0..n).map(|_| r.random_range(0..c as i64)).collect();
    let opts = CrossEntropyOptions::default();
    let run = || {
        let mut g = vec![0.0f32; n * c];
        let l =
            rows::cross_entropy_with_grad(&data, c, RowTarget::Indices(&t), &opts, &mut g).unwrap();
        (l, g)
    };
    let many = run();
    assert_eq!(run(), many);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(run);
    assert_eq!(one, many);
}

/// The kernels are compiled for AVX-512, for AVX2 and for the baseline from one source, with
/// the same operations in the same order: each level gives the same bits (on a CPU that has
/// the wider ones; the others are simply not used).
#[test]
fn every_vector_width_gives_the_same_bits() {
    let mut r = ChaCha8Rng::seed_from_u64(5);
    let (n, c) = (9, 2100);
    let z64: Vec<f64> = (0..n * c).map(|_| r.random_range(-20.0..20.0)).collect();
    let z32: Vec<f32> = z64.iter().map(|&x| x as f32).collect();
    let zm = DMatrix::from_row_slice(n, c, &z64);
    let t: Vec<i64> = (0..n).map(|_| r.random_range(0..c as i64)).collect();
    let run = || {
        let mut g64 = vec![0.0; n * c];
        let mut g32 = vec![0.0f32; n * c];
        let opts = CrossEntropyOptions::default();
        let l64 = rows::cross_entropy_with_grad(&z64, c, RowTarget::Indices(&t), &opts, &mut g64);
        let l32 = rows::cross_entropy_with_grad(
            &z32,
            c,
            RowTarget::Indices(&t),
            &CrossEntropyOptions::default(),
            &mut g32,
        );
        let m = cross_entropy_with_grad(&zm, Target::Indices(&t), &opts).unwrap();
        (
            l64.unwrap(),
            g64,
            l32.unwrap(),
            g32,
            m,
            softmax::softmax(&zm).unwrap(),
        )
    };
    let wide = run();
    for level in [1, 0] {
        rows::limit_simd(level);
        let narrow = run();
        rows::limit_simd(2);
        assert!(narrow == wide, "level {level} differs");
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzzing regressions: what the differential target `fuzz/fuzz_targets/loss_fast.rs` found,
// each input minimised and written out (see `fuzz/README.md`).
// ---------------------------------------------------------------------------------------------

/// The row-major softmax family named `C = 0` in the cross-entropy's words ("input has zero
/// classes") where the matrix API says "logits have zero classes": the same error now.
#[test]
fn fuzz_rows_softmax_family_with_zero_classes_gives_the_matrix_error() {
    let want = softmax::softmax(&DMatrix::<f64>::zeros(0, 0)).unwrap_err();
    let errors = [
        rows::softmax::<f64>(&[], 0, &mut []).unwrap_err(),
        rows::log_softmax::<f64>(&[], 0, &mut []).unwrap_err(),
        rows::logsumexp::<f64>(&[], 0, &mut []).unwrap_err(),
    ];
    for e in errors {
        assert!(same_error(&e, &want), "{e} vs {want}");
    }
}

/// An ignored row of only `−∞` (legal: it is skipped) left its gradient unwritten in the
/// caller's buffer of `rows::cross_entropy_with_grad`, whose docs promise every element.
#[test]
fn fuzz_ignored_row_of_only_negative_infinity_gets_a_zero_gradient() {
    let ninf = f64::NEG_INFINITY;
    let z = [1.0, 1.0, 1.0, ninf, ninf, ninf];
    let t = [0, -100];
    let opts = CrossEntropyOptions::default().reduction(Reduction::Sum);
    let mut g = [f64::NAN; 6];
    let l = rows::cross_entropy_with_grad(&z, 3, RowTarget::Indices(&t), &opts, &mut g).unwrap();
    let l = l.scalar().unwrap();
    assert!(near(l, 3f64.ln(), 2.0, f64::EPSILON, l), "{l}");
    let third = 1.0 / 3.0;
    for (got, want) in g.iter().zip([third - 1.0, third, third]) {
        assert!(near(*got, want, 2.0, f64::EPSILON, 1.0), "{g:?}");
    }
    assert_eq!(&g[3..], &[0.0; 3]);
    let z32 = z.map(|x| x as f32);
    let mut g32 = [f32::NAN; 6];
    let opts32 = CrossEntropyOptions::<f32>::default().reduction(Reduction::Sum);
    rows::cross_entropy_with_grad(&z32, 3, RowTarget::Indices(&t), &opts32, &mut g32).unwrap();
    assert_eq!(&g32[3..], &[0.0; 3]);
}

/// Under `Mean`, kept class weights in the subnormal range next to a weight of 1 make the
/// denominator `Σ w_y = 1e-323`, whose reciprocal overflows: the fast path multiplied the
/// gradient by `1/1e-323 = ∞` and returned NaN (PyTorch 2.15 returns `inf`/NaN here too).
/// Such cases are now left to the reference loops, which divide. (Their answer is finite but
/// not accurate: `w_y·(q − 1)` underflows before the division; see the report of the fuzzing
/// issue.)
#[test]
fn fuzz_subnormal_mean_denominator_gives_no_nan_gradient() {
    let z = DMatrix::<f64>::zeros(2, 2);
    let t = [1, 1];
    let opts = CrossEntropyOptions::default().weight(DVector::from_vec(vec![1.0, 5e-324]));
    let (l, g) = cross_entropy_with_grad(&z, Target::Indices(&t), &opts).unwrap();
    assert!(g.iter().all(|x| x.is_finite()), "{g}");
    let (lr, gr) = reference::cross_entropy_with_grad(&z, Target::Indices(&t), &opts).unwrap();
    assert_eq!((&l, &g), (&lr, &gr));
    // The row-major API and its in-place form give the same, and write the gradient.
    let data = row_major(&z);
    let mut gd = vec![f64::NAN; 4];
    let l2 = rows::cross_entropy_with_grad(&data, 2, RowTarget::Indices(&t), &opts, &mut gd);
    assert_eq!(l2.unwrap(), lr);
    assert_eq!(gd, row_major(&gr));
    let mut buf = data.clone();
    let l3 = rows::cross_entropy_backward_in_place(&mut buf, 2, RowTarget::Indices(&t), &opts);
    assert_eq!(l3.unwrap(), lr);
    assert_eq!(buf, gd);
}

/// Class weights whose total overflows (`f64::MAX` twice), without label smoothing: the
/// smoothing term `ε·(W·q − w_k)/C` is absent, but the reference evaluated `0·∞ = NaN`, and
/// so did the strided kernel (a `DMatrix` of 8 rows or more, K-dimensional inputs) in its
/// per-row factor `(1 − ε)·w_y + ε·W/C`. PyTorch 2.15 gives the finite gradient
/// `w_y·(q − onehot)`: here `q = 1/3`, so `−⅔·MAX` and `⅓·MAX`.
#[test]
fn fuzz_weights_whose_total_overflows_give_a_finite_gradient_without_smoothing() {
    let max = f64::MAX;
    let w = DVector::from_vec(vec![max, max, 1.0]);
    // PyTorch: cross_entropy(zeros(1, 3), [0], weight=[MAX, MAX, 1], reduction='sum').
    let want = [-1.198_462_089_908_210_5e308, 5.992_310_449_541_052e307];
    for eps in [0.0, -0.0] {
        let opts = CrossEntropyOptions::default()
            .weight(w.clone())
            .reduction(Reduction::Sum)
            .label_smoothing(eps);
        // One row (reference and contiguous kernel) and nine (the strided kernel's lanes).
        for n in [1, 9] {
            let z = DMatrix::<f64>::zeros(n, 3);
            let t = vec![0; n];
            let (l, g) = cross_entropy_with_grad(&z, Target::Indices(&t), &opts).unwrap();
            let (lr, gr) =
                reference::cross_entropy_with_grad(&z, Target::Indices(&t), &opts).unwrap();
            assert_eq!(l.scalar(), Some(f64::INFINITY), "MAX·ln 3 overflows");
            assert_eq!(lr, l);
            for r in 0..n {
                for (k, &x) in want.iter().chain(&want[1..]).enumerate() {
                    for (what, got) in [("fast", g[(r, k)]), ("reference", gr[(r, k)])] {
                        assert!(
                            near(got, x, 2.0, f64::EPSILON, x.abs()),
                            "{what} n={n} eps={eps} [{r}, {k}]: {got} vs {x}"
                        );
                    }
                }
            }
        }
    }
    // The K-dimensional form the fuzzer met first: (1, 3, 8) through `loss::nd`.
    let x = ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[1, 3, 8]));
    let t = ndarray::ArrayD::<i64>::zeros(ndarray::IxDyn(&[1, 8]));
    let opts = CrossEntropyOptions::default()
        .weight(w)
        .reduction(Reduction::Sum);
    let out = ce_mle::loss::nd::cross_entropy(
        x.view(),
        ce_mle::loss::nd::NdTarget::Indices(t.view()),
        &opts,
        true,
    )
    .unwrap();
    let g = out.grad.unwrap();
    assert!(g.iter().all(|v| v.is_finite()), "{g}");
    assert!(near(
        g[[0, 0, 3]],
        want[0],
        2.0,
        f64::EPSILON,
        want[0].abs()
    ));
}

/// Not a bug but a limit of both implementations, which the fuzzer's first tolerance missed:
/// a row `[−8.5 × 1554, 5.5e-108, 709.78…]` has the tail `s ≈ 1555·e^−718 = 7.3e-309`, a sum of
/// subnormal terms, each rounded to a multiple of `2^−1074` (in the kernel and the reference
/// alike). `log_softmax` at the maximum is `−log1p(s)`: the exact value (mpmath, 60 digits)
/// is `−7.32154904481725345e-309` (as an `f64`, `−7.321549044817254e-309`); the strided kernel (a column-major matrix of 25 rows, where
/// the fuzzer met it) gives `−7.32154904481885e-309` (323 steps off), the contiguous kernel and
/// the reference `−7.321549044821014e-309` (761 steps): 2e-13 and 5e-13 relative, but hundreds
/// of "ULP" in the subnormal range. The fuzz target allows `2·C` steps for a value that sums
/// `C` exponentials; so does this test, on both kernels.
#[test]
fn fuzz_subnormal_tail_is_within_two_steps_per_term() {
    let c = 1556;
    let mut row = vec![-8.5; c];
    row[731] = 5.456_349_416_084_709e-108;
    row[925] = 709.782_712_893_384;
    let exact = -7.321_549_044_817_254e-309;
    let step = f64::from_bits(1);
    let tol = (8.0 + 2.0 * c as f64) * step;
    let within = |what: &str, x: f64| {
        assert!(
            (x - exact).abs() <= tol,
            "{what}: {x:e}, exact {exact:e}, {} steps off",
            ((x - exact).abs() / step).round()
        );
    };
    let mut out = vec![0.0; c];
    rows::log_softmax(&row, c, &mut out).unwrap();
    within("rows", out[925]);
    // One row (contiguous) and nine (the strided kernel of a column-major matrix).
    for n in [1, 9] {
        let z = DMatrix::from_fn(n, c, |_, k| row[k]);
        let fast = softmax::log_softmax(&z).unwrap();
        let slow = reference::log_softmax(&z).unwrap();
        for r in 0..n {
            within("matrix", fast[(r, 925)]);
            within("reference", slow[(r, 925)]);
        }
        // The loss of class 925 is log1p(s): the same sum.
        let t = vec![925; n];
        let opts = CrossEntropyOptions::default().reduction(Reduction::None);
        let l = ce_mle::loss::cross_entropy(&z, Target::Indices(&t), &opts).unwrap();
        for x in l.per_sample().unwrap().iter() {
            within("loss", -x);
        }
    }
}
