// StepPlan encoding: a header of counts, then edits, chunks and tokens as int32 words.
#include "runtime/step_plan.h"

#include <string>

namespace dsi::runtime {
namespace {

constexpr int32_t kMagic = 0x44534950;  // "DSIP"
constexpr size_t kHeaderWords = 6;
constexpr size_t kEditWords = 2;
constexpr size_t kChunkWords = 5;

}  // namespace

void StepPlan::Clear() {
  op = PlanOp::kStep;
  kind = ResultKind::kLogits;
  edits.clear();
  chunks.clear();
  tokens.clear();
}

int64_t StepPlan::NumResultRows() const {
  int64_t rows = 0;
  for (const PlanChunk& c : chunks) rows += c.row_end - c.row_begin;
  return rows;
}

std::vector<int32_t> StepPlan::Encode() const {
  std::vector<int32_t> w;
  w.reserve(kHeaderWords + edits.size() * kEditWords + chunks.size() * kChunkWords +
            tokens.size());
  w.push_back(kMagic);
  w.push_back(static_cast<int32_t>(op));
  w.push_back(static_cast<int32_t>(kind));
  w.push_back(static_cast<int32_t>(edits.size()));
  w.push_back(static_cast<int32_t>(chunks.size()));
  w.push_back(static_cast<int32_t>(tokens.size()));
  for (const PlanEdit& e : edits) w.insert(w.end(), {e.seq, e.num_tokens});
  for (const PlanChunk& c : chunks) {
    w.insert(w.end(), {c.seq, c.replica, c.num_tokens, c.row_begin, c.row_end});
  }
  w.insert(w.end(), tokens.begin(), tokens.end());
  return w;
}

Result<StepPlan> StepPlan::Decode(std::span<const int32_t> w) {
  if (w.size() < kHeaderWords || w[0] != kMagic) {
    return Corrupt("step plan: bad header (" + std::to_string(w.size()) + " words)");
  }
  const int64_t num_edits = w[3], num_chunks = w[4], num_tokens = w[5];
  if (num_edits < 0 || num_chunks < 0 || num_tokens < 0 ||
      w.size() != kHeaderWords + num_edits * kEditWords + num_chunks * kChunkWords +
                      static_cast<size_t>(num_tokens)) {
    return Corrupt("step plan: counts do not match its length (" + std::to_string(w.size()) +
                   " words)");
  }
  StepPlan plan;
  plan.op = static_cast<PlanOp>(w[1]);
  plan.kind = static_cast<ResultKind>(w[2]);
  size_t at = kHeaderWords;
  for (int64_t i = 0; i < num_edits; ++i, at += kEditWords) {
    plan.edits.push_back({w[at], w[at + 1]});
  }
  int64_t chunk_tokens = 0;
  for (int64_t i = 0; i < num_chunks; ++i, at += kChunkWords) {
    const PlanChunk c{w[at], w[at + 1], w[at + 2], w[at + 3], w[at + 4]};
    if (c.num_tokens <= 0 || c.row_begin < 0 || c.row_begin > c.row_end ||
        c.row_end > c.num_tokens) {
      return Corrupt("step plan: chunk " + std::to_string(i) + " is malformed");
    }
    chunk_tokens += c.num_tokens;
    plan.chunks.push_back(c);
  }
  if (chunk_tokens != num_tokens) return Corrupt("step plan: chunk tokens do not add up");
  plan.tokens.assign(w.begin() + at, w.end());
  return plan;
}

}  // namespace dsi::runtime
