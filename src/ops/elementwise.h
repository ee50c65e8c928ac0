// Elementwise add and dtype casts between f32 and bf16 (residual adds, activations handed
// between a bf16 model and fp32 ops such as the router).
#pragma once

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// out = a + b; all the same shape and dtype (f32 or bf16; bf16 rounds the fp32 sum once, as
// torch). out may alias a or b.
Status Add(const Tensor& a, const Tensor& b, const Tensor& out, ThreadPool* pool = nullptr);

// dst = src converted (f32 <-> bf16, round to nearest even; same dtype copies). Same shape.
Status Cast(const Tensor& src, const Tensor& dst, ThreadPool* pool = nullptr);

}  // namespace dsi::ops
