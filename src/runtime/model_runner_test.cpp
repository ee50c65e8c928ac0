// ModelRunner on one process: micro-batches and ragged steps give the logits of whole
// prefills, a full KV cache fails cleanly and keeps the sequences, bad chunks are refused.
#include "runtime/model_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>

#include "dist/fake_communicator.h"
#include "loader/weight_loader.h"
#include "runtime/batch_decode.h"
#include "runtime/model_session.h"
#include "testing/test_util.h"

namespace dsi::runtime {
namespace {

struct Loaded {
  std::unique_ptr<models::CausalLM> model;
  std::unique_ptr<kv_cache::KvCache> cache;
};

Loaded Load(const std::string& fixture, int64_t kv_tokens) {
  Loaded l;
  Result<std::unique_ptr<models::CausalLM>> model = loader::LoadModel(
      testing::SourceDir() / "tests/data/models" / fixture, models::ModelOptions{});
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  l.model = std::move(*model);
  Result<std::unique_ptr<kv_cache::KvCache>> cache = CreateKvCache(*l.model, kv_tokens);
  EXPECT_TRUE(cache.ok()) << cache.status().ToString();
  l.cache = std::move(*cache);
  return l;
}

const std::vector<int32_t> kPromptA = {5, 17, 3, 99, 42, 7, 61, 8, 13};
const std::vector<int32_t> kPromptB = {1, 2, 3, 4};

// All-row logits of both prompts in one step.
std::vector<float> Logits(ModelRunner& runner) {
  const RunnerChunk chunks[] = {
      {runner.NewSequence(), kPromptA, 0, static_cast<int32_t>(kPromptA.size())},
      {runner.NewSequence(), kPromptB, 0, static_cast<int32_t>(kPromptB.size())}};
  StepResults out;
  EXPECT_TRUE(runner.Step(chunks, ResultKind::kLogits, out).ok());
  for (const RunnerChunk& c : chunks) runner.Release(c.seq);
  return out.logits;
}

class MicroBatchTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MicroBatchTest, SplittingAStepChangesNothing) {
  Loaded l = Load(GetParam(), 256);
  ModelRunner whole(dist::World::Single(), nullptr, *l.model, *l.cache, {1});
  const std::vector<float> ref = Logits(whole);
  ASSERT_EQ(ref.size(), (kPromptA.size() + kPromptB.size()) * l.model->config().vocab_size);
  for (int micro : {2, 3, 13}) {
    RunnerOptions options;
    options.micro_batches = micro;
    options.min_micro_batch_tokens = 1;
    ModelRunner split(dist::World::Single(), nullptr, *l.model, *l.cache, options);
    const std::vector<float> got = Logits(split);
    ASSERT_EQ(got.size(), ref.size());
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      worst = std::max<double>(worst, std::fabs(got[i] - ref[i]));
    EXPECT_LT(worst, 1e-4) << GetParam() << " micro-batches " << micro;
  }
}

// Dynamic NTK rope depends on the chunk's length: splitting must not change it.
INSTANTIATE_TEST_SUITE_P(Fixtures, MicroBatchTest,
                         ::testing::Values("llama_dynamic_rope", "deepseek_v3", "qwen2"));

TEST(ModelRunnerTest, FullCacheFailsAndKeepsTheSequence) {
  Loaded l = Load("llama_mha", 32);  // two 16-token blocks
  ModelRunner runner(dist::World::Single(), nullptr, *l.model, *l.cache, {1});
  const int32_t seq = runner.NewSequence();
  StepResults out;
  const RunnerChunk first{seq, kPromptA, 8, 9};
  ASSERT_TRUE(runner.Step({&first, 1}, ResultKind::kArgMax, out).ok());
  EXPECT_EQ(runner.NumTokens(seq), 9);
  const std::vector<int32_t> many(30, 1);
  const RunnerChunk too_long{seq, many, 29, 30};
  const Status s = runner.Step({&too_long, 1}, ResultKind::kArgMax, out);
  EXPECT_EQ(s.code(), ErrorCode::kResourceExhausted) << s.ToString();
  EXPECT_EQ(runner.NumTokens(seq), 9);
  const RunnerChunk next{seq, kPromptB, 3, 4};
  EXPECT_TRUE(runner.Step({&next, 1}, ResultKind::kArgMax, out).ok());
  EXPECT_EQ(runner.NumTokens(seq), 13);
  // Released blocks are reused by a new sequence.
  runner.Release(seq);
  const int32_t other = runner.NewSequence();
  const std::vector<int32_t> thirty(many.begin(), many.begin() + 30);
  const RunnerChunk fits{other, thirty, 0, 1};
  const Status reuse = runner.Step({&fits, 1}, ResultKind::kArgMax, out);
  EXPECT_TRUE(reuse.ok()) << reuse.ToString();
}

TEST(ModelRunnerTest, RefusesBadChunks) {
  Loaded l = Load("llama_mha", 64);
  ModelRunner runner(dist::World::Single(), nullptr, *l.model, *l.cache, {1});
  const int32_t seq = runner.NewSequence();
  StepResults out;
  const std::vector<int32_t> bad_id = {1, 100000};
  const RunnerChunk cases[] = {
      {seq + 1, kPromptB, 0, 1},  // unknown sequence
      {seq, bad_id, 0, 1},        // id outside the vocabulary
      {seq, kPromptB, 2, 5},      // rows past the tokens
      {seq, {}, 0, 0},            // no tokens
  };
  for (const RunnerChunk& c : cases) {
    EXPECT_EQ(runner.Step({&c, 1}, ResultKind::kLogits, out).code(), ErrorCode::kInvalidArgument);
  }
  // The last row has no next token to score.
  const RunnerChunk last{seq, kPromptB, 0, 4};
  EXPECT_EQ(runner.Step({&last, 1}, ResultKind::kNextLogProb, out).code(),
            ErrorCode::kInvalidArgument);
  const RunnerChunk twice[] = {{seq, kPromptB, 0, 1}, {seq, kPromptB, 0, 1}};
  EXPECT_EQ(runner.Step(twice, ResultKind::kLogits, out).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(runner.NumTokens(seq), 0);
}

TEST(ModelRunnerTest, NextLogProbMatchesTheLogits) {
  Loaded l = Load("qwen2", 64);
  ModelRunner runner(dist::World::Single(), nullptr, *l.model, *l.cache, {1});
  const int64_t vocab = l.model->config().vocab_size;
  const int32_t a = runner.NewSequence(), b = runner.NewSequence();
  const RunnerChunk logits_chunk{a, kPromptA, 0, static_cast<int32_t>(kPromptA.size()) - 1};
  const RunnerChunk prob_chunk{b, kPromptA, 0, static_cast<int32_t>(kPromptA.size()) - 1};
  StepResults logits, probs;
  ASSERT_TRUE(runner.Step({&logits_chunk, 1}, ResultKind::kLogits, logits).ok());
  ASSERT_TRUE(runner.Step({&prob_chunk, 1}, ResultKind::kNextLogProb, probs).ok());
  ASSERT_EQ(probs.logprobs.size(), kPromptA.size() - 1);
  for (size_t r = 0; r + 1 < kPromptA.size(); ++r) {
    const float* row = logits.logits.data() + r * vocab;
    double sum = 0;
    for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v]));
    EXPECT_NEAR(probs.logprobs[r], row[kPromptA[r + 1]] - std::log(sum), 1e-6) << r;
  }
}

