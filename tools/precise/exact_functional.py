#!/usr/bin/env python3
"""High-precision reference values for the PyTorch golden cases of ce-mle.

Reads tests/fixtures/torch_functional.json (written by tools/golden/generate.py) and writes
tests/fixtures/exact_functional.json: for every case where PyTorch did not raise, the exact
value of the loss (and of d sum(output) / d input when the case asks for a gradient), rounded
to the nearest float64. PyTorch is not used; the values are computed with mpmath from the
case's JSON alone, following PyTorch's documented formulas (see tools/precise/README.md for
the conventions). Gradients are high-precision central differences of the exact function,
never a closed-form derivative (except binary_cross_entropy, whose PyTorch gradient is a
documented convention formula, not a derivative).

Run from the repository root (see tools/precise/README.md):

    python3 tools/precise/exact_functional.py

Deterministic: rerunning gives a byte-identical file. Prints a comparison with PyTorch.
"""

import json
import math
import os
import struct
import sys
import time
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

GENERATOR = "tools/precise/exact_functional.py"
COMMAND = "python3 tools/precise/exact_functional.py"
TORCH_PATH = "tests/fixtures/torch_functional.json"
OUT_PATH = "tests/fixtures/exact_functional.json"

# Working precision: every case is computed at BASE_DPS + log10(scale of its values) decimal
# digits (scale = the largest finite magnitude among inputs, targets, weights, outputs,
# times the element count), so that e.g. 1e300 + h and 1e300 + log 2 are resolved.
BASE_DPS = 100
# Central-difference steps, absolute, not relative to the coordinate: every function here is
# smooth on a unit scale whatever the size of its arguments (softmax, log-sum-exp, softplus,
# linear terms), so the truncation error h^2 f'''/6 is ~1e-61 times an O(1) third derivative.
# Two independent estimates with different steps and precisions must agree to GRAD_RTOL.
H1 = mpf(2) ** -100   # ~7.9e-31
H2 = mpf(2) ** -107   # ~6.2e-33
EXTRA_DPS2 = 25       # the second estimate runs at 25 more digits
GRAD_RTOL = mpf(10) ** -24
# A gradient component not resolved relatively at the base precision (below the noise of
# the base precision, or 0 by cancellation, where the O(h^2) truncation error is not
# relative to it) is recomputed with tiny steps and an absolute noise far below
# 10^-TINY_EXP (itself far below float64's smallest subnormal, 4.9e-324): it is then either
# resolved to 24 digits or known to round to 0.0.
H3 = mpf(2) ** -620   # ~2.4e-187: truncation error ~1e-373 times the third derivative
H4 = mpf(2) ** -640   # ~2.2e-193
TINY_EXP = 345
# float32(1e-12): the denominator clamp of PyTorch's binary_cross_entropy gradient, in float32
# and float64 alike (PyTorch's float64 gradient at p = 0, y = 1 is -1000000003995.8029 =
# -1 / 9.999999960041972e-13, see bce/edge/none in the PyTorch fixture).
BCE_EPS = 9.999999960041972e-13

INF = math.inf


_CACHE = {}


def memo(fn):
    """Cache a pure function of mpf arguments per working precision: when one input
    coordinate is perturbed, only the rows (elements) containing it are recomputed."""
    name = fn.__name__

    def wrapper(*args):
        key = (name, mp.prec) + tuple(tuple(a) if isinstance(a, list) else a for a in args)
        try:
            r = _CACHE[key]
        except KeyError:
            try:
                r = fn(*args)
            except Undefined as e:
                r = e
            _CACHE[key] = r
        if isinstance(r, Undefined):
            raise r
        return list(r) if isinstance(r, list) else r

    wrapper.__name__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


class Undefined(Exception):
    """The value is not defined under the conventions (0/0, NaN input, +inf - inf, ...)."""


# ---------------------------------------------------------------------------------------------
# JSON and nested lists
# ---------------------------------------------------------------------------------------------


