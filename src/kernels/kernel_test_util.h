// Helpers for the kernel tests: the list of kernel-table variants this CPU can run, seeded
// random data in f32 and bf16, and bf16/f32 error constants for input-derived tolerances.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace dsi::kernels::testing {

inline constexpr double kEpsF32 = 1.0 / (1 << 23);  // f32 ulp at 1
inline constexpr double kUlpBF16 =
    1.0 / (1 << 7);  // bf16 ulp at 1: a rounding flip moves this much

// Every table this CPU can run, the reference first.
inline std::vector<const KernelTable*> Variants() {
  std::vector<const KernelTable*> v;
  for (IsaLevel level : {IsaLevel::kRef, IsaLevel::kAvx512}) {
    if (const KernelTable* t = KernelsFor(level)) v.push_back(t);
  }
  return v;
}

inline const KernelTable& Ref() { return *KernelsFor(IsaLevel::kRef); }

// Normal(0, stddev) floats, already rounded to bf16 when `bf16_exact` (so the same values
// can feed f32 and bf16 kernels).
inline std::vector<float> RandomFloats(size_t n, uint32_t seed, float stddev = 1.0f,
                                       bool bf16_exact = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) {
    x = dist(rng);
    if (bf16_exact) x = BF16ToF32(F32ToBF16(x));
  }
  return v;
}

inline std::vector<uint16_t> ToBF16(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = F32ToBF16(v[i]);
  return out;
}

inline std::vector<float> ToF32(const std::vector<uint16_t>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = BF16ToF32(v[i]);
  return out;
}

inline double MaxAbs(const std::vector<float>& v) {
  double m = 0.0;
  for (float x : v) m = std::fmax(m, std::fabs(x));
  return m;
}

}  // namespace dsi::kernels::testing
