// Deterministic per-rank test inputs shared by the fake-communicator unit tests and the
// MPI test program, so both can compute every rank's contribution without communicating.
// Magnitudes span 2^-12 .. 2^12 so that summing in a different order changes the bits.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.h"

namespace dsi::dist::testdata {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline std::vector<float> RankValues(int rank, size_t count, uint64_t seed) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t h = SplitMix64(seed * 0x100000001b3ull ^ (uint64_t(rank) << 40) ^ i);
    const float mantissa = 1.0f + static_cast<float>(h & 0x7fffff) / float(1 << 23);
    const int exponent = static_cast<int>((h >> 23) % 25) - 12;
    v[i] = std::ldexp((h >> 63) ? -mantissa : mantissa, exponent);
  }
  return v;
}

inline std::vector<uint16_t> RankValuesBF16(int rank, size_t count, uint64_t seed) {
  const std::vector<float> f = RankValues(rank, count, seed);
  std::vector<uint16_t> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = F32ToBF16(f[i]);
  return v;
}

}  // namespace dsi::dist::testdata