def decode_leaf(v):
    if isinstance(v, str):
        s = v.lower()
        if s == "nan":
            return math.nan
        if s in ("infinity", "inf", "+infinity", "+inf"):
            return INF
        if s in ("-infinity", "-inf"):
            return -INF
        raise ValueError(f"not a number: {v!r}")
    if isinstance(v, bool):
        raise ValueError("boolean where a number was expected")
    return v


def shape_and_leaves(v):
    shape, leaves = [], []

    def walk(x, depth):
        if isinstance(x, list):
            if depth == len(shape):
                if leaves:
                    raise ValueError("ragged")
                shape.append(len(x))
            elif shape[depth] != len(x):
                raise ValueError("ragged")
            for item in x:
                walk(item, depth + 1)
        else:
            if depth != len(shape):
                raise ValueError("ragged")
            leaves.append(x)

    walk(v, 0)
    return tuple(shape), leaves


def nest(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = 1
    for s in shape[1:]:
        step *= s
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def round_f32(x):
    """Nearest float32 (ties to even), as torch.tensor(x, dtype=torch.float32)."""
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(INF, x)


def to_float(x):
    """Round an mpf to the nearest float64 (ties to even), exactly, subnormals included.
    Zero is written as 0.0 whatever its sign."""
    if mpmath.isnan(x):
        raise Undefined("NaN result")
    if mpmath.isinf(x):
        return INF if x > 0 else -INF
    if x == 0:
        return 0.0
    sign, man, exp, bc = x._mpf_
    if exp + bc < -1100:
        return 0.0
    if exp + bc > 1100:
        return -INF if sign else INF
    fr = Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)
    try:
        f = float(fr)  # int / int true division: correctly rounded
    except OverflowError:
        f = INF
    f = -f if sign else f
    return 0.0 if f == 0 else f


def encode(v):
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if v == INF:
            return "Infinity"
        if v == -INF:
            return "-Infinity"
    return v


def dumps(o, ind=0, width=100):
    """Readable JSON, the layout of tools/golden/generate.py."""
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


# ---------------------------------------------------------------------------------------------
# Exact arithmetic with the conventions
# ---------------------------------------------------------------------------------------------

NEG_INF = mpf("-inf")
POS_INF = mpf("inf")
ZERO = mpf(0)


def isfinite(x):
    return mpmath.isfinite(x)


def mul(*factors):
    """Product with the convention that a zero factor makes the product 0 even when another
    factor is infinite. NaN factors make it undefined."""
    for f in factors:
        if mpmath.isnan(f):
            raise Undefined("NaN operand")
    if any(f == 0 for f in factors):
        return ZERO
    p = mpf(1)
    for f in factors:
        p = p * f
    return p


def msum(xs):
    """Sum; +inf together with -inf (or a NaN) is undefined."""
    pos = neg = False
    finite = []
    for x in xs:
        if mpmath.isnan(x):
            raise Undefined("NaN operand")
        if x == POS_INF:
            pos = True
        elif x == NEG_INF:
            neg = True
        else:
            finite.append(x)
    if pos and neg:
        raise Undefined("+inf + -inf")
    if pos:
        return POS_INF
    if neg:
        return NEG_INF
    return mpmath.fsum(finite)


def div(a, b):
    if b == 0 or mpmath.isnan(a) or mpmath.isnan(b) or (mpmath.isinf(a) and mpmath.isinf(b)):
        raise Undefined("division by zero total weight (0/0 or x/0)")
    return a / b


@memo
def log_softmax_row(z):
    """log softmax of one row of logits; a -inf logit has probability 0 (log -inf); a single
    +inf logit takes all the probability (the limit)."""
    if any(mpmath.isnan(v) for v in z):
        raise Undefined("NaN logit")
    if not z:
        raise Undefined("zero classes")
    pos = [i for i, v in enumerate(z) if v == POS_INF]
    if len(pos) > 1:
        raise Undefined("two +inf logits in a row")
    if len(pos) == 1:
        return [ZERO if i == pos[0] else NEG_INF for i in range(len(z))]
    fin = [v for v in z if v != NEG_INF]
    if not fin:
        raise Undefined("softmax of an all -inf row")
    m = max(fin)
    s = mpmath.fsum(mpmath.exp(v - m) for v in fin)
    ls = mpmath.log(s)
    return [NEG_INF if v == NEG_INF else (v - m) - ls for v in z]


