// MoE routing: hand-built cases whose answers follow from deepseek-models.md §2.8 (V2 greedy /
// group-limited, V3 biased selection with top-2 group sums, normalization and scaling, ties),
// and a randomized check against a brute-force router written independently here.
#include "ops/moe_routing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "ops/op_test_util.h"

namespace dsi::ops {
namespace {

using testing::OwnedTensor;

struct Routed {
  std::vector<int32_t> ids;
  std::vector<float> weights;
};

Routed Route(const MoeRoutingConfig& c, const std::vector<float>& logits,
             const std::vector<float>* bias = nullptr) {
  const int64_t T = static_cast<int64_t>(logits.size()) / c.num_experts;
  OwnedTensor l(DType::kF32, {T, c.num_experts}), b(DType::kF32, {c.num_experts});
  std::copy(logits.begin(), logits.end(), l.t.data_as<float>());
  if (bias) std::copy(bias->begin(), bias->end(), b.t.data_as<float>());
  OwnedTensor ids(DType::kI32, {T, c.top_k}), w(DType::kF32, {T, c.top_k});
  const Status s = MoeRoute(c, l.t, bias ? &b.t : nullptr, ids.t, w.t);
  EXPECT_TRUE(s.ok()) << s.message();
  Routed r;
  r.ids.assign(ids.t.data_as<int32_t>(), ids.t.data_as<int32_t>() + T * c.top_k);
  r.weights = w.ToVector();
  return r;
}

std::vector<double> Softmax(const std::vector<float>& x) {
  const double m = *std::max_element(x.begin(), x.end());
  std::vector<double> p(x.size());
  double z = 0.0;
  for (size_t i = 0; i < x.size(); ++i) z += (p[i] = std::exp(x[i] - m));
  for (double& v : p) v /= z;
  return p;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(MoeRoutingTest, V2GreedyTakesTopSoftmaxProbsTimesScaling) {
  MoeRoutingConfig c{.scoring = MoeScoring::kSoftmax,
                     .method = MoeTopkMethod::kGreedy,
                     .num_experts = 6,
                     .top_k = 2,
                     .routed_scaling_factor = 16.0f};
  const std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.5f, 0.0f, 3.0f};
  const Routed r = Route(c, logits);
  EXPECT_EQ(r.ids, (std::vector<int32_t>{5, 1}));
  const auto p = Softmax(logits);
  EXPECT_NEAR(r.weights[0], p[5] * 16.0, 1e-6);
  EXPECT_NEAR(r.weights[1], p[1] * 16.0, 1e-6);
  // norm_topk_prob with k > 1 (hub remote code): normalized, and no scaling factor.
  c.norm_topk_prob = true;
  const Routed n = Route(c, logits);
  EXPECT_NEAR(n.weights[0], p[5] / (p[5] + p[1]), 1e-6);
  EXPECT_NEAR(n.weights[0] + n.weights[1], 1.0, 1e-6);
}

TEST(MoeRoutingTest, V2GroupLimitedKeepsGroupsWithTheLargestMax) {
  // 3 groups of 2: {0,1}, {2,3}, {4,5}; group maxima 0.5 / 3.0 / 2.9 → keep groups 1 and 2
  // (topk_group 2), so expert 5 (0.45) is picked although expert 0 (0.5) scores higher.
  MoeRoutingConfig c{.scoring = MoeScoring::kSoftmax,
                     .method = MoeTopkMethod::kGroupLimitedGreedy,
                     .num_experts = 6,
                     .top_k = 3,
                     .n_group = 3,
                     .topk_group = 2,
                     .routed_scaling_factor = 1.0f};
  const std::vector<float> logits = {0.5f, 0.4f, 3.0f, -2.0f, 2.9f, 0.45f};
  const Routed r = Route(c, logits);
  EXPECT_EQ(r.ids, (std::vector<int32_t>{2, 4, 5}));
  const auto p = Softmax(logits);  // weights are the unnormalized full-softmax probabilities
  EXPECT_NEAR(r.weights[2], p[5], 1e-7);
  c.topk_group = 1;
  c.top_k = 2;
  const Routed one = Route(c, logits);
  EXPECT_EQ(one.ids, (std::vector<int32_t>{2, 3}));  // expert 3 (−2.0) beats 4 (2.9): masked
  EXPECT_NEAR(one.weights[1], p[3], 1e-9);
}

TEST(MoeRoutingTest, V3SelectsWithBiasWeightsWithoutIt) {
  // 4 groups of 4. Biased scores decide groups (sum of top 2) and experts; weights use the
  // unbiased sigmoid, normalized (+1e-20) then scaled.
  MoeRoutingConfig c{.scoring = MoeScoring::kSigmoid,
                     .method = MoeTopkMethod::kNoauxTc,
                     .num_experts = 16,
                     .top_k = 3,
                     .n_group = 4,
                     .topk_group = 2,
                     .norm_topk_prob = true,
                     .routed_scaling_factor = 2.5f};
  std::vector<float> logits(16, -4.0f);
  std::vector<float> bias(16, 0.0f);
  logits[1] = 3.0f;  // group 0: one strong expert (sum of top 2 ≈ 0.97)
  logits[4] = 1.0f;
  logits[5] = 1.0f;  // group 1: two medium ones (sum ≈ 1.46)
  logits[9] = 0.5f;
  bias[9] = 0.6f;  // group 2: 0.62 + 0.6 biased, and expert 10 at −4
  logits[10] = 0.4f;
  bias[10] = 0.5f;    //   → group sum ≈ 2.32 (best)
  logits[13] = 2.0f;  // group 3: sum ≈ 0.90, dropped
  const Routed r = Route(c, logits, &bias);
  // Kept groups: 2 (2.32) and 1 (1.46). Expert choice by biased score: 9 (1.22), 10 (1.10),
  // then 4 vs 5 tie (0.731): the lower id.
  EXPECT_EQ(r.ids, (std::vector<int32_t>{9, 10, 4}));
  const double s9 = Sigmoid(0.5), s10 = Sigmoid(0.4), s4 = Sigmoid(1.0);
  const double z = s9 + s10 + s4 + 1e-20;
  EXPECT_NEAR(r.weights[0], s9 / z * 2.5, 1e-6);
  EXPECT_NEAR(r.weights[1], s10 / z * 2.5, 1e-6);
  EXPECT_NEAR(r.weights[2], s4 / z * 2.5, 1e-6);
  // Without normalization: raw sigmoid × scaling.
  c.norm_topk_prob = false;
  const Routed raw = Route(c, logits, &bias);
  EXPECT_NEAR(raw.weights[0], s9 * 2.5, 1e-6);
}

TEST(MoeRoutingTest, GroupMaskValueZeroVersusMinusInfinity) {
  // With negative biased scores in the kept groups, HF's 0.0 mask lets a dropped group's expert
  // win (deepseek-models.md §2.10); −inf (DeepSeek inference) does not.
  MoeRoutingConfig c{.scoring = MoeScoring::kSigmoid,
                     .method = MoeTopkMethod::kNoauxTc,
                     .num_experts = 4,
                     .top_k = 1,
                     .n_group = 2,
                     .topk_group = 1,
                     .routed_scaling_factor = 1.0f};
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f, 0.0f};
  const std::vector<float> bias = {-0.7f, -0.8f, -1.0f, -1.0f};  // group 0 wins, all negative
  EXPECT_EQ(Route(c, logits, &bias).ids[0], 2);  // masked 0.0 beats −0.2: lowest masked id
  c.group_mask_value = -INFINITY;
  EXPECT_EQ(Route(c, logits, &bias).ids[0], 0);
}

TEST(MoeRoutingTest, TiesGoToTheLowerExpertId) {
  MoeRoutingConfig c{.scoring = MoeScoring::kSoftmax,
                     .method = MoeTopkMethod::kGreedy,
                     .num_experts = 8,
                     .top_k = 3};
  const Routed r = Route(c, std::vector<float>(8, 1.0f));
  EXPECT_EQ(r.ids, (std::vector<int32_t>{0, 1, 2}));
}

// Brute force: full stable sort of (score desc, id asc) at every step.
std::vector<int> SortedIds(const std::vector<double>& v) {
  std::vector<int> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return v[a] > v[b]; });
  return idx;
}

