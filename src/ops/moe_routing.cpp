// MoE routing op: config and shape checks, then the scalar routing kernel.
#include "ops/moe_routing.h"

#include <string>

#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

Status CheckConfig(const MoeRoutingConfig& c) {
  const std::string p = "moe_route: ";
  if (c.num_experts <= 0 || c.num_experts > kernels::ref::kMoeMaxExperts) {
    return InvalidArgument(p + "n_routed_experts " + std::to_string(c.num_experts) +
                           " outside [1, " + std::to_string(kernels::ref::kMoeMaxExperts) + "]");
  }
  if (c.top_k <= 0 || c.top_k > c.num_experts) {
    return InvalidArgument(p + "num_experts_per_tok " + std::to_string(c.top_k) +
                           " outside [1, n_routed_experts]");
  }
  if (c.method == MoeTopkMethod::kGreedy) return Status::Ok();
  if (c.n_group <= 0 || c.num_experts % c.n_group != 0) {
    return InvalidArgument(p + "n_group " + std::to_string(c.n_group) +
                           " does not divide n_routed_experts " + std::to_string(c.num_experts));
  }
  if (c.topk_group <= 0 || c.topk_group > c.n_group) {
    return InvalidArgument(p + "topk_group " + std::to_string(c.topk_group) +
                           " outside [1, n_group]");
  }
  const int group_size = c.num_experts / c.n_group;
  if (c.topk_group * group_size < c.top_k) {
    return InvalidArgument(p + "topk_group · group size < num_experts_per_tok");
  }
  if (c.method == MoeTopkMethod::kNoauxTc && group_size < 2) {
    return InvalidArgument(p + "noaux_tc needs at least two experts per group");
  }
  return Status::Ok();
}

}  // namespace

Status MoeRoute(const MoeRoutingConfig& config, const Tensor& logits, const Tensor* correction_bias,
                const Tensor& expert_ids, const Tensor& weights) {
  constexpr std::string_view kOp = "moe_route";
  DSI_RETURN_IF_ERROR(CheckConfig(config));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "logits", logits, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "logits", logits, {DType::kF32}));
  const int64_t num_tokens = logits.dim(0);
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "logits", logits, {num_tokens, config.num_experts}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "expert_ids", expert_ids, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "expert_ids", expert_ids, {DType::kI32}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "expert_ids", expert_ids, {num_tokens, config.top_k}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "weights", weights, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "weights", weights, {DType::kF32}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "weights", weights, {num_tokens, config.top_k}));
  const bool needs_bias = config.method == MoeTopkMethod::kNoauxTc;
  if (needs_bias != (correction_bias != nullptr)) {
    return InvalidArgument(needs_bias ? "moe_route: noaux_tc needs e_score_correction_bias"
                                      : "moe_route: e_score_correction_bias is only for noaux_tc");
  }
  if (correction_bias) {
    DSI_RETURN_IF_ERROR(CheckRank(kOp, "e_score_correction_bias", *correction_bias, 1));
    DSI_RETURN_IF_ERROR(
        CheckDType(kOp, "e_score_correction_bias", *correction_bias, {DType::kF32}));
    DSI_RETURN_IF_ERROR(
        CheckShape(kOp, "e_score_correction_bias", *correction_bias, {config.num_experts}));
  }
  kernels::ref::MoeRoutingParams p;
  p.scoring = config.scoring;
  p.method = config.method;
  p.num_experts = config.num_experts;
  p.top_k = config.top_k;
  p.n_group = config.method == MoeTopkMethod::kGreedy ? 1 : config.n_group;
  p.topk_group = config.method == MoeTopkMethod::kGreedy ? 1 : config.topk_group;
  p.norm_topk_prob = config.norm_topk_prob;
  p.routed_scaling_factor = config.routed_scaling_factor;
  p.correction_bias = correction_bias ? correction_bias->data_as<float>() : nullptr;
  p.group_mask_value = config.group_mask_value;
  kernels::ref::MoeRoute(p, logits.data_as<float>(), expert_ids.data_as<int32_t>(),
                         weights.data_as<float>(), static_cast<size_t>(num_tokens));
  return Status::Ok();
}

}  // namespace dsi::ops
