//! # Bad-input catalogue
//!
//! Every kind of bad input the crate and the `ce-mle` binary are known to meet, the error each
//! one gets, and the test that checks it. Nothing here panics: library functions return an
//! [`Error`](crate::Error) whose [`kind`](crate::Error::kind) is given below, and the binary
//! exits with status 2 and one line `error: …` on stderr (exit 1 is reserved for a failed
//! theorem check, 141 for a closed stdout). Tests are in `tests/` (one binary, `tests/lib.rs`):
//! `module::test_name`. Library rows assert the exact `Error::kind()`, CLI rows the exit
//! status and the one-line message.
//!
//! Outputs are written atomically: histories and figures through
//! [`plot::write_atomic`](crate::plot::write_atomic) (temporary file in the same directory,
//! `fsync`, rename), books by [`book::build_book`](crate::book::build_book) (built in a sibling
//! directory, then renamed into place), so an interrupted run leaves the previous file or
//! none, never half of one. Fuzzing (`fuzz/`, see `fuzz/README.md`) feeds arbitrary shapes,
//! options and bit patterns to the loss API and arbitrary bytes to the corpus loader; its
//! findings are rows here too.
//!
//! ## Losses and the softmax family
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
//! ## Loss cases as JSON (`ce_mle::cases`, `ce-mle loss`)
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 29 | unknown field, option the operation does not take, missing target, unknown `op` / `dtype`, ragged nested list, class index beyond int64 | `cases::result_of` | `InvalidCase` | `cases::misspelt_or_misplaced_options_are_refused`
//! 30 | a leaf that is not a number (`"two"`, `null`) | `cases::result_of` | `InvalidCase` | `catalogue::case_non_number_leaf`
//! 31 | non-finite or huge `label_smoothing` | `cases::result_of` | `InvalidCase` (`"Infinity"`), `InvalidLabelSmoothing` (1e308) | `catalogue::case_infinite_label_smoothing_is_not_a_number`
//! 32 | text that is not JSON, or JSON that is neither a case nor a list | `cases::run_json` | `InvalidCase` | `cases::a_list_gives_a_list_in_order_and_bad_documents_are_errors`
//! 33 | nesting deeper than the JSON parser's limit (128) | `cases::run_json` | `InvalidCase` | `catalogue::case_nesting_deeper_than_the_parser_allows`
//! 34 | case file missing, a directory, not UTF-8, not JSON | `ce-mle loss` | exit 2, `error: …` | `cases::cli_refuses_unreadable_input_in_one_line`
//!
//! ## Optimisers and training
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
//! ## Corpora and the language model
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 43 | corpus file missing | `corpus::load_corpus` | `Io` | `corpus::missing_file_is_io_error`
//! 44 | a directory, FIFO or device as corpus | `corpus::load_corpus` | `Corpus` (not a regular file) | `corpus::directory_and_special_files_are_not_corpora`
//! 45 | empty corpus | `corpus::load_corpus` | `Corpus` | `corpus::empty_file_is_corpus_error`
//! 46 | binary (non-UTF-8) corpus | `corpus::load_corpus` | `Corpus` (byte offset) | `corpus::non_utf8_reports_byte_offset`
//! 47 | corpus of one character (no bigram) | `corpus::load_corpus` | `Corpus` | `corpus::one_character_has_no_bigram`
//! 48 | corpus larger than 1 GiB | `corpus::load_corpus` | `Corpus` (before reading) | `catalogue::corpus_larger_than_the_limit`
//! 49 | unreadable corpus (no read permission; root reads it anyway) | `corpus::load_corpus` | `Io` | `catalogue::corpus_without_read_permission`
//! 50 | Markdown roots missing, without prose, or not UTF-8 | `corpus::markdown_corpus` | `Io`, `Corpus` | `corpus::markdown_corpus_errors`
//! 51 | vocabulary cap < 2 or > `MAX_VOCAB`; empty text | `lm::Vocab::from_text` | `InvalidHyperParameter`, `TooLarge`, `Empty` | `catalogue::vocabulary_cap_out_of_range`
//!
//! ## Outputs
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 52 | history or figure in a directory that does not exist (nothing is left behind) | `train::History::write`, `plot::write_svg` | `Io` | `catalogue::history_and_figure_in_a_missing_directory`
//! 53 | chart without series or points, zero size, NaN point, non-`.svg` name | `plot::line_chart`, `plot::write_svg` | `Empty`, `InvalidValue`, `InvalidFile` | `plot::bad_charts_and_paths_are_typed_errors`
//! 54 | empty history as a loss curve | `plot::loss_curve` | `Empty` | `catalogue::empty_history_has_no_curve`
//! 55 | book output directory below a file | `book::build_books` | `Io` | `catalogue::book_output_where_a_file_blocks_the_directory`
//! 56 | a file where a book directory goes (refused before building; the other book is untouched) | `book::build_books` | `Io` | `catalogue::a_refused_book_build_leaves_the_previous_book`
//!
//! ## Command line
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 57 | unknown subcommand, non-numeric `--lr`, `--lr -1`, `--epochs 0` | `ce-mle`, `ce-mle train` | exit 2, one line | `cli::bad_input_exits_2_with_one_line`
//! 58 | unknown optimiser, `--momentum` ≥ 1 or with Adam, `--nesterov` without momentum, negative `--weight-decay` / `--l1`, infinite `--l2`, proximal L1 with Adam | `ce-mle train` | exit 2, before training | `train_cli::bad_flags_exit_2_with_one_line_before_training`
//! 59 | `--patience` without `--val-fraction`, `--patience 0`, `--val-fraction` 1.5 or too small | `ce-mle train` | exit 2, before training | `train_cli::bad_flags_exit_2_with_one_line_before_training`
//! 60 | `--history h.txt`, `--plot loss.png`, either in a missing directory or onto a directory | `ce-mle train` | exit 2, before training, nothing written | `train_cli::bad_flags_exit_2_with_one_line_before_training`
//! 61 | `--init` missing, malformed, of mismatched shapes or with a label out of range | `ce-mle train` | exit 2, before training | `train_cli::bad_flags_exit_2_with_one_line_before_training`
//! 62 | `--l1-mode lasso`, `--epochs -3` | `ce-mle train` | exit 2 (clap), one line | `catalogue::cli_train_unknown_flag_value`
//! 63 | a learning rate that makes training diverge (`--optimizer sgd --lr 1e308`) | `ce-mle train` | exit 2, `training diverged at step …` | `catalogue::cli_train_with_a_diverging_learning_rate`
//! 64 | `--cases 0`, `--cases -5` | `ce-mle verify` | exit 2 (clap), one line | `catalogue::cli_verify_case_count_out_of_range`
//! 65 | empty, one-character, binary or missing corpus | `ce-mle bigram --corpus` | exit 2, one line | `cli::bigram_reports_both_models_and_refuses_bad_corpora`
//! 66 | a directory as corpus | `ce-mle bigram --corpus` | exit 2, one line | `catalogue::cli_bigram_directory_as_corpus`
//! 67 | `--max-vocab 1`, `--lr -1`, `--lr nan` | `ce-mle bigram` | exit 2, one line | `catalogue::cli_bigram_bad_hyper_parameters`
//! 68 | `--out` below a file | `ce-mle book build` | exit 2, one line | `catalogue::cli_book_build_into_an_unwritable_place`
//! 69 | stdout closed by the reader | any command | exit 141, no panic | `cli::a_closed_stdout_stops_quietly_instead_of_panicking`
//! 70 | stderr closed when the error is printed | any command | exit 2, no panic | `catalogue::cli_closed_stderr_still_exits_2_without_a_panic`
//!
//! ## Found by fuzzing, not yet refused
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 71 | `kl_div` input > 0 or target > 1 (found by fuzzing: 1e300 gave +inf and −inf terms, NaN in PyTorch and formerly here) | `loss::kl_div`, `ce-mle loss` | `InvalidValue` | `catalogue::fuzz_kl_div_overflow_is_not_a_silent_nan`
//! 72 | `kl_div` with `log_target` and a target > 0 (found by fuzzing: above 709.8 `exp` overflowed and `inf · 0` gave NaN) | `loss::kl_div`, `ce-mle loss` | `InvalidValue` | `catalogue::fuzz_kl_div_log_target_overflow_is_not_a_silent_nan`
