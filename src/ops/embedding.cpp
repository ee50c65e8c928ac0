// Embedding gather: ids are validated first (a bad id is a bad request, never a crash), then
// rows are copied or converted in parallel.
#include "ops/embedding.h"

#include <cstring>
#include <string>

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {

Status EmbeddingLookup(const Tensor& table, const Tensor& ids, const Tensor& out,
                       int64_t vocab_begin, int64_t vocab_size, ThreadPool* pool) {
  constexpr std::string_view kOp = "embedding";
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "table", table, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "table", table, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "ids", ids, 1));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "ids", ids, {DType::kI32}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "out", out, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "out", out, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "out", out, {ids.dim(0), table.dim(1)}));
  const int64_t shard_vocab = table.dim(0);
  if (vocab_size < 0) vocab_size = vocab_begin + shard_vocab;
  if (vocab_begin < 0 || vocab_begin + shard_vocab > vocab_size) {
    return InvalidArgument("embedding: shard rows [" + std::to_string(vocab_begin) + ", " +
                           std::to_string(vocab_begin + shard_vocab) + ") outside vocab_size " +
                           std::to_string(vocab_size));
  }
  const int32_t* id = ids.data_as<int32_t>();
  for (int64_t t = 0; t < ids.dim(0); ++t) {
    if (id[t] < 0 || id[t] >= vocab_size) {
      return OutOfRange("embedding: token id " + std::to_string(id[t]) + " at position " +
                        std::to_string(t) + " outside vocabulary [0, " +
                        std::to_string(vocab_size) + ")");
    }
  }
  const kernels::KernelTable& k = kernels::Kernels();
  const int64_t hidden = table.dim(1);
  const size_t in_row = hidden * DTypeSize(table.dtype());
  const size_t out_row = hidden * DTypeSize(out.dtype());
  ParallelRange(pool, ids.dim(0), hidden, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      char* dst = static_cast<char*>(out.data()) + t * out_row;
      const int64_t row = id[t] - vocab_begin;
      if (row < 0 || row >= shard_vocab) {
        std::memset(dst, 0, out_row);  // +0.0 in both f32 and bf16
        continue;
      }
      const char* src = static_cast<const char*>(table.data()) + row * in_row;
      if (table.dtype() == out.dtype()) {
        std::memcpy(dst, src, out_row);
      } else if (table.dtype() == DType::kBF16) {
        k.convert_bf16_to_f32(reinterpret_cast<const uint16_t*>(src), reinterpret_cast<float*>(dst),
                              static_cast<size_t>(hidden));
      } else {
        k.convert_f32_to_bf16(reinterpret_cast<const float*>(src), reinterpret_cast<uint16_t*>(dst),
                              static_cast<size_t>(hidden));
      }
    }
  });
  return Status::Ok();
}

}  // namespace dsi::ops
