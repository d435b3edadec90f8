"""Coefficients of the polynomial that `exp_single` (src/loss/kernel.rs) uses for e^r.

e^r = 1 + r + r^2 * (c2 + c3 r + ... + c7 r^5) on |r| <= ln(2)/2, fitted to the relative error
of e^r by iteratively reweighted least squares on Chebyshev nodes (which approaches the
minimax fit), then checked at 4001 points in 40-digit arithmetic (mpmath).

    python3 tools/precise/exp_coefficients.py

prints the six coefficients (as Rust literals) and the largest relative error found, which
the kernel's test bounds (1e-10; this fit gives about 5.2e-11).
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
HALF_LN2 = float(mp.log(2) / 2) * 1.0001  # a little beyond ln(2)/2: k is rounded to nearest
NODES = 2000
DEGREE = 5  # of the bracket, so that the polynomial of e^r has degree 7


def main():
    xs = [HALF_LN2 * mp.cos(mp.pi * (i + 0.5) / NODES) for i in range(NODES)]
    target = np.array([float((mp.e**r - 1 - r) / r**2) for r in xs])
    a = np.array([[float(r**j) for j in range(DEGREE + 1)] for r in xs])
    # An error dq of the bracket is a relative error r^2 dq / e^r of e^r.
    scale = np.array([float(r**2 / mp.e**r) for r in xs])
    weight = np.ones(NODES)
    for _ in range(40):
        c, *_ = np.linalg.lstsq(a * (scale * weight)[:, None], target * scale * weight, rcond=None)
        err = np.abs((a @ c - target) * scale)
        weight = weight * (err / err.max()) ** 0.5 + 1e-6
    worst = 0
    for r in np.linspace(-HALF_LN2, HALF_LN2, 4001):
        r = mp.mpf(r)
        p = sum(mp.mpf(float(cj)) * r**j for j, cj in enumerate(c))
        worst = max(worst, abs((1 + r + r * r * p) / mp.e**r - 1))
    for j, cj in enumerate(c):
        print(f"const C{j + 2}: f64 = {float(cj)!r};")
    print(f"# largest relative error of e^r: {float(worst):.2e}")


if __name__ == "__main__":
    main()
