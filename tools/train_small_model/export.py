#!/usr/bin/env python3
"""Exports a train.py checkpoint as a Hugging Face DeepSeek-V3 model directory and evaluates it.

Writes into --out: config.json (transformers 5 save_pretrained style), model.safetensors (BF16,
per-expert tensor names as real V3 checkpoints; e_score_correction_bias F32 as in V3),
generation_config.json, tokenizer.json, tokenizer_config.json, heldout.txt (held-out corpus
chunks, never trained on), loss.csv, loss.png, eval.json (strided held-out perplexity of the
shipped weights, samples). README.md is hand-written from eval.json and loss.csv.
"""
import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BOS_ID, EOS_ID, PPL_CONTEXT, PPL_STRIDE, eval_perplexity, make_config, write_json  # noqa: E402

PROMPTS = [
    ("en", "The kernel"),
    ("en", "In Python, a list is"),
    ("zh", "内核"),
    ("zh", "系统中的物理内存"),
]
CHAT = [("en", "What is a process?"), ("zh", "什么是文件系统？")]


def export_weights(ckpt, out):
    from transformers import DeepseekV3ForCausalLM
    cfg = make_config(ckpt["config"]["vocab_size"])
    model = DeepseekV3ForCausalLM(cfg)
    model.load_state_dict(ckpt["model"])
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)   # fp32; transformers writes per-expert tensor names
        with open(os.path.join(tmp, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        tensors = {}
        with safe_open(os.path.join(tmp, "model.safetensors"), "pt") as f:
            for name in f.keys():
                t = f.get_tensor(name)
                tensors[name] = t.float() if name.endswith("e_score_correction_bias") else t.to(torch.bfloat16)
    assert any(".mlp.experts.0.gate_proj.weight" in n for n in tensors), "expected per-expert names"
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())},
              os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    os.chmod(os.path.join(out, "model.safetensors"), 0o644)  # save_file creates it 0600
    config["dtype"] = "bfloat16"
    for k in list(config):
        if k.startswith("_") and k != "_name_or_path":
            del config[k]
    config.pop("_name_or_path", None)
    write_json(os.path.join(out, "config.json"), config)
    import transformers
    write_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "do_sample": True, "temperature": 0.6,
        "top_p": 0.95, "transformers_version": transformers.__version__})
    return len(tensors), sum(v.numel() for v in tensors.values())


