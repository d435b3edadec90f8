//! The exercises at the end of the theory chapters and their answers: the inputs each
//! exercise states, and every number of `book/{en,zh}/src/exercise-answers.md`, computed with
//! the crate.
//!
//! The chapters include the inputs (so the statement and the answer use the same numbers);
//! the answers page includes the results. The listing `book/listings/exercise_answers.rs`
//! recomputes each result by another route (a closed form, a direct sum, finite differences,
//! a search) and asserts that it agrees with [`answers`].

use nalgebra::{DMatrix, DVector};

use ce_mle::information::{cross_entropy_between, entropy, kl_divergence};
use ce_mle::likelihood::{bernoulli_mle, categorical_mle, log_likelihood};
use ce_mle::loss::{
    BceOptions, BceWithLogitsOptions, CrossEntropyOptions, Reduction, Target, binary_cross_entropy,
    binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_with_grad, cross_entropy,
    cross_entropy_with_grad, mse_loss,
};
use ce_mle::softmax::{logsumexp, softmax};

use super::{Anchored, Outputs, dist, fixed6, prose_number, scalar, trimmed, tuple_fixed6};
use crate::error::Result;

// Background.

/// The probabilities a language model gives the five observed tokens of a text (background,
/// exercises 1 and 2).
pub const BG_PROBS: [f64; 5] = [0.2, 0.5, 0.1, 0.4, 0.25];
/// Exercise 3: p(the), p(sun | the), p(is | the sun).
pub const BG_CHAIN: [f64; 3] = [0.05, 0.01, 0.6];
/// Exercise 4: a reported mean cross-entropy, nats per token.
pub const BG_CE: f64 = 2.0;
/// Exercise 5: the probabilities of a prompt's tokens and of the response's tokens.
pub const BG_PROMPT: [f64; 4] = [0.1, 0.2, 0.1, 0.3];
/// See [`BG_PROMPT`].
pub const BG_RESPONSE: [f64; 3] = [0.5, 0.8, 0.9];

// Information theory.

/// Number of equally likely outcomes of the uniform source (information, exercise 1).
pub const INFO_UNIFORM_C: usize = 3;
/// Code lengths, in bits, of the prefix code 0, 10, 11 for that source.
pub const INFO_CODE_BITS: [f64; 3] = [1.0, 2.0, 2.0];
/// The distributions `p` and `q` of exercises 2 to 4.
pub const INFO_P: [f64; 3] = [0.5, 0.25, 0.25];
/// See [`INFO_P`].
pub const INFO_Q: [f64; 3] = [0.7, 0.2, 0.1];
/// The second pair of exercise 4 (independent coordinates).
pub const INFO_P2: [f64; 2] = [0.9, 0.1];
/// See [`INFO_P2`].
pub const INFO_Q2: [f64; 2] = [0.6, 0.4];
/// Exercise 5: `p` has a zero where `q` has mass.
pub const INFO_ZERO_P: [f64; 3] = [0.5, 0.5, 0.0];
/// See [`INFO_ZERO_P`].
pub const INFO_ZERO_Q: [f64; 3] = [0.25, 0.25, 0.5];

// Maximum likelihood.

/// Heads and tosses of the coin (likelihood, exercises 1 and 2).
pub const LIK_HEADS: usize = 7;
/// See [`LIK_HEADS`].
pub const LIK_TOSSES: usize = 10;
/// The fair coin the MLE is compared with.
pub const LIK_FAIR: f64 = 0.5;
/// Class counts of exercises 3 and 4 (four classes, one never seen).
pub const LIK_COUNTS: [usize; 4] = [3, 0, 5, 2];
/// Dirichlet parameter of exercise 4 (α = 2: add-one smoothing).
pub const LIK_ALPHA: f64 = 2.0;
/// The factor multiplied until the product underflows (exercise 5).
pub const LIK_FACTOR: f64 = 0.5;

// Cross-entropy is maximum likelihood.

/// The model's probabilities for three samples (rows) and three classes (equivalence,
/// exercises 1 and 2).
pub const EQ_Q: [[f64; 3]; 3] = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5]];
/// The observed classes of those samples.
pub const EQ_Y: [usize; 3] = [0, 1, 2];
/// Exercise 3: how often each class occurs with input `a` and with input `b`.
pub const EQ_COUNTS_A: [usize; 2] = [3, 1];
/// See [`EQ_COUNTS_A`].
pub const EQ_COUNTS_B: [usize; 2] = [0, 4];
/// Exercise 4: three soft targets.
pub const EQ_SOFT: [[f64; 3]; 3] = [[0.9, 0.1, 0.0], [0.5, 0.3, 0.2], [0.1, 0.2, 0.7]];
/// Exercise 5: one input seen with labels 0, 1, 0, 1.
pub const EQ_NOISY: [usize; 4] = [0, 1, 0, 1];

// Softmax.

/// The logits of the softmax exercises 1 to 4.
pub const SM_Z: [f64; 3] = [1.0, 2.0, 3.0];
/// Temperatures of exercise 1.
pub const SM_TEMPS: [f64; 3] = [0.5, 1.0, 2.0];
/// The small temperature of exercise 2.
pub const SM_COLD: f64 = 0.1;
/// Observed class and learning rate of exercise 3.
pub const SM_Y: usize = 0;
/// See [`SM_Y`].
pub const SM_LR: f64 = 1.0;
/// Two logits of exercise 5 (two classes).
pub const SM_PAIR: [f64; 2] = [1.0, 2.5];
/// A confidently wrong prediction of exercise 6 (observed class 0).
pub const SM_WRONG: [f64; 3] = [-5.0, 5.0, 0.0];

// Binary, multi-label and regression losses.

/// The logit of binary exercises 1 and 2.
pub const BIN_Z: f64 = 3.0;
/// Exercise 3: the share of positive labels, and the `pos_weight` that balances it.
pub const BIN_POSITIVE: f64 = 0.2;
/// See [`BIN_POSITIVE`].
pub const BIN_POS_WEIGHT: f64 = 4.0;
/// Exercise 4: probabilities given to an observed label 1 by `binary_cross_entropy`.
pub const BIN_PROBS: [f64; 2] = [0.0, 1e-50];
/// Exercise 5: two labels' logits and the observed label vector.
pub const BIN_MULTI_Z: [f64; 2] = [1.0, -2.0];
/// See [`BIN_MULTI_Z`].
pub const BIN_MULTI_Y: [f64; 2] = [1.0, 1.0];
/// Exercise 2, regression: prediction, observation and variance.
pub const BIN_MU: f64 = 1.5;
/// See [`BIN_MU`].
pub const BIN_OBS: f64 = 2.0;
/// See [`BIN_MU`].
pub const BIN_VAR: f64 = 0.5;

// PyTorch's options.

