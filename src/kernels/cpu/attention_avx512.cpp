// AVX-512 attention: one pass over the keys with an online softmax (running max and sum,
// rescaling the accumulators when the max grows). Up to kMaxHeads query heads that share a kv
// head are processed together so each key and value row is read once for all of them.
#include "kernels/cpu/attention_avx512.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/vec_avx512.h"

namespace dsi::kernels::cpu {
namespace {

constexpr int kMaxHeads = 8;
constexpr int kChunk = 32;    // keys scored before each softmax update
constexpr int kKeyBlock = 8;  // value rows held in registers while accumulating

// acc[j][h] += q[h, 0..dim) ⊙ k[j][0..dim) lane-wise, for HN heads whose f32 queries are
// q_stride apart and NK keys: each query vector is loaded once for all NK keys.
template <int HN, int NK, typename T>
inline void AccumulateDots(const float* q, int q_stride, const T* const* k, int dim,
                           __m512 (&acc)[NK][HN]) {
  for (int i = 0; i < dim; i += 16) {
    const __mmask16 m = TailMask(static_cast<size_t>(dim - i));
    __m512 kv[NK];
    for (int j = 0; j < NK; ++j) kv[j] = LoadF32(k[j] + i, m);
    for (int h = 0; h < HN; ++h) {
      const __m512 qv = _mm512_maskz_loadu_ps(m, q + h * q_stride + i);
      for (int j = 0; j < NK; ++j) acc[j][h] = _mm512_fmadd_ps(qv, kv[j], acc[j][h]);
    }
  }
}

// scores[h][j0 + j] for NK keys starting at chunk index j0 (absolute key jk).
template <int HN, int NK, typename T>
inline void ScoreKeys(const AttentionArgs& a, const float (&q)[HN][kAttentionMaxDim], int seq,
                      int64_t jk, int g, float (&scores)[HN][kChunk], int j0) {
  const T* k[NK];
  const T* kr[NK];
  for (int j = 0; j < NK; ++j) {
    k[j] = static_cast<const T*>(a.k.base) + PagedOffset(a, a.k, seq, jk + j, g);
    if (a.rope_dim > 0) {
      kr[j] = static_cast<const T*>(a.k_rope.base) + PagedOffset(a, a.k_rope, seq, jk + j, g);
    }
  }
  __m512 dots[NK][HN];
  for (int j = 0; j < NK; ++j) {
    for (int h = 0; h < HN; ++h) dots[j][h] = _mm512_setzero_ps();
  }
  AccumulateDots<HN, NK>(q[0], kAttentionMaxDim, k, a.qk_dim, dots);
  if (a.rope_dim > 0)
    AccumulateDots<HN, NK>(q[0] + a.qk_dim, kAttentionMaxDim, kr, a.rope_dim, dots);
  for (int j = 0; j < NK; ++j) {
    for (int h = 0; h < HN; ++h) scores[h][j0 + j] = _mm512_reduce_add_ps(dots[j][h]) * a.scale;
  }
}

inline void LoadRowF32(DType dtype, const void* base, int64_t offset, int dim, float* out) {
  for (int i = 0; i < dim; i += 16) {
    const __mmask16 m = TailMask(static_cast<size_t>(dim - i));
    const __m512 v = dtype == DType::kBF16
                         ? LoadF32(static_cast<const uint16_t*>(base) + offset + i, m)
                         : LoadF32(static_cast<const float*>(base) + offset + i, m);
    _mm512_mask_storeu_ps(out + i, m, v);
  }
}

// Heads h0 .. h0+HN-1 of query token t (all in kv head g).
template <int HN, typename T>
void AttendHeads(const AttentionArgs& a, int64_t t, int h0, int g) {
  alignas(64) float q[HN][kAttentionMaxDim];
  alignas(64) float acc[HN][kAttentionMaxDim];
  alignas(64) float scores[HN][kChunk];
  float max[HN], sum[HN];
  for (int h = 0; h < HN; ++h) {
    LoadRowF32(a.q_dtype, a.q, t * a.q_token_stride + (h0 + h) * a.q_head_stride, a.qk_dim, q[h]);
    if (a.rope_dim > 0) {
      LoadRowF32(a.q_dtype, a.q_rope, t * a.q_rope_token_stride + (h0 + h) * a.q_rope_head_stride,
                 a.rope_dim, q[h] + a.qk_dim);
    }
    std::fill(acc[h], acc[h] + a.v_dim, 0.0f);
    max[h] = -INFINITY;
    sum[h] = 0.0f;
  }
  const int seq = a.token_seq[t];
  const int64_t num_keys = static_cast<int64_t>(a.positions[t]) + 1;
  const T* v_base = static_cast<const T*>(a.v.base);

  for (int64_t j0 = 0; j0 < num_keys; j0 += kChunk) {
    const int n = static_cast<int>(std::min<int64_t>(kChunk, num_keys - j0));
    // Scores of this chunk, two keys at a time.
    int j = 0;
    for (; j + 2 <= n; j += 2) ScoreKeys<HN, 2, T>(a, q, seq, j0 + j, g, scores, j);
    if (j < n) ScoreKeys<HN, 1, T>(a, q, seq, j0 + j, g, scores, j);
    // Online softmax update: p = e^(s − max_new); old sums and accumulators scale by
    // e^(max_old − max_new).
    for (int h = 0; h < HN; ++h) {
      float chunk_max = max[h];
      for (int j = 0; j < n; ++j) chunk_max = std::fmax(chunk_max, scores[h][j]);
      const float alpha = std::exp(max[h] - chunk_max);  // e^−inf = 0 on the first chunk
      max[h] = chunk_max;
      __m512 vsum = _mm512_setzero_ps();
      for (int j = 0; j < n; j += 16) {
        const __mmask16 m = TailMask(static_cast<size_t>(n - j));
        const __m512 p =
            Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores[h] + j), _mm512_set1_ps(chunk_max)));
        vsum = _mm512_mask_add_ps(vsum, m, vsum, p);
        _mm512_mask_storeu_ps(scores[h] + j, m, p);
      }
      sum[h] = sum[h] * alpha + _mm512_reduce_add_ps(vsum);
      if (alpha != 1.0f) {
        const __m512 va = _mm512_set1_ps(alpha);
        for (int i = 0; i < a.v_dim; i += 16) {
          const __mmask16 m = TailMask(static_cast<size_t>(a.v_dim - i));
          _mm512_mask_storeu_ps(acc[h] + i, m,
                                _mm512_mul_ps(_mm512_maskz_loadu_ps(m, acc[h] + i), va));
        }
      }
    }
    // acc[h] += p[h][j] · v[j], 8 keys per pass over a 16-dim slab: the 8 value vectors stay in
    // registers for all heads, and each accumulator slab is loaded and stored once per 8 keys.
    // Per element the FMAs still run in key order, so results do not depend on the blocking.
    const T* v_rows[kChunk];
    for (int j = 0; j < n; ++j) v_rows[j] = v_base + PagedOffset(a, a.v, seq, j0 + j, g);
    for (int i = 0; i < a.v_dim; i += 16) {
      const __mmask16 m = TailMask(static_cast<size_t>(a.v_dim - i));
      for (int jb = 0; jb < n; jb += kKeyBlock) {
        const int jn = std::min(kKeyBlock, n - jb);
        __m512 vv[kKeyBlock];
        for (int j = 0; j < jn; ++j) vv[j] = LoadF32(v_rows[jb + j] + i, m);
        for (int h = 0; h < HN; ++h) {
          __m512 slab = _mm512_maskz_loadu_ps(m, acc[h] + i);
          if (jn == kKeyBlock) {
            for (int j = 0; j < kKeyBlock; ++j) {
              slab = _mm512_fmadd_ps(_mm512_set1_ps(scores[h][jb + j]), vv[j], slab);
            }
          } else {
            for (int j = 0; j < jn; ++j) {
              slab = _mm512_fmadd_ps(_mm512_set1_ps(scores[h][jb + j]), vv[j], slab);
            }
          }
          _mm512_mask_storeu_ps(acc[h] + i, m, slab);
        }
      }
    }
  }

  for (int h = 0; h < HN; ++h) {
    const __m512 inv = _mm512_set1_ps(1.0f / sum[h]);
    const int64_t o = t * a.out_token_stride + (h0 + h) * a.out_head_stride;
    for (int i = 0; i < a.v_dim; i += 16) {
      const __mmask16 m = TailMask(static_cast<size_t>(a.v_dim - i));
      const __m512 r = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, acc[h] + i), inv);
      if (a.out_dtype == DType::kBF16) {
        StoreF32(static_cast<uint16_t*>(a.out) + o + i, r, m);
      } else {
        StoreF32(static_cast<float*>(a.out) + o + i, r, m);
      }
    }
  }
}