@memo
def logsumexp_row(z):
    if any(mpmath.isnan(v) for v in z):
        raise Undefined("NaN logit")
    if any(v == POS_INF for v in z):
        return POS_INF
    fin = [v for v in z if v != NEG_INF]
    if not fin:
        return NEG_INF  # log 0
    m = max(fin)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in fin))


@memo
def exp(x):
    return mpmath.exp(x)


@memo
def log(x):
    return mpmath.log(x)


@memo
def softplus(x):
    """log(1 + e^x)."""
    if mpmath.isnan(x):
        raise Undefined("NaN input")
    if x == POS_INF:
        return POS_INF
    if x == NEG_INF:
        return ZERO
    if x > 0:
        return x + mpmath.log1p(mpmath.exp(-x))
    return mpmath.log1p(mpmath.exp(x))


# ---------------------------------------------------------------------------------------------
# Case parsing
# ---------------------------------------------------------------------------------------------


def is_index_target(t):
    if isinstance(t, bool):
        return False
    if isinstance(t, int):
        return True
    if isinstance(t, list):
        _, leaves = shape_and_leaves(t)
        return bool(leaves) and all(isinstance(x, int) and not isinstance(x, bool) for x in leaves)
    return False


class Spec:
    """A parsed case: everything except the input values is fixed (exact mpf)."""


def parse(case):
    s = Spec()
    s.op = case["op"]
    f32 = case.get("dtype", "float64") == "float32"
    s.dtype = "float32" if f32 else "float64"

    def floats(v):
        shape, leaves = shape_and_leaves(v)
        vals = [float(decode_leaf(x)) for x in leaves]
        if f32:
            vals = [round_f32(x) for x in vals]
        return shape, vals

    s.shape, s.x = floats(case["input"])
    if "shape" in case:
        # the input's shape where the nested list cannot say it (an empty batch (0, C))
        assert not s.x, "shape is only needed for an empty input"
        s.shape = tuple(case["shape"])
    s.reduction = case.get("reduction", "mean")
    s.grad = case.get("grad", False)
    s.ndim = len(s.shape)
    s.class_axis = 1 if s.ndim >= 2 else 0
    if "dim" in case:
        # the softmax family's axis, PyTorch's dim (negative from the end)
        assert -s.ndim <= case["dim"] < s.ndim
        s.class_axis = case["dim"] % s.ndim
    s.target = s.tshape = s.weight = s.wshape = s.pos_weight = s.pwshape = None
    s.index_target = False
    if "target" in case:
        t = case["target"]
        if s.op in ("cross_entropy", "nll_loss") and is_index_target(t):
            s.index_target = True
            s.tshape, s.target = shape_and_leaves(t)
        elif s.op in ("cross_entropy", "nll_loss") and not shape_and_leaves(t)[1]:
            # an empty target list: no element, indices or probabilities alike
            s.index_target = None
            s.tshape, s.target = shape_and_leaves(t)
        else:
            s.tshape, s.target = floats(t)
            s.target = [mpf(v) for v in s.target]
            if not s.target and not s.x:
                # an empty target list of a same-shape target: the input's shape
                s.tshape = s.shape
    if "weight" in case:
        s.wshape, w = floats(case["weight"])
        s.weight = [mpf(v) for v in w]
    if "pos_weight" in case:
        s.pwshape, pw = floats(case["pos_weight"])
        s.pos_weight = [mpf(v) for v in pw]
    s.ignore_index = case.get("ignore_index", -100)
    s.label_smoothing = mpf(case.get("label_smoothing", 0.0))  # the double, as passed to torch
    s.log_target = case.get("log_target", False)
    return s


def class_layout(shape, axis):
    """(samples, C): for each sample (in row-major order of the shape without the class axis)
    the flat indices of its C classes."""
    if not shape:
        raise Undefined("0-d input")
    C = shape[axis]
    outer = prod(shape[:axis])
    inner = prod(shape[axis + 1:])
    samples = []
    for o in range(outer):
        for r in range(inner):
            samples.append([o * C * inner + c * inner + r for c in range(C)])
    return samples, C


