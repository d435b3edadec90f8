#!/usr/bin/env python3
"""Build book/data/tang-poems/input.txt from the chinese-poetry collection.

Source: GitHub repository chinese-poetry/chinese-poetry (MIT licence), the Complete Tang Poems
(全唐诗) in `全唐诗/poet.tang.<k>.json`, k = 0, 1000, 2000, ... (1000 poems per file, in the
order of the collection). The collection stores them in traditional characters; this script
converts them to simplified characters with OpenCC's `t2s` configuration (pinned in
requirements.txt), because the Chinese book is written in simplified characters.

Deterministic format of the output (UTF-8, `\n` line ends, no BOM):

    title
    first line of the body
    ...
    last line of the body
    <empty line>
    next title
    ...

i.e. each poem is its title on one line, then each element of its `paragraphs` list on its own
line, and poems are separated by one empty line; the file ends with the last poem's last line
and one `\n`. The author is not kept.

Cleaning, in this order, for the title and each paragraph of a poem:

1. drop the editors' variant readings, a parenthesis `（…）` without nested parentheses
   (e.g. `客舟（一作「行」）疾` -> `客舟疾`);
2. drop the square brackets `[` `]` that mark a character supplied by the editors, keeping the
   character (`[爽]节` -> `爽节`);
3. strip spaces at both ends and turn inner runs of spaces or tabs into one space (titles like
   `帝京篇十首 一` keep their space).

Then the whole poem is dropped if any line (title or body) still holds a character that is
neither a CJK ideograph (Unified Ideographs, Extension A-F, Compatibility Ideographs and their
supplement) nor one of the punctuation marks `，。、：；？！「」『』《》·` or the space
(this removes poems with missing characters `□`, the collection's ideograph-description markup
`{…/…}`, numbered notes `〖1〗`, digits, Latin letters, unbalanced parentheses), or if its title
or body is empty.

Poems are taken in the collection's order (files by increasing k, poems in file order) for as
long as the output stays within MAX_BYTES bytes; the first poem that would exceed it ends the
selection.

Usage (from the repository root, with a clone of the collection; the commit is read with
`git show`, so the working tree of the clone does not matter):

    pip install -r tools/corpus/requirements.txt
    python3 tools/corpus/tang_poems.py --git-dir PATH/TO/chinese-poetry/.git \
        --commit 99ebbef7e1345c0985c44b9fd96a3f9e776f117b --out book/data/tang-poems/input.txt

It prints the counts that book/data/tang-poems/SOURCE.md records.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

import opencc

MAX_BYTES = 5_000_000
FILE_STEP = 1000
LAST_FILE = 57000
PUNCTUATION = set("，。、：；？！「」『』《》· ")

VARIANT = re.compile(r"（[^（）]*）")
SPACES = re.compile(r"[ \t]+")


def is_ideograph(c):
    o = ord(c)
    return (
        0x4E00 <= o <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= o <= 0x4DBF  # Extension A
        or 0x20000 <= o <= 0x2EBEF  # Extensions B-F
        or 0xF900 <= o <= 0xFAFF  # Compatibility Ideographs
        or 0x2F800 <= o <= 0x2FA1F  # Compatibility Ideographs Supplement
    )


def clean_line(s):
    s = VARIANT.sub("", s)
    s = s.replace("[", "").replace("]", "")
    return SPACES.sub(" ", s).strip()


def acceptable(line):
    return all(is_ideograph(c) or c in PUNCTUATION for c in line)


def git_show(git_dir, commit, path):
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir", required=True, help="git directory of a chinese-poetry clone")
    ap.add_argument("--commit", required=True, help="commit of the collection to read")
    ap.add_argument("--out", required=True, help="output file")
    args = ap.parse_args()

    t2s = opencc.OpenCC("t2s")
    poems = []
    size = 0
    seen = kept = dropped = 0
    last_path = None
    full = False
    for k in range(0, LAST_FILE + 1, FILE_STEP):
        path = f"全唐诗/poet.tang.{k}.json"
        for p in json.loads(git_show(args.git_dir, args.commit, path)):
            seen += 1
            title = clean_line(p["title"])
            body = [clean_line(x) for x in p["paragraphs"]]
            body = [x for x in body if x]
            lines = [title] + body
            if not title or not body or not all(acceptable(x) for x in lines):
                dropped += 1
                continue
            text = "\n".join(t2s.convert(x) for x in lines) + "\n"
            extra = len(text.encode("utf-8")) + (1 if poems else 0)
            if size + extra > MAX_BYTES:
                full = True
                break
            poems.append(text)
            size += extra
            kept += 1
            last_path = path
        if full:
            break

    out = "\n".join(poems)
    data = out.encode("utf-8")
    assert len(data) == size <= MAX_BYTES
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)

    print(f"opencc {opencc.__version__ if hasattr(opencc, '__version__') else '?'} (t2s)")
    print(f"poems read {seen}, dropped by the cleaning rule {dropped}, kept {kept}")
    print(f"last file read: {last_path}")
    print(f"bytes {len(data)}, characters {len(out)}, distinct characters {len(set(out))}")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    sys.exit(main())
