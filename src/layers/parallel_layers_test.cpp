// Tensor-parallel splits of Linear (column, row, merged, with bias), the vocab-parallel
// embedding and LM head (tied and untied, vocab not divisible by tp) and the MLP reproduce the
// unsplit layer (tp = 1) on tp = 2 and 4 fake ranks. [NOTE: split tolerance] fp32; a split only
// reorders the sums of a row-parallel reduction (K ≤ 64 products of O(1) values), so results
// agree to ~K·eps·max|y| ≈ 1e-5·max|y|; 1e-5 × max|y| + 1e-6 is the bound used throughout.
#include <gtest/gtest.h>

#include <mutex>

#include "layers/embedding.h"
#include "layers/layer_test_util.h"
#include "layers/linear.h"
#include "layers/mlp.h"

namespace dsi::layers {
namespace {

using testing::FillWeight;
using testing::MaxAbs;
using testing::MaxAbsDiff;
using testing::RandomActivations;
using testing::RankContext;
using testing::RunOnRanks;
using testing::View;

constexpr int64_t kTokens = 5;

float Tolerance(const std::vector<float>& y) { return 1e-5f * MaxAbs(y) + 1e-6f; }

// Runs fn on tp ranks and returns each rank's output.
std::vector<std::vector<float>> PerRank(int tp,
                                        const std::function<std::vector<float>(dist::Communicator&)>& fn) {
  std::vector<std::vector<float>> out(tp);
  RunOnRanks(tp, [&](dist::Communicator& comm) { out[comm.rank()] = fn(comm); });
  return out;
}

// Columns [begin, end) of a row-major [rows, cols] matrix.
std::vector<float> Columns(const std::vector<float>& m, int64_t cols, Range r) {
  std::vector<float> out;
  for (size_t row = 0; row < m.size() / cols; ++row) {
    out.insert(out.end(), m.begin() + row * cols + r.begin, m.begin() + row * cols + r.end);
  }
  return out;
}

class ParallelLayersTest : public ::testing::TestWithParam<int> {};

TEST_P(ParallelLayersTest, ColumnLinearHoldsItsRowsAndComputesItsColumns) {
  const int tp = GetParam();
  const int64_t in = 24, out = 40;  // split in units of 4: 10 and 5 units (uneven for "k")
  std::vector<float> x = RandomActivations(kTokens, in, 7);
  auto run = [&](dist::Communicator& comm) {
    RankContext rc(&comm);
    Linear linear({{"q", out}, {"k", out / 2}}, in, ParallelStyle::kColumn,
                  {comm.rank(), comm.size()}, DType::kF32, ShardUnit(4, /*bias=*/true));
    linear.ForEachWeight(FillWeight);
    EXPECT_EQ(linear.out_local(), PartitionUnits(out, 4, comm.size(), comm.rank()).size() +
                                      PartitionUnits(out / 2, 4, comm.size(), comm.rank()).size());
    std::vector<float> y(kTokens * linear.out_local());
    EXPECT_TRUE(linear.Forward(rc.ctx, View(x, {kTokens, in}),
                               View(y, {kTokens, linear.out_local()})).ok());
    return y;
  };
  const std::vector<float> full = PerRank(1, run)[0];
  const std::vector<std::vector<float>> split = PerRank(tp, run);
  for (int r = 0; r < tp; ++r) {
    // Rank r's columns: its rows of "q", then its rows of "k".
    const Range q = PartitionUnits(out, 4, tp, r), k = PartitionUnits(out / 2, 4, tp, r);
    std::vector<float> want;
    const std::vector<float> wq = Columns(full, out + out / 2, q);
    const std::vector<float> wk = Columns(full, out + out / 2, {out + k.begin, out + k.end});
    for (int64_t t = 0; t < kTokens; ++t) {
      want.insert(want.end(), wq.begin() + t * q.size(), wq.begin() + (t + 1) * q.size());
      want.insert(want.end(), wk.begin() + t * k.size(), wk.begin() + (t + 1) * k.size());
    }
    EXPECT_LE(MaxAbsDiff(split[r], want), Tolerance(want)) << "rank " << r;
  }
}

TEST_P(ParallelLayersTest, RowLinearReducesPartialsAndAddsBiasOnce) {
  const int tp = GetParam();
  const int64_t in = 48, out = 20;
  std::vector<float> x = RandomActivations(kTokens, in, 8);
  auto run = [&](dist::Communicator& comm) {
    RankContext rc(&comm);
    Linear linear("o", in, out, ParallelStyle::kRow, {comm.rank(), comm.size()}, DType::kF32,
                  ShardUnit(6, /*bias=*/true));
    linear.ForEachWeight(FillWeight);
    EXPECT_EQ(linear.in_local(), in / comm.size());
    std::vector<float> x_local = Columns(x, in, linear.cols());
    std::vector<float> y(kTokens * out);
    EXPECT_TRUE(linear.Forward(rc.ctx, View(x_local, {kTokens, linear.in_local()}),
                               View(y, {kTokens, out})).ok());
    return y;
  };
  const std::vector<float> full = PerRank(1, run)[0];
  for (const std::vector<float>& y : PerRank(tp, run)) {
    EXPECT_LE(MaxAbsDiff(y, full), Tolerance(full));
  }
}

TEST_P(ParallelLayersTest, VocabParallelEmbeddingAndLmHead) {
  const int tp = GetParam();
  const int64_t vocab = 37, hidden = 16;  // 37 is not a multiple of 2 or 4
  std::vector<int32_t> ids = {0, 36, 9, 10, 19, 20, 29, 30};
  const int64_t n = static_cast<int64_t>(ids.size());
  for (const bool tied : {false, true}) {
    auto run = [&](dist::Communicator& comm) {
      RankContext rc(&comm);
      const TpShard shard{comm.rank(), comm.size()};
      Embedding embed("model.embed_tokens", vocab, hidden, shard, DType::kF32);
      LmHead head("lm_head", vocab, hidden, shard, DType::kF32, tied ? &embed : nullptr);
      embed.ForEachWeight(FillWeight);
      int visited = 0;
      head.ForEachWeight([&](const WeightRef& w) {
        ++visited;
        FillWeight(w);
      });
      EXPECT_EQ(visited, tied ? 0 : 1);
      EXPECT_EQ(embed.vocab_range(), VocabPartition(vocab, comm.size(), comm.rank()));
      std::vector<float> h(n * hidden), logits(n * vocab);
      EXPECT_TRUE(embed.Forward(rc.ctx, Tensor(ids.data(), DType::kI32, {n}),
                                View(h, {n, hidden})).ok());
      EXPECT_TRUE(head.Forward(rc.ctx, View(h, {n, hidden}), View(logits, {n, vocab})).ok());
      h.insert(h.end(), logits.begin(), logits.end());
      return h;
    };
    const std::vector<float> full = PerRank(1, run)[0];
    for (const std::vector<float>& y : PerRank(tp, run)) {
      EXPECT_LE(MaxAbsDiff(y, full), Tolerance(full)) << (tied ? "tied" : "untied");
    }
  }
}

TEST_P(ParallelLayersTest, EmbeddingRejectsOutOfVocabIds) {
  const int tp = GetParam();
  RunOnRanks(tp, [&](dist::Communicator& comm) {
    RankContext rc(&comm);
    Embedding embed("model.embed_tokens", 10, 8, {comm.rank(), comm.size()}, DType::kF32);
    embed.ForEachWeight(FillWeight);
    std::vector<int32_t> ids = {3, 10};
    std::vector<float> h(2 * 8);
    const Status st = embed.Forward(rc.ctx, Tensor(ids.data(), DType::kI32, {2}), View(h, {2, 8}));
    EXPECT_EQ(st.code(), ErrorCode::kOutOfRange) << st.ToString();
  });
}

TEST_P(ParallelLayersTest, MlpSplitsIntermediateDimension) {
  const int tp = GetParam();
  const int64_t hidden = 24;
  for (const int64_t intermediate : {48, 50}) {  // 50: an uneven split
    std::vector<float> x = RandomActivations(kTokens, hidden, 9);
    auto run = [&](dist::Communicator& comm) {
      RankContext rc(&comm);
      Mlp mlp("model.layers.0.mlp", hidden, intermediate, {comm.rank(), comm.size()}, DType::kF32,
              /*tensor_parallel=*/true, /*bias=*/true);
      mlp.ForEachWeight(FillWeight);
      EXPECT_EQ(mlp.intermediate_local(),
                Partition(intermediate, comm.size(), comm.rank()).size());
      std::vector<float> y(kTokens * hidden);
      EXPECT_TRUE(mlp.Forward(rc.ctx, View(x, {kTokens, hidden}), View(y, {kTokens, hidden}), 0).ok());
      return y;
    };
    const std::vector<float> full = PerRank(1, run)[0];
    for (const std::vector<float>& y : PerRank(tp, run)) {
      EXPECT_LE(MaxAbsDiff(y, full), Tolerance(full)) << "intermediate " << intermediate;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tp, ParallelLayersTest, ::testing::Values(2, 4),
                         [](const auto& info) { return "tp" + std::to_string(info.param); });

}  // namespace
}  // namespace dsi::layers
