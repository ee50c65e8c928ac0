// Scalar reference for the small-M GEMV kernel (decode): same contract as the vector version.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace dsi::kernels::ref {

// Rows [n_begin, n_end) of y[m, n] = x[m, k] · w[n, k]ᵀ (+ bias[n]); x and w bf16, bias f32 or
// bf16 (or null), y f32 or bf16 (row stride n). Accumulates in double.
void GemvBF16(const uint16_t* x, size_t m, const uint16_t* w, DType bias_dtype, const void* bias,
              DType y_dtype, void* y, size_t n, size_t k, size_t n_begin, size_t n_end);

}  // namespace dsi::kernels::ref
