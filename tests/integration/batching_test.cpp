// The same forward serves every step shape: MLA's absorbed form equals its full form, a ragged
// batch (chunked prefill + prefill + decode of three sequences in one Forward) equals running each
// sequence alone, and a prefill split into chunks equals one prefill. All fp32, where the only
// differences are summation order: [NOTE: reassociation tolerance] each logit is a chain of dot
// products of length ≤ 160 over values of size O(1), so reordering moves it by ~1e-6 of the logit
// range; 1e-5 × range is ten times the fp32 parity noise measured against transformers (≈ 1e-6)
// and far below any real error (a wrong position or cache row moves logits by > 1e-1 × range).
#include <gtest/gtest.h>

#include <algorithm>

#include "model_fixture.h"

namespace dsi::testing {
namespace {

constexpr float kTolerance = 1e-5f;  // × range, see [NOTE: reassociation tolerance]

std::vector<int32_t> Slice(const std::vector<int32_t>& v, size_t begin, size_t end) {
  return std::vector<int32_t>(v.begin() + begin, v.begin() + end);
}

bool IsMla(const ModelFixture& f) { return f.architecture().rfind("Deepseek", 0) == 0; }

class BatchingTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchingTest, MlaAbsorbedFormEqualsFullForm) {
  const ModelFixture f = LoadModelFixture(GetParam());
  if (!IsMla(f)) GTEST_SKIP() << "not an MLA model";
  models::ModelOptions full_options, absorbed_options;
  full_options.mla_form = models::MlaForm::kFull;
  absorbed_options.mla_form = models::MlaForm::kAbsorbed;
  Result<ModelRun> full = OpenModel(f.model_dir, full_options);
  Result<ModelRun> absorbed = OpenModel(f.model_dir, absorbed_options);
  ASSERT_TRUE(full.ok() && absorbed.ok());
  const std::vector<int32_t>& prompt = f.prompts[2];
  kv_cache::SequenceKv seq_full = full->cache->NewSequence();
  kv_cache::SequenceKv seq_absorbed = absorbed->cache->NewSequence();
  // Prefill (all rows), then five decode steps feeding the fixture's greedy tokens.
  std::vector<std::vector<int32_t>> steps = {prompt};
  for (int i = 0; i < 5; ++i) steps.push_back({f.greedy_tokens[2][i]});
  for (size_t s = 0; s < steps.size(); ++s) {
    Result<std::vector<float>> a = Step(*full, seq_full, steps[s], /*all_rows=*/true);
    Result<std::vector<float>> b = Step(*absorbed, seq_absorbed, steps[s], /*all_rows=*/true);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_LE(MaxAbsDiff(*a, *b), kTolerance * ValueRange(*a)) << f.name << " step " << s;
  }
}

TEST_P(BatchingTest, RaggedBatchEqualsSequencesAlone) {
  const ModelFixture f = LoadModelFixture(GetParam());
  const int64_t vocab = f.vocab_size();
  Result<ModelRun> alone = OpenModel(f.model_dir, {});
  Result<ModelRun> batched = OpenModel(f.model_dir, {});
  ASSERT_TRUE(alone.ok() && batched.ok());
  const std::vector<int32_t>& a_tokens = f.prompts[2];  // a chunk, then the rest
  const std::vector<int32_t>& b_tokens = f.prompts[1];  // one prefill in the mixed step
  const std::vector<int32_t> c_tokens = {f.prompts[0][0], f.greedy_tokens[0][0]};  // 1 + decode
  const size_t a_len = a_tokens.size(), a_cut = std::max<size_t>(1, a_len / 3);
  const size_t b_len = b_tokens.size();
  ASSERT_GE(a_len, 2u);

  // Alone, with the same chunking: A [0, cut) then [cut, len), B whole, C 1 then 1.
  kv_cache::SequenceKv a = alone->cache->NewSequence(), b = alone->cache->NewSequence(),
                       c = alone->cache->NewSequence();
  ASSERT_TRUE(Step(*alone, a, Slice(a_tokens, 0, a_cut), true).ok());
  ASSERT_TRUE(Step(*alone, c, Slice(c_tokens, 0, 1), true).ok());
  Result<std::vector<float>> want_a = Step(*alone, a, Slice(a_tokens, a_cut, a_len), true);
  Result<std::vector<float>> want_b = Step(*alone, b, b_tokens, true);
  Result<std::vector<float>> want_c = Step(*alone, c, Slice(c_tokens, 1, 2), true);
  ASSERT_TRUE(want_a.ok() && want_b.ok() && want_c.ok());

  // Batched: step 1 = [A chunk | C 0]; step 2 = [A rest | B whole | C decode], all rows.
  kv_cache::SequenceKv sa = batched->cache->NewSequence(), sb = batched->cache->NewSequence(),
                       sc = batched->cache->NewSequence();
  kv_cache::SequenceKv* seqs[] = {&sa, &sb, &sc};
  auto run_step = [&](const std::vector<std::pair<int, std::vector<int32_t>>>& parts,
                      std::vector<float>& logits) {
    std::vector<int32_t> ids, positions, token_seq, rows;
    for (const auto& [s, tokens] : parts) {
      for (size_t i = 0; i < tokens.size(); ++i) {
        ids.push_back(tokens[i]);
        positions.push_back(static_cast<int32_t>(seqs[s]->num_tokens() + i));
        token_seq.push_back(s);
        rows.push_back(static_cast<int32_t>(rows.size()));
      }
    }
    logits.assign(rows.size() * vocab, 0.0f);
    models::ForwardBatch batch{ids, positions, token_seq, seqs, rows, {}};
    return batched->model->Forward(
        batch, *batched->cache,
        Tensor(logits.data(), DType::kF32, {static_cast<int64_t>(rows.size()), vocab}));
  };
  std::vector<float> logits;
  ASSERT_TRUE(run_step({{0, Slice(a_tokens, 0, a_cut)}, {2, Slice(c_tokens, 0, 1)}}, logits).ok());
  const Status st = run_step(
      {{0, Slice(a_tokens, a_cut, a_len)}, {1, b_tokens}, {2, Slice(c_tokens, 1, 2)}}, logits);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const auto rows = [&](size_t begin, size_t n) {
    return std::vector<float>(logits.begin() + begin * vocab, logits.begin() + (begin + n) * vocab);
  };
  const size_t rest = a_len - a_cut;
  EXPECT_LE(MaxAbsDiff(rows(0, rest), *want_a), kTolerance * ValueRange(*want_a)) << f.name;
  EXPECT_LE(MaxAbsDiff(rows(rest, b_len), *want_b), kTolerance * ValueRange(*want_b)) << f.name;
  EXPECT_LE(MaxAbsDiff(rows(rest + b_len, 1), *want_c), kTolerance * ValueRange(*want_c))
      << f.name;
  EXPECT_EQ(sa.num_tokens(), static_cast<int64_t>(a_len));
  EXPECT_EQ(sb.num_tokens(), static_cast<int64_t>(b_len));
  EXPECT_EQ(sc.num_tokens(), 2);
}

TEST_P(BatchingTest, ChunkedPrefillEqualsOnePrefill) {
  const ModelFixture f = LoadModelFixture(GetParam());
  if (f.name == "llama_dynamic_rope") {
    GTEST_SKIP() << "dynamic NTK rescales by the length seen at each call (as transformers), so "
                    "chunking legitimately changes the logits";
  }
  Result<ModelRun> run = OpenModel(f.model_dir, {});
  ASSERT_TRUE(run.ok());
  const std::vector<int32_t>& prompt = f.prompts[2];
  const size_t n = prompt.size();
  ASSERT_GE(n, 3u);
  kv_cache::SequenceKv whole = run->cache->NewSequence();
  Result<std::vector<float>> want = Step(*run, whole, prompt, true);
  ASSERT_TRUE(want.ok());
  kv_cache::SequenceKv chunked = run->cache->NewSequence();
  std::vector<float> got;
  // Three chunks (5 + 4 + 4 for a 13-token prompt).
  const size_t cut1 = (n + 2) / 3, cut2 = cut1 + (n - cut1) / 2;
  for (const auto& [begin, end] : {std::pair{size_t{0}, cut1}, {cut1, cut2}, {cut2, n}}) {
    Result<std::vector<float>> part = Step(*run, chunked, Slice(prompt, begin, end), true);
    ASSERT_TRUE(part.ok());
    got.insert(got.end(), part->begin(), part->end());
  }
  EXPECT_LE(MaxAbsDiff(got, *want), kTolerance * ValueRange(*want)) << f.name;
}

TEST_P(BatchingTest, ScratchSizedAtStartUpCoversTheLargestStep) {
  // A step of max_tokens_per_step tokens (and, for the full MLA form, a sequence of max_seq_len
  // tokens) runs in the scratch sized at start-up: no allocation in the step loop.
  const ModelFixture f = LoadModelFixture(GetParam());
  constexpr int64_t kMaxTokens = 64;
  for (const models::MlaForm form : {models::MlaForm::kAbsorbed, models::MlaForm::kFull}) {
    models::ModelOptions options;
    options.max_tokens_per_step = kMaxTokens;
    options.max_seq_len = kMaxTokens;
    options.mla_form = form;
    Result<ModelRun> run = OpenModel(f.model_dir, options);
    ASSERT_TRUE(run.ok());
    std::vector<int32_t> tokens;
    for (int64_t i = 0; i < kMaxTokens; ++i) tokens.push_back(f.prompts[2][i % f.prompts[2].size()]);
    kv_cache::SequenceKv seq = run->cache->NewSequence();
    ASSERT_TRUE(Step(*run, seq, tokens, /*all_rows=*/true).ok());
    EXPECT_EQ(run->model->scratch().overflow_allocations(), 0)
        << f.name << " " << layers::MlaFormName(form) << ": high water "
        << run->model->scratch().high_water() << " of " << run->model->scratch().capacity();
  }
}

TEST(BatchingErrorsTest, OutOfKvBlocksIsAStatusAndChangesNothing) {
  const ModelFixture f = LoadModelFixture("deepseek_v3");
  Result<ModelRun> run = OpenModel(f.model_dir, {}, /*num_blocks=*/3, /*block_size=*/4);
  ASSERT_TRUE(run.ok());
  kv_cache::SequenceKv seq = run->cache->NewSequence();
  Result<std::vector<float>> too_long = Step(*run, seq, f.prompts[2], true);  // 13 > 12 slots
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), ErrorCode::kResourceExhausted) << too_long.status().ToString();
  EXPECT_EQ(seq.num_tokens(), 0);
  seq.Clear();
  EXPECT_EQ(run->cache->num_free_blocks(), 3);
  // The cache is still usable, and the result is the normal one.
  Result<std::vector<float>> ok = Step(*run, seq, f.prompts[1], true);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const std::vector<float> want = f.Reference("logits_f32.prompt1");
  EXPECT_LE(MaxAbsDiff(*ok, want), 1e-4f * ValueRange(want));
}

