//! GPT checkpoints for `ce-mle lm` (safetensors), and the records of training runs.
//!
//! # Checkpoint format
//! A [safetensors](https://github.com/huggingface/safetensors) file:
//!
//! * the model's tensors under nanoGPT's `state_dict` names and shapes, `F32`
//!   (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`, …; nanoGPT's tied
//!   `lm_head.weight` is `transformer.wte.weight` and is stored once, as `safetensors`'
//!   `save_model` does for shared tensors);
//! * unless the file holds weights only: AdamW's moments, `F64`, as
//!   `optimizer.exp_avg.<name>` and `optimizer.exp_avg_sq.<name>`;
//! * `ce_mle.sha256`, `U8 [32]`: the SHA-256 of the metadata text and of every other tensor
//!   (name, dtype, shape, bytes, in name order), so that a truncated or bit-flipped file is
//!   refused instead of loaded;
//! * one metadata entry, `ce_mle`: a JSON object with `format` ([`FORMAT`]), the model's
//!   `config`, the `vocab` (its characters, in token order), and for a resumable file the
//!   `train` settings, the iteration `iter`, the batch generator's position `rng`, the
//!   optimiser's `step` and the `corpus` (path, SHA-256 of its text, characters). One entry
//!   only: safetensors keeps metadata in a hash map, whose order would change the bytes.
//!
//! The same run gives the same bytes: no time, host or path-dependent order is stored,
//! so a resumed run can be compared with an uninterrupted one byte for byte.
//!
//! Files are written atomically ([`ce_mle::fsio::write_atomic`]): an interrupted run leaves
//! the previous checkpoint intact.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use ce_mle::Error as CoreError;
use ce_mle::lm::Vocab;
use ce_mle::lm::gpt::{Gpt, GptConfig, RngState, TrainConfig, TrainerState, log_prob};
use ce_mle::optim::AdamState;

use crate::error::Result;

/// The `format` of the checkpoints this version writes and reads.
pub const FORMAT: &str = "ce-mle-gpt/1";

/// The largest checkpoint read (4 GiB).
pub const MAX_CHECKPOINT_BYTES: u64 = 4 << 30;

const CHECKSUM: &str = "ce_mle.sha256";
const META_KEY: &str = "ce_mle";
const EXP_AVG: &str = "optimizer.exp_avg.";
const EXP_AVG_SQ: &str = "optimizer.exp_avg_sq.";

/// Where the training text came from (to refuse resuming on another text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusInfo {
    /// The path given on the command line.
    pub path: String,
    /// SHA-256 of the text (hex).
    pub sha256: String,
    /// Its length in characters.
    pub chars: usize,
}

impl CorpusInfo {
    /// The record of `text` read from `path`.
    #[must_use]
    pub fn of(path: &str, text: &str) -> Self {
        Self {
            path: path.to_owned(),
            sha256: sha256_hex(text.as_bytes()),
            chars: text.chars().count(),
        }
    }
}

/// What a run needs to continue: settings, position and optimiser state.
#[derive(Clone, Debug, PartialEq)]
pub struct Resumable {
    /// The training settings.
    pub train: TrainConfig,
    /// Iteration, generator and optimiser moments.
    pub state: TrainerState,
    /// The training text.
    pub corpus: CorpusInfo,
}

/// A GPT checkpoint: the model (f32), its vocabulary and, unless weights only, the state to
/// resume training.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The model.
    pub model: Gpt<f32>,
    /// Token id → character (no unknown token).
    pub vocab: Vocab,
    /// `None` for a weights-only file.
    pub resume: Option<Resumable>,
}

/// The vocabulary of a training text: its distinct characters, sorted (nanoGPT's
/// `sorted(set(text))`), no unknown token, as [`ce_mle::lm::CharSplit`] builds it.
///
/// # Errors
/// [`CoreError::Empty`] for an empty text; [`CoreError::TooLarge`] for more than
/// [`ce_mle::lm::MAX_VOCAB`] distinct characters.
pub fn vocab_of(text: &str) -> ce_mle::Result<Vocab> {
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    Vocab::from_chars(&chars, false)
}

/// The token ids of `text` (one per character) under a checkpoint's vocabulary.
///
/// # Errors
/// [`CoreError::Corpus`] naming the first character outside the vocabulary.
pub fn encode(vocab: &Vocab, text: &str) -> ce_mle::Result<Vec<u32>> {
    Ok(vocab.encode(text)?.into_iter().map(|i| i as u32).collect())
}

