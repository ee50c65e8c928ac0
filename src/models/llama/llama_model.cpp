// Llama / Qwen2 forward: h = embed(ids); per block h += attn(norm(h)); h += mlp(norm(h));
// logits = lm_head(norm(h)). Qwen2 differs only in its q/k/v biases (config.qkv_bias).
#include "models/llama/llama_model.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "layers/gqa_attention.h"
#include "layers/mlp.h"
#include "layers/rms_norm.h"

namespace dsi::models::llama {
namespace {

struct Block {
  layers::RmsNorm input_layernorm;
  layers::GqaAttention self_attn;
  layers::RmsNorm post_attention_layernorm;
  layers::Mlp mlp;
};

class LlamaModel final : public CausalLM {
 public:
  LlamaModel(const ModelConfig& config, const ModelOptions& options, size_t scratch_bytes,
             ops::RotaryEmbedding rotary)
      : CausalLM(config, options, scratch_bytes), rotary_(std::move(rotary)) {}

  Status Build() {
    const ModelConfig& c = config();
    const layers::TpShard tp = shard();
    BuildEnds();
    layers::GqaSpec attn;
    attn.hidden_size = c.hidden_size;
    attn.num_heads = c.num_attention_heads;
    attn.num_kv_heads = c.num_key_value_heads;
    attn.head_dim = c.head_dim;
    attn.qkv_bias = c.qkv_bias;
    attn.o_bias = c.architecture == Architecture::kLlama && c.attention_bias;
    attn.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    for (int64_t i = layer_begin(); i < layer_end(); ++i) {
      const std::string p = "model.layers." + std::to_string(i);
      attn.prefix = p + ".self_attn";
      DSI_ASSIGN_OR_RETURN(layers::GqaAttention self_attn,
                           layers::GqaAttention::Create(attn, tp, dtype()));
      blocks_.push_back(Block{
          layers::RmsNorm(p + ".input_layernorm", c.hidden_size, c.rms_norm_eps, dtype()),
          std::move(self_attn),
          layers::RmsNorm(p + ".post_attention_layernorm", c.hidden_size, c.rms_norm_eps, dtype()),
          layers::Mlp(p + ".mlp", c.hidden_size, c.intermediate_size, tp, dtype(),
                      /*tensor_parallel=*/true, /*bias=*/c.architecture == Architecture::kLlama && c.mlp_bias)});
    }
    return Status::Ok();
  }

  kv_cache::KvCacheSpec KvSpec() const override {
    kv_cache::KvCacheSpec spec;
    spec.layout = kv_cache::KvLayout::kGqa;
    spec.num_layers = num_blocks();
    spec.num_kv_heads = blocks_.empty() ? 0 : blocks_[0].self_attn.local_kv_heads();
    spec.head_dim = config().head_dim;
    spec.dtype = dtype();
    return spec;
  }

 protected:
  const ops::RotaryEmbedding& rotary() const override { return rotary_; }
  const layers::RmsNorm& InputNorm(int64_t b) const override { return blocks_[b].input_layernorm; }

  void ForEachBlockWeight(const layers::WeightVisitor& visit) override {
    for (Block& b : blocks_) {
      b.input_layernorm.ForEachWeight(visit);
      b.self_attn.ForEachWeight(visit);
      b.post_attention_layernorm.ForEachWeight(visit);
      b.mlp.ForEachWeight(visit);
    }
  }

  const layers::RmsNorm& PostAttentionNorm(int64_t b) const override {
    return blocks_[b].post_attention_layernorm;
  }
  Status Attention(const layers::ForwardContext& ctx, const layers::StepBatch& step, int64_t b,
                   const Tensor& x, const Tensor& y) const override {
    return blocks_[b].self_attn.Forward(ctx, step, static_cast<int>(b), x, y);
  }
  Status Ffn(const layers::ForwardContext& ctx, int64_t b, const Tensor& x,
             const Tensor& y) const override {
    return blocks_[b].mlp.Forward(ctx, x, y, static_cast<int>(b));
  }

 private:
  ops::RotaryEmbedding rotary_;
  std::vector<Block> blocks_;
};

}  // namespace

Result<std::unique_ptr<CausalLM>> CreateLlamaModel(const ModelConfig& config,
                                                   const ModelOptions& options) {
  DSI_ASSIGN_OR_RETURN(ops::RotaryEmbedding rotary,
                       ops::RotaryEmbedding::Create(RopeConfigOf(config)));
  const int tp = options.tp ? options.tp->size() : 1;
  const int64_t heads = config.num_attention_heads / tp, hd = config.head_dim;
  const int64_t per_token = 6 * config.hidden_size + 4 * heads * hd +
                            3 * config.intermediate_size / tp + 2 * config.vocab_size / tp;
  auto model = std::make_unique<LlamaModel>(config, options,
                                            ScratchEstimate(config, options, per_token, 0),
                                            std::move(rotary));
  DSI_RETURN_IF_ERROR(model->Build());
  return std::unique_ptr<CausalLM>(std::move(model));
}

}  // namespace dsi::models::llama
