// StepPlan encoding round trip and rejection of damaged words.
#include "runtime/step_plan.h"

#include <gtest/gtest.h>

#include <cstring>

namespace dsi::runtime {
namespace {

int32_t Bits(float f) {
  int32_t w;
  std::memcpy(&w, &f, sizeof(w));
  return w;
}

StepPlan SamplePlan() {
  StepPlan p;
  p.kind = ResultKind::kNextLogProb;
  p.edits = {{3, -1}, {5, 7}};
  PlanSampler sampler;
  sampler.seq = 9;
  sampler.prompt_end = 4;
  sampler.seed = 0x123456789abcdef0ull;
  sampler.params.temperature = 0.7f;
  sampler.params.top_k = 40;
  sampler.params.top_p = 0.9f;
  sampler.params.frequency_penalty = -0.5f;
  p.samplers = {sampler};
  p.chunks = {{1, 0, 3, 0, 2}, {9, 1, 2, 1, 2}};
  p.tokens = {10, 11, 12, 20, 21};
  return p;
}

TEST(StepPlanTest, RoundTrip) {
  const StepPlan p = SamplePlan();
  Result<StepPlan> q = StepPlan::Decode(p.Encode());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->op, PlanOp::kStep);
  EXPECT_EQ(q->kind, ResultKind::kNextLogProb);
  ASSERT_EQ(q->edits.size(), 2u);
  EXPECT_EQ(q->edits[1].seq, 5);
  EXPECT_EQ(q->edits[1].num_tokens, 7);
  ASSERT_EQ(q->samplers.size(), 1u);
  EXPECT_EQ(q->samplers[0].seq, 9);
  EXPECT_EQ(q->samplers[0].prompt_end, 4);
  EXPECT_EQ(q->samplers[0].seed, 0x123456789abcdef0ull);
  EXPECT_EQ(q->samplers[0].params.temperature, 0.7f);
  EXPECT_EQ(q->samplers[0].params.top_k, 40);
  EXPECT_EQ(q->samplers[0].params.top_p, 0.9f);
  EXPECT_EQ(q->samplers[0].params.frequency_penalty, -0.5f);
  ASSERT_EQ(q->chunks.size(), 2u);
  EXPECT_EQ(q->chunks[1].seq, 9);
  EXPECT_EQ(q->chunks[1].replica, 1);
  EXPECT_EQ(q->chunks[1].row_begin, 1);
  EXPECT_EQ(q->tokens, p.tokens);
  EXPECT_EQ(q->NumResultRows(), 3);
}

TEST(StepPlanTest, RejectsDamagedWords) {
  const std::vector<int32_t> good = SamplePlan().Encode();
  std::vector<int32_t> w = good;
  w[0] ^= 1;  // magic
  EXPECT_FALSE(StepPlan::Decode(w).ok());
  w = good;
  w.pop_back();  // length
  EXPECT_FALSE(StepPlan::Decode(w).ok());
  w = good;
  w[6] += 1;  // token count
  EXPECT_FALSE(StepPlan::Decode(w).ok());
  w = good;
  w[7 + 2 * 2 + 11 + 4] = 4;  // first chunk: row_end past its 3 tokens
  EXPECT_FALSE(StepPlan::Decode(w).ok());
  w = good;
  w[7 + 2 * 2 + 4] = Bits(-1.0f);  // sampler temperature out of range
  EXPECT_FALSE(StepPlan::Decode(w).ok());
  EXPECT_FALSE(StepPlan::Decode({}).ok());
}

}  // namespace
}  // namespace dsi::runtime