def write_heldout(corpus, out, max_bytes):
    """Held-out chunks in file order, alternating languages so both are present."""
    recs = [json.loads(line) for line in open(os.path.join(corpus, "heldout.jsonl"), encoding="utf-8")]
    zh = [r for r in recs if any("\u4e00" <= c <= "\u9fff" for c in r["text"][:200])]
    en = [r for r in recs if r not in zh]
    parts, size = [], 0
    for i in range(max(len(zh), len(en))):
        for lst in (en, zh):
            if i < len(lst):
                t = lst[i]["text"].strip()
                if size + len(t.encode()) + 2 > max_bytes:
                    continue
                parts.append(t)
                size += len(t.encode()) + 2
    text = "\n\n".join(parts) + "\n"
    with open(os.path.join(out, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    return len(parts), len(text.encode())


def plot_loss(csv_path, png):
    rows = list(csv.DictReader(open(csv_path)))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("export: matplotlib not installed, no loss.png")
        return
    tok = [int(r["tokens"]) / 1e6 for r in rows]
    tr = [float(r["train_loss"]) for r in rows]
    k = 10  # running mean over 10 steps
    sm = [sum(tr[max(0, i - k + 1):i + 1]) / len(tr[max(0, i - k + 1):i + 1]) for i in range(len(tr))]
    hv = [(int(r["tokens"]) / 1e6, float(r["heldout_loss"])) for r in rows if r["heldout_loss"]]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(tok, tr, color="#bbbbbb", lw=0.6, label="train loss (per step)")
    ax.plot(tok, sm, color="#1f77b4", lw=1.4, label="train loss (10-step mean)")
    if hv:
        ax.plot([a for a, _ in hv], [b for _, b in hv], "o-", color="#d62728", ms=3, label="held-out loss")
    ax.set_xlabel("training tokens (millions)")
    ax.set_ylabel("cross entropy (nats/token)")
    ax.set_title("dsv3-tiny-en-zh training")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)


def load_model(out, dtype):
    from transformers import AutoModelForCausalLM
    m = AutoModelForCausalLM.from_pretrained(out, dtype=dtype, attn_implementation="eager",
                                             experts_implementation="eager")
    m.eval()
    return m


def samples(out, model, tok, max_new):
    res = []
    for lang, p in PROMPTS:
        ids = [BOS_ID] + tok.encode(p, add_special_tokens=False)
        x = torch.tensor([ids])
        g = model.generate(x, do_sample=False, max_new_tokens=max_new, eos_token_id=None,
                           pad_token_id=EOS_ID)
        torch.manual_seed(0)
        s = model.generate(x, do_sample=True, temperature=0.8, top_p=0.95, max_new_tokens=max_new,
                           pad_token_id=EOS_ID)
        res.append({"lang": lang, "prompt": p,
                    "greedy": tok.decode(g[0, len(ids):].tolist(), skip_special_tokens=False),
                    "sampled_t0.8_p0.95_seed0": tok.decode(s[0, len(ids):].tolist(), skip_special_tokens=False)})
    for lang, q in CHAT:
        ids = tok.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True,
                                      tokenize=True, return_dict=False)
        if isinstance(ids, dict):
            ids = ids["input_ids"]
        x = torch.tensor([list(ids)])
        torch.manual_seed(0)
        s = model.generate(x, do_sample=True, temperature=0.8, top_p=0.95, max_new_tokens=max_new,
                           pad_token_id=EOS_ID)
        res.append({"lang": lang, "chat_user": q,
                    "sampled_t0.8_p0.95_seed0": tok.decode(s[0, x.shape[1]:].tolist(), skip_special_tokens=False)})
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, help="train.py work dir (ckpt.pt, loss.csv)")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--heldout-bytes", type=int, default=120_000)
    ap.add_argument("--max-new", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-bf16-ppl", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    ckpt = torch.load(os.path.join(args.work, "ckpt.pt"), weights_only=False)
    n_tensors, n_params = export_weights(ckpt, args.out)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(args.tokenizer, f), os.path.join(args.out, f))
    shutil.copy(os.path.join(args.work, "loss.csv"), os.path.join(args.out, "loss.csv"))
    plot_loss(os.path.join(args.out, "loss.csv"), os.path.join(args.out, "loss.png"))
    n_chunks, n_bytes = write_heldout(args.corpus, args.out, args.heldout_bytes)

    from transformers import AutoTokenizer
    from tokenizers import Tokenizer
    tok = AutoTokenizer.from_pretrained(args.out)
    raw = Tokenizer.from_file(os.path.join(args.out, "tokenizer.json"))
    text = open(os.path.join(args.out, "heldout.txt"), encoding="utf-8").read()
    ids = raw.encode(text, add_special_tokens=False).ids
    assert ids == tok.encode(text, add_special_tokens=False)

    def progress(e, n):
        if e == n or (e // PPL_STRIDE) % 40 == 0:
            print(f"  ppl: {e}/{n} tokens scored", flush=True)

    t0 = time.time()
    m32 = load_model(args.out, torch.float32)
    # Sanity: the reloaded model equals the checkpoint rounded to bf16.
    ppl32, nll32, n = eval_perplexity(m32, ids, progress=progress)
    print(f"\nexport: held-out ppl (fp32 compute, bf16 weights) {ppl32:.4f} over {n} tokens "
          f"({time.time() - t0:.0f} s)")
    res = {
        "model_params": n_params, "tensors": n_tensors,
        "train_steps": ckpt["step"], "train_tokens": ckpt["tokens"],
        "train_minutes": round(ckpt["elapsed"] / 60, 1), "train_args": ckpt["args"],
        "heldout_txt": {"chunks": n_chunks, "bytes": n_bytes, "tokens": n,
                        "chars": len(text)},
        "perplexity": {
            "procedure": (f"tokens = tokenizer.json encode(heldout.txt, no special tokens); windows of "
                          f"{PPL_CONTEXT} positions = [BOS] + up to {PPL_CONTEXT - 1} text tokens, "
                          f"start advanced by {PPL_STRIDE} text tokens; each text token scored once "
                          f"(in the first window that contains it), ids[0] predicted from BOS; "
                          f"ppl = exp(sum NLL / N)"),
            "context": PPL_CONTEXT, "stride": PPL_STRIDE, "bos_id": BOS_ID,
            "fp32_compute": ppl32, "fp32_total_nll": nll32, "scored_tokens": n,
        },
    }
    if not args.skip_bf16_ppl:
        m16 = load_model(args.out, torch.bfloat16)
        ppl16, nll16, _ = eval_perplexity(m16, ids, progress=progress)
        print(f"\nexport: held-out ppl (bf16 compute) {ppl16:.4f}")
        res["perplexity"]["bf16_compute"] = ppl16
        del m16
    res["samples"] = samples(args.out, m32, tok, args.max_new)
    for s in res["samples"]:
        print(json.dumps(s, ensure_ascii=False))
    import transformers
    import tokenizers
    import safetensors
    res["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                       "tokenizers": tokenizers.__version__, "safetensors": safetensors.__version__}
    write_json(os.path.join(args.out, "eval.json"), res)


if __name__ == "__main__":
    main()
