#!/usr/bin/env python3
"""Seeds of the `loss_fast` fuzz target: byte strings that decode (see `decode` in
`fuzz_targets/loss_fast.rs`) to the structures the kernels treat specially — every special
logit as background and as maximum, rows of only -inf (kept and ignored), rows longer than the
1024-element online chunk with the maximum in a later chunk, ties across chunks, K-dimensional
inputs whose inner size crosses the 8-row lanes and 64-row blocks, matrices of at least 8 rows
and more than 32 classes (the strided kernel's class chunks), every reduction, label
smoothing, class weights (zero, subnormal, huge), probability targets of every row kind, and
bad options.

Deterministic; plain Python (no dependencies). Run from `fuzz/`:
    python3 make_seeds_loss_fast.py          # rewrites seeds/loss_fast/
"""

import os
import shutil

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "loss_fast")

# Indices into the `special` table of the target.
ZERO, ONE, MINUS_ONE, NEG_ZERO, NAN, NEG_NAN, NAN_PAYLOAD, INF, NEG_INF = range(9)
MIN_POS, NEG_MIN_POS, MIN_SUB, NEG_MIN_SUB, MAX_SUB, MAX, NEG_MAX, HALF_MAX = range(9, 17)
P700, M700, LN_MAX, M708, M745_13, M745_2, P746 = range(17, 24)
F32_LN_MAX, F32_M87, F32_M103, M104, P1E300, M1E300, P1E_300 = range(24, 31)
HALF, LN2, MLN2, P30, M30, P1E_8, P1E38, M1E38, P36, M37 = range(31, 41)
N_SPECIAL = 41


def le16(x):
    return [x & 0xFF, (x >> 8) & 0xFF]


def le32(x):
    return le16(x & 0xFFFF) + le16(x >> 16)


def le64(x):
    return le32(x & 0xFFFFFFFF) + le32(x >> 32)


def special(i):
    """A `value` byte string for special value `i`."""
    assert 0 <= i < N_SPECIAL
    return [i]


def half(k):
    """A `value` for k/2, k in -24..=23 (ties)."""
    assert -24 <= k <= 23
    return [88 + k]


def moderate(x):
    """A `value` for x/64 (x an i16)."""
    return [224] + le16(x & 0xFFFF)


def near(base, k):
    """A `value`: the k-th neighbour of near_base(base)."""
    return [112 + base, k & 0xFF]


def raw(bits):
    return [144] + le64(bits)


def case(
    f32=False,
    kind=0,
    n=3,
    c=5,
    reduction=0,  # 0 Mean, 1 Sum, 2 None
    ls=0,  # byte: 0 → 0; 128..=199 → (b-128)/71; ≥200 → table
    ii=0,  # byte: 0 → -100; 200..=219 + u16 → class; 220 → -1; 245 → C
    ii_extra=(),
    weights=None,  # list of weight bytes (b % 20 selects, see the target)
    weight_len_plus_one=False,
    dim_sel=2,  # % 4: 0 → from the byte, 1 → -1, else the class axis
    want_grad=1,
    ts=0,  # < 192: indices; ≥ 192: probabilities; % 16 == 15: wrong shape
    targets=(),  # list of byte lists, one per target element
    kdims=(),
    bg=(ZERO,),
    mode=1,  # 0 dense, 1 background, 2 ramp, 3 per-row background
    mode_bytes=(),
    edits=(),  # list of (row, edge_col_index or None, col_or_pos, value_bytes)
):
    b = [1 if f32 else 0, kind, n]
    if c < 128 and c < 48:
        b.append(c)
    elif c <= 300:
        b += [128] + le16(c)
    else:
        assert 1000 <= c < 3100
        b += [240] + le16(c - 1000)
    b += list(kdims)
    b += [reduction, ls, ii] + list(ii_extra)
    if weights is None:
        b.append(0)
    else:
        b.append(250 if weight_len_plus_one else 200)
        b += weights
    b += [dim_sel, want_grad, ts]
    for t in targets:
        b += t
    b += list(bg)
    b.append(mode)
    b += list(mode_bytes)
    if mode != 0:
        b.append(len(edits))
        for e in edits:
            row, edge, pos, val = e
            if edge is not None:
                b += [0, row, edge]
            elif kind in (0, 1, 2, 3, 4):
                b += [1] + le32(pos)
            else:
                b += le32(pos)
            b += list(val)
    return bytes(b)


