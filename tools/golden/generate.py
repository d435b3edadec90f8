#!/usr/bin/env python3
"""Golden fixtures from real PyTorch for ce-mle.

Writes, relative to the repository root:

* tests/fixtures/torch_functional.json: loss and softmax-family cases, each in the exact JSON
  format of `ce-mle loss`, with what PyTorch returned (output, d output / d input, or the
  exception it raised);
* tests/fixtures/torch_training.json: the source article's training program (Linear 10 -> 5,
  cross-entropy, 100 full-batch epochs) in float64 with SGD, Adam and AdamW variants: the
  data, the initialisation, every epoch's loss, the printed lines and the parameters after
  steps 1, 10 and 100.

Run from the repository root (see tools/golden/README.md):

    python3 tools/golden/generate.py

Deterministic: fixed seeds, CPU only, single-threaded; rerunning gives byte-identical files.
"""

import copy
import json
import math
import os
import platform
import sys
import warnings

import torch
import torch.nn.functional as F

GENERATOR = "tools/golden/generate.py"
COMMAND = "python3 tools/golden/generate.py"
FUNCTIONAL_PATH = "tests/fixtures/torch_functional.json"
TRAINING_PATH = "tests/fixtures/torch_training.json"
FUNCTIONAL_SEED = 20240603
TRAINING_SEED = 42

INF = math.inf
NAN = math.nan


# ---------------------------------------------------------------------------------------------
# JSON encoding
# ---------------------------------------------------------------------------------------------


def encode(v):
    """Python value -> JSON-safe value: NaN and +-inf become the strings of the case format."""
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if v == INF:
            return "Infinity"
        if v == -INF:
            return "-Infinity"
        return v
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {k: encode(x) for k, x in v.items()}
    raise TypeError(f"cannot encode {type(v)}")


def decode(v):
    """Inverse of `encode` for numbers: the strings back to floats."""
    if isinstance(v, str):
        return {"NaN": NAN, "Infinity": INF, "-Infinity": -INF}[v]
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v


def dumps(o, ind=0, width=100):
    """Readable JSON: a value that fits in `width` characters stays on one line, otherwise a
    dict gets one key per line and a list one element per line (a list of numbers is always
    one line)."""
    flat = json.dumps(o, allow_nan=False, ensure_ascii=False)
    if len(flat) <= width or not isinstance(o, (dict, list)):
        return flat
    pad = " " * (ind + 1)
    if isinstance(o, dict):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, ind + 1, width)}" for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * ind + "}"
    if all(not isinstance(x, (dict, list)) for x in o):
        return flat
    items = [pad + dumps(x, ind + 1, width) for x in o]
    return "[\n" + ",\n".join(items) + "\n" + " " * ind + "]"


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(obj) + "\n")


def header():
    return {
        "generator": GENERATOR,
        "command": COMMAND,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
    }


# ---------------------------------------------------------------------------------------------
# Running one `ce-mle loss` case through PyTorch
# ---------------------------------------------------------------------------------------------

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def is_index_target(t):
    """Class indices are Python ints (JSON integers); probability targets are floats."""
    if isinstance(t, bool):
        return False
    if isinstance(t, int):
        return True
    if isinstance(t, list):
        leaves = list(flatten(t))
        return bool(leaves) and all(isinstance(x, int) and not isinstance(x, bool) for x in leaves)
    return False


def flatten(t):
    if isinstance(t, list):
        for x in t:
            yield from flatten(x)
    else:
        yield t


def class_dim(x):
    return 1 if x.dim() >= 2 else 0


