//! Strengths and weaknesses of minimising cross-entropy: overfitting a small, wide data set,
//! a covariate shift of the test inputs, calibration, and the curvature of the loss
//! (`book/{en,zh}/src/tradeoffs.md`, listing `book/listings/tradeoffs.rs`).
//!
//! The overfitting set-up is shared with the strategies chapter, which fights it.

use std::fmt::Write as _;

use nalgebra::{DMatrix, DVector};

use ce_mle::data::synthetic::{gaussian_classes, noisy_rule, shift_inputs};
use ce_mle::data::{Classification, rng};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::train::{EarlyStopping, FitConfig, History, OptimizerSpec, Regularization, fit_with};

use super::{Anchored, Outputs, argmin, book_err, curve, fixed6, pct, pick, prose_number};
use crate::error::Result;
use crate::plot::{Chart, line_chart};

/// Size of the overfitting set-up: training samples.
pub const OVERFIT_TRAIN: usize = 100;
/// Validation samples.
pub const OVERFIT_VALIDATION: usize = 200;
/// Features (3 informative).
pub const OVERFIT_FEATURES: usize = 60;
/// Label noise.
pub const OVERFIT_NOISE: f64 = 0.2;
/// Seed.
pub const OVERFIT_SEED: u64 = 7;

/// Epochs of the overfitting runs (plain gradient descent, lr [`OVERFIT_LR`]).
pub const OVERFIT_EPOCHS: usize = 200;
/// Learning rate of the overfitting runs.
pub const OVERFIT_LR: f64 = 0.1;
/// Class means of the distribution-shift experiment (3 classes in the plane, unit variance).
pub const SHIFT_MEANS: [[f64; 2]; 3] = [[2.0, 0.0], [-1.0, 1.732], [-1.0, -1.732]];
/// Seed of the shift experiment.
pub const SHIFT_SEED: u64 = 11;
/// Training and test sizes of the shift experiment.
pub const SHIFT_SIZES: (usize, usize) = (300, 2000);
/// Shifts δ of the test inputs (along the first axis), in units of the noise's σ = 1.
pub const SHIFTS: [f64; 7] = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0];
/// Epochs (Adam, lr 0.05) of the shift experiment's model.
pub const SHIFT_EPOCHS: usize = 200;
/// Bins of the expected calibration error.
pub const CALIBRATION_BINS: usize = 10;

/// The overfitting set-up of the tradeoffs and strategies chapters: an untrained
/// `Linear(60 → 3)`, 100 training and 200 validation samples of [`noisy_rule`] (noise 0.2),
/// all from seed [`OVERFIT_SEED`].
///
/// # Errors
/// None in practice (the sizes are valid); as [`noisy_rule`] and [`Linear::new`].
pub fn overfit_setup() -> ce_mle::Result<(SoftmaxClassifier, Classification, Classification)> {
    let mut r = rng(OVERFIT_SEED);
    let train = noisy_rule(OVERFIT_TRAIN, OVERFIT_FEATURES, OVERFIT_NOISE, &mut r)?;
    let val = noisy_rule(OVERFIT_VALIDATION, OVERFIT_FEATURES, OVERFIT_NOISE, &mut r)?;
    let model = SoftmaxClassifier::new(Linear::new(OVERFIT_FEATURES, 3, &mut r)?);
    Ok((model, train, val))
}

/// Plain full-batch gradient descent with the overfitting runs' learning rate.
fn plain_sgd() -> OptimizerSpec {
    OptimizerSpec::Sgd {
        lr: OVERFIT_LR,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    }
}

/// A data augmentation: the training set it trains on instead of the given one.
pub(super) type Augment = dyn Fn(&Classification) -> ce_mle::Result<Classification>;

/// One run of [`OVERFIT_EPOCHS`] on the overfitting set-up ([`overfit_setup`]), its training
/// set replaced by `augment(train)` if given, with a penalty and early stopping. Returns the
/// history and the trained model.
pub(super) fn overfit_run(
    reg: Regularization,
    augment: Option<&Augment>,
    patience: Option<usize>,
) -> Result<(History, SoftmaxClassifier)> {
    let (mut model, train, val) = overfit_setup()?;
    let train = match augment {
        Some(f) => f(&train)?,
        None => train,
    };
    let config = FitConfig {
        optimizer: plain_sgd(),
        epochs: OVERFIT_EPOCHS,
        regularization: reg,
    };
    let mut early = patience
        .map(|p| EarlyStopping::new(p, 0.0, true))
        .transpose()?;
    let h = fit_with(&mut model, &train, Some(&val), &config, early.as_mut())?;
    Ok((h, model))
}

