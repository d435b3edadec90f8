//! The crate's one error type.
//!
//! Every public function returns [`Result`]; no public function panics on bad input.
//! Messages name the offending value and where it was found, so that a reader who pasted
//! their own logits sees at once what to fix.

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
    /// `label_smoothing` outside `[0, 1]` (PyTorch rejects > 1 but silently accepts negatives; we refuse both).
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
    /// A NaN, an infinity where none makes sense, or a value outside its range (e.g. a binary target outside [0, 1]).
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
    /// An I/O failure (reading a corpus, writing a book or report).
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
    /// An independent oracle (statrs) refused an input the checks generated.
    #[error("oracle: {0}")]
    Oracle(String),
    /// Building or testing a book failed (mdBook error, a warning, or a failing snippet).
    #[error("book: {0}")]
    Book(String),
    /// A file that cannot be used as given: malformed JSON, wrong shapes, an unsupported
    /// extension (e.g. a training history that is neither `.csv` nor `.json`).
    #[error("{path}: {reason}")]
    InvalidFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Drawing a figure failed (plotters reported an error).
    #[error("plot: {0}")]
    Plot(String),
    /// A JSON case for `ce-mle loss` that cannot be read: bad JSON, an unknown field or
    /// operation, a ragged nested list, an option the operation does not take.
    #[error("invalid case: {0}")]
    InvalidCase(String),
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
            Error::Oracle(_) => "Oracle",
            Error::Book(_) => "Book",
            Error::InvalidFile { .. } => "InvalidFile",
            Error::Plot(_) => "Plot",
            Error::InvalidCase(_) => "InvalidCase",
        }
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, e: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        }
    }
}

pub(crate) fn shape(rows: usize, cols: usize) -> String {
    format!("({rows}, {cols})")
}
