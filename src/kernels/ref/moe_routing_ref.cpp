// Scalar MoE routing. Scores in fp32 from double math; selection by a total order so results
// never depend on the sort algorithm (torch.topk leaves the order of ties unspecified).
#include "kernels/ref/moe_routing_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dsi::kernels::ref {
namespace {

// a ranks before b: NaN first (torch.topk puts NaN on top), then larger value, then lower index.
struct RanksBefore {
  const float* v;
  bool operator()(int a, int b) const {
    const bool na = std::isnan(v[a]);
    const bool nb = std::isnan(v[b]);
    if (na != nb) return na;
    if (!na && v[a] != v[b]) return v[a] > v[b];
    return a < b;
  }
};

// Writes the indices of the k best of v[0..n) to out, best first.
void TopK(const float* v, int n, int k, int* scratch, int* out) {
  for (int i = 0; i < n; ++i) scratch[i] = i;
  std::partial_sort(scratch, scratch + k, scratch + n, RanksBefore{v});
  std::copy(scratch, scratch + k, out);
}

void Scores(const MoeRoutingParams& p, const float* logits, float* s) {
  const int e = p.num_experts;
  if (p.scoring == MoeScoring::kSigmoid) {
    for (int i = 0; i < e; ++i)
      s[i] = static_cast<float>(1.0 / (1.0 + std::exp(-double{logits[i]})));
    return;
  }
  float max = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < e; ++i) max = std::fmax(max, logits[i]);
  double sum = 0.0;
  for (int i = 0; i < e; ++i) sum += std::exp(double{logits[i]} - max);
  for (int i = 0; i < e; ++i) s[i] = static_cast<float>(std::exp(double{logits[i]} - max) / sum);
}

}  // namespace

void MoeRoute(const MoeRoutingParams& p, const float* logits, int32_t* ids, float* weights,
              size_t num_tokens) {
  const int e = p.num_experts;
  const int group_size = e / p.n_group;
  float scores[kMoeMaxExperts];
  float choice[kMoeMaxExperts];  // selection scores (biased for V3), then group-masked
  float group_scores[kMoeMaxExperts];
  int order[kMoeMaxExperts];
  int picked[kMoeMaxExperts];
  bool group_kept[kMoeMaxExperts];

  for (size_t t = 0; t < num_tokens; ++t) {
    Scores(p, logits + t * e, scores);
    for (int i = 0; i < e; ++i) {
      choice[i] = scores[i] + (p.correction_bias ? p.correction_bias[i] : 0.0f);
    }

    if (p.method != MoeTopkMethod::kGreedy) {
      for (int g = 0; g < p.n_group; ++g) {
        const float* c = choice + g * group_size;
        if (p.method == MoeTopkMethod::kGroupLimitedGreedy) {
          int top1;
          TopK(c, group_size, 1, order, &top1);
          group_scores[g] = c[top1];
        } else {
          int top2[2];
          TopK(c, group_size, 2, order, top2);
          group_scores[g] = c[top2[0]] + c[top2[1]];
        }
      }
      TopK(group_scores, p.n_group, p.topk_group, order, picked);
      std::fill(group_kept, group_kept + p.n_group, false);
      for (int i = 0; i < p.topk_group; ++i) group_kept[picked[i]] = true;
      for (int i = 0; i < e; ++i) {
        if (!group_kept[i / group_size]) choice[i] = p.group_mask_value;
      }
    }

    int32_t* id = ids + t * p.top_k;
    float* w = weights + t * p.top_k;
    TopK(choice, e, p.top_k, order, picked);
    double sum = 0.0;
    for (int i = 0; i < p.top_k; ++i) {
      id[i] = picked[i];
      // V2 takes the weight from the masked softmax scores, V3 from the unbiased sigmoid.
      const bool masked = p.method != MoeTopkMethod::kGreedy && !group_kept[picked[i] / group_size];
      w[i] = p.scoring == MoeScoring::kSigmoid ? scores[picked[i]]
             : masked                          ? p.group_mask_value
                                               : scores[picked[i]];
      sum += w[i];
    }
    const bool normalize = p.norm_topk_prob && (p.scoring == MoeScoring::kSigmoid || p.top_k > 1);
    const bool scale = p.scoring == MoeScoring::kSigmoid || !normalize;
    for (int i = 0; i < p.top_k; ++i) {
      if (normalize) w[i] = static_cast<float>(w[i] / (sum + 1e-20));
      if (scale) w[i] *= p.routed_scaling_factor;
    }
  }
}

}  // namespace dsi::kernels::ref
