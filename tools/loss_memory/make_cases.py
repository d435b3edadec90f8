#!/usr/bin/env python3
"""Large `ce-mle loss` cases, to measure the command's peak memory (see README.md here).

Writes one JSON case per file into the directory given (default /tmp/ce-mle-loss-memory),
each just below the command's limit of 64 MiB, for every operation of the format. Numbers
come in two spellings:

* `repr`: Python's shortest round-trip repr of a standard normal float64 (what
  `json.dumps(tensor.tolist())` writes, e.g. `-0.3485716452839472`, about 20 bytes with the
  separator);
* `short`: two decimals (`-1.23`, about 6 bytes with the separator): the densest a real dump
  gets, and the spelling of a 10^7-element case that fits in 64 MiB.

Standard library only (no NumPy, no PyTorch); fixed seed, so the files are the same on every
run. Prints one line per file: name, bytes, number of input elements.
"""

import json
import math
import os
import random
import sys

LIMIT = 64 << 20  # ce-mle loss reads at most 64 MiB
SEED = 20240603


def spell(kind, rng):
    if kind == "repr":
        return lambda: repr(rng.gauss(0.0, 1.0))
    return lambda: "%.2f" % rng.gauss(0.0, 1.0)


def matrix(rows, cols, number):
    return "[" + ",".join("[" + ",".join(number() for _ in range(cols)) + "]" for _ in range(rows)) + "]"


def probabilities(rows, cols, rng, kind):
    """Rows of a softmax-like distribution, spelt as `kind` (short: rounded, last entry fixes the sum)."""
    out = []
    for _ in range(rows):
        z = [rng.gauss(0.0, 1.0) for _ in range(cols)]
        m = max(z)
        e = [math.exp(x - m) for x in z]
        s = sum(e)
        p = [x / s for x in e]
        if kind == "short":
            p = [round(x, 3) for x in p[:-1]]
            p.append(round(max(0.0, 1.0 - sum(p)), 3))
            out.append("[" + ",".join("%g" % x for x in p) + "]")
        else:
            out.append("[" + ",".join(repr(x) for x in p) + "]")
    return "[" + ",".join(out) + "]"


def unit(rows, cols, rng, kind):
    f = (lambda: repr(rng.random())) if kind == "repr" else (lambda: "%.2f" % rng.random())
    return matrix(rows, cols, f)


def case(op, kind, rows, cols, rng, extra=None, target=None):
    number = spell(kind, rng)
    parts = ['"op": "%s"' % op]
    if op == "binary_cross_entropy":
        parts.append('"input": ' + unit(rows, cols, rng, kind))
    elif op in ("nll_loss", "kl_div"):
        # log-probabilities: log_softmax of normal logits
        rows_txt = []
        for _ in range(rows):
            z = [rng.gauss(0.0, 1.0) for _ in range(cols)]
            m = max(z)
            lse = m + math.log(sum(math.exp(x - m) for x in z))
            f = repr if kind == "repr" else (lambda x: "%.2f" % x)
            rows_txt.append("[" + ",".join(f(x - lse) for x in z) + "]")
        parts.append('"input": [' + ",".join(rows_txt) + "]")
    else:
        parts.append('"input": ' + matrix(rows, cols, number))
    if target == "index":
        parts.append('"target": [' + ",".join(str(rng.randrange(cols)) for _ in range(rows)) + "]")
    elif target == "prob":
        parts.append('"target": ' + probabilities(rows, cols, rng, kind))
    elif target == "unit":
        parts.append('"target": ' + unit(rows, cols, rng, kind))
    for k, v in (extra or {}).items():
        parts.append('"%s": %s' % (k, json.dumps(v)))
    return "{" + ", ".join(parts) + "}"


