// Rotary kernels: the reference against a direct rotation in double and against HF V3's
// permute-then-rotate_half formulation; every variant against the reference (the same
// arithmetic in the same order, so bit-exact) over odd head sizes and offsets.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel_test_util.h"

namespace dsi::kernels {
namespace {

struct Case {
  int tokens, heads, head_dim, rot_offset, rot_dim;
};
// rot_dim/2 covers 1, 3, 8, 16, 17, 32 pairs: vector tails in both layouts.
const Case kCases[] = {{1, 1, 2, 0, 2},    {2, 3, 9, 1, 6},      {3, 2, 16, 0, 16},
                       {1, 4, 40, 4, 32},  {5, 2, 192, 128, 64}, {2, 1, 34, 0, 34},
                       {4, 3, 100, 30, 64}};

struct Data {
  std::vector<float> x, cos, sin;
};

Data MakeData(const Case& c, uint32_t seed) {
  Data d;
  d.x = testing::RandomFloats(size_t(c.tokens) * c.heads * c.head_dim, seed, 1.0f, true);
  const auto angles = testing::RandomFloats(size_t(c.tokens) * c.rot_dim / 2, seed + 1, 3.0f);
  for (float a : angles) {
    d.cos.push_back(0.9f * std::cos(a));  // amplitude != 1, as YaRN's attention factor
    d.sin.push_back(0.9f * std::sin(a));
  }
  return d;
}

RopeArgs Args(const Case& c, DType dtype, void* x, const Data& d, bool interleaved, bool hf) {
  RopeArgs a;
  a.dtype = dtype;
  a.x = x;
  a.token_stride = int64_t{c.heads} * c.head_dim;
  a.head_stride = c.head_dim;
  a.num_heads = c.heads;
  a.rot_offset = c.rot_offset;
  a.rot_dim = c.rot_dim;
  a.cos = d.cos.data();
  a.sin = d.sin.data();
  a.interleaved = interleaved;
  a.bf16_hf_rounding = hf;
  return a;
}

TEST(RopeRefTest, RotatesTheRightPairsAndNothingElse) {
  for (const Case& c : kCases) {
    for (bool interleaved : {false, true}) {
      const Data d = MakeData(c, 11);
      std::vector<float> x = d.x;
      testing::Ref().rope(Args(c, DType::kF32, x.data(), d, interleaved, true), 0, c.tokens);
      const int half = c.rot_dim / 2;
      for (int t = 0; t < c.tokens; ++t) {
        for (int h = 0; h < c.heads; ++h) {
          const size_t base = (size_t(t) * c.heads + h) * c.head_dim;
          std::vector<bool> rotated(c.head_dim, false);
          for (int j = 0; j < half; ++j) {
            const int ia = c.rot_offset + (interleaved ? 2 * j : j);
            const int ib = c.rot_offset + (interleaved ? 2 * j + 1 : j + half);
            const double cs = d.cos[t * half + j], sn = d.sin[t * half + j];
            const double a = d.x[base + ia], b = d.x[base + ib];
            EXPECT_NEAR(x[base + ia], a * cs - b * sn, 4e-7 * (std::fabs(a) + std::fabs(b)));
            EXPECT_NEAR(x[base + ib], b * cs + a * sn, 4e-7 * (std::fabs(a) + std::fabs(b)));
            rotated[ia] = rotated[ib] = true;
          }
          for (int i = 0; i < c.head_dim; ++i) {
            if (!rotated[i]) {
              ASSERT_EQ(x[base + i], d.x[base + i]) << "dim " << i << " touched";
            }
          }
        }
      }
    }
  }
}

TEST(RopeRefTest, InterleavedEqualsHfV3PermuteThenRotateHalf) {
  // HF V3 (rope_interleave): permute [x0, x1, ..., x63] -> [x0, x2, ..., x62, x1, x3, ..., x63],
  // then rotate_half. Our in-place pair rotation, permuted the same way, must be identical.
  const Case c{3, 2, 64, 0, 64};
  const Data d = MakeData(c, 5);
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    std::vector<float> pair_rot = d.x, permuted(d.x.size());
    for (size_t row = 0; row < d.x.size() / 64; ++row) {
      for (int j = 0; j < 32; ++j) {
        permuted[row * 64 + j] = d.x[row * 64 + 2 * j];
        permuted[row * 64 + 32 + j] = d.x[row * 64 + 2 * j + 1];
      }
    }
    auto run = [&](std::vector<float>& v, bool interleaved) {
      if (dtype == DType::kF32) {
        testing::Ref().rope(Args(c, dtype, v.data(), d, interleaved, true), 0, c.tokens);
      } else {
        auto b = testing::ToBF16(v);
        testing::Ref().rope(Args(c, dtype, b.data(), d, interleaved, true), 0, c.tokens);
        v = testing::ToF32(b);
      }
    };
    run(pair_rot, /*interleaved=*/true);
    run(permuted, /*interleaved=*/false);
    for (size_t row = 0; row < d.x.size() / 64; ++row) {
      for (int j = 0; j < 32; ++j) {
        ASSERT_EQ(pair_rot[row * 64 + 2 * j], permuted[row * 64 + j]);
        ASSERT_EQ(pair_rot[row * 64 + 2 * j + 1], permuted[row * 64 + 32 + j]);
      }
    }
  }
}

TEST(RopeRefTest, BF16HfRoundingRoundsCosSinAndEachProduct) {
  const Case c{1, 1, 2, 0, 2};
  Data d;
  d.x = {BF16ToF32(F32ToBF16(1.7f)), BF16ToF32(F32ToBF16(-0.3f))};
  d.cos = {0.8123456f};
  d.sin = {0.5831234f};
  auto x = testing::ToBF16(d.x);
  testing::Ref().rope(Args(c, DType::kBF16, x.data(), d, false, true), 0, 1);
  auto r = [](float v) { return BF16ToF32(F32ToBF16(v)); };
  const float cs = r(d.cos[0]), sn = r(d.sin[0]);
  EXPECT_EQ(BF16ToF32(x[0]), r(r(d.x[0] * cs) + r(-d.x[1] * sn)));
  EXPECT_EQ(BF16ToF32(x[1]), r(r(d.x[1] * cs) + r(d.x[0] * sn)));
  // fp32 math with one rounding (HF V2 native).
  x = testing::ToBF16(d.x);
  testing::Ref().rope(Args(c, DType::kBF16, x.data(), d, false, false), 0, 1);
  EXPECT_EQ(BF16ToF32(x[0]), r(d.x[0] * d.cos[0] - d.x[1] * d.sin[0]));
  EXPECT_EQ(BF16ToF32(x[1]), r(d.x[1] * d.cos[0] + d.x[0] * d.sin[0]));
}

TEST(RopeKernelTest, VariantsMatchReferenceBitExactly) {
  for (const KernelTable* t : testing::Variants()) {
    for (const Case& c : kCases) {
      for (bool interleaved : {false, true}) {
        const Data d = MakeData(c, 23 + c.head_dim);
        std::vector<float> xf = d.x, xf_ref = d.x;
        t->rope(Args(c, DType::kF32, xf.data(), d, interleaved, true), 0, c.tokens);
        testing::Ref().rope(Args(c, DType::kF32, xf_ref.data(), d, interleaved, true), 0, c.tokens);
        ASSERT_EQ(xf, xf_ref) << t->isa << " head_dim " << c.head_dim << " il " << interleaved;
        for (bool hf : {true, false}) {
          auto xb = testing::ToBF16(d.x), xb_ref = xb;
          t->rope(Args(c, DType::kBF16, xb.data(), d, interleaved, hf), 0, c.tokens);
          testing::Ref().rope(Args(c, DType::kBF16, xb_ref.data(), d, interleaved, hf), 0,
                              c.tokens);
          ASSERT_EQ(xb, xb_ref) << t->isa << " head_dim " << c.head_dim << " hf " << hf;
        }
      }
    }
  }
}

TEST(RopeKernelTest, TokenRangeTouchesOnlyItsTokens) {
  const Case c{4, 2, 16, 0, 16};
  const Data d = MakeData(c, 3);
  for (const KernelTable* t : testing::Variants()) {
    std::vector<float> x = d.x;
    t->rope(Args(c, DType::kF32, x.data(), d, false, true), 1, 3);
    const size_t row = size_t(c.heads) * c.head_dim;
    for (size_t i = 0; i < row; ++i) {
      ASSERT_EQ(x[i], d.x[i]);
      ASSERT_EQ(x[3 * row + i], d.x[3 * row + i]);
    }
    ASSERT_NE(x[row], d.x[row]);
  }
}

}  // namespace
}  // namespace dsi::kernels
