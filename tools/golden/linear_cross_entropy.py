#!/usr/bin/env python3
"""Golden cases for ce_mle::loss::linear_cross_entropy from PyTorch's
torch.nn.functional.linear_cross_entropy (reference path, options=None, and the chunked path,
options=LinearCrossEntropyOptions(batch_chunk_size=...)).

Writes tests/fixtures/torch_linear_cross_entropy.json: for each case the inputs (hidden states
(N, D), linear_weight (V, D), optional linear_bias (V,), targets, options), and what PyTorch
returned in float64 for both paths: the loss and the gradients with respect to input,
linear_weight and linear_bias (for reduction='none', of the sum of the losses), or the
exception it raised.

Run from the repository root: python3 tools/golden/linear_cross_entropy.py
Deterministic: fixed seed, CPU, one thread.
"""

import json
import math
import os
import platform
import warnings

import torch
import torch.nn.functional as F

PATH = "tests/fixtures/torch_linear_cross_entropy.json"
COMMAND = "python3 tools/golden/linear_cross_entropy.py"
SEED = 20261206


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float64) * scale)


def run(case, chunked):
    x = torch.tensor(case["input"], dtype=torch.float64).reshape(case["n"], case["d"])
    w = torch.tensor(case["linear_weight"], dtype=torch.float64).reshape(case["v"], case["d"])
    x.requires_grad_(True)
    w.requires_grad_(True)
    b = None
    if case.get("linear_bias") is not None:
        b = torch.tensor(case["linear_bias"], dtype=torch.float64).requires_grad_(True)
    if case["target_kind"] == "indices":
        t = torch.tensor(case["target"], dtype=torch.long)
    else:
        t = torch.tensor(case["target"], dtype=torch.float64).reshape(case["n"], case["v"])
    kw = dict(reduction=case["reduction"], label_smoothing=case["label_smoothing"])
    if case.get("weight") is not None:
        kw["weight"] = torch.tensor(case["weight"], dtype=torch.float64)
    if case.get("ignore_index") is not None:
        kw["ignore_index"] = case["ignore_index"]
    if chunked:
        kw["options"] = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=case["chunk"])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = F.linear_cross_entropy(x, w, t, linear_bias=b, **kw)
            loss.sum().backward()
    except Exception as e:  # noqa: BLE001 - the exception is the golden answer
        return {"error": type(e).__name__, "message": str(e)}
    out = {
        # PyTorch's chunked path falls back to the reference path (with a warning) for the
        # options it does not support, e.g. label smoothing.
        "fell_back_to_reference": any("options`` ignored" in str(w.message) for w in caught),
        "loss": loss.detach().reshape(-1).tolist(),
        "grad_input": x.grad.reshape(-1).tolist(),
        "grad_weight": w.grad.reshape(-1).tolist(),
    }
    if b is not None:
        out["grad_bias"] = b.grad.tolist()
    return out


def make_cases():
    torch.manual_seed(SEED)
    cases = []

    def add(name, n, d, v, target_kind="indices", bias=False, reduction="mean",
            label_smoothing=0.0, weight=False, ignore_index=None, ignored=(), chunk=3,
            scale=1.0):
        x = rnd(n, d, scale=scale)
        w = rnd(v, d, scale=scale / math.sqrt(d))
        case = {
            "name": name, "n": n, "d": d, "v": v,
            "input": x.reshape(-1).tolist(),
            "linear_weight": w.reshape(-1).tolist(),
            "linear_bias": rnd(v).tolist() if bias else None,
            "target_kind": target_kind,
            "reduction": reduction,
            "label_smoothing": label_smoothing,
            "weight": (torch.rand(v, dtype=torch.float64) + 0.25).tolist() if weight else None,
            "ignore_index": ignore_index,
            "chunk": chunk,
        }
        if target_kind == "indices":
            t = torch.randint(0, v, (n,))
            for i in ignored:
                t[i] = -100 if ignore_index is None else ignore_index
            case["target"] = t.tolist()
        else:
            case["target"] = torch.softmax(rnd(n, v) * 2, dim=1).reshape(-1).tolist()
        cases.append(case)

    add("plain", 7, 5, 11)
    add("bias", 7, 5, 11, bias=True)
    add("sum", 6, 4, 9, reduction="sum")
    add("none", 6, 4, 9, reduction="none", bias=True)
    add("class weights", 8, 3, 7, weight=True)
    add("class weights, sum", 8, 3, 7, weight=True, reduction="sum")
    add("ignored rows (default -100)", 9, 4, 6, ignored=(1, 4))
    add("ignore_index 2", 9, 4, 6, ignore_index=2, ignored=(0, 3, 8))
    add("label smoothing", 7, 5, 13, label_smoothing=0.2)
    add("smoothing, weights, ignored", 10, 4, 8, label_smoothing=0.1, weight=True,
        ignored=(2,), bias=True)
    add("probability targets", 6, 4, 5, target_kind="probabilities")
    add("probabilities, weights, smoothing, bias", 6, 4, 5, target_kind="probabilities",
        weight=True, label_smoothing=0.3, bias=True)
    add("one token", 1, 3, 4)
    add("chunk of one", 5, 3, 4, chunk=1)
    add("chunk larger than N", 5, 3, 4, chunk=100)
    add("wide vocabulary", 12, 8, 300, bias=True, chunk=5)
    add("large logits", 6, 4, 9, scale=30.0)
    # PyTorch's answers to bad input (ours are typed errors; the test checks that both refuse).
    bad = dict(cases[0])
    bad = {**bad, "name": "class index out of range", "target": [11] + bad["target"][1:]}
    cases.append(bad)
    return cases


def main():
    torch.set_num_threads(1)
    cases = make_cases()
    for c in cases:
        c["torch_reference"] = run(c, chunked=False)
        c["torch_chunked"] = run(c, chunked=True)
    doc = {
        "generator": "tools/golden/linear_cross_entropy.py",
        "command": COMMAND,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "seed": SEED,
        "dtype": "float64",
        "cases": cases,
    }
    with open(PATH + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(PATH + ".tmp", PATH)
    print(f"wrote {PATH}: {len(cases)} cases")


if __name__ == "__main__":
    main()
