// AVX-512 bf16 <-> f32: widen by shifting into the high half; narrow with integer
// round-to-nearest-even. (vcvtneps2bf16 is not used: it flushes f32 subnormals to zero,
// so it would disagree with F32ToBF16 on them.)
#include "kernels/cpu/convert_avx512.h"

#include <immintrin.h>

#include "kernels/ref/convert_ref.h"

namespace dsi::kernels::cpu {

void ConvertBF16ToF32Avx512(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m512i w = _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16);
    _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(w));
  }
  ref::ConvertBF16ToF32(src + i, dst + i, n - i);
}

void ConvertF32ToBF16Avx512(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i u = _mm512_loadu_si512(src + i);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i rounded =
        _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb), 16);
    // NaN: keep the payload's high half and force the quiet bit.
    const __m512i abs = _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff));
    const __mmask16 is_nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7f800000));
    const __m512i nan = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    const __m512i result = _mm512_mask_mov_epi32(rounded, is_nan, nan);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm512_cvtepi32_epi16(result));
  }
  ref::ConvertF32ToBF16(src + i, dst + i, n - i);
}

}  // namespace dsi::kernels::cpu
