#!/usr/bin/env python3
"""nanoGPT's CPU recipe in PyTorch, timed: the reference for `ce-mle lm train`'s speed.

The model is nanoGPT's (bias=False, dropout 0), the one of tools/golden/gpt.py; the loop is
nanoGPT's train.py: get_batch (random windows of the training split), forward, backward,
clip_grad_norm_(1.0), AdamW with the two parameter groups (weight decay 0.1 on matrices and
embeddings), the cosine schedule. Float32 on the CPU, torch.set_num_threads(THREADS), no
torch.compile (nanoGPT's README runs the CPU recipe with --compile=False).

Timing: `--iters N` iterations after `--warmup W`, wall clock per iteration (batch sampling
included, evaluation excluded), as ms/iteration and tokens/s (batch_size * block_size per
iteration). `--train` runs the whole recipe (2000 iterations) and reports nanoGPT's
estimate_loss (eval_iters=20) at the end and the exact validation cross-entropy over the
whole split (non-overlapping windows of block_size + 1, as `ce-mle lm eval`).

Run from the repository root (no GPU, CI does not run it):

    python3 tools/bench/gpt_torch.py --threads 2 --iters 200
    python3 tools/bench/gpt_torch.py --threads 2 --train
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import torch
from torch.nn import functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
from gpt import GPT  # noqa: E402  (nanoGPT's model, bias=False)

CORPUS = "book/data/tinyshakespeare/input.txt"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--block-size", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=12)
    ap.add_argument("--max-iters", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with open(CORPUS) as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(len(ids) * 0.9)
    train, val = ids[:n], ids[n:]
    cfg = dict(
        block_size=a.block_size, vocab_size=len(chars), n_layer=a.n_layer,
        n_head=a.n_head, n_embd=a.n_embd,
    )
    model = GPT(cfg)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), 1e-8)
    T, B = a.block_size, a.batch_size

    def get_batch(data):
        ix = torch.randint(len(data) - T, (B,))
        x = torch.stack([data[i : i + T] for i in ix])
        y = torch.stack([data[i + 1 : i + 1 + T] for i in ix])
        return x, y

    def get_lr(it, warmup=100, decay=a.max_iters, lr=1e-3, min_lr=1e-4):
        if it < warmup:
            return lr * (it + 1) / (warmup + 1)
        if it > decay:
            return min_lr
        r = (it - warmup) / (decay - warmup)
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * r)) * (lr - min_lr)

    def step(it):
        for g in opt.param_groups:
            g["lr"] = get_lr(it)
        x, y = get_batch(train)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    @torch.no_grad()
    def estimate(data, iters=20):
        return sum(model(*get_batch(data))[1].item() for _ in range(iters)) / iters

    @torch.no_grad()
    def full_val():
        total, count = 0.0, 0
        targets = len(val) - 1
        starts = list(range(0, targets, T))
        for k in range(0, len(starts), 64):
            xs, ys = [], []
            for s in starts[k : k + 64]:
                e = min(s + T, targets)
                x = torch.zeros(T, dtype=torch.long)
                y = torch.full((T,), -1, dtype=torch.long)
                x[: e - s] = val[s:e]
                y[: e - s] = val[s + 1 : e + 1]
                xs.append(x)
                ys.append(y)
            logits, _ = model(torch.stack(xs), torch.stack(ys))
            yy = torch.stack(ys).view(-1)
            total += F.cross_entropy(
                logits.view(-1, logits.size(-1)), yy, ignore_index=-1, reduction="sum"
            ).item()
            count += int((yy != -1).sum())
        return total / count

    out = dict(
        torch=torch.__version__, python=platform.python_version(), threads=a.threads,
        config=cfg, batch_size=B, load_start=os.getloadavg(),
    )
    if a.train:
        t0 = time.perf_counter()
        for it in range(a.max_iters):
            step(it)
        dt = time.perf_counter() - t0
        out.update(
            iters=a.max_iters, seconds=dt, ms_per_iter=1e3 * dt / a.max_iters,
            tokens_per_s=a.max_iters * B * T / dt,
            train_loss=estimate(train), val_loss=estimate(val), val_full=full_val(),
        )
    else:
        for it in range(a.warmup):
            step(it)
        t0 = time.perf_counter()
        for it in range(a.warmup, a.warmup + a.iters):
            step(it)
        dt = time.perf_counter() - t0
        out.update(
            iters=a.iters, seconds=dt, ms_per_iter=1e3 * dt / a.iters,
            tokens_per_s=a.iters * B * T / dt,
        )
    out["load_end"] = os.getloadavg()
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