def broadcast_index(xshape, wshape):
    """For each flat index of xshape, the flat index of a (NumPy-)broadcast operand."""
    if len(wshape) > len(xshape):
        raise Undefined("operand has more dimensions than the input")
    ws = (1,) * (len(xshape) - len(wshape)) + tuple(wshape)
    for a, b in zip(xshape, ws):
        if b not in (1, a):
            raise Undefined("operand does not broadcast")
    wstrides, st = [], 1
    for b in reversed(ws):
        wstrides.append(st if b != 1 else 0)
        st *= b
    wstrides.reverse()
    out = []
    for flat in range(prod(xshape)):
        rem, idx = flat, 0
        for d in range(len(xshape) - 1, -1, -1):
            i = rem % xshape[d]
            rem //= xshape[d]
            idx += i * wstrides[d]
        out.append(idx)
    return out


# ---------------------------------------------------------------------------------------------
# The exact functions: input values (list of mpf) -> (output values, output shape)
# ---------------------------------------------------------------------------------------------


def reduce(losses, shape, reduction, denom):
    if reduction == "none":
        return losses, shape
    total = msum(losses)
    if reduction == "sum":
        return [total], ()
    return [div(total, denom)], ()


def f_cross_entropy(s, x):
    samples, C = class_layout(s.shape, s.class_axis)
    if C == 0:
        raise Undefined("zero classes")
    out_shape = s.shape[:s.class_axis] + s.shape[s.class_axis + 1:]
    w = s.weight if s.weight is not None else [mpf(1)] * C
    eps = s.label_smoothing
    if not samples:
        # no element: the sum is 0, the mean 0/0
        return reduce([], out_shape, s.reduction, ZERO)
    if s.index_target:
        ys = s.target
        if len(ys) != len(samples):
            raise Undefined("target shape")
        losses, kept_w = [], []
        for cls, y in zip(samples, ys):
            if y == s.ignore_index:
                losses.append(ZERO)
                continue
            if not 0 <= y < C:
                raise Undefined("class index out of range")
            lq = log_softmax_row([x[i] for i in cls])
            terms = [mul(1 - eps, w[y], -lq[y])]
            if eps != 0:
                terms.append(mul(eps / C, msum([mul(w[c], -lq[c]) for c in range(C)])))
            losses.append(msum(terms))
            kept_w.append(w[y])
        return reduce(losses, out_shape, s.reduction, msum(kept_w) if kept_w else ZERO)
    # probability target, same shape as the input
    p = s.target
    losses = []
    for cls in samples:
        lq = log_softmax_row([x[i] for i in cls])
        terms = []
        for c, i in enumerate(cls):
            pc = (1 - eps) * p[i] + eps / C
            terms.append(mul(w[c], pc, -lq[c]))
        losses.append(msum(terms))
    return reduce(losses, out_shape, s.reduction, mpf(len(samples)))


def f_nll_loss(s, x):
    samples, C = class_layout(s.shape, s.class_axis)
    out_shape = s.shape[:s.class_axis] + s.shape[s.class_axis + 1:]
    w = s.weight if s.weight is not None else [mpf(1)] * C
    losses, kept_w = [], []
    for cls, y in zip(samples, s.target):
        if y == s.ignore_index:
            losses.append(ZERO)
            continue
        if not 0 <= y < C:
            raise Undefined("class index out of range")
        losses.append(-mul(w[y], x[cls[y]]))
        kept_w.append(w[y])
    return reduce(losses, out_shape, s.reduction, msum(kept_w) if kept_w else ZERO)


def f_bce_with_logits(s, x):
    n = len(x)
    widx = broadcast_index(s.shape, s.wshape) if s.weight is not None else None
    pidx = broadcast_index(s.shape, s.pwshape) if s.pos_weight is not None else None
    losses = []
    for i in range(n):
        y = s.target[i]
        w = s.weight[widx[i]] if widx else mpf(1)
        pw = s.pos_weight[pidx[i]] if pidx else mpf(1)
        l = msum([mul(pw, y, softplus(-x[i])), mul(1 - y, softplus(x[i]))])
        losses.append(mul(w, l))
    return reduce(losses, s.shape, s.reduction, mpf(n))


