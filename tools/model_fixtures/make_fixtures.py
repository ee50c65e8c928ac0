#!/usr/bin/env python3
"""Builds the tiny random-weight model fixtures under tests/data/models/ with transformers.

One command:  .venv/bin/python tools/model_fixtures/make_fixtures.py [--only NAME ...]
Deterministic: weights and prompts come from per-fixture seeds, torch runs on 1 CPU thread.
Format: tests/data/models/README.md.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile

import torch
import transformers
from transformers import AutoConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402
import hf_reference as hf  # noqa: E402
import probes  # noqa: E402
import specs  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_ROOT = os.path.join(REPO, "tests", "data", "models")
FORMAT_VERSION = 1


def DumpJson(obj):
    """Indented JSON with every list of scalars kept on one line (prompts, token lists)."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[[^\[\]{}]*\]", lambda m: " ".join(m.group(0).split()), text)


def WriteConfig(spec, out_dir):
    """config.json in the spec's style, generation_config.json; returns the config dict on disk."""
    cfg = dict(spec["config"])
    cfg.setdefault("torch_dtype", specs.TorchDtypeName(spec))
    cfg["transformers_version"] = hf.Versions()["transformers"]
    path = os.path.join(out_dir, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    if spec["config_style"] == "transformers5":
        # Let transformers itself write it: `rope_parameters`, `dtype`, no top-level rope_theta.
        AutoConfig.from_pretrained(out_dir).save_pretrained(out_dir)
    gen = {"bos_token_id": cfg["bos_token_id"], "eos_token_id": cfg["eos_token_id"],
           "do_sample": False, "transformers_version": cfg["transformers_version"]}
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
    with open(path) as f:
        return json.load(f)


def DiskNamesWrittenByTransformers(out_dir):
    """Tensor names transformers' own save_pretrained writes for this config (per-expert check)."""
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(out_dir))
    tmp = tempfile.mkdtemp(prefix="fixture_sp_")
    try:
        model.save_pretrained(tmp)
        with safe_open(os.path.join(tmp, "model.safetensors"), "pt") as f:
            names = set(f.keys())
    finally:
        shutil.rmtree(tmp)
    return model, names


def _RoutingStable(ref_dir, num_layers, ids):
    """MoE only: every prompt position keeps a router gap >= MIN_ROUTER_GAP in the fp32 run and
    selects the same experts in the bf16 run, so bf16 comparisons are not dominated by flips."""
    m32 = hf.LoadModel(ref_dir, torch.float32, num_layers)
    if not probes.MoeGates(m32):
        return True
    experts32, gap = probes.Routing(m32, ids)
    experts16, _ = probes.Routing(hf.LoadModel(ref_dir, torch.bfloat16, num_layers), ids)
    same = all(bool((a == b).all()) for a, b in zip(experts32, experts16))
    return same and float(gap.min()) >= specs.MIN_ROUTER_GAP


def DrawPrompts(spec, vocab, ref_dir, num_layers):
    """Prompt ids of PROMPT_LENGTHS; a prompt is redrawn while a greedy step is a near-tie, the
    continuation is (nearly) one repeated token, or (MoE) its routing is fragile."""
    gen = torch.Generator().manual_seed(fixture_io.SeedFor(spec["name"]) ^ 0xBEEF)
    prompts, greedy, margins = [], [], []
    for length in specs.PROMPT_LENGTHS:
        for _ in range(200):
            ids = torch.randint(0, vocab, (length,), generator=gen).tolist()
            tokens, step_logits = hf.Greedy(hf.LoadModel(ref_dir, torch.float32, num_layers), ids,
                                            specs.MAX_NEW_TOKENS)
            m = min(hf.Margins(step_logits))
            if (m >= specs.MIN_GREEDY_MARGIN and len(set(tokens)) >= specs.MIN_DISTINCT_GREEDY
                    and _RoutingStable(ref_dir, num_layers, ids)):
                break
        else:
            raise RuntimeError(f"{spec['name']}: no acceptable prompt of length {length}")
        prompts.append(ids)
        greedy.append((tokens, step_logits))
        margins.append(m)
    return prompts, greedy, margins


