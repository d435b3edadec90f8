//! The Transformer chapter (`book/{en,zh}/src/transformer.md`, listing
//! `book/listings/transformer.rs`): the GPT of [`ce_mle::lm::gpt`] — its parameters, its
//! gradient checked tensor by tensor against finite differences — and a tiny GPT trained for a
//! few steps on Tiny Shakespeare, on which the chapter shows the shape mistakes PyTorch users
//! make (unshifted targets, the class axis, padding, a softmax before the loss).
//!
//! The tiny run here repeats the listing's computations with the same settings (the listing
//! asserts that its settings are [`tiny_config`] and [`tiny_training`]), so that the numbers
//! the chapter quotes are the ones the listing prints.

use std::fmt::Write as _;
use std::path::PathBuf;

use ce_mle::lm::CharSplit;
use ce_mle::lm::gpt::checks::{FD_FLOOR, FD_STEP, TensorCheck, check_config, gradient_check};
use ce_mle::lm::gpt::{Gpt, GptConfig, IGNORE_INDEX, TrainConfig, Trainer, Workspace, evaluate};
use ce_mle::loss::Reduction::Mean;
use ce_mle::loss::{CrossEntropyOptions, Target, cross_entropy};
use nalgebra::DMatrix;

use super::{Anchored, Outputs, book_err, prose_number};
use crate::error::Result;

/// Tiny Shakespeare, the chapter's corpus (`book/data/tinyshakespeare/input.txt`).
#[must_use]
pub fn shakespeare_path() -> PathBuf {
    crate::paths::book_root()
        .join("data")
        .join("tinyshakespeare")
        .join("input.txt")
}

/// The listing's tiny GPT: 2 blocks of 2 heads, width 32, context 16.
#[must_use]
pub fn tiny_config(vocab_size: usize) -> GptConfig {
    GptConfig {
        block_size: 16,
        vocab_size,
        n_layer: 2,
        n_head: 2,
        n_embd: 32,
    }
}

/// The listing's training: nanoGPT's loop, 60 steps of 8 windows, peak learning rate 1e-2.
#[must_use]
pub fn tiny_training() -> TrainConfig {
    TrainConfig {
        batch_size: 8,
        max_iters: 60,
        learning_rate: 1e-2,
        min_lr: 1e-3,
        warmup_iters: 5,
        lr_decay_iters: 60,
        ..TrainConfig::nanogpt_cpu()
    }
}

/// Seed of the tiny model's initialisation (the listing's).
const TINY_SEED: u64 = 1337;
/// Characters of the validation text on which the tiny run's CE is measured.
const VAL_SLICE: usize = 2049;
/// Where the listing's two windows start in the validation text.
const WINDOWS: [usize; 2] = [0, 1000];
/// Targets of the shorter, padded text of the padding example.
const SHORT: usize = 10;
/// The gradient check's tolerance (row G1 of `ce-mle verify`).
const GRADIENT_TOLERANCE: f64 = 1e-6;

fn window(ids: &[u32], start: usize, t: usize) -> (Vec<u32>, Vec<i64>) {
    let x = ids[start..start + t].to_vec();
    let y = ids[start + 1..=start + t]
        .iter()
        .map(|&c| i64::from(c))
        .collect();
    (x, y)
}

fn batch(ids: &[u32], t: usize) -> (Vec<u32>, Vec<i64>) {
    let (mut x, mut y) = window(ids, WINDOWS[0], t);
    let (x2, y2) = window(ids, WINDOWS[1], t);
    x.extend(x2);
    y.extend(y2);
    (x, y)
}

fn val_ce(model: &Gpt<f32>, val: &[u32]) -> Result<f64> {
    Ok(evaluate(model, &mut Workspace::new(), &val[..VAL_SLICE], 32)?.mean)
}

fn ce_rows(z: &DMatrix<f64>, y: &[i64]) -> Result<f64> {
    super::scalar(&cross_entropy(
        z,
        Target::Indices(y),
        &CrossEntropyOptions::default(),
    )?)
}

/// What the chapter quotes from the tiny run.
struct Tiny {
    vocab: usize,
    train_chars: usize,
    val_chars: usize,
    params: usize,
    before: f64,
    after: f64,
    right: f64,
    copy_loss: f64,
    copy_next: f64,
    padded: f64,
    pad_fake: f64,
    twice: f64,
    silent: (f64, f64),
}

