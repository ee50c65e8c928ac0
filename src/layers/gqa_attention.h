// Grouped-query attention (Llama, Qwen2; deepseek-models.md §2.5): q/k/v column-parallel by
// heads (kv heads split too; with fewer kv heads than ranks each rank holds the one kv head its
// query heads use), half-split rotary, keys/values appended to the paged cache, causal
// attention over the cache, o_proj row-parallel (one all-reduce).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "layers/context.h"
#include "layers/linear.h"

namespace dsi::layers {

struct GqaSpec {
  std::string prefix;  // "model.layers.0.self_attn"
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  bool qkv_bias = false;  // Qwen2; Llama attention_bias
  bool o_bias = false;    // Llama attention_bias
  float scale = 0.0f;     // head_dim^-0.5
};

class GqaAttention {
 public:
  // Fails (InvalidArgument) when the heads cannot be split over shard.size ranks.
  static Result<GqaAttention> Create(const GqaSpec& spec, TpShard shard, DType dtype);

  // The kv heads this rank stores in its cache.
  static Result<int64_t> LocalKvHeads(int64_t num_heads, int64_t num_kv_heads, TpShard shard);

  // x, y: [T, hidden]. Writes this layer's keys/values of the step's tokens into step.cache.
  Status Forward(const ForwardContext& ctx, const StepBatch& step, int layer, const Tensor& x,
                 const Tensor& y) const;
  void ForEachWeight(const WeightVisitor& visit);

  int64_t local_heads() const { return local_heads_; }
  int64_t local_kv_heads() const { return local_kv_heads_; }

 private:
  GqaAttention() = default;
  GqaSpec spec_;
  int64_t local_heads_ = 0;
  int64_t local_kv_heads_ = 0;
  Linear q_proj_, k_proj_, v_proj_, o_proj_;
};

}  // namespace dsi::layers
