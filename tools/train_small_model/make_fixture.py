#!/usr/bin/env python3
"""transformers reference logits for the shipped model models/<name>/ (no weights copied).

Writes tests/data/models/shipped_<name>/expected.json + expected.safetensors in the format of
tests/data/models/README.md (same keys and tensor names), computed with the helpers of
tools/model_fixtures/ (eager attention, eager experts, fp32 and bf16 runs, 16 greedy tokens with
EOS ignored). Prompts are real text (English, Chinese, a chat-template prompt) encoded with the
shipped tokenizer, BOS first; candidates whose greedy steps have a top-1/top-2 logit gap < 0.02, or
a router decision margin < 1e-3, or different experts in the bf16 run, are skipped.
expected.json adds `model_dir` (repo-relative), `model_safetensors_sha256`, `prompt_texts`.
"""
import argparse
import hashlib
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools", "model_fixtures"))
import hf_reference as hf  # noqa: E402
import probes  # noqa: E402

MAX_NEW = 16
# (kind, text): "text" = BOS + encode(text); "chat" = chat template with one user turn.
CANDIDATES = [
    ("text", "The kernel"),
    ("text", "系统中的物理内存"),
    ("chat", "什么是进程？"),
    ("text", "In Python, a list is"),
    ("text", "内核模块"),
    ("chat", "What is a file system?"),
    ("text", "This document describes"),
    ("text", "本文档介绍"),
]


def encode(tok, kind, text):
    if kind == "chat":
        ids = tok.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                      tokenize=True, return_dict=False)
        ids = ids["input_ids"] if isinstance(ids, dict) else ids
        return list(ids)
    return [0] + tok.encode(text, add_special_tokens=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="dsv3-tiny-en-zh")
    ap.add_argument("--count", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model_rel = f"models/{args.name}"
    model_dir = os.path.join(REPO, model_rel)
    out_dir = os.path.join(REPO, "tests", "data", "models", f"shipped_{args.name}")
    os.makedirs(out_dir, exist_ok=True)

    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    n_layers, vocab = cfg["num_hidden_layers"], cfg["vocab_size"]

    m32 = hf.LoadModel(model_dir, torch.float32, n_layers)
    m16 = hf.LoadModel(model_dir, torch.bfloat16, n_layers)
    chosen, tensors, rejected = [], {}, []
    for kind, text in CANDIDATES:
        if len(chosen) == args.count:
            break
        ids = encode(tok, kind, text)
        toks, step_logits = hf.Greedy(m32, ids, MAX_NEW)
        margins = hf.Margins(step_logits)
        exp32, gap = probes.Routing(m32, ids)
        exp16, _ = probes.Routing(m16, ids)
        same = torch.ones(len(ids), dtype=torch.uint8)
        for a, b in zip(exp32, exp16):
            same &= (a == b).all(-1).to(torch.uint8)
        if min(margins) < 0.02 or float(gap.min()) < 1e-3 or not bool(same.all()):
            rejected.append({"kind": kind, "text": text, "greedy_min_margin": min(margins),
                             "router_min_gap": float(gap.min()), "bf16_same_experts": bool(same.all())})
            continue
        i = len(chosen)
        full32 = hf.FullLogits(m32, ids)
        full16 = hf.FullLogits(m16, ids)
        tensors[f"logits_f32.prompt{i}"] = full32
        tensors[f"logits_bf16.prompt{i}"] = full16
        tensors[f"gen_logits_f32.prompt{i}"] = step_logits
        tensors[f"router_gap_f32.prompt{i}"] = gap.float()
        tensors[f"bf16_same_experts.prompt{i}"] = same
        chosen.append({"kind": kind, "text": text, "ids": ids, "greedy": toks,
                       "margin": min(margins),
                       "prefill_diff": float((step_logits[0] - full32[-1]).abs().max()),
                       "bf16_diff": float((full16 - full32).abs().max()),
                       "max_abs": float(full32.abs().max()),
                       "decoded": tok.decode(toks)})
    if len(chosen) < args.count:
        sys.exit(f"make_fixture: only {len(chosen)} prompts passed the margin checks: {rejected}")

    with open(os.path.join(model_dir, "model.safetensors"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out_dir, "expected.safetensors"),
              metadata={"format": "pt"})
    os.chmod(os.path.join(out_dir, "expected.safetensors"), 0o644)
    expected = {
        "format_version": 1,
        "fixture": f"shipped_{args.name}",
        "architecture": cfg["architectures"][0],
        "model_dir": model_rel,
        "model_safetensors_sha256": sha,
        "generator": dict(hf.Versions(), script="tools/train_small_model/make_fixture.py",
                          weight_seed=None, torch_num_threads=1),
        "attn_implementation": hf.ATTN_IMPLEMENTATION,
        "experts_implementation": hf.EXPERTS_IMPLEMENTATION,
        "weights_on_disk": "BF16 (e_score_correction_bias F32)",
        "config_style": "transformers5",
        "reference_dtype": "float32",
        "vocab_size": vocab,
        "prompt_texts": [{"kind": c["kind"], "text": c["text"]} for c in chosen],
        "prompts": [c["ids"] for c in chosen],
        "max_new_tokens": MAX_NEW,
        "greedy_tokens": [c["greedy"] for c in chosen],
        "greedy_text": [c["decoded"] for c in chosen],
        "greedy_min_margin": [c["margin"] for c in chosen],
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
        "stats": {"max_abs_logit_f32": max(c["max_abs"] for c in chosen),
                  "bf16_vs_f32_max_abs_diff": max(c["bf16_diff"] for c in chosen),
                  "prefill_vs_full_forward_last_max_abs_diff": max(c["prefill_diff"] for c in chosen)},
        "hf_facts": hf.ModelFacts(m32),
        "bf16_run": probes.Bf16RunFacts(m16),
        "rejected_candidates": rejected,
        "notes": ("Trained model shipped in models/; weights are not copied here. Prompts start with "
                  "BOS id 0 (chat prompts: the template emits it). transformers 5.24 loads this "
                  "tokenizer as TokenizersBackend, whose encode() does not add BOS."),
    }
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    for c in chosen:
        print(f"make_fixture: {c['kind']} {c['text']!r}: {len(c['ids'])} ids, margin {c['margin']:.3f}, "
              f"greedy {c['decoded']!r}")
    print(f"make_fixture: wrote {out_dir} (rejected {len(rejected)} candidates)")


if __name__ == "__main__":
    main()
