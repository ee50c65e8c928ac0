// Strided-window perplexity (the `llama-perplexity` of this engine), mirroring
// tools/train_small_model/common.py:eval_perplexity so the two agree on the shipped model.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "runtime/model_runner.h"

namespace dsi::runtime {

struct PerplexityOptions {
  int64_t context = 512;  // tokens per window, BOS included
  int64_t stride = 256;
  int32_t bos_id = 0;
};

struct PerplexityResult {
  double perplexity = 0.0;
  double total_nll = 0.0;  // natural log
  int64_t num_scored = 0;
  int64_t num_windows = 0;
  int64_t tokens_computed = 0;  // forward tokens, BOS and overlaps included
};

// Window k feeds [BOS] + ids[b, e) with b = k * stride, e = min(b + context - 1, N) as a fresh
// sequence; the text tokens not scored by an earlier window are scored from the logits one
// position before them (ids[b] from BOS). Every text token is scored exactly once.
// One step computes one window per data-parallel replica; the sum runs in window order, so
// the result does not depend on the layout. `progress(done, total)` is called after each
// step when given.
Result<PerplexityResult> Perplexity(ModelRunner& runner, std::span<const int32_t> ids,
                                    const PerplexityOptions& options,
                                    const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace dsi::runtime
