// Tensor table of one decoder layer of LlamaForCausalLM and Qwen2ForCausalLM
// (deepseek-models.md §1.a, §1.b): GQA attention and a dense SwiGLU MLP.
#include "models/tensor_table.h"

namespace dsi::models::internal {

void ForEachLlamaLayerTensor(const ModelConfig& c, int64_t layer, const TensorVisitor& visit) {
  const std::string p = LayerPrefix(layer);
  const int64_t h = c.hidden_size;
  const int64_t q_out = c.num_attention_heads * c.head_dim;   // [nH·hd]
  const int64_t kv_out = c.num_key_value_heads * c.head_dim;  // [nKV·hd]
  const bool fp8 = c.is_fp8();
  // Qwen2: q/k/v biases always, o_proj never; Llama: all four follow attention_bias.
  const bool o_bias = c.architecture == Architecture::kLlama && c.attention_bias;
  auto attn = [&](const char* name, int64_t out, int64_t in, bool bias) {
    EmitLinear(c, {p + "self_attn." + name, out, in, layer, -1, TensorKind::kAttention, bias, fp8},
               visit);
  };
  attn("q_proj", q_out, h, c.qkv_bias);
  attn("k_proj", kv_out, h, c.qkv_bias);
  attn("v_proj", kv_out, h, c.qkv_bias);
  attn("o_proj", h, q_out, o_bias);
  const bool mlp_bias = c.architecture == Architecture::kLlama && c.mlp_bias;
  auto mlp = [&](const char* name, int64_t out, int64_t in) {
    EmitLinear(c, {p + "mlp." + name, out, in, layer, -1, TensorKind::kDenseMlp, mlp_bias, fp8},
               visit);
  };
  mlp("gate_proj", c.intermediate_size, h);
  mlp("up_proj", c.intermediate_size, h);
  mlp("down_proj", h, c.intermediate_size);
  EmitNorm(p + "input_layernorm.weight", h, layer, visit);
  EmitNorm(p + "post_attention_layernorm.weight", h, layer, visit);
}

}  // namespace dsi::models::internal
