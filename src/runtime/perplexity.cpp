// Perplexity over strided windows; log-softmax in double per scored row.
#include "runtime/perplexity.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace dsi::runtime {

Result<PerplexityResult> Perplexity(models::CausalLM& model, kv_cache::KvCache& cache,
                                    std::span<const int32_t> ids, const PerplexityOptions& options,
                                    const std::function<void(int64_t, int64_t)>& progress) {
  if (options.context < 2 || options.stride < 1 || options.stride > options.context - 1) {
    return InvalidArgument("perplexity needs context >= 2 and 1 <= stride <= context - 1");
  }
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n == 0) return InvalidArgument("perplexity: the text encodes to no tokens");
  const int64_t vocab = model.config().vocab_size;
  std::vector<int32_t> input, positions, token_seq, rows;
  std::vector<float> logits;
  PerplexityResult result;
  int64_t prev_end = 0;
  for (int64_t begin = 0;; begin += options.stride) {
    const int64_t end = std::min(begin + options.context - 1, n);
    input.assign(1, options.bos_id);
    input.insert(input.end(), ids.begin() + begin, ids.begin() + end);
    const int64_t len = static_cast<int64_t>(input.size());
    positions.resize(len);
    std::iota(positions.begin(), positions.end(), 0);
    token_seq.assign(len, 0);
    // Text token j is predicted at input row j - begin; score j in [max(begin, prev_end), end).
    const int64_t first = std::max(begin, prev_end);
    rows.resize(end - first);
    std::iota(rows.begin(), rows.end(), static_cast<int32_t>(first - begin));
    logits.resize(rows.size() * vocab);

    kv_cache::SequenceKv sequence = cache.NewSequence();
    kv_cache::SequenceKv* sequences[] = {&sequence};
    models::ForwardBatch batch;
    batch.token_ids = input;
    batch.positions = positions;
    batch.token_seq = token_seq;
    batch.sequences = sequences;
    batch.logit_rows = rows;
    const Tensor logits_view(logits.data(), DType::kF32,
                             {static_cast<int64_t>(rows.size()), vocab});
    DSI_RETURN_IF_ERROR(model.Forward(batch, cache, logits_view));

    for (size_t r = 0; r < rows.size(); ++r) {
      const float* row = logits.data() + r * vocab;
      const float max_logit = *std::max_element(row, row + vocab);
      double sum = 0.0;
      for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - max_logit);
      const int32_t target = ids[first + static_cast<int64_t>(r)];
      if (target < 0 || target >= vocab) {
        return InvalidArgument("token id " + std::to_string(target) + " outside the vocabulary");
      }
      result.total_nll += std::log(sum) + max_logit - row[target];
    }
    result.num_scored += end - first;
    result.tokens_computed += len;
    ++result.num_windows;
    prev_end = end;
    if (progress) progress(end, n);
    if (end >= n) break;
  }
  result.perplexity = std::exp(result.total_nll / static_cast<double>(result.num_scored));
  return result;
}

}  // namespace dsi::runtime
