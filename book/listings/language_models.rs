extern crate ce_mle;
extern crate ce_mle_book;
extern crate nalgebra;

// Checks the claims of the chapter "Cross-entropy in language models": the three tasks of
// the chapter are one classification each, and the loss of a whole text is the sum of its
// next-token losses (the chain rule), i.e. its negative log-likelihood.

use ce_mle::loss::{CrossEntropyOptions, Reduction, Target, cross_entropy};
use nalgebra::DMatrix;

const TOL: f64 = 1e-12;

fn main() -> Result<(), ce_mle::Error> {
    assert_eq!(TOL, ce_mle_book::chapters::LISTING_TOLERANCE);
    // ANCHOR: chain
    // A toy next-word model over 4 words, one row of probabilities per position:
    // it reads "the sun is" and predicts each following word.
    let words = ["the", "sun", "is", "shining"];
    let text = [0, 1, 2, 3]; // "the sun is shining"
    let p = DMatrix::from_row_slice(
        3,
        4,
        &[
            0.05, 0.60, 0.15, 0.20, // after "the":  P(sun) = 0.60
            0.10, 0.05, 0.70, 0.15, // after "sun":  P(is) = 0.70
            0.10, 0.10, 0.05, 0.75, // after "is":   P(shining) = 0.75
        ],
    );
    let next: Vec<i64> = text[1..].iter().map(|&w| w as i64).collect();
    let logits = p.map(f64::ln); // log-probabilities are valid logits
    let opts = CrossEntropyOptions::default().reduction(Reduction::Sum);
    let sum_ce = cross_entropy(&logits, Target::Indices(&next), &opts)?
        .scalar()
        .expect("a sum is a scalar");
    // Chain rule: P(sun, is, shining | the) = 0.60 · 0.70 · 0.75.
    let likelihood: f64 = 0.60 * 0.70 * 0.75;
    assert!((sum_ce - (-likelihood.ln())).abs() < TOL);
    // ANCHOR_END: chain
    assert_eq!(words[text[3]], "shining");

    // ANCHOR: three
    // Three tasks, one loss: −log of the probability given to what was observed.
    let minus_log = |row: &[f64], y: i64| -> Result<f64, ce_mle::Error> {
        let z = DMatrix::from_row_slice(1, row.len(), row).map(f64::ln);
        let l = cross_entropy(&z, Target::Indices(&[y]), &CrossEntropyOptions::default())?;
        Ok(l.scalar().expect("a mean is a scalar"))
    };
    // Next token: classes = the vocabulary ("day" is word 2 of 4).
    let next_token = minus_log(&[0.1, 0.2, 0.6, 0.1], 2)?;
    // Sentiment: classes = negative, neutral, positive; the review is positive.
    let sentiment = minus_log(&[0.1, 0.2, 0.7], 2)?;
    // Answer selection: classes = the candidates; the right one is candidate 0.
    let answer = minus_log(&[0.8, 0.15, 0.05], 0)?;
    assert!((next_token - -(0.6f64).ln()).abs() < TOL);
    assert!((sentiment - -(0.7f64).ln()).abs() < TOL);
    assert!((answer - -(0.8f64).ln()).abs() < TOL);
    // ANCHOR_END: three
    println!("every claim of the chapter checked");
    Ok(())
}
