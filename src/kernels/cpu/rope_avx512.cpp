// AVX-512 rotary embedding. Half-split: 16 pairs per vector from the two halves. Interleaved:
// 8 adjacent pairs per vector, cos/sin duplicated per pair and the partner swapped in-lane.
#include "kernels/cpu/rope_avx512.h"

#include "kernels/cpu/vec_avx512.h"

namespace dsi::kernels::cpu {
namespace {

// Products with explicit rounding: GCC contracts plain _mm512_mul_ps + _mm512_add_ps into an
// FMA (C++ defaults to -ffp-contract=fast), which would round once where torch rounds twice.
inline __m512 Mul(__m512 a, __m512 b) {
  return _mm512_mul_round_ps(a, b, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

// a·c + b·s with the HF bf16 roundings (each product, then the sum) when `hf`.
inline __m512 RotateTerm(__m512 a, __m512 c, __m512 b, __m512 s, bool hf) {
  if (hf) return RoundBF16(_mm512_add_ps(RoundBF16(Mul(a, c)), RoundBF16(Mul(b, s))));
  return _mm512_add_ps(Mul(a, c), Mul(b, s));
}

template <typename T>
void RopeHalfSplit(const RopeArgs& args, T* head, const float* cos, const float* sin, bool hf) {
  const int half = args.rot_dim / 2;
  const __m512 neg = _mm512_set1_ps(-0.0f);
  for (int j = 0; j < half; j += 16) {
    const __mmask16 m = TailMask(static_cast<size_t>(half - j));
    __m512 c = LoadF32(cos + j, m);
    __m512 s = LoadF32(sin + j, m);
    if (hf) {
      c = RoundBF16(c);
      s = RoundBF16(s);
    }
    const __m512 a = LoadF32(head + j, m);
    const __m512 b = LoadF32(head + j + half, m);
    const __m512 neg_b = _mm512_xor_ps(b, neg);
    StoreF32(head + j, RotateTerm(a, c, neg_b, s, hf), m);
    StoreF32(head + j + half, RotateTerm(b, c, a, s, hf), m);
  }
}

template <typename T>
void RopeInterleaved(const RopeArgs& args, T* head, const float* cos, const float* sin, bool hf) {
  const int half = args.rot_dim / 2;
  const __m512i dup = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  for (int j = 0; j < half; j += 8) {
    const int pairs = half - j < 8 ? half - j : 8;
    const __mmask16 m = TailMask(static_cast<size_t>(2 * pairs));
    const __mmask8 pm = static_cast<__mmask8>((1u << pairs) - 1);
    __m512 c =
        _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(pm, cos + j)));
    __m512 s =
        _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(pm, sin + j)));
    if (hf) {
      c = RoundBF16(c);
      s = RoundBF16(s);
    }
    // Even lanes (a of each pair) take −sin with partner b; odd lanes take +sin with partner a.
    s = _mm512_mask_sub_ps(s, 0x5555, _mm512_setzero_ps(), s);
    const __m512 x = LoadF32(head + 2 * j, m);
    const __m512 partner = _mm512_permute_ps(x, 0xB1);
    StoreF32(head + 2 * j, RotateTerm(x, c, partner, s, hf), m);
  }
}

template <typename T>
void Rope(const RopeArgs& args, int64_t token_begin, int64_t token_end) {
  const int half = args.rot_dim / 2;
  const bool hf = sizeof(T) == 2 && args.bf16_hf_rounding;
  for (int64_t t = token_begin; t < token_end; ++t) {
    for (int h = 0; h < args.num_heads; ++h) {
      T* head =
          static_cast<T*>(args.x) + t * args.token_stride + h * args.head_stride + args.rot_offset;
      if (args.interleaved) {
        RopeInterleaved(args, head, args.cos + t * half, args.sin + t * half, hf);
      } else {
        RopeHalfSplit(args, head, args.cos + t * half, args.sin + t * half, hf);
      }
    }
  }
}

}  // namespace

void RopeAvx512(const RopeArgs& args, int64_t token_begin, int64_t token_end) {
  if (args.dtype == DType::kBF16) {
    Rope<uint16_t>(args, token_begin, token_end);
  } else {
    Rope<float>(args, token_begin, token_end);
  }
}

}  // namespace dsi::kernels::cpu
