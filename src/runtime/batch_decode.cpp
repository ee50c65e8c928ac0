// Round-robin groups of sequences kept in flight.
#include "runtime/batch_decode.h"

#include <algorithm>
#include <chrono>

namespace dsi::runtime {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::vector<std::vector<int32_t>>> GreedyBatch(
    ModelRunner& runner, const std::vector<std::vector<int32_t>>& prompts, int new_tokens,
    int groups, BatchDecodeTimes* times) {
  if (new_tokens < 1 || groups < 1 || prompts.empty()) {
    return InvalidArgument("GreedyBatch needs prompts, new_tokens >= 1 and groups >= 1");
  }
  groups = std::min<int>(groups, static_cast<int>(prompts.size()));
  std::vector<std::vector<RunnerChunk>> chunks(groups);
  std::vector<std::vector<size_t>> members(groups);
  std::vector<std::vector<int32_t>> out(prompts.size());
  for (size_t p = 0; p < prompts.size(); ++p) {
    const int32_t n = static_cast<int32_t>(prompts[p].size());
    chunks[p % groups].push_back({runner.NewSequence(), prompts[p], n - 1, n});
    members[p % groups].push_back(p);
    out[p].reserve(new_tokens);  // the chunks point into these
  }
  Status status = Status::Ok();
  StepResults results;
  auto start = std::chrono::steady_clock::now();
  int submitted = 0;
  for (int g = 0; g < groups && status.ok(); ++g, ++submitted) {
    status = runner.Submit(chunks[g], ResultKind::kArgMax);
  }
  for (int i = 0; i < new_tokens && status.ok(); ++i) {
    for (int g = 0; g < groups && status.ok(); ++g) {
      status = runner.Collect(results);
      --submitted;
      if (!status.ok()) break;
      for (size_t k = 0; k < members[g].size(); ++k) {
        std::vector<int32_t>& tokens = out[members[g][k]];
        tokens.push_back(results.tokens[k]);
        chunks[g][k] = {chunks[g][k].seq, std::span<const int32_t>(&tokens.back(), 1), 0, 1};
      }
      if (i == 0 && g == groups - 1 && times) {
        times->prefill_seconds = SecondsSince(start);
        start = std::chrono::steady_clock::now();
      }
      if (i + 1 < new_tokens) {
        status = runner.Submit(chunks[g], ResultKind::kArgMax);
        if (status.ok()) ++submitted;
      }
    }
  }
  if (times) times->decode_seconds = new_tokens > 1 ? SecondsSince(start) : 0.0;
  for (; submitted > 0; --submitted) (void)runner.Collect(results);  // after a failure
  for (const std::vector<RunnerChunk>& group : chunks) {
    for (const RunnerChunk& c : group) runner.Release(c.seq);
  }
  DSI_RETURN_IF_ERROR(status);
  return out;
}

}  // namespace dsi::runtime
