// GQA and MLA attention layers split over tp = 2 and 4 fake ranks reproduce tp = 1 across three
// steps through the paged cache (two sequences: prefill 5 / 3, then chunk 2 / decode 1, then
// decode 1 / 1); MLA in both forms, with and without q_lora, against the unsplit full form.
// Tolerances as [NOTE: split tolerance] in parallel_layers_test.cpp.
#include <gtest/gtest.h>

#include "layers/gqa_attention.h"
#include "layers/layer_test_util.h"
#include "layers/mla_attention.h"

namespace dsi::layers {
namespace {

using testing::FillWeight;
using testing::MaxAbs;
using testing::MaxAbsDiff;
using testing::RandomActivations;
using testing::RankContext;
using testing::RunOnRanks;
using testing::StepBuilder;
using testing::View;

constexpr int64_t kHidden = 32;
const std::vector<std::vector<int>> kSteps = {{5, 3}, {2, 1}, {1, 1}};

// Runs the three steps with layer_forward(ctx, step, x, y) and returns all outputs concatenated.
template <typename Forward>
std::vector<float> RunSteps(dist::Communicator& comm, const kv_cache::KvCacheSpec& spec,
                            const ops::RopeConfig& rope, const Forward& forward) {
  RankContext rc(&comm);
  StepBuilder builder(spec, rope, 2);
  std::vector<float> all;
  for (size_t s = 0; s < kSteps.size(); ++s) {
    const StepBatch& step = builder.Build(kSteps[s]);
    std::vector<float> x = RandomActivations(step.num_tokens, kHidden, 100 + s);
    std::vector<float> y(step.num_tokens * kHidden);
    rc.scratch.Reset();
    const Status st = forward(rc.ctx, step, View(x, {step.num_tokens, kHidden}),
                              View(y, {step.num_tokens, kHidden}));
    EXPECT_TRUE(st.ok()) << st.ToString();
    builder.Commit();
    all.insert(all.end(), y.begin(), y.end());
  }
  return all;
}

struct GqaCase {
  int64_t num_kv_heads;
  int tp;
};

void PrintTo(const GqaCase& c, std::ostream* os) {
  *os << "num_kv_heads " << c.num_kv_heads << " tp " << c.tp;
}

class GqaSplitTest : public ::testing::TestWithParam<GqaCase> {};

TEST_P(GqaSplitTest, MatchesUnsplit) {
  const GqaCase c = GetParam();
  GqaSpec spec;
  spec.prefix = "model.layers.0.self_attn";
  spec.hidden_size = kHidden;
  spec.num_heads = 4;
  spec.num_kv_heads = c.num_kv_heads;
  spec.head_dim = 8;
  spec.qkv_bias = true;
  spec.o_bias = true;
  spec.scale = 1.0f / std::sqrt(8.0f);
  ops::RopeConfig rope;
  rope.rot_dim = 8;
  rope.base = 10000.0;
  auto run = [&](dist::Communicator& comm) {
    const TpShard shard{comm.rank(), comm.size()};
    Result<GqaAttention> attn = GqaAttention::Create(spec, shard, DType::kF32);
    EXPECT_TRUE(attn.ok()) << attn.status().ToString();
    attn->ForEachWeight(FillWeight);
    EXPECT_EQ(attn->local_heads(), 4 / comm.size());
    kv_cache::KvCacheSpec kv;
    kv.layout = kv_cache::KvLayout::kGqa;
    kv.num_layers = 1;
    kv.num_kv_heads = attn->local_kv_heads();
    kv.head_dim = 8;
    return RunSteps(comm, kv, rope, [&](const ForwardContext& ctx, const StepBatch& step,
                                        const Tensor& x, const Tensor& y) {
      return attn->Forward(ctx, step, 0, x, y);
    });
  };
  std::vector<float> full;
  RunOnRanks(1, [&](dist::Communicator& comm) { full = run(comm); });
  std::vector<std::vector<float>> split(c.tp);
  RunOnRanks(c.tp, [&](dist::Communicator& comm) { split[comm.rank()] = run(comm); });
  for (int r = 0; r < c.tp; ++r) {
    EXPECT_LE(MaxAbsDiff(split[r], full), 1e-5f * MaxAbs(full) + 1e-6f) << "rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GqaSplitTest,
                         ::testing::Values(GqaCase{4, 2}, GqaCase{4, 4}, GqaCase{2, 2},
                                           GqaCase{2, 4}, GqaCase{1, 2}, GqaCase{1, 4}),
                         [](const auto& info) {
                           return "kv" + std::to_string(info.param.num_kv_heads) + "_tp" +
                                  std::to_string(info.param.tp);
                         });

TEST(GqaSplitTest, RefusesHeadsThatDoNotSplit) {
  GqaSpec spec;
  spec.num_heads = 6;
  spec.num_kv_heads = 3;
  EXPECT_EQ(GqaAttention::Create(spec, {0, 4}, DType::kF32).status().code(),
            ErrorCode::kInvalidArgument);
  spec.num_heads = 8;
  spec.num_kv_heads = 3;  // neither 3 % 2 nor 2 % 3
  EXPECT_EQ(GqaAttention::Create(spec, {0, 2}, DType::kF32).status().code(),
            ErrorCode::kInvalidArgument);
}

struct MlaCase {
  int64_t q_lora_rank;
  MlaForm form;
  int tp;
};

void PrintTo(const MlaCase& c, std::ostream* os) {
  *os << "q_lora_rank " << c.q_lora_rank << " " << MlaFormName(c.form) << " tp " << c.tp;
}

class MlaSplitTest : public ::testing::TestWithParam<MlaCase> {};

TEST_P(MlaSplitTest, MatchesUnsplitFullForm) {
  const MlaCase c = GetParam();
  MlaSpec spec;
  spec.prefix = "model.layers.0.self_attn";
  spec.hidden_size = kHidden;
  spec.num_heads = 4;
  spec.q_lora_rank = c.q_lora_rank;
  spec.kv_lora_rank = 16;
  spec.qk_nope_head_dim = 8;
  spec.qk_rope_head_dim = 4;
  spec.v_head_dim = 6;
  spec.scale = 1.0f / std::sqrt(12.0f);
  ops::RopeConfig rope;
  rope.rot_dim = 4;
  rope.base = 10000.0;
  kv_cache::KvCacheSpec kv;
  kv.layout = kv_cache::KvLayout::kMla;
  kv.num_layers = 1;
  kv.kv_lora_rank = 16;
  kv.qk_rope_head_dim = 4;
  auto run = [&](dist::Communicator& comm, MlaForm form) {
    MlaSpec s = spec;
    s.form = form;
    Result<MlaAttention> attn = MlaAttention::Create(s, {comm.rank(), comm.size()}, DType::kF32);
    EXPECT_TRUE(attn.ok()) << attn.status().ToString();
    attn->ForEachWeight(FillWeight);
    attn->FinishLoading();
    EXPECT_EQ(attn->local_heads(), 4 / comm.size());
    return RunSteps(comm, kv, rope, [&](const ForwardContext& ctx, const StepBatch& step,
                                        const Tensor& x, const Tensor& y) {
      return attn->Forward(ctx, step, 0, x, y);
    });
  };
  std::vector<float> full;
  RunOnRanks(1, [&](dist::Communicator& comm) { full = run(comm, MlaForm::kFull); });
  std::vector<std::vector<float>> split(c.tp);
  RunOnRanks(c.tp, [&](dist::Communicator& comm) { split[comm.rank()] = run(comm, c.form); });
  for (int r = 0; r < c.tp; ++r) {
    EXPECT_LE(MaxAbsDiff(split[r], full), 1e-5f * MaxAbs(full) + 1e-6f) << "rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, MlaSplitTest,
                         ::testing::Values(MlaCase{0, MlaForm::kFull, 2},
                                           MlaCase{0, MlaForm::kAbsorbed, 2},
                                           MlaCase{24, MlaForm::kFull, 4},
                                           MlaCase{24, MlaForm::kAbsorbed, 4},
                                           MlaCase{24, MlaForm::kAbsorbed, 1}),
                         [](const auto& info) {
                           return "qlora" + std::to_string(info.param.q_lora_rank) + "_" +
                                  MlaFormName(info.param.form) + "_tp" +
                                  std::to_string(info.param.tp);
                         });

}  // namespace
}  // namespace dsi::layers
