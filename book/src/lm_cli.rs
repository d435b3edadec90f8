//! `ce-mle lm`: train, sample from and evaluate the character GPT (`ce_mle::lm::gpt`).
//! Checkpoints and run records: `ce_mle_book::lm`.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use ce_mle::Error as CoreError;
use ce_mle::fsio::check_writable;
use ce_mle::lm::CharSplit;
use ce_mle::lm::gpt::{
    Event, Gpt, GptConfig, SampleOptions, TrainConfig, TrainData, Trainer, Workspace, evaluate,
    generate,
};
use ce_mle_book::lm::{
    Checkpoint, CorpusInfo, EvalRecord, Resumable, RunRecord, SliceEval, VAL_SLICE_CHARS,
    continuations, decode, encode, git_commit, load, load_average, machine, rustc_version, save,
    sha256_hex, vocab_of,
};

use super::{Failure, write_stdout};

#[derive(Subcommand)]
pub(crate) enum LmCommand {
    /// Train a GPT (default: nanoGPT's CPU recipe on Tiny Shakespeare, 2000 iterations),
    /// evaluating and saving a checkpoint every --eval-interval iterations.
    Train(Box<LmTrainArgs>),
    /// Generate text from a checkpoint (nanoGPT's sample.py).
    Sample(LmSampleArgs),
    /// The exact cross-entropy (nats per character), bits per character and perplexity of a
    /// checkpoint on a text.
    Eval(LmEvalArgs),
}

/// The default corpus, relative to the workspace root: Tiny Shakespeare.
const DEFAULT_CORPUS: &str = "book/data/tinyshakespeare/input.txt";

/// The default corpus, as the path a record keeps (relative to the workspace).
fn default_corpus() -> PathBuf {
    PathBuf::from(DEFAULT_CORPUS)
}

/// A corpus path as given, or, if relative and not found from here, relative to the
/// workspace root (so that records and checkpoints can name the default corpus portably).
fn resolve(path: &Path) -> PathBuf {
    if path.is_relative() && !path.exists() {
        let in_workspace = ce_mle_book::paths::book_root().join("..").join(path);
        if in_workspace.exists() {
            return in_workspace;
        }
    }
    path.to_path_buf()
}

#[derive(clap::Args)]
pub(crate) struct LmTrainArgs {
    /// UTF-8 training text, split 90/10 as nanoGPT (default: Tiny Shakespeare).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// The checkpoint to write (safetensors), at every evaluation and at the end.
    #[arg(long, value_name = "FILE", default_value = "gpt.safetensors")]
    out: PathBuf,
    /// Continue the run saved in this checkpoint, bit for bit (its settings are kept).
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// Stop (and save) after this many iterations in all; the schedule stays that of
    /// --max-iters, so --resume can finish the run.
    #[arg(long, value_name = "ITER")]
    stop_at: Option<usize>,
    /// Also write a weights-only checkpoint (the model and its vocabulary) at the end.
    #[arg(long, value_name = "FILE")]
    export_weights: Option<PathBuf>,
    /// Write the run's record (settings, every evaluation, time, tokens/s, machine) as JSON.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Characters of text generated at each evaluation for the record (0: none).
    #[arg(long, default_value_t = 0)]
    sample_chars: usize,
    /// Also compute the exact validation loss over the whole split at each evaluation.
    #[arg(long)]
    full_val: bool,
    /// Threads of the matrix products (default: one per core). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Transformer blocks [4].
    #[arg(long)]
    n_layer: Option<usize>,
    /// Attention heads per block (must divide --n-embd) [4].
    #[arg(long)]
    n_head: Option<usize>,
    /// Width of the residual stream [128].
    #[arg(long)]
    n_embd: Option<usize>,
    /// Context length in characters [64].
    #[arg(long)]
    block_size: Option<usize>,
    /// Sequences per batch [12].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Optimiser steps [2000].
    #[arg(long)]
    max_iters: Option<usize>,
    /// Peak learning rate [1e-3].
    #[arg(long, allow_hyphen_values = true)]
    lr: Option<f64>,
    /// Final learning rate of the cosine decay [1e-4].
    #[arg(long, allow_hyphen_values = true)]
    min_lr: Option<f64>,
    /// Linear warm-up iterations [100].
    #[arg(long)]
    warmup_iters: Option<usize>,
    /// Iteration where the cosine reaches --min-lr [--max-iters].
    #[arg(long)]
    lr_decay_iters: Option<usize>,
    /// AdamW weight decay on matrices and embeddings [0.1].
    #[arg(long, allow_hyphen_values = true)]
    weight_decay: Option<f64>,
    /// AdamW β₁ [0.9].
    #[arg(long, allow_hyphen_values = true)]
    beta1: Option<f64>,
    /// AdamW β₂ [0.99].
    #[arg(long, allow_hyphen_values = true)]
    beta2: Option<f64>,
    /// AdamW ε [1e-8].
    #[arg(long, allow_hyphen_values = true)]
    eps: Option<f64>,
    /// Clip the global gradient norm to this (0: off) [1.0].
    #[arg(long, allow_hyphen_values = true)]
    grad_clip: Option<f64>,
    /// Iterations between evaluations and checkpoints [250].
    #[arg(long)]
    eval_interval: Option<usize>,
    /// Random batches per split in an evaluation [20].
    #[arg(long)]
    eval_iters: Option<usize>,
    /// Seed of the training batches [1337].
    #[arg(long)]
    seed: Option<u64>,
    /// Seed of the initialisation [--seed].
    #[arg(long)]
    init_seed: Option<u64>,
}

