// Multi-head latent attention (DeepSeek V2/V3, deepseek-models.md §2.6). q_a / kv_a are
// replicated, q_b (or q_proj without q_lora) and kv_b are column-parallel by heads, o_proj is
// row-parallel. Both forms read the same cache: per token the post-norm latent ĉ
// [kv_lora_rank] and the rotated shared rope key [qk_rope_head_dim].
//   kFull:     per sequence, k_nope / v of every cached token are rebuilt with kv_b_proj and
//              standard attention runs with qk_head_dim / v_head_dim (what HF computes, §2.6.1).
//   kAbsorbed: q_nope is multiplied into the latent space per head (W_UK), attention runs over
//              the latent + rope cache, W_UV maps the result back (§2.6.2).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "layers/context.h"
#include "layers/linear.h"
#include "layers/rms_norm.h"
#include "ops/rotary.h"

namespace dsi::layers {

enum class MlaForm { kFull, kAbsorbed };
const char* MlaFormName(MlaForm form);

struct MlaSpec {
  std::string prefix;  // "model.layers.0.self_attn"
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t q_lora_rank = 0;  // 0: plain q_proj
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  float scale = 0.0f;  // DeepseekSoftmaxScale: qk_head_dim^-0.5 · mscale²
  ops::RopeLayout rope_layout = ops::RopeLayout::kInterleaved;
  bool rope_bf16_hf_rounding = true;  // false: fp32 rotation (HF V2 native)
  double latent_norm_eps = 1e-6;      // q_a / kv_a layernorms: HF's default, not rms_norm_eps
  MlaForm form = MlaForm::kAbsorbed;
};

class MlaAttention {
 public:
  static Result<MlaAttention> Create(const MlaSpec& spec, TpShard shard, DType dtype);

  // x, y: [T, hidden]. Writes this layer's latent and rope key of the step's tokens.
  Status Forward(const ForwardContext& ctx, const StepBatch& step, int layer, const Tensor& x,
                 const Tensor& y) const;
  void ForEachWeight(const WeightVisitor& visit);
  // Derives the absorbed-form weights from kv_b_proj once it is loaded.
  void FinishLoading();

  int64_t local_heads() const { return local_heads_; }

 private:
  MlaAttention() = default;
  Status FullAttention(const ForwardContext& ctx, const StepBatch& step, int layer,
                       const Tensor& q, const Tensor& out) const;
  Status AbsorbedAttention(const ForwardContext& ctx, const StepBatch& step, int layer,
                           const Tensor& q, const Tensor& out) const;
  int64_t qk_head_dim() const { return spec_.qk_nope_head_dim + spec_.qk_rope_head_dim; }

  MlaSpec spec_;
  int64_t local_heads_ = 0;
  Linear q_proj_;  // q_lora_rank == 0
  Linear q_a_proj_, q_b_proj_;
  RmsNorm q_a_layernorm_;
  Linear kv_a_proj_;  // [kv_lora_rank + qk_rope_head_dim, hidden], replicated
  RmsNorm kv_a_layernorm_;
  Linear kv_b_proj_;  // [heads_local · (qk_nope_head_dim + v_head_dim), kv_lora_rank]
  Linear o_proj_;
  Param w_uk_t_;  // absorbed form: [heads_local, kv_lora_rank, qk_nope_head_dim], W_UK_hᵀ per head
};

}  // namespace dsi::layers
