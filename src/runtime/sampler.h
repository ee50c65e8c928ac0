// Token sampling from one sequence's logits: penalties, temperature, top-k, top-p,
// min-p, and a per-sequence seeded generator (same seed and inputs => same tokens).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace dsi::runtime {

struct SamplingParams {
  float temperature = 1.0f;  // 0 => greedy
  int top_k = 0;             // 0 or negative => disabled
  float top_p = 1.0f;        // 1 => disabled
  float min_p = 0.0f;        // 0 => disabled; keeps tokens with p >= min_p * p_max
  // HF semantics: over prompt and generated tokens, logit / p if positive else logit * p.
  float repetition_penalty = 1.0f;
  // OpenAI semantics: over generated tokens only, logit -= presence * [count > 0] + frequency * count.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::optional<uint64_t> seed;  // absent => seeded from the request id by the caller

  // Ranges as OpenAI / vLLM accept them; the message names the field.
  Status Validate() const;
  bool IsGreedy() const { return temperature == 0.0f || top_k == 1; }
};

// A small, fully specified generator (splitmix64-seeded xoshiro256**), so a seed gives the
// same stream on every platform and library version.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  double Uniform();  // [0, 1) with 53 random bits

 private:
  uint64_t s_[4];
};

class Sampler {
 public:
  explicit Sampler(int vocab_size);

  // Picks the next token. `logits` ([vocab_size] f32) is modified in place (penalties and
  // temperature). `prompt` and `generated` are the sequence's tokens so far.
  int32_t Sample(std::span<float> logits, const SamplingParams& params,
                 std::span<const int32_t> prompt, std::span<const int32_t> generated, Rng& rng);

 private:
  int vocab_size_;
  // Scratch reused across calls, sized once at construction (no allocation per token).
  std::vector<int32_t> order_;
  std::vector<float> probs_;
  std::vector<int32_t> counts_;
};

// The first index of the maximum (what torch.argmax returns on ties).
int32_t ArgMax(std::span<const float> logits);

}  // namespace dsi::runtime
