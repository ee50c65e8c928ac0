// FP8 block dequantization against the formula of deepseek-models.md §1.d.3, with an
// e4m3 decoder written here from the format definition (not core's), on block-aligned and
// partial-block shapes, f32 and bf16 outputs, and the shape checks.
#include "loader/fp8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/dtype.h"

namespace dsi::loader {
namespace {

// float8_e4m3fn: 1 sign, 4 exponent bits (bias 7), 3 mantissa bits, no infinities,
// S.1111.111 is NaN.
float RefE4M3(uint8_t v) {
  const int sign = v >> 7;
  const int exp = (v >> 3) & 15;
  const int mant = v & 7;
  if (exp == 15 && mant == 7) return NAN;
  const double mag = exp == 0 ? std::ldexp(mant / 8.0, -6) : std::ldexp(1.0 + mant / 8.0, exp - 7);
  return static_cast<float>(sign ? -mag : mag);
}

struct Case {
  int64_t rows, cols;
  int block_rows, block_cols;
};

// Random non-NaN codes and random positive scales; checks f32 and bf16 outputs.
void CheckAgainstFormula(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t srows = (c.rows + c.block_rows - 1) / c.block_rows;
  const int64_t scols = (c.cols + c.block_cols - 1) / c.block_cols;
  std::vector<uint8_t> wq(c.rows * c.cols);
  for (uint8_t& v : wq) {
    do {
      v = static_cast<uint8_t>(rng());
    } while ((v & 0x7f) == 0x7f);
  }
  std::vector<float> scale(srows * scols);
  std::uniform_real_distribution<float> dist(1e-4f, 3.0f);
  for (float& s : scale) s = dist(rng);

  const Tensor w(wq.data(), DType::kF8E4M3, Shape{c.rows, c.cols});
  const Tensor s(scale.data(), DType::kF32, Shape{srows, scols});
  std::vector<float> out_f32(c.rows * c.cols, -1.0f);
  std::vector<uint16_t> out_bf16(c.rows * c.cols, 0xffff);
  ASSERT_TRUE(DequantizeFp8Blocks(w, s, c.block_rows, c.block_cols,
                                  Tensor(out_f32.data(), DType::kF32, Shape{c.rows, c.cols}))
                  .ok());
  ASSERT_TRUE(DequantizeFp8Blocks(w, s, c.block_rows, c.block_cols,
                                  Tensor(out_bf16.data(), DType::kBF16, Shape{c.rows, c.cols}))
                  .ok());
  int64_t mismatches = 0;
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t col = 0; col < c.cols; ++col) {
      // One f32 product of exact values: the result must match bit for bit.
      const float want =
          RefE4M3(wq[r * c.cols + col]) * scale[(r / c.block_rows) * scols + col / c.block_cols];
      const size_t i = static_cast<size_t>(r * c.cols + col);
      if (out_f32[i] != want || out_bf16[i] != F32ToBF16(want)) {
        if (++mismatches <= 5) {
          ADD_FAILURE() << "at [" << r << ", " << col << "]: f32 " << out_f32[i] << " bf16 "
                        << BF16ToF32(out_bf16[i]) << " want " << want;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0) << c.rows << "x" << c.cols;
}

TEST(Fp8Test, MatchesFormulaOnAlignedAndPartialBlocks) {
  CheckAgainstFormula({256, 384, 128, 128}, 1);
  CheckAgainstFormula({576, 300, 128, 128}, 2);  // kv_a_proj-like: partial last block row/col
  CheckAgainstFormula({1, 1, 128, 128}, 3);
  CheckAgainstFormula({129, 127, 128, 128}, 4);
  CheckAgainstFormula({7, 11, 3, 5}, 5);  // small non-square blocks
}

TEST(Fp8Test, DecodesEveryCode) {
  std::vector<uint8_t> codes(256);
  for (int i = 0; i < 256; ++i) codes[i] = static_cast<uint8_t>(i);
  float one = 1.0f;
  std::vector<float> out(256);
  ASSERT_TRUE(DequantizeFp8Blocks(Tensor(codes.data(), DType::kF8E4M3, Shape{1, 256}),
                                  Tensor(&one, DType::kF32, Shape{1, 1}), 1, 256,
                                  Tensor(out.data(), DType::kF32, Shape{1, 256}))
                  .ok());
  for (int i = 0; i < 256; ++i) {
    const float want = RefE4M3(static_cast<uint8_t>(i));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(out[i])) << i;
    } else {
      EXPECT_EQ(out[i], want) << i;
    }
  }
  // Anchors from the format definition.
  EXPECT_EQ(out[0x7e], 448.0f);
  EXPECT_EQ(out[0xfe], -448.0f);
  EXPECT_EQ(out[0x08], 1.0f / 64);   // smallest normal 2^-6
  EXPECT_EQ(out[0x01], 1.0f / 512);  // smallest subnormal 2^-9
  EXPECT_EQ(out[0x38], 1.0f);
  EXPECT_TRUE(std::signbit(out[0x80]) && out[0x80] == 0.0f);
}

TEST(Fp8Test, RejectsMismatchedShapesAndTypes) {
  std::vector<uint8_t> wq(576 * 300);
  std::vector<float> scale(5 * 3), out(576 * 300);
  const Tensor w(wq.data(), DType::kF8E4M3, Shape{576, 300});
  const Tensor s(scale.data(), DType::kF32, Shape{5, 3});
  const Tensor o(out.data(), DType::kF32, Shape{576, 300});
  const char* kName = "model.layers.0.self_attn.kv_a_proj_with_mqa.weight";
  auto expect = [&](const Status& st, std::vector<std::string> keywords) {
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << st.ToString();
    keywords.push_back(kName);
    for (const std::string& k : keywords) {
      EXPECT_NE(st.message().find(k), std::string::npos)
          << "no \"" << k << "\" in " << st.message();
    }
  };
  ASSERT_TRUE(DequantizeFp8Blocks(w, s, 128, 128, o, kName).ok());
  expect(DequantizeFp8Blocks(w, Tensor(scale.data(), DType::kF32, Shape{4, 3}), 128, 128, o, kName),
         {"weight_scale_inv", "[5, 3]", "[4, 3]", "[576, 300]"});
  expect(
      DequantizeFp8Blocks(w, Tensor(scale.data(), DType::kBF16, Shape{5, 3}), 128, 128, o, kName),
      {"weight_scale_inv", "BF16"});
  expect(DequantizeFp8Blocks(Tensor(wq.data(), DType::kU8, Shape{576, 300}), s, 128, 128, o, kName),
         {"F8_E4M3", "U8"});
  expect(DequantizeFp8Blocks(Tensor(wq.data(), DType::kF8E4M3, Shape{576 * 300}), s, 128, 128, o,
                             kName),
         {"rank-2"});
  expect(
      DequantizeFp8Blocks(w, s, 128, 128, Tensor(out.data(), DType::kF32, Shape{300, 576}), kName),
      {"output", "[300, 576]"});
  expect(
      DequantizeFp8Blocks(w, s, 128, 128, Tensor(out.data(), DType::kF16, Shape{576, 300}), kName),
      {"output", "F16"});
  expect(DequantizeFp8Blocks(w, s, 0, 128, o, kName), {"block size"});
}

TEST(Fp8Test, EmptyWeightIsANoOp) {
  const Tensor w(nullptr, DType::kF8E4M3, Shape{0, 300});
  const Tensor s(nullptr, DType::kF32, Shape{0, 3});
  EXPECT_TRUE(
      DequantizeFp8Blocks(w, s, 128, 128, Tensor(nullptr, DType::kF32, Shape{0, 300})).ok());
}

}  // namespace
}  // namespace dsi::loader
