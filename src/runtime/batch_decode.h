// Greedy decoding of a batch of prompts through a ModelRunner, the batch split into groups
// that take turns: while one group's step is collected, the others are in flight, so with
// groups >= pipeline stages every stage has work (the schedule of vLLM's "virtual engines").
// Used by `dsinfer bench` and by the tests that compare layouts.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"
#include "runtime/model_runner.h"

namespace dsi::runtime {

struct BatchDecodeTimes {
  double prefill_seconds = 0;  // every prompt's prefill collected
  double decode_seconds = 0;   // the new_tokens - 1 decode steps of every group
};

// Prompts are dealt to groups round-robin; each gets new_tokens greedy tokens (the first from
// its prefill). The sequences are released at the end.
Result<std::vector<std::vector<int32_t>>> GreedyBatch(
    ModelRunner& runner, const std::vector<std::vector<int32_t>>& prompts, int new_tokens,
    int groups, BatchDecodeTimes* times = nullptr);

}  // namespace dsi::runtime
