// MoE layer: against a direct double-precision evaluation of deepseek-models.md §2.8
// (routing from ops::MoeRoute, then Σ w · SwiGLU_e(x) + shared(x)) at tp = 1, and the splits
// of moe.h [NOTE: MoE expert layout] against tp = 1, for V2 greedy, V2 group-limited and V3
// noaux_tc routing: ep = tp (each rank owns whole experts; also bitwise equal to the default
// ep = 0) and ep < tp (experts' intermediate dimension split over etp = tp / ep), with the
// weight shards each rank reports to the loader, and the layout errors of Moe::Create.
// Tolerances as [NOTE: split tolerance] in parallel_layers_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

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

// The layer for this rank, built through Create (which must accept the spec).
Moe Layout(const MoeSpec& spec, dist::Communicator& comm) {
  Result<Moe> moe = Moe::Create(spec, {comm.rank(), comm.size()}, DType::kF32);
  EXPECT_TRUE(moe.ok()) << moe.status().ToString();
  return std::move(moe).value();
}

// Builds the layer on this rank, fills its weights (capturing the full tensors into `weights`
// when given: only meaningful at tp = 1) and returns y = Moe(x) [kTokens, kHidden].
std::vector<float> RunMoe(const MoeSpec& spec, dist::Communicator& comm, std::vector<float> x,
                          std::map<std::string, std::vector<float>>* weights) {
  RankContext rc(&comm);
  Moe moe = Layout(spec, comm);
  moe.ForEachWeight([&](const WeightRef& w) {
    FillWeight(w);
    if (weights != nullptr) {
      (*weights)[w.name].assign(w.dest.data_as<float>(),
                                w.dest.data_as<float>() + w.dest.NumElements());
    }
  });
  std::vector<float> y(kTokens * kHidden);
  const Status st = moe.Forward(rc.ctx, View(x, {kTokens, kHidden}), View(y, {kTokens, kHidden}), 1);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return y;
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
      EXPECT_EQ(Layout(spec, comm).owned_experts(), Partition(8, comm.size(), comm.rank()));
      return RunMoe(spec, comm, x, comm.size() == 1 ? &weights : nullptr);
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

    std::vector<std::vector<float>> split(tp), explicit_ep(tp);
    RunOnRanks(tp, [&](dist::Communicator& comm) { split[comm.rank()] = run(comm); });
    MoeSpec ep_tp = spec;
    ep_tp.ep = tp;  // the default layout spelled out: the same layer, bit for bit
    RunOnRanks(tp, [&](dist::Communicator& comm) {
      explicit_ep[comm.rank()] = RunMoe(ep_tp, comm, x, nullptr);
    });
    for (int r = 0; r < tp; ++r) {
      EXPECT_LE(MaxAbsDiff(split[r], full), tol) << c.name << " rank " << r;
      EXPECT_EQ(explicit_ep[r], split[r]) << c.name << " rank " << r << ": ep = tp vs ep = 0";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tp, MoeTest, ::testing::Values(2, 4),
                         [](const auto& info) { return "tp" + std::to_string(info.param); });

struct TpEp {
  int tp;
  int ep;
};
void PrintTo(const TpEp& p, std::ostream* os) { *os << "tp " << p.tp << " ep " << p.ep; }

class MoeExpertTensorParallelTest : public ::testing::TestWithParam<TpEp> {};

// ep < tp: rank r owns experts Partition(8, ep, r / etp) and the (r % etp)-th 1/etp of each
// one's intermediate dimension; the sum over ranks reproduces the unsplit layer.
TEST_P(MoeExpertTensorParallelTest, ReproducesUnsplitLayer) {
  const auto [tp, ep] = GetParam();
  const int etp = tp / ep;
  std::vector<float> x = RandomActivations(kTokens, kHidden, 12);
  for (const RoutingCase& c : Cases()) {
    MoeSpec spec = SpecFor(c.routing);
    std::vector<float> full;
    RunOnRanks(1, [&](dist::Communicator& comm) { full = RunMoe(spec, comm, x, nullptr); });
    spec.ep = ep;
    std::vector<std::vector<float>> split(tp);
    RunOnRanks(tp, [&](dist::Communicator& comm) {
      const Moe moe = Layout(spec, comm);
      EXPECT_EQ(moe.expert_shard().rank, comm.rank() / etp);
      EXPECT_EQ(moe.expert_shard().size, ep);
      EXPECT_EQ(moe.expert_tensor_shard().rank, comm.rank() % etp);
      EXPECT_EQ(moe.expert_tensor_shard().size, etp);
      EXPECT_EQ(moe.owned_experts(), Partition(8, ep, comm.rank() / etp));
      split[comm.rank()] = RunMoe(spec, comm, x, nullptr);
    });
    const float tol = 1e-5f * MaxAbs(full) + 1e-6f;
    for (int r = 0; r < tp; ++r) {
      EXPECT_LE(MaxAbsDiff(split[r], full), tol) << c.name << " rank " << r;
    }
  }
}

// The slices reported to the loader: a routed expert's gate/up rows and down columns are this
// rank's 1/etp of moe_intermediate_size, and over the whole tp group every element of every
// expert tensor is held exactly once (router and correction bias: on every rank).
TEST_P(MoeExpertTensorParallelTest, ReportsExpertWeightShards) {
  const auto [tp, ep] = GetParam();
  const int etp = tp / ep;
  MoeSpec spec = SpecFor(Cases()[2].routing);
  spec.ep = ep;
  std::map<std::string, std::vector<int>> held;  // name -> per-element count over ranks
  for (int r = 0; r < tp; ++r) {
    Result<Moe> moe = Moe::Create(spec, {r, tp}, DType::kF32);
    ASSERT_TRUE(moe.ok()) << moe.status().ToString();
    const Range inter = Partition(kInter, etp, r % etp);
    std::set<int64_t> experts_seen;
    moe->ForEachWeight([&](const WeightRef& w) {
      const bool matrix = w.full_shape.rank() == 2;
      const int64_t full_cols = matrix ? w.full_shape[1] : 1;
      ASSERT_EQ(w.dest.NumElements(), w.rows.size() * (matrix ? w.cols.size() : 1)) << w.name;
      std::vector<int>& count = held[w.name];
      count.resize(w.full_shape.NumElements());
      for (int64_t i = w.rows.begin; i < w.rows.end; ++i) {
        for (int64_t j = matrix ? w.cols.begin : 0; j < (matrix ? w.cols.end : 1); ++j) {
          ++count[i * full_cols + j];
        }
      }
      const std::string experts = spec.prefix + ".experts.";
      if (w.name.rfind(experts, 0) != 0) return;
      experts_seen.insert(std::stoll(w.name.substr(experts.size())));
      if (w.name.find("down_proj") != std::string::npos) {
        EXPECT_EQ(w.full_shape, Shape({kHidden, kInter})) << w.name;
        EXPECT_EQ(w.rows, Range({0, kHidden})) << w.name;
        EXPECT_EQ(w.cols, inter) << w.name << " rank " << r;
      } else {
        EXPECT_EQ(w.full_shape, Shape({kInter, kHidden})) << w.name;
        EXPECT_EQ(w.rows, inter) << w.name << " rank " << r;
        EXPECT_EQ(w.cols, Range({0, kHidden})) << w.name;
      }
    });
    const Range owned = Partition(8, ep, r / etp);
    std::set<int64_t> want;
    for (int64_t e = owned.begin; e < owned.end; ++e) want.insert(e);
    EXPECT_EQ(experts_seen, want) << "rank " << r;
  }
  EXPECT_EQ(held.size(), 2u + 8u * 3u + 3u);  // gate + bias, 8 experts, shared experts
  for (const auto& [name, count] : held) {
    const bool replicated = name.find(".gate.") != std::string::npos;
    for (size_t i = 0; i < count.size(); ++i) {
      ASSERT_EQ(count[i], replicated ? tp : 1) << name << " element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, MoeExpertTensorParallelTest,
                         ::testing::Values(TpEp{2, 1}, TpEp{4, 2}, TpEp{4, 1}, TpEp{2, 2},
                                           TpEp{4, 4}),
                         [](const auto& info) {
                           return "tp" + std::to_string(info.param.tp) + "_ep" +
                                  std::to_string(info.param.ep);
                         });

TEST(MoeLayoutTest, CreateRejectsInvalidLayouts) {
  MoeSpec spec = SpecFor(Cases()[0].routing);
  for (const int ep : {3, -1, 8}) {
    spec.ep = ep;
    const Result<Moe> moe = Moe::Create(spec, {0, 4}, DType::kF32);
    ASSERT_FALSE(moe.ok()) << "ep " << ep;
    EXPECT_EQ(moe.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(moe.status().message().find("ep = " + std::to_string(ep)), std::string::npos)
        << moe.status().ToString();
    EXPECT_NE(moe.status().message().find(spec.prefix), std::string::npos)
        << moe.status().ToString();
  }
  // moe_intermediate_size 6 splits over etp = 2 but not over etp = 4.
  spec.moe_intermediate_size = 6;
  for (const int ep : {0, 4, 2}) {
    spec.ep = ep;
    EXPECT_TRUE(Moe::Validate(spec, {1, 4}).ok()) << "ep " << ep;
  }
  spec.ep = 1;
  const Result<Moe> moe = Moe::Create(spec, {1, 4}, DType::kF32);
  ASSERT_FALSE(moe.ok());
  EXPECT_EQ(moe.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(moe.status().message().find("moe_intermediate_size 6"), std::string::npos)
      << moe.status().ToString();
  EXPECT_NE(moe.status().message().find("etp"), std::string::npos) << moe.status().ToString();
}

}  // namespace
}  // namespace dsi::layers
