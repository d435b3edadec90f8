//! `cargo bench --bench loss`: the cross-entropy kernels and the fused linear + cross-entropy,
//! each next to the memory-bound or compute-bound operation it should be compared with,
//! measured in the same run:
//!
//! * `cross_entropy/<dtype>/<N>x<C>`: `copy` (`copy_from_slice` of the logits into a
//!   preallocated buffer: one read and one write of the data, the memory roofline), `forward`
//!   (the loss), `forward+backward` (the loss and its gradient into a preallocated buffer) and
//!   `in place` (the gradient written over the logits, Liger-Kernel's form), through the
//!   row-major API `ce_mle::loss::rows`, PyTorch's layout;
//! * `linear_cross_entropy/f32/<N>x<D>x<V>`: `three products` (the logits `X·Wᵀ` and the two
//!   products of the backward pass, `G·W` and `Gᵀ·X`, with the same matrix kernel and the same
//!   split over the cores, the logits materialised) and `fused`
//!   (`ce_mle::loss::linear_cross_entropy_with_grad`, default chunking).
//!
//! After criterion's own output it prints the ratios to the copy (and to the three products)
//! from criterion's medians, and the peak extra memory of both linear forms (Linux: the peak
//! resident set is reset through `/proc/self/clear_refs` before each run). With
//! `CE_MLE_BENCH_RECORD=path` it also writes those figures, the machine and PyTorch's figures
//! from `CE_MLE_TORCH_BENCH=path` (written by `tools/bench/loss_torch.py` in the same sitting)
//! to the record the book's Performance page is generated from:
//! `tools/bench/run.sh` does all of it.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ce_mle::Real;
use ce_mle::loss::rows::{self, RowTarget};
use ce_mle::loss::{
    CrossEntropyOptions, Linear, LinearCrossEntropyOptions, LinearGrads,
    linear_cross_entropy_with_grad,
};
use criterion::{BatchSize, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde_json::{Value, json};

/// The shapes of the issue that asked for the fast kernels: a Llama-sized vocabulary, a batch
/// of a few rows, a small vocabulary, GPT-2's vocabulary.
const SHAPES: [(usize, usize); 4] = [(2048, 32_000), (64, 50_000), (4096, 1000), (768, 50_257)];

/// Tokens, hidden width, vocabulary: a GPT-2-small-like head at two batch sizes.
const LINEAR_SHAPES: [(usize, usize, usize); 2] = [(768, 128, 50_257), (2048, 768, 50_257)];

fn logits<T: Real>(n: usize, c: usize, seed: u64) -> (Vec<T>, Vec<i64>) {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let z = (0..n * c)
        .map(|_| T::round_from_f64(r.random_range(-4.0..4.0)))
        .collect();
    let y = (0..n).map(|_| r.random_range(0..c as i64)).collect();
    (z, y)
}

fn cross_entropy_group<T: Real>(c: &mut Criterion, n: usize, classes: usize) {
    let (z, y) = logits::<T>(n, classes, 1);
    let opts = CrossEntropyOptions::<T>::default();
    let mut out = vec![T::zero(); z.len()];
    let mut g = c.benchmark_group(format!("cross_entropy/{}/{n}x{classes}", T::DTYPE));
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("copy", |b| b.iter(|| out.copy_from_slice(black_box(&z))));
    g.bench_function("forward", |b| {
        b.iter(|| rows::cross_entropy(black_box(&z), classes, RowTarget::Indices(&y), &opts))
    });
    g.bench_function("forward+backward", |b| {
        b.iter(|| {
            rows::cross_entropy_with_grad(
                black_box(&z),
                classes,
                RowTarget::Indices(&y),
                &opts,
                &mut out,
            )
        })
    });
    g.bench_function("in place", |b| {
        b.iter_batched_ref(
            || z.clone(),
            |buf| {
                rows::cross_entropy_backward_in_place(buf, classes, RowTarget::Indices(&y), &opts)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Inputs of a linear cross-entropy: hidden states, weight, targets.
fn linear_inputs(n: usize, d: usize, v: usize) -> (Vec<f32>, Vec<f32>, Vec<i64>) {
    let mut r = ChaCha8Rng::seed_from_u64(2);
    let x = (0..n * d).map(|_| r.random_range(-1.0..1.0)).collect();
    let scale = 1.0 / (d as f32).sqrt();
    let w = (0..v * d).map(|_| r.random_range(-scale..scale)).collect();
    let y = (0..n).map(|_| r.random_range(0..v as i64)).collect();
    (x, w, y)
}

/// `c (m×n) = a·b` (`beta` 0) with matrixmultiply, the rows of `c` split over the threads as
/// the fused code splits them.
#[allow(clippy::too_many_arguments)]
fn product(
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    (rsb, csb): (usize, usize),
    c: &mut [f32],
) {
    assert!((m - 1) * rsa + (k - 1) * csa < a.len() && (k - 1) * rsb + (n - 1) * csb < b.len());
    assert_eq!(c.len(), m * n);
    let per = m.div_ceil(rayon::current_num_threads());
    c.par_chunks_mut(per * n)
        .enumerate()
        .for_each(|(i, block)| {
            let rows = block.len() / n;
            // SAFETY: the bounds of `a`, `b` and `c` are checked above; row block `i` of `a`
            // starts at row `i·per`.
            unsafe {
                matrixmultiply::sgemm(
                    rows,
                    k,
                    n,
                    1.0,
                    a.as_ptr().add(i * per * rsa),
                    rsa as isize,
                    csa as isize,
                    b.as_ptr(),
                    rsb as isize,
                    csb as isize,
                    0.0,
                    block.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
        });
}

/// The three products of an unfused linear + cross-entropy, into `z` `(N, V)`, `gx`, `gw`.
fn three_products(
    x: &[f32],
    w: &[f32],
    (n, d, v): (usize, usize, usize),
    z: &mut [f32],
    gx: &mut [f32],
    gw: &mut [f32],
) {
    product((n, d, v), x, (d, 1), w, (1, d), z);
    product((n, v, d), z, (v, 1), w, (d, 1), gx);
    product((v, n, d), z, (1, v), x, (d, 1), gw);
}

fn fused(x: &[f32], w: &[f32], y: &[i64], d: usize, gx: &mut [f32], gw: &mut [f32]) -> f32 {
    let l = linear_cross_entropy_with_grad(
        x,
        Linear {
            weight: w,
            bias: None,
            in_features: d,
        },
        RowTarget::Indices(y),
        &CrossEntropyOptions::default(),
        LinearCrossEntropyOptions::default(),
        LinearGrads {
            input: gx,
            weight: gw,
            bias: None,
        },
    )
    .expect("valid inputs");
    l.scalar().expect("mean")
}

fn linear_group(c: &mut Criterion, (n, d, v): (usize, usize, usize)) {
    let (x, w, y) = linear_inputs(n, d, v);
    let mut gx = vec![0.0; n * d];
    let mut gw = vec![0.0; v * d];
    let mut g = c.benchmark_group(format!("linear_cross_entropy/f32/{n}x{d}x{v}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(if d > 256 { 60 } else { 10 }));
    g.sampling_mode(criterion::SamplingMode::Flat);
    {
        let mut z = vec![0.0; n * v];
        g.bench_function("three products", |b| {
            b.iter(|| three_products(&x, &w, (n, d, v), &mut z, &mut gx, &mut gw))
        });
    }
    g.bench_function("fused", |b| {
        b.iter(|| fused(&x, &w, &y, d, &mut gx, &mut gw))
    });
    g.finish();
}

/// `(VmRSS, VmHWM)` in bytes, from `/proc/self/status`.
fn rss() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = s.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|k| k * 1024)
    };
    Some((kb("VmRSS:")?, kb("VmHWM:")?))
}

/// The peak resident memory `f` adds to what is resident before it, in bytes (Linux).
fn peak_extra(f: impl FnOnce()) -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let (before, _) = rss()?;
    f();
    let (_, peak) = rss()?;
    Some(peak.saturating_sub(before))
}

/// Median in seconds of each benchmark of our groups, from criterion's files:
/// `(group, function) → seconds`.
fn medians(dir: &Path) -> BTreeMap<(String, String), f64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&p) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|f| f == "benchmark.json")
                && path.parent().is_some_and(|p| p.ends_with("new"))
            {
                let read = |p: PathBuf| -> Option<Value> {
                    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
                };
                let (Some(b), Some(est)) = (
                    read(path.clone()),
                    read(path.with_file_name("estimates.json")),
                ) else {
                    continue;
                };
                let (Some(group), Some(func), Some(ns)) = (
                    b["group_id"].as_str(),
                    b["function_id"].as_str(),
                    est["median"]["point_estimate"].as_f64(),
                ) else {
                    continue;
                };
                out.insert((group.to_string(), func.to_string()), ns * 1e-9);
            }
        }
    }
    out
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|k| k.parse::<u64>().ok())
        .map_or(0.0, |k| k as f64 / 1024.0 / 1024.0);
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "threads": rayon::current_num_threads(),
        "memory_gib": (mem * 10.0).round() / 10.0,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}