fn tiny_run() -> Result<Tiny> {
    let data = CharSplit::load(&shakespeare_path(), ce_mle::lm::NANOGPT_TRAIN_FRACTION)?;
    let v = data.vocab_size();
    let cfg = tiny_config(v);
    let t = cfg.block_size;
    let model = Gpt::<f32>::new(cfg, TINY_SEED)?;
    let before = val_ce(&model, data.val())?;
    let mut trainer = Trainer::new(model, tiny_training())?;
    for _ in 0..trainer.config().max_iters {
        trainer.step(data.train())?;
    }
    let after = val_ce(trainer.model(), data.val())?;
    let m: Gpt<f64> = trainer.model().cast();
    let mut ws = Workspace::new();

    // The class axis: the (B·T, V) rows against the model's own loss.
    let (x, y) = batch(data.val(), t);
    let z = DMatrix::from_row_slice(2 * t, v, m.logits(&mut ws, &x, 2, t)?);
    let right = ce_rows(&z, &y)?;
    let own = m.loss(&mut ws, &x, &y, 2, t, Mean)?;
    if (right - own).abs() >= super::LISTING_TOLERANCE {
        return Err(book_err("the GPT's loss is not the crate's cross-entropy"));
    }
    // Softmax applied twice.
    let twice = ce_rows(&ce_mle::softmax::softmax(&z)?, &y)?;
    // Padding.
    let (x1, y1) = window(data.val(), WINDOWS[0], t);
    let (mut x2, mut y2) = window(data.val(), WINDOWS[1], SHORT);
    x2.resize(t, 0);
    y2.resize(t, IGNORE_INDEX);
    let (xp, yp) = ([x1, x2].concat(), [y1, y2].concat());
    let padded = m.loss(&mut ws, &xp, &yp, 2, t, Mean)?;
    let fake: Vec<i64> = yp.iter().map(|&c| c.max(0)).collect();
    let pad_fake = m.loss(&mut ws, &xp, &fake, 2, t, Mean)?;

    // The same tiny GPT trained on unshifted targets.
    let b = tiny_training().batch_size;
    let mut copy = Trainer::new(Gpt::<f32>::new(cfg, TINY_SEED)?, tiny_training())?;
    let n = data.train().len() - t;
    for it in 0..copy.config().max_iters {
        let mut x = Vec::new();
        for k in 0..b {
            let start = (it * 7919 + k * 104_729) % n;
            x.extend_from_slice(&data.train()[start..start + t]);
        }
        let y: Vec<i64> = x.iter().map(|&c| i64::from(c)).collect();
        copy.step_on(&x, &y, b, t)?;
    }
    let (xc, _) = window(data.val(), 0, t);
    let yc: Vec<i64> = xc.iter().map(|&c| i64::from(c)).collect();
    let mut ws32 = Workspace::new();
    let copy_loss = copy.model().loss(&mut ws32, &xc, &yc, 1, t, Mean)?;
    let copy_next = val_ce(copy.model(), data.val())?;

    Ok(Tiny {
        vocab: v,
        train_chars: data.train().len(),
        val_chars: data.val().len(),
        params: cfg.num_parameters(),
        before,
        after,
        right,
        copy_loss,
        copy_next,
        padded,
        pad_fake,
        twice,
        silent: silent_axis()?,
    })
}

/// The listing's `(1, 3, 3)` logits whose wrong class axis PyTorch does not refuse: the loss
/// with the classes on axis 2 (right) and on axis 1 (wrong).
fn silent_axis() -> Result<(f64, f64)> {
    let z = [1.0, 3.0, 0.0, 0.0, 1.0, 3.0, 3.0, 0.0, 1.0];
    let rows = DMatrix::from_row_slice(3, 3, &z);
    let right = ce_rows(&rows, &[1, 2, 0])?;
    let wrong = ce_rows(&rows.transpose(), &[1, 2, 0])?;
    Ok((right, wrong))
}

/// The library's gradient check ([`gradient_check`], what row G1 of `ce-mle verify` runs):
/// every entry of every parameter tensor against five-point finite differences, one row per
/// tensor.
fn gradient_rows() -> Result<Vec<TensorCheck>> {
    let rep = gradient_check(None)?;
    let worst = rep
        .tensors
        .iter()
        .fold(0.0f64, |m, r| m.max(r.worst_relative));
    if worst != rep.worst_relative {
        return Err(book_err(
            "the per-tensor rows disagree with the check's worst error",
        ));
    }
    Ok(rep.tensors)
}

/// A PyTorch shape: `(65, 128)`, `(128,)`.
fn shape(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(ToString::to_string).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// `1.2e-9` as `1.2 × 10⁻⁹` (prose).
fn sci(x: f64) -> String {
    prose_number(&format!("{x:.1e}"))
}

/// The gradient check, one row per tensor (`lang`: 0 English, 1 Chinese).
fn gradient_table(rows: &[TensorCheck], lang: usize) -> String {
    let head = [
        "| tensor | shape | entries | worst relative error |\n",
        "| 张量 | 形状 | 元素数 | 最大相对误差 |\n",
    ];
    let mut s = String::from(head[lang]);
    s.push_str("|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            r.name,
            shape(&r.shape),
            r.checked,
            sci(r.worst_relative)
        );
    }
    s
}

