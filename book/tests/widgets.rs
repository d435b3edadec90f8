//! The arithmetic of the books' interactive widgets (`book/{en,zh}/theme/ce-math.js`), run in
//! QuickJS (the JavaScript engine KaTeX already brings into the build, through the `katex`
//! crate) and compared with the crate on fixed cases: softmax with a temperature, the loss
//! with label smoothing, its gradient, the smoothed target and its entropy. Both sides compute
//! in `f64`; they agree to 1e-12, relative to the value (or to 1 for the gradient, whose
//! components lie in [−1/T, 1/T] and may be the difference of two numbers close to 1).

use ce_mle::information::entropy;
use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy, cross_entropy_with_grad};
use ce_mle::softmax::{logsumexp, softmax};
use ce_mle_book::paths::{LANGUAGES, book_root};
use nalgebra::{DMatrix, DVector};

const TOL: f64 = 1e-12;

/// The widget files, identical in both books (each book's `additional-js` loads its own copy).
const FILES: [&str; 2] = ["theme/ce-math.js", "theme/widgets.js"];

fn source(lang: &str, file: &str) -> String {
    let path = book_root().join(lang).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A QuickJS context with `CeMath` defined by the English book's copy of the module.
fn engine() -> quick_js::Context {
    let js = quick_js::Context::new().expect("a QuickJS context");
    js.eval(&source("en", FILES[0]))
        .expect("ce-math.js evaluates");
    js
}

/// Evaluate `expr` (a JavaScript expression giving a number or an array of numbers) and read
/// the numbers back exactly: JavaScript prints the shortest decimal that round-trips, and
/// Rust parses it to the same `f64`.
fn numbers(js: &quick_js::Context, expr: &str) -> Vec<f64> {
    let text: String = js
        .eval_as(&format!("[].concat({expr}).map(String).join(' ')"))
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    text.split(' ')
        .map(|t| match t {
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            t => t.parse().unwrap_or_else(|e| panic!("{expr}: {t:?}: {e}")),
        })
        .collect()
}

fn js_list(xs: &[f64]) -> String {
    let items: Vec<String> = xs.iter().map(|x| format!("{x:?}")).collect();
    format!("[{}]", items.join(", "))
}

fn assert_close(what: &str, js: &[f64], rust: &[f64], scale_of: impl Fn(f64) -> f64) {
    assert_eq!(js.len(), rust.len(), "{what}: lengths");
    for (k, (a, b)) in js.iter().zip(rust).enumerate() {
        let tol = TOL * scale_of(*b);
        assert!(
            (a - b).abs() <= tol,
            "{what}[{k}]: JavaScript {a:e}, crate {b:e} (differ by {:e}, tolerance {tol:e})",
            (a - b).abs()
        );
    }
}

fn relative(b: f64) -> f64 {
    b.abs()
}

fn unit(b: f64) -> f64 {
    b.abs().max(1.0)
}

/// Logits, observed class, temperature and label smoothing of the fixed cases: ordinary
/// values, the chapters' examples, and the extremes of the chapter on softmax (overflow of the
/// naive formula, underflow, a loss of 4e-18).
const CASES: &[(&[f64], usize, f64, f64)] = &[
    (&[2.0, 1.0, 0.1], 0, 1.0, 0.0),
    (&[2.0, 1.0, 0.1], 2, 1.0, 0.1),
    (&[2.0, 1.0, 0.1], 1, 0.25, 0.0),
    (&[2.0, 1.0, 0.1], 0, 3.7, 0.5),
    (&[1.0, 2.0, 3.0], 0, 0.5, 1.0),
    (&[-5.0, 5.0, 0.0], 0, 1.0, 0.0),
    (&[1000.0, 999.0, 998.0], 2, 1.0, 0.0),
    (&[-1000.0, -1000.0, 0.0], 0, 2.0, 0.05),
    (&[0.0, -40.0], 0, 1.0, 0.0),
    (&[0.3, -1.7, 2.2, 0.9], 3, 1.3, 0.2),
    (&[-8.0, 8.0, -8.0, 8.0], 1, 0.25, 0.0),
];

#[test]
fn widget_arithmetic_agrees_with_the_crate() {
    let js = engine();
    for &(z, y, temp, eps) in CASES {
        let case = format!("z = {z:?}, y = {y}, T = {temp}, ε = {eps}");
        let c = z.len();
        let scaled: Vec<f64> = z.iter().map(|v| v / temp).collect();
        let logits = DMatrix::from_row_slice(1, c, &scaled);
        let (zs, t) = (js_list(z), format!("{temp:?}"));

        let q: Vec<f64> = softmax(&logits).unwrap().row(0).iter().copied().collect();
        let js_q = numbers(&js, &format!("CeMath.softmax({zs}, {t})"));
        assert_close(&format!("softmax, {case}"), &js_q, &q, relative);

        let lse = logsumexp(&logits).unwrap()[0];
        let js_lse = numbers(&js, &format!("CeMath.logsumexp({zs}, {t})"));
        assert_close(&format!("logsumexp, {case}"), &js_lse, &[lse], relative);

        let opts = CrossEntropyOptions::default().label_smoothing(eps);
        let target = [y as i64];
        let loss = cross_entropy(&logits, Target::Indices(&target), &opts)
            .unwrap()
            .scalar()
            .unwrap();
        let js_loss = numbers(
            &js,
            &format!("CeMath.crossEntropy({zs}, {y}, {eps:?}, {t})"),
        );
        assert_close(&format!("loss, {case}"), &js_loss, &[loss], relative);

        // The crate's gradient is with respect to z / T; the widget's with respect to z.
        let (_, grad) = cross_entropy_with_grad(&logits, Target::Indices(&target), &opts).unwrap();
        let grad: Vec<f64> = grad.row(0).iter().map(|g| g / temp).collect();
        let js_grad = numbers(&js, &format!("CeMath.gradient({zs}, {y}, {eps:?}, {t})"));
        assert_close(&format!("gradient, {case}"), &js_grad, &grad, unit);

        // The smoothed target, and its entropy: the smallest loss (T9). The crate's loss at
        // the logits log yᵋ reaches it.
        let smoothed: Vec<f64> = (0..c)
            .map(|k| if k == y { 1.0 - eps } else { 0.0 } + eps / c as f64)
            .collect();
        let js_target = numbers(&js, &format!("CeMath.smoothedTarget({y}, {c}, {eps:?})"));
        assert_close(&format!("target, {case}"), &js_target, &smoothed, relative);
        let h = entropy(&DVector::from_row_slice(&smoothed)).unwrap();
        let js_h = numbers(
            &js,
            &format!("CeMath.entropy(CeMath.smoothedTarget({y}, {c}, {eps:?}))"),
        );
        assert_close(&format!("entropy, {case}"), &js_h, &[h], relative);
        if eps > 0.0 {
            let best: Vec<f64> = smoothed.iter().map(|p| p.ln()).collect();
            let at_best = cross_entropy(
                &DMatrix::from_row_slice(1, c, &best),
                Target::Indices(&target),
                &opts,
            )
            .unwrap()
            .scalar()
            .unwrap();
            assert!((at_best - h).abs() <= TOL * h, "{case}: {at_best} vs {h}");
        }
    }
}

/// The check above can fail: a module whose softmax forgets the temperature is caught.
#[test]
fn a_wrong_widget_is_caught() {
    let js = engine();
    js.eval("CeMath.softmax = function (z, T) { return CeMath.logSoftmax(z).map(Math.exp); };")
        .expect("redefine");
    let z = [2.0, 1.0, 0.1];
    let logits = DMatrix::from_row_slice(1, 3, &z.map(|v| v / 0.5));
    let q: Vec<f64> = softmax(&logits).unwrap().row(0).iter().copied().collect();
    let js_q = numbers(&js, &format!("CeMath.softmax({}, 0.5)", js_list(&z)));
    let worst = js_q
        .iter()
        .zip(&q)
        .map(|(a, b)| (a - b).abs() / b.abs())
        .fold(0.0, f64::max);
    assert!(worst > 1e-3, "{js_q:?} vs {q:?}");
}

/// Shift invariance, as the widget shows it: adding s to every logit changes the
/// log-sum-exp by s and nothing else.
#[test]
fn shifting_every_logit_changes_only_the_log_sum_exp() {
    let js = engine();
    let (z, s) = ([2.0, 1.0, 0.1], 3.5);
    let moved = z.map(|v| v + s);
    for f in ["softmax", "logSoftmax"] {
        let a = numbers(&js, &format!("CeMath.{f}({}, 1)", js_list(&z)));
        let b = numbers(&js, &format!("CeMath.{f}({}, 1)", js_list(&moved)));
        assert_close(f, &b, &a, unit);
    }
    let a = numbers(&js, &format!("CeMath.logsumexp({})", js_list(&z)))[0];
    let b = numbers(&js, &format!("CeMath.logsumexp({})", js_list(&moved)))[0];
    assert!((b - a - s).abs() < 1e-12);
}

/// Each book loads its own copy of the widget files (mdBook copies only files under the
/// book's directory): the copies are identical, and both book.toml files load them.
#[test]
fn both_books_carry_the_same_widgets() {
    for file in FILES {
        assert_eq!(
            source("zh", file),
            source("en", file),
            "book/zh/{file} and book/en/{file} differ"
        );
    }
    for lang in LANGUAGES {
        let toml = source(lang, "book.toml");
        let line = toml
            .lines()
            .find(|l| l.starts_with("additional-js"))
            .unwrap_or_else(|| panic!("book/{lang}/book.toml has no additional-js"));
        let math = line.find(FILES[0]).expect("ce-math.js in additional-js");
        let widgets = line.find(FILES[1]).expect("widgets.js in additional-js");
        assert!(math < widgets, "book/{lang}: ce-math.js must load first");
    }
}

/// The softmax page and the options page ask for their widgets, in both books.
#[test]
fn the_widget_pages_ask_for_their_widgets() {
    for lang in LANGUAGES {
        for (page, kind) in [("softmax.md", "softmax"), ("options.md", "smoothing")] {
            let text = source(lang, &format!("src/{page}"));
            assert!(
                text.contains(&format!("class='ce-widget' data-widget='{kind}'")),
                "book/{lang}/src/{page} has no {kind} widget"
            );
        }
    }
}
