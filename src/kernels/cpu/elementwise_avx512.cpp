// AVX-512 SiLU-and-mul, add and row softmax, 16 lanes with masked tails.
#include "kernels/cpu/elementwise_avx512.h"

#include "kernels/cpu/vec_avx512.h"

namespace dsi::kernels::cpu {
namespace {

template <typename T>
void SiluMul(const T* gate, const T* up, T* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    __m512 s = Silu(LoadF32(gate + i, m));
    if constexpr (sizeof(T) == 2) s = RoundBF16(s);  // HF rounds silu's output to bf16
    StoreF32(out + i, _mm512_mul_ps(s, LoadF32(up + i, m)), m);
  }
}

template <typename T>
void Add(const T* a, const T* b, T* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    StoreF32(out + i, _mm512_add_ps(LoadF32(a + i, m), LoadF32(b + i, m)), m);
  }
}

}  // namespace

void SiluMulF32Avx512(const float* gate, const float* up, float* out, size_t n) {
  SiluMul(gate, up, out, n);
}
void SiluMulBF16Avx512(const uint16_t* gate, const uint16_t* up, uint16_t* out, size_t n) {
  SiluMul(gate, up, out, n);
}
void AddF32Avx512(const float* a, const float* b, float* out, size_t n) { Add(a, b, out, n); }
void AddBF16Avx512(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  Add(a, b, out, n);
}

void SoftmaxF32Avx512(const float* x, float* y, size_t n) {
  __m512 vmax = _mm512_set1_ps(-__builtin_inff());
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + i));
  }
  const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  __m512 vsum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 e = Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), max));
    vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
    _mm512_mask_storeu_ps(y + i, m, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), inv));
  }
}

}  // namespace dsi::kernels::cpu
