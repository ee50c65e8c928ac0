// RMSNorm op: checks, then rows split over the pool and handed to the kernel table.
#include "ops/rms_norm.h"

#include <cmath>

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

Status CheckArgs(std::string_view op, const Tensor& x, const Tensor& weight, float eps,
                 const Tensor& y) {
  DSI_RETURN_IF_ERROR(CheckRank(op, "x", x, 2));
  DSI_RETURN_IF_ERROR(CheckDType(op, "x", x, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(op, "weight", weight, 1));
  DSI_RETURN_IF_ERROR(CheckSameDType(op, "x", x, "weight", weight));
  DSI_RETURN_IF_ERROR(CheckShape(op, "weight", weight, {x.dim(1)}));
  DSI_RETURN_IF_ERROR(CheckRank(op, "y", y, 2));
  DSI_RETURN_IF_ERROR(CheckSameDType(op, "x", x, "y", y));
  DSI_RETURN_IF_ERROR(CheckShape(op, "y", y, x.shape()));
  if (x.dim(1) == 0) return InvalidArgument(std::string(op) + ": hidden size is 0");
  if (!(eps >= 0.0f) || !std::isfinite(eps)) {
    return InvalidArgument(std::string(op) + ": eps " + std::to_string(eps) +
                           " must be finite and >= 0");
  }
  return Status::Ok();
}

}  // namespace

Status RmsNorm(const Tensor& x, const Tensor& weight, float eps, const Tensor& y,
               ThreadPool* pool) {
  DSI_RETURN_IF_ERROR(CheckArgs("rms_norm", x, weight, eps, y));
  const kernels::KernelTable& k = kernels::Kernels();
  const size_t n = static_cast<size_t>(x.dim(1));
  ParallelRange(pool, x.dim(0), x.dim(1), [&](int64_t begin, int64_t end) {
    const size_t rows = static_cast<size_t>(end - begin);
    if (x.dtype() == DType::kF32) {
      k.rms_norm_f32(x.data_as<float>() + begin * n, weight.data_as<float>(),
                     y.data_as<float>() + begin * n, rows, n, eps);
    } else {
      k.rms_norm_bf16(x.data_as<uint16_t>() + begin * n, weight.data_as<uint16_t>(),
                      y.data_as<uint16_t>() + begin * n, rows, n, eps);
    }
  });
  return Status::Ok();
}

Status AddRmsNorm(const Tensor& x, const Tensor& residual, const Tensor& weight, float eps,
                  const Tensor& y, ThreadPool* pool) {
  constexpr std::string_view kOp = "add_rms_norm";
  DSI_RETURN_IF_ERROR(CheckArgs(kOp, x, weight, eps, y));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "residual", residual, 2));
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "x", x, "residual", residual));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "residual", residual, x.shape()));
  if (y.data() == x.data() || y.data() == residual.data()) {
    return InvalidArgument("add_rms_norm: y must not alias x or residual");
  }
  const kernels::KernelTable& k = kernels::Kernels();
  const size_t n = static_cast<size_t>(x.dim(1));
  ParallelRange(pool, x.dim(0), x.dim(1), [&](int64_t begin, int64_t end) {
    const size_t rows = static_cast<size_t>(end - begin);
    if (x.dtype() == DType::kF32) {
      k.add_rms_norm_f32(x.data_as<float>() + begin * n, residual.data_as<float>() + begin * n,
                         weight.data_as<float>(), y.data_as<float>() + begin * n, rows, n, eps);
    } else {
      k.add_rms_norm_bf16(x.data_as<uint16_t>() + begin * n,
                          residual.data_as<uint16_t>() + begin * n, weight.data_as<uint16_t>(),
                          y.data_as<uint16_t>() + begin * n, rows, n, eps);
    }
  });
  return Status::Ok();
}

}  // namespace dsi::ops
