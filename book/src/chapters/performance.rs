//! The appendix page "Performance": the benchmark record `book/data/performance.json`
//! (written by `tools/bench/run.sh`: `cargo bench --bench loss` and PyTorch's side,
//! `tools/bench/loss_torch.py`, in one sitting) as tables, inline values and a figure.
//!
//! Nothing here measures: the page shows the committed record, so that rebuilding the book
//! never changes its numbers. A new sitting rewrites the record; `cargo test` then fails
//! until the generated files are regenerated from it.

use std::fmt::Write as _;

use serde::Deserialize;

use super::{Anchored, Outputs, book_err, pick};
use crate::error::Result;
use crate::paths::book_root;
use crate::plot::{Chart, line_chart};

/// The generated files of the page.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "performance",
    files: &[
        "performance-kernels.en.md",
        "performance-kernels.zh.md",
        "performance-linear.en.md",
        "performance-linear.zh.md",
        "performance-values.txt",
        "performance-ratios.en.svg",
        "performance-ratios.zh.svg",
    ],
    make,
};

/// One cross-entropy shape of the record (seconds).
#[derive(Clone, Debug, Deserialize)]
pub struct KernelRow {
    /// Rows.
    pub n: usize,
    /// Classes.
    pub c: usize,
    /// `float32` or `float64`.
    pub dtype: String,
    /// Copy of the logits into a preallocated buffer.
    pub copy: f64,
    /// The loss.
    pub forward: f64,
    /// The loss and its gradient.
    pub forward_backward: f64,
    /// The gradient over the logits (ours only).
    #[serde(default)]
    pub in_place: Option<f64>,
}

/// One linear + cross-entropy shape, ours (seconds, bytes).
#[derive(Clone, Debug, Deserialize)]
pub struct LinearRow {
    /// Tokens.
    pub n: usize,
    /// Hidden width.
    pub d: usize,
    /// Vocabulary.
    pub v: usize,
    /// Logits and the two backward products, logits materialised.
    pub three_products: f64,
    /// `linear_cross_entropy_with_grad`.
    pub fused: f64,
    /// Rows per chunk.
    pub chunk_rows: usize,
    /// Bytes of one chunk of logits.
    pub chunk_bytes: u64,
    /// Peak resident memory added by the fused call.
    pub fused_peak_extra_bytes: Option<u64>,
    /// Peak resident memory added by the unfused products.
    pub three_products_peak_extra_bytes: Option<u64>,
}

/// PyTorch's linear + cross-entropy for one shape (seconds, bytes).
#[derive(Clone, Debug, Deserialize)]
pub struct TorchLinearRow {
    /// Tokens.
    pub n: usize,
    /// Hidden width.
    pub d: usize,
    /// Vocabulary.
    pub v: usize,
    /// `F.cross_entropy(x @ w.T, y).backward()`.
    pub unfused: f64,
    /// Its peak extra memory.
    pub unfused_peak_extra_bytes: Option<u64>,
    /// `F.linear_cross_entropy` with `options=None` (the reference path).
    pub linear_cross_entropy_default: f64,
    /// Its peak extra memory.
    pub linear_cross_entropy_default_peak_extra_bytes: Option<u64>,
    /// With `LinearCrossEntropyOptions()` (chunked, chunk size chosen by PyTorch).
    pub linear_cross_entropy_chunked_auto: f64,
    /// Its peak extra memory.
    pub linear_cross_entropy_chunked_auto_peak_extra_bytes: Option<u64>,
    /// The best `batch_chunk_size` of the sweep.
    pub linear_cross_entropy_tuned_chunk: usize,
    /// Its time.
    pub linear_cross_entropy_tuned: f64,
    /// Its peak extra memory.
    pub linear_cross_entropy_tuned_peak_extra_bytes: Option<u64>,
    /// The three plain products in PyTorch.
    pub three_products: f64,
}

/// PyTorch's side of the sitting.
#[derive(Clone, Debug, Deserialize)]
pub struct Torch {
    /// `torch.__version__`.
    pub torch_version: String,
    /// `torch.get_num_threads()`.
    pub threads: usize,
    /// Cross-entropy rows.
    pub cross_entropy: Vec<KernelRow>,
    /// Linear + cross-entropy rows.
    pub linear_cross_entropy: Vec<TorchLinearRow>,
}

/// The machine of the sitting.
#[derive(Clone, Debug, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Cores the OS offers.
    pub cores: usize,
    /// Threads of the Rust side (rayon).
    pub threads: usize,
    /// Memory in GiB.
    pub memory_gib: f64,
}

/// `book/data/performance.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct Record {
    /// The machine.
    pub machine: Machine,
    /// UTC date of the sitting.
    pub date: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Our cross-entropy rows.
    pub cross_entropy: Vec<KernelRow>,
    /// Our linear + cross-entropy rows.
    pub linear_cross_entropy: Vec<LinearRow>,
    /// PyTorch's side.
    pub torch: Torch,
}

