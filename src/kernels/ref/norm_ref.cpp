// Scalar RMSNorm: double sum of squares, then the fp32 / dtype steps exactly as HF orders them.
#include "kernels/ref/norm_ref.h"

#include <cmath>

#include "core/dtype.h"

namespace dsi::kernels::ref {
namespace {

// fp32 statistics as torch computes them (an fp32 sum, then an fp32 division by n), with the
// sum itself taken in double so the only rounding is the final one.
float InvRmsFromSum(double sum_of_squares, size_t n, float eps) {
  const float var = static_cast<float>(sum_of_squares) / static_cast<float>(n);
  return 1.0f / std::sqrt(var + eps);
}

float InvRms(const float* x, size_t n, float eps) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return InvRmsFromSum(sum, n, eps);
}

}  // namespace

void RmsNormF32(const float* x, const float* w, float* y, size_t rows, size_t n, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    const float inv = InvRms(xr, n, eps);
    for (size_t i = 0; i < n; ++i) y[r * n + i] = w[i] * (xr[i] * inv);
  }
}

void RmsNormBF16(const uint16_t* x, const uint16_t* w, uint16_t* y, size_t rows, size_t n,
                 float eps) {
  for (size_t r = 0; r < rows; ++r) {
    const uint16_t* xr = x + r * n;
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double v = BF16ToF32(xr[i]);
      sum += v * v;
    }
    const float inv = InvRmsFromSum(sum, n, eps);
    for (size_t i = 0; i < n; ++i) {
      const float normed = BF16ToF32(F32ToBF16(BF16ToF32(xr[i]) * inv));
      // bf16 · bf16 is exact in fp32, so this is the single rounding of HF's bf16 multiply.
      y[r * n + i] = F32ToBF16(normed * BF16ToF32(w[i]));
    }
  }
}

void AddRmsNormF32(const float* x, float* residual, const float* w, float* y, size_t rows, size_t n,
                   float eps) {
  for (size_t i = 0; i < rows * n; ++i) residual[i] += x[i];
  RmsNormF32(residual, w, y, rows, n, eps);
}

void AddRmsNormBF16(const uint16_t* x, uint16_t* residual, const uint16_t* w, uint16_t* y,
                    size_t rows, size_t n, float eps) {
  for (size_t i = 0; i < rows * n; ++i) {
    residual[i] = F32ToBF16(BF16ToF32(residual[i]) + BF16ToF32(x[i]));
  }
  RmsNormBF16(residual, w, y, rows, n, eps);
}

}  // namespace dsi::kernels::ref
