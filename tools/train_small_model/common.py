"""Shared pieces of the tiny DeepSeek-V3 training pipeline: the model config, token files,
and the strided held-out perplexity procedure (mirrored by `dsinfer perplexity`)."""
import json
import math
import os

import numpy as np
import torch

BOS_ID = 0
EOS_ID = 1

# Strided perplexity (see eval_perplexity): window of PPL_CONTEXT positions including the BOS,
# i.e. up to PPL_CONTEXT-1 text tokens, advanced by PPL_STRIDE text tokens.
PPL_CONTEXT = 512
PPL_STRIDE = 256


def make_config(vocab_size):
    """DeepseekV3Config with every V3 feature switched on, ~16M parameters."""
    from transformers import DeepseekV3Config
    return DeepseekV3Config(
        vocab_size=vocab_size,
        hidden_size=256,
        intermediate_size=768,          # dense layer(s)
        moe_intermediate_size=128,      # each routed / shared expert
        num_hidden_layers=6,
        first_k_dense_replace=1,        # layer 0 dense, layers 1-5 MoE
        num_attention_heads=4,
        num_key_value_heads=4,
        q_lora_rank=96,                 # MLA with compressed queries
        kv_lora_rank=64,
        qk_nope_head_dim=32,
        qk_rope_head_dim=16,
        v_head_dim=32,
        n_routed_experts=16,
        n_shared_experts=1,
        num_experts_per_tok=4,
        n_group=4,                      # group-limited routing: 4 groups of 4 experts,
        topk_group=2,                   # tokens pick experts from the best 2 groups
        norm_topk_prob=True,
        routed_scaling_factor=2.5,
        hidden_act="silu",
        max_position_embeddings=2048,
        rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                         "original_max_position_embeddings": 512, "beta_fast": 32.0,
                         "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0},
        rope_interleave=True,
        rms_norm_eps=1e-6,
        initializer_range=0.02,
        tie_word_embeddings=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        num_mtp_layers=0,
        attention_bias=False,
        use_cache=True,
    )


def tokenize_jsonl(tok, path):
    """[BOS] text [EOS] per record, concatenated; uint16 ids."""
    with open(path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    out = []
    for i in range(0, len(texts), 1024):
        for enc in tok.encode_batch(texts[i:i + 1024], add_special_tokens=False):
            out.append(BOS_ID)
            out.extend(enc.ids)
            out.append(EOS_ID)
    arr = np.asarray(out, dtype=np.int64)
    assert arr.max() < 65536
    return arr.astype(np.uint16)


def load_tokens(path):
    return np.fromfile(path, dtype=np.uint16).astype(np.int64)


@torch.no_grad()
def eval_perplexity(model, ids, context=PPL_CONTEXT, stride=PPL_STRIDE, progress=None):
    """Strided perplexity of a token sequence `ids` (text tokens, no BOS).

    Window k covers text tokens [b, e) with b = k*stride, e = min(b + context - 1, N); the model
    input is [BOS] + ids[b:e] (position 0 = BOS). Tokens ids[max(b, prev_e):e] are scored
    (prev_e = end of the previous window, 0 for the first), each predicted from the logits at the
    position just before it (ids[0] from the BOS position). The last window is the first with
    e == N. Every text token is scored exactly once; PPL = exp(sum NLL / N), NLL = natural-log
    cross entropy of the fp32 logits (log_softmax over the full vocabulary).
    Returns (ppl, total_nll, N).
    """
    n = len(ids)
    total, prev_e, b = 0.0, 0, 0
    while True:
        e = min(b + context - 1, n)
        x = torch.tensor([[BOS_ID] + list(ids[b:e])], dtype=torch.long)
        logits = model(input_ids=x, use_cache=False).logits[0].float()  # [e-b+1, V]
        logp = torch.log_softmax(logits, dim=-1)
        s = max(b, prev_e)
        # text token j (b <= j < e) sits at input position j-b+1 and is predicted at j-b
        tgt = torch.tensor(ids[s:e], dtype=torch.long)
        rows = torch.arange(s - b, e - b)
        total += -logp[rows, tgt].double().sum().item()
        prev_e = e
        if progress:
            progress(e, n)
        if e >= n:
            break
        b += stride
    return math.exp(total / n), total, n


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, path)
