// Scalar reference GEMM, written for clarity (double accumulation), not speed.
#include "kernels/ref/gemm_ref.h"

#include <cstdint>

namespace dsi::kernels::ref {
namespace {

float Load(DType dtype, const void* p, size_t i) {
  return dtype == DType::kBF16 ? BF16ToF32(static_cast<const uint16_t*>(p)[i])
                               : static_cast<const float*>(p)[i];
}

}  // namespace

void Gemm(DType x_dtype, const void* x, DType w_dtype, const void* w, DType bias_dtype,
          const void* bias, DType y_dtype, void* y, size_t m, size_t n, size_t k) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double acc = bias ? Load(bias_dtype, bias, j) : 0.0;
      for (size_t p = 0; p < k; ++p) {
        acc += static_cast<double>(Load(x_dtype, x, i * k + p)) * Load(w_dtype, w, j * k + p);
      }
      if (y_dtype == DType::kBF16) {
        static_cast<uint16_t*>(y)[i * n + j] = F32ToBF16(static_cast<float>(acc));
      } else {
        static_cast<float*>(y)[i * n + j] = static_cast<float>(acc);
      }
    }
  }
}

}  // namespace dsi::kernels::ref
