// Argument block of the rotary-embedding kernels: rotate a sub-range of every head of
// every token in place, with per-token cos/sin rows (ragged batches, arbitrary positions).
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace dsi::kernels {

// x[t, h, rot_offset + ...] for t in the token range and h < num_heads is rotated in place.
// Pair j (j < rot_dim/2) is (j, j + rot_dim/2) in the half-split ("NeoX": Llama, Qwen2) layout
// and (2j, 2j+1) in the interleaved layout (DeepSeek MLA q_pe / k_pe); it turns by angle θ_j:
//   a' = a·cos[t,j] − b·sin[t,j],   b' = b·cos[t,j] + a·sin[t,j]
struct RopeArgs {
  DType dtype = DType::kF32;  // f32 or bf16
  void* x = nullptr;
  int64_t token_stride = 0;  // elements
  int64_t head_stride = 0;
  int num_heads = 0;
  int rot_offset = 0;
  int rot_dim = 0;             // even
  const float* cos = nullptr;  // [num_tokens, rot_dim / 2] fp32, attention factor folded in
  const float* sin = nullptr;  // [num_tokens, rot_dim / 2]
  bool interleaved = false;
  // bf16 only. true: HF's bf16 path (cos/sin rounded to bf16, each product and the sum
  // rounded to bf16: Llama, Qwen2, HF V3). false: fp32 math, one rounding (HF V2 native).
  bool bf16_hf_rounding = true;
};

}  // namespace dsi::kernels
