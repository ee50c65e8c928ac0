// RMSNorm in HF order (fp32 statistics, cast to the activation dtype, then × weight), with an
// optional fused residual add. deepseek-models.md §2.2.
#pragma once

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// y[t, :] = weight ⊙ cast(x[t, :] · rsqrt(mean(x[t, :]²) + eps)).
// x, y: [num_tokens, hidden] f32 or bf16 (same dtype); weight: [hidden], same dtype as x.
// y may alias x. pool may be null.
Status RmsNorm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y,
               ThreadPool* pool = nullptr);

// residual += x (rounded to the dtype), then y = RmsNorm(residual): the decoder's
// "h = r + sublayer(h); normed = norm(h)" in one pass. All of x, residual, y share dtype and
// shape [num_tokens, hidden]; y must not alias x or residual.
Status AddRmsNorm(const Tensor& x, const Tensor& residual, const Tensor& weight, float eps,
                  const Tensor& y, ThreadPool* pool = nullptr);

}  // namespace dsi::ops
