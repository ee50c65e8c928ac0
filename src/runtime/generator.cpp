// Generator: prefill, then sample/decode one token at a time.
#include "runtime/generator.h"

#include <algorithm>
#include <chrono>

namespace dsi::runtime {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Generator::Generator(ModelRunner& runner, uint64_t seed)
    : runner_(runner), seed_(seed), sequence_(runner.NewSequence()) {}

Generator::~Generator() { runner_.Release(sequence_); }

void Generator::Reset() {
  runner_.Release(sequence_);
  sequence_ = runner_.NewSequence();
  history_.clear();
}

void Generator::Truncate(int64_t num_tokens) {
  DSI_CHECK(num_tokens >= 0 && num_tokens <= this->num_tokens());
  history_.resize(num_tokens);
  runner_.Truncate(sequence_, num_tokens);
}

Status Generator::Step(std::span<const int32_t> tokens, ResultKind kind) {
  const int32_t n = static_cast<int32_t>(tokens.size());
  const RunnerChunk chunk{sequence_, tokens, n - 1, n};
  DSI_RETURN_IF_ERROR(runner_.Step({&chunk, 1}, kind, results_));
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  return Status::Ok();
}

Result<GenerateStats> Generator::Generate(std::span<const int32_t> new_tokens,
                                          const GenerateOptions& options,
                                          const std::function<bool(int32_t)>& on_token) {
  DSI_RETURN_IF_ERROR(options.sampling.Validate());
  if (new_tokens.empty()) return InvalidArgument("generation needs at least one prompt token");
  const SamplingParams& p = options.sampling;
  GenerateStats stats;
  stats.prompt_tokens = static_cast<int64_t>(new_tokens.size());
  const size_t prompt_end = history_.size() + new_tokens.size();
  const bool plain_greedy = p.IsGreedy() && p.repetition_penalty == 1.0f &&
                            p.presence_penalty == 0.0f && p.frequency_penalty == 0.0f;
  const ResultKind kind = plain_greedy ? ResultKind::kArgMax : ResultKind::kSample;
  if (kind == ResultKind::kSample) {
    runner_.SetSampling(sequence_, p, static_cast<int64_t>(prompt_end), seed_);
  }

  auto start = std::chrono::steady_clock::now();
  DSI_RETURN_IF_ERROR(Step(new_tokens, kind));
  stats.prefill_seconds = SecondsSince(start);
  stats.finish_reason = "length";

  start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.max_new_tokens; ++i) {
    const int32_t token = results_.tokens[0];
    const bool is_stop = std::find(options.stop_ids.begin(), options.stop_ids.end(), token) !=
                         options.stop_ids.end();
    if (is_stop || !on_token(token)) {
      stats.finish_reason = "stop";
      // Keep the stop token in the cache so a chat's next turn follows it.
      const int32_t one[] = {token};
      if (is_stop) DSI_RETURN_IF_ERROR(Step(one, kind));
      break;
    }
    ++stats.generated_tokens;
    const int32_t one[] = {token};
    DSI_RETURN_IF_ERROR(Step(one, kind));
  }
  stats.decode_seconds = SecondsSince(start);
  return stats;
}

}  // namespace dsi::runtime