def run_case(case, target_is_index=None, compute_dtype=None, round_to=None):
    """What PyTorch returns for `case`.

    `compute_dtype` overrides the case's dtype; `round_to` first rounds every floating input
    to that dtype (used for `torch_float64`: a float32 case recomputed in float64 from its
    float32-rounded values). `target_is_index` settles an empty target list."""
    dtype = compute_dtype or DTYPES[case.get("dtype", "float64")]
    want_grad = case.get("grad", False)

    def ft(v):
        t = torch.tensor(decode(v), dtype=round_to or dtype)
        return t.to(dtype)

    op = case["op"]
    x = ft(case["input"])
    if "shape" in case:
        # the input's shape where the nested list cannot say it (an empty batch (0, C))
        x = x.reshape(case["shape"])
    x = x.requires_grad_(want_grad)
    kw = {}
    if "weight" in case:
        kw["weight"] = ft(case["weight"])
    if "pos_weight" in case:
        kw["pos_weight"] = ft(case["pos_weight"])
    target = None
    if "target" in case:
        idx = is_index_target(case["target"]) if target_is_index is None else target_is_index
        target = torch.tensor(case["target"], dtype=torch.int64) if idx else ft(case["target"])
        if op in ("binary_cross_entropy_with_logits", "binary_cross_entropy", "kl_div") \
                and target.numel() == 0 and x.numel() == 0:
            # ce-mle's reading: an empty target list of a same-shape target is the input's shape
            target = target.reshape(x.shape)
    reduction = case.get("reduction", "mean")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if op == "cross_entropy":
                out = F.cross_entropy(
                    x,
                    target,
                    ignore_index=case.get("ignore_index", -100),
                    reduction=reduction,
                    label_smoothing=case.get("label_smoothing", 0.0),
                    **kw,
                )
            elif op == "nll_loss":
                out = F.nll_loss(
                    x, target, ignore_index=case.get("ignore_index", -100), reduction=reduction, **kw
                )
            elif op == "binary_cross_entropy_with_logits":
                out = F.binary_cross_entropy_with_logits(x, target, reduction=reduction, **kw)
            elif op == "binary_cross_entropy":
                out = F.binary_cross_entropy(x, target, reduction=reduction, **kw)
            elif op == "kl_div":
                out = F.kl_div(
                    x, target, reduction=reduction, log_target=case.get("log_target", False)
                )
            elif op == "log_softmax":
                out = torch.log_softmax(x, dim=case.get("dim", class_dim(x)))
            elif op == "softmax":
                out = torch.softmax(x, dim=case.get("dim", class_dim(x)))
            elif op == "logsumexp":
                out = torch.logsumexp(x, dim=case.get("dim", class_dim(x)))
            else:
                raise AssertionError(f"unknown op {op}")
    except Exception as e:  # noqa: BLE001 -- every rejection is recorded
        msg = str(e).strip().splitlines()
        return {"error": {"type": type(e).__name__, "message": msg[0] if msg else ""}}, []
    res = {"output": encode(out.detach().double().tolist())}
    if want_grad:
        out.backward(torch.ones_like(out))
        res["grad"] = encode(x.grad.double().tolist())
    notes = sorted({str(w.message).strip().splitlines()[0] for w in caught})
    return res, notes


# ---------------------------------------------------------------------------------------------
# Case builders
# ---------------------------------------------------------------------------------------------

G = torch.Generator().manual_seed(FUNCTIONAL_SEED)


def randn(*shape, scale=2.0, decimals=4):
    """Seeded normal values rounded to `decimals` decimals (short, readable JSON)."""
    t = torch.randn(*shape, generator=G, dtype=torch.float64) * scale
    return _round_nested(t.tolist(), decimals)


def _round_nested(v, decimals):
    if isinstance(v, list):
        return [_round_nested(x, decimals) for x in v]
    return round(v, decimals)


def randint(high, *shape):
    return torch.randint(0, high, shape, generator=G).tolist()


def rand_probs(*shape, dim=1, zeros=False):
    """Probability vectors along `dim` (full float64 precision, rows sum to 1 to rounding).
    With `zeros`, about a third of the entries are exactly 0.0."""
    z = torch.randn(*shape, generator=G, dtype=torch.float64)
    if zeros:
        z = z.masked_fill(torch.rand(*shape, generator=G, dtype=torch.float64) < 0.33, -INF)
        # keep at least one non-zero entry on every slice
        first = [slice(None)] * len(shape)
        first[dim] = 0
        z[tuple(first)] = 0.0
    return torch.softmax(z, dim=dim).tolist()


def rand_unit(*shape, lo=0.02, hi=0.98):
    """Values in (lo, hi), rounded to 4 decimals."""
    t = lo + (hi - lo) * torch.rand(*shape, generator=G, dtype=torch.float64)
    return _round_nested(t.tolist(), 4)


def log_probs(*shape, dim=1):
    """log_softmax of random logits (nll_loss and kl_div inputs), full precision."""
    z = torch.randn(*shape, generator=G, dtype=torch.float64) * 2.0
    return torch.log_softmax(z, dim=dim).tolist()


CASES = []  # (name, case, hints)


def add(name, op, input, target=None, dtypes=("float64", "float32"), target_is_index=None,
        note=None, **opts):
    """Register `op` on `input` for each dtype; f32 variants are named `<name>/f32`."""
    for dt in dtypes:
        case = {"op": op, "input": copy.deepcopy(input)}
        if target is not None:
            case["target"] = copy.deepcopy(target)
        for k, v in opts.items():
            if v is not None and v is not False:
                case[k] = v
        if dt != "float64":
            case["dtype"] = dt
        full = name if dt == "float64" else f"{name}/f32"
        CASES.append((full, encode(case), {"target_is_index": target_is_index, "note": note}))


LSE_GRAD_NOTE = (
    "torch's logsumexp gradient is exp(x - lse); here lse rounds to the maximum (log 2 is below "
    "its ulp), so both tied maxima get gradient 1.0 instead of the exact softmax value 0.5"
)


