// AVX-512 conversion kernels (compiled with AVX-512 flags; call only via the kernel table).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::cpu {

void ConvertBF16ToF32Avx512(const uint16_t* src, float* dst, size_t n);
void ConvertF32ToBF16Avx512(const float* src, uint16_t* dst, size_t n);

}  // namespace dsi::kernels::cpu