TEST(MoeRoutingTest, RandomV3MatchesBruteForce) {
  MoeRoutingConfig c{.scoring = MoeScoring::kSigmoid,
                     .method = MoeTopkMethod::kNoauxTc,
                     .num_experts = 64,
                     .top_k = 6,
                     .n_group = 8,
                     .topk_group = 3,
                     .norm_topk_prob = true,
                     .routed_scaling_factor = 2.5f};
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  const int T = 50;
  std::vector<float> logits(T * 64), bias(64);
  for (float& x : logits) x = dist(rng);
  for (float& x : bias) x = 0.1f * dist(rng);
  const Routed r = Route(c, logits, &bias);
  for (int t = 0; t < T; ++t) {
    std::vector<double> s(64), choice(64);
    for (int e = 0; e < 64; ++e) {
      s[e] = static_cast<float>(Sigmoid(logits[t * 64 + e]));
      choice[e] = static_cast<float>(s[e] + bias[e]);
    }
    std::vector<double> group(8);
    for (int g = 0; g < 8; ++g) {
      std::vector<double> members(choice.begin() + g * 8, choice.begin() + g * 8 + 8);
      std::sort(members.rbegin(), members.rend());
      group[g] = static_cast<float>(members[0] + members[1]);
    }
    const std::vector<int> groups = SortedIds(group);
    std::vector<double> masked(64, 0.0);
    for (int i = 0; i < 3; ++i) {
      for (int e = 0; e < 8; ++e) masked[groups[i] * 8 + e] = choice[groups[i] * 8 + e];
    }
    const std::vector<int> picked = SortedIds(masked);
    double z = 0.0;
    for (int i = 0; i < 6; ++i) z += s[picked[i]];
    for (int i = 0; i < 6; ++i) {
      ASSERT_EQ(r.ids[t * 6 + i], picked[i]) << "token " << t;
      ASSERT_NEAR(r.weights[t * 6 + i], s[picked[i]] / z * 2.5, 1e-6);
    }
  }
}

