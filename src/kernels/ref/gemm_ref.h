// Scalar reference GEMM: the oracle for the oneDNN path and any hand-written GEMV.
#pragma once

#include <cstddef>

#include "core/dtype.h"

namespace dsi::kernels::ref {

// y[m,n] = Σ_k x[m,k] · w[n,k] (+ bias[n]), accumulated in double, rounded once to y's dtype.
// x, w, bias: f32 or bf16 (bias may be null); y: f32 or bf16. Row-major, contiguous; w is the
// HF [out_features, in_features] layout.
void Gemm(DType x_dtype, const void* x, DType w_dtype, const void* w, DType bias_dtype,
          const void* bias, DType y_dtype, void* y, size_t m, size_t n, size_t k);

}  // namespace dsi::kernels::ref
