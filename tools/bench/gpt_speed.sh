#!/usr/bin/env bash
# One sitting of the GPT speed comparison: nanoGPT's CPU recipe (4 layers, 4 heads, width 128,
# context 64, batch 12, AdamW, clipping) for ITERS training iterations, PyTorch on the CPU
# (tools/bench/gpt_torch.py, torch.set_num_threads(2), float32, no torch.compile) and then
# `ce-mle lm train --threads 2` (release build), one after the other on an idle machine.
# Writes book/data/gpt/speed.json (both figures, their ratio, the loads, the machine).
#   tools/bench/gpt_speed.sh             # ITERS=200 by default
# Needs PyTorch (pip install -r tools/golden/requirements.txt); CI does not run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ITERS=${ITERS:-200}
mkdir -p target
cargo build --release -q -p ce-mle-book --bin ce-mle
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
python3 tools/bench/gpt_torch.py --threads 2 --iters "$ITERS" --warmup 10 --json > target/gpt-speed-torch.json
target/release/ce-mle lm train --threads 2 --max-iters "$ITERS" --warmup-iters 10 \
  --eval-interval 100000 --eval-iters 1 --out target/gpt-speed.safetensors \
  --record target/gpt-speed-ours.json > /dev/null
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" ITERS="$ITERS" python3 - <<'PY'
import datetime, json, os
torch = json.load(open("target/gpt-speed-torch.json"))
ours = json.load(open("target/gpt-speed-ours.json"))
out = {
    "command": "ITERS=%s tools/bench/gpt_speed.sh" % os.environ["ITERS"],
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
    "what": "nanoGPT's CPU recipe (4 layers, 4 heads, n_embd 128, block_size 64, batch 12): "
            "wall-clock time per training iteration (forward, backward, clipping, AdamW; "
            "evaluation excluded), float32, 2 threads each, one after the other",
    "iters": int(os.environ["ITERS"]),
    "machine": ours["machine"],
    "load": {"before": os.environ["LOAD_BEFORE"], "after": os.environ["LOAD_AFTER"]},
    "pytorch": {
        "torch": torch["torch"], "threads": torch["threads"],
        "ms_per_iter": torch["ms_per_iter"], "tokens_per_s": torch["tokens_per_s"],
        "warmup_iters_excluded": 10,
    },
    "ce_mle": {
        "rustc": ours["rustc"], "commit": ours["commit"], "threads": ours["threads"],
        "ms_per_iter": ours["ms_per_iter"], "tokens_per_s": ours["tokens_per_s"],
    },
    "time_ratio_ce_mle_over_pytorch": ours["ms_per_iter"] / torch["ms_per_iter"],
}
with open("book/data/gpt/speed.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(json.dumps(out, indent=1))
PY
