// MoE layer: against a direct double-precision evaluation of deepseek-models.md §2.8
// (routing from ops::MoeRoute, then Σ w · SwiGLU_e(x) + shared(x)) at tp = 1, and the expert-
// partitioned split (tp = 2, 4: each rank owns whole experts, shared experts split column/row,
// one all-reduce) against tp = 1, for V2 greedy, V2 group-limited and V3 noaux_tc routing.
// Tolerances as [NOTE: split tolerance] in parallel_layers_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "layers/layer_test_util.h"
#include "layers/moe.h"

namespace dsi::layers {
namespace {

using testing::FillWeight;
using testing::MaxAbs;
using testing::MaxAbsDiff;
using testing::RandomActivations;
using testing::RankContext;
using testing::RunOnRanks;
using testing::View;

constexpr int64_t kTokens = 6, kHidden = 16, kInter = 8;

struct RoutingCase {
  const char* name;
  ops::MoeRoutingConfig routing;
};

std::vector<RoutingCase> Cases() {
  ops::MoeRoutingConfig greedy;
  greedy.scoring = ops::MoeScoring::kSoftmax;
  greedy.method = ops::MoeTopkMethod::kGreedy;
  greedy.num_experts = 8;
  greedy.top_k = 3;
  greedy.routed_scaling_factor = 1.5f;
  ops::MoeRoutingConfig group = greedy;
  group.method = ops::MoeTopkMethod::kGroupLimitedGreedy;
  group.n_group = 4;
  group.topk_group = 2;
  ops::MoeRoutingConfig v3 = greedy;
  v3.scoring = ops::MoeScoring::kSigmoid;
  v3.method = ops::MoeTopkMethod::kNoauxTc;
  v3.n_group = 2;
  v3.topk_group = 1;
  v3.norm_topk_prob = true;
  v3.routed_scaling_factor = 2.5f;
  v3.group_mask_value = -std::numeric_limits<float>::infinity();
  return {{"v2_greedy", greedy}, {"v2_group_limited", group}, {"v3_noaux_tc", v3}};
}

MoeSpec SpecFor(const ops::MoeRoutingConfig& routing) {
  MoeSpec spec;
  spec.prefix = "model.layers.1.mlp";
  spec.hidden_size = kHidden;
  spec.moe_intermediate_size = kInter;
  spec.n_shared_experts = 2;
  spec.routing = routing;
  return spec;
}

// y = down(silu(gate x) * up x) in double with full-tensor weights from `w`.
std::vector<double> SwiGlu(const std::map<std::string, std::vector<float>>& w,
                           const std::string& prefix, int64_t inter, const float* x) {
  const std::vector<float>& gate = w.at(prefix + ".gate_proj.weight");
  const std::vector<float>& up = w.at(prefix + ".up_proj.weight");
  const std::vector<float>& down = w.at(prefix + ".down_proj.weight");
  std::vector<double> act(inter), y(kHidden, 0.0);
  for (int64_t i = 0; i < inter; ++i) {
    double g = 0, u = 0;
    for (int64_t c = 0; c < kHidden; ++c) {
      g += double(gate[i * kHidden + c]) * x[c];
      u += double(up[i * kHidden + c]) * x[c];
    }
    act[i] = g / (1.0 + std::exp(-g)) * u;
  }
  for (int64_t o = 0; o < kHidden; ++o) {
    for (int64_t i = 0; i < inter; ++i) y[o] += double(down[o * inter + i]) * act[i];
  }
  return y;
}

class MoeTest : public ::testing::TestWithParam<int> {};

TEST_P(MoeTest, MatchesDirectEvaluationAndExpertPartition) {
  const int tp = GetParam();
  std::vector<float> x = RandomActivations(kTokens, kHidden, 11);
  for (const RoutingCase& c : Cases()) {
    const MoeSpec spec = SpecFor(c.routing);
    std::map<std::string, std::vector<float>> weights;  // full tensors, captured at tp = 1
    auto run = [&](dist::Communicator& comm) {
      RankContext rc(&comm);
      Moe moe(spec, {comm.rank(), comm.size()}, DType::kF32);
      EXPECT_EQ(moe.owned_experts(), Partition(8, comm.size(), comm.rank()));
      moe.ForEachWeight([&](const WeightRef& w) {
        FillWeight(w);
        if (comm.size() == 1) {
          weights[w.name].assign(w.dest.data_as<float>(),
                                 w.dest.data_as<float>() + w.dest.NumElements());
        }
      });
      std::vector<float> y(kTokens * kHidden);
      const Status st = moe.Forward(rc.ctx, View(x, {kTokens, kHidden}), View(y, {kTokens, kHidden}), 1);
      EXPECT_TRUE(st.ok()) << st.ToString();
      return y;
    };
    std::vector<float> full;
    RunOnRanks(1, [&](dist::Communicator& comm) { full = run(comm); });

    // Direct evaluation.
    std::vector<float> logits(kTokens * 8);
    const std::vector<float>& router = weights.at(spec.prefix + ".gate.weight");
    for (int64_t t = 0; t < kTokens; ++t) {
      for (int64_t e = 0; e < 8; ++e) {
        double acc = 0;
        for (int64_t k = 0; k < kHidden; ++k) acc += double(router[e * kHidden + k]) * x[t * kHidden + k];
        logits[t * 8 + e] = static_cast<float>(acc);
      }
    }
    std::vector<int32_t> ids(kTokens * 3);
    std::vector<float> w(kTokens * 3);
    Tensor bias_t;
    if (c.routing.method == ops::MoeTopkMethod::kNoauxTc) {
      bias_t = Tensor(weights.at(spec.prefix + ".gate.e_score_correction_bias").data(), DType::kF32, {8});
    }
    ASSERT_TRUE(ops::MoeRoute(c.routing, View(logits, {kTokens, 8}),
                              c.routing.method == ops::MoeTopkMethod::kNoauxTc ? &bias_t : nullptr,
                              Tensor(ids.data(), DType::kI32, {kTokens, 3}),
                              View(w, {kTokens, 3}))
                    .ok());
    std::vector<float> want(kTokens * kHidden);
    for (int64_t t = 0; t < kTokens; ++t) {
      std::vector<double> y = SwiGlu(weights, spec.prefix + ".shared_experts", 2 * kInter,
                                     x.data() + t * kHidden);
      for (int j = 0; j < 3; ++j) {
        const std::vector<double> e = SwiGlu(
            weights, spec.prefix + ".experts." + std::to_string(ids[t * 3 + j]), kInter,
            x.data() + t * kHidden);
        for (int64_t o = 0; o < kHidden; ++o) y[o] += w[t * 3 + j] * e[o];
      }
      for (int64_t o = 0; o < kHidden; ++o) want[t * kHidden + o] = static_cast<float>(y[o]);
    }
    const float tol = 1e-5f * MaxAbs(want) + 1e-6f;
    EXPECT_LE(MaxAbsDiff(full, want), tol) << c.name << " vs direct evaluation";

    std::vector<std::vector<float>> split(tp);
    RunOnRanks(tp, [&](dist::Communicator& comm) { split[comm.rank()] = run(comm); });
    for (int r = 0; r < tp; ++r) {
      EXPECT_LE(MaxAbsDiff(split[r], full), tol) << c.name << " rank " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tp, MoeTest, ::testing::Values(2, 4),
                         [](const auto& info) { return "tp" + std::to_string(info.param); });

}  // namespace
}  // namespace dsi::layers
