#!/usr/bin/env bash
# Rebuilds models/dsv3-tiny-en-zh/ from scratch: Debian text packages -> corpus -> BPE tokenizer ->
# training (time-budgeted, resumable) -> BF16 export + held-out perplexity + samples -> the
# transformers reference fixture in tests/data/models/shipped_dsv3-tiny-en-zh/.
# Usage (as root, from anywhere): tools/train_small_model/reproduce.sh
# Env: MINUTES (training budget, default 60), WORK (scratch dir, default tools/train_small_model/work),
#      PY (python with requirements.txt installed, default .venv/bin/python), V3_DIR (DeepSeek-V3
#      tokenizer.json + tokenizer_config.json), SKIP_APT=1, SKIP_PIP=1.
# Re-running resumes: corpus/tokenizer/token files are reused if present, training continues from
# WORK/run/ckpt.pt until MINUTES of training time are reached. Delete WORK for a fresh run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
NAME=dsv3-tiny-en-zh
PY="${PY:-$REPO/.venv/bin/python}"
WORK="${WORK:-$HERE/work}"
MINUTES="${MINUTES:-60}"
if [[ -z "${V3_DIR:-}" ]]; then
  V3_DIR="$REPO/tests/data/tokenizer/deepseek-v3"
  [[ -f "$V3_DIR/tokenizer.json" ]] || V3_DIR="$REPO/../shared/data/deepseek-v3-tokenizer"
fi
[[ -f "$V3_DIR/tokenizer.json" ]] || { echo "reproduce.sh: no DeepSeek-V3 tokenizer.json in $V3_DIR" >&2; exit 1; }

if [[ "${SKIP_APT:-0}" != 1 ]]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    linux-doc-6.1 python3.11-doc manpages-zh debian-reference-zh-cn fortunes-zh
fi
[[ "${SKIP_PIP:-0}" == 1 ]] || "$PY" -m pip install -q -r "$HERE/requirements.txt"

cd "$HERE"
T0=$(date +%s)
[[ -f "$WORK/corpus/train.jsonl" ]] || "$PY" make_corpus.py --out "$WORK/corpus"
[[ -f "$WORK/tokenizer/tokenizer.json" ]] || \
  "$PY" train_tokenizer.py --corpus "$WORK/corpus/train.jsonl" --v3-dir "$V3_DIR" \
    --out "$WORK/tokenizer" --vocab-size 12000
mkdir -p "$WORK/run"
"$PY" train.py --corpus "$WORK/corpus" --tokenizer "$WORK/tokenizer" --work "$WORK/run" \
  --max-minutes "$MINUTES" 2>&1 | tee -a "$WORK/run/train.log" | grep -v -i warning
"$PY" export.py --work "$WORK/run" --corpus "$WORK/corpus" --tokenizer "$WORK/tokenizer" \
  --out "$REPO/models/$NAME"
cp "$WORK/corpus/manifest.json" "$REPO/models/$NAME/corpus_manifest.json"
"$PY" make_fixture.py --name "$NAME"
echo "reproduce.sh: done in $(( ($(date +%s) - T0) / 60 )) min; see models/$NAME/eval.json"