/// Read the committed record.
///
/// # Errors
/// [`crate::Error::Book`] if it is missing or malformed.
pub fn record() -> Result<Record> {
    let path = book_root().join("data/performance.json");
    let text = std::fs::read_to_string(&path).map_err(|e| ce_mle::Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| book_err(format!("{}: {e}", path.display())))
}

fn ms(s: f64) -> String {
    if s < 0.01 {
        format!("{:.3}", s * 1e3)
    } else if s < 1.0 {
        format!("{:.1}", s * 1e3)
    } else {
        format!("{:.0}", s * 1e3)
    }
}

fn x(r: f64) -> String {
    format!("{r:.2}×")
}

fn mb(b: Option<u64>) -> String {
    b.map_or_else(|| "—".into(), |b| format!("{:.0}", b as f64 / 1e6))
}

fn torch_row<'a>(rec: &'a Record, k: &KernelRow) -> Result<&'a KernelRow> {
    rec.torch
        .cross_entropy
        .iter()
        .find(|t| (t.n, t.c) == (k.n, k.c) && t.dtype == k.dtype)
        .ok_or_else(|| book_err(format!("no PyTorch row for [{}, {}] {}", k.n, k.c, k.dtype)))
}

/// The cross-entropy table in `lang`.
fn kernels_table(rec: &Record, lang: &str) -> Result<String> {
    let head = if lang == "zh" {
        "| 形状 | 类型 | 复制 (ms) | 前向 | 前向+反向 | 原地反向 | PyTorch 复制 (ms) | PyTorch 前向 | PyTorch 前向+反向 | 前向+反向加速比 |"
    } else {
        "| shape | dtype | copy (ms) | forward | fwd+bwd | in place | PyTorch copy (ms) | PyTorch forward | PyTorch fwd+bwd | fwd+bwd speed-up |"
    };
    let mut s = format!("{head}\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for k in &rec.cross_entropy {
        let t = torch_row(rec, k)?;
        let _ = writeln!(
            s,
            "| [{}, {}] | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            k.n,
            k.c,
            k.dtype,
            ms(k.copy),
            x(k.forward / k.copy),
            x(k.forward_backward / k.copy),
            k.in_place.map_or_else(|| "—".into(), |p| x(p / k.copy)),
            ms(t.copy),
            x(t.forward / t.copy),
            x(t.forward_backward / t.copy),
            x(t.forward_backward / k.forward_backward),
        );
    }
    Ok(s)
}

/// The linear + cross-entropy table in `lang`.
fn linear_table(rec: &Record, lang: &str) -> Result<String> {
    let head = if lang == "zh" {
        "| N × D × V | 三次矩阵乘法 (ms) | 融合 (ms) | 融合 / 三次乘法 | 一块 logits (MB) | 融合峰值增量 (MB) | 不融合峰值增量 (MB) | PyTorch 不融合 (ms / MB) | PyTorch 默认 (ms / MB) | PyTorch 分块自动 (ms / MB) | PyTorch 分块调优 (ms / MB) |"
    } else {
        "| N × D × V | three products (ms) | fused (ms) | fused / three products | one chunk of logits (MB) | fused peak extra (MB) | unfused peak extra (MB) | PyTorch unfused (ms / MB) | PyTorch default (ms / MB) | PyTorch chunked, auto (ms / MB) | PyTorch chunked, tuned (ms / MB) |"
    };
    let mut s = format!("{head}\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for l in &rec.linear_cross_entropy {
        let t = rec
            .torch
            .linear_cross_entropy
            .iter()
            .find(|t| (t.n, t.d, t.v) == (l.n, l.d, l.v))
            .ok_or_else(|| book_err(format!("no PyTorch row for {}x{}x{}", l.n, l.d, l.v)))?;
        let _ = writeln!(
            s,
            "| {} × {} × {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} / {} | {} / {} ({}) |",
            l.n,
            l.d,
            l.v,
            ms(l.three_products),
            ms(l.fused),
            x(l.fused / l.three_products),
            mb(Some(l.chunk_bytes)),
            mb(l.fused_peak_extra_bytes),
            mb(l.three_products_peak_extra_bytes),
            ms(t.unfused),
            mb(t.unfused_peak_extra_bytes),
            ms(t.linear_cross_entropy_default),
            mb(t.linear_cross_entropy_default_peak_extra_bytes),
            ms(t.linear_cross_entropy_chunked_auto),
            mb(t.linear_cross_entropy_chunked_auto_peak_extra_bytes),
            ms(t.linear_cross_entropy_tuned),
            mb(t.linear_cross_entropy_tuned_peak_extra_bytes),
            t.linear_cross_entropy_tuned_chunk,
        );
    }
    Ok(s)
}

