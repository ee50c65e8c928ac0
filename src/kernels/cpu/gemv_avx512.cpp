// AVX512-BF16 GEMV for decode-sized M: weights streamed once, four rows at a time (four
// independent read streams), 32 bf16 pairs per vdpbf16ps; each of the M activation rows reuses
// the weight vectors from registers. Memory-bound by design: the point is to keep DRAM busy.
// Note vdpbf16ps treats bf16 subnormals as zero; weights and activations do not live there.
#include "kernels/cpu/gemv_avx512.h"

#include "kernels/cpu/vec_avx512.h"

namespace dsi::kernels::cpu {
namespace {

constexpr int kRows = 4;

inline __m512bh LoadPairs(const uint16_t* p, __mmask32 mask) {
  return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(mask, p));
}

inline __mmask32 PairMask(size_t remaining) {
  return remaining >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((uint64_t{1} << remaining) - 1);
}

void Store(DType bias_dtype, const void* bias, DType y_dtype, void* y, size_t index, size_t col,
           float value) {
  if (bias) {
    value += bias_dtype == DType::kBF16 ? BF16ToF32(static_cast<const uint16_t*>(bias)[col])
                                        : static_cast<const float*>(bias)[col];
  }
  if (y_dtype == DType::kBF16) {
    static_cast<uint16_t*>(y)[index] = F32ToBF16(value);
  } else {
    static_cast<float*>(y)[index] = value;
  }
}

// Rows [j, j + R) of w against M activation rows.
template <int M, int R>
void Block(const uint16_t* x, const uint16_t* w, size_t k, size_t j, float out[M][R]) {
  __m512 acc[M][R];
  for (int i = 0; i < M; ++i) {
    for (int r = 0; r < R; ++r) acc[i][r] = _mm512_setzero_ps();
  }
  const uint16_t* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = w + (j + r) * k;
  for (size_t p = 0; p < k; p += 32) {
    const __mmask32 mask = PairMask(k - p);
    __m512bh wv[R];
    for (int r = 0; r < R; ++r) wv[r] = LoadPairs(rows[r] + p, mask);
    for (int i = 0; i < M; ++i) {
      const __m512bh xv = LoadPairs(x + i * k + p, mask);
      for (int r = 0; r < R; ++r) acc[i][r] = _mm512_dpbf16_ps(acc[i][r], wv[r], xv);
    }
  }
  for (int i = 0; i < M; ++i) {
    for (int r = 0; r < R; ++r) out[i][r] = _mm512_reduce_add_ps(acc[i][r]);
  }
}

template <int M>
void Gemv(const uint16_t* x, const uint16_t* w, DType bias_dtype, const void* bias, DType y_dtype,
          void* y, size_t n, size_t k, size_t n_begin, size_t n_end) {
  size_t j = n_begin;
  for (; j + kRows <= n_end; j += kRows) {
    float out[M][kRows];
    Block<M, kRows>(x, w, k, j, out);
    for (int i = 0; i < M; ++i) {
      for (int r = 0; r < kRows; ++r)
        Store(bias_dtype, bias, y_dtype, y, i * n + j + r, j + r, out[i][r]);
    }
  }
  for (; j < n_end; ++j) {
    float out[M][1];
    Block<M, 1>(x, w, k, j, out);
    for (int i = 0; i < M; ++i) Store(bias_dtype, bias, y_dtype, y, i * n + j, j, out[i][0]);
  }
}

}  // namespace

void GemvBF16Avx512(const uint16_t* x, size_t m, const uint16_t* w, DType bias_dtype,
                    const void* bias, DType y_dtype, void* y, size_t n, size_t k, size_t n_begin,
                    size_t n_end) {
  // Larger M in slices of up to kGemvMaxM rows (the op only sends small M here).
  for (size_t i0 = 0; i0 < m; i0 += kGemvMaxM) {
    const uint16_t* xs = x + i0 * k;
    void* ys = static_cast<char*>(y) + i0 * n * DTypeSize(y_dtype);
    switch (m - i0 >= kGemvMaxM ? kGemvMaxM : m - i0) {
      case 1:
        Gemv<1>(xs, w, bias_dtype, bias, y_dtype, ys, n, k, n_begin, n_end);
        break;
      case 2:
        Gemv<2>(xs, w, bias_dtype, bias, y_dtype, ys, n, k, n_begin, n_end);
        break;
      case 3:
        Gemv<3>(xs, w, bias_dtype, bias, y_dtype, ys, n, k, n_begin, n_end);
        break;
      default:
        Gemv<4>(xs, w, bias_dtype, bias, y_dtype, ys, n, k, n_begin, n_end);
        break;
    }
  }
}

}  // namespace dsi::kernels::cpu
