// Scalar rotary embedding: one pair at a time, with the rounding steps spelled out.
#include "kernels/ref/rope_ref.h"

#include "core/dtype.h"

namespace dsi::kernels::ref {
namespace {

float RoundBF16(float v) { return BF16ToF32(F32ToBF16(v)); }

// Returns the rotated pair (a', b') for bf16 inputs under the chosen rounding model.
void RotateBF16(float a, float b, float c, float s, bool hf_rounding, float* a_out, float* b_out) {
  if (hf_rounding) {
    // HF: cos/sin cast to bf16; x·cos and rotate_half(x)·sin each rounded, then the sum.
    c = RoundBF16(c);
    s = RoundBF16(s);
    *a_out = RoundBF16(RoundBF16(a * c) + RoundBF16(-b * s));
    *b_out = RoundBF16(RoundBF16(b * c) + RoundBF16(a * s));
  } else {
    *a_out = RoundBF16(a * c - b * s);
    *b_out = RoundBF16(b * c + a * s);
  }
}

}  // namespace

void Rope(const RopeArgs& args, int64_t token_begin, int64_t token_end) {
  const int half = args.rot_dim / 2;
  for (int64_t t = token_begin; t < token_end; ++t) {
    const float* cos = args.cos + t * half;
    const float* sin = args.sin + t * half;
    for (int h = 0; h < args.num_heads; ++h) {
      const int64_t base = t * args.token_stride + h * args.head_stride + args.rot_offset;
      for (int j = 0; j < half; ++j) {
        const int64_t ia = base + (args.interleaved ? 2 * j : j);
        const int64_t ib = base + (args.interleaved ? 2 * j + 1 : j + half);
        if (args.dtype == DType::kBF16) {
          uint16_t* x = static_cast<uint16_t*>(args.x);
          float a, b;
          RotateBF16(BF16ToF32(x[ia]), BF16ToF32(x[ib]), cos[j], sin[j], args.bf16_hf_rounding, &a,
                     &b);
          x[ia] = F32ToBF16(a);
          x[ib] = F32ToBF16(b);
        } else {
          float* x = static_cast<float*>(args.x);
          const float a = x[ia];
          const float b = x[ib];
          // HF f32: x·cos + rotate_half(x)·sin, two products then one add.
          x[ia] = a * cos[j] + (-b) * sin[j];
          x[ib] = b * cos[j] + a * sin[j];
        }
      }
    }
  }
}

}  // namespace dsi::kernels::ref
