// AVX-512 RMSNorm: fp32 sum of squares in 16 lanes, then the HF rounding steps per vector.
#include "kernels/cpu/norm_avx512.h"

#include <cmath>

#include "kernels/cpu/vec_avx512.h"

namespace dsi::kernels::cpu {
namespace {

template <typename T>
float InvRms(const T* x, size_t n, float eps) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = LoadF32(x + i);
    const __m512 b = LoadF32(x + i + 16);
    acc0 = _mm512_fmadd_ps(a, a, acc0);
    acc1 = _mm512_fmadd_ps(b, b, acc1);
  }
  for (; i < n; i += 16) {
    const __m512 a = LoadF32(x + i, TailMask(n - i));
    acc0 = _mm512_fmadd_ps(a, a, acc0);
  }
  const float var = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) / static_cast<float>(n);
  return 1.0f / std::sqrt(var + eps);
}

// y = w ⊙ cast(x · inv): for bf16 the normalized value and the product are each rounded.
template <typename T>
void NormalizeRow(const T* x, const T* w, T* y, size_t n, float inv) {
  const __m512 vinv = _mm512_set1_ps(inv);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    __m512 normed = _mm512_mul_ps(LoadF32(x + i, m), vinv);
    if constexpr (sizeof(T) == 2) normed = RoundBF16(normed);
    StoreF32(y + i, _mm512_mul_ps(normed, LoadF32(w + i, m)), m);
  }
}

template <typename T>
void RmsNorm(const T* x, const T* w, T* y, size_t rows, size_t n, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    NormalizeRow(x + r * n, w, y + r * n, n, InvRms(x + r * n, n, eps));
  }
}

template <typename T>
void AddRmsNorm(const T* x, T* residual, const T* w, T* y, size_t rows, size_t n, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    T* res = residual + r * n;
    for (size_t i = 0; i < n; i += 16) {
      const __mmask16 m = TailMask(n - i);
      StoreF32(res + i, _mm512_add_ps(LoadF32(res + i, m), LoadF32(x + r * n + i, m)), m);
    }
    NormalizeRow(res, w, y + r * n, n, InvRms(res, n, eps));
  }
}

}  // namespace

void RmsNormF32Avx512(const float* x, const float* w, float* y, size_t rows, size_t n, float eps) {
  RmsNorm(x, w, y, rows, n, eps);
}
void RmsNormBF16Avx512(const uint16_t* x, const uint16_t* w, uint16_t* y, size_t rows, size_t n,
                       float eps) {
  RmsNorm(x, w, y, rows, n, eps);
}
void AddRmsNormF32Avx512(const float* x, float* residual, const float* w, float* y, size_t rows,
                         size_t n, float eps) {
  AddRmsNorm(x, residual, w, y, rows, n, eps);
}
void AddRmsNormBF16Avx512(const uint16_t* x, uint16_t* residual, const uint16_t* w, uint16_t* y,
                          size_t rows, size_t n, float eps) {
  AddRmsNorm(x, residual, w, y, rows, n, eps);
}

}  // namespace dsi::kernels::cpu
