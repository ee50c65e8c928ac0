// models::PlanRanks (computed from config.json alone) against what every rank of a job really
// loads and caches, for every fixture model and several layouts, on in-process ranks.
#include "models/rank_plan.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "dist/fake_communicator.h"
#include "runtime/model_session.h"
#include "testing/test_util.h"

namespace dsi::runtime {
namespace {

struct Layout {
  int tp, pp, ep;
};

std::vector<std::filesystem::path> ModelDirs() {
  std::vector<std::filesystem::path> dirs = {testing::SourceDir() / "models/dsv3-tiny-en-zh"};
  for (const auto& e :
       std::filesystem::directory_iterator(testing::SourceDir() / "tests/data/models")) {
    if (std::filesystem::exists(e.path() / "model.safetensors")) dirs.push_back(e.path());
  }
  return dirs;
}

TEST(RankPlanTest, MatchesWhatEveryRankLoads) {
  const Layout layouts[] = {{1, 1, 0}, {2, 1, 0}, {4, 1, 0}, {1, 2, 0},
                            {2, 2, 0}, {2, 1, 1}, {4, 1, 2}, {4, 1, 1}};
  int checked = 0;
  for (const std::filesystem::path& dir : ModelDirs()) {
    Result<models::ModelConfig> config = models::LoadModelConfig(dir);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    for (const Layout& l : layouts) {
      if (!config->HasMoe() && l.ep != 0) continue;
      for (DType dtype : {DType::kF32, DType::kBF16}) {
        const models::RankLayout layout{l.tp, l.pp, l.ep, {}};
        Result<std::vector<models::RankPlan>> plan = models::PlanRanks(*config, layout, dtype);
        ASSERT_TRUE(plan.ok()) << dir << ": " << plan.status().ToString();
        const std::string where = dir.filename().string() + " tp=" + std::to_string(l.tp) +
                                  " pp=" + std::to_string(l.pp) + " ep=" + std::to_string(l.ep) +
                                  " " + std::string(DTypeName(dtype));
        const Status status = dist::RunOnFakeRanks(l.tp * l.pp, [&](dist::Communicator& world) {
          SessionOptions o;
          o.model_dir = dir.string();
          o.model.compute_dtype = dtype;
          o.parallel.tp = l.tp;
          o.parallel.pp = l.pp;
          o.parallel.ep = l.ep;
          o.kv_tokens = 16;
          Result<std::unique_ptr<ModelSession>> s = ModelSession::Open(o, &world);
          ASSERT_TRUE(s.ok()) << where << ": " << s.status().ToString();
          const models::RankPlan& mine = (*plan)[world.rank()];
          EXPECT_EQ((*s)->rank_weight_bytes()[world.rank()], mine.weight_bytes)
              << where << " rank " << world.rank();
          EXPECT_EQ((*s)->kv_bytes_per_token(), mine.kv_bytes_per_token)
              << where << " rank " << world.rank();
          if (!(*s)->runner().is_driver()) {
            EXPECT_TRUE((*s)->runner().Follow().ok());
          }
        });
        ASSERT_TRUE(status.ok()) << where << ": " << status.ToString();
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(RankPlanTest, ErrorsNameTheDimension) {
  Result<models::ModelConfig> config =
      models::LoadModelConfig(testing::SourceDir() / "tests/data/models/llama_mha");
  ASSERT_TRUE(config.ok());
  EXPECT_NE(models::PlanRanks(*config, {3, 1, 0, {}}, DType::kBF16)
                .status()
                .message()
                .find("num_attention_heads"),
            std::string::npos);
  EXPECT_NE(models::PlanRanks(*config, {1, 3, 0, {}}, DType::kBF16)
                .status()
                .message()
                .find("num_hidden_layers"),
            std::string::npos);
  Result<models::ModelConfig> moe =
      models::LoadModelConfig(testing::SourceDir() / "tests/data/models/deepseek_v3");
  ASSERT_TRUE(moe.ok());
  EXPECT_FALSE(models::PlanRanks(*moe, {4, 1, 3, {}}, DType::kBF16).ok());
}

}  // namespace
}  // namespace dsi::runtime
