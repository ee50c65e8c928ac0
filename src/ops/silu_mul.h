// SwiGLU activation: silu(gate) ⊙ up, from one fused [T, 2I] gate_up tensor or two [T, I]
// tensors (deepseek-models.md §2.7). bf16 rounds silu's output, then the product, as HF.
#pragma once

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// gate_up: [num_tokens, 2 · intermediate] (gate first, then up, as a merged gate/up GEMM
// writes them); out: [num_tokens, intermediate]; same dtype, f32 or bf16.
Status SiluMul(const Tensor& gate_up, const Tensor& out, ThreadPool* pool = nullptr);

// gate, up, out: [num_tokens, intermediate], same dtype, f32 or bf16. out may alias gate or up.
Status SiluMul(const Tensor& gate, const Tensor& up, const Tensor& out, ThreadPool* pool = nullptr);

}  // namespace dsi::ops
