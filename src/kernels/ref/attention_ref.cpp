// Scalar attention: clear rather than fast; recomputes scores instead of buffering them so it
// needs no memory beyond a stack accumulator.
#include "kernels/ref/attention_ref.h"

#include <cmath>

#include "core/dtype.h"

namespace dsi::kernels::ref {
namespace {

double Load(DType dtype, const void* base, int64_t i) {
  return dtype == DType::kBF16 ? BF16ToF32(static_cast<const uint16_t*>(base)[i])
                               : static_cast<const float*>(base)[i];
}

double Dot(DType a_dtype, const void* a, int64_t a_off, DType b_dtype, const void* b, int64_t b_off,
           int dim) {
  double acc = 0.0;
  for (int i = 0; i < dim; ++i) acc += Load(a_dtype, a, a_off + i) * Load(b_dtype, b, b_off + i);
  return acc;
}

}  // namespace

void Attention(const AttentionArgs& a, int64_t task_begin, int64_t task_end) {
  const int group = a.num_heads / a.num_kv_heads;
  for (int64_t task = task_begin; task < task_end; ++task) {
    const int64_t t = task / a.num_heads;
    const int h = static_cast<int>(task % a.num_heads);
    const int g = h / group;
    const int seq = a.token_seq[t];
    const int64_t num_keys = static_cast<int64_t>(a.positions[t]) + 1;
    const int64_t q_off = t * a.q_token_stride + h * a.q_head_stride;
    const int64_t qr_off = t * a.q_rope_token_stride + h * a.q_rope_head_stride;

    auto score = [&](int64_t j) {
      double s = Dot(a.q_dtype, a.q, q_off, a.kv_dtype, a.k.base, PagedOffset(a, a.k, seq, j, g),
                     a.qk_dim);
      if (a.rope_dim > 0) {
        s += Dot(a.q_dtype, a.q_rope, qr_off, a.kv_dtype, a.k_rope.base,
                 PagedOffset(a, a.k_rope, seq, j, g), a.rope_dim);
      }
      return s * a.scale;
    };

    double max = -INFINITY;
    for (int64_t j = 0; j < num_keys; ++j) max = std::fmax(max, score(j));
    double sum = 0.0;
    for (int64_t j = 0; j < num_keys; ++j) sum += std::exp(score(j) - max);

    double acc[kAttentionMaxDim] = {};
    for (int64_t j = 0; j < num_keys; ++j) {
      const double p = std::exp(score(j) - max) / sum;
      const int64_t v_off = PagedOffset(a, a.v, seq, j, g);
      for (int i = 0; i < a.v_dim; ++i) acc[i] += p * Load(a.kv_dtype, a.v.base, v_off + i);
    }
    const int64_t o_off = t * a.out_token_stride + h * a.out_head_stride;
    for (int i = 0; i < a.v_dim; ++i) {
      if (a.out_dtype == DType::kBF16) {
        static_cast<uint16_t*>(a.out)[o_off + i] = F32ToBF16(static_cast<float>(acc[i]));
      } else {
        static_cast<float*>(a.out)[o_off + i] = static_cast<float>(acc[i]);
      }
    }
  }
}

}  // namespace dsi::kernels::ref
