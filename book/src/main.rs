//! `ce-mle`: run the theorem checks, train the article's model, fit the bigram model, evaluate
//! loss cases written as JSON, build and test the books. `ce-mle` with no arguments runs
//! `verify` and builds the books.
//!
//! Exit status: 0 all good; 1 a check failed; 2 bad input (one-line message on stderr).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use indicatif::{ProgressBar, ProgressStyle};

use ce_mle::Error as CoreError;
use ce_mle::fsio::check_writable;
use ce_mle::lm::BigramProgress;
use ce_mle::train::{
    ArticleConfig, EarlyStopping, Epoch, FitConfig, HistoryFormat, L1Mode, OptimizerSpec,
    RecordedStart, Regularization, article_start, fit_observed, split_validation,
};
use ce_mle_book::Error;
use ce_mle_book::paths::LANGUAGES;
use ce_mle_book::verify::{VerifyConfig, check_all, render_report};

/// `print!` that stops quietly when stdout is closed (e.g. `ce-mle verify | head`) instead of
/// panicking, as `print!` does on a broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        write_stdout(&format!($($arg)*))?
    };
}

/// `println!` with the behaviour of [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        write_stdout(&format!("{}\n", format_args!($($arg)*)))?
    };
}

/// `eprintln!` that ignores a closed or failing stderr (`eprintln!` panics there, e.g. in
/// `ce-mle … 2>&1 | head -0`): the exit status still tells what happened.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

// After the macros, which it uses.
mod lm_cli;
use lm_cli::LmCommand;

fn write_stdout(s: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(s.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::Closed),
        Err(e) => Err(Failure::Input(Error::io("<stdout>", e))),
    }
}

#[derive(Parser)]
#[command(
    name = "ce-mle",
    version,
    about = "Minimising cross-entropy is maximum likelihood: checked numerically. / 最小化交叉熵即极大似然估计：逐项数值验证。"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check every theorem (T1–T11) and build both books (the default command).
    Verify(VerifyArgs),
    /// Train the article's classifier (Linear 10→5, Adam) and print the loss every 10 epochs;
    /// flags choose the optimiser, L1/L2 penalties, early stopping, history and plot files.
    Train(TrainArgs),
    /// Fit a character bigram model two ways (counting, gradient descent) and compare them.
    Bigram(BigramArgs),
    /// Count baselines (bigram MLE, add-k, Kneser-Ney and Witten-Bell n-grams) on a character
    /// corpus split as nanoGPT does; without --corpus, the book's two corpora and their record.
    Ngram(NgramArgs),
    /// Evaluate loss cases written as JSON with PyTorch's argument names, to compare with PyTorch.
    Loss(LossArgs),
    /// Train, sample from and evaluate a character-level GPT (nanoGPT's model, backward pass
    /// written by hand) on Tiny Shakespeare or your own text.
    #[command(subcommand)]
    Lm(LmCommand),
    /// Build or test the two books (中文 and English).
    #[command(subcommand)]
    Book(BookCommand),
}

/// `ce-mle loss`: the case format is documented in README.md and in `ce_mle::torch_json`.
#[derive(clap::Args)]
struct LossArgs {
    /// JSON file with one case (an object) or a list of cases; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Print the result on one line instead of indented.
    #[arg(long)]
    compact: bool,
}

/// The largest case file `ce-mle loss` reads (64 MiB).
const MAX_CASE_BYTES: u64 = 64 << 20;

/// A case file that cannot be used as one: the one-line error of `ce-mle loss`.
fn invalid_case(msg: String) -> Failure {
    Failure::Input(ce_mle::torch_json::CaseError::Invalid(msg).into())
}

