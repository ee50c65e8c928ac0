// Llama / Qwen2 forward: h = embed(ids); per block h += attn(norm(h)); h += mlp(norm(h));
// logits = lm_head(norm(h)). Qwen2 differs only in its q/k/v biases (config.qkv_bias).
#include "models/llama/llama_model.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "layers/embedding.h"
#include "layers/gqa_attention.h"
#include "layers/mlp.h"
#include "layers/rms_norm.h"
#include "layers/trace.h"

namespace dsi::models::llama {
namespace {

using layers::Trace;

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
    embed_tokens_ = layers::Embedding("model.embed_tokens", c.vocab_size, c.hidden_size, tp, dtype());
    layers::GqaSpec attn;
    attn.hidden_size = c.hidden_size;
    attn.num_heads = c.num_attention_heads;
    attn.num_kv_heads = c.num_key_value_heads;
    attn.head_dim = c.head_dim;
    attn.qkv_bias = c.qkv_bias;
    attn.o_bias = c.architecture == Architecture::kLlama && c.attention_bias;
    attn.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
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
    norm_ = layers::RmsNorm("model.norm", c.hidden_size, c.rms_norm_eps, dtype());
    lm_head_ = layers::LmHead("lm_head", c.vocab_size, c.hidden_size, tp, dtype(),
                              c.tie_word_embeddings ? &embed_tokens_ : nullptr);
    return Status::Ok();
  }

  kv_cache::KvCacheSpec KvSpec() const override {
    kv_cache::KvCacheSpec spec;
    spec.layout = kv_cache::KvLayout::kGqa;
    spec.num_layers = config().num_hidden_layers;
    spec.num_kv_heads = blocks_.empty() ? 0 : blocks_[0].self_attn.local_kv_heads();
    spec.head_dim = config().head_dim;
    spec.dtype = dtype();
    return spec;
  }

  void ForEachWeight(const layers::WeightVisitor& visit) override {
    embed_tokens_.ForEachWeight(visit);
    for (Block& b : blocks_) {
      b.input_layernorm.ForEachWeight(visit);
      b.self_attn.ForEachWeight(visit);
      b.post_attention_layernorm.ForEachWeight(visit);
      b.mlp.ForEachWeight(visit);
    }
    norm_.ForEachWeight(visit);
    lm_head_.ForEachWeight(visit);
  }

 protected:
  const ops::RotaryEmbedding& rotary() const override { return rotary_; }

  Status ForwardStep(const layers::ForwardContext& ctx, const layers::StepBatch& step,
                     const Tensor& token_ids, const Tensor& logit_rows,
                     const Tensor& logits) override {
    layers::Scratch& s = *ctx.scratch;
    const int64_t num_tokens = step.num_tokens, hidden = config().hidden_size;
    Tensor h = s.Alloc(dtype(), {num_tokens, hidden});       // [T, hidden] residual stream
    Tensor normed = s.Alloc(dtype(), {num_tokens, hidden});  // [T, hidden] block input
    Tensor delta = s.Alloc(dtype(), {num_tokens, hidden});   // [T, hidden] block output
    DSI_RETURN_IF_ERROR(embed_tokens_.Forward(ctx, token_ids, h));
    Trace(h, "embed");
    DSI_RETURN_IF_ERROR(blocks_[0].input_layernorm.Forward(ctx, h, normed));
    for (size_t i = 0; i < blocks_.size(); ++i) {
      const Block& b = blocks_[i];
      const int layer = static_cast<int>(i);
      DSI_RETURN_IF_ERROR(b.self_attn.Forward(ctx, step, layer, normed, delta));
      DSI_RETURN_IF_ERROR(b.post_attention_layernorm.AddForward(ctx, delta, h, normed));
      Trace(h, "h_attn", layer);
      DSI_RETURN_IF_ERROR(b.mlp.Forward(ctx, normed, delta, layer));
      const layers::RmsNorm& next = i + 1 < blocks_.size() ? blocks_[i + 1].input_layernorm : norm_;
      DSI_RETURN_IF_ERROR(next.AddForward(ctx, delta, h, normed));
      Trace(h, "h_out", layer);
    }
    Tensor rows = s.Alloc(dtype(), {logit_rows.dim(0), hidden});  // [R, hidden] final-normed
    GatherRows(normed, logit_rows, rows);
    DSI_RETURN_IF_ERROR(lm_head_.Forward(ctx, rows, logits));
    Trace(logits, "logits");
    return Status::Ok();
  }

 private:
  ops::RotaryEmbedding rotary_;
  layers::Embedding embed_tokens_;
  std::vector<Block> blocks_;
  layers::RmsNorm norm_;
  layers::LmHead lm_head_;
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