/// The model of the shift experiment, its training data and the unshifted test data.
type ShiftModel = (SoftmaxClassifier, Classification, Classification);

fn shift_model() -> Result<ShiftModel> {
    let means = DMatrix::from_fn(3, 2, |i, j| SHIFT_MEANS[i][j]);
    let mut r = rng(SHIFT_SEED);
    let train = gaussian_classes(SHIFT_SIZES.0, &means, 1.0, &mut r)?;
    let test = gaussian_classes(SHIFT_SIZES.1, &means, 1.0, &mut r)?;
    let mut model = SoftmaxClassifier::new(Linear::new(2, 3, &mut r)?);
    let config = FitConfig {
        optimizer: OptimizerSpec::Adam {
            lr: 0.05,
            weight_decay: 0.0,
        },
        epochs: SHIFT_EPOCHS,
        regularization: Regularization::none(),
    };
    fit_with(&mut model, &train, None, &config, None)?;
    Ok((model, train, test))
}

/// One row of the shift experiment: shift δ, test cross-entropy, test accuracy.
type ShiftRow = (f64, f64, f64);

/// The training CE, then test CE and accuracy at each shift of [`SHIFTS`].
fn shift_curve((model, train, test): &ShiftModel) -> Result<(f64, Vec<ShiftRow>)> {
    let train_ce = model.mean_loss(train)?;
    let mut out = Vec::new();
    for &d in &SHIFTS {
        let shifted = shift_inputs(test, &DVector::from_row_slice(&[d, 0.0]))?;
        out.push((
            d,
            model.mean_loss(&shifted)?,
            model.accuracy(&shifted.x, &shifted.y)?,
        ));
    }
    Ok((train_ce, out))
}

/// Every number of the tradeoffs chapter.
fn tradeoffs_values(
    h: &History,
    (model, _, test): &ShiftModel,
    (train_ce, rows): &(f64, Vec<ShiftRow>),
) -> Result<String> {
    let mut a = Anchored::default();
    let (best, best_val) = argmin(&h.validation);
    let last = h.validation.len() - 1;
    a.put("epochs", OVERFIT_EPOCHS);
    a.put("lr", OVERFIT_LR);
    a.put("n_train", OVERFIT_TRAIN);
    a.put("n_val", OVERFIT_VALIDATION);
    a.put("features", OVERFIT_FEATURES);
    a.put("noise", pct(OVERFIT_NOISE));
    a.put("informative", 3);
    a.put("bins", CALIBRATION_BINS);
    a.put("best_epoch", best + 1);
    a.put("best_val", fixed6(best_val));
    a.put("train_at_best", fixed6(h.train[best]));
    a.put("end_val", fixed6(h.validation[last]));
    a.put("end_train", fixed6(h.train[last]));
    a.put("ln3", fixed6(3f64.ln()));

    if !(best + 1 < last && h.validation[last] > best_val + 0.15 && h.train[last] < h.train[best]) {
        return Err(book_err(format!(
            "the tradeoffs chapter's overfitting claims no longer hold: best epoch {best}, \
             {best_val} then {}, training {} then {}",
            h.validation[last], h.train[best], h.train[last]
        )));
    }
    let increasing = rows.windows(2).all(|w| w[1].1 > w[0].1);
    let convex = rows.windows(3).all(|w| w[2].1 - w[1].1 > w[1].1 - w[0].1);
    if !(increasing && convex && (rows[0].1 - train_ce).abs() < 0.05) {
        return Err(book_err(
            "the tradeoffs chapter says the shifted test loss starts at the training loss and \
             grows faster than linearly: update its prose",
        ));
    }
    a.put("shift_train_ce", fixed6(*train_ce));
    a.put("shift_n", format!("{} / {}", SHIFT_SIZES.0, SHIFT_SIZES.1));
    let mut table = String::from("| δ | CE | acc |\n|---|---|---|\n");
    for (d, ce, acc) in rows {
        let _ = writeln!(table, "| {d} | {} | {} |", fixed6(*ce), pct(*acc));
    }
    a.put("shift_table", table.trim_end());
    a.put("shift_ce0", fixed6(rows[0].1));
    a.put("shift_ce_max", fixed6(rows[rows.len() - 1].1));
    a.put("shift_acc0", pct(rows[0].2));
    a.put("shift_acc_max", pct(rows[rows.len() - 1].2));
    a.put("shift_max", SHIFTS[SHIFTS.len() - 1]);

    a.put(
        "ece",
        format!("{:.3}", model.calibration_error(test, CALIBRATION_BINS)?),
    );

    // The Hessian of CE in the logits: diag(q) − q qᵀ, eigenvalues in [0, 1/2].
    let z = DVector::from_row_slice(&[2.0, 1.0, 0.1]);
    let (lo, hi) = hessian_eigen_range(&z)?;
    a.put("hess_z", "(2, 1, 0.1)");
    a.put("hess_min", prose_number(&format!("{:.1e}", lo.abs())));
    a.put("hess_max", fixed6(hi));
    Ok(a.0)
}

