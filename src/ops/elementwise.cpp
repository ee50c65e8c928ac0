// Add and Cast ops: checks, then flat element ranges to the kernel table.
#include "ops/elementwise.h"

#include <cstring>

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

// Elements per parallel chunk: ranges are split in these units to keep vectors aligned.
constexpr int64_t kBlock = 1024;

Status CheckFlat(std::string_view op, std::string_view name, const Tensor& t) {
  DSI_RETURN_IF_ERROR(CheckRank(op, name, t, t.rank()));  // contiguity and data
  return CheckDType(op, name, t, {DType::kF32, DType::kBF16});
}

// fn(offset, count) over [0, n) in kBlock units.
void ForBlocks(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  ParallelRange(pool, blocks, kBlock, [&](int64_t begin, int64_t end) {
    const int64_t offset = begin * kBlock;
    fn(offset, std::min(end * kBlock, n) - offset);
  });
}

}  // namespace

Status Add(const Tensor& a, const Tensor& b, const Tensor& out, ThreadPool* pool) {
  constexpr std::string_view kOp = "add";
  DSI_RETURN_IF_ERROR(CheckFlat(kOp, "a", a));
  DSI_RETURN_IF_ERROR(CheckFlat(kOp, "b", b));
  DSI_RETURN_IF_ERROR(CheckFlat(kOp, "out", out));
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "a", a, "b", b));
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "a", a, "out", out));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "b", b, a.shape()));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "out", out, a.shape()));
  const kernels::KernelTable& k = kernels::Kernels();
  ForBlocks(pool, a.NumElements(), [&](int64_t offset, int64_t count) {
    if (a.dtype() == DType::kF32) {
      k.add_f32(a.data_as<float>() + offset, b.data_as<float>() + offset,
                out.data_as<float>() + offset, static_cast<size_t>(count));
    } else {
      k.add_bf16(a.data_as<uint16_t>() + offset, b.data_as<uint16_t>() + offset,
                 out.data_as<uint16_t>() + offset, static_cast<size_t>(count));
    }
  });
  return Status::Ok();
}

Status Cast(const Tensor& src, const Tensor& dst, ThreadPool* pool) {
  constexpr std::string_view kOp = "cast";
  DSI_RETURN_IF_ERROR(CheckFlat(kOp, "src", src));
  DSI_RETURN_IF_ERROR(CheckFlat(kOp, "dst", dst));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "dst", dst, src.shape()));
  const kernels::KernelTable& k = kernels::Kernels();
  const size_t elem = DTypeSize(src.dtype());
  ForBlocks(pool, src.NumElements(), [&](int64_t offset, int64_t count) {
    const size_t n = static_cast<size_t>(count);
    if (src.dtype() == dst.dtype()) {
      std::memmove(static_cast<char*>(dst.data()) + offset * elem,
                   static_cast<const char*>(src.data()) + offset * elem, n * elem);
    } else if (src.dtype() == DType::kBF16) {
      k.convert_bf16_to_f32(src.data_as<uint16_t>() + offset, dst.data_as<float>() + offset, n);
    } else {
      k.convert_f32_to_bf16(src.data_as<float>() + offset, dst.data_as<uint16_t>() + offset, n);
    }
  });
  return Status::Ok();
}

}  // namespace dsi::ops