impl LmTrainArgs {
    /// The first configuration flag given (they cannot change a resumed run).
    fn first_config_flag(&self) -> Option<&'static str> {
        [
            ("--n-layer", self.n_layer.is_some()),
            ("--n-head", self.n_head.is_some()),
            ("--n-embd", self.n_embd.is_some()),
            ("--block-size", self.block_size.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--max-iters", self.max_iters.is_some()),
            ("--lr", self.lr.is_some()),
            ("--min-lr", self.min_lr.is_some()),
            ("--warmup-iters", self.warmup_iters.is_some()),
            ("--lr-decay-iters", self.lr_decay_iters.is_some()),
            ("--weight-decay", self.weight_decay.is_some()),
            ("--beta1", self.beta1.is_some()),
            ("--beta2", self.beta2.is_some()),
            ("--eps", self.eps.is_some()),
            ("--grad-clip", self.grad_clip.is_some()),
            ("--eval-interval", self.eval_interval.is_some()),
            ("--eval-iters", self.eval_iters.is_some()),
            ("--seed", self.seed.is_some()),
            ("--init-seed", self.init_seed.is_some()),
        ]
        .into_iter()
        .find_map(|(name, given)| given.then_some(name))
    }

    fn model_config(&self, vocab_size: usize) -> GptConfig {
        let d = GptConfig::nanogpt_cpu(vocab_size);
        GptConfig {
            block_size: self.block_size.unwrap_or(d.block_size),
            vocab_size,
            n_layer: self.n_layer.unwrap_or(d.n_layer),
            n_head: self.n_head.unwrap_or(d.n_head),
            n_embd: self.n_embd.unwrap_or(d.n_embd),
        }
    }

    fn train_config(&self) -> TrainConfig {
        let d = TrainConfig::nanogpt_cpu();
        let max_iters = self.max_iters.unwrap_or(d.max_iters);
        TrainConfig {
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            max_iters,
            learning_rate: self.lr.unwrap_or(d.learning_rate),
            min_lr: self.min_lr.unwrap_or(d.min_lr),
            warmup_iters: self.warmup_iters.unwrap_or(d.warmup_iters),
            lr_decay_iters: self.lr_decay_iters.unwrap_or(max_iters),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            beta1: self.beta1.unwrap_or(d.beta1),
            beta2: self.beta2.unwrap_or(d.beta2),
            eps: self.eps.unwrap_or(d.eps),
            grad_clip: self.grad_clip.unwrap_or(d.grad_clip),
            eval_interval: self.eval_interval.unwrap_or(d.eval_interval),
            eval_iters: self.eval_iters.unwrap_or(d.eval_iters),
            seed: self.seed.unwrap_or(d.seed),
        }
    }

    /// The command line that reproduces the run (for the record).
    fn command(&self) -> String {
        std::env::args()
            .skip(1)
            .map(|a| {
                if a.contains(char::is_whitespace) {
                    format!("'{a}'")
                } else {
                    a
                }
            })
            .fold("ce-mle".to_owned(), |s, a| s + " " + &a)
    }
}