fn loss(args: &LossArgs) -> Result<(), Failure> {
    use std::io::{Read as _, Write as _};
    let (name, bytes) = match args.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            if !meta.is_file() {
                return Err(invalid_case(format!(
                    "{} is not a regular file",
                    p.display()
                )));
            }
            if meta.len() > MAX_CASE_BYTES {
                return Err(CoreError::TooLarge {
                    what: "case file bytes",
                    value: u128::from(meta.len()),
                    limit: u128::from(MAX_CASE_BYTES),
                }
                .into());
            }
            let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
            (p.display().to_string(), bytes)
        }
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_CASE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("<stdin>", e))?;
            if bytes.len() as u64 > MAX_CASE_BYTES {
                return Err(CoreError::TooLarge {
                    what: "case bytes on stdin",
                    value: bytes.len() as u128,
                    limit: u128::from(MAX_CASE_BYTES),
                }
                .into());
            }
            ("<stdin>".to_string(), bytes)
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        invalid_case(format!(
            "{name} is not UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let doc = ce_mle::torch_json::Document::parse(text).map_err(|e| match e {
        ce_mle::torch_json::CaseError::Invalid(m) => invalid_case(format!("{name}: {m}")),
        other => Failure::Input(other.into()),
    })?;
    // Each result is written as it is computed, with the document's text already let go:
    // memory stays a small multiple of the input (see `ce_mle::torch_json`, "Memory").
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    doc.write(&mut out, !args.compact)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::Closed,
            _ => Failure::Input(Error::io("<stdout>", e)),
        })
}

#[derive(Subcommand)]
enum BookCommand {
    /// Build both books into target/book/{zh,en} (or --out DIR/{zh,en}).
    Build {
        /// Output directory (default: the workspace's target/book).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Compile and run every Rust snippet of the books (what `mdbook test` does).
    Test {
        /// Test only this language's book (both books hold the same code).
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(LANGUAGES))]
        lang: Option<String>,
    },
    /// Print a directory holding exactly one build of this crate and its dependencies, for
    /// `mdbook test book/zh -L "$(cargo run -q -- book deps)"`.
    Deps,
    /// The books' math preprocessor (KaTeX, then the MathML repair), run by `mdbook build` and
    /// `mdbook serve` through book.toml: reads mdBook's JSON on stdin, writes the book to
    /// stdout.
    Preprocess {
        /// `supports RENDERER`: succeed if the preprocessor supports that renderer.
        #[arg(num_args = 0..=2)]
        supports: Vec<String>,
    },
}

