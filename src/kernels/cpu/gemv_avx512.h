// AVX512-BF16 small-M GEMV (same contract as kernels/ref/gemv_ref.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace dsi::kernels::cpu {

inline constexpr size_t kGemvMaxM = 4;

void GemvBF16Avx512(const uint16_t* x, size_t m, const uint16_t* w, DType bias_dtype,
                    const void* bias, DType y_dtype, void* y, size_t n, size_t k, size_t n_begin,
                    size_t n_end);

}  // namespace dsi::kernels::cpu
