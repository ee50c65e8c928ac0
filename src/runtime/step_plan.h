// StepPlan: what every rank of the job computes in one engine step (design.md §3): cache edits
// (sequences released or truncated) and sampler settings, then new tokens of several sequences,
// each tagged with
// the data-parallel replica that holds it, and which rows' results rank 0 wants back. Plain
// data that encodes to int32 words, so rank 0 can broadcast it to every rank.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "runtime/sampler.h"

namespace dsi::runtime {

enum class PlanOp : int32_t {
  kStep = 1,      // apply the edits, then compute the chunks
  kShutdown = 2,  // followers leave their loop
  kResetStats = 3,  // every rank zeroes its RunnerStats (benchmarks, after warm-up)
};

// What the last pipeline stage returns for each requested row.
enum class ResultKind : int32_t {
  kLogits = 1,         // the [vocab] f32 logits
  kArgMax = 2,         // the greedy token (runtime::ArgMax of the logits)
  kNextLogProb = 3,    // log-softmax of the logits at the chunk's next token (perplexity)
  kSample = 4,         // the token the sequence's sampler (PlanSampler) draws; last row only
};

struct PlanEdit {
  int32_t seq = 0;
  int32_t num_tokens = -1;  // keep the first num_tokens cached tokens; -1: release the sequence
};

// Sets how a sequence samples (ResultKind::kSample) from this step on. The last stage keeps,
// per sequence, the parameters, a generator seeded once with `seed`, and the sequence's tokens;
// those from index prompt_end on count as generated (OpenAI presence/frequency penalties).
struct PlanSampler {
  int32_t seq = 0;
  int32_t prompt_end = 0;
  uint64_t seed = 0;
  SamplingParams params;
};

struct PlanChunk {
  int32_t seq = 0;      // the sequence id (created on first use)
  int32_t replica = 0;  // data-parallel replica that holds the sequence
  int32_t num_tokens = 0;
  // Rows [row_begin, row_end) of this chunk whose results are wanted (may be empty).
  int32_t row_begin = 0;
  int32_t row_end = 0;
};

struct StepPlan {
  PlanOp op = PlanOp::kStep;
  ResultKind kind = ResultKind::kLogits;
  std::vector<PlanEdit> edits;
  std::vector<PlanSampler> samplers;
  std::vector<PlanChunk> chunks;
  std::vector<int32_t> tokens;  // the chunks' tokens, concatenated in chunk order

  void Clear();
  int64_t NumResultRows() const;
  std::vector<int32_t> Encode() const;
  // Fails on words that did not come from Encode (a version or memory mismatch).
  static Result<StepPlan> Decode(std::span<const int32_t> words);
};

}  // namespace dsi::runtime