/// The parameters of nanoGPT's CPU configuration for Tiny Shakespeare: the tensors of the
/// embeddings, of block 0 (every block has the same), of the final LayerNorm, and the total.
fn params_table(cfg: &GptConfig, lang: usize) -> String {
    let head = [
        "| tensor | shape | parameters |\n",
        "| 张量 | 形状 | 参数个数 |\n",
    ];
    let mut s = String::from(head[lang]);
    s.push_str("|---|---|---|\n");
    for spec in cfg.parameter_specs() {
        let in_block = spec.name.starts_with("transformer.h.");
        if in_block && !spec.name.starts_with("transformer.h.0.") {
            continue;
        }
        let name = spec.name.replace("transformer.h.0.", "transformer.h.ℓ.");
        let _ = writeln!(s, "| `{name}` | {} | {} |", shape(&spec.shape), spec.len());
    }
    let total = ["total", "合计"][lang];
    let _ = writeln!(s, "| {total} | | {} |", cfg.num_parameters());
    s
}

fn values(tiny: &Tiny, rows: &[TensorCheck], recipe: &GptConfig) -> Result<String> {
    let mut a = Anchored::default();
    a.put("vocab", tiny.vocab);
    a.put("train_chars", tiny.train_chars);
    a.put("val_chars", tiny.val_chars);
    a.put("recipe_layers", recipe.n_layer);
    a.put("recipe_heads", recipe.n_head);
    a.put("recipe_width", recipe.n_embd);
    a.put("recipe_context", recipe.block_size);
    a.put("recipe_params", recipe.num_parameters());
    let gc = check_config();
    a.put("gc_layers", gc.n_layer);
    a.put("gc_heads", gc.n_head);
    a.put("gc_width", gc.n_embd);
    a.put("gc_vocab", gc.vocab_size);
    a.put("gc_params", gc.num_parameters());
    let checked: usize = rows.iter().map(|r| r.checked).sum();
    let worst = rows.iter().fold(0.0f64, |m, r| m.max(r.worst_relative));
    if checked != gc.num_parameters() || !(worst < GRADIENT_TOLERANCE) {
        return Err(book_err(format!(
            "the gradient check says every entry agrees to {GRADIENT_TOLERANCE:e}: {checked} \
             entries, worst {worst:e}"
        )));
    }
    a.put("gc_checked", checked);
    a.put(
        "gc_above_floor",
        rows.iter().map(|r| r.above_floor).sum::<usize>(),
    );
    a.put("gc_worst", sci(worst));
    a.put("gc_tol", prose_number(&format!("{GRADIENT_TOLERANCE:e}")));
    a.put(
        "fd_step",
        super::sci_tex(FD_STEP, 0).replace("1 \\times ", ""),
    );
    a.put(
        "fd_floor",
        super::sci_tex(FD_FLOOR, 0).replace("1 \\times ", ""),
    );

    let tr = tiny_training();
    a.put("tiny_params", tiny.params);
    a.put("tiny_iters", tr.max_iters);
    a.put("val_slice", VAL_SLICE);
    a.put("ln_v", fixed4((tiny.vocab as f64).ln()));
    a.put("before", fixed4(tiny.before));
    a.put("after", fixed4(tiny.after));
    a.put("right", fixed4(tiny.right));
    a.put("copy_loss", fixed4(tiny.copy_loss));
    a.put("copy_next", fixed4(tiny.copy_next));
    a.put("padded", fixed4(tiny.padded));
    a.put("pad_fake", fixed4(tiny.pad_fake));
    a.put("twice", fixed4(tiny.twice));
    let v = tiny.vocab as f64;
    a.put("floor", fixed4(v.ln() + 1.0 / v - 1.0));
    a.put("silent_right", fixed4(tiny.silent.0));
    a.put("silent_wrong", fixed4(tiny.silent.1));
    // The prose's claims, guarded.
    let claims = [
        (tiny.after < tiny.before - 0.8, "the tiny run's loss falls"),
        (
            tiny.copy_loss < 0.5,
            "the copying model's training loss is small",
        ),
        (
            tiny.copy_next > v.ln(),
            "the copying model is worse than uniform",
        ),
        (tiny.twice > tiny.right, "softmax twice gives a higher loss"),
        (
            (tiny.pad_fake - tiny.padded).abs() > 0.01,
            "padding as a class",
        ),
    ];
    if let Some((_, what)) = claims.iter().find(|c| !c.0) {
        return Err(book_err(format!(
            "the Transformer chapter says {what}: no longer true, update its prose"
        )));
    }
    Ok(a.0)
}

fn fixed4(x: f64) -> String {
    prose_number(&format!("{x:.4}"))
}

/// The files of this chapter under `book/generated/`, in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "transformer",
    files: &[
        "transformer-values.txt",
        "transformer-params.en.md",
        "transformer-params.zh.md",
        "transformer-gradcheck.en.md",
        "transformer-gradcheck.zh.md",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let tiny = tiny_run()?;
    let rows = gradient_rows()?;
    let recipe = GptConfig::nanogpt_cpu(tiny.vocab);
    Ok(vec![
        values(&tiny, &rows, &recipe)?,
        params_table(&recipe, 0),
        params_table(&recipe, 1),
        gradient_table(&rows, 0),
        gradient_table(&rows, 1),
    ])
}