def clamped_log(v):
    """max(log v, -100) for v in [0, 1] (log 0 = -inf)."""
    if v == 0:
        return mpf(-100)
    return max(mpmath.log(v), mpf(-100))


def f_bce(s, x):
    n = len(x)
    widx = broadcast_index(s.shape, s.wshape) if s.weight is not None else None
    losses = []
    for i in range(n):
        p, y = x[i], s.target[i]
        if mpmath.isnan(p) or not 0 <= p <= 1:
            raise Undefined("probability outside [0, 1]")
        w = s.weight[widx[i]] if widx else mpf(1)
        lp = clamped_log(p)
        l1p = mpf(-100) if p == 1 else max(mpmath.log1p(-p), mpf(-100))
        losses.append(-mul(w, msum([mul(y, lp), mul(1 - y, l1p)])))
    return reduce(losses, s.shape, s.reduction, mpf(n))


def bce_grad(s):
    """PyTorch's binary_cross_entropy gradient convention (not a derivative):
    w (p - y) / max(p (1 - p), float32(1e-12)), divided by the element count for 'mean'."""
    n = len(s.x)
    widx = broadcast_index(s.shape, s.wshape) if s.weight is not None else None
    eps = mpf(BCE_EPS)
    scale = mpf(1) / n if s.reduction == "mean" else mpf(1)
    g = []
    for i in range(n):
        p, y = mpf(s.x[i]), s.target[i]
        w = s.weight[widx[i]] if widx else mpf(1)
        g.append(w * (p - y) / max(p * (1 - p), eps) * scale)
    return g


def f_kl_div(s, x):
    n = len(x)
    terms = []
    for i in range(n):
        xi, t = x[i], s.target[i]
        if mpmath.isnan(xi) or mpmath.isnan(t):
            raise Undefined("NaN")
        if s.log_target:
            if t == NEG_INF:
                terms.append(ZERO)  # e^t = 0
            else:
                terms.append(mul(exp(t), msum([t, -xi])))
        else:
            if t < 0:
                raise Undefined("negative target probability (log of a negative number)")
            if t == 0:
                terms.append(ZERO)
            else:
                terms.append(mul(t, msum([log(t), -xi])))
    if s.reduction == "batchmean":
        return [div(msum(terms), mpf(s.shape[0] if s.shape else 1))], ()
    return reduce(terms, s.shape, s.reduction, mpf(n))


def f_softmax_family(s, x):
    samples, C = class_layout(s.shape, s.class_axis)
    if s.op == "logsumexp":
        out_shape = s.shape[:s.class_axis] + s.shape[s.class_axis + 1:]
        return [logsumexp_row([x[i] for i in cls]) for cls in samples], out_shape
    out = [None] * len(x)
    for cls in samples:
        lq = log_softmax_row([x[i] for i in cls])
        for i, v in zip(cls, lq):
            out[i] = v if s.op == "log_softmax" else exp(v)
    return out, s.shape


FUNCS = {
    "cross_entropy": f_cross_entropy,
    "nll_loss": f_nll_loss,
    "binary_cross_entropy_with_logits": f_bce_with_logits,
    "binary_cross_entropy": f_bce,
    "kl_div": f_kl_div,
    "log_softmax": f_softmax_family,
    "softmax": f_softmax_family,
    "logsumexp": f_softmax_family,
}


def evaluate(s, xvals):
    out, shape = FUNCS[s.op](s, xvals)
    for v in out:
        if mpmath.isnan(v):
            raise Undefined("NaN result")
    return out, shape


# ---------------------------------------------------------------------------------------------
# Precision, outputs and numerical gradients
# ---------------------------------------------------------------------------------------------


