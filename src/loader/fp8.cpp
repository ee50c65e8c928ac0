// FP8 (e4m3) block dequantization: a 256-entry decode table and one f32 multiply per element.
#include "loader/fp8.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace dsi::loader {
namespace {

const std::array<float, 256>& F8E4M3Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = F8E4M3ToF32(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Status DequantizeFp8Blocks(const Tensor& weight_f8, const Tensor& scale_inv, int block_rows,
                           int block_cols, Tensor out, std::string_view name) {
  const std::string label = "fp8 dequantization of " +
                            (name.empty() ? std::string("a weight") : std::string(name)) + ": ";
  auto fail = [&](const std::string& what) { return InvalidArgument(label + what); };
  if (block_rows <= 0 || block_cols <= 0) {
    return fail("block size [" + std::to_string(block_rows) + ", " + std::to_string(block_cols) +
                "] must be positive");
  }
  if (weight_f8.dtype() != DType::kF8E4M3 || weight_f8.rank() != 2) {
    return fail("weight must be a rank-2 F8_E4M3 tensor, got " +
                std::string(DTypeName(weight_f8.dtype())) + " " + weight_f8.shape().ToString());
  }
  const int64_t rows = weight_f8.dim(0);
  const int64_t cols = weight_f8.dim(1);
  const Shape want_scale{CeilDiv(rows, block_rows), CeilDiv(cols, block_cols)};
  if (scale_inv.dtype() != DType::kF32 || scale_inv.shape() != want_scale) {
    return fail("weight_scale_inv must be F32 " + want_scale.ToString() + " for weight " +
                weight_f8.shape().ToString() + " in blocks of [" + std::to_string(block_rows) +
                ", " + std::to_string(block_cols) + "], got " +
                std::string(DTypeName(scale_inv.dtype())) + " " + scale_inv.shape().ToString());
  }
  if ((out.dtype() != DType::kF32 && out.dtype() != DType::kBF16) ||
      out.shape() != weight_f8.shape()) {
    return fail("output must be F32 or BF16 " + weight_f8.shape().ToString() + ", got " +
                std::string(DTypeName(out.dtype())) + " " + out.shape().ToString());
  }
  if (rows == 0 || cols == 0) return Status::Ok();
  if (weight_f8.stride(1) != 1 || scale_inv.stride(1) != 1 || out.stride(1) != 1) {
    return fail("each row of the weight, scale and output must be contiguous");
  }
  if (weight_f8.data() == nullptr || scale_inv.data() == nullptr || out.data() == nullptr) {
    return fail("null data pointer");
  }

  const std::array<float, 256>& decode = F8E4M3Table();
  const auto* w = weight_f8.data_as<const uint8_t>();
  const auto* s = scale_inv.data_as<const float>();
  const bool to_bf16 = out.dtype() == DType::kBF16;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* w_row = w + r * weight_f8.stride(0);               // [cols] f8
    const float* s_row = s + (r / block_rows) * scale_inv.stride(0);  // [cols / block] f32
    for (int64_t c0 = 0; c0 < cols; c0 += block_cols) {
      const float scale = s_row[c0 / block_cols];
      const int64_t c1 = std::min(cols, c0 + block_cols);
      if (to_bf16) {
        uint16_t* o = out.data_as<uint16_t>() + r * out.stride(0);
        for (int64_t c = c0; c < c1; ++c) o[c] = F32ToBF16(decode[w_row[c]] * scale);
      } else {
        float* o = out.data_as<float>() + r * out.stride(0);
        for (int64_t c = c0; c < c1; ++c) o[c] = decode[w_row[c]] * scale;
      }
    }
  }
  return Status::Ok();
}

}  // namespace dsi::loader
