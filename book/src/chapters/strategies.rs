//! Strategies against overfitting, each a change to the likelihood or to the data: noise
//! augmentation, L2 (a Gaussian prior), L1 (a Laplace prior, proximal steps), early stopping,
//! and token dropout on the sentiment classifier (`book/{en,zh}/src/strategies.md`, listing
//! `book/listings/strategies.rs`).

use ce_mle::data::synthetic::jitter;
use ce_mle::data::{Classification, rng};
use ce_mle::nn::SoftmaxClassifier;
use ce_mle::train::{History, L1Mode, Regularization};

use super::sentiment::{Lang, sentiment_config, sentiment_run};
use super::tradeoffs::{
    OVERFIT_EPOCHS, OVERFIT_FEATURES, OVERFIT_TRAIN, overfit_run, overfit_setup,
};
use super::{Anchored, Outputs, argmin, book_err, curve, fixed6, pct, pick};
use crate::error::Result;
use crate::plot::{Chart, line_chart};

/// Noise-jitter augmentation: copies and σ.
pub const JITTER: (usize, f64) = (4, 1.0);
/// L2 strength λ₂ of the strategies chapter.
pub const L2: f64 = 0.01;
/// L1 strength λ₁ of the strategies chapter (proximal, plain SGD).
pub const L1: f64 = 0.01;
/// Early stopping's patience.
pub const PATIENCE: usize = 10;

/// Token dropout of the strategies chapter: copies and drop probability.
pub const TOKEN_DROPOUT: (usize, f64) = (3, 0.3);

/// The runs of the strategies chapter: plain, augmented, L2, L1 (proximal), early stopping.
struct StrategyRuns {
    plain: (History, SoftmaxClassifier),
    augmented: (History, SoftmaxClassifier),
    l2: (History, SoftmaxClassifier),
    l1: (History, SoftmaxClassifier),
    early: (History, SoftmaxClassifier),
}

fn strategy_runs() -> Result<StrategyRuns> {
    let augment = |train: &Classification| jitter(train, JITTER.0, JITTER.1, &mut rng(3));
    Ok(StrategyRuns {
        plain: overfit_run(Regularization::none(), None, None)?,
        augmented: overfit_run(Regularization::none(), Some(&augment), None)?,
        l2: overfit_run(Regularization::new(0.0, L2)?, None, None)?,
        l1: overfit_run(
            Regularization::new(L1, 0.0)?.l1_mode(L1Mode::Proximal),
            None,
            None,
        )?,
        early: overfit_run(Regularization::none(), None, Some(PATIENCE))?,
    })
}

/// The priors of the MAP reading of the penalised mean loss on `n` samples: the variance
/// `1/(2nλ₂)` of the Gaussian prior that `λ₂‖W‖²` stands for, and the scale `1/(nλ₁)` of the
/// Laplace prior that `λ₁‖W‖₁` stands for (with [`L2`] and [`L1`]). Multiplied by `n`, the mean
/// loss becomes the negative log-likelihood, and `nλ₂w²` is `w²/(2·variance)`, `nλ₁|w|` is
/// `|w|/scale`.
#[must_use]
pub fn map_priors(n: usize) -> (f64, f64) {
    let n = n as f64;
    (1.0 / (2.0 * n * L2), 1.0 / (n * L1))
}

/// Per feature j, Σ_c |W_cj|.
fn feature_weights(m: &SoftmaxClassifier) -> Vec<f64> {
    let w = &m.linear.weight;
    (0..w.ncols()).map(|j| w.column(j).abs().sum()).collect()
}