def log10_scale(s, extra=()):
    vals = list(s.x) + [float(v) for v in (s.target or []) if not isinstance(v, int)]
    vals += [float(v) for v in (s.weight or [])] + [float(v) for v in (s.pos_weight or [])]
    vals += [float(v) for v in extra]
    m = max([abs(v) for v in vals if math.isfinite(v)] + [1.0])
    n = max(len(s.x), 1)
    return math.ceil(math.log10(m * n)) + 1


def compute_output(s):
    """Output values (floats) and shape; computed at two precisions that must round alike."""
    base = BASE_DPS + log10_scale(s)
    results = []
    for dps in (base, base + 40):
        with mp.workdps(dps):
            out, shape = evaluate(s, [mpf(v) for v in s.x])
            results.append(([to_float(v) for v in out], shape, out))
    (a, shape, exact), (b, _, _) = results
    if json.dumps(encode(a)) != json.dumps(encode(b)):
        raise RuntimeError(f"output not stable between {base} and {base + 40} digits")
    return a, shape, exact


def total(s, xvals):
    out, _ = evaluate(s, xvals)
    return msum(out)


def substitution_points(s):
    """Finite stand-ins for -inf inputs, for the gradient as a limit. Two patterns whose
    stand-ins go to -inf in different orders; a limit that exists does not notice."""
    neg = [i for i, v in enumerate(s.x) if v == -INF]
    if not neg:
        return None, None, 0
    big = max([abs(v) for v in s.x if math.isfinite(v)] + [0.0])
    m = len(neg)
    a, b = list(s.x), list(s.x)
    with mp.workdps(400 + math.ceil(math.log10(big + 1))):
        # e^-1000 ~ 1e-434: the stand-ins' probabilities are below any tolerance
        B = 2 * mpf(big) + 1000
        for j, i in enumerate(neg):
            a[i] = -(B + 50 * j)
            b[i] = -(2 * B + 50 * (m - 1 - j))
    return a, b, float(2 * B + 50 * m)


def grad_component(s, xa, i, dps, h):
    with mp.workdps(dps):
        xp = [mpf(v) for v in xa]
        xm = list(xp)
        xp[i] = xp[i] + h
        xm[i] = xm[i] - h
        fp, fm = total(s, xp), total(s, xm)
        if not (isfinite(fp) and isfinite(fm)):
            raise Undefined(f"sum of outputs not finite near the input (coordinate {i})")
        return (fp - fm) / (2 * h)


def compute_grad(s, out_exact):
    '''d sum(output) / d input by central differences, each component from two independent
    estimates: step H1 at D digits and step H2 at D + 25 digits (for -inf inputs, also at two
    different finite stand-in patterns, so that a limit that depends on the path shows).
    A component the two do not pin down to GRAD_RTOL (it is below the noise of D digits, or
    the O(h^2) truncation matters because it is 0 by cancellation) is recomputed with steps
    H3, H4 and enough digits that noise and truncation are below 10^-(TINY_EXP + 5).'''
    if s.op == "binary_cross_entropy":
        with mp.workdps(BASE_DPS + log10_scale(s)):
            return [to_float(v) for v in bce_grad(s)], {"formula": True}
    xa, xb, sub_scale = substitution_points(s)
    if xa is None:
        xa = xb = list(s.x)
    fin_out = [float(v) for v in out_exact if isfinite(v)]
    l10 = log10_scale(s, fin_out + [sub_scale])
    d1 = BASE_DPS + l10
    d2 = d1 + EXTRA_DPS2
    # the noise of one estimate: ~ scale * 10^-dps / h (scale includes the element count)
    noise1 = mpf(10) ** (l10 + 2 - d1) / H1
    d3 = l10 + 2 + math.ceil(-math.log10(float(H4))) + TINY_EXP + 10
    g, stats = [], {"escalated": 0, "zero_by_bound": 0, "worst_rel_agreement": 0.0}
    for i in range(len(s.x)):
        g1 = grad_component(s, xa, i, d1, H1)
        g2 = grad_component(s, xb, i, d2, H2)
        with mp.workdps(d2):
            ok = abs(g1 - g2) <= GRAD_RTOL * abs(g2) and abs(g2) >= noise1 * mpf(10) ** 25
            rel = float(abs(g1 - g2) / abs(g2)) if g2 != 0 else 0.0
        if not ok:
            stats["escalated"] += 1
            g1 = grad_component(s, xa, i, d3, H3)
            g2 = grad_component(s, xb, i, d3 + EXTRA_DPS2, H4)
            with mp.workdps(d3 + EXTRA_DPS2):
                tiny = mpf(10) ** -TINY_EXP
                if abs(g1) < tiny and abs(g2) < tiny:
                    g2 = ZERO
                    rel = 0.0
                    stats["zero_by_bound"] += 1
                elif abs(g1 - g2) <= GRAD_RTOL * abs(g2):
                    rel = float(abs(g1 - g2) / abs(g2))
                else:
                    raise Undefined(
                        f"gradient component {i} has no limit / does not converge "
                        f"({mpmath.nstr(g1, 8)} vs {mpmath.nstr(g2, 8)})")
        stats["worst_rel_agreement"] = max(stats["worst_rel_agreement"], rel)
        g.append(to_float(g2))
    return g, stats


