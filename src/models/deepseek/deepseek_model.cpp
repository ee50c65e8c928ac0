// DeepSeek V2 / V3 forward: h = embed(ids); per block h += mla(norm(h)); h += ffn(norm(h)) with
// ffn = MLP or MoE; logits = lm_head(norm(h)). The versions differ in routing (V2 softmax,
// greedy or group-limited by group max; V3 sigmoid + e_score_correction_bias, noaux_tc) and in
// how HF rotates the rope dims (V2: fp32 complex product; V3: activation-dtype arithmetic).
#include "models/deepseek/deepseek_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "layers/mla_attention.h"
#include "layers/mlp.h"
#include "layers/moe.h"
#include "layers/rms_norm.h"

namespace dsi::models::deepseek {
namespace {

struct Block {
  layers::RmsNorm input_layernorm;
  layers::MlaAttention self_attn;
  layers::RmsNorm post_attention_layernorm;
  std::optional<layers::Mlp> mlp;  // dense layer
  std::optional<layers::Moe> moe;  // MoE layer
};

ops::MoeRoutingConfig RoutingOf(const ModelConfig& c) {
  ops::MoeRoutingConfig r;
  const bool v3 = c.architecture == Architecture::kDeepseekV3;
  r.scoring = v3 ? ops::MoeScoring::kSigmoid : ops::MoeScoring::kSoftmax;
  r.method = v3                                   ? ops::MoeTopkMethod::kNoauxTc
             : c.topk_method == "group_limited_greedy" ? ops::MoeTopkMethod::kGroupLimitedGreedy
                                                       : ops::MoeTopkMethod::kGreedy;
  r.num_experts = static_cast<int>(c.n_routed_experts);
  r.top_k = static_cast<int>(c.num_experts_per_tok);
  r.n_group = static_cast<int>(c.n_group);
  r.topk_group = static_cast<int>(c.topk_group);
  // Native HF V2 always scales by routed_scaling_factor and never normalizes (norm_topk_prob is
  // false in every released V2 config, where the hub remote code agrees).
  r.norm_topk_prob = v3 && c.norm_topk_prob;
  r.routed_scaling_factor = static_cast<float>(c.routed_scaling_factor);
  // HF V3 masks the dropped groups with -inf (transformers 5.x; §2.10 lists 0.0 for older
  // code); V2 masks softmax probabilities, where 0.0 and -inf select alike.
  r.group_mask_value = v3 ? -std::numeric_limits<float>::infinity() : 0.0f;
  return r;
}

class DeepseekModel final : public CausalLM {
 public:
  DeepseekModel(const ModelConfig& config, const ModelOptions& options, size_t scratch_bytes,
                ops::RotaryEmbedding rotary)
      : CausalLM(config, options, scratch_bytes), rotary_(std::move(rotary)) {}

  Status Build() {
    const ModelConfig& c = config();
    const layers::TpShard tp = shard();
    const bool v3 = c.architecture == Architecture::kDeepseekV3;
    BuildEnds();
    layers::MlaSpec attn;
    attn.hidden_size = c.hidden_size;
    attn.num_heads = c.num_attention_heads;
    attn.q_lora_rank = c.q_lora_rank;
    attn.kv_lora_rank = c.kv_lora_rank;
    attn.qk_nope_head_dim = c.qk_nope_head_dim;
    attn.qk_rope_head_dim = c.qk_rope_head_dim;
    attn.v_head_dim = c.v_head_dim;
    attn.scale = ops::DeepseekSoftmaxScale(static_cast<int>(c.qk_head_dim()),
                                           rotary_.config().scaling);
    attn.rope_layout = !v3 || c.rope_interleave ? ops::RopeLayout::kInterleaved
                                                : ops::RopeLayout::kHalfSplit;
    attn.rope_bf16_hf_rounding = v3;
    attn.form = options().mla_form;
    layers::MoeSpec moe;
    moe.hidden_size = c.hidden_size;
    moe.moe_intermediate_size = c.moe_intermediate_size;
    moe.n_shared_experts = c.n_shared_experts;
    moe.accumulate = options().moe_accumulate;
    if (c.HasMoe()) moe.routing = RoutingOf(c);
    moe.ep = options().ep;
    blocks_.reserve(num_blocks());
    for (int64_t i = layer_begin(); i < layer_end(); ++i) {
      const std::string p = "model.layers." + std::to_string(i);
      attn.prefix = p + ".self_attn";
      DSI_ASSIGN_OR_RETURN(layers::MlaAttention self_attn,
                           layers::MlaAttention::Create(attn, tp, dtype()));
      Block b{layers::RmsNorm(p + ".input_layernorm", c.hidden_size, c.rms_norm_eps, dtype()),
              std::move(self_attn),
              layers::RmsNorm(p + ".post_attention_layernorm", c.hidden_size, c.rms_norm_eps,
                              dtype()),
              std::nullopt, std::nullopt};
      if (c.IsMoeLayer(i)) {
        moe.prefix = p + ".mlp";
        DSI_ASSIGN_OR_RETURN(layers::Moe moe_layer, layers::Moe::Create(moe, tp, dtype()));
        b.moe.emplace(std::move(moe_layer));
      } else {
        b.mlp.emplace(p + ".mlp", c.hidden_size, c.intermediate_size, tp, dtype());
      }
      blocks_.push_back(std::move(b));
    }
    return Status::Ok();
  }

