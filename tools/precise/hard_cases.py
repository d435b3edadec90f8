#!/usr/bin/env python3
"""Hard cases for the accuracy of ce-mle's softmax family and losses .

Writes tests/fixtures/precise_hard.json: for each hard case (near-ties, spreads of 1e300,
1e8 vs 1e8 + 1, C = 2 with [30, 0] and [0, -40], C = 50000 with one dominant logit and with
all logits equal, subnormal probabilities, -inf entries, cancelling log-sum-exp, BCE with
logits at tiny and huge losses) and for each precision (float64, float32):

* the exact value of logsumexp, log_softmax, softmax, cross_entropy (one sample, class-index
  target) or BCE with logits (element-wise), computed with mpmath at DPS digits (30
  significant digits are stored, as strings);
* that exact value correctly rounded to the precision (round to nearest, ties to even,
  subnormals included): what a perfect implementation returns;
* PyTorch's error in ULPs (measured by running the same inputs through torch, see
  hard_cases_torch.py), so that the Rust test can print both columns without PyTorch.

Inputs are stored compactly (tools/precise/README.md): a row of logits is a list of segments,
each either [value, count] (the value repeated) or {"start": a, "step": b, "count": n} (the
values a + j*b, j = 0..n-1, each computed in float64 as `a + float(j) * b`, exactly as the
Rust test expands it). For float32 every input is first rounded to float32, and the
reference is the exact function of those float32 values. Vector outputs are run-length
encoded the same way ([value, count]).

ULP error of a result r against the correctly rounded value c (in the result's precision,
p = 53 or 24 significant bits, minimum normal exponent emin = -1022 or -126):

    ulp(c) = 2^(max(e, emin) - p + 1)  where 2^e <= |c| < 2^(e+1), and ulp(0) = 2^(emin - p + 1)
    err    = |r - c| / ulp(c)           (computed exactly, with fractions)

i.e. the spacing of the format at |c| (the gap above |c| at a power of two), and the smallest
subnormal at 0 and throughout the subnormal range. Infinite c must be matched exactly (err 0
or infinity); a NaN result has infinite error.

Run from the repository root (mpmath 1.4.1 in ../venv-precise, PyTorch in ../venv-torch):

    ../venv-precise/bin/python tools/precise/hard_cases.py --torch-python ../venv-torch/bin/python

Deterministic: rerunning gives a byte-identical file. Also prints PyTorch's worst errors.
`--verify` recomputes the exact values at VERIFY_DPS digits and checks that every rounded
value is the same (nothing is written).
"""

import json
import math
import os
import subprocess
import sys
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

GENERATOR = "tools/precise/hard_cases.py"
COMMAND = ("../venv-precise/bin/python tools/precise/hard_cases.py "
           "--torch-python ../venv-torch/bin/python")
OUT_PATH = "tests/fixtures/precise_hard.json"
TORCH_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hard_cases_torch.py")

# 80 digits: the hardest case (logsumexp of [-ln 2, -ln 2], where m + log(1 + s) cancels to
# 2.3e-17 out of 0.69) loses 17 of them; spreads of 1e300 are exact in the inputs, and the
# exponent range of mpmath is unbounded. --verify reruns at 120 digits.
DPS = 80
VERIFY_DPS = 120
STORED_DIGITS = 30

FORMATS = {"float64": (53, -1022, 1023), "float32": (24, -126, 127)}
LN2 = 0.6931471805599453  # float64 nearest to ln 2

FUNCTIONS_LOGITS = ["logsumexp", "log_softmax", "softmax", "cross_entropy"]
FUNCTIONS_SCALAR = ["logsumexp", "cross_entropy"]


def seg(v, n=1):
    return [v, n]


def arith(start, step, count):
    return {"start": start, "step": step, "count": count}


