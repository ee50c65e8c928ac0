// DeepSeek mixture of experts (deepseek-models.md §2.8): an fp32 router replicated on every
// rank, routed experts partitioned over the tensor-parallel group (rank r owns the contiguous
// experts Partition(n_routed_experts, tp, r), each whole), the shared experts as one Mlp split
// column/row, and ONE all-reduce for routed + shared outputs.
//
// [NOTE: MoE combine order] Per rank: partial = Σ_e w·Expert_e(x) over its experts in
// ascending expert id, rounded to the activation dtype, plus its shard of the shared-expert
// output; the all-reduce then sums ranks in rank order. With one rank this is HF's order:
// routed sum in ascending expert id, cast, then + shared (§2.8.3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "layers/context.h"
#include "layers/linear.h"
#include "layers/mlp.h"
#include "ops/moe_routing.h"

namespace dsi::layers {

// How the routed experts' weighted outputs are summed (matters for bf16 only).
enum class MoeAccumulate {
  kF32,              // fp32 accumulator (transformers 4.5x native V3, §2.8.3)
  kActivationDType,  // each w·out rounded to the activation dtype and added in it
                     // (transformers 5.x: zeros_like(hidden_states) + index_add_)
};

struct MoeSpec {
  std::string prefix;  // "model.layers.1.mlp"
  int64_t hidden_size = 0;
  int64_t moe_intermediate_size = 0;
  int64_t n_shared_experts = 0;
  ops::MoeRoutingConfig routing;
  MoeAccumulate accumulate = MoeAccumulate::kActivationDType;
};

class Moe {
 public:
  Moe(const MoeSpec& spec, TpShard shard, DType dtype);

  // x, y: [T, hidden] in the compute dtype; y is complete (reduced) on return.
  Status Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y, int layer) const;
  void ForEachWeight(const WeightVisitor& visit);

  Range owned_experts() const { return experts_range_; }

 private:
  MoeSpec spec_;
  Range experts_range_;
  Param router_;          // [n_routed_experts, hidden] f32, whatever the compute dtype
  Param correction_bias_;  // [n_routed_experts] f32 (noaux_tc only)
  std::vector<Mlp> experts_;  // owned experts, unsplit
  std::vector<Mlp> shared_;   // zero or one Mlp of n_shared_experts · moe_intermediate_size
};

}  // namespace dsi::layers
