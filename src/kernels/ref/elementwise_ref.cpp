// Scalar elementwise kernels (double where it makes the oracle tighter).
#include "kernels/ref/elementwise_ref.h"

#include <cmath>
#include <limits>

#include "core/dtype.h"

namespace dsi::kernels::ref {
namespace {

float Silu(float z) { return static_cast<float>(z / (1.0 + std::exp(-static_cast<double>(z)))); }

}  // namespace

void SiluMulF32(const float* gate, const float* up, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = Silu(gate[i]) * up[i];
}

void SiluMulBF16(const uint16_t* gate, const uint16_t* up, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float s = BF16ToF32(F32ToBF16(Silu(BF16ToF32(gate[i]))));
    out[i] = F32ToBF16(s * BF16ToF32(up[i]));
  }
}

void AddF32(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void AddBF16(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = F32ToBF16(BF16ToF32(a[i]) + BF16ToF32(b[i]));
}

void SoftmaxF32(const float* x, float* y, size_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - max);
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - max) / sum);
  }
}

}  // namespace dsi::kernels::ref