# name, op, spelling, columns, numbers per element, target, extra fields
CASES = [
    ("softmax_repr", "softmax", "repr", 1000, 1, None, {}),
    ("softmax_repr_grad", "softmax", "repr", 1000, 1, None, {"grad": True}),
    ("softmax_dim0_repr_grad", "softmax", "repr", 1000, 1, None, {"dim": 0, "grad": True}),
    ("log_softmax_repr_grad", "log_softmax", "repr", 1000, 1, None, {"grad": True}),
    ("logsumexp_repr_grad", "logsumexp", "repr", 1000, 1, None, {"dim": -1, "grad": True}),
    ("log_softmax_repr_grad_f32", "log_softmax", "repr", 1000, 1, None,
     {"grad": True, "dtype": "float32"}),
    ("cross_entropy_index_repr_grad", "cross_entropy", "repr", 1000, 1, "index", {"grad": True}),
    ("cross_entropy_prob_repr_grad", "cross_entropy", "repr", 1000, 2, "prob", {"grad": True}),
    ("nll_loss_repr_grad", "nll_loss", "repr", 1000, 1, "index", {"grad": True}),
    ("bce_with_logits_repr_grad", "binary_cross_entropy_with_logits", "repr", 1000, 2, "unit",
     {"grad": True, "pos_weight": [2.0]}),
    ("bce_repr_grad", "binary_cross_entropy", "repr", 1000, 2, "unit", {"grad": True}),
    ("kl_div_repr_grad", "kl_div", "repr", 1000, 2, "prob", {"grad": True, "reduction": "batchmean"}),
    ("softmax_short", "softmax", "short", 1000, 1, None, {}),
    ("softmax_short_grad", "softmax", "short", 1000, 1, None, {"grad": True}),
    ("logsumexp_short_grad", "logsumexp", "short", 1000, 1, None, {"dim": -1, "grad": True}),
    ("cross_entropy_prob_short_grad", "cross_entropy", "short", 1000, 2, "prob", {"grad": True}),
    ("nll_loss_short_grad", "nll_loss", "short", 1000, 1, "index", {"grad": True}),
    ("bce_with_logits_short_grad", "binary_cross_entropy_with_logits", "short", 1000, 2, "unit",
     {"grad": True, "pos_weight": [2.0]}),
    ("bce_short_grad", "binary_cross_entropy", "short", 1000, 2, "unit", {"grad": True}),
    ("kl_div_short_grad", "kl_div", "short", 1000, 2, "prob", {"grad": True, "reduction": "batchmean"}),
    ("log_softmax_short_grad", "log_softmax", "short", 1000, 1, None, {"grad": True}),
    ("cross_entropy_index_short_grad", "cross_entropy", "short", 1000, 1, "index", {"grad": True}),
    ("cross_entropy_index_short_grad_f32", "cross_entropy", "short", 1000, 1, "index",
     {"grad": True, "dtype": "float32"}),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ce-mle-loss-memory"
    only = set(sys.argv[2:])
    os.makedirs(out, exist_ok=True)
    for name, op, kind, cols, per, target, extra in CASES:
        if only and name not in only:
            continue
        rng = random.Random(f"{SEED}/{name}")
        # Size one 100-row block, then scale to stay below the limit.
        probe = case(op, kind, 100, cols, random.Random(f"{SEED}/{name}/probe"), extra, target)
        per_row = len(probe) / 100
        rows = int((LIMIT - 4096) / per_row * 0.97)
        if name.startswith("cross_entropy_index_short"):
            rows = min(rows, 10_000)  # the 10^7-element case
        text = case(op, kind, rows, cols, rng, extra, target)
        while len(text.encode()) > LIMIT:
            rows = int(rows * 0.98)
            text = case(op, kind, rows, cols, random.Random(f"{SEED}/{name}"), extra, target)
        path = os.path.join(out, name + ".json")
        with open(path, "w") as f:
            f.write(text)
        print(f"{name}\t{len(text.encode())}\t{rows * cols}")


if __name__ == "__main__":
    main()
