// Generator: prefill, then sample/decode one token at a time.
#include "runtime/generator.h"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace dsi::runtime {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Generator::Generator(models::CausalLM& model, kv_cache::KvCache& cache, uint64_t seed)
    : model_(model),
      cache_(cache),
      sequence_(cache.NewSequence()),
      sampler_(static_cast<int>(model.config().vocab_size)),
      rng_(seed),
      logits_(model.config().vocab_size) {}

void Generator::Reset() {
  sequence_.Clear();
  history_.clear();
}

void Generator::Truncate(int64_t num_tokens) {
  DSI_CHECK(num_tokens >= 0 && num_tokens <= this->num_tokens());
  history_.resize(num_tokens);
  sequence_.set_num_tokens(num_tokens);
}

Status Generator::Step(std::span<const int32_t> tokens) {
  const int64_t start = static_cast<int64_t>(history_.size());
  const int64_t n = static_cast<int64_t>(tokens.size());
  positions_.resize(n);
  std::iota(positions_.begin(), positions_.end(), static_cast<int32_t>(start));
  token_seq_.assign(n, 0);
  kv_cache::SequenceKv* sequences[] = {&sequence_};
  const int32_t logit_rows[] = {static_cast<int32_t>(n - 1)};
  models::ForwardBatch batch;
  batch.token_ids = tokens;
  batch.positions = positions_;
  batch.token_seq = token_seq_;
  batch.sequences = sequences;
  batch.logit_rows = logit_rows;
  Tensor logits(logits_.data(), DType::kF32, {1, model_.config().vocab_size});
  DSI_RETURN_IF_ERROR(model_.Forward(batch, cache_, logits));
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  return Status::Ok();
}

Result<GenerateStats> Generator::Generate(std::span<const int32_t> new_tokens,
                                          const GenerateOptions& options,
                                          const std::function<bool(int32_t)>& on_token) {
  DSI_RETURN_IF_ERROR(options.sampling.Validate());
  if (new_tokens.empty()) return InvalidArgument("generation needs at least one prompt token");
  const int64_t vocab = model_.config().vocab_size;
  for (int32_t t : new_tokens) {
    if (t < 0 || t >= vocab) {
      return InvalidArgument("token id " + std::to_string(t) + " is outside the vocabulary [0, " +
                             std::to_string(vocab) + ")");
    }
  }
  GenerateStats stats;
  stats.prompt_tokens = static_cast<int64_t>(new_tokens.size());
  const size_t prompt_end = history_.size() + new_tokens.size();

  auto start = std::chrono::steady_clock::now();
  DSI_RETURN_IF_ERROR(Step(new_tokens));
  stats.prefill_seconds = SecondsSince(start);
  stats.finish_reason = "length";

  start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.max_new_tokens; ++i) {
    const std::span<const int32_t> prompt(history_.data(), prompt_end);
    const std::span<const int32_t> generated(history_.data() + prompt_end,
                                             history_.size() - prompt_end);
    const int32_t token = sampler_.Sample(logits_, options.sampling, prompt, generated, rng_);
    const bool is_stop = std::find(options.stop_ids.begin(), options.stop_ids.end(), token) !=
                         options.stop_ids.end();
    if (is_stop || !on_token(token)) {
      stats.finish_reason = "stop";
      // Keep the stop token in the cache so a chat's next turn follows it.
      const int32_t one[] = {token};
      if (is_stop) DSI_RETURN_IF_ERROR(Step(one));
      break;
    }
    ++stats.generated_tokens;
    const int32_t one[] = {token};
    DSI_RETURN_IF_ERROR(Step(one));
  }
  stats.decode_seconds = SecondsSince(start);
  return stats;
}

}  // namespace dsi::runtime
