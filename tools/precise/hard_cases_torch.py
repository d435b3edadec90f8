#!/usr/bin/env python3
"""Run the hard cases of hard_cases.py through PyTorch (float64 and float32).

Not meant to be run by hand: tools/precise/hard_cases.py starts it with the Python of a
PyTorch virtual environment (``--torch-python``), writes the cases to its standard input as
JSON (``{"cases": [{"name", "kind", "dtypes", "functions", "x", "target"}]}``, the inputs
already expanded, non-finite values as "Infinity"/"-Infinity") and reads from its standard
output ``{"torch_version", "results": {name: {dtype: {function: [float.hex(...), ...]}}}}``.
Values are written with float.hex so that nothing is lost on the way back.

CPU, one thread; no randomness.
"""

import json
import math
import sys

import torch
import torch.nn.functional as F


def decode(v):
    if v == "Infinity":
        return math.inf
    if v == "-Infinity":
        return -math.inf
    return float(v)


def run(case, dtype):
    dt = torch.float64 if dtype == "float64" else torch.float32
    x = torch.tensor([decode(v) for v in case["x"]], dtype=dt)
    out = {}
    if case["kind"] == "logits":
        for f in case["functions"]:
            if f == "logsumexp":
                r = [torch.logsumexp(x, dim=0).item()]
            elif f == "log_softmax":
                r = torch.log_softmax(x, dim=0).tolist()
            elif f == "softmax":
                r = torch.softmax(x, dim=0).tolist()
            elif f == "cross_entropy":
                t = torch.tensor([case["target"]], dtype=torch.int64)
                r = F.cross_entropy(x[None, :], t, reduction="none").tolist()
            else:
                raise ValueError(f)
            out[f] = [float(v).hex() for v in r]
    else:
        y = torch.tensor([decode(v) for v in case["target"]], dtype=dt)
        r = F.binary_cross_entropy_with_logits(x, y, reduction="none").tolist()
        out["bce_with_logits"] = [float(v).hex() for v in r]
    return out


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    req = json.load(sys.stdin)
    results = {}
    for case in req["cases"]:
        results[case["name"]] = {d: run(case, d) for d in case["dtypes"]}
    json.dump({"torch_version": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
