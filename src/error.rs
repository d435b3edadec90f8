//! The crate's one error type, and the catalogue of bad input.
//!
//! Every public function returns [`Result`]; no public function panics on bad input.
//! Messages name the offending value and where it was found, so that a reader who pasted
//! their own logits sees at once what to fix. [`Error::kind`] is the variant's name, a stable
//! machine-readable kind.
//!
//! # Bad input
//!
//! Every kind of bad input the library is known to meet, the error each one gets, and the test
//! that checks it (`tests/lib.rs`, as `module::test_name`; each asserts the exact
//! [`Error::kind`]). Files are written atomically ([`crate::fsio::write_atomic`]: a temporary
//! file in the same directory, `fsync`, rename), so an interrupted run leaves the previous
//! file or none, never half of one. Fuzzing (`fuzz/`, see `fuzz/README.md`) feeds arbitrary
//! shapes, options and bit patterns to the loss API and arbitrary bytes to the corpus loader;
//! its findings are rows here too. The rows of the book crate and of the `ce-mle` binary
//! (figures, books, command-line flags) are in the docs of `ce_mle_book::error`; the numbering
//! is shared.
//!
//! ### Losses and the softmax family
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 1 | class index ≥ C | `loss::cross_entropy`, `loss::nll_loss` | `ClassIndexOutOfRange` (row, index, C) | `errors::class_index_at_or_above_c`
//! 2 | negative class index other than `ignore_index` | `loss::cross_entropy`, `loss::nll_loss` | `ClassIndexOutOfRange` | `errors::negative_index_other_than_ignore_index`
//! 3 | target length ≠ N | `loss::cross_entropy` | `ShapeMismatch` (`target`) | `errors::target_length_mismatch`
//! 4 | probability target of another shape than the logits | `loss::cross_entropy` | `ShapeMismatch` (`target`) | `errors::probability_target_shape_mismatch`
//! 5 | class-weight vector of length ≠ C | `loss::cross_entropy`, `loss::nll_loss` | `ShapeMismatch` (`weight`) | `errors::weight_length_mismatch`
//! 6 | `label_smoothing` < 0, > 1 or NaN | `loss::cross_entropy` | `InvalidLabelSmoothing` | `errors::label_smoothing_out_of_range_or_nan`
//! 7 | class weight negative, NaN or ±∞ | `loss::cross_entropy`, `loss::nll_loss` | `InvalidWeight` | `errors::negative_nan_or_infinite_class_weight`
//! 8 | `pos_weight` or element weight negative / NaN / ±∞, or of a shape that does not fit | `loss::binary_cross_entropy_with_logits` | `InvalidWeight`, `ShapeMismatch` | `errors::bad_pos_weight_and_bce_weight`
//! 9 | probability target with a negative entry | `loss::cross_entropy` | `InvalidDistribution` | `errors::probability_row_with_a_negative_entry`
//! 10 | probability target row not summing to 1 | `loss::cross_entropy` | `InvalidDistribution` | `errors::probability_row_not_summing_to_one`
//! 11 | NaN in a probability target | `loss::cross_entropy` | `InvalidDistribution` | `catalogue::nan_in_a_probability_target`
//! 12 | `ignore_index` ≥ 0 with probability targets | `loss::cross_entropy` | `IgnoreIndexWithProbabilities` | `errors::ignore_index_non_negative_with_probability_targets`
//! 13 | empty batch (N = 0) with `Reduction::Mean` | `loss::cross_entropy`, `loss::nll_loss` | `Empty` | `errors::empty_batch_mean_is_an_error_sum_is_zero_none_is_empty`
//! 14 | zero classes (C = 0) | losses, `softmax::*` | `Empty` | `errors::zero_classes`
//! 15 | NaN logit (`f64`) | losses, `softmax::*` | `InvalidValue` (row, col) | `errors::nan_logit`
//! 16 | NaN logit (`f32`) | `loss::cross_entropy::<f32>` | `InvalidValue` | `catalogue::f32_nan_logit`
//! 17 | +∞ logit | `loss::cross_entropy`, `softmax::*` | `InvalidValue` | `errors::positive_infinite_logit`
//! 18 | a row of −∞ logits only | `softmax::*`, `loss::cross_entropy` | `AllNegInfRow` | `errors::row_of_only_negative_infinity`
//! 19 | `Mean` with every target ignored or all kept weights 0 | `loss::cross_entropy`, `loss::nll_loss` | `UndefinedMean` | `errors::mean_over_all_ignored_targets_is_undefined`
//! 20 | binary target outside [0, 1] | `loss::binary_cross_entropy_with_logits` | `InvalidValue` | `errors::bce_target_outside_zero_one`
//! 21 | probability input outside [0, 1] | `loss::nd::binary_cross_entropy` | `InvalidValue` | `catalogue::bce_probability_input_outside_unit_interval`
//! 22 | weight that does not broadcast to the input | `loss::nd::binary_cross_entropy_with_logits` | `ShapeMismatch` | `catalogue::bce_weight_that_does_not_broadcast`
//! 23 | negative KL target | `loss::nd::kl_div` | `InvalidValue` | `catalogue::kl_div_negative_target`
//! 24 | 0-dimensional input | `loss::nd::cross_entropy`, `loss::nd::softmax_family` | `ShapeMismatch` | `catalogue::nd_zero_dimensional_input`
//! 25 | K-dimensional input with an index target of the wrong shape | `loss::nd::cross_entropy` | `ShapeMismatch` | `catalogue::nd_k_dimensional_index_target_of_the_wrong_shape`
//! 26 | zero-size class axis of an `(N, 0)` array | `loss::nd::cross_entropy` | `Empty` | `catalogue::nd_zero_size_axis_is_empty`
//! 27 | a non-distribution, empty or mismatched vector | `information::{entropy, cross_entropy, kl_divergence}` | `InvalidDistribution`, `Empty`, `ShapeMismatch` | `errors::information_functions_refuse_non_distributions`
//! 28 | probability outside (0, 1], empty sample, label ≥ classes | `likelihood::*` | `InvalidValue`, `Empty` | `errors::likelihood_functions_refuse_bad_input`
//!
//! ### Loss cases as JSON (`ce_mle::torch_json`, `ce-mle loss`)
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 29 | unknown field, option the operation does not take, missing target, unknown `op` / `dtype`, ragged nested list, class index beyond int64 | `torch_json::result_of` | `InvalidCase` | `torch_json::misspelt_or_misplaced_options_are_refused`
//! 30 | a leaf that is not a number (`"two"`, `null`) | `torch_json::result_of` | `InvalidCase` | `catalogue::case_non_number_leaf`
//! 31 | non-finite or huge `label_smoothing` | `torch_json::result_of` | `InvalidCase` (`"Infinity"`), `InvalidLabelSmoothing` (1e308) | `catalogue::case_infinite_label_smoothing_is_not_a_number`
//! 32 | text that is not JSON, or JSON that is neither a case nor a list | `torch_json::run_json` | `InvalidCase` | `torch_json::a_list_gives_a_list_in_order_and_bad_documents_are_errors`
//! 33 | nesting deeper than the JSON parser's limit (128) | `torch_json::run_json` | `InvalidCase` | `catalogue::case_nesting_deeper_than_the_parser_allows`
//! 74 | `shape` that disagrees with the nested list of `input` (`[[1, 2]]` with `[2, 1]`, `[[]]` with `[0, 3]`) or is not a list of sizes; sizes (zeros left out) that multiply beyond `MAX_ELEMENTS` | `torch_json::result_of` | `InvalidCase`; `TooLarge` | `torch_json::shape_writes_an_empty_batch_and_must_agree_with_the_list`
//! 75 | `dim` outside `−ndim..ndim`; a `dim` that is not one integer (a float, a list), or given to an operation other than the softmax family | `torch_json::result_of` (`loss::nd::softmax_family_dim`) | `ShapeMismatch` (`dim`); `InvalidCase` | `torch_json::dim_chooses_the_axis_of_the_softmax_family`
//! 76 | a field written twice; a class-index target written as an integer beyond int64 (also beyond u64, which `serde_json` alone reads as a float) | `torch_json::run_json` | `InvalidCase` | `torch_json::integers_beyond_u64_and_duplicate_fields_are_refused`
//!
//! ### Optimisers and training
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 35 | Adam `lr` ≤ 0 / NaN / ∞, β ∉ [0, 1), `eps` ≤ 0, `weight_decay` < 0 | `optim::Adam::with_options` | `InvalidHyperParameter` | `catalogue::adam_bad_hyper_parameters`
//! 36 | SGD `lr` < 0, momentum ≥ 1, NaN weight decay, Nesterov without momentum, dampening > 1 | `optim::Sgd` | `InvalidHyperParameter` | `catalogue::sgd_bad_hyper_parameters`
//! 37 | parameter and gradient buffers of different lengths; NaN gradient | `Optimizer::step` | `ShapeMismatch`, `InvalidValue` (and nothing changed) | `catalogue::optimizer_step_with_mismatched_buffers`
//! 38 | L1/L2 λ negative or NaN, patience 0, negative `min_delta` | `train::Regularization::new`, `train::EarlyStopping::new` | `InvalidHyperParameter` | `catalogue::penalties_and_early_stopping_out_of_range`
//! 39 | zero epochs; a learning rate that makes training diverge (a parameter, or only the logits, overflow) | `train::fit`, `train::fit_with` | `Empty`; `Diverged` | `catalogue::training_with_zero_epochs_or_a_diverging_learning_rate`
//! 40 | validation fraction ∉ [0, 1), NaN, or leaving an empty part | `train::split_validation` | `InvalidHyperParameter` | `catalogue::validation_split_out_of_range`
//! 41 | bias length ≠ out_features; zero features | `nn::Linear::from_parameters` | `ShapeMismatch`; `Empty` | `catalogue::linear_layer_with_mismatched_bias_or_no_features`
//! 42 | recorded start: malformed JSON, ragged or empty rows, non-finite number, label out of range, bias of the wrong length | `train::RecordedStart::from_json` | `InvalidFile` | `catalogue::recorded_start_with_bad_contents`
//!
//! ### Corpora and the language model
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 43 | corpus file missing | `corpus::load_corpus` | `Io` | `corpus::missing_file_is_io_error`
//! 44 | a directory, FIFO or device as corpus | `corpus::load_corpus` | `Corpus` (not a regular file) | `corpus::directory_and_special_files_are_not_corpora`
//! 45 | empty corpus | `corpus::load_corpus` | `Corpus` | `corpus::empty_file_is_corpus_error`
//! 46 | binary (non-UTF-8) corpus | `corpus::load_corpus` | `Corpus` (byte offset) | `corpus::non_utf8_reports_byte_offset`
//! 47 | corpus of one character (no bigram) | `corpus::load_corpus` | `Corpus` | `corpus::one_character_has_no_bigram`
//! 48 | corpus larger than 1 GiB | `corpus::load_corpus` | `Corpus` (before reading) | `catalogue::corpus_larger_than_the_limit`
//! 49 | unreadable corpus (no read permission; as root, checked by a child process running as `nobody`) | `corpus::load_corpus` | `Io` | `catalogue::corpus_without_read_permission`
//! 50 | Markdown roots missing, without prose, or not UTF-8 | `corpus::markdown_corpus` | `Io`, `Corpus` | `corpus::markdown_corpus_errors`
//! 51 | vocabulary cap < 2 or > `MAX_VOCAB`; empty text | `lm::Vocab::from_text` | `InvalidHyperParameter`, `TooLarge`, `Empty` | `catalogue::vocabulary_cap_out_of_range`
//! 77 | n-gram counts of an empty sequence, a vocabulary of 0 tokens, order 0, an order whose packed ids do not fit in 128 bits, a token id ≥ V | `lm::NgramCounts::new` | `Empty`, `InvalidHyperParameter`, `TooLarge`, `InvalidValue` | `ngram::counts_refuse_bad_input`
//! 78 | model order outside 1..=max_order; add-k `k` ≤ 0, NaN or ∞; Kneser–Ney discounts outside (0, r] | `lm::AddK::new`, `lm::WittenBell::new`, `lm::KneserNey::new`, `lm::KneserNey::with_discounts` | `InvalidHyperParameter` | `ngram::models_refuse_bad_orders_and_parameters`
//! 79 | cross-entropy of fewer than 2 tokens, or of a token id ≥ V | `lm::NextToken::cross_entropy` | `Corpus`, `InvalidValue` | `ngram::cross_entropy_refuses_short_or_out_of_vocabulary_tokens`
//! 80 | empty text, a split leaving fewer than 2 characters on a side, a training fraction outside (0, 1), more than `MAX_VOCAB` distinct characters | `lm::CharSplit::new` | `Corpus`, `InvalidHyperParameter`, `TooLarge` | `ngram::split_refuses_bad_text_and_fractions`
//! 81 | a validation (or training) character outside a given vocabulary without unknown token (with one, it maps to it) | `lm::CharSplit::with_vocab` | `Corpus` (`<validation>`, the character and its index) | `ngram::validation_characters_outside_the_vocabulary`
//! 82 | empty, binary (non-UTF-8), too short or missing corpus file for a split | `lm::CharSplit::load` | `Corpus` (the path), `Io` | `ngram::split_of_empty_binary_or_missing_files`
//! 83 | baseline options: order 0, empty `k` grid, a `k` ≤ 0, held-out fraction outside (0, 1) | `lm::baselines` | `InvalidHyperParameter` | `ngram::baseline_options_out_of_range`
//!
//! ### The GPT (`lm::gpt`)
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 85 | a size of 0, `n_head` not dividing `n_embd`, more than 2²⁸ parameters or a size above 2²⁰ | `lm::gpt::GptConfig::validate`, `lm::gpt::Gpt::new` | `InvalidHyperParameter`, `TooLarge` | `gpt::bad_configs_are_refused`
//! 86 | a batch with B or T = 0, T > `block_size`, ids or targets of another length, a token id ≥ V, a target outside `0..V` other than −1, every target −1 with the mean, a gradient buffer of another length | `lm::gpt::Gpt::{logits, loss, loss_and_grad}` | `Empty`, `ShapeMismatch`, `InvalidValue`, `ClassIndexOutOfRange`, `UndefinedMean` | `gpt::bad_batches_are_refused`
//! 87 | a parameter buffer of another length, or with a NaN | `lm::gpt::Gpt::from_parameters` | `ShapeMismatch`, `InvalidValue` | `gpt::bad_parameter_buffers_are_refused`
//! 88 | training settings out of range (sizes 0, learning rates, β, ε, decay, clipping, warm-up longer than the decay); a split shorter than `block_size + 1` ids | `lm::gpt::TrainConfig::validate`, `lm::gpt::Trainer` | `InvalidHyperParameter`, `TooLarge`, `Corpus` | `gpt::bad_training_settings_and_short_texts_are_refused`
//! 89 | a negative per-buffer weight decay or a step with another number of buffers; `set_lr(0)`; an optimiser state of mismatched shapes, with a negative second moment, or claiming steps without moments | `optim::AdamW::{weight_decay_per_buffer, set_lr, load_state}` | `InvalidHyperParameter`, `ShapeMismatch`, `InvalidValue` | `gpt::adam_groups_and_state_refuse_bad_input`
//! 90 | a learning rate that makes the GPT diverge | `lm::gpt::Trainer::step` | `Diverged` | `gpt::a_diverging_gpt_run_is_reported`
//!
//! ### Outputs
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 52 | history in a directory that does not exist (nothing is left behind; row 73 is the figure's) | `train::History::write` | `Io` | `catalogue::history_in_a_missing_directory`
//!
//! ### Found by fuzzing
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 71 | `kl_div` input > 0 or target > 1 (found by fuzzing: 1e300 gave +inf and −inf terms, NaN in PyTorch and formerly here) | `loss::kl_div`, `ce-mle loss` | `InvalidValue` | `catalogue::fuzz_kl_div_overflow_is_not_a_silent_nan`
//! 72 | `kl_div` with `log_target` and a target > 0 (found by fuzzing: above 709.8 `exp` overflowed and `inf · 0` gave NaN) | `loss::kl_div`, `ce-mle loss` | `InvalidValue` | `catalogue::fuzz_kl_div_log_target_overflow_is_not_a_silent_nan`

use thiserror::Error as ThisError;

/// Everything that can go wrong in `ce_mle`.
///
/// `#[non_exhaustive]`: later versions add variants without a breaking change.
#[derive(Debug, Clone, PartialEq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// A class-index target is outside `0..classes` and is not the `ignore_index`.
    #[error(
        "target[{row}] = {index} is not a class index: it must be in 0..{classes} (or equal ignore_index = {ignore_index})"
    )]
    ClassIndexOutOfRange {
        /// Row (sample) of the bad target.
        row: usize,
        /// The bad value.
        index: i64,
        /// Number of classes C.
        classes: usize,
        /// The `ignore_index` in force.
        ignore_index: i64,
    },
    /// Two inputs that must agree in shape do not.
    #[error("shape mismatch: {what} has shape {got}, expected {expected}")]
    ShapeMismatch {
        /// Which argument.
        what: &'static str,
        /// The expected shape, e.g. `(4, 3)`.
        expected: String,
        /// The shape received.
        got: String,
    },
    /// An input that must not be empty is empty (no rows, or zero classes).
    #[error("empty input: {0}")]
    Empty(&'static str),
    /// `label_smoothing` outside `[0, 1]` (PyTorch rejects > 1 but silently accepts negatives; we
    /// refuse both).
    #[error("label_smoothing must be in [0, 1], got {0}")]
    InvalidLabelSmoothing(f64),
    /// A class weight (or `pos_weight`, or per-element weight) that is negative, NaN or infinite.
    #[error("{what}[{index}] = {value}: weights must be finite and non-negative")]
    InvalidWeight {
        /// `weight` or `pos_weight`.
        what: &'static str,
        /// Position of the bad weight (flat index).
        index: usize,
        /// The bad value.
        value: f64,
    },
    /// A probability target row, or a distribution argument, that is not a probability vector.
    #[error("{what}: row {row} is not a probability distribution: {reason}")]
    InvalidDistribution {
        /// Which argument.
        what: &'static str,
        /// Row (0 for a single vector).
        row: usize,
        /// What is wrong, with the offending value.
        reason: String,
    },
    /// A NaN, an infinity where none makes sense, or a value outside its range (e.g. a binary
    /// target outside [0, 1]).
    #[error("{what}[{row}, {col}] = {value}: {reason}")]
    InvalidValue {
        /// Which argument.
        what: &'static str,
        /// Row of the bad entry.
        row: usize,
        /// Column of the bad entry.
        col: usize,
        /// The bad value.
        value: f64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A softmax row whose logits are all −∞: no distribution exists (0/0).
    #[error("row {row} has every logit = -inf, so softmax is 0/0 there")]
    AllNegInfRow {
        /// The row.
        row: usize,
    },
    /// `Reduction::Mean` with a zero denominator: every target ignored, or all kept weights 0.
    /// PyTorch returns NaN here; we refuse instead.
    #[error(
        "mean reduction is undefined: the total weight of the kept targets is 0 (every target is ignored or has weight 0); PyTorch returns NaN here, use Reduction::Sum or None"
    )]
    UndefinedMean,
    /// `ignore_index` was combined with probability targets (PyTorch forbids it too).
    #[error("ignore_index cannot be used with probability targets")]
    IgnoreIndexWithProbabilities,
    /// A hyper-parameter (learning rate, β, ε, …) outside its valid range.
    #[error("invalid hyper-parameter {name} = {value}: {reason}")]
    InvalidHyperParameter {
        /// Name, as in PyTorch (`lr`, `betas.0`, `eps`, …).
        name: &'static str,
        /// The bad value.
        value: f64,
        /// The valid range.
        reason: &'static str,
    },
    /// A text corpus that cannot be used.
    #[error("corpus {path}: {reason}")]
    Corpus {
        /// Where it came from.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An I/O failure (reading a corpus or a file, writing a history, a figure or a report).
    #[error("{path}: {message}")]
    Io {
        /// The path involved.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A size so large that the dense matrices it needs cannot be allocated (or would overflow
    /// `usize`): at most [`MAX_ELEMENTS`] elements per matrix.
    #[error("{what} = {value} is too large: at most {limit} allowed")]
    TooLarge {
        /// Which size.
        what: &'static str,
        /// The requested value (elements, epochs, …).
        value: u128,
        /// The limit.
        limit: u128,
    },
    /// Training diverged: the loss or a parameter stopped being finite.
    #[error("training diverged at step {step}: {what} became {value}; lower the learning rate")]
    Diverged {
        /// Optimiser step (1-based) after which it happened.
        step: usize,
        /// What stopped being finite: `a parameter`, `a logit` (finite parameters whose
        /// products overflow) or `a gradient`.
        what: &'static str,
        /// The non-finite value.
        value: f64,
    },
    /// A file that cannot be used as given: malformed JSON, wrong shapes, an unsupported
    /// extension (e.g. a training history that is neither `.csv` nor `.json`).
    #[error("{path}: {reason}")]
    InvalidFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The largest number of elements of one dense matrix the crate allocates (2²⁸, i.e. 2 GiB
/// of `f64`): larger requests are [`Error::TooLarge`] instead of an allocation failure.
pub const MAX_ELEMENTS: usize = 1 << 28;

/// Check that a `rows × cols` matrix stays within [`MAX_ELEMENTS`].
pub(crate) fn check_elements(what: &'static str, rows: usize, cols: usize) -> Result<()> {
    let n = rows as u128 * cols as u128;
    if n > MAX_ELEMENTS as u128 {
        return Err(Error::TooLarge {
            what,
            value: n,
            limit: MAX_ELEMENTS as u128,
        });
    }
    Ok(())
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The variant's name, e.g. `"ClassIndexOutOfRange"`: a stable, machine-readable kind
    /// (the `error.kind` of `ce-mle loss`'s JSON output).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::ClassIndexOutOfRange { .. } => "ClassIndexOutOfRange",
            Error::ShapeMismatch { .. } => "ShapeMismatch",
            Error::Empty(_) => "Empty",
            Error::InvalidLabelSmoothing(_) => "InvalidLabelSmoothing",
            Error::InvalidWeight { .. } => "InvalidWeight",
            Error::InvalidDistribution { .. } => "InvalidDistribution",
            Error::InvalidValue { .. } => "InvalidValue",
            Error::AllNegInfRow { .. } => "AllNegInfRow",
            Error::UndefinedMean => "UndefinedMean",
            Error::IgnoreIndexWithProbabilities => "IgnoreIndexWithProbabilities",
            Error::InvalidHyperParameter { .. } => "InvalidHyperParameter",
            Error::Corpus { .. } => "Corpus",
            Error::Io { .. } => "Io",
            Error::TooLarge { .. } => "TooLarge",
            Error::Diverged { .. } => "Diverged",
            Error::InvalidFile { .. } => "InvalidFile",
        }
    }

    /// [`Error::Io`] for `path`, with the operating system's message.
    #[must_use]
    pub fn io(path: impl AsRef<std::path::Path>, e: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }
}

pub(crate) fn shape(rows: usize, cols: usize) -> String {
    format!("({rows}, {cols})")
}
