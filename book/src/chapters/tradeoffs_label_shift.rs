//! Label shift (section "Label shift" of `book/{en,zh}/src/tradeoffs.md`, listing
//! `book/listings/tradeoffs.rs`): the class proportions change between training and test while
//! `p(x | y)` stays, and two corrections with importance weights `w_c = π_test(c) / π_train(c)`:
//! a weighted likelihood in training (PyTorch's class `weight`), or Bayes' rule on the
//! trained model's output (`log w_c` added to the logits; Saerens, Latinne and Decaestecker,
//! *Neural Computation* 14(1), 2002).

use nalgebra::{DMatrix, DVector};

use ce_mle::data::synthetic::gaussian_classes;
use ce_mle::data::{Classification, rng};
use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy};
use ce_mle::nn::{Linear, SoftmaxClassifier};
use ce_mle::optim::{Adam, Optimizer};

use super::tradeoffs::SHIFT_MEANS;
use super::{Anchored, Outputs, book_err, fixed6, pct};
use crate::error::Result;

/// Class counts of the training set (proportions 0.7, 0.2, 0.1).
pub const LABEL_SHIFT_TRAIN: [usize; 3] = [420, 120, 60];
/// Class counts of the test set (uniform).
pub const LABEL_SHIFT_TEST: [usize; 3] = [500, 500, 500];
/// Seed of the data and the initial weights.
pub const LABEL_SHIFT_SEED: u64 = 13;
/// Full-batch Adam epochs (lr [`LABEL_SHIFT_LR`]).
pub const LABEL_SHIFT_EPOCHS: usize = 300;
/// Adam's learning rate.
pub const LABEL_SHIFT_LR: f64 = 0.05;

/// The first `counts[c]` samples of each class `c` of `pool`, in pool order.
fn take(pool: &Classification, counts: &[usize; 3]) -> Result<Classification> {
    let mut left = *counts;
    let mut rows = Vec::new();
    for (i, &y) in pool.y.iter().enumerate() {
        let c = usize::try_from(y).map_err(|_| book_err("negative label"))?;
        if left[c] > 0 {
            left[c] -= 1;
            rows.push(i);
        }
    }
    if left.iter().any(|&l| l > 0) {
        return Err(book_err("the pool is too small for the class counts"));
    }
    Ok(Classification {
        x: pool.x.select_rows(&rows),
        y: rows.iter().map(|&i| pool.y[i]).collect(),
        classes: 3,
    })
}

/// The training and test sets: three Gaussian classes (means of the distribution-shift
/// experiment, unit variance), class counts [`LABEL_SHIFT_TRAIN`] and [`LABEL_SHIFT_TEST`].
///
/// # Errors
/// As [`gaussian_classes`].
pub fn label_shift_data() -> Result<(Classification, Classification)> {
    let means = DMatrix::from_fn(3, 2, |i, j| SHIFT_MEANS[i][j]);
    let mut r = rng(LABEL_SHIFT_SEED);
    let train_pool = gaussian_classes(3000, &means, 1.0, &mut r)?;
    let test_pool = gaussian_classes(3000, &means, 1.0, &mut r)?;
    Ok((
        take(&train_pool, &LABEL_SHIFT_TRAIN)?,
        take(&test_pool, &LABEL_SHIFT_TEST)?,
    ))
}

/// The importance weights `π_test(c) / π_train(c)`.
#[must_use]
pub fn importance_weights() -> DVector<f64> {
    let (a, b) = (
        LABEL_SHIFT_TRAIN.iter().sum::<usize>() as f64,
        LABEL_SHIFT_TEST.iter().sum::<usize>() as f64,
    );
    DVector::from_fn(3, |c, _| {
        (LABEL_SHIFT_TEST[c] as f64 / b) / (LABEL_SHIFT_TRAIN[c] as f64 / a)
    })
}

/// A linear softmax classifier trained by full-batch Adam on `train`, its cross-entropy
/// weighted by `weight` (PyTorch's class `weight`) if given.
///
/// # Errors
/// As [`SoftmaxClassifier::loss_and_grad`] and [`Adam::step`].
pub fn train_label_shift(
    train: &Classification,
    weight: Option<DVector<f64>>,
) -> Result<SoftmaxClassifier> {
    let mut r = rng(LABEL_SHIFT_SEED + 1);
    let mut model = SoftmaxClassifier::new(Linear::new(2, 3, &mut r)?);
    let opts = match weight {
        Some(w) => CrossEntropyOptions::default().weight(w),
        None => CrossEntropyOptions::default(),
    };
    let mut adam = Adam::new(LABEL_SHIFT_LR)?;
    for _ in 0..LABEL_SHIFT_EPOCHS {
        let (_, g) = model.loss_and_grad(&train.x, Target::Indices(&train.y), &opts)?;
        adam.step(
            &mut model.linear.parameters_mut(),
            &[g.weight.as_slice(), g.bias.as_slice()],
        )?;
    }
    Ok(model)
}