/// The text of token ids (an id outside the vocabulary, which a model of this vocabulary never
/// produces, as U+FFFD).
#[must_use]
pub fn decode(vocab: &Vocab, ids: &[u32]) -> String {
    ids.iter()
        .map(|&i| vocab.chars().get(i as usize).copied().unwrap_or('\u{FFFD}'))
        .collect()
}

/// Lowercase hex of SHA-256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A tensor to write: dtype, shape, little-endian bytes.
struct Owned {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl safetensors::View for &Owned {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        (&self.data[..]).into()
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn dtype_name(d: Dtype) -> String {
    format!("{d:?}")
}

/// SHA-256 over the metadata text and every tensor but the checksum, in name order.
fn digest<'a>(
    meta: &str,
    tensors: impl Iterator<Item = (&'a str, Dtype, &'a [usize], &'a [u8])>,
) -> [u8; 32] {
    let mut all: Vec<_> = tensors.filter(|t| t.0 != CHECKSUM).collect();
    all.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Sha256::new();
    h.update((meta.len() as u64).to_le_bytes());
    h.update(meta.as_bytes());
    for (name, dtype, shape, data) in all {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(dtype_name(dtype).as_bytes());
        h.update((shape.len() as u64).to_le_bytes());
        for &s in shape {
            h.update((s as u64).to_le_bytes());
        }
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    }
    h.finalize().into()
}

fn rng_json(r: &RngState) -> Value {
    serde_json::json!({
        "seed": hex(&r.seed),
        "stream": r.stream.to_string(),
        "word_pos": r.word_pos.to_string(),
    })
}

/// A safetensors file of these tensors `(name, dtype, shape, bytes)` and this `ce_mle`
/// metadata text, sealed with its checksum: for tests that need a well-formed file with bad
/// contents (shapes that do not match the configuration, an unknown format).
///
/// # Errors
/// If safetensors refuses the tensors (a byte length that does not match the shape).
#[doc(hidden)]
pub fn assemble(
    meta_text: &str,
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
) -> Result<Vec<u8>> {
    let tensors = tensors
        .into_iter()
        .filter(|t| t.0 != CHECKSUM)
        .map(|(n, dtype, shape, data)| (n, Owned { dtype, shape, data }))
        .collect();
    seal(meta_text, tensors)
}

/// Add the checksum tensor and serialise.
fn seal(meta_text: &str, mut tensors: Vec<(String, Owned)>) -> Result<Vec<u8>> {
    let sum = digest(
        meta_text,
        tensors
            .iter()
            .map(|(n, t)| (n.as_str(), t.dtype, &t.shape[..], &t.data[..])),
    );
    tensors.push((
        CHECKSUM.to_owned(),
        Owned {
            dtype: Dtype::U8,
            shape: vec![32],
            data: sum.to_vec(),
        },
    ));
    let info = HashMap::from([(META_KEY.to_owned(), meta_text.to_owned())]);
    safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(info)).map_err(|e| {
        bad(
            "<checkpoint>",
            format!("cannot serialise: {}", one_line(&e)),
        )
        .into()
    })
}

/// The bytes of a checkpoint.
///
/// # Errors
/// Only if safetensors refuses to serialise (a header above its 100 MB limit).
pub fn to_bytes(ck: &Checkpoint) -> Result<Vec<u8>> {
    let cfg = *ck.model.config();
    let specs = cfg.parameter_specs();
    let params = ck.model.parameters();
    let mut tensors: Vec<(String, Owned)> = specs
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                Owned {
                    dtype: Dtype::F32,
                    shape: s.shape.clone(),
                    data: f32_bytes(&params[s.range()]),
                },
            )
        })
        .collect();
    let vocab: String = ck.vocab.chars().iter().collect();
    let mut meta = serde_json::json!({
        "format": FORMAT,
        "config": cfg,
        "vocab": vocab,
    });
    if let Some(r) = &ck.resume {
        let opt = &r.state.optimizer;
        for (k, s) in specs.iter().enumerate() {
            for (prefix, bufs) in [(EXP_AVG, &opt.exp_avg), (EXP_AVG_SQ, &opt.exp_avg_sq)] {
                // Before the first step the moments are zeros (PyTorch creates them lazily).
                let data = bufs
                    .get(k)
                    .map_or_else(|| vec![0u8; 8 * s.len()], |b| f64_bytes(b));
                tensors.push((
                    format!("{prefix}{}", s.name),
                    Owned {
                        dtype: Dtype::F64,
                        shape: s.shape.clone(),
                        data,
                    },
                ));
            }
        }
        meta["train"] = serde_json::to_value(&r.train).unwrap_or(Value::Null);
        meta["iter"] = r.state.iter.into();
        meta["rng"] = rng_json(&r.state.rng);
        meta["step"] = opt.step.into();
        meta["corpus"] = serde_json::to_value(&r.corpus).unwrap_or(Value::Null);
    }
    seal(&meta.to_string(), tensors)
}