/// Exercise 1: logits of two samples (rows), their classes, and class weights.
pub const OPT_Z: [[f64; 2]; 2] = [[1.0, 0.0], [0.0, 0.5]];
/// See [`OPT_Z`].
pub const OPT_Y: [i64; 2] = [0, 1];
/// See [`OPT_Z`].
pub const OPT_W: [f64; 2] = [1.0, 3.0];
/// Exercise 2: class priors of the training and of the test data.
pub const OPT_TRAIN_PRIOR: [f64; 2] = [0.8, 0.2];
/// See [`OPT_TRAIN_PRIOR`].
pub const OPT_TEST_PRIOR: [f64; 2] = [0.5, 0.5];
/// Exercise 2: the training labels (in the training prior's proportions).
pub const OPT_TRAIN_LABELS: [i64; 10] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
/// Exercise 3: classes and the label-smoothing values.
pub const OPT_C: usize = 4;
/// See [`OPT_C`].
pub const OPT_EPS: [f64; 3] = [0.1, 0.01, 1.0];
/// Exercise 4: logits of three samples and their targets, one of them ignored.
pub const OPT_IGNORE_Z: [[f64; 3]; 3] = [[2.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 1.0]];
/// See [`OPT_IGNORE_Z`].
pub const OPT_IGNORE_Y: [i64; 3] = [0, -100, 2];
/// Exercise 5: a learning rate under the `mean` reduction and a batch size.
pub const OPT_LR: f64 = 0.1;
/// See [`OPT_LR`].
pub const OPT_BATCH: usize = 32;

// Why cross-entropy and not another loss.

/// Exercise 1: the logit `u` of the true class 0 in `z = (u, 0)`.
pub const WHY_U: f64 = -5.0;
/// Exercise 2: the distribution of the label and the prediction.
pub const WHY_P: [f64; 3] = [0.5, 0.3, 0.2];
/// See [`WHY_P`].
pub const WHY_Q: [f64; 3] = [0.6, 0.3, 0.1];
/// Exercise 4: a second prediction with the same probability for class 0 as [`WHY_Q`].
pub const WHY_Q2: [f64; 3] = [0.6, 0.2, 0.2];
/// Exercise 5: two predictions that are both right about class 0.
pub const WHY_SURE: [f64; 3] = [0.4, 0.35, 0.25];
/// See [`WHY_SURE`].
pub const WHY_UNSURE: [f64; 3] = [0.34, 0.33, 0.33];

