#!/usr/bin/env python3
"""PyTorch's side of `cargo bench --bench loss` (book/benches/loss.rs), measured the same way:
median times of the copy of the logits into a preallocated tensor, F.cross_entropy forward,
forward + backward, for the same shapes and dtypes; and for the linear + cross-entropy head the
unfused path (logits = x @ w.T, F.cross_entropy, backward), F.linear_cross_entropy with its
default options (options=None: the reference path), with LinearCrossEntropyOptions() (the
chunked path, chunk size chosen by PyTorch) and with the best batch_chunk_size of a sweep; the
three plain products; and the peak extra resident memory of each (Linux: the peak is reset
through /proc/self/clear_refs before each run).

Usage (tools/bench/run.sh runs it right before cargo bench):
    python3 tools/bench/loss_torch.py --out target/torch-bench.json [--quick]
CPU, torch.set_num_threads(2) (the thread count of the Rust side), float32 and float64.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

SHAPES = [(2048, 32000), (64, 50000), (4096, 1000), (768, 50257)]
LINEAR_SHAPES = [(768, 128, 50257), (2048, 768, 50257)]
CHUNKS = [64, 128, 256, 512, 1024]


def median_time(fn, min_time, min_runs=5, setup=None):
    """Median wall time of fn() in seconds, over at least min_runs runs and min_time seconds."""
    times = []
    start = time.perf_counter()
    fn()  # warm-up
    while len(times) < min_runs or time.perf_counter() - start < min_time:
        if setup is not None:
            setup()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def rss():
    with open("/proc/self/status") as f:
        s = f.read()
    kb = lambda key: int(next(l for l in s.splitlines() if l.startswith(key)).split()[1]) * 1024
    return kb("VmRSS:"), kb("VmHWM:")


def peak_extra(fn):
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    before, _ = rss()
    fn()
    _, peak = rss()
    return max(peak - before, 0)


def cross_entropy_rows(quick):
    out = []
    g = torch.Generator().manual_seed(1)
    for dtype in (torch.float32, torch.float64):
        for n, c in SHAPES:
            x = (torch.rand(n, c, generator=g, dtype=torch.float64) * 8 - 4).to(dtype)
            y = torch.randint(0, c, (n,), generator=g)
            dst = torch.empty_like(x)
            t = 0.5 if quick else 3.0
            copy = median_time(lambda: dst.copy_(x), t)
            with torch.no_grad():
                fwd = median_time(lambda: F.cross_entropy(x, y), t)
            xr = x.clone().requires_grad_(True)

            def fwd_bwd():
                xr.grad = None
                F.cross_entropy(xr, y).backward()

            fb = median_time(fwd_bwd, t)
            name = str(dtype).replace("torch.", "")
            out.append({"n": n, "c": c, "dtype": name, "copy": copy, "forward": fwd,
                        "forward_backward": fb})
            print(f"[{n}, {c}] {name}: copy {copy*1e3:.2f} ms, forward {fwd*1e3:.2f} ms "
                  f"({fwd/copy:.2f}x), fwd+bwd {fb*1e3:.2f} ms ({fb/copy:.2f}x)", flush=True)
            del x, xr, dst
    return out


def linear_rows(quick):
    out = []
    g = torch.Generator().manual_seed(2)
    for n, d, v in LINEAR_SHAPES:
        x0 = torch.rand(n, d, generator=g) * 2 - 1
        w0 = (torch.rand(v, d, generator=g) * 2 - 1) / d ** 0.5
        y = torch.randint(0, v, (n,), generator=g)
        x = x0.clone().requires_grad_(True)
        w = w0.clone().requires_grad_(True)
        t = 1.0 if quick else (20.0 if d > 256 else 5.0)
        runs = 2 if quick else 3

        def zero():
            x.grad = None
            w.grad = None

        def unfused():
            zero()
            F.cross_entropy(x @ w.t(), y).backward()

        def lce(options):
            def run():
                zero()
                F.linear_cross_entropy(x, w, y, options=options).backward()
            return run

        def three():
            with torch.no_grad():
                z = x0 @ w0.t()
                gx = z @ w0
                gw = z.t() @ x0
            return gx, gw

        row = {"n": n, "d": d, "v": v}
        cases = [("unfused", unfused), ("linear_cross_entropy_default", lce(None)),
                 ("linear_cross_entropy_chunked_auto",
                  lce(torch.nn.LinearCrossEntropyOptions())),
                 ("three_products", three)]
        for name, fn in cases:
            row[name] = median_time(fn, t, min_runs=runs)
            row[name + "_peak_extra_bytes"] = peak_extra(fn)
            print(f"N={n} D={d} V={v} {name}: {row[name]*1e3:.1f} ms, peak extra "
                  f"{(row[name + '_peak_extra_bytes'] or 0)/1e6:.1f} MB", flush=True)
        best = None
        for chunk in CHUNKS if not quick else CHUNKS[2:3]:
            fn = lce(torch.nn.LinearCrossEntropyOptions(batch_chunk_size=chunk))
            s = median_time(fn, t / 2, min_runs=runs)
            print(f"N={n} D={d} V={v} batch_chunk_size={chunk}: {s*1e3:.1f} ms", flush=True)
            if best is None or s < best[1]:
                best = (chunk, s)
        row["linear_cross_entropy_tuned_chunk"] = best[0]
        row["linear_cross_entropy_tuned"] = best[1]
        row["linear_cross_entropy_tuned_peak_extra_bytes"] = peak_extra(
            lce(torch.nn.LinearCrossEntropyOptions(batch_chunk_size=best[0])))
        out.append(row)
        del x, w, x0, w0
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-linear", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    doc = {
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "config": torch.__config__.parallel_info().splitlines()[:6],
        "cross_entropy": cross_entropy_rows(a.quick),
        "linear_cross_entropy": [] if a.skip_linear else linear_rows(a.quick),
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
