//! The book crate's error: the library's [`ce_mle::Error`] for everything the mathematics
//! refuses, plus what only the books, the figures and the checks can get wrong.
//!
//! # Bad input
//!
//! The rows of the bad-input catalogue that belong to this crate and to the `ce-mle` binary
//! (the library's rows, with the same numbering, are in the docs of `ce_mle::error`). Library
//! rows assert the exact [`Error::kind`]; command-line rows the exit status and the one-line
//! message (`book/tests/lib.rs`, as `module::test_name`). The binary exits with status 2 and
//! one line `error: …` on stderr for bad input (1 is reserved for a failed theorem check, 141
//! for a closed stdout). Books are built in a sibling directory and renamed into place
//! ([`crate::render::build_book`]).
//!
//! ### Outputs
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 73 | figure in a directory that does not exist (nothing is left behind; row 52 is the history's) | `plot::write_svg` | `Io` | `catalogue::figure_in_a_missing_directory`
//! 53 | chart without series or points, zero size, NaN point, non-`.svg` name | `plot::line_chart`, `plot::write_svg` | `Empty`, `InvalidValue`, `InvalidFile` | `plot::bad_charts_and_paths_are_typed_errors`
//! 54 | empty history as a loss curve | `plot::loss_curve` | `Empty` | `catalogue::empty_history_has_no_curve`
//! 55 | book output directory below a file | `render::build_books` | `Io` | `catalogue::book_output_where_a_file_blocks_the_directory`
//! 56 | a file where a book directory goes (refused before building; the other book is untouched) | `render::build_books` | `Io` | `catalogue::a_refused_book_build_leaves_the_previous_book`
//!
//! ### Loss cases as JSON (`ce-mle loss`)
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 34 | case file missing, a directory, not UTF-8, not JSON | `ce-mle loss` | exit 2, `error: …` | `loss_cli::cli_refuses_unreadable_input_in_one_line`
//!
//! ### Command line
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
//! 84 | `ce-mle ngram --corpus` with an empty, too short, binary or missing file; `--max-order 0` or too large; `--train-fraction 1.5`; `--max-order` without `--corpus`; `--corpus` with `--write` | `ce-mle ngram` | exit 2, one line | `ngram::cli_ngram_reports_baselines_and_refuses_bad_corpora_and_flags`
//! 68 | `--out` below a file | `ce-mle book build` | exit 2, one line | `catalogue::cli_book_build_into_an_unwritable_place`
//! 69 | stdout closed by the reader | any command | exit 141, no panic | `cli::a_closed_stdout_stops_quietly_instead_of_panicking`
//! 70 | stderr closed when the error is printed | any command | exit 2, no panic | `catalogue::cli_closed_stderr_still_exits_2_without_a_panic`
//!
//! ### The GPT (`ce-mle lm`, [`crate::lm`])
//!
//! \# | bad input | where | error | test
//! ---|---|---|---|---
//! 91 | a model size of 0, `--n-head` not dividing `--n-embd`, a width too large, `--batch-size 0`, a warm-up longer than the run, a negative `--lr`, `--threads 0`, a `--record` that is not `.json`, an `--out` in a missing directory | `ce-mle lm train` | exit 2, one line, before training, nothing written | `lm::bad_train_flags_exit_2_with_one_line`
//! 92 | empty, binary, missing or too short corpus | `ce-mle lm train --corpus` | exit 2, one line, nothing written | `lm::bad_corpora_exit_2_with_one_line`
//! 93 | a checkpoint truncated, bit-flipped (data or metadata: SHA-256), not safetensors, a directory, of shapes that do not match its configuration, missing a tensor, with a vocabulary of another size or another format | `ce-mle lm eval`, `ce-mle lm sample`, `lm::load` | exit 2, `InvalidFile`, one line | `lm::corrupt_checkpoints_are_refused`
//! 94 | a text with characters outside the checkpoint's vocabulary; `--resume` on another text, with a configuration flag, or from a weights-only file | `ce-mle lm eval`, `ce-mle lm train --resume` | exit 2, `Corpus`, `InvalidFile` | `lm::mismatched_vocabulary_text_or_settings_are_refused`
//! 95 | `--temperature 0` or NaN, `--top-k 0`, an empty prompt or one outside the vocabulary, `--batch 0` | `ce-mle lm sample`, `ce-mle lm eval` | exit 2, one line | `lm::bad_sampling_flags_exit_2`
//! 96 | a training killed mid-run | `ce-mle lm train` | the last checkpoint loads and resumes (atomic writes) | `lm::a_killed_training_leaves_a_resumable_checkpoint`
//!

use thiserror::Error as ThisError;

/// Everything that can go wrong in the book crate and the `ce-mle` binary.
#[derive(Debug, Clone, PartialEq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// An error of the library (bad input to a loss, a corpus, a file, …).
    #[error(transparent)]
    Core(#[from] ce_mle::Error),
    /// An independent oracle (statrs) refused an input the checks generated.
    #[error("oracle: {0}")]
    Oracle(String),
    /// Building or testing a book failed (mdBook error, a warning, or a failing snippet).
    #[error("book: {0}")]
    Book(String),
    /// Drawing a figure failed (plotters reported an error).
    #[error("plot: {0}")]
    Plot(String),
    /// A JSON loss case for `ce-mle loss` that cannot be read, or that the loss refused.
    #[error(transparent)]
    Case(#[from] ce_mle::torch_json::CaseError),
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A stable, machine-readable kind: the library's [`ce_mle::Error::kind`], the case's
    /// [`ce_mle::torch_json::CaseError::kind`], or `Oracle`, `Book`, `Plot`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Core(e) => e.kind(),
            Error::Case(e) => e.kind(),
            Error::Oracle(_) => "Oracle",
            Error::Book(_) => "Book",
            Error::Plot(_) => "Plot",
        }
    }

    /// [`ce_mle::Error::Io`] for `path`.
    pub fn io(path: impl AsRef<std::path::Path>, e: std::io::Error) -> Self {
        Error::Core(ce_mle::Error::io(path, e))
    }
}
