"""Fixture specifications: one tiny random-weight checkpoint per entry of FIXTURES.

Each spec holds the config.json written to disk (legacy `rope_scaling` style as real DeepSeek
checkpoints ship it, unless `config_style` is "transformers5"), the on-disk weight dtype, and the
prompt lengths. make_fixtures.py turns a spec into tests/data/models/<name>/.
"""

PROMPT_LENGTHS = [1, 7, 13]
MAX_NEW_TOKENS = 16
# Greedy steps whose top-1/top-2 logit gap is below this are avoided by redrawing the prompt ids,
# so that an engine with fp32 round-off ~1e-5 cannot legitimately pick another token.
MIN_GREEDY_MARGIN = 0.02
# Tiny random models like to repeat one token; prompts whose greedy continuation has fewer distinct
# tokens than this are redrawn so that the decode path sees varied inputs.
MIN_DISTINCT_GREEDY = 4
# MoE prompts: every prompt position must keep this margin in every router decision (score units:
# softmax probability for V2, sigmoid+bias for V3) and route identically in the bf16 run.
MIN_ROUTER_GAP = 1e-3

_LLAMA_BASE = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "max_position_embeddings": 256,
    "vocab_size": 256,
    "tie_word_embeddings": False,
    "attention_bias": False,
    "mlp_bias": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "pad_token_id": None,
    "initializer_range": 0.02,
    "use_cache": True,
}

_QWEN2_BASE = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "max_position_embeddings": 512,
    "vocab_size": 384,
    "tie_word_embeddings": False,
    "use_sliding_window": False,
    "sliding_window": 4096,
    "max_window_layers": 1,
    "bos_token_id": 3,
    "eos_token_id": 3,
    "initializer_range": 0.02,
    "use_cache": True,
}

_YARN_V2_LITE = {
    "type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
    "beta_fast": 32, "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707,
}
_YARN_V3 = {
    "type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
    "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0,
}

_DEEPSEEK_V2_BASE = {
    "architectures": ["DeepseekV2ForCausalLM"],
    "model_type": "deepseek_v2",
    "hidden_size": 64,
    "intermediate_size": 160,
    "moe_intermediate_size": 32,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "q_lora_rank": None,
    "kv_lora_rank": 32,
    "qk_nope_head_dim": 32,
    "qk_rope_head_dim": 16,
    "v_head_dim": 24,
    "n_routed_experts": 8,
    "n_shared_experts": 2,
    "num_experts_per_tok": 3,
    "first_k_dense_replace": 1,
    "moe_layer_freq": 1,
    "topk_method": "greedy",
    "n_group": 1,
    "topk_group": 1,
    "norm_topk_prob": False,
    "routed_scaling_factor": 1.0,
    "scoring_func": "softmax",
    "aux_loss_alpha": 0.001,
    "seq_aux": True,
    "ep_size": 1,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "rope_scaling": _YARN_V2_LITE,
    "max_position_embeddings": 163840,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "vocab_size": 320,
    "tie_word_embeddings": False,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "initializer_range": 0.02,
    "use_cache": True,
}

_DEEPSEEK_V3_BASE = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "hidden_size": 64,
    "intermediate_size": 160,
    "moe_intermediate_size": 32,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "q_lora_rank": 48,
    "kv_lora_rank": 32,
    "qk_nope_head_dim": 32,
    "qk_rope_head_dim": 16,
    "v_head_dim": 24,
    "n_routed_experts": 8,
    "n_shared_experts": 1,
    "num_experts_per_tok": 3,
    "first_k_dense_replace": 1,
    "moe_layer_freq": 1,
    "topk_method": "noaux_tc",
    "scoring_func": "sigmoid",
    "n_group": 2,
    "topk_group": 1,
    "norm_topk_prob": True,
    "routed_scaling_factor": 2.5,
    "aux_loss_alpha": 0.001,
    "seq_aux": True,
    "ep_size": 1,
    "num_nextn_predict_layers": 0,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "rope_scaling": _YARN_V3,
    "max_position_embeddings": 163840,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "vocab_size": 384,
    "tie_word_embeddings": False,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "initializer_range": 0.02,
    "use_cache": True,
}

FP8_QUANTIZATION_CONFIG = {
    "activation_scheme": "dynamic",
    "fmt": "e4m3",
    "quant_method": "fp8",
    "weight_block_size": [128, 128],
}


