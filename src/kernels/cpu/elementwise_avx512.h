// AVX-512 elementwise kernels (same contract as kernels/ref/elementwise_ref.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::cpu {

void SiluMulF32Avx512(const float* gate, const float* up, float* out, size_t n);
void SiluMulBF16Avx512(const uint16_t* gate, const uint16_t* up, uint16_t* out, size_t n);
void AddF32Avx512(const float* a, const float* b, float* out, size_t n);
void AddBF16Avx512(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n);
void SoftmaxF32Avx512(const float* x, float* y, size_t n);

}  // namespace dsi::kernels::cpu