fn ms(s: Option<f64>) -> String {
    s.map_or("—".into(), |s| format!("{:.2}", s * 1e3))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

fn report(dir: &Path) {
    let m = medians(dir);
    let get = |g: &str, f: &str| m.get(&(g.to_string(), f.to_string())).copied();
    let mut ce = Vec::new();
    println!(
        "\ncross-entropy, median time (ms) and ratio to the copy of the same buffer, {} threads:",
        rayon::current_num_threads()
    );
    println!(
        "{:<28} {:>8} {:>9} {:>7} {:>9} {:>7} {:>9} {:>7}",
        "shape", "copy", "forward", "", "fwd+bwd", "", "in place", ""
    );
    for dtype in ["float32", "float64"] {
        for (n, c) in SHAPES {
            let g = format!("cross_entropy/{dtype}/{n}x{c}");
            let (copy, fwd, fb, ip) = (
                get(&g, "copy"),
                get(&g, "forward"),
                get(&g, "forward+backward"),
                get(&g, "in place"),
            );
            if copy.is_none() && fwd.is_none() {
                continue;
            }
            println!(
                "{:<28} {:>8} {:>9} {:>7} {:>9} {:>7} {:>9} {:>7}",
                format!("[{n}, {c}] {dtype}"),
                ms(copy),
                ms(fwd),
                ratio(fwd, copy),
                ms(fb),
                ratio(fb, copy),
                ms(ip),
                ratio(ip, copy)
            );
            ce.push(json!({"n": n, "c": c, "dtype": dtype, "copy": copy, "forward": fwd, "forward_backward": fb, "in_place": ip}));
        }
    }
    let mut lin = Vec::new();
    println!(
        "\nlinear + cross-entropy (f32), median time (ms), ratio to the three products, peak extra memory (MB):"
    );
    for (n, d, v) in LINEAR_SHAPES {
        let g = format!("linear_cross_entropy/f32/{n}x{d}x{v}");
        let (three, fused_t) = (get(&g, "three products"), get(&g, "fused"));
        if three.is_none() && fused_t.is_none() {
            continue;
        }
        let (x, w, y) = linear_inputs(n, d, v);
        let mut gx = vec![0.0; n * d];
        let mut gw = vec![0.0; v * d];
        // Touch the outputs so that only the call's own allocations count.
        gx.fill(1.0);
        gw.fill(1.0);
        let fused_extra = peak_extra(|| {
            black_box(fused(&x, &w, &y, d, &mut gx, &mut gw));
        });
        let three_extra = peak_extra(|| {
            let mut z = vec![0.0f32; n * v];
            three_products(&x, &w, (n, d, v), &mut z, &mut gx, &mut gw);
            black_box(&z);
        });
        let chunk = LinearCrossEntropyOptions::default().chunk_rows::<f32>(n, v);
        let mb = |b: Option<u64>| b.map_or("—".into(), |b| format!("{:.1}", b as f64 / 1e6));
        println!(
            "N={n} D={d} V={v}: three products {} ms, fused {} ms ({}), chunk {chunk} rows = {:.1} MB of logits; peak extra: fused {} MB, three products {} MB",
            ms(three),
            ms(fused_t),
            ratio(fused_t, three),
            (chunk * v * 4) as f64 / 1e6,
            mb(fused_extra),
            mb(three_extra)
        );
        lin.push(json!({
            "n": n, "d": d, "v": v, "three_products": three, "fused": fused_t,
            "chunk_rows": chunk, "chunk_bytes": chunk * v * 4,
            "fused_peak_extra_bytes": fused_extra, "three_products_peak_extra_bytes": three_extra,
        }));
    }
    let Some(record) = std::env::var_os("CE_MLE_BENCH_RECORD") else {
        return;
    };
    let torch = std::env::var_os("CE_MLE_TORCH_BENCH").map(|p| {
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", Path::new(&p).display()));
        serde_json::from_str::<Value>(&text).expect("PyTorch bench JSON")
    });
    let doc = json!({
        "what": "median times in seconds from `cargo bench --bench loss` (criterion) and tools/bench/loss_torch.py in one sitting",
        "command": "tools/bench/run.sh",
        "machine": machine(),
        "date": std::env::var("CE_MLE_BENCH_DATE").unwrap_or_default(),
        "rustc": std::env::var("CE_MLE_RUSTC_VERSION").unwrap_or_default(),
        "cross_entropy": ce,
        "linear_cross_entropy": lin,
        "torch": torch,
    });
    let text = serde_json::to_string_pretty(&doc).expect("JSON") + "\n";
    ce_mle::fsio::write_atomic(Path::new(&record), text.as_bytes()).expect("write the record");
    println!("\nwrote {}", Path::new(&record).display());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for (n, classes) in SHAPES {
        cross_entropy_group::<f32>(&mut c, n, classes);
    }
    for (n, classes) in SHAPES {
        cross_entropy_group::<f64>(&mut c, n, classes);
    }
    for shape in LINEAR_SHAPES {
        linear_group(&mut c, shape);
    }
    c.final_summary();
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        )
        .join("criterion");
    report(&dir);
}