/// Mean test cross-entropy and accuracy of logits `z` for labels `y`.
fn score(z: &DMatrix<f64>, y: &[i64]) -> Result<(f64, f64)> {
    let ce = cross_entropy(z, Target::Indices(y), &CrossEntropyOptions::default())?
        .scalar()
        .ok_or_else(|| book_err("a reduced loss returned a vector"))?;
    let right = z
        .row_iter()
        .zip(y)
        .filter(|(row, y)| row.transpose().argmax().0 as i64 == **y)
        .count();
    Ok((ce, right as f64 / y.len() as f64))
}

fn values() -> Result<String> {
    let (train, test) = label_shift_data()?;
    let w = importance_weights();
    let plain = train_label_shift(&train, None)?;
    let weighted = train_label_shift(&train, Some(w.clone()))?;
    let z_plain = plain.logits(&test.x)?;
    let log_w = w.map(f64::ln).transpose();
    let z_corrected = DMatrix::from_fn(z_plain.nrows(), 3, |i, c| z_plain[(i, c)] + log_w[c]);
    let (ce_p, acc_p) = score(&z_plain, &test.y)?;
    let (ce_w, acc_w) = score(&weighted.logits(&test.x)?, &test.y)?;
    let (ce_c, acc_c) = score(&z_corrected, &test.y)?;
    let mut a = Anchored::default();
    a.put(
        "train_counts",
        format!("{LABEL_SHIFT_TRAIN:?}").replace(['[', ']'], ""),
    );
    a.put(
        "test_counts",
        format!("{LABEL_SHIFT_TEST:?}").replace(['[', ']'], ""),
    );
    a.put("weights", super::tuple_fixed6(w.as_slice()));
    a.put("epochs", LABEL_SHIFT_EPOCHS);
    a.put("plain_ce", fixed6(ce_p));
    a.put("plain_acc", pct(acc_p));
    a.put("weighted_ce", fixed6(ce_w));
    a.put("weighted_acc", pct(acc_w));
    a.put("corrected_ce", fixed6(ce_c));
    a.put("corrected_acc", pct(acc_c));
    a.put("ln3", fixed6(3f64.ln()));
    Ok(a.0)
}

/// The temperatures searched: `T = 0.5, 0.51, …, 10`.
#[must_use]
pub fn temperature_grid() -> Vec<f64> {
    (50..=1000).map(|i| f64::from(i) / 100.0).collect()
}

/// `model` with its logits divided by `t` (weights and bias scaled by `1/t`).
///
/// # Errors
/// As [`Linear::from_parameters`].
pub fn with_temperature(model: &SoftmaxClassifier, t: f64) -> Result<SoftmaxClassifier> {
    Ok(SoftmaxClassifier::new(Linear::from_parameters(
        &model.linear.weight / t,
        &model.linear.bias / t,
    )?))
}

/// Temperature scaling of the overfitted model of the chapter (plain gradient descent, no
/// penalty, all epochs): the temperature that minimises the validation cross-entropy on
/// [`temperature_grid`], and the validation cross-entropy and calibration error before and
/// after.
fn temperature_values() -> Result<String> {
    let (_, model) =
        super::tradeoffs::overfit_run(ce_mle::train::Regularization::none(), None, None)?;
    let (_, _, val) = super::tradeoffs::overfit_setup()?;
    let mut best = (1.0, f64::INFINITY);
    for t in temperature_grid() {
        let ce = with_temperature(&model, t)?.mean_loss(&val)?;
        if ce < best.1 {
            best = (t, ce);
        }
    }
    let bins = super::tradeoffs::CALIBRATION_BINS;
    let scaled = with_temperature(&model, best.0)?;
    let mut a = Anchored::default();
    a.put("t", format!("{:.2}", best.0));
    a.put("val_ce_1", fixed6(model.mean_loss(&val)?));
    a.put("val_ce_t", fixed6(best.1));
    a.put(
        "ece_1",
        format!("{:.3}", model.calibration_error(&val, bins)?),
    );
    a.put(
        "ece_t",
        format!("{:.3}", scaled.calibration_error(&val, bins)?),
    );
    a.put("acc_1", pct(model.accuracy(&val.x, &val.y)?));
    a.put("acc_t", pct(scaled.accuracy(&val.x, &val.y)?));
    Ok(a.0)
}

/// The files of the tradeoffs chapter's label-shift and temperature sections under
/// `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "tradeoffs",
    files: &["tradeoffs-label-shift.txt", "tradeoffs-temperature.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![values()?, temperature_values()?])
}