# (name, segments, class-index target, dtypes, functions, what it tests)
LOGIT_CASES = [
    ("near_tie_f64", [seg(1.0), seg(math.nextafter(1.0, 2.0))], 0, ["float64", "float32"],
     FUNCTIONS_LOGITS, "two logits one float64 ulp apart (an exact tie in float32)"),
    ("near_tie_f32", [seg(1.0), seg(1.0 + 2.0 ** -23), seg(1.0 - 2.0 ** -24)], 2,
     ["float64", "float32"], FUNCTIONS_LOGITS, "three logits one float32 ulp apart"),
    ("spread_1e300", [seg(1e300), seg(-1e300), seg(0.0), seg(1e300)], 2, ["float64"],
     FUNCTIONS_LOGITS, "logits spread over 2e300, a tied maximum"),
    ("spread_3e38", [seg(3e38), seg(-3e38), seg(0.0), seg(1.0)], 3, ["float64", "float32"],
     FUNCTIONS_LOGITS, "logits spread over 6e38 (the float32 range)"),
    ("big_1e8", [seg(1e8), seg(1e8 + 1.0)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "1e8 vs 1e8 + 1 (equal in float32)"),
    ("c2_30_0", [seg(30.0), seg(0.0)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "C = 2, [30, 0], target 0: loss log1p(e^-30) = 9.4e-14"),
    ("c2_0_m40", [seg(0.0), seg(-40.0)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "C = 2, [0, -40], target 0: loss log1p(e^-40) = 4.2e-18"),
    ("c2_0_m40_t1", [seg(0.0), seg(-40.0)], 1, ["float64", "float32"], ["cross_entropy"],
     "C = 2, [0, -40], target 1: loss 40 + 4.2e-18"),
    ("dominant_50000", [seg(20.0), seg(0.0, 49999)], 0, ["float64", "float32"],
     FUNCTIONS_LOGITS, "C = 50000, one logit 20 above the rest: loss 1.0e-4"),
    ("dominant_50000_mid", [seg(0.25, 30000), seg(21.5), seg(0.25, 19999)], 30000,
     ["float64", "float32"], FUNCTIONS_LOGITS,
     "C = 50000, the dominant logit in the middle: loss 2.3e-5"),
    ("equal_50000", [seg(0.5, 50000)], 7, ["float64", "float32"], FUNCTIONS_LOGITS,
     "C = 50000, all logits equal: loss ln 50000"),
    ("ramp_50000", [arith(0.0, -0.0002, 50000)], 0, ["float64", "float32"], FUNCTIONS_SCALAR,
     "C = 50000, logits 0, -0.0002, ..., -9.9998 (a long sum of distinct terms)"),
    ("ramp_1000", [arith(3.0, -0.01, 1000)], 999, ["float64", "float32"], FUNCTIONS_LOGITS,
     "C = 1000, logits 3, 2.99, ..., -6.99"),
    ("subnormal", [seg(0.0), seg(-740.0), seg(-100.0), seg(-90.0), seg(-1000.0)], 0,
     ["float64", "float32"], FUNCTIONS_LOGITS,
     "probabilities e^-740 (float64 subnormal), e^-100, e^-90 (float32 subnormal), e^-1000 (0)"),
    ("neg_inf", [seg(-math.inf), seg(2.0), seg(-math.inf), seg(1.0), seg(-math.inf)], 3,
     ["float64", "float32"], FUNCTIONS_LOGITS, "-inf entries (probability exactly 0)"),
    ("inexact_diff", [seg(0.1), seg(-700.3)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "z_j - m not representable: -700.3 - 0.1 rounds, e^-700.4 must not inherit that"),
    ("inexact_diff_f32", [seg(0.1), seg(-80.3)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "as inexact_diff, a loss of 1.2e-35 (normal in float32)"),
    ("cancel_lse", [seg(-0.5), seg(-1.0)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "logsumexp = -0.5 + log1p(e^-0.5) = -0.026: m < 0 < log1p(s) cancel"),
    ("cancel_lse_ln2", [seg(-LN2), seg(-LN2)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "logsumexp of [-ln 2, -ln 2] (rounded): ln 2 - fl(ln 2) = 2.3e-17 (float64)"),
    ("cancel_lse_mixed", [seg(-1.2), seg(-0.9), seg(-2.5), seg(-0.7)], 3, ["float64", "float32"],
     FUNCTIONS_LOGITS, "logsumexp = -0.7 + 0.95 = 0.25: a milder cancellation"),
    ("cancel_logprobs", [seg(math.log(0.1), 10)], 0, ["float64", "float32"], FUNCTIONS_LOGITS,
     "logsumexp of ten log-probabilities fl(ln 0.1): ln 10 + fl(ln 0.1), about 1e-16"),
]

# (name, x, y, dtypes, what): BCE with logits, one element, weight 1, pos_weight 1.
BCE_CASES = [
    ("bce_x40_y1", 40.0, 1.0, ["float64", "float32"], "softplus(-40) = 4.2e-18"),
    ("bce_xm40_y0", -40.0, 0.0, ["float64", "float32"], "softplus(-40) = 4.2e-18"),
    ("bce_x30_y1", 30.0, 1.0, ["float64", "float32"], "softplus(-30) = 9.4e-14"),
    ("bce_xm30_y1", -30.0, 1.0, ["float64", "float32"], "softplus(30) = 30 + 9.4e-14"),
    ("bce_x90_y1", 90.0, 1.0, ["float64", "float32"], "8.2e-40: subnormal in float32"),
    ("bce_x700_y1", 700.0, 1.0, ["float64", "float32"], "9.9e-305 (0 in float32)"),
    ("bce_x740_y1", 740.0, 1.0, ["float64", "float32"], "4.2e-322: subnormal in float64"),
    ("bce_x0_y05", 0.0, 0.5, ["float64", "float32"], "ln 2"),
    ("bce_x1em10_y1", 1e-10, 1.0, ["float64", "float32"], "ln 2 - 5e-11"),
    ("bce_x20_y0999", 20.0, 0.999, ["float64", "float32"], "a soft target at a large logit"),
    ("bce_xm3p5_y025", -3.5, 0.25, ["float64", "float32"], "an ordinary element"),
    ("bce_x1e300_y0", 1e300, 0.0, ["float64"], "softplus(1e300) = 1e300"),
    ("bce_xinf_y1", math.inf, 1.0, ["float64", "float32"], "+inf logit, target 1: exactly 0"),
    ("bce_xminf_y0", -math.inf, 0.0, ["float64", "float32"], "-inf logit, target 0: exactly 0"),
    ("bce_xinf_y0", math.inf, 0.0, ["float64", "float32"], "+inf logit, target 0: +inf"),
]


# ---------------------------------------------------------------------------------------------
# Floats
# ---------------------------------------------------------------------------------------------


def round_f32(x):
    """Nearest float32 of a float64 (ties to even), as torch.tensor(x, dtype=float32) and Rust's
    `x as f32`."""
    if math.isnan(x) or math.isinf(x):
        return x
    return round_mpf(mpf(x), "float32")


def round_mpf(x, dtype):
    """The nearest value of the format (ties to even, subnormals, overflow to +-inf), as a
    Python float (exact: float32 values are float64 values)."""
    p, emin, emax = FORMATS[dtype]
    if mpmath.isnan(x):
        raise ValueError("NaN")
    if mpmath.isinf(x):
        return math.inf if x > 0 else -math.inf
    if x == 0:
        return 0.0
    sign, man, exp, bc = x._mpf_
    e = exp + bc - 1  # 2^e <= |x| < 2^(e+1)
    q = max(e, emin) - p + 1  # the quantum: the result is a multiple of 2^q
    if e <= q - 2:  # |x| < 2^(q-1), half the smallest subnormal: rounds to zero
        return -0.0 if sign else 0.0
    if e > emax:
        return -math.inf if sign else math.inf
    if exp >= q:
        r, shift = man << (exp - q), 0
    else:
        shift = q - exp
        r = man >> shift
        rem = man - (r << shift)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and r & 1):
            r += 1
    if r == 0:
        return -0.0 if sign else 0.0
    if r.bit_length() + q > emax + 1:  # >= 2^(emax+1)
        return -math.inf if sign else math.inf
    v = math.ldexp(float(r), q)
    return -v if sign else v


def ulp(c, dtype):
    p, emin, _ = FORMATS[dtype]
    if c == 0:
        return Fraction(2) ** (emin - p + 1)
    e = math.frexp(abs(c))[1] - 1
    return Fraction(2) ** (max(e, emin) - p + 1)


def ulp_error(r, c, dtype):
    """|r - c| / ulp(c), exactly; inf for NaN or a mismatched infinity."""
    if math.isnan(r):
        return math.inf
    if math.isinf(c) or math.isinf(r):
        return 0.0 if r == c else math.inf
    q = abs(Fraction(r) - Fraction(c)) / ulp(c, dtype)
    try:
        return float(q)
    except OverflowError:  # more than 1.8e308 ULP (e.g. 1e-300 against a subnormal c)
        print(f"  note: an error beyond float64's range: r = {r!r}, c = {c!r} ({dtype})")
        return math.inf


def fmt_num(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if v == math.inf:
            return "Infinity"
        if v == -math.inf:
            return "-Infinity"
        if v == 0:
            return 0.0
    return v


def fmt_exact(x):
    if mpmath.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    return mpmath.nstr(x, STORED_DIGITS, strip_zeros=False, min_fixed=-4, max_fixed=5)


def rle(values):
    out = []
    for v in values:
        if out and out[-1][0] == v and (isinstance(v, str) or math.copysign(1, v) ==
                                        math.copysign(1, out[-1][0])):
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def expand(segments):
    """The float64 logits of a row, exactly as book/tests/ulp.rs expands them."""
    xs = []
    for s in segments:
        if isinstance(s, dict):
            a, b = float(s["start"]), float(s["step"])
            xs.extend(a + float(j) * b for j in range(s["count"]))
        else:
            xs.extend([float(s[0])] * s[1])
    return xs


def encode_segments(segments):
    return [
        {k: fmt_num(v) for k, v in s.items()} if isinstance(s, dict) else [fmt_num(s[0]), s[1]]
        for s in segments
    ]


# ---------------------------------------------------------------------------------------------
# Exact functions (on runs: a list of (value, count), so that C = 50000 stays cheap)
# ---------------------------------------------------------------------------------------------


def runs_of(xs):
    runs = []
    for v in xs:
        if runs and runs[-1][0] == v:
            runs[-1][1] += 1
        else:
            runs.append([v, 1])
    return runs


def exact_logits(xs, target, functions):
    """Exact results at the current mp.dps: {function: [mpf per output element]}."""
    runs = runs_of(xs)
    fin = [(mpf(v), n) for v, n in runs if v != -math.inf]
    m = max(v for v, _ in fin)
    # log Σ exp(v - m) = log1p(rest): `rest` leaves out one maximal term (exactly 1), so that a
    # tail of 1e-304 is not lost in 1 + tail at any working precision.
    first = next(i for i, (v, _) in enumerate(fin) if v == m)
    rest = mpmath.fsum((n - 1 if i == first else n) * mpmath.exp(v - m)
                       for i, (v, n) in enumerate(fin))
    ls = mpmath.log1p(rest)
    lse = m + ls
    neg_inf = mpf("-inf")

    def log_sm(v):
        return neg_inf if v == -math.inf else (mpf(v) - m) - ls

    out = {}
    for f in functions:
        if f == "logsumexp":
            out[f] = [lse]
        elif f == "log_softmax":
            out[f] = [(log_sm(v), n) for v, n in runs]
        elif f == "softmax":
            out[f] = [(mpf(0) if v == -math.inf else mpmath.exp(log_sm(v)), n) for v, n in runs]
        elif f == "cross_entropy":
            out[f] = [-log_sm(xs[target])]
    return out


def softplus(x):
    if x == math.inf:
        return mpf("inf")
    if x == -math.inf:
        return mpf(0)
    x = mpf(x)
    if x > 0:
        return x + mpmath.log1p(mpmath.exp(-x))
    return mpmath.log1p(mpmath.exp(x))


def exact_bce(x, y):
    """w = pw = 1: y softplus(-x) + (1 - y) softplus(x); a zero coefficient drops its term."""
    y = mpf(y)
    total = mpf(0)
    if y != 0:
        total += y * softplus(-x)
    if y != 1:
        total += (1 - y) * softplus(x)
    return {"bce_with_logits": [total]}


def flatten(vals):
    """[(mpf, count)] or [mpf] -> [mpf] (expanded)."""
    out = []
    for v in vals:
        if isinstance(v, tuple):
            out.extend([v[0]] * v[1])
        else:
            out.append(v)
    return out


def compute(case, dtype):
    if case["kind"] == "logits":
        xs = case["x"][dtype]
        return exact_logits(xs, case["target"], case["functions"])
    return exact_bce(case["x"][dtype][0], case["y"][dtype][0])


def build_cases():
    cases = []
    for name, segs, target, dtypes, functions, what in LOGIT_CASES:
        x64 = expand(segs)
        cases.append({
            "name": name, "kind": "logits", "what": what, "segments": segs, "target": target,
            "dtypes": dtypes, "functions": functions,
            "x": {"float64": x64, "float32": [round_f32(v) for v in x64]},
        })
    for name, x, y, dtypes, what in BCE_CASES:
        cases.append({
            "name": name, "kind": "bce", "what": what, "dtypes": dtypes,
            "functions": ["bce_with_logits"],
            "x": {"float64": [x], "float32": [round_f32(x)]},
            "y": {"float64": [y], "float32": [round_f32(y)]},
        })
    return cases


def rounded_all(cases, dps):
    mp.dps = dps
    res = {}
    for case in cases:
        for dtype in case["dtypes"]:
            ex = compute(case, dtype)
            res[(case["name"], dtype)] = (ex, {
                f: [(round_mpf(v[0], dtype), v[1]) if isinstance(v, tuple)
                    else round_mpf(v, dtype) for v in vals]
                for f, vals in ex.items()})
    return res


def run_torch(python, cases):
    req = {"cases": []}
    for case in cases:
        item = {"name": case["name"], "kind": case["kind"], "dtypes": case["dtypes"],
                "functions": case["functions"], "x": [fmt_num(v) for v in case["x"]["float64"]]}
        if case["kind"] == "logits":
            item["target"] = case["target"]
        else:
            item["target"] = [fmt_num(v) for v in case["y"]["float64"]]
        req["cases"].append(item)
    proc = subprocess.run([python, TORCH_SCRIPT], input=json.dumps(req), capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)


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


def main():
    args = sys.argv[1:]
    if args == ["--verify"]:
        cases = build_cases()
        a = rounded_all(cases, DPS)
        b = rounded_all(cases, VERIFY_DPS)
        diff = [k for k in a if a[k][1] != b[k][1]]
        print(f"--verify ({VERIFY_DPS} digits): {len(a) - len(diff)} of {len(a)} "
              f"case/precision pairs round identically" + (f"; differ: {diff}" if diff else ""))
        sys.exit(1 if diff else 0)
    if len(args) != 2 or args[0] != "--torch-python":
        sys.exit(f"usage: {COMMAND}\n       {GENERATOR} --verify")
    cases = build_cases()
    exact = rounded_all(cases, DPS)
    torch = run_torch(args[1], cases)

    out_cases = []
    worst = {}
    for case in cases:
        item = {"name": case["name"], "what": case["what"], "kind": case["kind"]}
        if case["kind"] == "logits":
            item["logits"] = encode_segments(case["segments"])
            item["target"] = case["target"]
        else:
            item["x"] = fmt_num(case["x"]["float64"][0])
            item["y"] = fmt_num(case["y"]["float64"][0])
        item["dtypes"] = case["dtypes"]
        for dtype in case["dtypes"]:
            ex, rounded = exact[(case["name"], dtype)]
            tres = torch["results"][case["name"]][dtype]
            per = {}
            for f in case["functions"]:
                cs = [v for v in rounded[f]]
                flat_c = [c for v in cs for c in ([v[0]] * v[1] if isinstance(v, tuple) else [v])]
                tr = [float.fromhex(h) for h in tres[f]]
                assert len(tr) == len(flat_c), (case["name"], f)
                errs = [ulp_error(r, c, dtype) for r, c in zip(tr, flat_c)]
                k = max(range(len(errs)), key=lambda i: errs[i])
                terr = errs[k]
                per[f] = {
                    "exact": rle([fmt_exact(v) for v in flatten(ex[f])]),
                    "rounded": rle([fmt_num(c) for c in flat_c]),
                    "torch": fmt_num(tr[k]) if len(tr) == 1 else rle([fmt_num(v) for v in tr])
                    if len(rle(tr)) <= 4 else f"worst element {k}: {tr[k]!r}",
                    "torch_ulp": fmt_num(terr),
                }
                key = (f, dtype)
                if key not in worst or terr > worst[key][0]:
                    worst[key] = (terr, case["name"])
            item[dtype] = per
        out_cases.append(item)

    torch_worst = {}
    for dtype in FORMATS:
        torch_worst[dtype] = {
            f: {"ulp": fmt_num(worst[(f, dtype)][0]), "case": worst[(f, dtype)][1]}
            for f in FUNCTIONS_LOGITS + ["bce_with_logits"] if (f, dtype) in worst
        }
    doc = {
        "generator": GENERATOR,
        "command": COMMAND,
        "mpmath_version": mpmath.__version__,
        "torch_version": torch["torch_version"],
        "dps": DPS,
        "ulp": ("ulp(c) = 2^(max(e, emin) - p + 1) for 2^e <= |c| < 2^(e+1), ulp(0) = "
                "2^(emin - p + 1) (p = 53, emin = -1022 for float64; p = 24, emin = -126 for "
                "float32); error = |r - c| / ulp(c) with c the correctly rounded exact value; "
                "an infinite c must be matched exactly"),
        "notes": ("Inputs: logits are segments [value, count] or {start, step, count} "
                  "(start + float64(j) * step); for float32 each input is rounded to float32 "
                  "first. 'exact' has 30 significant digits, 'rounded' is the exact value "
                  "correctly rounded to the precision; vectors are run-length encoded "
                  "[value, count]. cross_entropy is one sample with a class-index target "
                  "(reduction 'none'); bce_with_logits one element, weight 1, pos_weight 1. "
                  "'torch' is PyTorch's result (or its worst element), 'torch_ulp' its "
                  "worst error in ULPs."),
        "torch_worst": torch_worst,
        "cases": out_cases,
    }
    text = dumps(doc) + "\n"
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {OUT_PATH} ({len(text)} bytes, {len(out_cases)} cases), "
          f"torch {torch['torch_version']}")
    for dtype in FORMATS:
        for f, w in torch_worst[dtype].items():
            print(f"  torch {dtype:<8} {f:<16} worst {w['ulp']} ULP  ({w['case']})")


if __name__ == "__main__":
    main()
