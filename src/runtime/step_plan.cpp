// StepPlan encoding: a header of counts, then edits, chunks and tokens as int32 words.
#include "runtime/step_plan.h"

#include <cstring>
#include <string>

namespace dsi::runtime {
namespace {

constexpr int32_t kMagic = 0x44534950;  // "DSIP"
constexpr size_t kHeaderWords = 7;
constexpr size_t kEditWords = 2;
constexpr size_t kSamplerWords = 11;
constexpr size_t kChunkWords = 5;

int32_t Bits(float f) {
  int32_t w;
  std::memcpy(&w, &f, sizeof(w));
  return w;
}
float Float(int32_t w) {
  float f;
  std::memcpy(&f, &w, sizeof(f));
  return f;
}

}  // namespace

void StepPlan::Clear() {
  op = PlanOp::kStep;
  kind = ResultKind::kLogits;
  edits.clear();
  samplers.clear();
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
  w.reserve(kHeaderWords + edits.size() * kEditWords + samplers.size() * kSamplerWords +
            chunks.size() * kChunkWords + tokens.size());
  w.push_back(kMagic);
  w.push_back(static_cast<int32_t>(op));
  w.push_back(static_cast<int32_t>(kind));
  w.push_back(static_cast<int32_t>(edits.size()));
  w.push_back(static_cast<int32_t>(samplers.size()));
  w.push_back(static_cast<int32_t>(chunks.size()));
  w.push_back(static_cast<int32_t>(tokens.size()));
  for (const PlanEdit& e : edits) w.insert(w.end(), {e.seq, e.num_tokens});
  for (const PlanSampler& p : samplers) {
    const SamplingParams& q = p.params;
    w.insert(w.end(), {p.seq, p.prompt_end, static_cast<int32_t>(p.seed & 0xffffffffu),
                       static_cast<int32_t>(p.seed >> 32), Bits(q.temperature), q.top_k,
                       Bits(q.top_p), Bits(q.min_p), Bits(q.repetition_penalty),
                       Bits(q.presence_penalty), Bits(q.frequency_penalty)});
  }
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
  const int64_t num_edits = w[3], num_samplers = w[4], num_chunks = w[5], num_tokens = w[6];
  if (num_edits < 0 || num_samplers < 0 || num_chunks < 0 || num_tokens < 0 ||
      w.size() != kHeaderWords + num_edits * kEditWords + num_samplers * kSamplerWords +
                      num_chunks * kChunkWords + static_cast<size_t>(num_tokens)) {
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
  for (int64_t i = 0; i < num_samplers; ++i, at += kSamplerWords) {
    PlanSampler p;
    p.seq = w[at];
    p.prompt_end = w[at + 1];
    p.seed = static_cast<uint32_t>(w[at + 2]) |
             static_cast<uint64_t>(static_cast<uint32_t>(w[at + 3])) << 32;
    p.params.temperature = Float(w[at + 4]);
    p.params.top_k = w[at + 5];
    p.params.top_p = Float(w[at + 6]);
    p.params.min_p = Float(w[at + 7]);
    p.params.repetition_penalty = Float(w[at + 8]);
    p.params.presence_penalty = Float(w[at + 9]);
    p.params.frequency_penalty = Float(w[at + 10]);
    if (p.prompt_end < 0 || !p.params.Validate().ok()) {
      return Corrupt("step plan: sampler " + std::to_string(i) + " is malformed");
    }
    plan.samplers.push_back(p);
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