TEST(MoeRoutingTest, RejectsBadConfigsAndShapes) {
  OwnedTensor logits(DType::kF32, {2, 8}), ids(DType::kI32, {2, 2}), w(DType::kF32, {2, 2});
  OwnedTensor bias(DType::kF32, {8});
  MoeRoutingConfig c{.scoring = MoeScoring::kSigmoid,
                     .method = MoeTopkMethod::kNoauxTc,
                     .num_experts = 8,
                     .top_k = 2,
                     .n_group = 3,
                     .topk_group = 1};
  EXPECT_EQ(MoeRoute(c, logits.t, &bias.t, ids.t, w.t).code(), ErrorCode::kInvalidArgument);
  c.n_group = 4;
  EXPECT_TRUE(MoeRoute(c, logits.t, &bias.t, ids.t, w.t).ok());
  EXPECT_EQ(MoeRoute(c, logits.t, nullptr, ids.t, w.t).code(), ErrorCode::kInvalidArgument);
  c.n_group = 8;  // groups of one expert cannot give a top-2 sum
  EXPECT_EQ(MoeRoute(c, logits.t, &bias.t, ids.t, w.t).code(), ErrorCode::kInvalidArgument);
  c.n_group = 4;
  c.top_k = 3;  // ids/weights are [2, 2]
  EXPECT_EQ(MoeRoute(c, logits.t, &bias.t, ids.t, w.t).code(), ErrorCode::kInvalidArgument);
  c.top_k = 9;
  EXPECT_EQ(MoeRoute(c, logits.t, &bias.t, ids.t, w.t).code(), ErrorCode::kInvalidArgument);
  MoeRoutingConfig greedy{.num_experts = 8, .top_k = 2};
  EXPECT_EQ(MoeRoute(greedy, logits.t, &bias.t, ids.t, w.t).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(MoeRoute(greedy, logits.t, nullptr, ids.t, w.t).ok());
}

}  // namespace
}  // namespace dsi::ops
