// The kernel table: one function pointer per kernel, filled once at start-up from the
// CPU features (ref/ scalar versions, or cpu/*_avx512.cpp / *_amx.cpp where supported).
// Kernels take pointers and sizes only; shape checks live in ops/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "kernels/attention_args.h"
#include "kernels/rope_args.h"

namespace dsi::kernels {

struct KernelTable {
  std::string isa;  // "ref", "avx512", "amx": what was chosen, for logs and `dsinfer info`
  // dst[i] = bf16 src[i] widened to f32.
  void (*convert_bf16_to_f32)(const uint16_t* src, float* dst, size_t n);
  // dst[i] = src[i] rounded to bf16, nearest even.
  void (*convert_f32_to_bf16)(const float* src, uint16_t* dst, size_t n);

  // RMSNorm over `rows` contiguous rows of n, HF order (ref/norm_ref.h).
  void (*rms_norm_f32)(const float* x, const float* w, float* y, size_t rows, size_t n, float eps);
  void (*rms_norm_bf16)(const uint16_t* x, const uint16_t* w, uint16_t* y, size_t rows, size_t n,
                        float eps);
  // residual += x, then y = RMSNorm(residual).
  void (*add_rms_norm_f32)(const float* x, float* residual, const float* w, float* y, size_t rows,
                           size_t n, float eps);
  void (*add_rms_norm_bf16)(const uint16_t* x, uint16_t* residual, const uint16_t* w, uint16_t* y,
                            size_t rows, size_t n, float eps);

  // Rotary embedding in place over a token range (rope_args.h).
  void (*rope)(const RopeArgs& args, int64_t token_begin, int64_t token_end);

  // out = silu(gate) ⊙ up; out = a + b; y = softmax(x) (ref/elementwise_ref.h).
  void (*silu_mul_f32)(const float* gate, const float* up, float* out, size_t n);
  void (*silu_mul_bf16)(const uint16_t* gate, const uint16_t* up, uint16_t* out, size_t n);
  void (*add_f32)(const float* a, const float* b, float* out, size_t n);
  void (*add_bf16)(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n);
  void (*softmax_f32)(const float* x, float* y, size_t n);

  // Rows [n_begin, n_end) of y[m, n] = x[m, k] · w[n, k]ᵀ (+ bias) for small m (decode), bf16
  // x and w, f32 accumulation (ref/gemv_ref.h). The ref entry is the oracle: ops::Gemm uses
  // this kernel only from a vector table and otherwise leaves every GEMM to oneDNN.
  void (*gemv_bf16)(const uint16_t* x, size_t m, const uint16_t* w, DType bias_dtype,
                    const void* bias, DType y_dtype, void* y, size_t n, size_t k, size_t n_begin,
                    size_t n_end);

  // Attention for tasks [begin, end), task = token * num_heads + head (attention_args.h).
  void (*attention)(const AttentionArgs& args, int64_t task_begin, int64_t task_end);
};

enum class IsaLevel { kRef, kAvx512 };

// The table for the best ISA this CPU supports (computed once).
const KernelTable& Kernels();
// A specific level, for tests that compare each variant against the reference; returns
// nullptr when the CPU cannot run it.
const KernelTable* KernelsFor(IsaLevel level);

}  // namespace dsi::kernels