template <typename T>
void AttendDispatch(const AttentionArgs& a, int64_t t, int h0, int hn, int g) {
  switch (hn) {
    case 1:
      return AttendHeads<1, T>(a, t, h0, g);
    case 2:
      return AttendHeads<2, T>(a, t, h0, g);
    case 3:
      return AttendHeads<3, T>(a, t, h0, g);
    case 4:
      return AttendHeads<4, T>(a, t, h0, g);
    case 5:
      return AttendHeads<5, T>(a, t, h0, g);
    case 6:
      return AttendHeads<6, T>(a, t, h0, g);
    case 7:
      return AttendHeads<7, T>(a, t, h0, g);
    default:
      return AttendHeads<8, T>(a, t, h0, g);
  }
}

}  // namespace

void AttentionAvx512(const AttentionArgs& a, int64_t task_begin, int64_t task_end) {
  const int group = a.num_heads / a.num_kv_heads;
  int64_t task = task_begin;
  while (task < task_end) {
    const int64_t t = task / a.num_heads;
    const int h0 = static_cast<int>(task % a.num_heads);
    const int g = h0 / group;
    // Heads of one token that share kv head g, at most kMaxHeads, within the task range.
    const int64_t hn =
        std::min<int64_t>({kMaxHeads, int64_t{(g + 1) * group - h0}, task_end - task});
    if (a.kv_dtype == DType::kBF16) {
      AttendDispatch<uint16_t>(a, t, h0, static_cast<int>(hn), g);
    } else {
      AttendDispatch<float>(a, t, h0, static_cast<int>(hn), g);
    }
    task += hn;
  }
}

}  // namespace dsi::kernels::cpu
