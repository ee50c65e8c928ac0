// AVX-512 RMSNorm kernels (same contract as kernels/ref/norm_ref.h; call via the kernel table).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::cpu {

void RmsNormF32Avx512(const float* x, const float* w, float* y, size_t rows, size_t n, float eps);
void RmsNormBF16Avx512(const uint16_t* x, const uint16_t* w, uint16_t* y, size_t rows, size_t n,
                       float eps);
void AddRmsNormF32Avx512(const float* x, float* residual, const float* w, float* y, size_t rows,
                         size_t n, float eps);
void AddRmsNormBF16Avx512(const uint16_t* x, uint16_t* residual, const uint16_t* w, uint16_t* y,
                          size_t rows, size_t n, float eps);

}  // namespace dsi::kernels::cpu
