// Tensor table of one decoder layer of DeepseekV2ForCausalLM and DeepseekV3ForCausalLM
// (deepseek-models.md §1.c, §1.d): MLA attention, then a dense MLP or a MoE block.
#include "models/tensor_table.h"

namespace dsi::models::internal {
namespace {

// Gate/up/down of one SwiGLU MLP of width `inter` (dense, one expert, or the fused shared experts).
void EmitMlp(const ModelConfig& c, const std::string& prefix, int64_t inter, int64_t layer,
             int64_t expert, TensorKind kind, const TensorVisitor& visit) {
  const int64_t h = c.hidden_size;
  const bool fp8 = c.is_fp8();
  EmitLinear(c, {prefix + "gate_proj", inter, h, layer, expert, kind, false, fp8}, visit);
  EmitLinear(c, {prefix + "up_proj", inter, h, layer, expert, kind, false, fp8}, visit);
  EmitLinear(c, {prefix + "down_proj", h, inter, layer, expert, kind, false, fp8}, visit);
}

}  // namespace

void ForEachDeepseekLayerTensor(const ModelConfig& c, int64_t layer, const TensorVisitor& visit) {
  const std::string p = LayerPrefix(layer);
  const std::string a = p + "self_attn.";
  const int64_t h = c.hidden_size;
  const int64_t heads = c.num_attention_heads;
  const bool fp8 = c.is_fp8();
  // HF puts attention_bias on q_a_proj, kv_a_proj_with_mqa and o_proj only.
  const bool bias = c.attention_bias;
  auto attn = [&](const std::string& name, int64_t out, int64_t in, bool with_bias) {
    EmitLinear(c, {a + name, out, in, layer, -1, TensorKind::kAttention, with_bias, fp8}, visit);
  };
  if (c.has_q_lora()) {
    attn("q_a_proj", c.q_lora_rank, h, bias);
    EmitNorm(a + "q_a_layernorm.weight", c.q_lora_rank, layer, visit);
    attn("q_b_proj", heads * c.qk_head_dim(), c.q_lora_rank, false);
  } else {
    attn("q_proj", heads * c.qk_head_dim(), h, false);
  }
  // Output split: [kv_lora_rank latent | qk_rope_head_dim shared k_pe].
  attn("kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, h, bias);
  EmitNorm(a + "kv_a_layernorm.weight", c.kv_lora_rank, layer, visit);
  // Rows per head: qk_nope_head_dim of W_UK then v_head_dim of W_UV.
  attn("kv_b_proj", heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank, false);
  attn("o_proj", h, heads * c.v_head_dim, bias);

  const std::string m = p + "mlp.";
  if (!c.IsMoeLayer(layer)) {
    EmitMlp(c, m, c.intermediate_size, layer, -1, TensorKind::kDenseMlp, visit);
  } else {
    ExpectedTensor gate;  // router: never FP8
    gate.name = m + "gate.weight";
    gate.shape = Shape{c.n_routed_experts, h};
    gate.layer = layer;
    gate.kind = TensorKind::kRouter;
    visit(gate);
    if (c.architecture == Architecture::kDeepseekV3) {
      ExpectedTensor bias_t = gate;  // selection-only bias (§2.8.2), float32 in the checkpoint
      bias_t.name = m + "gate.e_score_correction_bias";
      bias_t.shape = Shape{c.n_routed_experts};
      bias_t.storage = TensorStorage::kF32;
      bias_t.is_bias = true;
      visit(bias_t);
    }
    for (int64_t e = 0; e < c.n_routed_experts; ++e) {
      EmitMlp(c, m + "experts." + std::to_string(e) + ".", c.moe_intermediate_size, layer, e,
              TensorKind::kRoutedExpert, visit);
    }
    if (c.n_shared_experts > 0) {  // one fused MLP for all shared experts
      EmitMlp(c, m + "shared_experts.", c.moe_intermediate_size * c.n_shared_experts, layer, -1,
              TensorKind::kSharedExpert, visit);
    }
  }
  EmitNorm(p + "input_layernorm.weight", h, layer, visit);
  EmitNorm(p + "post_attention_layernorm.weight", h, layer, visit);
}

}  // namespace dsi::models::internal
