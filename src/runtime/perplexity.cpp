// Perplexity over strided windows; the last pipeline stage returns the log-softmax of each
// scored row at its target (double), and they are summed here in window order.
#include "runtime/perplexity.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dsi::runtime {
namespace {

struct Window {
  int64_t begin = 0, end = 0, first = 0;  // text tokens [begin, end); scored [first, end)
};

}  // namespace

Result<PerplexityResult> Perplexity(ModelRunner& runner, std::span<const int32_t> ids,
                                    const PerplexityOptions& options,
                                    const std::function<void(int64_t, int64_t)>& progress) {
  if (options.context < 2 || options.stride < 1 || options.stride > options.context - 1) {
    return InvalidArgument("perplexity needs context >= 2 and 1 <= stride <= context - 1");
  }
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n == 0) return InvalidArgument("perplexity: the text encodes to no tokens");
  std::vector<Window> windows;
  for (int64_t begin = 0, prev_end = 0;; begin += options.stride) {
    const int64_t end = std::min(begin + options.context - 1, n);
    windows.push_back({begin, end, std::max(begin, prev_end)});
    prev_end = end;
    if (end >= n) break;
  }

  PerplexityResult result;
  const size_t per_step = static_cast<size_t>(runner.num_replicas());
  std::vector<std::vector<int32_t>> inputs(per_step);
  std::vector<RunnerChunk> chunks;
  StepResults out;
  for (size_t w0 = 0; w0 < windows.size(); w0 += per_step) {
    chunks.clear();
    for (size_t w = w0; w < std::min(windows.size(), w0 + per_step); ++w) {
      const Window& win = windows[w];
      std::vector<int32_t>& input = inputs[w - w0];
      input.assign(1, options.bos_id);
      input.insert(input.end(), ids.begin() + win.begin, ids.begin() + win.end);
      // Text token j is predicted at input row j - begin.
      chunks.push_back({runner.NewSequence(), input, static_cast<int32_t>(win.first - win.begin),
                        static_cast<int32_t>(win.end - win.begin)});
      result.num_scored += win.end - win.first;
      result.tokens_computed += static_cast<int64_t>(input.size());
      ++result.num_windows;
    }
    const Status status = runner.Step(chunks, ResultKind::kNextLogProb, out);
    for (const RunnerChunk& c : chunks) runner.Release(c.seq);
    DSI_RETURN_IF_ERROR(status);
    for (double logprob : out.logprobs) result.total_nll -= logprob;
    if (progress) progress(windows[chunks.size() + w0 - 1].end, n);
  }
  result.perplexity = std::exp(result.total_nll / static_cast<double>(result.num_scored));
  return result;
}

}  // namespace dsi::runtime
