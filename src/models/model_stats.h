// Numbers derived from the tensor table: parameter counts (total and active per token) and
// memory (weights in a dtype, KV cache per token). Used by `inspect` and the memory planner.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/dtype.h"
#include "models/config.h"

namespace dsi::models {

// Active parameters per token count the weights that take part in a token's matmuls: every
// non-expert weight including lm_head, the shared experts, and num_experts_per_tok of the
// n_routed_experts routed experts of each MoE layer. embed_tokens is a row lookup and is
// left out (with tied embeddings the matrix still counts once, as the LM head). This is the
// convention under DeepSeek's published figures (V3: 37B of 671B; V2-Lite: 2.4B of 15.7B).
inline constexpr std::string_view kActiveParameterConvention =
    "active = per-token weights in matmuls: all non-expert weights incl. lm_head, shared "
    "experts, num_experts_per_tok routed experts per MoE layer; embed_tokens (a lookup) excluded";

struct ParameterCounts {
  int64_t total = 0;                  // every parameter incl. embeddings; FP8 scales excluded
  int64_t embedding = 0;              // embed_tokens
  int64_t lm_head = 0;                // 0 when tied
  int64_t routed_experts = 0;         // all routed-expert parameters
  int64_t routed_experts_active = 0;  // the num_experts_per_tok selected per MoE layer
  int64_t active = 0;                 // see kActiveParameterConvention
  int64_t active_with_embedding = 0;  // active + embed_tokens (when not tied)
};

ParameterCounts CountParameters(const ModelConfig& config);

// Bytes of the weights as a checkpoint of `config` stores them with non-quantized tensors in
// `model_dtype`: FP8 weights take 1 byte plus their F32 scales.
int64_t StoredWeightBytes(const ModelConfig& config, DType model_dtype);
// Bytes of every parameter in `dtype` (after dequantization; no scales).
int64_t WeightBytesIn(const ModelConfig& config, DType dtype);
// KV cache bytes for one token over all layers. GQA: 2·L·nKV·hd; MLA: L·(kv_lora_rank +
// qk_rope_head_dim) (the latent and the shared rope key, design.md §6); times the dtype size.
int64_t KvCacheBytesPerToken(const ModelConfig& config, DType kv_dtype);

}  // namespace dsi::models
