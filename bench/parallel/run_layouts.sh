#!/usr/bin/env bash
# Runs `dsinfer bench` for each parallel layout on one model and prints a markdown table for
# BENCHMARKS.md (one row per layout; per-rank weights as a share of the single-process figure).
# Usage: bench/parallel/run_layouts.sh BUILD_DIR MODEL_DIR [bench options...]
#   e.g. bench/parallel/run_layouts.sh build models/dsv3-tiny-en-zh --batch 4 --prompt-len 128
# Environment: LAYOUTS (default below), MPIRUN (default: mpirun as root, oversubscribed).
set -euo pipefail
build=${1:?usage: run_layouts.sh BUILD_DIR MODEL_DIR [bench options]}
model=${2:?usage: run_layouts.sh BUILD_DIR MODEL_DIR [bench options]}
shift 2
dsinfer=$build/apps/dsinfer
mpirun=${MPIRUN:-mpirun --allow-run-as-root --oversubscribe --mca mpi_yield_when_idle 1}
layouts=${LAYOUTS:-"1:--tp=1 2:--tp=2 2:--pp=2 2:--dp=2 2:--tp=2,--ep=1 4:--tp=2,--pp=2"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "| layout | ranks | prefill tok/s (median, range) | decode tok/s (median, range) | weights per rank (x single) | collectives (% of step) | pipeline bubble (% of step) |"
echo "|---|---|---|---|---|---|---|"
i=0
for entry in $layouts; do
  np=${entry%%:*}
  flags=${entry#*:}
  flags=${flags//,/ }
  flags=${flags//=/ }
  json=$out/$i.json
  # shellcheck disable=SC2086
  if [ "$np" = 1 ]; then
    "$dsinfer" bench "$model" $flags --json "$json" "$@" >&2
  else
    $mpirun -np "$np" "$dsinfer" bench "$model" $flags --json "$json" "$@" >&2
  fi
  python3 - "$json" "$np" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
l = j["layout"]
name = f"tp={l['tp']} pp={l['pp']} dp={l['dp']} ep={l['ep']}"
if l["pp"] > 1:
    name += f", {j['micro_batches']} micro-batches, {j['groups_in_flight']} groups in flight"
p, d = j["prefill_tok_s"], j["decode_tok_s"]
ranks = j["ranks"]
w = ", ".join(f"{r['weight_share_of_single']:.3f}" for r in ranks)
c = ", ".join(f"{100 * r['collective_s'] / max(r['step_s'], 1e-12):.0f}" for r in ranks)
b = ", ".join(f"{100 * r['bubble']:.0f}" for r in ranks)
print(f"| {name} | {sys.argv[2]} | {p['median']:.1f} ({p['min']:.1f}-{p['max']:.1f}) | "
      f"{d['median']:.1f} ({d['min']:.1f}-{d['max']:.1f}) | {w} | {c} | {b} |")
PY
  i=$((i + 1))
done
