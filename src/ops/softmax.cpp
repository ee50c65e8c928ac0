// Softmax op: checks, then rows to the kernel table.
#include "ops/softmax.h"

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {

Status Softmax(const Tensor& x, const Tensor& y, ThreadPool* pool) {
  constexpr std::string_view kOp = "softmax";
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "x", x, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "x", x, {DType::kF32}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "y", y, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "y", y, {DType::kF32}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "y", y, x.shape()));
  if (x.dim(1) == 0)
    return x.dim(0) == 0 ? Status::Ok() : InvalidArgument("softmax: rows of length 0");
  const kernels::KernelTable& k = kernels::Kernels();
  const int64_t n = x.dim(1);
  ParallelRange(pool, x.dim(0), n * 8, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      k.softmax_f32(x.data_as<float>() + r * n, y.data_as<float>() + r * n, static_cast<size_t>(n));
    }
  });
  return Status::Ok();
}

}  // namespace dsi::ops