// kSample draws on the last stage exactly what the sampler draws from the returned logits,
// with the sequence's own generator continuing from step to step.
TEST(ModelRunnerTest, SampleOnTheLastStageMatchesTheSamplerOnLogits) {
  Loaded l = Load("qwen2", 64);
  ModelRunner runner(dist::World::Single(), nullptr, *l.model, *l.cache, {1});
  SamplingParams params;
  params.temperature = 0.8f;
  params.top_p = 0.95f;
  params.repetition_penalty = 1.3f;
  params.frequency_penalty = 0.4f;
  constexpr uint64_t kSeed = 77;
  const int32_t on_logits = runner.NewSequence(), on_stage = runner.NewSequence();
  const int32_t n = static_cast<int32_t>(kPromptA.size());
  StepResults out;
  const RunnerChunk no_sampler{on_stage, kPromptA, n - 1, n};
  EXPECT_EQ(runner.Step({&no_sampler, 1}, ResultKind::kSample, out).code(),
            ErrorCode::kInvalidArgument);
  runner.SetSampling(on_stage, params, n, kSeed);
  const RunnerChunk not_last{on_stage, kPromptA, 0, n};
  EXPECT_EQ(runner.Step({&not_last, 1}, ResultKind::kSample, out).code(),
            ErrorCode::kInvalidArgument);

  Sampler sampler(static_cast<int>(runner.vocab_size()));
  Rng rng(kSeed);
  std::vector<int32_t> history = kPromptA;
  RunnerChunk a{on_logits, kPromptA, n - 1, n}, b{on_stage, kPromptA, n - 1, n};
  std::vector<int32_t> next(1);
  for (int i = 0; i < 6; ++i) {
    StepResults logits, sampled;
    ASSERT_TRUE(runner.Step({&a, 1}, ResultKind::kLogits, logits).ok());
    ASSERT_TRUE(runner.Step({&b, 1}, ResultKind::kSample, sampled).ok());
    const std::span<const int32_t> all = history;
    const int32_t want = sampler.Sample(logits.logits, params, all.first(n), all.subspan(n), rng);
    ASSERT_EQ(sampled.tokens.size(), 1u);
    EXPECT_EQ(sampled.tokens[0], want) << "token " << i;
    next[0] = want;
    history.push_back(want);
    a = {on_logits, next, 0, 1};
    b = {on_stage, next, 0, 1};
  }
}

