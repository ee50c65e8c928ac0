// Test-side access to the transformers fixtures (tests/data/models/README.md) and a small
// driver that runs one or more sequences through a CausalLM and its paged KV cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "kv_cache/kv_cache.h"
#include "loader/safetensors.h"
#include "models/causal_lm.h"

namespace dsi::testing {

struct ModelFixture {
  std::string name;
  std::filesystem::path dir;        // tests/data/models/<name>: expected.json / .safetensors
  std::filesystem::path model_dir;  // the checkpoint: `dir`, or expected.json's "model_dir"
  nlohmann::json expected;
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<int32_t>> greedy_tokens;
  std::unique_ptr<loader::SafetensorsFile> tensors;  // expected.safetensors

  // [rows, vocab] f32 reference values (copied out of the file).
  std::vector<float> Reference(const std::string& tensor_name, int64_t* rows = nullptr) const;
  int64_t vocab_size() const { return expected.at("vocab_size").get<int64_t>(); }
  std::string architecture() const { return expected.at("architecture").get<std::string>(); }
};

// Names of the directories under tests/data/models that hold an expected.json, sorted.
std::vector<std::string> ModelFixtureNames();
// A fixture name as a gtest parameter name (non-alphanumerics become '_').
std::string TestNameOf(const std::string& fixture);
ModelFixture LoadModelFixture(const std::string& name);

// A loaded model and a cache sized for the tests.
struct ModelRun {
  std::unique_ptr<models::CausalLM> model;
  std::unique_ptr<kv_cache::KvCache> cache;
};
Result<ModelRun> OpenModel(const std::filesystem::path& dir, const models::ModelOptions& options,
                           int64_t num_blocks = 64, int32_t block_size = 4);

// One step for one sequence: appends `tokens` at its next positions; returns the logits of all
// rows (all_rows) or of the last one, row-major [rows, vocab].
Result<std::vector<float>> Step(ModelRun& run, kv_cache::SequenceKv& seq,
                                const std::vector<int32_t>& tokens, bool all_rows);

// Greedy continuation: prefill, then one token per decode step. step_logits gets [n, vocab].
Result<std::vector<int32_t>> Greedy(ModelRun& run, const std::vector<int32_t>& prompt, int n,
                                    std::vector<float>* step_logits = nullptr);

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b);
float ValueRange(const std::vector<float>& v);  // max - min

}  // namespace dsi::testing