/// Write a checkpoint atomically.
///
/// # Errors
/// As [`to_bytes`]; [`ce_mle::Error::Io`] if the file cannot be written.
pub fn save(path: &Path, ck: &Checkpoint) -> Result<()> {
    let bytes = to_bytes(ck)?;
    ce_mle::fsio::write_atomic(path, &bytes)?;
    Ok(())
}

fn bad(path: &str, reason: String) -> CoreError {
    CoreError::InvalidFile {
        path: path.to_owned(),
        reason,
    }
}

fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Read a checkpoint.
///
/// # Errors
/// [`ce_mle::Error::Io`] if it cannot be read; [`ce_mle::Error::InvalidFile`] (one line)
/// for a file that is not a checkpoint of this format, truncated, altered (checksum), of
/// shapes that do not match its configuration, or with a vocabulary of another size.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let meta = std::fs::metadata(path).map_err(|e| crate::Error::io(path, e))?;
    let name = path.display().to_string();
    if !meta.is_file() {
        return Err(bad(&name, "not a regular file".into()).into());
    }
    if meta.len() > MAX_CHECKPOINT_BYTES {
        return Err(bad(
            &name,
            format!("{} bytes is too large for a checkpoint", meta.len()),
        )
        .into());
    }
    let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
    from_bytes(&bytes, &name)
}

