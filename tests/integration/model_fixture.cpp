// Fixture reading and the single-sequence driver.
#include "model_fixture.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "loader/weight_loader.h"
#include "runtime/sampler.h"
#include "testing/test_util.h"

namespace dsi::testing {

std::vector<std::string> ModelFixtureNames() {
  std::vector<std::string> names;
  const std::filesystem::path root = SourceDir() / "tests" / "data" / "models";
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (std::filesystem::exists(entry.path() / "expected.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string TestNameOf(const std::string& fixture) {
  std::string out = fixture;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

ModelFixture LoadModelFixture(const std::string& name) {
  ModelFixture f;
  f.name = name;
  f.dir = SourceDir() / "tests" / "data" / "models" / name;
  f.expected = nlohmann::json::parse(ReadFile(f.dir / "expected.json"));
  f.model_dir = f.expected.contains("model_dir")
                    ? SourceDir() / f.expected.at("model_dir").get<std::string>()
                    : f.dir;
  f.prompts = f.expected.at("prompts").get<std::vector<std::vector<int32_t>>>();
  f.greedy_tokens = f.expected.at("greedy_tokens").get<std::vector<std::vector<int32_t>>>();
  auto file = loader::SafetensorsFile::Open(f.dir / "expected.safetensors");
  DSI_CHECK(file.ok()) << file.status().ToString();
  f.tensors = std::move(file).value();
  return f;
}

std::vector<float> ModelFixture::Reference(const std::string& tensor_name, int64_t* rows) const {
  const loader::TensorInfo* info = tensors->Find(tensor_name);
  DSI_CHECK(info != nullptr && info->dtype == DType::kF32) << name << ": " << tensor_name;
  const Tensor t = tensors->View(*info);
  std::vector<float> out(t.NumElements());
  std::memcpy(out.data(), t.data(), t.SizeBytes());
  if (rows) *rows = t.dim(0);
  return out;
}

Result<ModelRun> OpenModel(const std::filesystem::path& dir, const models::ModelOptions& options,
                           int64_t num_blocks, int32_t block_size) {
  ModelRun run;
  models::ModelOptions o = options;
  // One oneDNN (OpenMP) thread: these models are tiny, and OpenMP's spinning workers on a busy
  // 2-core machine made single tests 30x slower.
  if (o.gemm_threads == 0) o.gemm_threads = 1;
  DSI_ASSIGN_OR_RETURN(run.model, loader::LoadModel(dir, o));
  DSI_ASSIGN_OR_RETURN(run.cache,
                       kv_cache::KvCache::Create(run.model->KvSpec(), block_size, num_blocks));
  return run;
}

Result<std::vector<float>> Step(ModelRun& run, kv_cache::SequenceKv& seq,
                                const std::vector<int32_t>& tokens, bool all_rows) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t vocab = run.model->config().vocab_size;
  std::vector<int32_t> positions(n), token_seq(n, 0), rows;
  for (int64_t i = 0; i < n; ++i) positions[i] = static_cast<int32_t>(seq.num_tokens() + i);
  for (int64_t i = all_rows ? 0 : n - 1; i < n; ++i) rows.push_back(static_cast<int32_t>(i));
  std::vector<float> logits(rows.size() * vocab);
  kv_cache::SequenceKv* seqs[] = {&seq};
  models::ForwardBatch batch{tokens, positions, token_seq, seqs, rows, {}};
  DSI_RETURN_IF_ERROR(run.model->Forward(
      batch, *run.cache,
      Tensor(logits.data(), DType::kF32, {static_cast<int64_t>(rows.size()), vocab})));
  return logits;
}

Result<std::vector<int32_t>> Greedy(ModelRun& run, const std::vector<int32_t>& prompt, int n,
                                    std::vector<float>* step_logits) {
  kv_cache::SequenceKv seq = run.cache->NewSequence();
  std::vector<int32_t> out;
  std::vector<int32_t> input = prompt;
  if (step_logits) step_logits->clear();
  for (int i = 0; i < n; ++i) {
    DSI_ASSIGN_OR_RETURN(std::vector<float> logits, Step(run, seq, input, /*all_rows=*/false));
    if (step_logits) step_logits->insert(step_logits->end(), logits.begin(), logits.end());
    out.push_back(runtime::ArgMax(logits));
    input = {out.back()};
  }
  return out;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  DSI_CHECK_EQ(a.size(), b.size());
  float m = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates as NaN
  }
  return m;
}

float ValueRange(const std::vector<float>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *hi - *lo;
}

}  // namespace dsi::testing
