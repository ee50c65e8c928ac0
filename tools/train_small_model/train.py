#!/usr/bin/env python3
"""Trains the tiny DeepseekV3ForCausalLM (transformers) on the tokenized corpus, on CPU.

Resumable (checkpoint every --save-every steps and at the end, in --work/ckpt.pt) and
time-budgeted (--max-minutes counts training time across resumes). Implements DeepSeek-V3's
auxiliary-loss-free load balancing, which transformers' router only stores: after every optimizer
step each MoE layer's e_score_correction_bias[e] += gamma * sign(mean_load - load[e]), load =
number of (token, slot) assignments to expert e in that step. Logs loss.csv (train loss, lr,
tokens/s, held-out loss every --eval-every steps) and prints progress.

Learning rate: linear warmup over --warmup steps, constant, then linear decay to 10% over the
last --decay-frac of the run; "the run" is --max-minutes of training time (or --steps if given),
so the decay always happens before the budget ends whatever the machine's speed.
"""
import argparse
import csv
import math
import os
import sys
import time

# With the 2 cores oversubscribed by other jobs, OpenMP's default spin-waiting made 2 threads ~10x
# slower than 1 (measured); passive waiting must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_tokens, make_config, tokenize_jsonl  # noqa: E402


class BiasBalancer:
    """Aux-loss-free balancing (DeepSeek-V3 §2.1.2): counts expert load via forward hooks on every
    DeepseekV3TopkRouter and nudges e_score_correction_bias by ±gamma after each step."""

    def __init__(self, model, gamma):
        from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3TopkRouter
        self.gamma = gamma
        self.routers = [m for m in model.modules() if isinstance(m, DeepseekV3TopkRouter)]
        self.counts = [torch.zeros(r.num_experts, dtype=torch.float64) for r in self.routers]
        self.enabled = True
        for i, r in enumerate(self.routers):
            r.register_forward_hook(self._hook(i))

    def _hook(self, i):
        def hook(module, inputs, output):
            if self.enabled:
                idx = output[2].detach().reshape(-1)
                self.counts[i] += torch.bincount(idx, minlength=module.num_experts).double()
        return hook

    @torch.no_grad()
    def step(self):
        """Applies the bias update; returns the max over layers of max_load/mean_load."""
        worst = 0.0
        for r, c in zip(self.routers, self.counts):
            mean = c.mean()
            if mean > 0:
                worst = max(worst, (c.max() / mean).item())
                r.e_score_correction_bias += self.gamma * torch.sign(mean - c).float()
            c.zero_()
        return worst


def lr_at(args, step, frac):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    start = 1.0 - args.decay_frac
    if frac <= start:
        return args.lr
    return args.lr * (1.0 - (1.0 - args.min_lr_frac) * min(1.0, (frac - start) / args.decay_frac))


def batch_at(data, seed, step, batch, seq):
    """Seeded random windows of seq+1 tokens; depends only on (seed, step) so resumes agree."""
    g = np.random.default_rng([seed, step])
    starts = g.integers(0, len(data) - seq - 1, size=batch)
    w = np.stack([data[s:s + seq + 1] for s in starts])
    t = torch.from_numpy(w)
    return t[:, :-1].contiguous(), t[:, 1:].contiguous()


@torch.no_grad()
def eval_loss(model, data, seq, windows):
    """Mean next-token loss over `windows` evenly spaced held-out windows (all positions)."""
    model.eval()
    n = len(data) - seq - 1
    tot, cnt = 0.0, 0
    for s in np.linspace(0, n, windows).astype(np.int64):
        w = torch.from_numpy(data[s:s + seq + 1]).unsqueeze(0)
        logits = model(input_ids=w[:, :-1], use_cache=False).logits.float()
        tot += torch.nn.functional.cross_entropy(logits[0], w[0, 1:], reduction="sum").item()
        cnt += seq
    model.train()
    return tot / cnt


