#!/usr/bin/env python3
"""Encode throughput of PyPI `tokenizers` on the same corpus, single thread.

Modes: "lines" = tokenizer.encode(text, add_special_tokens=False) per record (what
tokenizer_bench.cpp does); "batch" = tokenizer.encode_batch(all records) with Rayon limited to
one thread. Records are decoded with errors="replace" first (HF takes str; that decoding is done
before timing). Prints JSON lines like tokenizer_bench.
  RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python bench_hf.py MODEL_DIR CORPUS.bin [REPEATS]
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("RAYON_RS_NUM_CPUS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402  (after the thread settings)
from tokenizers import Tokenizer  # noqa: E402


def read_corpus(path):
    data = open(path, "rb").read()
    pos, records = data.index(b"\n") + 1, []
    while pos < len(data):
        nl = data.index(b"\n", pos)
        n = int(data[pos:nl])
        records.append(data[nl + 1:nl + 1 + n])
        pos = nl + 1 + n + 1
    return records


def main():
    model_dir, corpus = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    t0 = time.perf_counter()
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    load_s = time.perf_counter() - t0
    records = read_corpus(corpus)
    texts = [r.decode("utf-8", errors="replace") for r in records]
    nbytes = sum(len(r) for r in records)
    print(json.dumps({"impl": "hf", "version": tokenizers.__version__, "load_s": round(load_s, 3),
                      "records": len(records), "bytes": nbytes}))
    for mode in ("lines", "batch"):
        mbps, tps = [], []
        for rep in range(repeats + 1):  # rep 0: cold cache
            t0 = time.perf_counter()
            if mode == "lines":
                ntok = sum(len(tok.encode(t, add_special_tokens=False).ids) for t in texts)
            else:
                ntok = sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
            s = time.perf_counter() - t0
            print(json.dumps({"impl": "hf", "mode": mode, "rep": rep, "seconds": round(s, 4),
                              "MB_per_s": round(nbytes / s / 1e6, 2),
                              "tokens_per_s": round(ntok / s), "tokens": ntok}))
            if rep > 0:
                mbps.append(nbytes / s / 1e6)
                tps.append(ntok / s)
        print(json.dumps({"impl": "hf", "mode": mode, "summary": True,
                          "MB_per_s_median": round(statistics.median(mbps), 2),
                          "MB_per_s_min": round(min(mbps), 2), "MB_per_s_max": round(max(mbps), 2),
                          "tokens_per_s_median": round(statistics.median(tps))}))


if __name__ == "__main__":
    main()
