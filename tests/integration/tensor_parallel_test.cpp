// Whole models split over tp ranks of the in-process fake communicator (one thread per rank,
// each with its own model shard and KV cache) reproduce the tp = 1 run: prompt logits within
// 1e-5 × range (see [NOTE: reassociation tolerance] in batching_test.cpp: the split only
// reorders the sums of row-parallel layers and the MoE combine) and the fixture's greedy tokens.
#include <gtest/gtest.h>

#include <mutex>

#include "dist/fake_communicator.h"
#include "model_fixture.h"

namespace dsi::testing {
namespace {

constexpr float kTolerance = 1e-5f;

struct TpCase {
  std::string fixture;
  int tp;
};

class TensorParallelModelTest : public ::testing::TestWithParam<TpCase> {};

struct RankResult {
  std::vector<float> prompt_logits;   // all rows of prompt 2
  std::vector<int32_t> greedy;        // 16 tokens after prompt 1
  std::vector<float> greedy_logits;   // [16, vocab]
  std::string error;
};

RankResult RunModel(const ModelFixture& f, dist::Communicator* comm) {
  RankResult r;
  models::ModelOptions options;
  options.tp = comm;
  options.gemm_threads = 1;  // one OpenMP thread per rank thread
  Result<ModelRun> run = OpenModel(f.model_dir, options);
  if (!run.ok()) {
    r.error = run.status().ToString();
    return r;
  }
  kv_cache::SequenceKv seq = run->cache->NewSequence();
  Result<std::vector<float>> logits = Step(*run, seq, f.prompts[2], /*all_rows=*/true);
  if (!logits.ok()) {
    r.error = logits.status().ToString();
    return r;
  }
  r.prompt_logits = std::move(logits).value();
  Result<std::vector<int32_t>> tokens = Greedy(*run, f.prompts[1], 16, &r.greedy_logits);
  if (!tokens.ok()) {
    r.error = tokens.status().ToString();
    return r;
  }
  r.greedy = std::move(tokens).value();
  return r;
}

TEST_P(TensorParallelModelTest, MatchesSingleRank) {
  const TpCase c = GetParam();
  const ModelFixture f = LoadModelFixture(c.fixture);
  const RankResult single = RunModel(f, nullptr);
  ASSERT_TRUE(single.error.empty()) << single.error;

  std::vector<RankResult> ranks(c.tp);
  const Status st = dist::RunOnFakeRanks(c.tp, [&](dist::Communicator& comm) {
    ranks[comm.rank()] = RunModel(f, &comm);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (int r = 0; r < c.tp; ++r) {
    ASSERT_TRUE(ranks[r].error.empty()) << "rank " << r << ": " << ranks[r].error;
    EXPECT_LE(MaxAbsDiff(ranks[r].prompt_logits, single.prompt_logits),
              kTolerance * ValueRange(single.prompt_logits))
        << c.fixture << " tp " << c.tp << " rank " << r;
    EXPECT_LE(MaxAbsDiff(ranks[r].greedy_logits, single.greedy_logits),
              kTolerance * ValueRange(single.greedy_logits))
        << c.fixture << " tp " << c.tp << " rank " << r;
    EXPECT_EQ(ranks[r].greedy, f.greedy_tokens[1]) << c.fixture << " tp " << c.tp << " rank " << r;
    // Every rank ends with the same logits (all-gathered, bitwise).
    EXPECT_EQ(ranks[r].prompt_logits, ranks[0].prompt_logits) << "rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TensorParallelModelTest,
    ::testing::Values(TpCase{"llama_mha", 2}, TpCase{"llama_mha", 4},
                      TpCase{"llama_gqa_tied", 2}, TpCase{"llama_gqa_tied", 4},
                      TpCase{"qwen2_tied", 2}, TpCase{"qwen2", 4}, TpCase{"deepseek_v2_lite", 2},
                      TpCase{"deepseek_v2", 2}, TpCase{"deepseek_v3", 2}, TpCase{"deepseek_v3", 4},
                      TpCase{"deepseek_v3_fp8", 2}),
    [](const auto& info) { return info.param.fixture + "_tp" + std::to_string(info.param.tp); });

}  // namespace
}  // namespace dsi::testing
