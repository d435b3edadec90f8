#!/usr/bin/env python3
"""Exact values of erf for the GELU of the GPT (`ce_mle::lm::gpt::erf`).

Writes tests/fixtures/erf_mpmath.json: erf(x) computed by mpmath at 50 significant digits and
rounded to the nearest float64, at x on a grid over [-6.5, 6.5] (step 0.013, which never
lands twice on the same point of fdlibm's intervals), at fdlibm's interval boundaries and
their neighbours (0.84375, 1.25, 1/0.35, 6, 2^-28), and at tiny and huge arguments.

Run from the repository root (mpmath only, no PyTorch):

    python3 tools/precise/erf.py

Deterministic: a rerun gives a byte-identical file.
"""

import json
import math

import mpmath

PATH = "tests/fixtures/erf_mpmath.json"
DPS = 50


def points():
    xs = [round(-6.5 + 0.013 * k, 10) for k in range(1001)]
    for b in [0.84375, 1.25, 1 / 0.35, 6.0, 2.0**-28, 0.5]:
        xs += [b, math.nextafter(b, 0.0), math.nextafter(b, math.inf)]
    xs += [1e-300, 1e-20, 1e-10, 1e-5, 27.0, 1e10]
    xs = sorted(set(xs) | {-x for x in xs})
    return xs


def main():
    mpmath.mp.dps = DPS
    rows = [[x, float(mpmath.erf(mpmath.mpf(x)))] for x in points()]
    out = dict(
        generator="tools/precise/erf.py",
        command="python3 tools/precise/erf.py",
        mpmath_version=mpmath.__version__,
        dps=DPS,
        notes="[x, erf(x)]: mpmath.erf at 50 digits, rounded to the nearest float64",
        values=rows,
    )
    with open(PATH, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {PATH}: {len(rows)} values")


if __name__ == "__main__":
    main()