/// Smallest and largest eigenvalue of diag(q) − q qᵀ at logits `z`.
fn hessian_eigen_range(z: &DVector<f64>) -> Result<(f64, f64)> {
    let q = ce_mle::softmax::softmax(&DMatrix::from_row_slice(1, z.len(), z.as_slice()))?;
    let q = q.row(0).transpose();
    let h = DMatrix::from_diagonal(&q) - &q * q.transpose();
    let e = h.symmetric_eigen().eigenvalues;
    Ok((e.min(), e.max()))
}

fn tradeoffs_overfit_figure(h: &History, lang: usize) -> Result<String> {
    let chart = Chart::new(
        pick(
            [
                "100 samples, 60 features: training vs validation",
                "100 个样本、60 个特征：训练集与验证集",
            ],
            lang,
        ),
        pick(["epoch", "轮次"], lang),
        pick(["mean cross-entropy (nats)", "平均交叉熵（奈特）"], lang),
    )
    .with_series(pick(["training", "训练集"], lang), curve(&h.train))
    .with_series(pick(["validation", "验证集"], lang), curve(&h.validation));
    line_chart(&chart)
}

fn tradeoffs_shift_figure((train_ce, rows): &(f64, Vec<ShiftRow>), lang: usize) -> Result<String> {
    let chart = Chart::new(
        pick(
            [
                "Test loss under a shift of the inputs",
                "输入分布偏移下的测试损失",
            ],
            lang,
        ),
        pick(
            [
                "shift δ of the test inputs (in class standard deviations)",
                "测试输入的偏移量 δ（以类内标准差为单位）",
            ],
            lang,
        ),
        pick(["mean cross-entropy (nats)", "平均交叉熵（奈特）"], lang),
    )
    .with_series(
        pick(["test, shifted", "偏移后的测试集"], lang),
        rows.iter().map(|r| (r.0, r.1)).collect(),
    )
    .with_series(
        pick(["training", "训练集"], lang),
        rows.iter().map(|r| (r.0, *train_ce)).collect(),
    );
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "tradeoffs",
    files: &[
        "tradeoffs-values.txt",
        "tradeoffs-overfit.en.svg",
        "tradeoffs-overfit.zh.svg",
        "tradeoffs-shift.en.svg",
        "tradeoffs-shift.zh.svg",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let (plain, _) = overfit_run(Regularization::none(), None, None)?;
    let shift = shift_model()?;
    let rows = shift_curve(&shift)?;
    Ok(vec![
        tradeoffs_values(&plain, &shift, &rows)?,
        tradeoffs_overfit_figure(&plain, 0)?,
        tradeoffs_overfit_figure(&plain, 1)?,
        tradeoffs_shift_figure(&rows, 0)?,
        tradeoffs_shift_figure(&rows, 1)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overfitting_set_up_has_the_chapters_sizes() {
        let (m, train, val) = overfit_setup().unwrap();
        assert_eq!((train.x.shape(), val.x.shape()), ((100, 60), (200, 60)));
        assert_eq!(m.linear.weight.shape(), (3, 60));
    }
}