TEST(BatchingErrorsTest, MalformedBatchesAreRejected) {
  const ModelFixture f = LoadModelFixture("llama_mha");
  Result<ModelRun> run = OpenModel(f.model_dir, {});
  ASSERT_TRUE(run.ok());
  kv_cache::SequenceKv a = run->cache->NewSequence(), b = run->cache->NewSequence();
  kv_cache::SequenceKv* seqs[] = {&a, &b};
  std::vector<float> logits(2 * f.vocab_size());
  const Tensor out(logits.data(), DType::kF32, {2, f.vocab_size()});
  auto forward = [&](std::vector<int32_t> ids, std::vector<int32_t> pos, std::vector<int32_t> seq,
                     std::vector<int32_t> rows) {
    models::ForwardBatch batch{ids, pos, seq, seqs, rows, {}};
    return run->model->Forward(batch, *run->cache, out);
  };
  // Interleaved sequences, a position that does not continue the cache, a bad sequence index,
  // a bad token id, a logit row outside the batch.
  EXPECT_EQ(forward({1, 2, 3}, {0, 0, 1}, {0, 1, 0}, {0, 1}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(forward({1, 2}, {1, 2}, {0, 0}, {0, 1}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(forward({1, 2}, {0, 0}, {0, 2}, {0, 1}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(forward({1, 99999}, {0, 0}, {0, 1}, {0, 1}).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(forward({1, 2}, {0, 0}, {0, 1}, {0, 2}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.num_tokens(), 0);
  EXPECT_EQ(b.num_tokens(), 0);
  EXPECT_TRUE(forward({1, 2}, {0, 0}, {0, 1}, {0, 1}).ok());
  EXPECT_EQ(a.num_tokens(), 1);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BatchingTest, ::testing::ValuesIn(ModelFixtureNames()),
                         [](const auto& info) { return TestNameOf(info.param); });

}  // namespace
}  // namespace dsi::testing
