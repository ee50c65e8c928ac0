#!/usr/bin/env python3
"""Re-checks every fixture under tests/data/models/ with transformers: the stored logits and greedy
tokens must reproduce from the stored checkpoint, and the files must follow the documented format.

  .venv/bin/python tools/model_fixtures/check_fixtures.py [--only NAME ...]
Exit status 1 if any fixture fails.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import torch
import transformers
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference as hf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOT = os.path.join(REPO, "tests", "data", "models")
F32_TOL = 1e-5   # same versions, same thread count: expected to be bit-identical
BF16_TOL = 1e-2  # headroom only for a different CPU / thread count


def IndependentDequant(path):
    """FP8 dequant written separately from fixture_io (numpy, explicit block index per element)."""
    out = {}
    with safe_open(path, "pt") as f:
        names = list(f.keys())
        for name in names:
            if name.endswith("_scale_inv"):
                continue
            t = f.get_tensor(name)
            if t.dtype != torch.float8_e4m3fn:
                out[name] = t.to(torch.float32)
                continue
            scale = f.get_tensor(name + "_scale_inv").numpy()
            q = t.to(torch.float32).numpy()
            rows, cols = q.shape
            if scale.shape != (-(-rows // 128), -(-cols // 128)):
                raise ValueError(f"{name}_scale_inv: shape {scale.shape} for weight {q.shape}")
            r_idx = np.arange(rows)[:, None] // 128
            c_idx = np.arange(cols)[None, :] // 128
            out[name] = torch.from_numpy((q * scale[r_idx, c_idx]).astype(np.float32))
    return out


def CheckLayout(fixture_dir, cfg):
    """Names as real checkpoints store them: per-expert experts, no fused 3-D tensors."""
    problems = []
    with safe_open(os.path.join(fixture_dir, "model.safetensors"), "pt") as f:
        names = list(f.keys())
        meta = f.metadata()
        for n in names:
            if n.endswith("experts.gate_up_proj") or n.endswith("experts.down_proj"):
                problems.append(f"fused expert tensor {n}")
            if n.endswith("_scale_inv") and n[:-len("_scale_inv")] not in names:
                problems.append(f"orphan scale {n}")
    if meta != {"format": "pt"}:
        problems.append(f"metadata {meta}")
    if cfg.get("tie_word_embeddings") and "lm_head.weight" in names:
        problems.append("tied model stores lm_head.weight")
    if not cfg.get("tie_word_embeddings") and "lm_head.weight" not in names:
        problems.append("untied model lacks lm_head.weight")
    if cfg.get("n_routed_experts"):
        expected = cfg["n_routed_experts"] * 3 * (cfg["num_hidden_layers"] - cfg["first_k_dense_replace"])
        got = len([n for n in names if re.search(r"mlp\.experts\.\d+\.\w+_proj\.weight$", n)
                   and int(n.split(".")[2]) < cfg["num_hidden_layers"]])
        if got != expected:
            problems.append(f"{got} per-expert tensors, expected {expected}")
    return problems


def HfFp8LoaderDiff(fixture_dir, ids, f32_ref):
    """Informational: transformers' own CPU FP8 path (dequantize=True) vs the stored reference."""
    try:
        import accelerate  # noqa: F401
    except ImportError:
        return "accelerate not installed"
    model = transformers.AutoModelForCausalLM.from_pretrained(
        fixture_dir, dtype=torch.float32, attn_implementation="eager",
        experts_implementation="eager")
    return f"{float((hf.FullLogits(model, ids) - f32_ref).abs().max()):.3g}"


def CheckOne(name):
    d = os.path.join(ROOT, name)
    with open(os.path.join(d, "expected.json")) as f:
        exp = json.load(f)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    ref = load_file(os.path.join(d, "expected.safetensors"))
    n_layers = cfg["num_hidden_layers"]
    problems = CheckLayout(d, cfg)
    versions = hf.Versions()
    for k in ("transformers", "torch"):
        if exp["generator"][k] != versions[k]:
            problems.append(f"made with {k} {exp['generator'][k]}, checking with {versions[k]}")
    if set(exp["tensors"]) != set(ref):
        problems.append("expected.json 'tensors' does not list expected.safetensors")
    eff = IndependentDequant(os.path.join(d, "model.safetensors")) if "quantization_config" in cfg else None
    worst = {"f32": 0.0, "bf16": 0.0, "gen": 0.0}
    tokens_ok = True
    extra = ""
    with hf.ReferenceDir(d, eff) as ref_dir:
        for i, ids in enumerate(exp["prompts"]):
            f32 = hf.FullLogits(hf.LoadModel(ref_dir, torch.float32, n_layers), ids)
            b16 = hf.FullLogits(hf.LoadModel(ref_dir, torch.bfloat16, n_layers), ids)
            toks, gen = hf.Greedy(hf.LoadModel(ref_dir, torch.float32, n_layers), ids,
                                  exp["max_new_tokens"])
            worst["f32"] = max(worst["f32"], float((f32 - ref[f"logits_f32.prompt{i}"]).abs().max()))
            worst["bf16"] = max(worst["bf16"], float((b16 - ref[f"logits_bf16.prompt{i}"]).abs().max()))
            worst["gen"] = max(worst["gen"], float((gen - ref[f"gen_logits_f32.prompt{i}"]).abs().max()))
            tokens_ok &= toks == exp["greedy_tokens"][i]
        if "quantization_config" in cfg:
            extra = "hf-fp8-loader diff " + HfFp8LoaderDiff(d, exp["prompts"][-1], ref["logits_f32.prompt2"])
    if worst["f32"] > F32_TOL or worst["gen"] > F32_TOL:
        problems.append(f"f32 logits differ by {max(worst['f32'], worst['gen']):.3g}")
    if worst["bf16"] > BF16_TOL:
        problems.append(f"bf16 logits differ by {worst['bf16']:.3g}")
    if not tokens_ok:
        problems.append("greedy tokens differ")
    return worst, tokens_ok, problems, extra


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    names = sorted(n for n in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, n, "expected.json")))
    if args.only:
        names = [n for n in names if n in args.only]
    failed = 0
    print(f"{'fixture':<20} {'f32 maxdiff':>11} {'gen maxdiff':>11} {'bf16 maxdiff':>12} {'greedy':>6}  result")
    for name in names:
        worst, tokens_ok, problems, extra = CheckOne(name)
        failed += bool(problems)
        print(f"{name:<20} {worst['f32']:>11.3g} {worst['gen']:>11.3g} {worst['bf16']:>12.3g} "
              f"{'same' if tokens_ok else 'DIFF':>6}  {'FAIL: ' + '; '.join(problems) if problems else 'ok'}"
              f"{'  (' + extra + ')' if extra else ''}", flush=True)
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
