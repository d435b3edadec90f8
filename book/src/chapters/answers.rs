//! Answer selection as classification: gradient steps on the scores of candidate answers
//! (`book/{en,zh}/src/answers.md`, listing `book/listings/answers.rs`).

use nalgebra::DMatrix;

use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy_with_grad};

use super::{Anchored, Outputs, book_err, fixed6, pick, prose_number, tuple_exact};
use crate::error::Result;
use crate::plot::{Chart, line_chart};

/// Candidate answers of the answer-selection chapter (Chinese names), the right one first.
pub const ANSWER_CANDIDATES_ZH: [&str; 4] = ["曹雪芹", "高鹗", "施耐庵", "罗贯中"];
/// The same candidates, romanised.
pub const ANSWER_CANDIDATES_EN: [&str; 4] = ["Cao Xueqin", "Gao E", "Shi Nai'an", "Luo Guanzhong"];
/// Their scores before training.
pub const ANSWER_SCORES: [f64; 4] = [1.0, 1.5, 0.0, -0.5];
/// Step size of the gradient steps on the scores.
pub const ANSWER_LR: f64 = 1.0;
/// Steps shown in the figure.
pub const ANSWER_STEPS: usize = 20;

/// Loss and gradient of picking candidate 0 with `scores`.
fn answer_step(scores: &[f64]) -> Result<(f64, Vec<f64>, Vec<f64>)> {
    let z = DMatrix::from_row_slice(1, scores.len(), scores);
    let (l, g) =
        cross_entropy_with_grad(&z, Target::Indices(&[0]), &CrossEntropyOptions::default())?;
    let q = ce_mle::softmax::softmax(&z)?;
    Ok((
        l.scalar().ok_or_else(|| book_err("no scalar"))?,
        q.row(0).iter().copied().collect(),
        g.row(0).iter().copied().collect(),
    ))
}

fn list(xs: &[f64]) -> String {
    let v: Vec<String> = xs.iter().map(|&x| fixed6(x)).collect();
    format!("({})", v.join(", "))
}

/// Every number of the answer-selection chapter.
fn answers_values() -> Result<String> {
    let mut a = Anchored::default();
    let s = ANSWER_SCORES.to_vec();
    let (ce, q, g) = answer_step(&s)?;
    let s1: Vec<f64> = s.iter().zip(&g).map(|(s, g)| s - ANSWER_LR * g).collect();
    let (ce1, q1, _) = answer_step(&s1)?;
    if !(q[1] > q[0] && q[1] > q[2] && q[1] > q[3] && ce1 < ce) {
        return Err(book_err(
            "the answers chapter says 高鹗 is preferred at first: update it",
        ));
    }
    a.put("scores", prose_number(&tuple_exact(&s)));
    a.put("q", list(&q));
    a.put("q_right", fixed6(q[0]));
    a.put("q_gao", fixed6(q[1]));
    a.put("ce", fixed6(ce));
    a.put("grad", prose_number(&list(&g)));
    a.put("lr", ANSWER_LR);
    a.put("scores_after", prose_number(&list(&s1)));
    a.put("q_after", list(&q1));
    a.put("q_right_after", fixed6(q1[0]));
    a.put("ce_after", fixed6(ce1));
    let mut scores = s;
    let mut right = Vec::new();
    for _ in 0..ANSWER_STEPS {
        let (_, q, g) = answer_step(&scores)?;
        right.push(q[0]);
        for (s, g) in scores.iter_mut().zip(&g) {
            *s -= ANSWER_LR * g;
        }
    }
    let (ce_end, q_end, _) = answer_step(&scores)?;
    a.put("steps", ANSWER_STEPS);
    a.put("q_right_end", fixed6(q_end[0]));
    a.put("ce_end", fixed6(ce_end));
    Ok(a.0)
}

fn answers_figure(lang: usize) -> Result<String> {
    let names = if lang == 0 {
        ANSWER_CANDIDATES_EN
    } else {
        ANSWER_CANDIDATES_ZH
    };
    let mut scores = ANSWER_SCORES.to_vec();
    let mut probs: Vec<Vec<(f64, f64)>> = vec![Vec::new(); scores.len()];
    for step in 0..=ANSWER_STEPS {
        let (_, q, g) = answer_step(&scores)?;
        for (k, p) in q.iter().enumerate() {
            probs[k].push((step as f64, *p));
        }
        for (s, g) in scores.iter_mut().zip(&g) {
            *s -= ANSWER_LR * g;
        }
    }
    let mut chart = Chart::new(
        pick(
            [
                "Gradient steps on the answer scores",
                "对候选答案得分做梯度下降",
            ],
            lang,
        ),
        pick(["gradient step", "梯度步数"], lang),
        pick(["probability of the candidate", "候选答案的概率"], lang),
    );
    for (k, p) in probs.into_iter().enumerate() {
        chart = chart.with_series(names[k], p);
    }
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "answers",
    files: &[
        "answers-values.txt",
        "answers-steps.en.svg",
        "answers-steps.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![
        answers_values()?,
        answers_figure(0)?,
        answers_figure(1)?,
    ])
}
