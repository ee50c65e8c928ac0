// Scalar reference conversion kernels: the oracle for every vectorized variant.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::ref {

void ConvertBF16ToF32(const uint16_t* src, float* dst, size_t n);
void ConvertF32ToBF16(const float* src, uint16_t* dst, size_t n);

}  // namespace dsi::kernels::ref