/// Every number of the strategies chapter.
fn strategies_values(r: &StrategyRuns) -> Result<String> {
    let (_, train, val) = overfit_setup()?;
    let mut a = Anchored::default();
    a.put("epochs", OVERFIT_EPOCHS);
    a.put("copies", JITTER.0);
    a.put("sigma", JITTER.1);
    a.put("l2", L2);
    a.put("l1", L1);
    let (variance, scale) = map_priors(OVERFIT_TRAIN);
    a.put("l2_prior_var", variance);
    a.put("l1_prior_scale", scale);
    a.put("patience", PATIENCE);
    a.put("n_train", OVERFIT_TRAIN);
    a.put("features", OVERFIT_FEATURES);
    a.put("noise_features", OVERFIT_FEATURES - 3);
    let end = |h: &History| h.validation[h.validation.len() - 1];
    let best = |h: &History| argmin(&h.validation);
    for (name, (h, m)) in [
        ("plain", &r.plain),
        ("aug", &r.augmented),
        ("l2", &r.l2),
        ("l1", &r.l1),
    ] {
        a.put(&format!("{name}_end_val"), fixed6(end(h)));
        a.put(
            &format!("{name}_end_train"),
            fixed6(h.train[h.train.len() - 1]),
        );
        a.put(&format!("{name}_best_val"), fixed6(best(h).1));
        a.put(&format!("{name}_best_epoch"), best(h).0 + 1);
        a.put(&format!("{name}_norm"), fixed6(m.linear.weight.norm()));
        a.put(&format!("{name}_acc"), pct(m.accuracy(&val.x, &val.y)?));
        let zeros = m.linear.weight.iter().filter(|&&w| w == 0.0).count();
        a.put(&format!("{name}_zeros"), zeros);
        let fw = feature_weights(m);
        let alive = fw.iter().filter(|&&w| w > 0.0).count();
        a.put(&format!("{name}_features_alive"), alive);
        let signal: f64 = fw[..3].iter().sum();
        let total: f64 = fw.iter().sum();
        a.put(&format!("{name}_signal_share"), pct(signal / total));
    }
    let ends = [end(&r.l2.0), end(&r.l1.0)];
    let early_val = r.early.1.mean_loss(&val)?;
    let last_train = |h: &History| h.train[h.train.len() - 1];
    if ends
        .iter()
        .chain([&early_val])
        .any(|&v| v >= end(&r.plain.0))
        || [end(&r.l2.0), end(&r.augmented.0), early_val]
            .iter()
            .any(|&v| v < end(&r.l1.0))
        || r.l2.1.linear.weight.norm() >= r.plain.1.linear.weight.norm()
        || r.augmented.1.linear.weight.norm() >= r.plain.1.linear.weight.norm()
        || best(&r.augmented.0).1 <= best(&r.plain.0).1
        || last_train(&r.augmented.0) <= last_train(&r.plain.0)
    {
        return Err(book_err(
            "the strategies chapter says L2, L1 and early stopping end below plain training, \
             L1 lowest, that L2 and augmentation shrink the weights, and that augmentation \
             raises the best validation loss: update its prose",
        ));
    }
    a.put("weights_all", r.l1.1.linear.weight.len());
    let (h, _) = &r.early;
    let stopped = h
        .stopped_at
        .ok_or_else(|| book_err("early stopping did not trigger"))?;
    a.put("early_stopped", stopped);
    let (eb, ev) = best(h);
    a.put("early_best_epoch", eb + 1);
    a.put("early_best_val", fixed6(ev));
    a.put("early_saved", OVERFIT_EPOCHS - stopped);
    a.put("early_val_restored", fixed6(r.early.1.mean_loss(&val)?));
    a.put("early_end_train", fixed6(r.early.1.mean_loss(&train)?));
    a.put("early_acc", pct(r.early.1.accuracy(&val.x, &val.y)?));

    // Token dropout on the sentiment classifier.
    let config = sentiment_config();
    for lang in [Lang::En, Lang::Zh] {
        let c = lang.code();
        let base = sentiment_run(lang, config.l2, None)?;
        let drop = sentiment_run(lang, config.l2, Some(TOKEN_DROPOUT))?;
        if drop.ce.1 >= base.ce.1 {
            return Err(book_err(
                "token dropout no longer lowers the test loss: update the prose",
            ));
        }
        a.put(&format!("{c}_base_ce"), fixed6(base.ce.1));
        a.put(&format!("{c}_drop_ce"), fixed6(drop.ce.1));
        a.put(&format!("{c}_base_acc"), pct(base.accuracy.1));
        a.put(&format!("{c}_drop_acc"), pct(drop.accuracy.1));
    }
    a.put("drop_copies", TOKEN_DROPOUT.0);
    a.put(
        "test_docs",
        sentiment_run(Lang::En, config.l2, None)?.test.y.len(),
    );
    a.put("drop_p", TOKEN_DROPOUT.1);
    Ok(a.0)
}

fn strategies_curves_figure(r: &StrategyRuns, lang: usize) -> Result<String> {
    let chart = Chart::new(
        pick(
            [
                "Validation loss under each strategy",
                "各种策略下的验证损失",
            ],
            lang,
        ),
        pick(["epoch", "轮次"], lang),
        pick(
            ["validation cross-entropy (nats)", "验证集交叉熵（奈特）"],
            lang,
        ),
    )
    .with_series(
        pick(["no strategy", "不加策略"], lang),
        curve(&r.plain.0.validation),
    )
    .with_series(
        pick(["noise augmentation", "加噪声的数据增强"], lang),
        curve(&r.augmented.0.validation),
    )
    .with_series(pick(["L2", "L2 正则化"], lang), curve(&r.l2.0.validation))
    .with_series(
        pick(["L1 (proximal)", "L1 正则化（近端）"], lang),
        curve(&r.l1.0.validation),
    )
    .with_series(
        pick(["early stopping", "早停"], lang),
        curve(&r.early.0.validation),
    );
    line_chart(&chart)
}

fn strategies_weights_figure(r: &StrategyRuns, lang: usize) -> Result<String> {
    let pts = |m: &SoftmaxClassifier| -> Vec<(f64, f64)> {
        feature_weights(m)
            .into_iter()
            .enumerate()
            .map(|(j, w)| ((j + 1) as f64, w))
            .collect()
    };
    let chart = Chart::new(
        pick(
            [
                "Weight of each feature after training",
                "训练后每个特征的权重",
            ],
            lang,
        ),
        pick(
            [
                "feature j (1–3 carry the label)",
                "特征 j（1–3 携带标签信息）",
            ],
            lang,
        ),
        pick(
            [
                "|weight| summed over the 3 classes",
                "3 个类别的权重绝对值之和",
            ],
            lang,
        ),
    )
    .with_series(pick(["no penalty", "不加惩罚"], lang), pts(&r.plain.1))
    .with_series(pick(["L2", "L2 正则化"], lang), pts(&r.l2.1))
    .with_series(
        pick(["L1 (proximal)", "L1 正则化（近端）"], lang),
        pts(&r.l1.1),
    );
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "strategies",
    files: &[
        "strategies-values.txt",
        "strategies-curves.en.svg",
        "strategies-curves.zh.svg",
        "strategies-weights.en.svg",
        "strategies-weights.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let runs = strategy_runs()?;
    Ok(vec![
        strategies_values(&runs)?,
        strategies_curves_figure(&runs, 0)?,
        strategies_curves_figure(&runs, 1)?,
        strategies_weights_figure(&runs, 0)?,
        strategies_weights_figure(&runs, 1)?,
    ])
}