def build_cases():
    N, C = 6, 5

    # ---- 1. cross_entropy --------------------------------------------------------------
    z = randn(N, C)
    y = randint(C, N)
    w = [round(v, 3) for v in (0.2 + 2.0 * torch.rand(C, generator=G, dtype=torch.float64)).tolist()]
    y_ign = list(y)
    y_ign[1] = -100
    y_ign[4] = -100
    y_all_ign = [-100] * N
    p = rand_probs(N, C)
    p_zero = rand_probs(N, C, zeros=True)

    for red in ("none", "mean", "sum"):
        add(f"ce/index/{red}", "cross_entropy", z, y, reduction=red, grad=True)
        add(f"ce/index/{red}/weight", "cross_entropy", z, y, weight=w, reduction=red,
            grad=red != "sum")
        add(f"ce/index/{red}/ignore", "cross_entropy", z, y_ign, reduction=red, grad=red == "mean")
        add(f"ce/index/{red}/ignore_all", "cross_entropy", z, y_all_ign, reduction=red,
            grad=True)
        add(f"ce/prob/{red}", "cross_entropy", z, p, reduction=red, grad=red != "none")
        add(f"ce/prob/{red}/weight", "cross_entropy", z, p, weight=w, reduction=red,
            grad=red == "mean")
    # ignore_index set to a real class, with and without weight
    y_cls2 = list(y)
    y_cls2[0] = 2
    add("ce/index/mean/ignore2", "cross_entropy", z, y_cls2, ignore_index=2, grad=True)
    add("ce/index/mean/ignore/weight", "cross_entropy", z, y_ign, weight=w, grad=True)
    add("ce/index/sum/ignore_all/weight", "cross_entropy", z, y_all_ign, weight=w,
        reduction="sum")
    # label smoothing alone
    for ls in (0.1, 0.3, 1.0):
        add(f"ce/index/mean/ls{ls}", "cross_entropy", z, y, label_smoothing=ls, grad=ls != 0.3)
    for red in ("none", "sum"):
        add(f"ce/index/{red}/ls0.1", "cross_entropy", z, y, label_smoothing=0.1, reduction=red,
            grad=red == "none")
    # label smoothing with weight, with ignore_index, with both
    for red in ("none", "mean", "sum"):
        add(f"ce/index/{red}/ls0.1/weight", "cross_entropy", z, y, weight=w,
            label_smoothing=0.1, reduction=red, grad=red != "sum")
    for red in ("none", "mean", "sum"):
        add(f"ce/index/{red}/ls0.1/ignore", "cross_entropy", z, y_ign, label_smoothing=0.1,
            reduction=red, grad=red == "mean")
    add("ce/index/mean/ls0.2/weight/ignore", "cross_entropy", z, y_ign, weight=w,
        label_smoothing=0.2, grad=True)
    add("ce/index/mean/ls0.2/ignore_all", "cross_entropy", z, y_all_ign, label_smoothing=0.2)
    # probability targets with label smoothing (and weight), exact zeros, one-hot floats
    for ls in (0.1, 0.3):
        add(f"ce/prob/mean/ls{ls}", "cross_entropy", z, p, label_smoothing=ls, grad=ls == 0.1)
    add("ce/prob/sum/ls0.1/weight", "cross_entropy", z, p, weight=w, label_smoothing=0.1,
        reduction="sum", grad=True)
    add("ce/prob/none/ls0.2/weight", "cross_entropy", z, p, weight=w, label_smoothing=0.2,
        reduction="none")
    add("ce/prob/mean/zeros", "cross_entropy", z, p_zero, grad=True)
    onehot = [[1.0 if k == yi else 0.0 for k in range(C)] for yi in y]
    add("ce/prob/mean/onehot", "cross_entropy", z, onehot, grad=True)
    add("ce/prob/mean/onehot/weight", "cross_entropy", z, onehot, weight=w)

    # K-dimensional: (N, C, d1) and (N, C, d1, d2)
    n3, c3, d1, d2 = 3, 4, 5, 2
    z3 = randn(n3, c3, d1)
    y3 = randint(c3, n3, d1)
    w3 = [0.5, 1.5, 1.0, 2.0]
    y3_ign = copy.deepcopy(y3)
    y3_ign[0][1] = -100
    y3_ign[2][4] = -100
    p3 = rand_probs(n3, c3, d1, dim=1)
    for red in ("none", "mean", "sum"):
        add(f"ce/k1/index/{red}", "cross_entropy", z3, y3, reduction=red, grad=red != "sum")
        add(f"ce/k1/prob/{red}", "cross_entropy", z3, p3, reduction=red, grad=red == "mean")
    add("ce/k1/index/mean/ignore", "cross_entropy", z3, y3_ign, grad=True)
    add("ce/k1/index/sum/ignore", "cross_entropy", z3, y3_ign, reduction="sum")
    add("ce/k1/index/mean/weight/ls0.1", "cross_entropy", z3, y3, weight=w3, label_smoothing=0.1,
        grad=True)
    add("ce/k1/index/mean/weight/ignore", "cross_entropy", z3, y3_ign, weight=w3)
    add("ce/k1/prob/mean/ls0.1", "cross_entropy", z3, p3, label_smoothing=0.1)
    add("ce/k1/prob/sum/weight", "cross_entropy", z3, p3, weight=w3, reduction="sum")
    z4 = randn(2, 3, d1 - 1, d2)
    y4 = randint(3, 2, d1 - 1, d2)
    y4_ign = copy.deepcopy(y4)
    y4_ign[1][2][0] = -100
    p4 = rand_probs(2, 3, d1 - 1, d2, dim=1)
    for red in ("none", "mean"):
        add(f"ce/k2/index/{red}", "cross_entropy", z4, y4, reduction=red, grad=red == "mean")
        add(f"ce/k2/prob/{red}", "cross_entropy", z4, p4, reduction=red, grad=red == "none")
    add("ce/k2/index/sum/ignore", "cross_entropy", z4, y4_ign, reduction="sum", grad=True)
    add("ce/k2/index/mean/ignore/ls0.1", "cross_entropy", z4, y4_ign, label_smoothing=0.1)

    # unbatched (C,)
    zu = randn(1, C)[0]
    pu = rand_probs(C, dim=0)
    for red in ("none", "mean"):
        add(f"ce/unbatched/index/{red}", "cross_entropy", zu, 3, reduction=red, grad=True)
        add(f"ce/unbatched/prob/{red}", "cross_entropy", zu, pu, reduction=red, grad=red == "mean")
    add("ce/unbatched/index/sum/weight/ls0.1", "cross_entropy", zu, 0, weight=w,
        label_smoothing=0.1, reduction="sum")
    add("ce/unbatched/index/mean/ignored", "cross_entropy", zu, -100)

    # extreme logits in a cross-entropy
    big = [[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0]]
    add("ce/index/none/big", "cross_entropy", big, [0, 0, 2], reduction="none", grad=True)
    add("ce/index/mean/neginf_other", "cross_entropy", [[0.5, -INF, 1.0], [2.0, 1.0, -INF]],
        [0, 1], grad=True, note="-inf logit on a class that is not the target: finite loss")

    # ---- 2. nll_loss on log-probabilities -----------------------------------------------
    lp = log_probs(N, C)
    for red in ("none", "mean", "sum"):
        add(f"nll/{red}", "nll_loss", lp, y, reduction=red, grad=red != "sum")
        add(f"nll/{red}/weight", "nll_loss", lp, y, weight=w, reduction=red, grad=red == "mean")
    add("nll/mean/ignore", "nll_loss", lp, y_ign, grad=True)
    add("nll/sum/ignore", "nll_loss", lp, y_ign, reduction="sum")
    add("nll/mean/ignore/weight", "nll_loss", lp, y_ign, weight=w, grad=True)
    add("nll/mean/ignore2", "nll_loss", lp, y_cls2, ignore_index=2)
    add("nll/mean/ignore_all", "nll_loss", lp, y_all_ign)
    lp3 = log_probs(n3, c3, d1)
    add("nll/k1/none", "nll_loss", lp3, y3, reduction="none", grad=True)
    add("nll/k1/mean/weight/ignore", "nll_loss", lp3, y3_ign, weight=w3, grad=True)
    lp4 = log_probs(2, 3, d1 - 1, d2)
    add("nll/k2/mean", "nll_loss", lp4, y4)
    add("nll/unbatched/none", "nll_loss", log_probs(C, dim=0), 1, reduction="none", grad=True)

    # ---- 3. log_softmax, softmax, logsumexp ----------------------------------------------
    sm_common = {
        "rand": (randn(N, C), None),
        "rand1d": (randn(1, 7)[0], None),
        "k1": (randn(2, 3, 4), None),
        "big": ([[1e4, -1e4, 0.0, 1e4 - 1.0], [-1e4, -1e4, -1e4, -1e4 + 0.5]], None),
        "neginf": ([[-INF, 0.0, 1.0, -INF], [3.0, -INF, -INF, -INF]], None),
        "allneginf": ([[-INF, -INF, -INF, -INF], [0.0, 1.0, 2.0, 3.0]],
                      "an all -inf row: torch gives NaN for softmax/log_softmax, -inf for "
                      "logsumexp"),
        "ties": ([[2.0, 2.0, 2.0, 2.0], [-7.0, -7.0, 5.0, 5.0]], None),
        "large_c": (randn(1, 1000, scale=10.0)[0], None),
    }
    sm_f64 = {
        "huge": ([[1e300, -1e300, 0.0, 1e300], [-1e300, -1e300, 1.0, 0.0]], None),
        "1e8": ([[1e8, 1e8 + 1.0, 1e8 - 1.0, 0.0]], None),
        "tiny": ([[1.0, 1.0 + 1e-12, 1.0 - 1e-12, 1.0 + 3e-12]], None),
    }
    sm_f32 = {
        "huge": ([[1e30, -1e30, 0.0, 1e30], [-1e30, -1e30, 1.0, 0.0]], None),
        "max": ([[3e38, -3e38, 0.0, 3e38], [-3e38, -3e38, 1.0, 0.0]], None),
        "1e8": ([[1e8, 1e8 + 1.0, 1e8 - 1.0, 0.0]],
                "in float32 1e8+1 and 1e8-1 round to 1e8: three equal logits"),
        "tiny": ([[1.0, 1.0 + 1.2e-7, 1.0 - 6e-8, 1.0 + 2.4e-7]], None),
    }
    for op, short in (("log_softmax", "lsm"), ("softmax", "sm"), ("logsumexp", "lse")):
        for key, (x, note) in sm_common.items():
            add(f"{short}/{key}", op, x, grad=key not in ("large_c", "rand1d"), note=note)
        for key, (x, note) in sm_f64.items():
            if op == "logsumexp" and key == "huge":
                note = LSE_GRAD_NOTE
            add(f"{short}/{key}", op, x, dtypes=("float64",), grad=True, note=note)
        for key, (x, note) in sm_f32.items():
            if op == "logsumexp" and key in ("huge", "max"):
                note = LSE_GRAD_NOTE
            add(f"{short}/{key}", op, x, dtypes=("float32",), grad=True, note=note)

    # ---- 4. binary_cross_entropy_with_logits ---------------------------------------------
    nb, kb = 4, 3
    zb = randn(nb, kb)
    hard = [[float(v) for v in row] for row in randint(2, nb, kb)]
    soft = rand_unit(nb, kb)
    wfull = rand_unit(nb, kb, lo=0.1, hi=2.0)
    wk = [0.5, 2.0, 1.25]
    pw = [3.0, 0.5, 1.0]
    for red in ("none", "mean", "sum"):
        add(f"bcel/hard/{red}", "binary_cross_entropy_with_logits", zb, hard, reduction=red,
            grad=red != "sum")
        add(f"bcel/soft/{red}", "binary_cross_entropy_with_logits", zb, soft, reduction=red,
            grad=red == "mean")
        add(f"bcel/soft/{red}/weight", "binary_cross_entropy_with_logits", zb, soft,
            weight=wfull, reduction=red, grad=red == "none")
        add(f"bcel/hard/{red}/pos_weight", "binary_cross_entropy_with_logits", zb, hard,
            pos_weight=pw, reduction=red, grad=red == "mean")
    add("bcel/soft/sum/weight_k", "binary_cross_entropy_with_logits", zb, soft, weight=wk,
        reduction="sum", grad=True)
    add("bcel/soft/mean/weight_k/pos_weight", "binary_cross_entropy_with_logits", zb, soft,
        weight=wk, pos_weight=pw, grad=True)
    zbig = [[1e4, -1e4, 30.0], [-1e4, 1e4, -30.0]]
    add("bcel/big/none", "binary_cross_entropy_with_logits", zbig,
        [[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]], reduction="none", grad=True)
    add("bcel/big/mean/soft/pos_weight", "binary_cross_entropy_with_logits", zbig,
        [[0.3, 0.7, 0.5], [0.9, 0.1, 0.5]], pos_weight=pw, grad=True)
    add("bcel/1d/mean", "binary_cross_entropy_with_logits", zb[0], soft[0], grad=True)

    # ---- 5. binary_cross_entropy on probabilities -----------------------------------------
    pb = rand_unit(nb, kb)
    for red in ("none", "mean", "sum"):
        add(f"bce/soft/{red}", "binary_cross_entropy", pb, soft, reduction=red,
            grad=red != "sum")
        add(f"bce/hard/{red}/weight", "binary_cross_entropy", pb, hard, weight=wfull,
            reduction=red, grad=red == "mean")
    add("bce/soft/mean/weight_k", "binary_cross_entropy", pb, soft, weight=wk, grad=True)
    edge = [[0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.5, 1e-300]]
    add("bce/edge/none", "binary_cross_entropy", edge, [[0.0, 1.0, 1.0, 0.0], [0.5, 0.5, 1.0, 1.0]],
        reduction="none", grad=True,
        note="inputs exactly 0 and 1: torch clamps each log at -100 and the gradient "
        "denominator at 1e-12")
    add("bce/edge/mean", "binary_cross_entropy", edge, [[0.0, 1.0, 1.0, 0.0], [0.5, 0.5, 1.0, 1.0]],
        grad=True)

    # ---- 6. kl_div (input log-probabilities) ---------------------------------------------
    lq = log_probs(4, C)
    pt = rand_probs(4, C, zeros=True)
    pt_pos = rand_probs(4, C)
    log_pt = [[math.log(v) for v in row] for row in pt_pos]
    for red in ("batchmean", "mean", "sum", "none"):
        add(f"kl/{red}", "kl_div", lq, pt, reduction=red, grad=red in ("batchmean", "none"))
        add(f"kl/{red}/log_target", "kl_div", lq, log_pt, reduction=red, log_target=True,
            grad=red in ("batchmean", "sum"))

    add("kl/sum/log_target/neginf", "kl_div", lq,
        [[math.log(v) if v > 0 else -INF for v in row] for row in pt], reduction="sum",
        log_target=True, grad=True,
        note="log_target with -inf entries (target probability 0): torch computes "
        "exp(t)*(t - input) = 0*(-inf) = NaN")

    # ---- 7. rejections and oddities (float64) --------------------------------------------
    f64 = ("float64",)
    zr = randn(4, 3)
    add("ce/reject/index_eq_c", "cross_entropy", zr, [0, 3, 1, 2], dtypes=f64)
    add("ce/reject/index_negative", "cross_entropy", zr, [0, -1, 1, 2], dtypes=f64)
    add("ce/reject/index_negative_not_ignore", "cross_entropy", zr, [0, -100, 1, 2],
        ignore_index=-1, dtypes=f64)
    add("nll/reject/index_eq_c", "nll_loss", zr, [0, 3, 1, 2], dtypes=f64)
    add("ce/reject/target_n", "cross_entropy", zr, [0, 1, 2], dtypes=f64)
    add("ce/reject/prob_shape", "cross_entropy", zr, rand_probs(4, 4), dtypes=f64)
    add("ce/reject/k1_target_shape", "cross_entropy", z3, randint(c3, n3, d1 + 1), dtypes=f64)
    add("ce/reject/weight_len", "cross_entropy", zr, [0, 1, 2, 0], weight=[1.0, 2.0],
        dtypes=f64)
    add("ce/odd/ls1.5", "cross_entropy", zr, [0, 1, 2, 0], label_smoothing=1.5, dtypes=f64)
    add("ce/odd/ls-0.1", "cross_entropy", zr, [0, 1, 2, 0], label_smoothing=-0.1, dtypes=f64,
        grad=True)
    add("ce/odd/prob/ignore1", "cross_entropy", zr, rand_probs(4, 3), ignore_index=1,
        dtypes=f64, note="probability target with ignore_index set to a real class")
    add("ce/odd/prob/not_normalised", "cross_entropy", zr,
        [[0.5, 0.5, 0.5], [1.0, 0.0, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 0.0]], dtypes=f64,
        note="probability rows that do not sum to 1 (torch does not check)")
    add("ce/odd/weight_negative", "cross_entropy", zr, [0, 1, 2, 0], weight=[1.0, -1.0, 2.0],
        dtypes=f64)
    add("ce/odd/zero_classes/index", "cross_entropy", [[], [], []], [0, 0, 0], dtypes=f64)
    add("ce/odd/zero_classes/prob", "cross_entropy", [[], [], []], [[], [], []], dtypes=f64,
        target_is_index=False,
        note="the empty target lists are probability targets (float), shape (3, 0)")
    for red in ("mean", "sum"):
        add(f"ce/odd/empty_k1/{red}", "cross_entropy", [[[], [], []], [[], [], []]], [[], []],
            reduction=red, dtypes=f64, target_is_index=True,
            note="(N, C, d1) with d1 = 0: no elements; the target [[], []] holds class "
            "indices (int64), shape (2, 0). An empty batch (0, C) cannot be written as a "
            "nested list (it reads as shape (0,)); this is the nearest case")
        add(f"ce/odd/empty_unbatched/{red}", "cross_entropy", [], 0, reduction=red, dtypes=f64,
            note="input [] reads as an unbatched shape (0,), i.e. C = 0")
    add("ce/odd/nan_logit", "cross_entropy", [[0.0, NAN, 1.0], [1.0, 2.0, 3.0]], [0, 1],
        dtypes=f64, grad=True)
    add("ce/odd/nan_logit_ignored_row", "cross_entropy", [[0.0, NAN, 1.0], [1.0, 2.0, 3.0]],
        [-100, 1], dtypes=f64)
    add("ce/odd/nan_logit_ignored_row/ls0.1", "cross_entropy",
        [[0.0, NAN, 1.0], [1.0, 2.0, 3.0]], [-100, 0], label_smoothing=0.1, dtypes=f64)
    add("ce/odd/nan_logit_ignored_row/none", "cross_entropy",
        [[0.0, NAN, 1.0], [1.0, 2.0, 3.0]], [-100, 0], reduction="none", dtypes=f64, grad=True)
    add("ce/odd/posinf_logit", "cross_entropy", [[0.0, INF, 1.0], [1.0, 2.0, 3.0]], [0, 1],
        dtypes=f64)
    add("ce/odd/neginf_target_logit", "cross_entropy", [[0.0, -INF, 1.0], [1.0, 2.0, 3.0]],
        [1, 1], dtypes=f64, grad=True)
    add("kl/reject/shape", "kl_div", lq, rand_probs(4, C + 1), reduction="sum", dtypes=f64)
    add("kl/odd/negative_target", "kl_div", lq[:2], [[0.5, 0.5, -0.1, 0.1, 0.0],
                                                      [0.2, 0.2, 0.2, 0.2, 0.2]],
        reduction="sum", dtypes=f64)
    add("bce/reject/input_gt1", "binary_cross_entropy", [[0.5, 1.5]], [[1.0, 0.0]], dtypes=f64)
    add("bce/reject/input_negative", "binary_cross_entropy", [[-0.1, 0.5]], [[1.0, 0.0]],
        dtypes=f64)
    add("bce/reject/shape", "binary_cross_entropy", pb, soft[:3], dtypes=f64)
    add("bcel/reject/shape", "binary_cross_entropy_with_logits", zb, soft[:3], dtypes=f64)
    add("bcel/reject/weight_shape", "binary_cross_entropy_with_logits", zb, soft,
        weight=[1.0, 2.0], dtypes=f64)
    add("bcel/odd/target_outside", "binary_cross_entropy_with_logits", zb, [[1.5, -0.5, 0.5]] * 4,
        dtypes=f64, note="targets outside [0, 1] (torch does not check)")

    # ---- 7. `dim` of the softmax family; `shape` (an empty batch) -------------------------
    # Appended last: the random values of the cases above do not move.
    x3 = randn(2, 3, 4)
    x3_hard = [[[1e4, -INF, 0.0, 3.0], [-2.0, 1.0, -INF, 7.5], [0.25, 1e4 - 1.0, 2.0, -1e4]],
               [[1e4 - 0.5, 1.0, -INF, 3.0], [5.0, 1.0, 0.0, -7.5], [0.5, -1e4, 2.0, 1e4]]]
    for op, short in (("log_softmax", "lsm"), ("softmax", "sm"), ("logsumexp", "lse")):
        for dim in (0, 2, -1):
            add(f"{short}/dim{dim}", op, x3, dim=dim, grad=True)
        add(f"{short}/dim0/hard", op, x3_hard, dim=0, grad=True,
            note="along axis 0 the -inf entries never fill a slice")
    # (0, C) written with `shape`: "input": [] alone would be (0,), i.e. C = 0.
    empty = "an empty batch (0, 3), written \"input\": [] with \"shape\": [0, 3]"
    for red in ("none", "sum", "mean"):
        add(f"ce/empty_batch/{red}", "cross_entropy", [], [], shape=[0, 3], reduction=red,
            grad=red != "mean", dtypes=f64, target_is_index=True,
            note=empty + "; the empty target [] holds class indices, shape (0,)")
    add("nll/empty_batch/sum", "nll_loss", [], [], shape=[0, 3], reduction="sum", grad=True,
        dtypes=f64, target_is_index=True, note=empty)
    add("bcel/empty_batch/sum", "binary_cross_entropy_with_logits", [], [], shape=[0, 3],
        reduction="sum", grad=True, dtypes=f64,
        note=empty + "; the empty target [] takes the input's shape")
    add("kl/empty_batch/sum", "kl_div", [], [], shape=[0, 3], reduction="sum", grad=True,
        dtypes=f64, note=empty + "; the empty target [] takes the input's shape")
    add("sm/empty_batch", "softmax", [], shape=[0, 3], grad=True, dtypes=f64, note=empty)
    add("lsm/empty_batch/dim-1", "log_softmax", [], shape=[0, 3], dim=-1, grad=True,
        dtypes=f64, note=empty)
    add("lse/empty_batch/dim1", "logsumexp", [], shape=[0, 3], dim=1, grad=True, dtypes=f64,
        note=empty)


