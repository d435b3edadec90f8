extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// Checks every claim of the chapter "Information theory": self-information adds up over
// independent events, entropy lies between 0 and log C, CE = H + KL, Gibbs' inequality (by
// the Jensen step of its proof), and the two-class curve of the figure.
//
// `cargo run --example information` runs it; `mdbook test` runs it behind each excerpt.

use ce_mle::information::{cross_entropy_between, entropy, kl_divergence, self_information};
use nalgebra::DVector;

/// Two computations of the same quantity in f64 agree to this absolute tolerance.
const TOL: f64 = 1e-12;

type Result<T> = std::result::Result<T, ce_mle::Error>;

fn surprise() -> Result<()> {
    // ANCHOR: surprise
    // Independent events: probabilities multiply, surprisals add.
    let (a, b) = (0.5, 1.0 / 6.0); // heads, and one face of a die
    let both = self_information(a * b)?;
    assert!((both - (self_information(a)? + self_information(b)?)).abs() < TOL);

    // A certain event carries nothing; rarer events carry more.
    assert_eq!(self_information(1.0)?, 0.0);
    assert!(self_information(0.01)? > self_information(0.99)?);
    // ANCHOR_END: surprise
    assert_eq!(self_information(0.0)?, f64::INFINITY);
    Ok(())
}

fn entropy_bounds() -> Result<()> {
    // ANCHOR: entropy
    let c = 3;
    let uniform = DVector::from_element(c, 1.0 / c as f64);
    let certain = DVector::from_vec(vec![1.0, 0.0, 0.0]);
    let skewed = DVector::from_vec(vec![0.7, 0.2, 0.1]);

    // 0 ≤ H(p) ≤ log C: 0 for a certain outcome, log C for the uniform distribution.
    assert_eq!(entropy(&certain)?, 0.0);
    assert!((entropy(&uniform)? - (c as f64).ln()).abs() < TOL);
    assert!(0.0 < entropy(&skewed)? && entropy(&skewed)? < (c as f64).ln());
    // ANCHOR_END: entropy
    // The coding reading: the lengths ⌈−log₂ p(x)⌉ satisfy Kraft's inequality (a binary
    // prefix code with those lengths exists), and their mean lies within one bit above
    // H(p) / log 2, the lower bound for any such code.
    for p in distributions().iter().chain([&skewed, &uniform]) {
        let bits = entropy(p)? / 2f64.ln();
        let lengths: Vec<f64> = p
            .iter()
            .map(|&px| if px > 0.0 { (-px.log2()).ceil() } else { 0.0 })
            .collect();
        let kraft: f64 = p
            .iter()
            .zip(&lengths)
            .filter(|(px, _)| **px > 0.0)
            .map(|(_, l)| 2f64.powf(-l))
            .sum();
        let mean: f64 = p.iter().zip(&lengths).map(|(px, l)| px * l).sum();
        assert!(kraft <= 1.0 + TOL && bits - TOL <= mean && mean < bits + 1.0);
    }
    Ok(())
}

/// Distributions on three outcomes: a few by hand, then a grid of the simplex.
fn distributions() -> Vec<DVector<f64>> {
    let mut v = vec![
        DVector::from_vec(vec![0.7, 0.2, 0.1]),
        DVector::from_vec(vec![0.5, 0.3, 0.2]),
        DVector::from_vec(vec![1.0, 0.0, 0.0]),
        DVector::from_vec(vec![0.0, 0.5, 0.5]),
    ];
    for i in 1..10 {
        for j in 1..(10 - i) {
            let (a, b) = (i as f64 / 10.0, j as f64 / 10.0);
            v.push(DVector::from_vec(vec![a, b, 1.0 - a - b]));
        }
    }
    v
}

fn gibbs() -> Result<()> {
    // ANCHOR: gibbs
    let p = DVector::from_vec(vec![0.7, 0.2, 0.1]);
    let q = DVector::from_vec(vec![0.5, 0.3, 0.2]);
    let (h, ce, kl) = (
        entropy(&p)?,
        cross_entropy_between(&p, &q)?,
        kl_divergence(&p, &q)?,
    );

    // CE = H + KL, and KL > 0 for q ≠ p (Gibbs), so CE > H.
    assert!((ce - (h + kl)).abs() < TOL);
    assert!(kl > 0.0 && ce > h);
    // KL is not symmetric: believing q when p is true costs something else than the reverse.
    assert!((kl - kl_divergence(&q, &p)?).abs() > 1e-3);
    // ANCHOR_END: gibbs

    // Over many pairs: KL ≥ 0, zero only on the diagonal, and the Jensen step of the proof:
    // Σ_S p log(q/p) ≤ log Σ_S p (q/p) = log Σ_S q ≤ 0, with S = {x : p(x) > 0}.
    let all = distributions();
    for p in &all {
        for q in &all {
            let kl = kl_divergence(p, q)?;
            let same = (p - q).amax() < TOL;
            assert!(if same { kl.abs() < TOL } else { kl > 0.0 }, "{p} {q}");
            let mass_on_s: f64 = p
                .iter()
                .zip(q.iter())
                .filter(|(pi, _)| **pi > 0.0)
                .map(|(_, qi)| qi)
                .sum();
            assert!(-kl <= mass_on_s.ln() + TOL);
            assert!(mass_on_s.ln() <= TOL);
        }
    }
    assert_eq!(p.as_slice(), ce_mle_book::chapters::information::SOFT_P);
    assert_eq!(q.as_slice(), ce_mle_book::chapters::information::SOFT_Q);
    Ok(())
}

fn curve() -> Result<()> {
    // ANCHOR: curve
    // Two classes, target p = (0.3, 0.7); model q = (x, 1 − x) on a grid of x.
    let p = DVector::from_vec(vec![0.3, 0.7]);
    let grid: Vec<f64> = (1..100).map(|i| f64::from(i) * 0.01).collect();
    let mut best = (f64::NAN, f64::INFINITY);
    for &x in &grid {
        let ce = cross_entropy_between(&p, &DVector::from_vec(vec![x, 1.0 - x]))?;
        assert!(ce >= entropy(&p)? - TOL); // never below H(p) ...
        if ce < best.1 {
            best = (x, ce);
        }
    }
    // ... and lowest exactly at x = p, where it equals H(p).
    assert!((best.0 - 0.3).abs() < TOL);
    assert!((best.1 - entropy(&p)?).abs() < TOL);
    // ANCHOR_END: curve
    assert_eq!(p[0], ce_mle_book::chapters::information::CURVE_P);
    assert_eq!(
        grid[1] - grid[0],
        ce_mle_book::chapters::information::CURVE_STEP
    );
    Ok(())
}

fn main() -> Result<()> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    surprise()?;
    entropy_bounds()?;
    gibbs()?;
    curve()?;
    println!("every claim of the chapter checked");
    Ok(())
}
