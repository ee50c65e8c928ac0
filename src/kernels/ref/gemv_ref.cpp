// Scalar small-M GEMV: the double-accumulating reference restricted to a range of output rows.
#include "kernels/ref/gemv_ref.h"

namespace dsi::kernels::ref {

void GemvBF16(const uint16_t* x, size_t m, const uint16_t* w, DType bias_dtype, const void* bias,
              DType y_dtype, void* y, size_t n, size_t k, size_t n_begin, size_t n_end) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = n_begin; j < n_end; ++j) {
      double acc = 0.0;
      if (bias) {
        acc = bias_dtype == DType::kBF16 ? BF16ToF32(static_cast<const uint16_t*>(bias)[j])
                                         : static_cast<const float*>(bias)[j];
      }
      for (size_t p = 0; p < k; ++p) {
        acc += static_cast<double>(BF16ToF32(x[i * k + p])) * BF16ToF32(w[j * k + p]);
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
