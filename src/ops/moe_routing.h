// MoE routing for DeepSeek V2 (softmax; greedy or group-limited by group max) and V3 (sigmoid,
// e_score_correction_bias for selection only, group score = sum of the group's top two):
// router logits in, expert ids and weights out (deepseek-models.md §2.8).
#pragma once

#include "core/status.h"
#include "core/tensor.h"
#include "kernels/ref/moe_routing_ref.h"

namespace dsi::ops {

using kernels::ref::MoeScoring;
using kernels::ref::MoeTopkMethod;

// From config.json: scoring_func, topk_method, n_routed_experts, num_experts_per_tok, n_group,
// topk_group, norm_topk_prob, routed_scaling_factor.
struct MoeRoutingConfig {
  MoeScoring scoring = MoeScoring::kSoftmax;
  MoeTopkMethod method = MoeTopkMethod::kGreedy;
  int num_experts = 0;
  int top_k = 0;
  int n_group = 1;
  int topk_group = 1;
  bool norm_topk_prob = false;
  float routed_scaling_factor = 1.0f;
  float group_mask_value = 0.0f;  // HF; −inf reproduces DeepSeek's inference/model.py
};

// logits: [num_tokens, num_experts] f32 (the fp32 router GEMM); correction_bias: [num_experts]
// f32 or null (required for kNoauxTc, must be null otherwise); expert_ids: [num_tokens, top_k]
// i32; weights: [num_tokens, top_k] f32.
// Each token's experts come in descending selection score, equal scores lowest id first.
// torch.topk leaves the order of ties unspecified (and HF calls it with sorted=False), so
// only the *set* of experts is comparable with HF, and only away from exact ties at the k-th
// place. Combine in ascending expert id to match HF V3's summation order.
Status MoeRoute(const MoeRoutingConfig& config, const Tensor& logits, const Tensor* correction_bias,
                const Tensor& expert_ids, const Tensor& weights);

}  // namespace dsi::ops