def BuildOne(spec):
    name = spec["name"]
    out_dir = os.path.join(OUT_ROOT, name)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cfg = WriteConfig(spec, out_dir)
    tie = bool(cfg.get("tie_word_embeddings", False))
    num_layers = cfg["num_hidden_layers"]
    model, sp_names = DiskNamesWrittenByTransformers(out_dir)
    shapes = fixture_io.DiskShapesFromModel(model, tie)
    if set(shapes) != sp_names:
        raise RuntimeError(f"{name}: on-disk names differ from save_pretrained's: "
                           f"{sorted(set(shapes) ^ sp_names)[:10]}")
    if spec.get("mtp"):
        shapes.update(fixture_io.MtpShapes(shapes, num_layers, cfg["hidden_size"], cfg["vocab_size"]))
    seed = fixture_io.SeedFor(name)
    weights = fixture_io.RandomWeights(shapes, seed, embed_scale=0.5 if tie else 1.0,
                                       out_gain=3.0 if tie else 1.0)
    disk, effective = fixture_io.StoreAs(weights, spec["weights"], seed)
    fixture_io.WriteCheckpoint(os.path.join(out_dir, "model.safetensors"), disk)

    with hf.ReferenceDir(out_dir, effective) as ref_dir:
        m32 = hf.LoadModel(ref_dir, torch.float32, num_layers)
        load_diff = hf.StateDictMatches(m32, effective)
        if load_diff != 0.0:
            raise RuntimeError(f"{name}: loaded weights differ from the file by {load_diff}")
        facts = hf.ModelFacts(m32)
        prompts, greedy, margins = DrawPrompts(spec, cfg["vocab_size"], ref_dir, num_layers)
        tensors, stats = {}, {"max_abs_logit_f32": 0.0, "bf16_vs_f32_max_abs_diff": 0.0}
        for i, ids in enumerate(prompts):
            f32 = hf.FullLogits(hf.LoadModel(ref_dir, torch.float32, num_layers), ids)
            m16 = hf.LoadModel(ref_dir, torch.bfloat16, num_layers)
            b16 = hf.FullLogits(m16, ids)
            tensors[f"logits_f32.prompt{i}"] = f32
            tensors[f"logits_bf16.prompt{i}"] = b16
            tensors[f"gen_logits_f32.prompt{i}"] = greedy[i][1]
            if probes.MoeGates(m16):
                experts32, gap = probes.Routing(hf.LoadModel(ref_dir, torch.float32, num_layers), ids)
                experts16, _ = probes.Routing(m16, ids)
                same = torch.ones(len(ids), dtype=torch.uint8)
                for a, b in zip(experts32, experts16):
                    same &= (a == b).all(-1).to(torch.uint8)
                tensors[f"router_gap_f32.prompt{i}"] = gap.clamp(max=1e30).to(torch.float32)
                tensors[f"bf16_same_experts.prompt{i}"] = same
            if not torch.equal(greedy[i][1][0], f32[-1]):
                stats.setdefault("prefill_vs_full_forward_last_max_abs_diff", 0.0)
                stats["prefill_vs_full_forward_last_max_abs_diff"] = max(
                    stats["prefill_vs_full_forward_last_max_abs_diff"],
                    float((greedy[i][1][0] - f32[-1]).abs().max()))
            stats["max_abs_logit_f32"] = max(stats["max_abs_logit_f32"], float(f32.abs().max()))
            stats["bf16_vs_f32_max_abs_diff"] = max(stats["bf16_vs_f32_max_abs_diff"],
                                                    float((b16 - f32).abs().max()))
        bf16_facts = probes.Bf16RunFacts(m16)
        sanity = probes.Run(spec, cfg, ref_dir, num_layers, prompts, [g[0] for g in greedy])

    fixture_io.WriteCheckpoint(os.path.join(out_dir, "expected.safetensors"),
                               {k: v.contiguous() for k, v in tensors.items()})
    expected = {
        "format_version": FORMAT_VERSION,
        "fixture": name,
        "architecture": cfg["architectures"][0],
        "generator": dict(hf.Versions(), script="tools/model_fixtures/make_fixtures.py",
                          weight_seed=seed, torch_num_threads=torch.get_num_threads()),
        "attn_implementation": hf.ATTN_IMPLEMENTATION,
        "experts_implementation": hf.EXPERTS_IMPLEMENTATION,
        "weights_on_disk": {"float32": "F32", "bfloat16": "BF16",
                            "fp8": "F8_E4M3+weight_scale_inv(128x128)/BF16/F32"}[spec["weights"]],
        "config_style": spec["config_style"],
        "reference_dtype": "float32",
        "vocab_size": cfg["vocab_size"],
        "prompts": prompts,
        "max_new_tokens": specs.MAX_NEW_TOKENS,
        "greedy_tokens": [g[0] for g in greedy],
        "greedy_min_margin": margins,
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
        "stats": stats,
        "hf_facts": facts,
        "bf16_run": bf16_facts,
        "sanity": sanity,
    }
    if spec.get("notes"):
        expected["notes"] = spec["notes"]
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        f.write(DumpJson(expected) + "\n")
    params = sum(v.numel() for v in weights.values())
    sizes = {fn: os.path.getsize(os.path.join(out_dir, fn)) for fn in sorted(os.listdir(out_dir))}
    return name, params, sizes, stats, margins


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", help="fixture names to (re)build")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    rows = []
    for spec in specs.FIXTURES:
        if args.only and spec["name"] not in args.only:
            continue
        rows.append(BuildOne(spec))
        print(f"built {rows[-1][0]}", flush=True)
    print(f"\n{'name':<20} {'params':>8} {'model.st':>9} {'expect.st':>9} {'exp.json':>8} "
          f"{'total':>9} {'max|l|':>7} {'bf16-f32':>8} {'min margin':>10}")
    grand = 0
    for name, params, sizes, stats, margins in rows:
        total = sum(sizes.values())
        grand += total
        print(f"{name:<20} {params:>8} {sizes['model.safetensors']:>9} "
              f"{sizes['expected.safetensors']:>9} {sizes['expected.json']:>8} {total:>9} "
              f"{stats['max_abs_logit_f32']:>7.2f} {stats['bf16_vs_f32_max_abs_diff']:>8.4f} "
              f"{min(margins):>10.4f}")
    print(f"{'TOTAL':<20} {'':>8} {'':>9} {'':>9} {'':>8} {grand:>9} bytes "
          f"({grand / 2**20:.2f} MiB)")


if __name__ == "__main__":
    main()