/// Every result the answers page quotes, computed with the crate.
#[derive(Clone, Debug)]
pub struct Answers {
    /// Mean CE of [`BG_PROBS`] (nats per token) and the perplexity (background, exercise 1).
    pub bg_ce: f64,
    /// See [`Answers::bg_ce`].
    pub bg_ppl: f64,
    /// The joint probability of the three tokens of exercise 3, its NLL and the mean per token.
    pub bg_joint: f64,
    /// See [`Answers::bg_joint`].
    pub bg_nll: f64,
    /// See [`Answers::bg_joint`].
    pub bg_mean: f64,
    /// Mean loss over the response tokens only (the prompt ignored) and over all tokens
    /// (exercise 5).
    pub bg_response: f64,
    /// See [`Answers::bg_response`].
    pub bg_all: f64,
    /// [`BG_CE`] in bits per token, and the perplexity (exercise 4).
    pub bg_bits: f64,
    /// See [`Answers::bg_bits`].
    pub bg_ce_ppl: f64,
    /// H of the uniform source in nats and in bits; average length of the code in bits.
    pub info_h_nats: f64,
    /// See [`Answers::info_h_nats`].
    pub info_h_bits: f64,
    /// See [`Answers::info_h_nats`].
    pub info_code_bits: f64,
    /// H(p), H(p, q), KL(p‖q), KL(q‖p) of exercise 2.
    pub info_hp: f64,
    /// See [`Answers::info_hp`].
    pub info_hpq: f64,
    /// See [`Answers::info_hp`].
    pub info_kl_pq: f64,
    /// See [`Answers::info_hp`].
    pub info_kl_qp: f64,
    /// log C − H(p) for exercise 3 (= KL(p‖uniform)).
    pub info_gap_uniform: f64,
    /// KL(p₂‖q₂) and KL of the product distributions (exercise 4).
    pub info_kl2: f64,
    /// See [`Answers::info_kl2`].
    pub info_kl_product: f64,
    /// KL(p‖q) and KL(q‖p) of exercise 5 (the second is +∞).
    pub info_zero_pq: f64,
    /// See [`Answers::info_zero_pq`].
    pub info_zero_qp: f64,
    /// The coin's MLE, ℓ at the MLE and at the fair coin, L at the MLE, and the
    /// likelihood ratio L(θ̂) / L(½).
    pub lik_theta: f64,
    /// See [`Answers::lik_theta`].
    pub lik_ell_hat: f64,
    /// See [`Answers::lik_theta`].
    pub lik_ell_fair: f64,
    /// See [`Answers::lik_theta`].
    pub lik_l_hat: f64,
    /// See [`Answers::lik_theta`].
    pub lik_ratio: f64,
    /// ℓ''(θ̂) of exercise 2.
    pub lik_curvature: f64,
    /// The categorical MLE of [`LIK_COUNTS`] and its mean NLL H(q̂) (exercise 3).
    pub lik_mle: Vec<f64>,
    /// See [`Answers::lik_mle`].
    pub lik_min_nll: f64,
    /// The loss of an observation of the unseen class under the MLE (+∞).
    pub lik_unseen_mle: f64,
    /// The MAP estimate with a Dirichlet(α) prior, its mean NLL on the counts, and the loss
    /// of an observation of the unseen class under it (exercise 4).
    pub lik_map: Vec<f64>,
    /// See [`Answers::lik_map`].
    pub lik_map_nll: f64,
    /// See [`Answers::lik_map`].
    pub lik_unseen_map: f64,
    /// How many factors of [`LIK_FACTOR`] leave the product above 0, and the smallest
    /// positive product (exercise 5).
    pub lik_factors: usize,
    /// See [`Answers::lik_factors`].
    pub lik_smallest: f64,
    /// The log-likelihood of `lik_factors + 1` factors, summed in log space.
    pub lik_log_sum: f64,
    /// Per-sample losses, their sum and mean, and the likelihood (equivalence, exercise 1).
    pub eq_losses: Vec<f64>,
    /// See [`Answers::eq_losses`].
    pub eq_sum: f64,
    /// See [`Answers::eq_losses`].
    pub eq_mean: f64,
    /// See [`Answers::eq_losses`].
    pub eq_likelihood: f64,
    /// CE and KL of the one-hot target of sample 3 (exercise 2).
    pub eq_onehot_ce: f64,
    /// See [`Answers::eq_onehot_ce`].
    pub eq_onehot_kl: f64,
    /// Smallest mean CE of a model that sees the input (H(Y|X)), of one that does not
    /// (H(Y)), and their difference (exercise 3).
    pub eq_cond: f64,
    /// See [`Answers::eq_cond`].
    pub eq_marginal: f64,
    /// See [`Answers::eq_cond`].
    pub eq_information: f64,
    /// The mean soft target and the smallest mean CE, H(ȳ) (exercise 4).
    pub eq_soft_mean: Vec<f64>,
    /// See [`Answers::eq_soft_mean`].
    pub eq_soft_min: f64,
    /// The smallest mean CE on [`EQ_NOISY`] (exercise 5).
    pub eq_noisy_min: f64,
    /// softmax(z / T) and its entropy for each of [`SM_TEMPS`] (softmax, exercise 1).
    pub sm_temp_q: Vec<Vec<f64>>,
    /// See [`Answers::sm_temp_q`].
    pub sm_temp_h: Vec<f64>,
    /// T·lse(z / T) at [`SM_COLD`], and its bound max z + T log C (exercise 2).
    pub sm_soft_max: f64,
    /// See [`Answers::sm_soft_max`].
    pub sm_soft_bound: f64,
    /// Loss, gradient, logits after one step, loss after it (exercise 3).
    pub sm_loss: f64,
    /// See [`Answers::sm_loss`].
    pub sm_grad: Vec<f64>,
    /// See [`Answers::sm_loss`].
    pub sm_step_z: Vec<f64>,
    /// See [`Answers::sm_loss`].
    pub sm_step_loss: f64,
    /// The Hessian diag(q) − qqᵀ at [`SM_Z`], row by row (exercise 4).
    pub sm_hessian: Vec<Vec<f64>>,
    /// CE of class 0 for [`SM_PAIR`], and the BCE of z₀ − z₁ with label 1 (exercise 5).
    pub sm_pair_ce: f64,
    /// See [`Answers::sm_pair_ce`].
    pub sm_pair_bce: f64,
    /// Loss and gradient of the confidently wrong prediction (exercise 6).
    pub sm_wrong_loss: f64,
    /// See [`Answers::sm_wrong_loss`].
    pub sm_wrong_grad: Vec<f64>,
    /// BCE of [`BIN_Z`] with labels 1 and 0 (binary, exercise 1).
    pub bin_y1: f64,
    /// See [`Answers::bin_y1`].
    pub bin_y0: f64,
    /// Gradients of the BCE (label 1) in the logit and of the Gaussian NLL in μ (exercise 2).
    pub bin_grad: f64,
    /// See [`Answers::bin_grad`].
    pub bin_gauss_grad: f64,
    /// Best constant logit without and with `pos_weight`, and σ of each (exercise 3).
    pub bin_best_plain: f64,
    /// See [`Answers::bin_best_plain`].
    pub bin_best_weighted: f64,
    /// The gradient of the weighted expected loss at `bin_best_weighted` (0).
    pub bin_best_grad: f64,
    /// `binary_cross_entropy` of [`BIN_PROBS`] with label 1, and the exact −log of the second.
    pub bin_clamped: Vec<f64>,
    /// See [`Answers::bin_clamped`].
    pub bin_exact: f64,
    /// Summed BCE of the two labels and −log of their joint probability (exercise 5).
    pub bin_multi: f64,
    /// See [`Answers::bin_multi`].
    pub bin_multi_joint: f64,
    /// Per-sample losses, weighted sum and weighted mean (options, exercise 1).
    pub opt_losses: Vec<f64>,
    /// See [`Answers::opt_losses`].
    pub opt_wsum: f64,
    /// See [`Answers::opt_losses`].
    pub opt_wmean: f64,
    /// Exercise 2: the importance weights, the weighted training loss of the prior-only
    /// model, its test loss, and the constant model that minimises the weighted loss.
    pub opt_iw: Vec<f64>,
    /// See [`Answers::opt_iw`].
    pub opt_weighted_train: f64,
    /// See [`Answers::opt_iw`].
    pub opt_test: f64,
    /// See [`Answers::opt_iw`].
    pub opt_weighted_best: Vec<f64>,
    /// Exercise 3, per value of [`OPT_EPS`]: the smoothed target's largest entry, the
    /// smallest loss, the logit gap at the optimum, and the crate's gradient there (0).
    pub opt_smooth_top: Vec<f64>,
    /// See [`Answers::opt_smooth_top`].
    pub opt_smooth_min: Vec<f64>,
    /// See [`Answers::opt_smooth_top`].
    pub opt_smooth_gap: Vec<f64>,
    /// See [`Answers::opt_smooth_top`].
    pub opt_smooth_grad: f64,
    /// Why cross-entropy, exercise 1: q₀, the CE and the Brier score's derivatives in `u`.
    pub why_q0: f64,
    /// See [`Answers::why_q0`].
    pub why_ce_grad: f64,
    /// See [`Answers::why_q0`].
    pub why_brier_grad: f64,
    /// Exercise 2: expected Brier score of `q` and of `p` under `p`, and ‖q − p‖².
    pub why_brier_q: f64,
    /// See [`Answers::why_brier_q`].
    pub why_brier_p: f64,
    /// See [`Answers::why_brier_q`].
    pub why_dist: f64,
    /// Exercise 3: expected linear score −q_y under `p` at `q = p` and at the one-hot of the
    /// most likely class.
    pub why_linear_p: f64,
    /// See [`Answers::why_linear_p`].
    pub why_linear_top: f64,
    /// Exercise 4: log and Brier scores of [`WHY_Q`] and [`WHY_Q2`] for class 0.
    pub why_log: Vec<f64>,
    /// See [`Answers::why_log`].
    pub why_brier: Vec<f64>,
    /// Exercise 5: the CE of [`WHY_SURE`] and [`WHY_UNSURE`] for class 0.
    pub why_sure_ce: Vec<f64>,
    /// Exercise 4: per-sample losses (the ignored one 0) and the mean.
    pub opt_ignore_losses: Vec<f64>,
    /// See [`Answers::opt_ignore_losses`].
    pub opt_ignore_mean: f64,
    /// Exercise 5: the ratio of the `sum` gradient to the `mean` gradient on a batch of
    /// [`OPT_BATCH`] samples, and the learning rate under `sum` that takes the same step.
    pub opt_grad_ratio: f64,
    /// See [`Answers::opt_grad_ratio`].
    pub opt_sum_lr: f64,
}

fn row(xs: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(1, xs.len(), xs)
}

fn first_row(m: &DMatrix<f64>) -> Vec<f64> {
    m.row(0).iter().copied().collect()
}

/// Labels `0..C` repeated as often as `counts` says.
fn labels_of(counts: &[usize]) -> Vec<usize> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(k, &n)| std::iter::repeat_n(k, n))
        .collect()
}

/// Mean cross-entropy of the class-index `labels` under logits `z` (one row, the same model
/// for every label).
fn mean_ce(z: &[f64], labels: &[usize]) -> Result<f64> {
    let rows = DMatrix::from_fn(labels.len(), z.len(), |_, k| z[k]);
    let t: Vec<i64> = labels.iter().map(|&y| y as i64).collect();
    scalar(&cross_entropy(
        &rows,
        Target::Indices(&t),
        &CrossEntropyOptions::default(),
    )?)
}