def functional_fixture():
    build_cases()
    names = [n for n, _, _ in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    cases = []
    for name, case, hints in CASES:
        entry = {"name": name, "case": case}
        res, warns = run_case(case, hints["target_is_index"])
        entry["torch"] = res
        if case.get("dtype") == "float32":
            res64, _ = run_case(case, hints["target_is_index"], compute_dtype=torch.float64,
                                round_to=torch.float32)
            entry["torch_float64"] = res64
        if hints["note"]:
            entry["note"] = hints["note"]
        if warns:
            entry["torch_warnings"] = warns
        cases.append(entry)
    out = header()
    out["seed"] = FUNCTIONAL_SEED
    out["notes"] = [
        "case: the exact input of `ce-mle loss`; torch: what PyTorch returned for it, "
        "computed in the case's dtype, converted with .double().tolist().",
        "float32 cases: the JSON numbers are rounded to float32 by the reader (as "
        "torch.tensor(..., dtype=torch.float32) does); torch_float64 is the same case computed "
        "in float64 from those float32-rounded values.",
        "grad: d output / d input from out.backward(torch.ones_like(out)) (for reduction "
        "'none' the gradient of the sum).",
        "error: type and first line of the exception PyTorch raised.",
        "torch_warnings: first lines of the warnings PyTorch emitted, if any.",
    ]
    out["cases"] = cases
    return out


# ---------------------------------------------------------------------------------------------
# Training trajectories
# ---------------------------------------------------------------------------------------------

RUNS = [
    {"name": "sgd", "optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "dampening": 0.0,
     "nesterov": False, "weight_decay": 0.0},
    {"name": "sgd_momentum", "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.0,
     "nesterov": False, "weight_decay": 0.0},
    {"name": "sgd_nesterov", "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.0,
     "nesterov": True, "weight_decay": 0.0},
    {"name": "sgd_momentum_dampening", "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
     "dampening": 0.5, "nesterov": False, "weight_decay": 0.0},
    {"name": "sgd_weight_decay", "optimizer": "sgd", "lr": 0.1, "momentum": 0.0,
     "dampening": 0.0, "nesterov": False, "weight_decay": 0.01},
    {"name": "adam", "optimizer": "adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8,
     "weight_decay": 0.0, "amsgrad": False},
    {"name": "adam_weight_decay", "optimizer": "adam", "lr": 1e-3, "betas": [0.9, 0.999],
     "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False},
    {"name": "adam_amsgrad", "optimizer": "adam", "lr": 1e-3, "betas": [0.9, 0.999],
     "eps": 1e-8, "weight_decay": 0.0, "amsgrad": True},
    {"name": "adamw", "optimizer": "adamw", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8,
     "weight_decay": 0.01, "amsgrad": False},
]

IN_FEATURES, OUT_FEATURES, N_SAMPLES, EPOCHS = 10, 5, 32, 100
SNAPSHOTS = (1, 10, 100)


def make_optimizer(run, params):
    if run["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=run["lr"], momentum=run["momentum"],
                               dampening=run["dampening"], nesterov=run["nesterov"],
                               weight_decay=run["weight_decay"])
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[run["optimizer"]]
    return cls(params, lr=run["lr"], betas=tuple(run["betas"]), eps=run["eps"],
               weight_decay=run["weight_decay"], amsgrad=run["amsgrad"])


def params_of(model):
    return {"weight": model.weight.detach().tolist(), "bias": model.bias.detach().tolist()}


def training_fixture():
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(TRAINING_SEED)
        # The article's program: data first, then the model.
        x = torch.randn(N_SAMPLES, IN_FEATURES)
        y = torch.randint(0, OUT_FEATURES, (N_SAMPLES,))
        model0 = torch.nn.Linear(IN_FEATURES, OUT_FEATURES)
        init = copy.deepcopy(model0.state_dict())
        criterion = torch.nn.CrossEntropyLoss()
        runs = []
        for spec in RUNS:
            model = torch.nn.Linear(IN_FEATURES, OUT_FEATURES)
            model.load_state_dict(init)
            optimizer = make_optimizer(spec, model.parameters())
            losses, printed, snaps = [], [], {}
            num_epochs = EPOCHS
            for epoch in range(num_epochs):
                outputs = model(x)
                loss = criterion(outputs, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                if (epoch + 1) % 10 == 0:
                    printed.append(f"Epoch [{epoch+1}/{num_epochs}], Loss: {loss.item():.4f}")
                if epoch + 1 in SNAPSHOTS:
                    snaps[str(epoch + 1)] = params_of(model)
            run = dict(spec)
            run["losses"] = losses
            run["printed"] = printed
            run["params"] = snaps
            runs.append(run)
    finally:
        torch.set_default_dtype(torch.float32)
    out = header()
    out.update({
        "seed": TRAINING_SEED,
        "dtype": "float64",
        "in_features": IN_FEATURES,
        "out_features": OUT_FEATURES,
        "samples": N_SAMPLES,
        "epochs": EPOCHS,
        "notes": [
            "torch.manual_seed(seed); torch.set_default_dtype(torch.float64); "
            "x = torch.randn(32, 10); y = torch.randint(0, 5, (32,)); model = nn.Linear(10, 5); "
            "criterion = nn.CrossEntropyLoss(); every run starts from init.",
            "each epoch: outputs = model(x); loss = criterion(outputs, y); optimizer.zero_grad(); "
            "loss.backward(); optimizer.step().",
            "losses[e]: the loss at the start of epoch e + 1, before its step; printed: the "
            "program's line every 10 epochs; params[k]: after k optimizer steps.",
            "optimizers: torch.optim defaults on CPU (single-tensor implementation, "
            "foreach and fused off, maximize false).",
        ],
        "x": x.tolist(),
        "y": y.tolist(),
        "init": {"weight": init["weight"].tolist(), "bias": init["bias"].tolist()},
        "runs": runs,
    })
    return out


def self_check(fixture):
    """Each recorded result must follow from the JSON of its case alone: rerun every case as
    parsed back from the text that will be written and compare."""
    for entry in json.loads(dumps(fixture))["cases"]:
        case, name = entry["case"], entry["name"]
        hint = None
        if "target" in case and not list(flatten(case["target"])):
            hint = [h for n, _, h in CASES if n == name][0]["target_is_index"]
        if case["op"] in ("cross_entropy", "nll_loss") and "target" in case:
            leaves = list(flatten(case["target"]))
            kinds = {type(v) for v in leaves}
            assert len(kinds) <= 1, f"{name}: mixed int/float target"
        res, _ = run_case(case, hint)
        assert json.dumps(res) == json.dumps(entry["torch"]), f"{name}: not reproducible from JSON"
        if "torch_float64" in entry:
            res64, _ = run_case(case, hint, compute_dtype=torch.float64, round_to=torch.float32)
            assert json.dumps(res64) == json.dumps(entry["torch_float64"]), name


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    if os.path.abspath(os.getcwd()) != root:
        sys.exit(f"run from the repository root ({root}): {COMMAND}")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    functional = functional_fixture()
    self_check(functional)
    write(FUNCTIONAL_PATH, functional)
    write(TRAINING_PATH, training_fixture())
    for path in (FUNCTIONAL_PATH, TRAINING_PATH):
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
