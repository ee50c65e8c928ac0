// Sampler tests: each filter's kept set, penalties' arithmetic, determinism per seed,
// and the empirical distribution against softmax(logits / T).
#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace dsi::runtime {
namespace {

std::vector<float> LogProbs(std::vector<double> probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::set<int32_t> DrawSet(const std::vector<float>& logits, const SamplingParams& params,
                          int draws = 2000) {
  Sampler sampler(static_cast<int>(logits.size()));
  Rng rng(123);
  std::set<int32_t> seen;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> l = logits;
    seen.insert(sampler.Sample(l, params, {}, {}, rng));
  }
  return seen;
}

TEST(SamplerTest, GreedyTakesFirstMaximum) {
  std::vector<float> logits = {0.1f, 3.0f, -1.0f, 3.0f};
  Sampler sampler(4);
  Rng rng(1);
  SamplingParams greedy;
  greedy.temperature = 0.0f;
  EXPECT_EQ(sampler.Sample(logits, greedy, {}, {}, rng), 1);
  EXPECT_EQ(ArgMax(logits), 1);
}

TEST(SamplerTest, FiltersKeepTheRightTokens) {
  const std::vector<float> logits = LogProbs({0.5, 0.3, 0.15, 0.05});
  SamplingParams p;
  p.top_k = 2;
  EXPECT_EQ(DrawSet(logits, p), (std::set<int32_t>{0, 1}));
  p = {};
  p.top_p = 0.5f;  // 0.5 alone reaches the mass
  EXPECT_EQ(DrawSet(logits, p), (std::set<int32_t>{0}));
  p.top_p = 0.79f;  // needs 0.5 + 0.3
  EXPECT_EQ(DrawSet(logits, p), (std::set<int32_t>{0, 1}));
  p = {};
  p.min_p = 0.25f;  // p / p_max = 1, 0.6, 0.3, 0.1
  EXPECT_EQ(DrawSet(logits, p), (std::set<int32_t>{0, 1, 2}));
  p = {};
  EXPECT_EQ(DrawSet(logits, p), (std::set<int32_t>{0, 1, 2, 3}));
}

TEST(SamplerTest, EmpiricalDistributionMatchesTemperatureSoftmax) {
  const std::vector<float> logits = {1.0f, 0.0f, -0.5f, 2.0f, 0.3f};
  const float temperature = 0.7f;
  double z = 0;
  std::vector<double> expected;
  for (float l : logits) expected.push_back(std::exp(l / temperature)), z += expected.back();
  for (double& e : expected) e /= z;

  SamplingParams p;
  p.temperature = temperature;
  Sampler sampler(5);
  Rng rng(99);
  const int n = 40000;
  std::vector<int> counts(5, 0);
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = logits;
    counts[sampler.Sample(l, p, {}, {}, rng)]++;
  }
  for (int t = 0; t < 5; ++t) {
    const double sigma = std::sqrt(n * expected[t] * (1 - expected[t]));
    EXPECT_NEAR(counts[t], n * expected[t], 5 * sigma) << "token " << t;
  }
}

TEST(SamplerTest, SameSeedSameTokens) {
  const std::vector<float> logits = LogProbs({0.2, 0.2, 0.2, 0.2, 0.2});
  SamplingParams p;
  auto run = [&](uint64_t seed) {
    Sampler sampler(5);
    Rng rng(seed);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) {
      std::vector<float> l = logits;
      out.push_back(sampler.Sample(l, p, {}, {}, rng));
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(SamplerTest, PenaltiesFollowHfAndOpenAiSemantics) {
  Sampler sampler(4);
  Rng rng(1);
  SamplingParams p;
  p.temperature = 0.0f;
  p.repetition_penalty = 2.0f;
  std::vector<float> logits = {4.0f, -1.0f, 3.0f, 0.5f};
  const std::vector<int32_t> prompt = {0, 0, 1};
  sampler.Sample(logits, p, prompt, {}, rng);
  EXPECT_EQ(logits, (std::vector<float>{2.0f, -2.0f, 3.0f, 0.5f}));  // once per distinct token

  p = {};
  p.temperature = 0.0f;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  logits = {1.0f, 1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> generated = {2, 2, 3};
  EXPECT_EQ(sampler.Sample(logits, p, prompt, generated, rng), 0);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 1.0f, 0.0f, 0.25f}));  // prompt not counted
}

TEST(SamplerTest, ValidateNamesTheField) {
  SamplingParams p;
  EXPECT_TRUE(p.Validate().ok());
  p.top_p = 0.0f;
  EXPECT_NE(p.Validate().message().find("top_p"), std::string::npos);
  p = {};
  p.temperature = -1.0f;
  EXPECT_NE(p.Validate().message().find("temperature"), std::string::npos);
  p = {};
  p.temperature = NAN;
  EXPECT_FALSE(p.Validate().ok());
  p = {};
  p.frequency_penalty = 3.0f;
  EXPECT_NE(p.Validate().message().find("frequency_penalty"), std::string::npos);
}

}  // namespace
}  // namespace dsi::runtime