/// Every result of the answers page.
///
/// # Errors
/// Whatever the crate's functions return for these (valid) inputs: none in practice.
#[allow(clippy::too_many_lines)]
pub fn answers() -> Result<Answers> {
    // Background.
    let bg_ce = -log_likelihood(&BG_PROBS)? / BG_PROBS.len() as f64;
    let bg_nll = -log_likelihood(&BG_CHAIN)?;

    // Instruction tuning: one row per token, logits (log q, log(1 − q)) so that the observed
    // token (class 0) has probability q; prompt tokens carry PyTorch's ignore_index.
    let tokens: Vec<f64> = BG_PROMPT.iter().chain(&BG_RESPONSE).copied().collect();
    let token_rows = DMatrix::from_fn(tokens.len(), 2, |i, k| {
        if k == 0 {
            tokens[i].ln()
        } else {
            (1.0 - tokens[i]).ln()
        }
    });
    let masked: Vec<i64> = (0..tokens.len())
        .map(|i| if i < BG_PROMPT.len() { -100 } else { 0 })
        .collect();
    let bg_response = scalar(&cross_entropy(
        &token_rows,
        Target::Indices(&masked),
        &CrossEntropyOptions::default(),
    )?)?;
    let bg_all = scalar(&cross_entropy(
        &token_rows,
        Target::Indices(&vec![0; tokens.len()]),
        &CrossEntropyOptions::default(),
    )?)?;

    // Information theory.
    let uniform = dist(&[1.0 / INFO_UNIFORM_C as f64; INFO_UNIFORM_C]);
    let info_h_nats = entropy(&uniform)?;
    let info_code_bits = INFO_CODE_BITS.iter().sum::<f64>() / INFO_UNIFORM_C as f64;
    let (p, q) = (dist(&INFO_P), dist(&INFO_Q));
    let product = |a: &[f64], b: &[f64]| {
        dist(
            &a.iter()
                .flat_map(|x| b.iter().map(move |y| x * y))
                .collect::<Vec<_>>(),
        )
    };
    let info_kl2 = kl_divergence(&dist(&INFO_P2), &dist(&INFO_Q2))?;
    let info_kl_product = kl_divergence(&product(&INFO_P, &INFO_P2), &product(&INFO_Q, &INFO_Q2))?;
    let u3 = dist(&[1.0 / 3.0; 3]);

    // Maximum likelihood.
    let flips: Vec<bool> = (0..LIK_TOSSES).map(|i| i < LIK_HEADS).collect();
    let lik_theta = bernoulli_mle(&flips)?;
    let coin = |theta: f64| {
        let probs: Vec<f64> = flips
            .iter()
            .map(|&h| if h { theta } else { 1.0 - theta })
            .collect();
        log_likelihood(&probs)
    };
    let lik_ell_hat = coin(lik_theta)?;
    let lik_ell_fair = coin(LIK_FAIR)?;
    let (h, t) = (LIK_HEADS as f64, (LIK_TOSSES - LIK_HEADS) as f64);
    let lik_curvature = -h / lik_theta.powi(2) - t / (1.0 - lik_theta).powi(2);
    let labels = labels_of(&LIK_COUNTS);
    let mle = categorical_mle(&labels, LIK_COUNTS.len())?;
    let n = labels.len() as f64;
    let c = LIK_COUNTS.len() as f64;
    let map: Vec<f64> = LIK_COUNTS
        .iter()
        .map(|&k| (k as f64 + LIK_ALPHA - 1.0) / (n + c * (LIK_ALPHA - 1.0)))
        .collect();
    let map_z: Vec<f64> = map.iter().map(|v| v.ln()).collect();
    let lik_map_nll = mean_ce(&map_z, &labels)?;
    let lik_unseen_map = mean_ce(&map_z, &[1])?;
    let mut lik_factors = 0;
    let mut product_so_far = 1.0_f64;
    let mut lik_smallest = 1.0;
    while product_so_far * LIK_FACTOR > 0.0 {
        product_so_far *= LIK_FACTOR;
        lik_smallest = product_so_far;
        lik_factors += 1;
    }

    // Cross-entropy is maximum likelihood: log-probabilities as logits reproduce q.
    let q_rows = DMatrix::from_fn(3, 3, |i, k| EQ_Q[i][k].ln());
    let y: Vec<i64> = EQ_Y.iter().map(|&k| k as i64).collect();
    let none = CrossEntropyOptions::default().reduction(Reduction::None);
    let per = cross_entropy(&q_rows, Target::Indices(&y), &none)?;
    let eq_losses: Vec<f64> = per
        .per_sample()
        .map(|v| v.iter().copied().collect())
        .unwrap_or_default();
    let sum_opts = CrossEntropyOptions::default().reduction(Reduction::Sum);
    let eq_sum = scalar(&cross_entropy(&q_rows, Target::Indices(&y), &sum_opts)?)?;
    let eq_mean = scalar(&cross_entropy(
        &q_rows,
        Target::Indices(&y),
        &CrossEntropyOptions::default(),
    )?)?;
    let eq_likelihood = EQ_Q.iter().zip(EQ_Y).map(|(r, k)| r[k]).product();
    let onehot = dist(&[0.0, 0.0, 1.0]);
    let q3 = dist(&EQ_Q[2]);
    let na = EQ_COUNTS_A.iter().sum::<usize>() as f64;
    let nb = EQ_COUNTS_B.iter().sum::<usize>() as f64;
    let freq = |c: &[usize], n: f64| dist(&c.iter().map(|&k| k as f64 / n).collect::<Vec<_>>());
    let eq_cond = (na * entropy(&freq(&EQ_COUNTS_A, na))? + nb * entropy(&freq(&EQ_COUNTS_B, nb))?)
        / (na + nb);
    let marginal: Vec<usize> = EQ_COUNTS_A
        .iter()
        .zip(EQ_COUNTS_B)
        .map(|(a, b)| a + b)
        .collect();
    let eq_marginal = entropy(&freq(&marginal, na + nb))?;
    let soft_mean: Vec<f64> = (0..3)
        .map(|k| EQ_SOFT.iter().map(|r| r[k]).sum::<f64>() / EQ_SOFT.len() as f64)
        .collect();
    let soft_targets = DMatrix::from_fn(3, 3, |i, k| EQ_SOFT[i][k]);
    let soft_logits = DMatrix::from_fn(3, 3, |_, k| soft_mean[k].ln());
    let eq_soft_min = scalar(&cross_entropy(
        &soft_logits,
        Target::Probabilities(&soft_targets),
        &CrossEntropyOptions::default(),
    )?)?;
    let noisy = categorical_mle(&EQ_NOISY, 2)?;
    let noisy_z: Vec<f64> = noisy.iter().map(|v| v.ln()).collect();
    let eq_noisy_min = mean_ce(&noisy_z, &EQ_NOISY)?;

    // Softmax.
    let mut sm_temp_q = Vec::new();
    let mut sm_temp_h = Vec::new();
    for temp in SM_TEMPS {
        let scaled: Vec<f64> = SM_Z.iter().map(|z| z / temp).collect();
        let qt = first_row(&softmax(&row(&scaled))?);
        sm_temp_h.push(entropy(&dist(&qt))?);
        sm_temp_q.push(qt);
    }
    let cold: Vec<f64> = SM_Z.iter().map(|z| z / SM_COLD).collect();
    let sm_soft_max = SM_COLD * logsumexp(&row(&cold))?[0];
    let zmax = SM_Z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sm_soft_bound = zmax + SM_COLD * (SM_Z.len() as f64).ln();
    let opts = CrossEntropyOptions::default();
    let (l0, g0) = cross_entropy_with_grad(&row(&SM_Z), Target::Indices(&[SM_Y as i64]), &opts)?;
    let sm_grad = first_row(&g0);
    let sm_step_z: Vec<f64> = SM_Z
        .iter()
        .zip(&sm_grad)
        .map(|(z, g)| z - SM_LR * g)
        .collect();
    let sm_step_loss = scalar(&cross_entropy(
        &row(&sm_step_z),
        Target::Indices(&[SM_Y as i64]),
        &opts,
    )?)?;
    let qz = softmax(&row(&SM_Z))?.row(0).transpose();
    let hess = DMatrix::from_diagonal(&qz) - &qz * qz.transpose();
    let sm_hessian = (0..3)
        .map(|r| (0..3).map(|c| hess[(r, c)]).collect())
        .collect();
    let sm_pair_ce = scalar(&cross_entropy(
        &row(&SM_PAIR),
        Target::Indices(&[0]),
        &opts,
    )?)?;
    let sm_pair_bce = scalar(&binary_cross_entropy_with_logits(
        &row(&[SM_PAIR[0] - SM_PAIR[1]]),
        &row(&[1.0]),
        &BceWithLogitsOptions::default(),
    )?)?;
    let (lw, gw) = cross_entropy_with_grad(&row(&SM_WRONG), Target::Indices(&[0]), &opts)?;

    // Binary losses.
    let bce = |z: &[f64], y: &[f64], o: &BceWithLogitsOptions| -> Result<(f64, DMatrix<f64>)> {
        let (l, g) = binary_cross_entropy_with_logits_with_grad(&row(z), &row(y), o)?;
        Ok((scalar(&l)?, g))
    };
    let plain = BceWithLogitsOptions::default();
    let (bin_y1, g1) = bce(&[BIN_Z], &[1.0], &plain)?;
    let (bin_y0, _) = bce(&[BIN_Z], &[0.0], &plain)?;
    // The Gaussian NLL's gradient in μ, d/dμ (y − μ)² / (2v) = (μ − y) / v (the listing
    // checks it by finite differences of the crate's `mse_loss`).
    let mse_grad = (BIN_MU - BIN_OBS) / BIN_VAR;
    // Expected loss over the labels: one row per label value, weighted by its share.
    let shares = DMatrix::from_row_slice(2, 1, &[BIN_POSITIVE, 1.0 - BIN_POSITIVE]);
    let labels01 = DMatrix::from_row_slice(2, 1, &[1.0, 0.0]);
    let weighted = BceWithLogitsOptions {
        weight: Some(shares.clone()),
        pos_weight: Some(DVector::from_element(1, BIN_POS_WEIGHT)),
        reduction: Reduction::Sum,
    };
    let (share, pw) = (BIN_POSITIVE, BIN_POS_WEIGHT);
    let bin_best_plain = (share / (1.0 - share)).ln();
    let bin_best_weighted = (pw * share / (1.0 - share)).ln();
    let (_, gbest) = binary_cross_entropy_with_logits_with_grad(
        &DMatrix::from_element(2, 1, bin_best_weighted),
        &labels01,
        &weighted,
    )?;
    let bin_clamped = BIN_PROBS
        .iter()
        .map(|&q| {
            scalar(&binary_cross_entropy(
                &row(&[q]),
                &row(&[1.0]),
                &BceOptions::default(),
            )?)
        })
        .collect::<Result<Vec<f64>>>()?;
    let sum_bce = BceWithLogitsOptions {
        reduction: Reduction::Sum,
        ..BceWithLogitsOptions::default()
    };
    let (bin_multi, _) = bce(&BIN_MULTI_Z, &BIN_MULTI_Y, &sum_bce)?;
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let joint: f64 = BIN_MULTI_Z
        .iter()
        .zip(BIN_MULTI_Y)
        .map(|(&z, y)| if y == 1.0 { sig(z) } else { 1.0 - sig(z) })
        .product();

    // PyTorch's options.
    let oz = DMatrix::from_fn(2, 2, |i, k| OPT_Z[i][k]);
    let weights = DVector::from_row_slice(&OPT_W);
    let per_w = cross_entropy(
        &oz,
        Target::Indices(&OPT_Y),
        &CrossEntropyOptions::default()
            .weight(weights.clone())
            .reduction(Reduction::None),
    )?;
    let opt_losses: Vec<f64> = per_w
        .per_sample()
        .map(|v| v.iter().copied().collect())
        .unwrap_or_default();
    let opt_wsum = scalar(&cross_entropy(
        &oz,
        Target::Indices(&OPT_Y),
        &CrossEntropyOptions::default()
            .weight(weights.clone())
            .reduction(Reduction::Sum),
    )?)?;
    let opt_wmean = scalar(&cross_entropy(
        &oz,
        Target::Indices(&OPT_Y),
        &CrossEntropyOptions::default().weight(weights),
    )?)?;
    let opt_iw: Vec<f64> = OPT_TEST_PRIOR
        .iter()
        .zip(OPT_TRAIN_PRIOR)
        .map(|(t, s)| t / s)
        .collect();
    let prior_z: Vec<f64> = OPT_TRAIN_PRIOR.iter().map(|v| v.ln()).collect();
    let n_train = OPT_TRAIN_LABELS.len();
    let train_rows = DMatrix::from_fn(n_train, 2, |_, k| prior_z[k]);
    let iw_opts = CrossEntropyOptions::default().weight(DVector::from_row_slice(&opt_iw));
    let opt_weighted_train = scalar(&cross_entropy(
        &train_rows,
        Target::Indices(&OPT_TRAIN_LABELS),
        &iw_opts,
    )?)?;
    let test_probs = DMatrix::from_fn(1, 2, |_, k| OPT_TEST_PRIOR[k]);
    let opt_test = scalar(&cross_entropy(
        &row(&prior_z),
        Target::Probabilities(&test_probs),
        &CrossEntropyOptions::default(),
    )?)?;
    // The weighted likelihood's maximiser: weighted frequencies Σ w_y [y = k] / Σ w_y.
    let total: f64 = OPT_TRAIN_LABELS.iter().map(|&y| opt_iw[y as usize]).sum();
    let opt_weighted_best: Vec<f64> = (0..2)
        .map(|k| {
            OPT_TRAIN_LABELS
                .iter()
                .filter(|&&y| y == k as i64)
                .map(|&y| opt_iw[y as usize])
                .sum::<f64>()
                / total
        })
        .collect();
    let mut opt_smooth_top = Vec::new();
    let mut opt_smooth_min = Vec::new();
    let mut opt_smooth_gap = Vec::new();
    let mut opt_smooth_grad = 0.0_f64;
    for eps in OPT_EPS {
        let off = eps / OPT_C as f64;
        let top = 1.0 - eps + off;
        let target: Vec<f64> = (0..OPT_C).map(|k| if k == 0 { top } else { off }).collect();
        let best: Vec<f64> = target.iter().map(|v| v.ln()).collect();
        let so = CrossEntropyOptions::default().label_smoothing(eps);
        let (l, g) = cross_entropy_with_grad(&row(&best), Target::Indices(&[0]), &so)?;
        opt_smooth_grad = opt_smooth_grad.max(g.amax());
        opt_smooth_top.push(top);
        opt_smooth_min.push(scalar(&l)?);
        opt_smooth_gap.push(best[0] - best[1]);
    }
    // Why cross-entropy: the Brier score ‖softmax(z) − e₀‖² is the crate's MSE (sum
    // reduction) of the softmax against the one-hot target; its derivative in u by the chain
    // rule through the softmax, 2 (q − e₀) · ∂q/∂u with ∂q/∂u = q₀ (e₀ − q).
    let why_z = [WHY_U, 0.0];
    let (_, why_g) = cross_entropy_with_grad(&row(&why_z), Target::Indices(&[0]), &opts)?;
    let why_q = first_row(&softmax(&row(&why_z))?);
    let onehot0 = [1.0, 0.0];
    let why_brier_grad: f64 = (0..2)
        .map(|k| 2.0 * (why_q[k] - onehot0[k]) * why_q[0] * (onehot0[k] - why_q[k]))
        .sum();
    let brier = |q: &[f64], y: usize| -> Result<f64> {
        let target: Vec<f64> = (0..q.len())
            .map(|k| if k == y { 1.0 } else { 0.0 })
            .collect();
        scalar(&mse_loss(&row(q), &row(&target), Reduction::Sum)?)
    };
    let expected_brier = |q: &[f64]| -> Result<f64> {
        let mut e = 0.0;
        for (y, py) in WHY_P.iter().enumerate() {
            e += py * brier(q, y)?;
        }
        Ok(e)
    };
    let why_brier_q = expected_brier(&WHY_Q)?;
    let why_brier_p = expected_brier(&WHY_P)?;
    let why_dist = scalar(&mse_loss(&row(&WHY_Q), &row(&WHY_P), Reduction::Sum)?)?;
    let linear = |q: &[f64]| -> f64 { -WHY_P.iter().zip(q).map(|(p, q)| p * q).sum::<f64>() };
    let why_linear_p = linear(&WHY_P);
    let why_linear_top = linear(&[1.0, 0.0, 0.0]);
    let log_score = |q: &[f64]| -> Result<f64> {
        let z: Vec<f64> = q.iter().map(|v| v.ln()).collect();
        scalar(&cross_entropy(&row(&z), Target::Indices(&[0]), &opts)?)
    };
    let why_log = vec![log_score(&WHY_Q)?, log_score(&WHY_Q2)?];
    let why_brier = vec![brier(&WHY_Q, 0)?, brier(&WHY_Q2, 0)?];
    let why_sure_ce = vec![log_score(&WHY_SURE)?, log_score(&WHY_UNSURE)?];

    // Sum versus mean: a fixed batch of logits (a smooth pattern, no randomness) and labels.
    let batch = DMatrix::from_fn(OPT_BATCH, 3, |i, k| {
        ((i * 7 + k * 3) % 5) as f64 * 0.5 - 1.0
    });
    let batch_y: Vec<i64> = (0..OPT_BATCH).map(|i| (i % 3) as i64).collect();
    let (_, g_sum) = cross_entropy_with_grad(
        &batch,
        Target::Indices(&batch_y),
        &CrossEntropyOptions::default().reduction(Reduction::Sum),
    )?;
    let (_, g_mean) = cross_entropy_with_grad(
        &batch,
        Target::Indices(&batch_y),
        &CrossEntropyOptions::default(),
    )?;
    let opt_grad_ratio = g_sum.norm() / g_mean.norm();

    let iz = DMatrix::from_fn(3, 3, |i, k| OPT_IGNORE_Z[i][k]);
    let per_i = cross_entropy(
        &iz,
        Target::Indices(&OPT_IGNORE_Y),
        &CrossEntropyOptions::default().reduction(Reduction::None),
    )?;
    let opt_ignore_losses: Vec<f64> = per_i
        .per_sample()
        .map(|v| v.iter().copied().collect())
        .unwrap_or_default();
    let opt_ignore_mean = scalar(&cross_entropy(
        &iz,
        Target::Indices(&OPT_IGNORE_Y),
        &CrossEntropyOptions::default(),
    )?)?;

    Ok(Answers {
        bg_ce,
        bg_ppl: bg_ce.exp(),
        bg_joint: BG_CHAIN.iter().product(),
        bg_nll,
        bg_mean: bg_nll / BG_CHAIN.len() as f64,
        bg_response,
        bg_all,
        bg_bits: BG_CE / 2f64.ln(),
        bg_ce_ppl: BG_CE.exp(),
        info_h_nats,
        info_h_bits: info_h_nats / 2f64.ln(),
        info_code_bits,
        info_hp: entropy(&p)?,
        info_hpq: cross_entropy_between(&p, &q)?,
        info_kl_pq: kl_divergence(&p, &q)?,
        info_kl_qp: kl_divergence(&q, &p)?,
        info_gap_uniform: kl_divergence(&p, &u3)?,
        info_kl2,
        info_kl_product,
        info_zero_pq: kl_divergence(&dist(&INFO_ZERO_P), &dist(&INFO_ZERO_Q))?,
        info_zero_qp: kl_divergence(&dist(&INFO_ZERO_Q), &dist(&INFO_ZERO_P))?,
        lik_theta,
        lik_ell_hat,
        lik_ell_fair,
        lik_l_hat: lik_ell_hat.exp(),
        lik_ratio: (lik_ell_hat - lik_ell_fair).exp(),
        lik_curvature,
        lik_min_nll: entropy(&mle)?,
        lik_unseen_mle: -mle[1].ln(),
        lik_mle: mle.iter().copied().collect(),
        lik_map: map,
        lik_map_nll,
        lik_unseen_map,
        lik_factors,
        lik_smallest,
        lik_log_sum: log_likelihood(&vec![LIK_FACTOR; lik_factors + 1])?,
        eq_losses,
        eq_sum,
        eq_mean,
        eq_likelihood,
        eq_onehot_ce: cross_entropy_between(&onehot, &q3)?,
        eq_onehot_kl: kl_divergence(&onehot, &q3)?,
        eq_cond,
        eq_marginal,
        eq_information: eq_marginal - eq_cond,
        eq_soft_mean: soft_mean,
        eq_soft_min,
        eq_noisy_min,
        sm_temp_q,
        sm_temp_h,
        sm_soft_max,
        sm_soft_bound,
        sm_loss: scalar(&l0)?,
        sm_grad,
        sm_step_z,
        sm_step_loss,
        sm_hessian,
        sm_pair_ce,
        sm_pair_bce,
        sm_wrong_loss: scalar(&lw)?,
        sm_wrong_grad: first_row(&gw),
        bin_y1,
        bin_y0,
        bin_grad: g1[(0, 0)],
        bin_gauss_grad: mse_grad,
        bin_best_plain,
        bin_best_weighted,
        bin_best_grad: gbest.sum(),
        bin_clamped,
        bin_exact: -BIN_PROBS[1].ln(),
        bin_multi,
        bin_multi_joint: -joint.ln(),
        opt_losses,
        opt_wsum,
        opt_wmean,
        opt_iw,
        opt_weighted_train,
        opt_test,
        opt_weighted_best,
        opt_smooth_top,
        opt_smooth_min,
        opt_smooth_gap,
        opt_smooth_grad,
        opt_ignore_losses,
        opt_ignore_mean,
        opt_grad_ratio,
        opt_sum_lr: OPT_LR / opt_grad_ratio,
        why_q0: why_q[0],
        why_ce_grad: why_g[(0, 0)],
        why_brier_grad,
        why_brier_q,
        why_brier_p,
        why_dist,
        why_linear_p,
        why_linear_top,
        why_log,
        why_brier,
        why_sure_ce,
    })
}

