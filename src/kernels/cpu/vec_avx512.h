// Inline AVX-512 helpers shared by the *_avx512.cpp kernels: bf16 load/round/store that agree
// bit for bit with core/dtype.h, and an fp32 exp accurate to a few ulp.
// Include only from files compiled with the AVX-512 flags (cmake/isa.cmake).
#pragma once

#ifndef __AVX512F__
#error "vec_avx512.h needs the AVX-512 compile flags: include it only from *_avx512.cpp"
#endif

// GCC 12 warns "'__Y' may be used uninitialized" inside its own AVX-512 intrinsic headers
// (GCC bug 105593, _mm512_undefined_*); the pragma must precede their first inclusion.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::cpu {

inline __mmask16 TailMask(size_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}

// 16 floats from f32 or bf16 memory; lanes outside `mask` are 0.
inline __m512 LoadF32(const float* p, __mmask16 mask = 0xffff) {
  return _mm512_maskz_loadu_ps(mask, p);
}
inline __m512 LoadF32(const uint16_t* p, __mmask16 mask = 0xffff) {
  const __m256i h = _mm256_maskz_loadu_epi16(mask, p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Rounds each lane to the nearest bf16 (ties to even) and returns it as fp32 with the low
// half zero. NaN stays NaN. Matches F32ToBF16 (vcvtneps2bf16 would flush subnormals).
inline __m512 RoundBF16(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb);
  r = _mm512_and_si512(r, _mm512_set1_epi32(static_cast<int>(0xffff0000u)));
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  const __m512i quiet = _mm512_or_si512(u, _mm512_set1_epi32(0x00400000));
  return _mm512_castsi512_ps(_mm512_mask_mov_epi32(r, nan, quiet));
}

inline void StoreF32(float* p, __m512 v, __mmask16 mask = 0xffff) {
  _mm512_mask_storeu_ps(p, mask, v);
}
// Rounds to bf16 (as RoundBF16) and stores the high halves.
inline void StoreF32(uint16_t* p, __m512 v, __mmask16 mask = 0xffff) {
  const __m512i r = _mm512_srli_epi32(_mm512_castps_si512(RoundBF16(v)), 16);
  _mm256_mask_storeu_epi16(p, mask, _mm512_cvtepi32_epi16(r));
}

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, Taylor polynomial of degree 7 for e^r (truncation
// error < 1e-8 relative), scaled by 2^n with vscalefps (exact, handles under/overflow).
inline __m512 Exp(__m512 x_in) {
  // Clamping keeps n finite (min/max would turn NaN into a bound: NaN lanes are restored below).
  const __m512 x =
      _mm512_max_ps(_mm512_min_ps(x_in, _mm512_set1_ps(89.0f)), _mm512_set1_ps(-104.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln2 = 0.693359375 (few mantissa bits: n·hi is exact) − 2.12194440e-4.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512 e = _mm512_scalef_ps(p, n);
  return _mm512_mask_mov_ps(e, _mm512_cmp_ps_mask(x_in, x_in, _CMP_UNORD_Q), x_in);
}

// z · sigmoid(z) with sigmoid from e = e^−|z| (never overflows): 1/(1+e) for z ≥ 0 and
// e/(1+e) for z < 0, so silu keeps its tiny value far below z ≈ −88 instead of becoming 0.
inline __m512 Silu(__m512 z) {
  const __m512 abs = _mm512_abs_ps(z);
  const __m512 e = Exp(_mm512_sub_ps(_mm512_setzero_ps(), abs));
  const __m512 s_pos = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  const __mmask16 neg = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
  const __m512 sigmoid = _mm512_mask_mul_ps(s_pos, neg, s_pos, e);
  return _mm512_mul_ps(z, sigmoid);
}

}  // namespace dsi::kernels::cpu
