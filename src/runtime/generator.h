// Generator: drives one sequence through a ModelRunner — prefill of the prompt, then one
// decode step per token with the sampler — keeping the sequence's KV cache between calls
// so a chat can append turns without recomputing earlier ones. The last pipeline stage picks
// each token (greedy, or the sequence's sampler) and only the token id travels back.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "runtime/model_runner.h"
#include "runtime/sampler.h"

namespace dsi::runtime {

struct GenerateOptions {
  int max_new_tokens = 128;
  SamplingParams sampling;
  std::vector<int32_t> stop_ids;  // e.g. generation_config.json eos_token_id
};

struct GenerateStats {
  int64_t prompt_tokens = 0;     // tokens prefilled in this call
  int64_t generated_tokens = 0;
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
  std::string finish_reason;  // "stop" (stop id or callback) or "length"
};

class Generator {
 public:
  // `runner` (its driver side) must outlive the generator.
  Generator(ModelRunner& runner, uint64_t seed);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Appends `new_tokens` to the sequence (after whatever earlier calls left in the cache) and
  // generates. `on_token` sees each sampled token (stop ids excluded) and returns false to
  // stop. The sampled tokens stay in the cache, so the next call continues the conversation.
  Result<GenerateStats> Generate(std::span<const int32_t> new_tokens,
                                 const GenerateOptions& options,
                                 const std::function<bool(int32_t)>& on_token);

  // Forgets the sequence (gives its KV blocks back); sampling starts again from the seed.
  void Reset();
  // Keeps only the first `num_tokens` cached tokens (a chat whose re-rendered prompt agrees
  // with the cache up to there); later tokens are overwritten by the next Generate.
  void Truncate(int64_t num_tokens);
  int64_t num_tokens() const { return static_cast<int64_t>(history_.size()); }
  // Every token in the cache, in order (prompts and generated tokens of all calls).
  std::span<const int32_t> history() const { return history_; }

 private:
  // One forward over `tokens` at the end of the sequence; the token picked after its last row
  // in results_.tokens[0].
  Status Step(std::span<const int32_t> tokens, ResultKind kind);

  ModelRunner& runner_;
  uint64_t seed_;
  int32_t sequence_;
  std::vector<int32_t> history_;  // every token in the cache, in order
  StepResults results_;
};

}  // namespace dsi::runtime
