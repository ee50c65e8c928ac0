#!/usr/bin/env bash
# Runs the C++ and the PyPI tokenizers benchmarks alternately (ROUNDS times each, so that load on
# the shared machine hits both alike) and prints every JSON line. Usage, from the repo root:
#   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DDSI_BUILD_BENCH=ON
#   ninja -C build-bench tokenizer_bench
#   bench/tokenizer/run_bench.sh build-bench [ROUNDS] [REPEATS]
set -euo pipefail
BUILD=${1:-build-bench}
ROUNDS=${2:-3}
REPEATS=${3:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=$ROOT/tests/data/tokenizer/corpus.bin
export RAYON_NUM_THREADS=1 RAYON_RS_NUM_CPUS=1 TOKENIZERS_PARALLELISM=false
for model in deepseek-v3 qwen2-style; do
  DIR=$ROOT/tests/data/tokenizer/$model
  for ((r = 1; r <= ROUNDS; r++)); do
    echo "# model=$model round=$r"
    taskset -c 0 "$ROOT/$BUILD/bench/tokenizer/tokenizer_bench" "$DIR" "$CORPUS" "$REPEATS"
    taskset -c 0 "$ROOT/.venv/bin/python" "$ROOT/bench/tokenizer/bench_hf.py" "$DIR" "$CORPUS" "$REPEATS"
  done
done