def cls(k):
    return [0] + le16(k)


IGNORED = [210]
OUT_OF_RANGE = [224]
MINUS_ONE_T = [232]


def seeds():
    s = {}
    # Every special value as the background of a small matrix, with a maximum at column 2,
    # in both types and every reduction.
    for f32 in (False, True):
        t = "f32" if f32 else "f64"
        for i in range(N_SPECIAL):
            s[f"{t}-bg-special-{i:02}"] = case(
                f32=f32,
                n=3,
                c=5,
                reduction=i % 3,
                targets=[cls(0), cls(2), cls(4)],
                bg=special(i),
                edits=[(1, None, 7, special(ONE)), (2, None, 14, special(i))],
            )
            s[f"{t}-max-special-{i:02}"] = case(
                f32=f32,
                n=2,
                c=4,
                reduction=(i + 1) % 3,
                targets=[cls(1), cls(3)],
                bg=half(-6),
                edits=[(0, None, 1, special(i)), (1, None, 6, special(i))],
            )
    # Rows of only -inf: kept (an error) and ignored (gradient 0), in the rows API and the
    # strided matrix layout (N ≥ 8).
    for n in (2, 9, 17):
        targets = [IGNORED if r % 2 else cls(r % 3) for r in range(n)]
        s[f"neginf-rows-ignored-{n}"] = case(
            n=n,
            c=3,
            reduction=1,
            targets=targets,
            bg=special(ONE),
            mode=3,
            mode_bytes=[x for r in range(n) for x in (special(NEG_INF) if r % 2 else half(r))],
        )
        targets = [cls(0)] * n
        s[f"neginf-row-kept-{n}"] = case(
            n=n,
            c=3,
            reduction=0,
            targets=targets,
            bg=special(ONE),
            mode=3,
            mode_bytes=[x for r in range(n) for x in (special(NEG_INF) if r == n - 1 else half(r))],
        )
    # NaN and +inf in later rows, with an all -inf row before them (the in-place order).
    s["bad-rows-order"] = case(
        n=4,
        c=3,
        reduction=0,
        targets=[cls(0)] * 4,
        bg=half(0),
        mode=3,
        mode_bytes=special(ONE) + special(NEG_INF) + special(ZERO) + special(ZERO),
        edits=[(2, None, 7, special(NAN)), (3, None, 9, special(INF))],
    )
    # Long rows: maximum in chunk 0, 1 or 2, ties across chunks, -inf first chunk, huge spread
    # across chunks.
    for c in (1025, 1500, 2100, 3000):
        for name, edits in [
            ("max-late", [(0, 12, 0, half(10)), (1, 14, 0, half(10))]),
            ("tie-across", [(0, 0, 0, half(10)), (0, 12, 0, half(10)), (1, 15, 0, half(10))]),
            ("spread", [(0, 0, 0, special(NEG_MAX)), (0, 13, 0, special(MAX)), (1, 1, 0, special(M1E300)), (1, 14, 0, special(P1E300))]),
            ("tiny-tail", [(0, 13, 0, special(P700)), (1, 12, 0, special(P30))]),
        ]:
            for f32 in (False, True):
                s[f"long-{c}-{name}-{'f32' if f32 else 'f64'}"] = case(
                    f32=f32,
                    n=2,
                    c=c,
                    reduction=2,
                    targets=[cls(1024 % c), cls(0)],
                    bg=special(M700) if name == "tiny-tail" else half(0),
                    edits=edits,
                )
    s["long-neginf-first-chunk"] = case(
        n=1,
        c=2100,
        targets=[cls(2000)],
        bg=special(NEG_INF),
        edits=[(0, 13, 0, half(3)), (0, 15, 0, half(2))],
    )
    # Strided layouts: matrices of ≥ 8 rows and > 32 classes; K-dimensional inputs.
    for n, c in [(8, 33), (9, 64), (16, 65), (40, 100), (23, 47)]:
        s[f"strided-{n}x{c}"] = case(
            n=n,
            c=c,
            reduction=n % 3,
            targets=[cls((r * 7) % c) for r in range(n)],
            bg=moderate(-100),
            mode=2,
            mode_bytes=[5, 13] + half(1),
            edits=[(r % n, 7 + r % 3, 0, special([P700, M745_13, NEG_INF][r % 3])) for r in range(6)],
        )
    for kind, dims, n, c in [(6, [8], 2, 5), (6, [9], 3, 33), (6, [19], 1, 40), (7, [13, 5], 2, 3), (7, [16, 4], 1, 2)]:
        inner = 1
        for d in dims:
            inner *= d
        s[f"kdim-{n}x{c}x{'x'.join(map(str, dims))}"] = case(
            kind=kind,
            n=n,
            c=c,
            kdims=dims,
            reduction=c % 3,
            targets=[cls(i % c) if i % 5 else IGNORED for i in range(n * inner)],
            bg=half(-2),
            mode=0,
            mode_bytes=[],
            dim_sel=0x10 + kind,
        )
    # The softmax family along every axis of a K-dim input (dim selector 0: from the byte).
    for d in range(12):
        s[f"dim-{d}"] = case(kind=7, n=2, c=3, kdims=[9, 2], dim_sel=d * 4, bg=half(1), mode=2, mode_bytes=[3, 7] + half(3))
    # Label smoothing, weights (zero, subnormal, huge, MAX), ignore_index.
    wsets = {
        "ones": [0] * 5,
        "zero-some": [4, 0, 4, 0, 5],
        "subnormal": [0, 10, 0, 10, 11],
        "mixed-subnormal": [10, 0, 0, 0, 0],
        "huge": [12, 13, 9, 0, 12],
        "bad-neg": [0, 14, 0, 0, 0],
        "bad-nan": [0, 0, 15, 0, 0],
        "bad-inf": [16, 0, 0, 0, 0],
        "neg-zero": [17, 0, 17, 0, 0],
    }
    for wname, w in wsets.items():
        for ls in (0, 150, 199, 200, 203):
            for red in range(3):
                s[f"w-{wname}-ls{ls}-r{red}"] = case(
                    n=4,
                    c=5,
                    reduction=red,
                    ls=ls,
                    weights=w,
                    targets=[cls(0), cls(1), cls(3), IGNORED],
                    bg=half(0),
                    edits=[(0, None, 2, special(NEG_INF)), (1, None, 5, special(P30)), (2, None, 13, special(M745_13))],
                )
    s["w-wrong-length"] = case(n=2, c=3, weights=[0, 0, 0, 0], weight_len_plus_one=True, targets=[cls(0), cls(1)])
    s["mixed-subnormal-mean-in-place"] = case(
        n=2, c=2, reduction=0, weights=[0, 10], targets=[cls(1), cls(1)], bg=half(0),
        edits=[(1, None, 3, special(NAN))],
    )
    for ii, extra in [(200, le16(1)), (220, []), (245, []), (235, le64(2**63))]:
        s[f"ignore-{ii}"] = case(n=4, c=3, ii=ii, ii_extra=extra, targets=[cls(0), cls(1), [208], MINUS_ONE_T])
    for ls in range(200, 210):
        s[f"ls-table-{ls}"] = case(n=2, c=3, ls=ls, targets=[cls(0), cls(2)], bg=half(2), edits=[(0, None, 1, special(NEG_INF))])
    # Targets out of range, negative, wrong length.
    s["target-out-of-range"] = case(n=3, c=4, targets=[cls(0), OUT_OF_RANGE, cls(1)])
    s["target-negative"] = case(n=3, c=4, targets=[cls(0), MINUS_ONE_T, [240]])
    s["target-extremes"] = case(n=3, c=4, targets=[[248], [249], [255] + le64(7)])
    s["target-wrong-shape"] = case(n=3, c=4, ts=15, targets=[cls(0)] * 4)
    s["target-wrong-shape-nan"] = case(n=3, c=4, ts=15, targets=[cls(0)] * 4, edits=[(0, None, 0, special(NAN))])
    # Probability targets: every row kind, f32 and f64, with smoothing and weights.
    def dense(c):
        return [0] + [k % 8 for k in range(c)]

    prow = {
        "dense": dense(8),
        "one-hot": [160] + le16(3),
        "uniform": [200],
        "neg": [224] + le16(1) + le16(2) + [0],
        "nan": [224] + le16(1) + le16(2) + [1],
        "inf": [224] + le16(1) + le16(2) + [2],
        "big": [224] + le16(1) + le16(2) + [3],
        "neg-zero": [224] + le16(1) + le16(2) + [4],
        "tiny-extra": [224] + le16(1) + le16(2) + [5],
        "scaled": [224] + le16(1) + le16(2) + [6],
    }
    for pname, rowbytes in prow.items():
        for f32 in (False, True):
            for ls, w in [(0, None), (170, None), (0, [0, 4, 5, 6, 10, 0, 0, 9]), (199, [12, 0, 0, 0, 0, 0, 0, 0])]:
                s[f"probs-{pname}-{'f32' if f32 else 'f64'}-ls{ls}-{'w' if w else 'nw'}"] = case(
                    f32=f32,
                    n=3,
                    c=8,
                    reduction=(ls + (1 if w else 0)) % 3,
                    ls=ls,
                    weights=w,
                    ts=192,
                    targets=[rowbytes, prow["dense"], prow["one-hot"]],
                    bg=moderate(77),
                    edits=[(0, None, 3, special(NEG_INF)), (2, None, 20, special(M700))],
                )
    s["probs-wrong-shape"] = case(n=2, c=3, ts=207, targets=[[200]] * 3)
    s["probs-ignore-index"] = case(n=2, c=3, ts=192, ii=200, ii_extra=le16(0), targets=[[200]] * 2)
    s["probs-kdim"] = case(kind=6, n=2, c=3, kdims=[9], ts=192, targets=[[200], [160] + le16(2)] * 9)
    s["probs-strided"] = case(n=9, c=40, ts=192, targets=[dense(40)] * 9, bg=moderate(-5000), mode=2, mode_bytes=[3, 11] + half(5))
    # Empty shapes: N = 0, C = 0, 1-D, 0-size K-dim axes.
    for n, c in [(0, 3), (3, 0), (0, 0), (1, 1)]:
        for red in range(3):
            s[f"empty-{n}x{c}-r{red}"] = case(n=n, c=c, reduction=red, targets=[cls(0)] * n)
    s["unbatched"] = case(kind=5, c=7, targets=[cls(4)], bg=half(-3), edits=[(0, None, 4, special(P700))])
    s["unbatched-long"] = case(kind=5, c=2500, targets=[cls(2499)], bg=special(M745_2), edits=[(0, None, 2499, half(0))])
    s["kdim-zero-axis"] = case(kind=7, n=2, c=3, kdims=[0, 4], targets=[])
    # Raw bits and dense logits.
    s["raw-bits"] = case(n=2, c=3, targets=[cls(0), cls(1)], mode=0, bg=special(ZERO),
                         mode_bytes=[])
    s["raw-bits"] = s["raw-bits"] + bytes(raw(0x7FF0000000000001) + raw(0x000FFFFFFFFFFFFF) + raw(0xFFEFFFFFFFFFFFFF) + raw(0x3FF0000000000001) + near(3, 1) + near(4, -1))
    s["f32-raw-bits"] = case(f32=True, n=2, c=3, targets=[cls(0), cls(1)], mode=0, bg=special(ZERO))
    s["f32-raw-bits"] = s["f32-raw-bits"] + bytes(raw(0x7F800001) + raw(0x00000001) + raw(0xFF7FFFFF) + raw(0x3F800001) + near(7, 1) + near(8, -1))
    # logsumexp cancellation: m < 0 and log1p(s) ≈ |m| (log-probabilities as logits).
    s["lse-cancel"] = case(n=2, c=2, targets=[cls(0), cls(1)], bg=special(MLN2))
    s["lse-cancel-f32"] = case(f32=True, n=3, c=4, targets=[cls(0)] * 3, bg=moderate(-89))
    return s


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    seeds_ = seeds()
    for name, data in sorted(seeds_.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    total = sum(len(d) for d in seeds_.values())
    print(f"{len(seeds_)} seeds, {total} bytes, in {OUT}")


if __name__ == "__main__":
    main()
