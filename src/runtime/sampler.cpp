// Sampler: penalties are applied to the logits, then temperature, then the top-k /
// top-p / min-p filters on the sorted distribution, then one uniform draw.
#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/logging.h"

namespace dsi::runtime {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

Status SamplingParams::Validate() const {
  auto bad = [](const std::string& field, const std::string& why) {
    return InvalidArgument(field + " " + why);
  };
  if (!(temperature >= 0.0f) || !std::isfinite(temperature)) {
    return bad("temperature", "must be a finite number >= 0");
  }
  if (!(top_p > 0.0f && top_p <= 1.0f)) return bad("top_p", "must be in (0, 1]");
  if (!(min_p >= 0.0f && min_p <= 1.0f)) return bad("min_p", "must be in [0, 1]");
  if (!(repetition_penalty > 0.0f) || !std::isfinite(repetition_penalty)) {
    return bad("repetition_penalty", "must be a finite number > 0");
  }
  if (!(presence_penalty >= -2.0f && presence_penalty <= 2.0f)) {
    return bad("presence_penalty", "must be in [-2, 2]");
  }
  if (!(frequency_penalty >= -2.0f && frequency_penalty <= 2.0f)) {
    return bad("frequency_penalty", "must be in [-2, 2]");
  }
  return Status::Ok();
}

int32_t ArgMax(std::span<const float> logits) {
  DSI_CHECK(!logits.empty());
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

Sampler::Sampler(int vocab_size)
    : vocab_size_(vocab_size), order_(vocab_size), probs_(vocab_size), counts_(vocab_size, 0) {}

int32_t Sampler::Sample(std::span<float> logits, const SamplingParams& params,
                        std::span<const int32_t> prompt, std::span<const int32_t> generated,
                        Rng& rng) {
  DSI_CHECK_EQ(static_cast<int>(logits.size()), vocab_size_);
  auto valid = [&](int32_t t) { return t >= 0 && t < vocab_size_; };

  if (params.repetition_penalty != 1.0f) {
    // Each distinct token is penalized once, however often it occurs.
    for (std::span<const int32_t> part : {prompt, generated}) {
      for (int32_t t : part) {
        if (valid(t)) counts_[t] = 1;
      }
    }
    for (std::span<const int32_t> part : {prompt, generated}) {
      for (int32_t t : part) {
        if (!valid(t) || counts_[t] == 0) continue;
        counts_[t] = 0;
        logits[t] = logits[t] > 0 ? logits[t] / params.repetition_penalty
                                  : logits[t] * params.repetition_penalty;
      }
    }
  }
  if (params.presence_penalty != 0.0f || params.frequency_penalty != 0.0f) {
    for (int32_t t : generated) {
      if (valid(t)) ++counts_[t];
    }
    for (int32_t t : generated) {
      if (!valid(t) || counts_[t] == 0) continue;
      logits[t] -= params.presence_penalty + params.frequency_penalty * counts_[t];
      counts_[t] = 0;
    }
  }

  if (params.IsGreedy()) return ArgMax(logits);

  for (float& l : logits) l /= params.temperature;
  // Sort descending by logit; ties keep the lower id first (stable over iota).
  std::iota(order_.begin(), order_.end(), 0);
  const int k = params.top_k > 0 ? std::min(params.top_k, vocab_size_) : vocab_size_;
  std::partial_sort(order_.begin(), order_.begin() + k, order_.end(),
                    [&](int32_t a, int32_t b) {
                      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
                    });

  // Softmax over the k best, in double for a stable cumulative sum.
  const float max_logit = logits[order_[0]];
  double total = 0.0;
  for (int i = 0; i < k; ++i) {
    probs_[i] = std::exp(logits[order_[i]] - max_logit);
    total += probs_[i];
  }
  int keep = k;
  if (params.min_p > 0.0f) {
    // p_i / p_max = probs_[i] / probs_[0] with probs_[0] = exp(0) = 1.
    int n = 1;
    while (n < keep && probs_[n] >= params.min_p) ++n;
    keep = n;
  }
  if (params.top_p < 1.0f) {
    double kept_total = 0.0;
    for (int i = 0; i < keep; ++i) kept_total += probs_[i];
    // Smallest prefix whose mass reaches top_p (at least one token).
    double cumulative = 0.0;
    int n = 0;
    while (n < keep) {
      cumulative += probs_[n] / kept_total;
      ++n;
      if (cumulative >= params.top_p) break;
    }
    keep = n;
  }
  total = 0.0;
  for (int i = 0; i < keep; ++i) total += probs_[i];
  const double target = rng.Uniform() * total;
  double cumulative = 0.0;
  for (int i = 0; i < keep; ++i) {
    cumulative += probs_[i];
    if (target < cumulative) return order_[i];
  }
  return order_[keep - 1];
}

}  // namespace dsi::runtime
