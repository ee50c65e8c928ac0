// SiLU-and-mul op: checks, then row ranges to the kernel table.
#include "ops/silu_mul.h"

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

constexpr std::string_view kOp = "silu_mul";
constexpr int64_t kCostPerElement = 8;  // exp + divide

// Rows [begin, end): gate row r at gate + r·gate_stride, up likewise, out rows of width n.
void RunRows(const Tensor& gate, const Tensor& up, int64_t in_stride, const Tensor& out, int64_t n,
             int64_t begin, int64_t end) {
  const kernels::KernelTable& k = kernels::Kernels();
  for (int64_t r = begin; r < end; ++r) {
    if (out.dtype() == DType::kF32) {
      k.silu_mul_f32(gate.data_as<float>() + r * in_stride, up.data_as<float>() + r * in_stride,
                     out.data_as<float>() + r * n, static_cast<size_t>(n));
    } else {
      k.silu_mul_bf16(gate.data_as<uint16_t>() + r * in_stride,
                      up.data_as<uint16_t>() + r * in_stride, out.data_as<uint16_t>() + r * n,
                      static_cast<size_t>(n));
    }
  }
}

}  // namespace

Status SiluMul(const Tensor& gate_up, const Tensor& out, ThreadPool* pool) {
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "gate_up", gate_up, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "gate_up", gate_up, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "out", out, 2));
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "gate_up", gate_up, "out", out));
  if (gate_up.dim(1) % 2 != 0) {
    return InvalidArgument("silu_mul: gate_up shape " + gate_up.shape().ToString() +
                           " has an odd last dimension (expected [T, 2 · intermediate])");
  }
  const int64_t n = gate_up.dim(1) / 2;
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "out", out, {gate_up.dim(0), n}));
  if (out.data() == gate_up.data() && out.NumElements() > 0) {
    return InvalidArgument("silu_mul: out must not alias gate_up");
  }
  // Up starts n elements into each gate_up row.
  const Tensor up(static_cast<char*>(gate_up.data()) + n * DTypeSize(gate_up.dtype()),
                  gate_up.dtype(), gate_up.shape());
  ParallelRange(pool, out.dim(0), n * kCostPerElement, [&](int64_t begin, int64_t end) {
    RunRows(gate_up, up, 2 * n, out, n, begin, end);
  });
  return Status::Ok();
}

Status SiluMul(const Tensor& gate, const Tensor& up, const Tensor& out, ThreadPool* pool) {
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "gate", gate, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "gate", gate, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "up", up, 2));
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "gate", gate, "up", up));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "up", up, gate.shape()));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "out", out, 2));
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "gate", gate, "out", out));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "out", out, gate.shape()));
  const int64_t n = gate.dim(1);
  ParallelRange(pool, out.dim(0), n * kCostPerElement,
                [&](int64_t begin, int64_t end) { RunRows(gate, up, n, out, n, begin, end); });
  return Status::Ok();
}

}  // namespace dsi::ops