/// Parse the bytes of a checkpoint (`name` names it in errors).
///
/// # Errors
/// As [`load`].
pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Checkpoint> {
    let err = |reason: String| -> crate::Error { bad(name, reason).into() };
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| {
        err(format!(
            "not a readable safetensors file ({})",
            one_line(&e)
        ))
    })?;
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| {
        err(format!(
            "not a readable safetensors file ({})",
            one_line(&e)
        ))
    })?;
    let meta_text = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| {
            err(format!(
                "no `{META_KEY}` metadata: not a ce-mle GPT checkpoint"
            ))
        })?;
    let views: Vec<(String, TensorView<'_>)> = st.tensors();
    let stored = st.tensor(CHECKSUM).map_err(|_| {
        err(format!(
            "no `{CHECKSUM}` tensor: not a ce-mle GPT checkpoint"
        ))
    })?;
    let sum = digest(
        meta_text,
        views
            .iter()
            .map(|(n, v)| (n.as_str(), v.dtype(), v.shape(), v.data())),
    );
    if stored.data() != sum {
        return Err(err(
            "checksum mismatch: the file was altered or damaged after it was written".into(),
        ));
    }
    let meta: Value = serde_json::from_str(meta_text)
        .map_err(|e| err(format!("metadata is not JSON ({})", one_line(&e))))?;
    if meta["format"] != FORMAT {
        return Err(err(format!("format {} is not {FORMAT}", meta["format"])));
    }
    let field = |k: &str| -> Result<Value> {
        meta.get(k)
            .cloned()
            .ok_or_else(|| err(format!("metadata has no `{k}`")))
    };
    let cfg: GptConfig = serde_json::from_value(field("config")?)
        .map_err(|e| err(format!("bad `config` ({})", one_line(&e))))?;
    cfg.validate()
        .map_err(|e| err(format!("bad `config` ({e})")))?;
    let vocab_text = field("vocab")?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| err("`vocab` is not a string".into()))?;
    let chars: Vec<char> = vocab_text.chars().collect();
    if chars.windows(2).any(|w| w[0] >= w[1]) {
        return Err(err(
            "bad `vocab` (its characters must be distinct and in increasing order)".into(),
        ));
    }
    let vocab = Vocab::from_chars(&chars, false).map_err(|e| err(format!("bad `vocab` ({e})")))?;
    if vocab.len() != cfg.vocab_size {
        return Err(err(format!(
            "the vocabulary has {} characters but the model {} tokens",
            vocab.len(),
            cfg.vocab_size
        )));
    }
    let specs = cfg.parameter_specs();
    let resumable = meta.get("train").is_some();
    let mut expected: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    if resumable {
        for s in &specs {
            expected.push(format!("{EXP_AVG}{}", s.name));
            expected.push(format!("{EXP_AVG_SQ}{}", s.name));
        }
    }
    expected.push(CHECKSUM.to_owned());
    let mut present: Vec<&str> = views.iter().map(|(n, _)| n.as_str()).collect();
    present.sort_unstable();
    if let Some(extra) = present.iter().find(|n| !expected.iter().any(|e| e == *n)) {
        return Err(err(format!("unexpected tensor `{extra}`")));
    }
    let tensor = |n: &str, dtype: Dtype, shape: &[usize]| -> Result<TensorView<'_>> {
        let v = st
            .tensor(n)
            .map_err(|_| err(format!("missing tensor `{n}`")))?;
        if v.dtype() != dtype || v.shape() != shape {
            return Err(err(format!(
                "tensor `{n}` is {:?} {:?}, the configuration needs {dtype:?} {shape:?}",
                v.dtype(),
                v.shape()
            )));
        }
        Ok(v)
    };
    let mut params = Vec::with_capacity(cfg.num_parameters());
    for s in &specs {
        let v = tensor(&s.name, Dtype::F32, &s.shape)?;
        params.extend(
            v.data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
    let model = Gpt::from_parameters(cfg, params).map_err(|e| err(one_line(&e)))?;
    let resume = if resumable {
        let train: TrainConfig = serde_json::from_value(field("train")?)
            .map_err(|e| err(format!("bad `train` ({})", one_line(&e))))?;
        train
            .validate()
            .map_err(|e| err(format!("bad `train` ({e})")))?;
        let num = |k: &str| -> Result<u64> {
            field(k)?
                .as_u64()
                .ok_or_else(|| err(format!("`{k}` is not a count")))
        };
        let iter = usize::try_from(num("iter")?).map_err(|_| err("`iter` is too large".into()))?;
        let step = u32::try_from(num("step")?).map_err(|_| err("`step` is too large".into()))?;
        let rng = field("rng")?;
        let seed = rng["seed"]
            .as_str()
            .and_then(unhex32)
            .ok_or_else(|| err("bad `rng.seed`".into()))?;
        let stream = rng["stream"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err("bad `rng.stream`".into()))?;
        let word_pos = rng["word_pos"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err("bad `rng.word_pos`".into()))?;
        let corpus: CorpusInfo = serde_json::from_value(field("corpus")?)
            .map_err(|e| err(format!("bad `corpus` ({})", one_line(&e))))?;
        let mut exp_avg = Vec::new();
        let mut exp_avg_sq = Vec::new();
        if step > 0 {
            for s in &specs {
                for (prefix, out) in [(EXP_AVG, &mut exp_avg), (EXP_AVG_SQ, &mut exp_avg_sq)] {
                    let v = tensor(&format!("{prefix}{}", s.name), Dtype::F64, &s.shape)?;
                    out.push(
                        v.data()
                            .chunks_exact(8)
                            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                            .collect::<Vec<f64>>(),
                    );
                }
            }
        }
        let max_exp_avg_sq = vec![Vec::new(); exp_avg.len()];
        Some(Resumable {
            train,
            state: TrainerState {
                iter,
                rng: RngState {
                    seed,
                    stream,
                    word_pos,
                },
                optimizer: AdamState {
                    step,
                    exp_avg,
                    exp_avg_sq,
                    max_exp_avg_sq,
                },
            },
            corpus,
        })
    } else {
        None
    };
    Ok(Checkpoint {
        model,
        vocab,
        resume,
    })
}

/// One evaluation of a run record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalRecord {
    /// Updates done.
    pub iter: usize,
    /// nanoGPT's `estimate_loss` on the training split (nats per character).
    pub train_loss: f64,
    /// The same on the validation split.
    pub val_loss: f64,
    /// The exact validation CE over the whole split, if computed.
    pub val_full: Option<f64>,
    /// Seconds since the start of the run (this process).
    pub elapsed_s: f64,
    /// A sample of the model at this point (fixed seed), if asked for.
    pub sample: Option<String>,
}