def _merge(base, **over):
    out = dict(base)
    out.update(over)
    return out


# Each spec: name, config (dict written as config.json), weights ("float32" | "bfloat16" | "fp8"),
# config_style ("legacy": as above; "transformers5": re-written by transformers' own
# PretrainedConfig.save_pretrained, i.e. `rope_parameters` and no top-level `rope_theta`),
# mtp (write extra MTP-layer tensors at layer index num_hidden_layers, which must be ignored).
FIXTURES = [
    {"name": "llama_mha", "weights": "float32", "config_style": "legacy",
     "config": _merge(_LLAMA_BASE)},
    {"name": "llama_gqa_tied", "weights": "float32", "config_style": "legacy",
     "config": _merge(_LLAMA_BASE, num_key_value_heads=2, tie_word_embeddings=True,
                      rope_theta=500000.0, vocab_size=320)},
    {"name": "llama_linear_rope", "weights": "float32", "config_style": "legacy",
     "config": _merge(_LLAMA_BASE, rope_theta=100000.0,
                      rope_scaling={"type": "linear", "factor": 4.0},
                      max_position_embeddings=1024, bos_token_id=5, eos_token_id=7)},
    {"name": "llama_dynamic_rope", "weights": "float32", "config_style": "transformers5",
     "notes": "dynamic NTK: each forward call recomputes inv_freq from seq_len = max(position_ids)+1 "
              "when it exceeds the largest seq_len seen so far (and max_position_embeddings); keys "
              "already in the KV cache keep the rotation they were computed with. logits_f32 = one "
              "call over the whole prompt; gen_logits_f32 = prefill call then one call per token.",
     "config": _merge(_LLAMA_BASE, rope_scaling={"type": "dynamic", "factor": 2.0},
                      max_position_embeddings=8)},
    {"name": "qwen2", "weights": "float32", "config_style": "legacy",
     "config": _merge(_QWEN2_BASE)},
    {"name": "qwen2_tied", "weights": "bfloat16", "config_style": "legacy",
     "config": _merge(_QWEN2_BASE, num_key_value_heads=1, tie_word_embeddings=True,
                      rope_theta=1000000.0, vocab_size=256)},
    {"name": "deepseek_v2_lite", "weights": "float32", "config_style": "legacy",
     "config": _merge(_DEEPSEEK_V2_BASE)},
    {"name": "deepseek_v2", "weights": "bfloat16", "config_style": "legacy",
     "config": _merge(_DEEPSEEK_V2_BASE, q_lora_rank=48, topk_method="group_limited_greedy",
                      n_group=4, topk_group=2, routed_scaling_factor=16.0, rope_scaling=None,
                      max_position_embeddings=4096)},
    {"name": "deepseek_v3", "weights": "float32", "config_style": "transformers5",
     "config": _merge(_DEEPSEEK_V3_BASE)},
    # Same architecture; q_lora_rank 136 and intermediate_size 200 give dims > 128 that are not
    # multiples of 128 (q_a_proj [136, 64], q_b_proj [192, 136], kv_b_proj [224, 32],
    # mlp.{gate,up}_proj [200, 64], mlp.down_proj [64, 200]) so partial 128x128 blocks occur in
    # both directions. It also carries one MTP layer (layer index 3), as real V3/R1 files do.
    {"name": "deepseek_v3_fp8", "weights": "fp8", "config_style": "legacy", "mtp": True,
     "notes": "references use the block-dequantized f32 weights (float(q) * scale_inv[r//128, c//128] "
              "in f32, no bf16 rounding) for the fp32 run; the bf16 run rounds those f32 values to "
              "bf16 (= fp8_cast_bf16.py). model.layers.3.* is an MTP module: ignore it.",
     "config": _merge(_DEEPSEEK_V3_BASE, q_lora_rank=136, intermediate_size=200,
                      num_nextn_predict_layers=1, torch_dtype="bfloat16",
                      quantization_config=FP8_QUANTIZATION_CONFIG)},
]


def TorchDtypeName(spec):
    """The `torch_dtype` a real checkpoint of this storage kind declares."""
    return {"float32": "float32", "bfloat16": "bfloat16", "fp8": "bfloat16"}[spec["weights"]]
