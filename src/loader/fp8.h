// FP8 block-scaled weights as stored in DeepSeek-V3/R1 checkpoints: each F8_E4M3 weight has a
// sibling `<name>_scale_inv` [ceil(rows/128), ceil(cols/128)] F32, and
// W[r, c] = f8_e4m3(Wq[r, c]) * S[r / 128, c / 128] (deepseek-models.md §1.d.3).
#pragma once

#include <string_view>

#include "core/status.h"
#include "core/tensor.h"

namespace dsi::loader {

// weight_block_size of DeepSeek-V3's quantization_config.
inline constexpr int kFp8BlockSize = 128;

// Dequantizes weight_f8 [rows, cols] F8_E4M3 with scale_inv
// [ceil(rows / block_rows), ceil(cols / block_cols)] F32 into out [rows, cols] F32 or BF16.
// The product is formed in f32; a BF16 `out` gets it rounded to nearest even, as DeepSeek's
// fp8_cast_bf16.py does. Partial last blocks (dims not multiples of the block) use their
// scale. Rows may be strided (e.g. a SliceRows view); each row must be contiguous.
// `name` (the weight's tensor name) labels errors; shape/dtype mismatches give
// kInvalidArgument, nothing is written then.
Status DequantizeFp8Blocks(const Tensor& weight_f8, const Tensor& scale_inv, int block_rows,
                           int block_cols, Tensor out, std::string_view name = {});

}  // namespace dsi::loader