fn flag_error(name: &'static str, value: f64, reason: &'static str) -> Failure {
    CoreError::InvalidHyperParameter {
        name,
        value,
        reason,
    }
    .into()
}

/// Refuse a path that is not writable, before any training.
fn check_output(p: &Path) -> Result<(), Failure> {
    check_writable(p)?;
    Ok(())
}

/// Run `f` in a rayon pool of `threads` threads (the global pool without it).
fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, Failure> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(flag_error("threads", 0.0, "must be at least 1")),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| {
                    Failure::Input(
                        CoreError::Io {
                            path: "<threads>".into(),
                            message: e.to_string(),
                        }
                        .into(),
                    )
                })?;
            Ok(pool.install(f))
        }
    }
}

fn ratio(x: f64) -> String {
    format!("{x:.4}")
}

pub(crate) fn train(args: &LmTrainArgs) -> Result<(), Failure> {
    let start = Instant::now();
    let load_start = load_average();
    // What the record names, taken before training (the tree may change during a long run).
    let (rustc, commit) = if args.record.is_some() {
        (rustc_version(), git_commit())
    } else {
        (String::new(), String::new())
    };
    check_output(&args.out)?;
    if let Some(p) = &args.export_weights {
        check_output(p)?;
    }
    if let Some(p) = &args.record {
        if !p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            return Err(CoreError::InvalidFile {
                path: p.display().to_string(),
                reason: "--record writes JSON: the file name must end in .json".into(),
            }
            .into());
        }
        check_output(p)?;
    }
    if args.threads == Some(0) {
        return Err(flag_error("threads", 0.0, "must be at least 1"));
    }
    // The model, the settings and the text: new, or those of the checkpoint.
    let (model, vocab, config, state, corpus_path, init_seed) = match &args.resume {
        Some(path) => {
            if let Some(flag) = args.first_config_flag() {
                return Err(CoreError::InvalidFile {
                    path: path.display().to_string(),
                    reason: format!(
                        "--resume continues the checkpoint's run with its own settings; {flag} cannot change them"
                    ),
                }
                .into());
            }
            let ck = load(path)?;
            let Some(r) = ck.resume else {
                return Err(CoreError::InvalidFile {
                    path: path.display().to_string(),
                    reason: "a weights-only checkpoint holds no optimiser state: nothing to resume"
                        .into(),
                }
                .into());
            };
            let corpus = args
                .corpus
                .clone()
                .unwrap_or_else(|| PathBuf::from(&r.corpus.path));
            (
                ck.model,
                ck.vocab,
                r.train,
                Some((r.state, r.corpus)),
                corpus,
                None,
            )
        }
        None => {
            let corpus = args.corpus.clone().unwrap_or_else(default_corpus);
            let text = ce_mle::corpus::load_corpus(&resolve(&corpus))?;
            let vocab = vocab_of(&text)?;
            let cfg = args.model_config(vocab.len());
            let config = args.train_config();
            config.validate()?;
            let init_seed = args.init_seed.unwrap_or(config.seed);
            let model = Gpt::<f32>::new(cfg, init_seed)?;
            (model, vocab, config, None, corpus, Some(init_seed))
        }
    };
    let text = ce_mle::corpus::load_corpus(&resolve(&corpus_path))?;
    let corpus = CorpusInfo::of(&corpus_path.display().to_string(), &text);
    let split = CharSplit::nanogpt(&text).map_err(|e| match e {
        CoreError::Corpus { reason, .. } => CoreError::Corpus {
            path: corpus_path.display().to_string(),
            reason,
        },
        e => e,
    })?;
    if let Some((_, saved)) = &state {
        if saved.sha256 != corpus.sha256 {
            return Err(CoreError::InvalidFile {
                path: args
                    .resume
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                reason: format!(
                    "the checkpoint was trained on another text ({}, sha256 {}…), not {}",
                    saved.path,
                    &saved.sha256[..12],
                    corpus.path
                ),
            }
            .into());
        }
        if split.vocab() != &vocab {
            return Err(CoreError::InvalidFile {
                path: corpus.path.clone(),
                reason: "the text's vocabulary differs from the checkpoint's".into(),
            }
            .into());
        }
    }
    let cfg = *model.config();
    let stop_at = args
        .stop_at
        .unwrap_or(config.max_iters)
        .min(config.max_iters);
    let corpus_for_ck = state
        .as_ref()
        .map_or_else(|| corpus.clone(), |(_, c)| c.clone());
    let mut trainer = match state {
        Some((st, _)) => Trainer::resume(model, config.clone(), st)?,
        None => Trainer::new(model, config.clone())?,
    }
    .with_full_validation(args.full_val);
    let data = TrainData {
        train: split.train(),
        val: split.val(),
    };
    trainer.check_data(&data).map_err(|e| match e {
        CoreError::Corpus { reason, .. } => CoreError::Corpus {
            path: corpus.path.clone(),
            reason,
        },
        e => e,
    })?;
    outln!(
        "model: n_layer {}, n_head {}, n_embd {}, block_size {}, vocab_size {}: {} parameters",
        cfg.n_layer,
        cfg.n_head,
        cfg.n_embd,
        cfg.block_size,
        cfg.vocab_size,
        cfg.num_parameters()
    );
    outln!(
        "corpus: {} ({} characters: {} train, {} validation)",
        corpus.path,
        corpus.chars,
        split.train().len(),
        split.val().len()
    );
    let first = trainer.iter();
    let pb = super::progress_bar(
        config.max_iters as u64,
        "{bar:30} {pos}/{len} it {msg} [{elapsed} < {eta}]",
        true,
    );
    pb.set_position(first as u64);
    let tokens_per_iter = (config.batch_size * cfg.block_size) as f64;
    let save_to = |tr: &Trainer<f32>, path: &Path| -> ce_mle_book::Result<()> {
        save(
            path,
            &Checkpoint {
                model: tr.model().clone(),
                vocab: vocab.clone(),
                resume: Some(Resumable {
                    train: config.clone(),
                    state: tr.state(),
                    corpus: corpus_for_ck.clone(),
                }),
            },
        )
    };
    let mut evals: Vec<EvalRecord> = Vec::new();
    let mut train_seconds = 0.0;
    let mut last = Instant::now();
    let mut failure: Option<Failure> = None;
    let sample_opts = SampleOptions::default();
    let prompt = vocab.id('\n').map_or_else(Vec::new, |i| vec![i as u32]);
    let run = with_threads(args.threads, || {
        trainer.run(&data, &mut |e, tr| {
            match e {
                Event::Step(s) => {
                    let dt = last.elapsed().as_secs_f64();
                    train_seconds += dt;
                    let done = tr.iter() - first;
                    let rate = if train_seconds > 0.0 {
                        done as f64 * tokens_per_iter / train_seconds
                    } else {
                        0.0
                    };
                    pb.set_position(tr.iter() as u64);
                    pb.set_message(format!("loss {:.4}, {rate:.0} tok/s", s.loss));
                    if stop_at < config.max_iters && tr.iter() >= stop_at {
                        return ControlFlow::Break(());
                    }
                }
                Event::Eval(ev) => {
                    let full = ev
                        .val_full
                        .map(|v| format!(", val (full) {v:.4}"))
                        .unwrap_or_default();
                    let line = format!(
                        "step {}: train loss {:.4}, val loss {:.4}{full}\n",
                        ev.iter, ev.train_loss, ev.val_loss
                    );
                    if let Err(f) = pb.suspend(|| write_stdout(&line)) {
                        failure = Some(f);
                        return ControlFlow::Break(());
                    }
                    let sample = (args.sample_chars > 0 && !prompt.is_empty()).then(|| {
                        let mut r = ChaCha8Rng::seed_from_u64(config.seed);
                        generate(tr.model(), &prompt, args.sample_chars, &sample_opts, &mut r)
                            .map(|ids| decode(&vocab, &ids))
                            .unwrap_or_default()
                    });
                    evals.push(EvalRecord {
                        iter: ev.iter,
                        train_loss: ev.train_loss,
                        val_loss: ev.val_loss,
                        val_full: ev.val_full,
                        elapsed_s: start.elapsed().as_secs_f64(),
                        sample,
                    });
                    if ev.iter > 0
                        && let Err(e) = save_to(tr, &args.out)
                    {
                        failure = Some(e.into());
                        return ControlFlow::Break(());
                    }
                }
            }
            last = Instant::now();
            ControlFlow::Continue(())
        })
    })?;
    pb.finish_and_clear();
    if let Some(f) = failure {
        return Err(f);
    }
    let done = run?;
    save_to(&trainer, &args.out)?;
    let iters_run = done - first;
    let ms_per_iter = if iters_run > 0 {
        1e3 * train_seconds / iters_run as f64
    } else {
        0.0
    };
    let tokens_per_s = if train_seconds > 0.0 {
        iters_run as f64 * tokens_per_iter / train_seconds
    } else {
        0.0
    };
    let finished = done >= config.max_iters;
    let final_val_ce = if finished {
        with_threads(args.threads, || {
            evaluate(
                trainer.model(),
                &mut Workspace::new(),
                split.val(),
                config.batch_size,
            )
        })??
        .mean
    } else {
        f64::NAN
    };
    let weights_sha256 = match &args.export_weights {
        Some(p) => {
            let bytes = ce_mle_book::lm::to_bytes(&Checkpoint {
                model: trainer.model().clone(),
                vocab: vocab.clone(),
                resume: None,
            })?;
            ce_mle::fsio::write_atomic(p, &bytes)?;
            Some(sha256_hex(&bytes))
        }
        None => None,
    };
    let slice = &split.val()[..VAL_SLICE_CHARS.min(split.val().len())];
    let val_slice = SliceEval {
        chars: slice.len(),
        ce: with_threads(args.threads, || {
            evaluate(
                trainer.model(),
                &mut Workspace::new(),
                slice,
                config.batch_size,
            )
        })??
        .mean,
    };
    outln!(
        "{} iterations in {:.1} s: {ms_per_iter:.2} ms/iteration, {tokens_per_s:.0} tokens/s",
        iters_run,
        train_seconds
    );
    if finished {
        outln!(
            "validation CE (whole split) {} nats/char = {} bits/char, perplexity {}",
            ratio(final_val_ce),
            ratio(final_val_ce / std::f64::consts::LN_2),
            ratio(final_val_ce.exp())
        );
    } else {
        outln!(
            "stopped at iteration {done} of {}: resume with --resume {}",
            config.max_iters,
            args.out.display()
        );
    }
    outln!("checkpoint: {}", args.out.display());
    if let Some(p) = &args.record {
        let bytes = std::fs::read(&args.out).map_err(|e| ce_mle_book::Error::io(&args.out, e))?;
        let rec = RunRecord {
            command: args.command(),
            config: cfg,
            train: config.clone(),
            init_seed: init_seed.unwrap_or(config.seed),
            parameters: cfg.num_parameters(),
            corpus: corpus.clone(),
            vocab_size: vocab.len(),
            train_chars: split.train().len(),
            val_chars: split.val().len(),
            evals,
            final_val_ce,
            iters_run,
            train_seconds,
            total_seconds: start.elapsed().as_secs_f64(),
            ms_per_iter,
            tokens_per_s,
            machine: machine(),
            load: [load_start, load_average()],
            threads: args.threads.unwrap_or_else(rayon::current_num_threads),
            rustc,
            commit,
            checkpoint_sha256: sha256_hex(&bytes),
            weights_sha256,
            val_slice,
        };
        let mut json = serde_json::to_string_pretty(&rec).unwrap_or_default();
        json.push('\n');
        ce_mle::fsio::write_atomic(p, json.as_bytes())?;
        outln!("record: {}", p.display());
    }
    Ok(())
}

