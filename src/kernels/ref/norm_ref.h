// Scalar reference RMSNorm in HF order: fp32 statistics, normalized value cast to the
// activation dtype first, then multiplied by the weight (deepseek-models.md §2.2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::ref {

// For each of `rows` rows of n elements:
//   r = 1 / sqrt(mean(x²) + eps)  (fp32);  y = w ⊙ cast_to_dtype(x · r)  (rounded to dtype).
void RmsNormF32(const float* x, const float* w, float* y, size_t rows, size_t n, float eps);
void RmsNormBF16(const uint16_t* x, const uint16_t* w, uint16_t* y, size_t rows, size_t n,
                 float eps);

// Fused residual add: residual += x (rounded to dtype), then y = RMSNorm(residual).
// y may not alias x or residual.
void AddRmsNormF32(const float* x, float* residual, const float* w, float* y, size_t rows, size_t n,
                   float eps);
void AddRmsNormBF16(const uint16_t* x, uint16_t* residual, const uint16_t* w, uint16_t* y,
                    size_t rows, size_t n, float eps);

}  // namespace dsi::kernels::ref
