// DeepSeek mixture of experts (deepseek-models.md §2.8): an fp32 router replicated on every
// rank, routed experts laid out over the tensor-parallel group as ep × etp (dist/world.h
// [NOTE: expert layout]), the shared experts as one Mlp split column/row over tp, and ONE
// all-reduce over tp for routed + shared outputs.
//
// [NOTE: MoE expert layout] With etp = tp / ep, rank tp_rank has ep_rank = tp_rank / etp and
// etp_rank = tp_rank % etp. It owns the contiguous experts Partition(n_routed_experts, ep,
// ep_rank) and, of each, the etp_rank-th 1/etp of the intermediate dimension: gate_proj /
// up_proj rows and down_proj columns, as a column → row Mlp whose partial output is NOT
// reduced inside the expert. ep = tp (etp = 1) holds whole experts; ep = 1 is Megatron-style
// (every rank a 1/tp slice of every expert).
//
// [NOTE: MoE combine order] Per rank: partial = Σ_e w·Expert_e(x) over its experts in
// ascending expert id, rounded to the activation dtype, plus its shard of the shared-expert
// output; the all-reduce then sums ranks in rank order. With one rank this is HF's order:
// routed sum in ascending expert id, cast, then + shared (§2.8.3). With etp = 1 each
// Expert_e(x) is the whole expert's output, so only the grouping of experts over ranks
// differs from tp = 1. With etp > 1 Expert_e(x) is this rank's partial down_proj product
// (its intermediate columns only): the sum over an expert's intermediate dimension is split
// across ranks and interleaved with the sum over experts, so in fp32 the result agrees with
// tp = 1 to rounding (test tolerance) but is NOT bitwise equal; in bf16 it is each partial
// Expert_e(x) (not the whole expert output) that is rounded to bf16 and then weighted.
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
  // Expert-parallel size: must divide the tp size; 0 means ep = tp (whole experts per rank).
  int ep = 0;
};

class Moe {
 public:
  // Validates the layout (Validate) and builds the layer; use this whenever spec.ep or the
  // sizes come from user input or a config file.
  static Result<Moe> Create(const MoeSpec& spec, TpShard shard, DType dtype);
  // InvalidArgument when ep is negative or does not divide shard.size, or when
  // moe_intermediate_size is not divisible by etp = shard.size / ep.
  static Status Validate(const MoeSpec& spec, TpShard shard);
  // Builds a layout already validated: an invalid one is a broken invariant (DSI_CHECK).
  Moe(const MoeSpec& spec, TpShard shard, DType dtype);

  // x, y: [T, hidden] in the compute dtype; y is complete (reduced) on return.
  Status Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y, int layer) const;
  void ForEachWeight(const WeightVisitor& visit);

  Range owned_experts() const { return experts_range_; }
  // This rank's place in the expert layout: ep_rank of ep, etp_rank of etp.
  TpShard expert_shard() const { return expert_shard_; }
  TpShard expert_tensor_shard() const { return expert_tensor_shard_; }

 private:
  MoeSpec spec_;
  TpShard expert_shard_;         // {ep_rank, ep}
  TpShard expert_tensor_shard_;  // {etp_rank, etp}
  Range experts_range_;
  Param router_;          // [n_routed_experts, hidden] f32, whatever the compute dtype
  Param correction_bias_;  // [n_routed_experts] f32 (noaux_tc only)
  std::vector<Mlp> experts_;  // owned experts, each column → row split over etp (unsplit if 1)
  std::vector<Mlp> shared_;   // zero or one Mlp of n_shared_experts · moe_intermediate_size
};

}  // namespace dsi::layers
