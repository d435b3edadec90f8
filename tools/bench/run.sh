#!/usr/bin/env bash
# One benchmark sitting: PyTorch's side (tools/bench/loss_torch.py, needs `pip install -r
# tools/golden/requirements.txt`), then `cargo bench --bench loss`, which prints the ratios and
# writes the record the book's Performance page is generated from. Run on an idle machine
# (`uptime`: load well below the number of cores); both sides use 2 threads.
#   tools/bench/run.sh            # the full record, book/data/performance.json
#   then: cargo run -- book generate   (or cargo test, which checks the page is up to date)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 tools/bench/loss_torch.py --out target/torch-bench.json
echo "load between: $(cut -d' ' -f1-3 /proc/loadavg)"
RAYON_NUM_THREADS=2 CE_MLE_TORCH_BENCH="$PWD/target/torch-bench.json" \
  CE_MLE_BENCH_RECORD="$PWD/book/data/performance.json" \
  CE_MLE_RUSTC_VERSION="$(rustc --version)" CE_MLE_BENCH_DATE="$(date -u +%F)" \
  cargo bench --bench loss "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
