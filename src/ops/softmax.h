// Row softmax in fp32 (max-subtracted), the op the router and tests use; attention has its
// own fused online softmax.
#pragma once

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// y[r, :] = softmax(x[r, :]). x, y: [rows, n] f32; y may alias x. A row that is all −inf
// gives NaN, as torch does.
Status Softmax(const Tensor& x, const Tensor& y, ThreadPool* pool = nullptr);

}  // namespace dsi::ops