/// A number for prose: six decimals, U+2212 for a minus, ∞ for infinity.
fn num(x: f64) -> String {
    if x.is_infinite() {
        prose_number(&format!("{x}"))
    } else {
        prose_number(&fixed6(x))
    }
}

/// A tuple for prose.
fn tup(xs: &[f64]) -> String {
    prose_number(&tuple_fixed6(xs))
}

/// A tuple of inputs, as short as exact: `(0.5, 0.25, 0.25)`.
fn input(xs: &[f64]) -> String {
    let inner: Vec<String> = xs.iter().map(|&x| prose_number(&trimmed(x))).collect();
    format!("({})", inner.join(", "))
}

fn values() -> Result<String> {
    let a = answers()?;
    let mut o = Anchored::default();
    // Inputs, quoted by the exercises and the answers.
    o.put("info_c", INFO_UNIFORM_C);
    o.put("info_p", input(&INFO_P));
    o.put("info_q", input(&INFO_Q));
    o.put("info_p2", input(&INFO_P2));
    o.put("info_q2", input(&INFO_Q2));
    o.put("info_zero_p", input(&INFO_ZERO_P));
    o.put("info_zero_q", input(&INFO_ZERO_Q));
    o.put("lik_heads", LIK_HEADS);
    o.put("lik_tosses", LIK_TOSSES);
    let counts: Vec<f64> = LIK_COUNTS.iter().map(|&c| c as f64).collect();
    o.put("lik_counts", input(&counts));
    o.put("lik_alpha", trimmed(LIK_ALPHA));
    o.put("lik_factor", trimmed(LIK_FACTOR));
    for (i, r) in EQ_Q.iter().enumerate() {
        o.put(&format!("eq_q{}", i + 1), input(r));
    }
    let y: Vec<f64> = EQ_Y.iter().map(|&k| k as f64).collect();
    o.put("eq_y", input(&y));
    let ca: Vec<f64> = EQ_COUNTS_A.iter().map(|&k| k as f64).collect();
    let cb: Vec<f64> = EQ_COUNTS_B.iter().map(|&k| k as f64).collect();
    o.put("eq_counts_a", input(&ca));
    o.put("eq_counts_b", input(&cb));
    for (i, r) in EQ_SOFT.iter().enumerate() {
        o.put(&format!("eq_soft{}", i + 1), input(r));
    }
    let noisy: Vec<f64> = EQ_NOISY.iter().map(|&k| k as f64).collect();
    o.put("eq_noisy", input(&noisy));
    o.put("sm_z", input(&SM_Z));
    let temps: Vec<String> = SM_TEMPS.iter().map(|&t| trimmed(t)).collect();
    o.put("sm_temps", temps.join(", "));
    o.put("sm_cold", trimmed(SM_COLD));
    o.put("sm_y", SM_Y);
    o.put("sm_lr", trimmed(SM_LR));
    o.put("sm_pair", input(&SM_PAIR));
    o.put("sm_wrong", input(&SM_WRONG));

    // Results.
    o.put("info_h_nats", num(a.info_h_nats));
    o.put("info_h_bits", num(a.info_h_bits));
    o.put("info_code_bits", num(a.info_code_bits));
    o.put("info_code_gap", num(a.info_code_bits - a.info_h_bits));
    o.put("info_hp", num(a.info_hp));
    o.put("info_hpq", num(a.info_hpq));
    o.put("info_kl_pq", num(a.info_kl_pq));
    o.put("info_kl_qp", num(a.info_kl_qp));
    o.put("info_gap_uniform", num(a.info_gap_uniform));
    o.put("info_kl2", num(a.info_kl2));
    o.put("info_kl_product", num(a.info_kl_product));
    o.put("info_zero_pq", num(a.info_zero_pq));
    o.put("info_zero_qp", num(a.info_zero_qp));
    o.put("lik_theta", trimmed(a.lik_theta));
    o.put("lik_ell_hat", num(a.lik_ell_hat));
    o.put("lik_ell_fair", num(a.lik_ell_fair));
    o.put("lik_l_hat", num(a.lik_l_hat));
    o.put("lik_ratio", num(a.lik_ratio));
    o.put("lik_curvature", num(a.lik_curvature));
    o.put("lik_mle", input(&a.lik_mle));
    o.put("lik_min_nll", num(a.lik_min_nll));
    o.put("lik_unseen_mle", num(a.lik_unseen_mle));
    o.put("lik_map", tup(&a.lik_map));
    o.put("lik_map_nll", num(a.lik_map_nll));
    o.put("lik_unseen_map", num(a.lik_unseen_map));
    o.put("lik_factors", a.lik_factors);
    o.put("lik_factors_plus", a.lik_factors + 1);
    o.put(
        "lik_smallest",
        prose_number(&format!("{:.2e}", a.lik_smallest)),
    );
    o.put("lik_log_sum", num(a.lik_log_sum));
    o.put("eq_losses", tup(&a.eq_losses));
    o.put("eq_sum", num(a.eq_sum));
    o.put("eq_mean", num(a.eq_mean));
    o.put("eq_likelihood", trimmed(a.eq_likelihood));
    o.put("eq_onehot_ce", num(a.eq_onehot_ce));
    o.put("eq_onehot_kl", num(a.eq_onehot_kl));
    o.put("eq_cond", num(a.eq_cond));
    o.put("eq_marginal", num(a.eq_marginal));
    o.put("eq_information", num(a.eq_information));
    o.put("eq_soft_mean", input(&a.eq_soft_mean));
    o.put("eq_soft_min", num(a.eq_soft_min));
    o.put("eq_noisy_min", num(a.eq_noisy_min));
    for (i, (q, h)) in a.sm_temp_q.iter().zip(&a.sm_temp_h).enumerate() {
        o.put(&format!("sm_temp_q{}", i + 1), tup(q));
        o.put(&format!("sm_temp_h{}", i + 1), num(*h));
    }
    o.put("sm_soft_max", num(a.sm_soft_max));
    o.put("sm_soft_bound", num(a.sm_soft_bound));
    o.put("sm_loss", num(a.sm_loss));
    o.put("sm_grad", tup(&a.sm_grad));
    o.put("sm_step_z", tup(&a.sm_step_z));
    o.put("sm_step_loss", num(a.sm_step_loss));
    let rows: Vec<String> = a
        .sm_hessian
        .iter()
        .map(|r| r.iter().map(|&x| fixed6(x)).collect::<Vec<_>>().join(" & "))
        .collect();
    o.put("sm_hessian_tex", rows.join(" \\\\ "));
    o.put("sm_pair_ce", num(a.sm_pair_ce));
    o.put("sm_pair_bce", num(a.sm_pair_bce));
    o.put("sm_wrong_loss", num(a.sm_wrong_loss));
    o.put("sm_wrong_grad", tup(&a.sm_wrong_grad));
    o.put("bin_z", trimmed(BIN_Z));
    o.put("bin_positive", trimmed(BIN_POSITIVE));
    o.put("bin_pos_weight", trimmed(BIN_POS_WEIGHT));
    o.put(
        "bin_prob_tiny",
        prose_number(&format!("{:e}", BIN_PROBS[1])),
    );
    o.put("bin_multi_z", input(&BIN_MULTI_Z));
    o.put("bin_multi_y", input(&BIN_MULTI_Y));
    o.put("bin_mu", trimmed(BIN_MU));
    o.put("bin_obs", trimmed(BIN_OBS));
    o.put("bin_var", trimmed(BIN_VAR));
    o.put("bin_y1", num(a.bin_y1));
    o.put("bin_y0", num(a.bin_y0));
    o.put("bin_diff", num(a.bin_y0 - a.bin_y1));
    o.put("bin_grad", num(a.bin_grad));
    o.put("bin_gauss_grad", num(a.bin_gauss_grad));
    o.put("bin_best_plain", num(a.bin_best_plain));
    o.put("bin_best_weighted", num(a.bin_best_weighted));
    o.put("bin_clamped", tup(&a.bin_clamped));
    o.put("bin_exact", num(a.bin_exact));
    o.put("bin_multi", num(a.bin_multi));
    o.put("bin_multi_joint", num(a.bin_multi_joint));
    for (i, r) in OPT_Z.iter().enumerate() {
        o.put(&format!("opt_z{}", i + 1), input(r));
    }
    let oy: Vec<f64> = OPT_Y.iter().map(|&k| k as f64).collect();
    o.put("opt_y", input(&oy));
    o.put("opt_w", input(&OPT_W));
    o.put("opt_train_prior", input(&OPT_TRAIN_PRIOR));
    o.put("opt_test_prior", input(&OPT_TEST_PRIOR));
    o.put("opt_n_train", OPT_TRAIN_LABELS.len());
    o.put("opt_c", OPT_C);
    let eps: Vec<String> = OPT_EPS.iter().map(|&e| trimmed(e)).collect();
    o.put("opt_eps", eps.join(", "));
    for (i, r) in OPT_IGNORE_Z.iter().enumerate() {
        o.put(&format!("opt_ignore_z{}", i + 1), input(r));
    }
    let iy: Vec<f64> = OPT_IGNORE_Y.iter().map(|&k| k as f64).collect();
    o.put("opt_ignore_y", input(&iy));
    o.put("opt_losses", tup(&a.opt_losses));
    o.put("opt_wsum", num(a.opt_wsum));
    o.put("opt_wmean", num(a.opt_wmean));
    o.put(
        "opt_wden",
        trimmed(OPT_Y.iter().map(|&y| OPT_W[y as usize]).sum()),
    );
    o.put("opt_iw", tup(&a.opt_iw));
    o.put("opt_weighted_train", num(a.opt_weighted_train));
    o.put("opt_test", num(a.opt_test));
    o.put("opt_weighted_best", input(&a.opt_weighted_best));
    for i in 0..OPT_EPS.len() {
        o.put(
            &format!("opt_smooth_top{}", i + 1),
            num(a.opt_smooth_top[i]),
        );
        o.put(
            &format!("opt_smooth_min{}", i + 1),
            num(a.opt_smooth_min[i]),
        );
        o.put(
            &format!("opt_smooth_gap{}", i + 1),
            num(a.opt_smooth_gap[i]),
        );
    }
    o.put("bg_probs", input(&BG_PROBS));
    o.put("bg_chain", input(&BG_CHAIN));
    o.put("bg_ce_in", trimmed(BG_CE));
    o.put("bg_ce", num(a.bg_ce));
    o.put("bg_ppl", num(a.bg_ppl));
    o.put("bg_joint", prose_number(&format!("{:e}", a.bg_joint)));
    o.put("bg_nll", num(a.bg_nll));
    o.put("bg_mean", num(a.bg_mean));
    o.put("bg_bits", num(a.bg_bits));
    o.put("bg_prompt", input(&BG_PROMPT));
    o.put("bg_response_probs", input(&BG_RESPONSE));
    o.put("bg_response", num(a.bg_response));
    o.put("bg_all", num(a.bg_all));
    o.put("bg_ce_ppl", num(a.bg_ce_ppl));
    o.put("why_u", prose_number(&trimmed(WHY_U)));
    o.put("why_p", input(&WHY_P));
    o.put("why_q", input(&WHY_Q));
    o.put("why_q0", num(a.why_q0));
    o.put("why_ce_grad", num(a.why_ce_grad));
    o.put("why_brier_grad", num(a.why_brier_grad));
    o.put(
        "why_grad_ratio",
        format!("{:.1}", a.why_ce_grad / a.why_brier_grad),
    );
    o.put("why_brier_q", num(a.why_brier_q));
    o.put("why_brier_p", num(a.why_brier_p));
    o.put("why_dist", num(a.why_dist));
    o.put("why_linear_p", num(a.why_linear_p));
    o.put("why_linear_top", num(a.why_linear_top));
    o.put("why_q2", input(&WHY_Q2));
    o.put("why_sure", input(&WHY_SURE));
    o.put("why_unsure", input(&WHY_UNSURE));
    o.put("why_log1", num(a.why_log[0]));
    o.put("why_log2", num(a.why_log[1]));
    o.put("why_brier1", num(a.why_brier[0]));
    o.put("why_brier2", num(a.why_brier[1]));
    o.put("why_sure_ce", num(a.why_sure_ce[0]));
    o.put("why_unsure_ce", num(a.why_sure_ce[1]));
    o.put("opt_ignore_losses", tup(&a.opt_ignore_losses));
    o.put("opt_ignore_mean", num(a.opt_ignore_mean));
    o.put("opt_lr", trimmed(OPT_LR));
    o.put("opt_batch", OPT_BATCH);
    o.put("opt_grad_ratio", trimmed(a.opt_grad_ratio));
    o.put("opt_sum_lr", num(a.opt_sum_lr));
    Ok(o.0)
}

/// The files of the answers page under `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "exercise_answers",
    files: &["exercise_answers-values.txt"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![values()?])
}