# ---------------------------------------------------------------------------------------------
# Comparison with PyTorch
# ---------------------------------------------------------------------------------------------


def flat_values(v):
    if isinstance(v, list):
        out = []
        for x in v:
            out.extend(flat_values(x))
        return out
    return [float(decode_leaf(v))]


def worst_rel(torch_v, exact_v):
    """max over elements of |torch - exact| / |exact| (inf where exact is 0 and torch is not,
    or where they differ in a non-finite way)."""
    worst, where = 0.0, None
    for k, (t, e) in enumerate(zip(flat_values(torch_v), flat_values(exact_v))):
        if t == e or (math.isnan(t) and math.isnan(e)):
            continue
        if not (math.isfinite(t) and math.isfinite(e)):
            r = INF
        elif e == 0:
            r = INF
        else:
            r = abs(Fraction(t) - Fraction(e)) / abs(Fraction(e))
            r = float(r)
        if r > worst:
            worst, where = r, k
    return worst, where


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main():
    global BASE_DPS, H1, H2, H3, H4
    verify = sys.argv[1:] == ["--verify"]
    if sys.argv[1:] and not verify:
        sys.exit(f"usage: {COMMAND} [--verify]")
    if verify:
        # every step halved and 30 more digits: the values written must not change
        BASE_DPS += 30
        H1, H2, H3, H4 = H1 / 2, H2 / 2, H3 / 2, H4 / 2
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    if os.path.abspath(os.getcwd()) != root:
        sys.exit(f"run from the repository root ({root}): {COMMAND}")
    with open(TORCH_PATH, encoding="utf-8") as f:
        fixture = json.load(f)
    cases, omitted, grad_omitted, stats_all = {}, {}, {}, {}
    started = time.time()
    for entry in fixture["cases"]:
        name, case = entry["name"], entry["case"]
        if "error" in entry["torch"]:
            continue
        _CACHE.clear()
        s = parse(case)
        if s.op == "cross_entropy" and not 0 <= s.label_smoothing <= 1:
            formula = compute_output(s)[0][0]
            omitted[name] = (
                f"label_smoothing {float(s.label_smoothing)} is outside the documented "
                "[0, 1] (PyTorch accepts a negative value and silently applies no smoothing); "
                f"the formula with it would give {formula}")
            continue
        try:
            out, shape, exact = compute_output(s)
        except Undefined as e:
            omitted[name] = str(e)
            continue
        res = {"output": encode(nest(out, shape))}
        if s.grad:
            try:
                g, st = compute_grad(s, exact)
                res["grad"] = encode(nest(g, s.shape))
                stats_all[name] = st
            except Undefined as e:
                grad_omitted[name] = str(e)
        cases[name] = res
    elapsed = time.time() - started

    doc = {
        "generator": GENERATOR,
        "command": COMMAND,
        "mpmath_version": mpmath.__version__,
        "dps": BASE_DPS,
        "dps_rule": f"at least {BASE_DPS} digits: {BASE_DPS} + ceil(log10(largest finite "
                    "magnitude x element count)) + 1 per case, outputs checked at 40 more; "
                    f"gradients also at +{EXTRA_DPS2} digits, and at about "
                    f"{TINY_EXP + 210} + log10(scale) digits for the components the first two "
                    "estimates do not resolve",
        "source": TORCH_PATH,
        "notes": [
            "output/grad: the exact value for the case's inputs (float32 cases: for the "
            "float32-rounded inputs, targets and weights; label_smoothing is the double of "
            "the JSON), rounded to the nearest float64; zeros are written 0.0.",
            "grad: d sum(output) / d input by central differences of the exact function "
            "(two independent estimates agreeing to 1e-24 relative); binary_cross_entropy: "
            "PyTorch's convention w (p - y) / max(p (1 - p), float32(1e-12)) (/ numel for "
            "mean), not a derivative.",
            "conventions: 0 * log 0 = 0 and a zero coefficient times an infinite factor is 0; "
            "a -inf logit has probability 0; a single +inf logit takes all the probability; "
            "the derivative with respect to a -inf input is the limit of the derivative as "
            "that input goes to -inf (e.g. -p for kl_div).",
            "omitted: cases whose output is undefined (reason given); grad_omitted: cases "
            "whose output is given but whose gradient is undefined.",
        ],
        "omitted": omitted,
        "grad_omitted": grad_omitted,
        "cases": cases,
    }
    if verify:
        with open(OUT_PATH, encoding="utf-8") as f:
            written = json.load(f)
        same = [n for n in cases if written["cases"].get(n) == cases[n]]
        print(f"--verify (steps halved, +30 digits): {len(same)} of {len(cases)} cases give "
              f"identical values to {OUT_PATH}; omissions identical: "
              f"{written['omitted'] == omitted and written['grad_omitted'] == grad_omitted}")
        for n in cases:
            if n not in same:
                print(f"  differs: {n}")
        return
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write(dumps(doc) + "\n")
    print(f"wrote {OUT_PATH}: {len(cases)} cases ({sum('grad' in c for c in cases.values())} "
          f"with grad), {len(omitted)} omitted, {len(grad_omitted)} grads omitted, "
          f"{elapsed:.0f} s")
    for n, r in omitted.items():
        print(f"  omitted        {n}: {r}")
    for n, r in grad_omitted.items():
        print(f"  grad omitted   {n}: {r}")
    esc = sum(st.get("escalated", 0) for st in stats_all.values())
    zb = sum(st.get("zero_by_bound", 0) for st in stats_all.values())
    wa = max((st.get("worst_rel_agreement", 0.0) for st in stats_all.values()), default=0.0)
    print(f"gradients: {esc} components recomputed at high precision ({zb} of them below "
          f"1e-{TINY_EXP}, i.e. 0.0); worst agreement of the two estimates {wa:.1e}")

    # comparison with PyTorch
    print("\nPyTorch vs exact beyond tolerance (float64 1e-12, float32 2e-6; torch_float64 of a "
          "float32 case 1e-12):")
    by_name = {e["name"]: e for e in fixture["cases"]}
    n_checked = 0
    for name, res in cases.items():
        entry = by_name[name]
        f32 = entry["case"].get("dtype") == "float32"
        for label, tres, tol in (("torch", entry["torch"], 2e-6 if f32 else 1e-12),
                                 ("torch_float64", entry.get("torch_float64"), 1e-12)):
            if tres is None:
                continue
            for key in ("output", "grad"):
                if key not in res or key not in tres:
                    continue
                n_checked += 1
                r, k = worst_rel(tres[key], res[key])
                if r > tol:
                    t = flat_values(tres[key])[k]
                    e = flat_values(res[key])[k]
                    big = max([abs(v) for v in flat_values(res[key]) if math.isfinite(v)],
                              default=0.0)
                    nr = (abs(t - e) / big if big and math.isfinite(t) and math.isfinite(e)
                          else INF)
                    print(f"  {name:36s} {label:13s} {key:6s} rel {r:.2e} (of max|exact| "
                          f"{nr:.1e}) at [{k}]: torch {t!r}, exact {e!r}")
    print(f"({n_checked} comparisons)")


if __name__ == "__main__":
    main()
