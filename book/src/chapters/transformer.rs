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

use super::{Anchored, Outputs, Texts, book_err, check_lang, lang_texts, prose_number};
use crate::error::{Error, Result};
use crate::lm::{RunRecord, continuations, load};
use crate::ngram::{CorpusBaselines, read_record};
use crate::plot::{Chart, line_chart};

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
    if checked != gc.num_parameters() || worst.is_nan() || worst >= GRADIENT_TOLERANCE {
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

/// `book/data/gpt/FILE`: the committed run records and weights.
fn gpt_data(file: &str) -> PathBuf {
    crate::paths::book_root()
        .join("data")
        .join("gpt")
        .join(file)
}

/// The committed record of a run (`book/data/gpt/NAME.json`, written by `ce-mle lm train
/// --record`).
fn run_record(name: &str) -> Result<RunRecord> {
    let path = gpt_data(&format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| book_err(format!("{}: not a run record: {e}", path.display())))
}

/// One side of the speed sitting.
#[derive(serde::Deserialize)]
struct SpeedSide {
    threads: usize,
    ms_per_iter: f64,
}

/// The load averages around the speed sitting.
#[derive(serde::Deserialize)]
struct SpeedLoad {
    before: String,
    after: String,
}

/// `book/data/gpt/speed.json`, written by `tools/bench/gpt_speed.sh` (the fields the chapter
/// quotes).
#[derive(serde::Deserialize)]
struct Speed {
    command: String,
    iters: usize,
    machine: String,
    load: SpeedLoad,
    pytorch: SpeedSide,
    ce_mle: SpeedSide,
    time_ratio_ce_mle_over_pytorch: f64,
}

fn speed_record() -> Result<Speed> {
    let path = gpt_data("speed.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| book_err(format!("{}: not a speed record: {e}", path.display())))
}

/// The count baselines of one corpus of `book/data/ngram-baselines.json`.
fn corpus_baselines(name: &str) -> Result<CorpusBaselines> {
    read_record()?
        .corpora
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| book_err(format!("no corpus {name} in the n-gram record")))
}

/// Witten–Bell and Kneser–Ney of order `n`: `(witten_bell, kneser_ney)`.
fn order(c: &CorpusBaselines, n: usize) -> Result<(f64, f64)> {
    c.baselines
        .orders
        .iter()
        .find(|o| o.n == n)
        .map(|o| (o.witten_bell, o.kneser_ney))
        .ok_or_else(|| book_err(format!("no order {n} for {}", c.name)))
}

/// The order of the Witten–Bell and Kneser–Ney lines the chapter names.
const NGRAM_ORDER: usize = 5;

/// The validation CE nanoGPT's README reports for the same CPU recipe (nats/char).
const NANOGPT_REPORTED: f64 = 1.88;

/// The article's sentence and the continuations the chapter scores.
const SUN_CONTEXT: &str = "The sun is shining, and it's a beautiful";
const SUN_CANDIDATES: [&str; 7] = [
    " day", " night", " morning", " sight", " thing", " sun", " man",
];

/// `(candidate, p under the recipe model, p under the long-run model)`.
fn sun_rows() -> Result<Vec<(String, f64, f64)>> {
    let score = |name: &str| -> Result<Vec<f64>> {
        let ck = load(&gpt_data(&format!("{name}.safetensors")))?;
        Ok(
            continuations(&ck.model, &ck.vocab, SUN_CONTEXT, &SUN_CANDIDATES)?
                .into_iter()
                .map(|c| c.prob)
                .collect(),
        )
    };
    let recipe = score("shakespeare-recipe")?;
    let long = score("shakespeare-long")?;
    Ok(SUN_CANDIDATES
        .iter()
        .zip(recipe.iter().zip(&long))
        .map(|(c, (&r, &l))| ((*c).to_owned(), r, l))
        .collect())
}

fn sun_table(rows: &[(String, f64, f64)], lang: usize) -> String {
    let head = [
        "| continuation | recipe model (2000 iterations) | longer run |\n",
        "| 续写 | 配方模型（2000 步） | 长训练 |\n",
    ];
    let mut s = String::from(head[lang]);
    s.push_str("|---|---|---|\n");
    for (c, r, l) in rows {
        let _ = writeln!(s, "| `\"{c}\"` | {} | {} |", sci3(*r), sci3(*l));
    }
    s
}

fn sci3(x: f64) -> String {
    prose_number(&format!("{x:.2e}"))
}

fn fixed2(x: f64) -> String {
    prose_number(&format!("{x:.2}"))
}

fn minutes(seconds: f64) -> String {
    format!("{:.0}", seconds / 60.0)
}

/// The samples of a run at the evaluations `iters` (`lang`: 0 English, 1 Chinese).
fn samples(rec: &RunRecord, iters: &[usize], lang: usize) -> Result<String> {
    let mut s = String::new();
    for &it in iters {
        let e = rec
            .evals
            .iter()
            .find(|e| e.iter == it)
            .ok_or_else(|| book_err(format!("no evaluation at iteration {it}")))?;
        let sample = e
            .sample
            .as_deref()
            .ok_or_else(|| book_err(format!("no sample at iteration {it}")))?;
        let head = if lang == 0 {
            format!(
                "--- iteration {it} (validation estimate {:.2}) ---",
                e.val_loss
            )
        } else {
            format!("--- 第 {it} 步（验证估计 {:.2}） ---", e.val_loss)
        };
        if !s.is_empty() {
            s.push('\n');
        }
        let _ = writeln!(s, "{head}");
        for line in sample.trim_end().lines() {
            for piece in wrap_columns(line, CODE_COLUMNS) {
                let _ = writeln!(s, "{piece}");
            }
        }
    }
    Ok(s)
}

/// Widest line of a code block in the books (a Chinese character is two columns; the book
/// test `books_build_without_warnings_and_render_math` enforces it).
const CODE_COLUMNS: usize = 80;

/// `line` cut into pieces of at most `width` display columns, at a space where one is
/// within the piece, else anywhere (generated text can have long words).
fn wrap_columns(line: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut out = Vec::new();
    let mut rest: Vec<char> = line.chars().collect();
    loop {
        let mut cols = 0;
        let mut end = 0;
        while end < rest.len() {
            let w = rest[end].width().unwrap_or(0);
            if cols + w > width {
                break;
            }
            cols += w;
            end += 1;
        }
        if end == rest.len() {
            out.push(rest.iter().collect());
            return out;
        }
        let cut = rest[..end]
            .iter()
            .rposition(|&c| c == ' ')
            .filter(|&i| i > 0)
            .unwrap_or(end);
        out.push(
            rest[..cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        let skip = usize::from(rest.get(cut) == Some(&' '));
        rest.drain(..cut + skip);
    }
}

/// A shell command continued with `\` so that no line is wider than the books' code blocks.
fn wrap_command(cmd: &str) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in cmd.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.len() + 1 + word.len() + 2 > CODE_COLUMNS {
            lines.push(format!("    {word}"));
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines.join(" \\\n")
}

/// The evaluations of the recipe samples block and of the Tang poems block.
const RECIPE_SAMPLES: [usize; 3] = [250, 1000, 2000];
const TANG_SAMPLES: [usize; 2] = [500, 2500];

/// What the record sections quote.
struct Records {
    recipe: RunRecord,
    long: RunRecord,
    tang: RunRecord,
    speed: Speed,
    shakespeare: CorpusBaselines,
    tang_counts: CorpusBaselines,
}

fn records() -> Result<Records> {
    Ok(Records {
        recipe: run_record("shakespeare-recipe")?,
        long: run_record("shakespeare-long")?,
        tang: run_record("tang-poems")?,
        speed: speed_record()?,
        shakespeare: corpus_baselines("tinyshakespeare")?,
        tang_counts: corpus_baselines("tang-poems")?,
    })
}

fn last_eval(rec: &RunRecord) -> Result<&crate::lm::EvalRecord> {
    rec.evals
        .last()
        .ok_or_else(|| book_err("a run record without evaluations"))
}

fn record_values(r: &Records, sun: &[(String, f64, f64)]) -> Result<String> {
    let mut a = Anchored::default();
    let ln2 = std::f64::consts::LN_2;
    let rc = &r.recipe;
    a.put("rec_ce", fixed4(rc.final_val_ce));
    a.put("rec_bits", fixed4(rc.final_val_ce / ln2));
    a.put("rec_ppl", fixed2(rc.final_val_ce.exp()));
    let last = last_eval(rc)?;
    a.put("rec_est_val", fixed4(last.val_loss));
    a.put("rec_est_train", fixed4(last.train_loss));
    a.put("rec_iters", rc.iters_run);
    a.put("rec_val_chars", rc.val_chars);
    a.put("rec_ms", format!("{:.0}", rc.ms_per_iter));
    a.put("rec_minutes", minutes(rc.train_seconds));
    a.put("rec_threads", rc.threads);
    a.put("rec_eval_interval", rc.train.eval_interval);
    a.put("rec_eval_iters", rc.train.eval_iters);
    a.put("rec_slice", rc.val_slice.chars);
    a.put("rec_cmd", wrap_command(&rc.command));
    a.put("nanogpt_reported", fixed2(NANOGPT_REPORTED));

    let sh = &r.shakespeare.baselines;
    let (wb5, kn5) = order(&r.shakespeare, NGRAM_ORDER)?;
    a.put("ngram_order", NGRAM_ORDER);
    a.put("add_one", fixed4(sh.bigram_add_one));
    a.put("wb5", fixed4(wb5));
    a.put("kn5", fixed4(kn5));
    a.put("kn_best", fixed4(sh.kneser_ney_best));
    a.put("kn_order", sh.kneser_ney_order);

    let lg = &r.long;
    a.put("long_ce", fixed4(lg.final_val_ce));
    a.put("long_bits", fixed4(lg.final_val_ce / ln2));
    a.put("long_layers", lg.config.n_layer);
    a.put("long_heads", lg.config.n_head);
    a.put("long_width", lg.config.n_embd);
    a.put("long_context", lg.config.block_size);
    a.put("long_batch", lg.train.batch_size);
    a.put("long_iters", lg.iters_run);
    a.put("long_params", lg.parameters);
    a.put("long_threads", lg.threads);
    a.put("long_minutes", minutes(lg.train_seconds));
    let long_last = last_eval(lg)?;
    a.put("long_train", fixed4(long_last.train_loss));
    a.put("long_eval_iters", lg.train.eval_iters);
    a.put(
        "long_gap",
        fixed2(long_last.val_loss - long_last.train_loss),
    );
    a.put("long_cmd", wrap_command(&lg.command));

    let tg = &r.tang;
    let tb = &r.tang_counts.baselines;
    a.put("tang_ce", fixed4(tg.final_val_ce));
    a.put("tang_vocab", tg.vocab_size);
    a.put("tang_ln_v", fixed4((tg.vocab_size as f64).ln()));
    a.put("tang_params", tg.parameters);
    a.put("tang_iters", tg.iters_run);
    a.put("tang_minutes", minutes(tg.train_seconds));
    a.put("tang_add_one", fixed4(tb.bigram_add_one));
    a.put("tang_kn_best", fixed4(tb.kneser_ney_best));
    a.put("tang_kn_order", tb.kneser_ney_order);
    a.put("tang_cmd", wrap_command(&tg.command));

    let sp = &r.speed;
    a.put("speed_iters", sp.iters);
    a.put("speed_torch_ms", format!("{:.0}", sp.pytorch.ms_per_iter));
    a.put("speed_ours_ms", format!("{:.0}", sp.ce_mle.ms_per_iter));
    a.put("speed_ratio", fixed2(sp.time_ratio_ce_mle_over_pytorch));
    a.put("speed_threads", sp.ce_mle.threads);
    a.put("speed_machine", &sp.machine);
    a.put("speed_load_before", &sp.load.before);
    a.put("speed_load_after", &sp.load.after);
    a.put("speed_cmd", wrap_command(&sp.command));

    let p = |c: &str| sun.iter().find(|r| r.0 == c).map(|r| (r.1, r.2));
    let (day, night, man) = match (p(" day"), p(" night"), p(" man")) {
        (Some(d), Some(n), Some(m)) => (d, n, m),
        _ => return Err(book_err("the sun sentence lost a candidate")),
    };
    a.put("sun_context", SUN_CONTEXT);
    a.put("sun_day_recipe", sci3(day.0));
    a.put("sun_day_long", sci3(day.1));
    a.put("sun_day_night", format!("{:.1}", day.1 / night.1));
    a.put("sun_man_recipe", sci3(man.0));
    a.put("sun_day_gain", format!("{:.0}", day.1 / day.0));

    // ' day' against the other candidates under each model, ' man' set apart for the recipe.
    let recipe_day_second = sun
        .iter()
        .filter(|r| r.0 != " day" && r.0 != " man")
        .all(|r| r.1 < day.0);
    let long_day_first = sun.iter().filter(|r| r.0 != " day").all(|r| r.2 < day.1);
    let claims = [
        (rc.final_val_ce > 1.90, "the recipe misses 1.90"),
        (
            rc.final_val_ce > NANOGPT_REPORTED,
            "the recipe is above nanoGPT's figure",
        ),
        (
            rc.final_val_ce < sh.bigram_add_one && rc.final_val_ce > wb5,
            "the recipe lies between the bigram and Witten-Bell",
        ),
        (
            lg.final_val_ce < wb5 && lg.final_val_ce > kn5 && lg.final_val_ce > sh.kneser_ney_best,
            "the long run beats Witten-Bell, not Kneser-Ney",
        ),
        (
            lg.train_seconds <= 1800.0 && lg.threads > 1,
            "the long run took at most 30 minutes, on more than one thread",
        ),
        (
            long_last.val_loss - long_last.train_loss > 0.1,
            "the long run's training loss is well below its validation loss",
        ),
        (
            rc.evals
                .iter()
                .any(|e| e.iter > 0 && e.iter <= 500 && e.val_loss < sh.bigram_add_one),
            "the recipe passes the add-one bigram within a few hundred iterations",
        ),
        (
            tg.final_val_ce < tb.kneser_ney_best,
            "the Tang model beats its best count model",
        ),
        (
            sp.time_ratio_ce_mle_over_pytorch > 1.0,
            "ce-mle is slower than PyTorch",
        ),
        (
            recipe_day_second && man.0 > day.0,
            "the recipe model ranks ' man' first and ' day' second",
        ),
        (long_day_first, "the longer run ranks ' day' first"),
    ];
    if let Some((_, what)) = claims.iter().find(|c| !c.0) {
        return Err(book_err(format!(
            "the Transformer chapter says {what}: no longer true, update its prose"
        )));
    }
    Ok(a.0)
}

/// The loss curves of the two Tiny Shakespeare runs against the count baselines.
fn loss_figure(r: &Records, lang: &str) -> Result<String> {
    check_lang(lang)?;
    let zh = lang == "zh";
    let t = lang_texts(
        lang,
        Texts {
            title: "GPT on Tiny Shakespeare: loss per evaluation",
            x: "iteration",
            y: "cross-entropy (nats/char)",
        },
        Texts {
            title: "Tiny Shakespeare 上的 GPT：每次评估的损失",
            x: "迭代步数",
            y: "交叉熵（奈特/字符）",
        },
    );
    let curve = |rec: &RunRecord, val: bool| -> Vec<(f64, f64)> {
        rec.evals
            .iter()
            .map(|e| (e.iter as f64, if val { e.val_loss } else { e.train_loss }))
            .collect()
    };
    let sh = &r.shakespeare.baselines;
    let (wb5, _) = order(&r.shakespeare, NGRAM_ORDER)?;
    let end = r.long.iters_run.max(r.recipe.iters_run) as f64;
    let flat = |y: f64| vec![(0.0, y), (end, y)];
    let names: [String; 7] = if zh {
        [
            "配方：训练".into(),
            "配方：验证".into(),
            "长训练：训练".into(),
            "长训练：验证".into(),
            format!("加一二元模型 {}", fixed2(sh.bigram_add_one)),
            format!("Witten–Bell {NGRAM_ORDER} 元 {}", fixed2(wb5)),
            format!(
                "Kneser–Ney {} 元 {}",
                sh.kneser_ney_order,
                fixed2(sh.kneser_ney_best)
            ),
        ]
    } else {
        [
            "recipe: train".into(),
            "recipe: validation".into(),
            "longer run: train".into(),
            "longer run: validation".into(),
            format!("add-one bigram {}", fixed2(sh.bigram_add_one)),
            format!("Witten–Bell {NGRAM_ORDER}-gram {}", fixed2(wb5)),
            format!(
                "Kneser–Ney {}-gram {}",
                sh.kneser_ney_order,
                fixed2(sh.kneser_ney_best)
            ),
        ]
    };
    let series = [
        curve(&r.recipe, false),
        curve(&r.recipe, true),
        curve(&r.long, false),
        curve(&r.long, true),
        flat(sh.bigram_add_one),
        flat(wb5),
        flat(sh.kneser_ney_best),
    ];
    let mut chart = Chart::new(t.title, t.x, t.y);
    for (name, points) in names.iter().zip(series) {
        chart = chart.with_series(name, points);
    }
    line_chart(&chart)
}

/// The files of this chapter under `book/generated/` (figures: under each book's
/// `src/figures/`), in the order its `make` computes them.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "transformer",
    files: &[
        "transformer-values.txt",
        "transformer-params.en.md",
        "transformer-params.zh.md",
        "transformer-gradcheck.en.md",
        "transformer-gradcheck.zh.md",
        "transformer-records.txt",
        "transformer-loss.en.svg",
        "transformer-loss.zh.svg",
        "transformer-samples.en.txt",
        "transformer-samples.zh.txt",
        "transformer-tang-samples.en.txt",
        "transformer-tang-samples.zh.txt",
        "transformer-sun.en.md",
        "transformer-sun.zh.md",
    ],
    make,
};

fn make() -> Result<Vec<String>> {
    let tiny = tiny_run()?;
    let rows = gradient_rows()?;
    let recipe = GptConfig::nanogpt_cpu(tiny.vocab);
    let r = records()?;
    let sun = sun_rows()?;
    Ok(vec![
        values(&tiny, &rows, &recipe)?,
        params_table(&recipe, 0),
        params_table(&recipe, 1),
        gradient_table(&rows, 0),
        gradient_table(&rows, 1),
        record_values(&r, &sun)?,
        loss_figure(&r, "en")?,
        loss_figure(&r, "zh")?,
        samples(&r.recipe, &RECIPE_SAMPLES, 0)?,
        samples(&r.recipe, &RECIPE_SAMPLES, 1)?,
        samples(&r.tang, &TANG_SAMPLES, 0)?,
        samples(&r.tang, &TANG_SAMPLES, 1)?,
        sun_table(&sun, 0),
        sun_table(&sun, 1),
    ])
}