  kv_cache::KvCacheSpec KvSpec() const override {
    kv_cache::KvCacheSpec spec;
    spec.layout = kv_cache::KvLayout::kMla;
    spec.num_layers = num_blocks();
    spec.kv_lora_rank = config().kv_lora_rank;
    spec.qk_rope_head_dim = config().qk_rope_head_dim;
    spec.dtype = dtype();
    return spec;
  }

  void FinishLoading() override {
    for (Block& b : blocks_) b.self_attn.FinishLoading();
  }

 protected:
  const ops::RotaryEmbedding& rotary() const override { return rotary_; }
  const layers::RmsNorm& InputNorm(int64_t b) const override { return blocks_[b].input_layernorm; }

  void ForEachBlockWeight(const layers::WeightVisitor& visit) override {
    for (Block& b : blocks_) {
      b.input_layernorm.ForEachWeight(visit);
      b.self_attn.ForEachWeight(visit);
      b.post_attention_layernorm.ForEachWeight(visit);
      if (b.mlp) b.mlp->ForEachWeight(visit);
      if (b.moe) b.moe->ForEachWeight(visit);
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
    const Block& block = blocks_[b];
    const int layer = static_cast<int>(b);
    return block.moe ? block.moe->Forward(ctx, x, y, layer) : block.mlp->Forward(ctx, x, y, layer);
  }

 private:
  ops::RotaryEmbedding rotary_;
  std::vector<Block> blocks_;
};

}  // namespace

Result<std::unique_ptr<CausalLM>> CreateDeepseekModel(const ModelConfig& config,
                                                      const ModelOptions& options) {
  DSI_ASSIGN_OR_RETURN(ops::RotaryEmbedding rotary,
                       ops::RotaryEmbedding::Create(RopeConfigOf(config)));
  const int tp = options.tp ? options.tp->size() : 1;
  const int64_t heads = config.num_attention_heads / tp;
  const int64_t qk = config.qk_head_dim(), unit = config.qk_nope_head_dim + config.v_head_dim;
  const int64_t per_token =
      6 * config.hidden_size + config.q_lora_rank + 2 * (config.kv_lora_rank + qk) +
      heads * (2 * qk + 2 * config.kv_lora_rank + config.v_head_dim) +
      3 * std::max(config.intermediate_size / tp,
                   config.moe_intermediate_size * std::max<int64_t>(config.n_shared_experts, 1)) +
      2 * config.n_routed_experts;
  // The full form rebuilds keys and values of a whole sequence: [max_seq_len, heads, qk + unit].
  const int64_t full_form =
      options.mla_form == MlaForm::kFull
          ? options.max_seq_len * (heads * (qk + unit) + config.kv_lora_rank + qk) *
                static_cast<int64_t>(DTypeSize(options.compute_dtype))
          : 0;
  auto model = std::make_unique<DeepseekModel>(
      config, options, ScratchEstimate(config, options, per_token, full_form), std::move(rotary));
  DSI_RETURN_IF_ERROR(model->Build());
  return std::unique_ptr<CausalLM>(std::move(model));
}

}  // namespace dsi::models::deepseek
