// Scalar conversions, element by element through core/dtype.h.
#include "kernels/ref/convert_ref.h"

#include "core/dtype.h"

namespace dsi::kernels::ref {

void ConvertBF16ToF32(const uint16_t* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = BF16ToF32(src[i]);
}

void ConvertF32ToBF16(const float* src, uint16_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = F32ToBF16(src[i]);
}

}  // namespace dsi::kernels::ref