/// The row of `rec` for `[n, c]` in `dtype`.
fn kernel<'a>(rec: &'a Record, n: usize, c: usize, dtype: &str) -> Result<&'a KernelRow> {
    rec.cross_entropy
        .iter()
        .find(|k| (k.n, k.c) == (n, c) && k.dtype == dtype)
        .ok_or_else(|| book_err(format!("the record has no row [{n}, {c}] {dtype}")))
}

/// Inline values: the machine, the date, versions, and the ratios the page's prose quotes
/// (the headline shape `[2048, 32000]` in `float32`, and each linear + cross-entropy shape
/// as `linear_<n>_<d>_<v>_…`).
fn values(rec: &Record) -> Result<String> {
    let mut a = Anchored::default();
    a.put("cpu", &rec.machine.cpu);
    a.put("cores", rec.machine.cores);
    a.put("threads", rec.machine.threads);
    a.put("torch_threads", rec.torch.threads);
    a.put("memory_gib", rec.machine.memory_gib);
    a.put("date", &rec.date);
    a.put("rustc", &rec.rustc);
    a.put("torch", &rec.torch.torch_version);
    let k = kernel(rec, 2048, 32000, "float32")?;
    let t = torch_row(rec, k)?;
    a.put("head_copy_ms", ms(k.copy));
    a.put("head_forward", x(k.forward / k.copy));
    a.put("head_forward_backward", x(k.forward_backward / k.copy));
    a.put("head_torch_forward", x(t.forward / t.copy));
    a.put(
        "head_torch_forward_backward",
        x(t.forward_backward / t.copy),
    );
    a.put("head_speedup", x(t.forward_backward / k.forward_backward));
    a.put("head_speedup_forward", x(t.forward / k.forward));
    let worst = rec
        .cross_entropy
        .iter()
        .map(|k| k.forward_backward / k.copy)
        .fold(0.0, f64::max);
    a.put("worst_forward_backward", x(worst));
    for l in &rec.linear_cross_entropy {
        let key = format!("linear_{}_{}_{}", l.n, l.d, l.v);
        a.put(&format!("{key}_ratio"), x(l.fused / l.three_products));
        a.put(&format!("{key}_chunk_rows"), l.chunk_rows);
        a.put(&format!("{key}_chunk_mb"), mb(Some(l.chunk_bytes)));
        a.put(&format!("{key}_peak_mb"), mb(l.fused_peak_extra_bytes));
        a.put(
            &format!("{key}_unfused_peak_mb"),
            mb(l.three_products_peak_extra_bytes),
        );
    }
    Ok(a.0)
}

/// The figure: forward+backward time as a multiple of the copy, per shape (x) and for each
/// side and type (stems side by side).
fn ratios_figure(rec: &Record, lang: usize) -> Result<String> {
    let mut shapes: Vec<(usize, usize)> = Vec::new();
    for k in &rec.cross_entropy {
        if !shapes.contains(&(k.n, k.c)) {
            shapes.push((k.n, k.c));
        }
    }
    let names: Vec<String> = shapes.iter().map(|(n, c)| format!("{n}×{c}")).collect();
    let mut chart = Chart::new(
        pick(
            [
                "Cross-entropy forward+backward, as a multiple of a copy",
                "交叉熵前向+反向的用时，以复制为单位",
            ],
            lang,
        ),
        pick(["shape N × C", "形状 N × C"], lang),
        pick(
            [
                "time ÷ copy of the same buffer",
                "用时 ÷ 复制同一缓冲区的用时",
            ],
            lang,
        ),
    )
    .with_x_categories(&names)
    .with_size(760, 450);
    for dtype in ["float32", "float64"] {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for (i, &(n, c)) in shapes.iter().enumerate() {
            if let Ok(k) = kernel(rec, n, c, dtype) {
                let t = torch_row(rec, k)?;
                ours.push(((i + 1) as f64, k.forward_backward / k.copy));
                theirs.push(((i + 1) as f64, t.forward_backward / t.copy));
            }
        }
        let ours_name = format!("{} {dtype}", pick(["ce-mle", "本库"], lang));
        let theirs_name = format!("PyTorch {dtype}");
        chart = chart
            .with_stems(&ours_name, ours)
            .with_stems(&theirs_name, theirs);
    }
    line_chart(&chart)
}

fn make() -> Result<Vec<String>> {
    let rec = record()?;
    Ok(vec![
        kernels_table(&rec, "en")?,
        kernels_table(&rec, "zh")?,
        linear_table(&rec, "en")?,
        linear_table(&rec, "zh")?,
        values(&rec)?,
        ratios_figure(&rec, 0)?,
        ratios_figure(&rec, 1)?,
    ])
}