def prepare(args):
    """Tokenizes train/held-out jsonl once into uint16 files under --work."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    for name in ("train", "heldout"):
        out = os.path.join(args.work, f"{name}.bin")
        if not os.path.exists(out):
            arr = tokenize_jsonl(tok, os.path.join(args.corpus, f"{name}.jsonl"))
            arr.tofile(out + ".tmp")
            os.replace(out + ".tmp", out)
            print(f"prepare: {name}: {len(arr)} tokens -> {out}", flush=True)
    return tok.get_vocab_size(with_added_tokens=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="dir with train.jsonl / heldout.jsonl")
    ap.add_argument("--tokenizer", required=True, help="dir with tokenizer.json")
    ap.add_argument("--work", required=True, help="dir for token files, checkpoint, loss.csv")
    ap.add_argument("--max-minutes", type=float, default=60.0)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0 = time only)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--decay-frac", type=float, default=0.3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--bias-gamma", type=float, default=1e-2, help="aux-loss-free bias update speed")
    ap.add_argument("--save-every", type=int, default=25)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--eval-windows", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab-pad", type=int, default=64, help="round config vocab_size up to this")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    n_tok = prepare(args)
    train = load_tokens(os.path.join(args.work, "train.bin"))
    held = load_tokens(os.path.join(args.work, "heldout.bin"))

    from transformers import DeepseekV3ForCausalLM
    vocab = -(-n_tok // args.vocab_pad) * args.vocab_pad
    cfg = make_config(vocab)
    cfg._attn_implementation = "sdpa"
    cfg._experts_implementation = "grouped_mm"   # same math as eager, faster on CPU
    torch.manual_seed(args.seed)
    model = DeepseekV3ForCausalLM(cfg)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    balancer = BiasBalancer(model, args.bias_gamma)

    ckpt_path = os.path.join(args.work, "ckpt.pt")
    step, elapsed, tokens = 0, 0.0, 0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, tokens = ck["step"], ck["elapsed"], ck["tokens"]
        print(f"train: resumed at step {step} ({elapsed / 60:.1f} min, {tokens} tokens)", flush=True)
    else:
        print(f"train: new model, {n_params / 1e6:.2f}M parameters, vocab {vocab} "
              f"(tokenizer {n_tok}), train {len(train)} tokens, held-out {len(held)} tokens", flush=True)

    csv_path = os.path.join(args.work, "loss.csv")
    new_csv = not os.path.exists(csv_path)
    csv_f = open(csv_path, "a", newline="")
    log = csv.writer(csv_f)
    if new_csv:
        log.writerow(["step", "tokens", "elapsed_s", "lr", "train_loss", "heldout_loss",
                      "tokens_per_s", "max_load_ratio"])

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": elapsed, "tokens": tokens, "config": cfg.to_dict(),
                    "args": vars(args)}, tmp)
        os.replace(tmp, ckpt_path)

    budget = args.max_minutes * 60.0
    while elapsed < budget and (args.steps == 0 or step < args.steps):
        t0 = time.time()
        frac = step / args.steps if args.steps else elapsed / budget
        lr = lr_at(args, step, frac)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch_at(train, args.seed, step, args.batch, args.seq)
        logits = model(input_ids=x, use_cache=False).logits
        loss = torch.nn.functional.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        load_ratio = balancer.step()
        dt = time.time() - t0
        step += 1
        elapsed += dt
        tokens += x.numel()
        held_loss = ""
        if step % args.eval_every == 0:
            balancer.enabled = False
            held_loss = f"{eval_loss(model, held, args.seq, args.eval_windows):.4f}"
            balancer.enabled = True
        log.writerow([step, tokens, f"{elapsed:.1f}", f"{lr:.3e}", f"{loss.item():.4f}", held_loss,
                      f"{x.numel() / dt:.0f}", f"{load_ratio:.2f}"])
        csv_f.flush()
        print(f"step {step:5d} loss {loss.item():.4f} lr {lr:.2e} {x.numel() / dt:6.0f} tok/s "
              f"load max/mean {load_ratio:.2f} elapsed {elapsed / 60:.1f}m"
              + (f" heldout {held_loss} (ppl {math.exp(float(held_loss)):.1f})" if held_loss else ""),
              flush=True)
        if step % args.save_every == 0:
            save()
    save()
    print(f"train: done, step {step}, {tokens} tokens, {elapsed / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