std::vector<std::vector<int32_t>> GreedyInTurns(ModelRunner& runner,
                                                const std::vector<std::vector<int32_t>>& prompts,
                                                int new_tokens, int groups) {
  Result<std::vector<std::vector<int32_t>>> out = GreedyBatch(runner, prompts, new_tokens, groups);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(runner.in_flight(), 0);
  return out.ok() ? *out : std::vector<std::vector<int32_t>>{};
}

// Opens `fixture` with `parallel` on in-process ranks; rank 0 runs `drive`, the others follow.
Status DriveOnFakeRanks(const std::string& fixture, const ParallelArgs& parallel,
                        const std::function<void(ModelRunner&)>& drive) {
  return dist::RunOnFakeRanks(
      parallel.tp * parallel.pp * parallel.dp, [&](dist::Communicator& world) {
        SessionOptions o;
        o.model_dir = (testing::SourceDir() / "tests/data/models" / fixture).string();
        o.parallel = parallel;
        o.kv_tokens = 256;
        Result<std::unique_ptr<ModelSession>> session = ModelSession::Open(o, &world);
        ASSERT_TRUE(session.ok()) << session.status().ToString();
        ModelRunner& runner = (*session)->runner();
        if (runner.is_driver()) {
          drive(runner);
        } else {
          ASSERT_TRUE(runner.Follow().ok());
        }
      });
}

// Steps in flight through a pipeline (and tensor-parallel stages) on in-process ranks, whose
// Sends wait for their receivers: the same tokens as one process taking one step at a time,
// and no deadlock (the fake world would report one).
TEST(ModelRunnerTest, StepsInFlightThroughThePipeline) {
  const std::vector<std::vector<int32_t>> prompts = {kPromptA, kPromptB, {7, 8, 9}, {11}};
  std::vector<std::vector<int32_t>> reference;
  {
    Loaded l = Load("deepseek_v3", 256);
    ModelRunner runner(dist::World::Single(), nullptr, *l.model, *l.cache, {1});
    reference = GreedyInTurns(runner, prompts, 6, 1);
  }
  for (auto [tp, pp, groups] : {std::tuple{1, 2, 2}, std::tuple{2, 2, 3}, std::tuple{1, 3, 2}}) {
    ParallelArgs layout;
    layout.tp = tp;
    layout.pp = pp;
    const Status status = DriveOnFakeRanks("deepseek_v3", layout, [&](ModelRunner& runner) {
      EXPECT_EQ(GreedyInTurns(runner, prompts, 6, groups), reference)
          << "tp " << tp << " pp " << pp << " groups " << groups;
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
}

// Two data-parallel replicas on in-process ranks: a new sequence goes to the replica holding
// the fewest cached tokens, and each replica computes what one process computes.
TEST(ModelRunnerTest, DataParallelRoutesByTokens) {
  ParallelArgs layout;
  layout.dp = 2;
  const Status status = DriveOnFakeRanks("llama_mha", layout, [](ModelRunner& runner) {
    StepResults out;
    std::vector<int32_t> seqs;
    // Tokens per new sequence and the replica it must land on (loads before: 0/0, 9/0, 9/4,
    // 9/8, 9/12).
    const std::vector<std::pair<std::vector<int32_t>, int>> plan = {
        {kPromptA, 0}, {kPromptB, 1}, {kPromptB, 1}, {kPromptB, 1}, {kPromptB, 0}};
    for (const auto& [tokens, replica] : plan) {
      seqs.push_back(runner.NewSequence());
      const RunnerChunk c{seqs.back(), tokens, static_cast<int32_t>(tokens.size()) - 1,
                          static_cast<int32_t>(tokens.size())};
      ASSERT_TRUE(runner.Step({&c, 1}, ResultKind::kLogits, out).ok());
      EXPECT_EQ(runner.ReplicaOf(seqs.back()), replica);
    }
    // Released tokens no longer count: replica 1 (12 tokens) frees two sequences (4 left).
    runner.Release(seqs[1]);
    runner.Release(seqs[2]);
    const int32_t next = runner.NewSequence();
    const RunnerChunk c{next, kPromptB, 3, 4};
    ASSERT_TRUE(runner.Step({&c, 1}, ResultKind::kLogits, out).ok());
    EXPECT_EQ(runner.ReplicaOf(next), 1);
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

}  // namespace
}  // namespace dsi::runtime
