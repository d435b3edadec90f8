#!/usr/bin/env python3
"""Peak memory of `ce-mle loss` on the cases of make_cases.py (see README.md here).

    python3 tools/loss_memory/measure.py DIR BINARY [BINARY ...]

Runs `/usr/bin/time -v BINARY loss FILE > /dev/null` for every `*.json` in DIR (one run
after another, never two at once) and prints a Markdown table: the file's size, and per
binary the maximum resident set size, its ratio to the file size, and the wall time.
"""

import os
import re
import subprocess
import sys


def run(binary, path):
    p = subprocess.run(
        ["/usr/bin/time", "-v", binary, "loss", path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) * 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr).group(1)
    status = re.search(r"Exit status: (\d+)", p.stderr).group(1)
    return rss, wall, status


def main():
    folder, binaries = sys.argv[1], sys.argv[2:]
    names = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    head = "| case | file MiB |" + "".join(
        f" {os.path.basename(b)} peak MiB | ×file | wall |" for b in binaries
    )
    print(head)
    print("|---|---|" + "---|---|---|" * len(binaries))
    for n in names:
        path = os.path.join(folder, n)
        size = os.path.getsize(path)
        row = f"| {n[:-5]} | {size / 2**20:.1f} |"
        for b in binaries:
            rss, wall, status = run(b, path)
            flag = "" if status == "0" else f" (exit {status})"
            row += f" {rss / 2**20:.0f}{flag} | {rss / size:.2f} | {wall} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
