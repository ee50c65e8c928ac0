// Shared argument checks for ops: every failure names the op, the tensor and what is wrong
// ("rms_norm: weight shape [2047] expected [2048]"), so a caller can act on it.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// t.dtype() is one of `allowed`.
Status CheckDType(std::string_view op, std::string_view name, const Tensor& t,
                  std::initializer_list<DType> allowed);
// t has the given rank, a non-null pointer (unless empty) and contiguous row-major strides.
Status CheckRank(std::string_view op, std::string_view name, const Tensor& t, int rank);
// t's shape equals `expected`.
Status CheckShape(std::string_view op, std::string_view name, const Tensor& t,
                  const Shape& expected);
// a and b have the same dtype.
Status CheckSameDType(std::string_view op, std::string_view a_name, const Tensor& a,
                      std::string_view b_name, const Tensor& b);

// Runs fn(begin, end) over [0, n) on `pool` (or inline when pool is null, has one thread, or
// n · cost_per_item is below the point where waking a thread pays off).
void ParallelRange(ThreadPool* pool, int64_t n, int64_t cost_per_item,
                   const std::function<void(int64_t, int64_t)>& fn);

}  // namespace dsi::ops
