// MoE router: scores, group-limited expert selection and routing weights for DeepSeek V2
// (softmax) and V3 (sigmoid + correction bias), as pure functions of the router logits.
// Routing costs O(T·E) next to O(T·E·H) for the router GEMM, so there is no vector variant.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::ref {

enum class MoeScoring { kSoftmax, kSigmoid };
enum class MoeTopkMethod {
  kGreedy,              // top-k of the scores (V2 `greedy`)
  kGroupLimitedGreedy,  // group score = max in group (V2 `group_limited_greedy`)
  kNoauxTc,             // group score = sum of the top-2 in group, biased scores (V3)
};

inline constexpr int kMoeMaxExperts = 1024;

struct MoeRoutingParams {
  MoeScoring scoring = MoeScoring::kSoftmax;
  MoeTopkMethod method = MoeTopkMethod::kGreedy;
  int num_experts = 0;
  int top_k = 0;
  int n_group = 1;
  int topk_group = 1;
  bool norm_topk_prob = false;
  float routed_scaling_factor = 1.0f;
  const float* correction_bias = nullptr;  // [num_experts] or null; selection only (V3)
  // Value given to experts of dropped groups before the final top-k: 0.0 in HF and the hub
  // code; DeepSeek's inference/model.py and SGLang use −inf (deepseek-models.md §2.10).
  float group_mask_value = 0.0f;
};

// For each token: ids[t, :top_k] (descending selection score; equal scores: lower expert id
// first; NaN ranks highest as in torch.topk) and weights[t, :top_k] fp32.
//   softmax: w = masked softmax prob; if top_k > 1 && norm_topk_prob: w /= Σw + 1e−20,
//            else w *= routed_scaling_factor (hub remote code; every released V2 config has
//            norm_topk_prob = false, where native HF agrees).
//   sigmoid: w = unbiased sigmoid; if norm_topk_prob: w /= Σw + 1e−20; then
//            w *= routed_scaling_factor (native HF V3).
void MoeRoute(const MoeRoutingParams& params, const float* logits, int32_t* ids, float* weights,
              size_t num_tokens);

}  // namespace dsi::kernels::ref