/// The record of a training run (`ce-mle lm train --record FILE`): what was run, on what,
/// how it went and how long it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// The command that reproduces the run.
    pub command: String,
    /// The model.
    pub config: GptConfig,
    /// The training settings.
    pub train: TrainConfig,
    /// Seed of the initialisation.
    pub init_seed: u64,
    /// Parameters of the model.
    pub parameters: usize,
    /// The text.
    pub corpus: CorpusInfo,
    /// Characters of the vocabulary, training and validation splits.
    pub vocab_size: usize,
    /// Training split length.
    pub train_chars: usize,
    /// Validation split length.
    pub val_chars: usize,
    /// Every evaluation.
    pub evals: Vec<EvalRecord>,
    /// The exact validation CE of the final model (nats per character; NaN if the run
    /// stopped before `max_iters`).
    pub final_val_ce: f64,
    /// The exact CE of the final model on the first characters of the validation split: a
    /// figure cheap enough for a test to recompute from the checkpoint.
    pub val_slice: SliceEval,
    /// Iterations run in this process (after a resume, only those).
    pub iters_run: usize,
    /// Wall-clock seconds of the training steps only (evaluations excluded).
    pub train_seconds: f64,
    /// Wall-clock seconds of the whole command.
    pub total_seconds: f64,
    /// Milliseconds per iteration (training steps only).
    pub ms_per_iter: f64,
    /// Training tokens per second (batch_size · block_size per iteration).
    pub tokens_per_s: f64,
    /// The machine: CPU model and logical cores.
    pub machine: String,
    /// `/proc/loadavg` at the start and the end.
    pub load: [String; 2],
    /// Threads of the rayon pool.
    pub threads: usize,
    /// `rustc --version` of the toolchain on the path when the run started.
    pub rustc: String,
    /// `git rev-parse HEAD` of the working tree, `+dirty` if tracked files had changes.
    pub commit: String,
    /// SHA-256 of the final checkpoint file (weights and state).
    pub checkpoint_sha256: String,
    /// SHA-256 of the weights-only file (`--export-weights`), if written.
    pub weights_sha256: Option<String>,
}

/// The cross-entropy of a model on the first `chars` characters of a split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliceEval {
    /// Characters read (`chars − 1` predicted).
    pub chars: usize,
    /// Mean CE (nats per predicted character).
    pub ce: f64,
}

/// Characters of the validation split in [`RunRecord::val_slice`]: 64 windows of 64.
pub const VAL_SLICE_CHARS: usize = 64 * 64 + 1;

/// The CPU model and the number of logical cores (`/proc/cpuinfo`; "unknown" elsewhere).
#[must_use]
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok();
    let model = cpu
        .as_deref()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    format!("{model}, {cores} logical cores")
}

/// The first three fields of `/proc/loadavg` ("unknown" elsewhere).
#[must_use]
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The output of a command, trimmed, or "unknown" (the toolchain and commit of a record).
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `rustc --version`, or "unknown".
#[must_use]
pub fn rustc_version() -> String {
    command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into())
}

/// `git rev-parse HEAD` of the current directory's repository, with `+dirty` if tracked files
/// differ from it; "unknown" outside a repository.
#[must_use]
pub fn git_commit() -> String {
    let Some(head) = command_output("git", &["rev-parse", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty = command_output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    if dirty { format!("{head}+dirty") } else { head }
}

/// The probability of one continuation of a context (see [`continuations`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Continuation {
    /// The continuation.
    pub text: String,
    /// `ln p(text | context)` in nats: the sum of `per_char`.
    pub log_prob: f64,
    /// `p(text | context) = exp(log_prob)`.
    pub prob: f64,
    /// `ln p(c_j | context, c_1..c_{j−1})` for each character `c_j` of the text (the chain
    /// rule's factors).
    pub per_char: Vec<f64>,
}

/// The probability a model gives each candidate continuation of `context`, by the chain rule
/// over characters: `ln p(c_1..c_k | context) = Σ_j ln p(c_j | context, c_1..c_{j−1})`, each
/// factor a log-softmax of the model's last logits (the context cropped to the last
/// `block_size` characters). The model's `f32` weights are evaluated in `f64`.
///
/// # Errors
/// [`CoreError::Empty`] for an empty context or candidate; [`CoreError::Corpus`] for a
/// character outside the vocabulary.
pub fn continuations(
    model: &Gpt<f32>,
    vocab: &Vocab,
    context: &str,
    candidates: &[&str],
) -> ce_mle::Result<Vec<Continuation>> {
    let m64: Gpt<f64> = model.cast();
    let ctx = encode(vocab, context)?;
    candidates
        .iter()
        .map(|&text| {
            let ids = encode(vocab, text)?;
            if ids.is_empty() {
                return Err(CoreError::Empty("an empty continuation"));
            }
            let mut prefix = ctx.clone();
            let mut per_char = Vec::with_capacity(ids.len());
            for &id in &ids {
                per_char.push(log_prob(&m64, &prefix, &[id])?);
                prefix.push(id);
            }
            let total: f64 = per_char.iter().sum();
            Ok(Continuation {
                text: text.to_owned(),
                log_prob: total,
                prob: total.exp(),
                per_char,
            })
        })
        .collect()
}