#[derive(clap::Args, Default)]
struct VerifyArgs {
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Random cases per theorem (T4 and T5 use a fiftieth, at least 2), 1 to 1000000.
    #[arg(long, default_value_t = VerifyConfig::default().cases,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000),
          allow_hyphen_values = true)]
    cases: usize,
    /// Seed of the case generator.
    #[arg(long, default_value_t = VerifyConfig::default().seed, allow_hyphen_values = true)]
    seed: u64,
    /// Do not build the books after the checks.
    #[arg(long)]
    no_book: bool,
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Optimiser, with PyTorch's update rules and defaults.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Adam)]
    optimizer: OptimizerArg,
    /// Learning rate (> 0).
    #[arg(long, default_value_t = ArticleConfig::default().lr, allow_hyphen_values = true)]
    lr: f64,
    /// Full-batch epochs (the most; fewer if --patience stops the run).
    #[arg(long, default_value_t = ArticleConfig::default().epochs, allow_hyphen_values = true)]
    epochs: usize,
    /// SGD momentum in [0, 1) (--optimizer sgd only; default 0).
    #[arg(long, allow_hyphen_values = true)]
    momentum: Option<f64>,
    /// Nesterov momentum (--optimizer sgd with --momentum > 0).
    #[arg(long)]
    nesterov: bool,
    /// The optimiser's own weight decay: λθ added to the gradient (sgd, adam; bias included)
    /// or decoupled θ ← θ − lr·λ·θ (adamw). Default 0, and 0.01 for adamw (PyTorch's).
    #[arg(long, allow_hyphen_values = true)]
    weight_decay: Option<f64>,
    /// L1 penalty λ: adds λ·Σ|W| (weights only) to the objective.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    l1: f64,
    /// L2 penalty λ: adds λ·ΣW² (weights only) to the objective.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    l2: f64,
    /// How --l1 is applied: proximal (soft-thresholding after each step: exact zeros; plain
    /// SGD only) or subgradient. Default: proximal with plain SGD, subgradient otherwise.
    #[arg(long, value_enum)]
    l1_mode: Option<L1ModeArg>,
    /// Penalise the bias too with --l1 / --l2.
    #[arg(long)]
    penalize_bias: bool,
    /// Hold out this fraction of the samples (a seeded random choice) as a validation set,
    /// in [0, 1); 0 = none.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    val_fraction: f64,
    /// Early stopping: stop when the validation loss has not improved for N epochs and
    /// restore the best epoch's parameters (needs --val-fraction).
    #[arg(long, allow_hyphen_values = true)]
    patience: Option<usize>,
    /// Seed for the data, the initialisation and the validation split.
    #[arg(long, default_value_t = ArticleConfig::default().seed, allow_hyphen_values = true)]
    seed: u64,
    /// Write the per-epoch history to FILE (.csv or .json); losses exclude the penalty.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Draw the loss curve (training, and validation if any) to FILE (.svg).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Start from a recorded data set and initialisation instead of the seeded ones: JSON
    /// {"x": [[N×D]], "y": [N], "init": {"weight": [[C×D]], "bias": [C]}} (other fields ignored).
    #[arg(long, value_name = "FILE")]
    init: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OptimizerArg {
    /// torch.optim.SGD.
    Sgd,
    /// torch.optim.Adam.
    Adam,
    /// torch.optim.AdamW.
    Adamw,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum L1ModeArg {
    /// Soft-thresholding after each SGD step (ISTA).
    Proximal,
    /// λ·sign(θ) added to the gradient.
    Subgradient,
}

#[derive(clap::Args)]
struct BigramArgs {
    /// A UTF-8 text file (default: the prose of this project's two books).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Vocabulary cap: the most frequent characters, the rest become one unknown token.
    #[arg(long, default_value_t = ce_mle::lm::DEFAULT_MAX_VOCAB, allow_hyphen_values = true)]
    max_vocab: usize,
    /// Stop training when CE(trained) - CE(counting) falls below this (nats).
    #[arg(long, default_value_t = ce_mle::lm::TrainOptions::default().tolerance, allow_hyphen_values = true)]
    tolerance: f64,
    /// Adam's learning rate.
    #[arg(long, default_value_t = ce_mle::lm::TrainOptions::default().lr, allow_hyphen_values = true)]
    lr: f64,
    /// Most Adam steps.
    #[arg(long, default_value_t = ce_mle::lm::TrainOptions::default().max_iters, allow_hyphen_values = true)]
    max_iters: usize,
    /// Language of the report table: en or zh (the Chinese book quotes `--lang zh`).
    #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
    lang: String,
}

#[derive(clap::Args)]
struct NgramArgs {
    /// A UTF-8 text file; without it, the book's corpora (book/data/tinyshakespeare and
    /// book/data/tang-poems) at orders 1..=8, compared with book/data/ngram-baselines.json.
    #[arg(long, conflicts_with_all = ["check", "write"])]
    corpus: Option<PathBuf>,
    /// The fraction of the characters that trains (the rest validates), as nanoGPT's 0.9.
    #[arg(long, default_value_t = ce_mle::lm::NANOGPT_TRAIN_FRACTION, allow_hyphen_values = true)]
    train_fraction: f64,
    /// The highest n-gram order (with --corpus).
    #[arg(long, default_value_t = ce_mle_book::ngram::MAX_ORDER, allow_hyphen_values = true)]
    max_order: usize,
    /// Exit 1 unless the book's record agrees with what the code computes now.
    #[arg(long, conflicts_with = "write")]
    check: bool,
    /// Rewrite the book's record (book/data/ngram-baselines.json).
    #[arg(long)]
    write: bool,
}

/// Why the program stops: a failed check (exit 1) or bad input (exit 2).
enum Failure {
    Checks,
    /// Standard output was closed by the reader: stop quietly.
    Closed,
    Input(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Input(e)
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Input(e.into())
    }
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let cfg = VerifyConfig {
        cases: args.cases,
        seed: args.seed,
    };
    let rows = check_all(&cfg)?;
    let ok = rows.iter().all(|r| r.passed);
    if args.json {
        let doc = serde_json::json!({ "config": cfg, "checks": rows, "passed": ok });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        out!("{}", render_report(&rows));
    }
    if !ok {
        return Err(Failure::Checks);
    }
    if !args.no_book {
        build_books(None, !args.json)?;
    }
    Ok(())
}

fn build_books(out: Option<PathBuf>, announce: bool) -> Result<(), Failure> {
    let out = match out {
        Some(o) => o,
        None => ce_mle_book::rustdoc_deps::target_dir()?.join("book"),
    };
    let pages = ce_mle_book::render::build_books(&out)?;
    if announce {
        outln!("books built / 书已构建:");
        for p in pages {
            outln!("  {}", p.display());
        }
    }
    Ok(())
}

fn test_books(lang: Option<&str>) -> Result<(), Failure> {
    let langs: Vec<&str> = match lang {
        Some(l) => vec![l],
        None => LANGUAGES.to_vec(),
    };
    ce_mle_book::render::test_books(&langs)?;
    outln!("book tests passed / 书中代码全部通过");
    Ok(())
}

fn book_deps() -> Result<(), Failure> {
    let dir = ce_mle_book::rustdoc_deps::target_dir()?
        .join("book-deps")
        .join("mdbook");
    ce_mle_book::rustdoc_deps::prepare_library_dir(&dir)?;
    outln!("{}", dir.display());
    Ok(())
}

fn preprocess(supports: &[String]) -> Result<(), Failure> {
    let renderer = match supports {
        [] => None,
        [word, renderer] if word == "supports" => Some(renderer.as_str()),
        _ => {
            return Err(Failure::Input(Error::Book(
                "usage: ce-mle book preprocess [supports RENDERER]".into(),
            )));
        }
    };
    let stdout = std::io::stdout().lock();
    ce_mle_book::render::preprocess_command(renderer, std::io::stdin().lock(), stdout)?;
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal (`ProgressBar::new` does
/// that), or always hidden when `show` is false.
fn progress_bar(len: u64, template: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb
}

/// Training runs this long (in epochs) get a progress bar.
const PROGRESS_EPOCHS: usize = 20_000;

/// A command-line combination that no optimiser would refuse by itself but makes no sense.
fn flag_error(name: &'static str, value: f64, reason: &'static str) -> Failure {
    CoreError::InvalidHyperParameter {
        name,
        value,
        reason,
    }
    .into()
}

fn optimizer_spec(args: &TrainArgs) -> Result<OptimizerSpec, Failure> {
    if args.optimizer != OptimizerArg::Sgd {
        if let Some(m) = args.momentum {
            return Err(flag_error(
                "momentum",
                m,
                "--momentum applies to --optimizer sgd only",
            ));
        }
        if args.nesterov {
            return Err(flag_error(
                "nesterov",
                1.0,
                "--nesterov applies to --optimizer sgd only",
            ));
        }
    }
    let lr = args.lr;
    Ok(match args.optimizer {
        OptimizerArg::Sgd => OptimizerSpec::Sgd {
            lr,
            momentum: args.momentum.unwrap_or(0.0),
            nesterov: args.nesterov,
            weight_decay: args.weight_decay.unwrap_or(0.0),
        },
        OptimizerArg::Adam => OptimizerSpec::Adam {
            lr,
            weight_decay: args.weight_decay.unwrap_or(0.0),
        },
        OptimizerArg::Adamw => OptimizerSpec::AdamW {
            lr,
            weight_decay: args.weight_decay.unwrap_or(0.01),
        },
    })
}

fn train(args: &TrainArgs) -> Result<(), Failure> {
    const PRINT_EVERY: usize = 10;
    let spec = optimizer_spec(args)?;
    let mode = match args.l1_mode {
        Some(L1ModeArg::Proximal) => L1Mode::Proximal,
        Some(L1ModeArg::Subgradient) => L1Mode::Subgradient,
        None if spec.is_plain_gradient_step() => L1Mode::Proximal,
        None => L1Mode::Subgradient,
    };
    let reg = Regularization::new(args.l1, args.l2)?
        .include_bias(args.penalize_bias)
        .l1_mode(mode);
    // Refuse what would fail after training, before spending the time.
    if let Some(p) = &args.history {
        HistoryFormat::from_path(p)?;
        check_writable(p)?;
    }
    if let Some(p) = &args.plot
        && !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"))
    {
        return Err(CoreError::InvalidFile {
            path: p.display().to_string(),
            reason: "--plot writes SVG: the file name must end in .svg".into(),
        }
        .into());
    }
    if let Some(p) = &args.plot {
        check_writable(p)?;
    }
    let mut early = args
        .patience
        .map(|p| EarlyStopping::new(p, 0.0, true))
        .transpose()?;
    if let Some(p) = args.patience
        && args.val_fraction == 0.0
    {
        return Err(flag_error(
            "patience",
            p as f64,
            "early stopping needs a validation split: add --val-fraction (e.g. 0.25)",
        ));
    }
    let (data, mut model) = match &args.init {
        Some(path) => {
            let start = RecordedStart::load(path)?;
            (start.data, start.model)
        }
        None => article_start(&ArticleConfig {
            seed: args.seed,
            ..ArticleConfig::default()
        })?,
    };
    let (train_set, val_set) = split_validation(&data, args.val_fraction, args.seed)?;
    let config = FitConfig {
        optimizer: spec,
        epochs: args.epochs,
        regularization: reg,
    };
    let acc0 = model.accuracy(&train_set.x, &train_set.y)?;
    let pb = progress_bar(
        args.epochs as u64,
        "training {bar:40} {pos}/{len} epochs, loss {msg} {elapsed} (eta {eta})",
        args.epochs >= PROGRESS_EPOCHS,
    );
    let history = fit_observed(
        &mut model,
        &train_set,
        val_set.as_ref(),
        &config,
        early.as_mut(),
        &mut |e: Epoch| {
            if e.done.is_multiple_of(64) {
                pb.set_position(e.done as u64);
                pb.set_message(format!("{:.4}", e.train_loss));
            }
        },
    );
    pb.finish_and_clear();
    let history = history?;
    out!("{}", history.table(args.epochs, PRINT_EVERY));
    if let Some(es) = &early
        && let Some((best, best_loss)) = es.best()
    {
        match history.stopped_at {
            Some(at) => outln!(
                "early stopping: stopped at epoch {at}/{}, {} epochs without improvement; best epoch {} (validation loss {best_loss:.4}), parameters restored",
                args.epochs,
                at.saturating_sub(1 + best),
                best + 1
            ),
            None => outln!(
                "early stopping: did not trigger; best epoch {} (validation loss {best_loss:.4}), parameters restored",
                best + 1
            ),
        }
    }
    if !reg.is_none() {
        let w = &model.linear.weight;
        let zeros = w.iter().filter(|v| **v == 0.0).count();
        outln!(
            "penalty {:.4} nats (not included in the losses above); weights exactly 0: {zeros} of {}",
            reg.penalty(&model.linear),
            w.len()
        );
    }
    outln!(
        "final loss {:.4}; training accuracy {:.3} -> {:.3}",
        model.mean_loss(&train_set)?,
        acc0,
        model.accuracy(&train_set.x, &train_set.y)?
    );
    if let Some(val) = &val_set {
        outln!(
            "validation loss {:.4}; validation accuracy {:.3}",
            model.mean_loss(val)?,
            model.accuracy(&val.x, &val.y)?
        );
    }
    if let Some(p) = &args.history {
        history.write(p)?;
    }
    if let Some(p) = &args.plot {
        use ce_mle_book::plot::{LossCurveText, loss_curve, write_svg};
        write_svg(p, &loss_curve(&history, &LossCurveText::ENGLISH)?)?;
    }
    Ok(())
}

fn bigram(args: &BigramArgs) -> Result<(), Failure> {
    let start = std::time::Instant::now();
    let (name, text) = match &args.corpus {
        Some(p) => (p.display().to_string(), ce_mle::corpus::load_corpus(p)?),
        None => (
            "the prose of book/zh and book/en".to_string(),
            ce_mle_book::paths::book_corpus()?,
        ),
    };
    let opts = ce_mle::lm::BigramOptions {
        max_vocab: args.max_vocab,
        train: ce_mle::lm::TrainOptions {
            lr: args.lr,
            tolerance: args.tolerance,
            max_iters: args.max_iters,
            ..Default::default()
        },
    };
    // Bars only where they show progress: counting a long text, training for many steps.
    let counting = progress_bar(
        text.len() as u64,
        "counting bigrams {bar:40} {bytes}/{total_bytes} {elapsed}",
        text.len() > 1 << 20,
    );
    let training = progress_bar(
        args.max_iters as u64,
        "training bigram {bar:40} {pos}/{len} steps, {msg} {elapsed}",
        true,
    );
    let run = ce_mle::lm::compare_fits(&text, &opts, &mut |p| match p {
        BigramProgress::Counting { done, .. } => counting.set_position(done),
        BigramProgress::Training { step, gap, .. } => {
            counting.finish_and_clear();
            training.set_position(step as u64);
            training.set_message(format!("gap {gap:.2e} nats"));
        }
    });
    counting.finish_and_clear();
    training.finish_and_clear();
    let run = run?;
    outln!("corpus / 语料: {name}");
    let table = ce_mle_book::chapters::bigram::render_report(&run.report, &args.lang)?;
    out!("{table}");
    outln!("time / 用时: {:.2} s", start.elapsed().as_secs_f64());
    if !run.report.converged {
        errln!(
            "warning: stopped after {} steps with the gap at {:.2e} nats, above the tolerance; raise --max-iters",
            run.report.iterations,
            run.report.final_gap
        );
    }
    Ok(())
}

fn ngram(args: &NgramArgs) -> Result<(), Failure> {
    use ce_mle_book::ngram;
    let start = std::time::Instant::now();
    if let Some(path) = &args.corpus {
        let text = ce_mle::corpus::load_corpus(path)?;
        let split =
            ce_mle::lm::CharSplit::new(&text, args.train_fraction).map_err(|e| match e {
                CoreError::Corpus { reason, .. } => CoreError::Corpus {
                    path: path.display().to_string(),
                    reason,
                },
                other => other,
            })?;
        let opts = ce_mle::lm::BaselineOptions {
            max_order: args.max_order,
            ..Default::default()
        };
        let c = ngram::CorpusBaselines {
            name: path.display().to_string(),
            file: path.display().to_string(),
            bytes: text.len(),
            chars: text.chars().count(),
            baselines: ce_mle::lm::baselines(&split, &opts)?,
        };
        out!("{}", ngram::render(&c));
        outln!("time / 用时: {:.2} s", start.elapsed().as_secs_f64());
        return Ok(());
    }
    if args.train_fraction != ce_mle::lm::NANOGPT_TRAIN_FRACTION
        || args.max_order != ngram::MAX_ORDER
    {
        return Err(Failure::Input(Error::Book(
            "--train-fraction and --max-order apply to --corpus only; the book's record uses \
             nanoGPT's split and orders 1..=8"
                .into(),
        )));
    }
    let record = ngram::compute_record()?;
    for c in &record.corpora {
        out!("{}", ngram::render(c));
        outln!("");
    }
    outln!("time / 用时: {:.2} s", start.elapsed().as_secs_f64());
    if args.write {
        ngram::write_record(&record)?;
        outln!("wrote book/{}", ngram::RECORD);
    } else {
        let committed = ngram::read_record()?;
        let to_value = |r: &ngram::Record| {
            serde_json::to_value(r).map_err(|e| Failure::Input(Error::Book(e.to_string())))
        };
        let diffs = ngram::differences(&to_value(&committed)?, &to_value(&record)?);
        if diffs.is_empty() {
            outln!(
                "book/{} agrees with the code (relative tolerance {:e})",
                ngram::RECORD,
                ngram::RECORD_TOLERANCE
            );
        } else {
            for d in &diffs {
                errln!("differs: {d}");
            }
            errln!(
                "book/{} differs from what the code computes now: run `{}` and read the diff",
                ngram::RECORD,
                ngram::COMMAND
            );
            if args.check {
                return Err(Failure::Checks);
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                e.exit();
            }
            // One line, as for every other bad input; `--help` has the details.
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or("invalid arguments");
            errln!("{} (see `ce-mle --help`)", first.trim_end());
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => verify(&VerifyArgs {
            cases: VerifyConfig::default().cases,
            seed: VerifyConfig::default().seed,
            ..Default::default()
        }),
        Some(Command::Verify(a)) => verify(&a),
        Some(Command::Train(a)) => train(&a),
        Some(Command::Bigram(a)) => bigram(&a),
        Some(Command::Ngram(a)) => ngram(&a),
        Some(Command::Loss(a)) => loss(&a),
        Some(Command::Lm(LmCommand::Train(a))) => lm_cli::train(&a),
        Some(Command::Lm(LmCommand::Sample(a))) => lm_cli::sample(&a),
        Some(Command::Lm(LmCommand::Eval(a))) => lm_cli::eval(&a),
        Some(Command::Book(BookCommand::Build { out })) => build_books(out, true),
        Some(Command::Book(BookCommand::Test { lang })) => test_books(lang.as_deref()),
        Some(Command::Book(BookCommand::Deps)) => book_deps(),
        Some(Command::Book(BookCommand::Preprocess { supports })) => preprocess(&supports),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Checks) => ExitCode::from(1),
        // What a process killed by SIGPIPE reports in a shell (128 + 13).
        Err(Failure::Closed) => ExitCode::from(141),
        Err(Failure::Input(e)) => {
            errln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