#[derive(clap::Args)]
pub(crate) struct LmSampleArgs {
    /// The checkpoint (from `ce-mle lm train`).
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,
    /// Text to continue (default: a newline, as nanoGPT's sample.py).
    #[arg(long, default_value = "\n")]
    prompt: String,
    /// Characters to generate.
    #[arg(long, default_value_t = 500)]
    tokens: usize,
    /// Divide the logits by this before the softmax (> 0).
    #[arg(long, default_value_t = SampleOptions::default().temperature, allow_hyphen_values = true)]
    temperature: f64,
    /// Keep only the k most likely characters (≥ 1).
    #[arg(long, default_value_t = 200, allow_hyphen_values = true)]
    top_k: i64,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 1337)]
    seed: u64,
}

pub(crate) fn sample(args: &LmSampleArgs) -> Result<(), Failure> {
    if args.top_k < 1 {
        return Err(flag_error("top_k", args.top_k as f64, "must be at least 1"));
    }
    let ck = load(&args.checkpoint)?;
    let prompt = encode(&ck.vocab, &args.prompt).map_err(|e| match e {
        CoreError::Corpus { reason, .. } => CoreError::Corpus {
            path: "--prompt".into(),
            reason,
        },
        e => e,
    })?;
    let opts = SampleOptions {
        temperature: args.temperature,
        top_k: Some(usize::try_from(args.top_k).unwrap_or(usize::MAX)),
    };
    let mut r = ChaCha8Rng::seed_from_u64(args.seed);
    let ids = generate(&ck.model, &prompt, args.tokens, &opts, &mut r)?;
    outln!("{}{}", args.prompt, decode(&ck.vocab, &ids));
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SplitArg {
    /// The last 10% (nanoGPT's validation split).
    Val,
    /// The first 90%.
    Train,
    /// The whole text.
    All,
}

#[derive(clap::Args)]
pub(crate) struct LmEvalArgs {
    /// The checkpoint (from `ce-mle lm train`).
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,
    /// The text (default: the checkpoint's training text, or Tiny Shakespeare).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// Which part of the text, split 90/10 as nanoGPT.
    #[arg(long, value_enum, default_value_t = SplitArg::Val)]
    split: SplitArg,
    /// Evaluate this text instead of a file.
    #[arg(long, conflicts_with_all = ["corpus", "split"])]
    text: Option<String>,
    /// Instead of a cross-entropy: the probability of each --continuation after this text
    /// (chain rule over characters).
    #[arg(long, conflicts_with_all = ["corpus", "split", "text"], requires = "continuation")]
    context: Option<String>,
    /// A continuation of --context to score (repeat the flag for several).
    #[arg(long, requires = "context", allow_hyphen_values = true)]
    continuation: Vec<String>,
    /// Windows per forward pass.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn eval(args: &LmEvalArgs) -> Result<(), Failure> {
    if args.batch == 0 {
        return Err(flag_error("batch", 0.0, "must be at least 1"));
    }
    let ck = load(&args.checkpoint)?;
    if let Some(context) = &args.context {
        let cands: Vec<&str> = args.continuation.iter().map(String::as_str).collect();
        let rows = continuations(&ck.model, &ck.vocab, context, &cands).map_err(|e| match e {
            CoreError::Corpus { reason, .. } => CoreError::Corpus {
                path: "--context/--continuation".into(),
                reason,
            },
            e => e,
        })?;
        outln!("context: {context:?}");
        outln!("{:<24} {:>14} {:>14}", "continuation", "ln p (nats)", "p");
        for r in &rows {
            outln!(
                "{:<24} {:>14.6} {:>14.6e}",
                format!("{:?}", r.text),
                r.log_prob,
                r.prob
            );
        }
        return Ok(());
    }
    let (name, text) = match (&args.text, &args.corpus) {
        (Some(t), _) => ("--text".to_owned(), t.clone()),
        (None, c) => {
            let path = c.clone().unwrap_or_else(|| {
                ck.resume
                    .as_ref()
                    .map_or_else(default_corpus, |r| PathBuf::from(&r.corpus.path))
            });
            (
                path.display().to_string(),
                ce_mle::corpus::load_corpus(&resolve(&path))?,
            )
        }
    };
    let ids = encode(&ck.vocab, &text).map_err(|e| match e {
        CoreError::Corpus { reason, .. } => CoreError::Corpus {
            path: name.clone(),
            reason: format!("{reason} (wrong vocabulary for this checkpoint?)"),
        },
        e => e,
    })?;
    let part: &[u32] = if args.text.is_some() {
        &ids
    } else {
        let cut = (ids.len() as f64 * 0.9) as usize;
        match args.split {
            SplitArg::Val => &ids[cut..],
            SplitArg::Train => &ids[..cut],
            SplitArg::All => &ids,
        }
    };
    let e = with_threads(args.threads, || {
        evaluate(&ck.model, &mut Workspace::new(), part, args.batch)
    })??;
    outln!(
        "{name}: {} characters predicted; cross-entropy {} nats/char = {} bits/char, perplexity {}",
        e.tokens,
        ratio(e.mean),
        ratio(e.mean / std::f64::consts::LN_2),
        ratio(e.mean.exp())
    );
    Ok(())
}
