// Pipeline stage planning: balanced by cost, user override, and the errors.
#include "models/pipeline_stages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace dsi::models {
namespace {

ModelConfig Dense(int64_t layers) {
  ModelConfig c;
  c.architecture = Architecture::kLlama;
  c.num_hidden_layers = layers;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 4;
  c.head_dim = 16;
  c.vocab_size = 100;
  return c;
}

// The largest stage cost of a split, the LM head on the last stage.
double MaxStageCost(const ModelConfig& c, const std::vector<StageLayers>& stages) {
  double head = 0;
  const std::vector<double> cost = LayerCosts(c, &head);
  double worst = 0;
  for (size_t s = 0; s < stages.size(); ++s) {
    double sum = std::accumulate(cost.begin() + stages[s].begin, cost.begin() + stages[s].end, 0.0);
    if (s + 1 == stages.size()) sum += head;
    worst = std::max(worst, sum);
  }
  return worst;
}

TEST(PipelineStagesTest, ContiguousCoverAndOptimalAgainstEveryOtherSplit) {
  for (int64_t layers : {2, 5, 8}) {
    const ModelConfig c = Dense(layers);
    for (int pp = 1; pp <= std::min<int64_t>(layers, 3); ++pp) {
      Result<std::vector<StageLayers>> stages = PlanPipelineStages(c, pp, {});
      ASSERT_TRUE(stages.ok()) << stages.status().ToString();
      ASSERT_EQ(stages->size(), static_cast<size_t>(pp));
      EXPECT_EQ(stages->front().begin, 0);
      EXPECT_EQ(stages->back().end, layers);
      for (size_t s = 0; s < stages->size(); ++s) {
        EXPECT_LT((*stages)[s].begin, (*stages)[s].end);
        if (s > 0) {
          EXPECT_EQ((*stages)[s].begin, (*stages)[s - 1].end);
        }
      }
      if (pp == 2) {  // brute force over every cut
        for (int64_t cut = 1; cut < layers; ++cut) {
          EXPECT_LE(MaxStageCost(c, *stages), MaxStageCost(c, {{0, cut}, {cut, layers}}) + 1e-9);
        }
      }
    }
  }
}

TEST(PipelineStagesTest, LmHeadPullsLayersToEarlierStages) {
  ModelConfig c = Dense(4);
  c.vocab_size = 5000;  // the head costs more than a layer
  Result<std::vector<StageLayers>> stages = PlanPipelineStages(c, 2, {});
  ASSERT_TRUE(stages.ok());
  EXPECT_GT((*stages)[0].end - (*stages)[0].begin, (*stages)[1].end - (*stages)[1].begin);
}

TEST(PipelineStagesTest, Override) {
  Result<std::vector<StageLayers>> stages = PlanPipelineStages(Dense(5), 2, {4, 1});
  ASSERT_TRUE(stages.ok());
  EXPECT_EQ((*stages)[0].end, 4);
  EXPECT_EQ((*stages)[1].begin, 4);
  EXPECT_EQ((*stages)[1].end, 5);
}

TEST(PipelineStagesTest, Errors) {
  const ModelConfig c = Dense(3);
  EXPECT_NE(PlanPipelineStages(c, 4, {}).status().message().find("num_hidden_layers"),
            std::string::npos);
  EXPECT_NE(PlanPipelineStages(c, 2, {1, 1}).status().message().find("adds up to 2"),
            std::string::npos);
  EXPECT_FALSE(PlanPipelineStages(c, 2, {3, 0}).ok());
  EXPECT_FALSE(PlanPipelineStages(c, 3, {1, 2}).ok());
  EXPECT_FALSE(ParseLayerCounts("2,x").ok());
  EXPECT_FALSE(ParseLayerCounts("2,,1").ok());
  Result<std::vector<int64_t>> counts = ParseLayerCounts("2,1");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::vector<int64_t>{2, 1}));
}

}  // namespace
}  // namespace dsi::models
