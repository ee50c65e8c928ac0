// Small-M bf16 GEMV: every variant against the double-precision reference over M = 1..6 (the
// kernel slices M by 4), odd N and K (pair tails, row tails), row ranges, bias and output
// dtypes; tolerance K·eps·max|x|·max|w|.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel_test_util.h"

namespace dsi::kernels {
namespace {

using testing::kEpsF32;
using testing::kUlpBF16;

TEST(GemvKernelTest, VariantsMatchReference) {
  struct Dims {
    size_t m, n, k;
  };
  const Dims kDims[] = {{1, 1, 1},     {1, 7, 31},  {2, 9, 33}, {3, 16, 64},
                        {4, 13, 2049}, {5, 6, 100}, {6, 33, 17}};
  for (const KernelTable* t : testing::Variants()) {
    for (const auto [m, n, k] : kDims) {
      const auto xf = testing::RandomFloats(m * k, 1 + k, 2.0f, true);
      const auto wf = testing::RandomFloats(n * k, 2 + n, 0.5f, true);
      const auto bf = testing::RandomFloats(n, 3 + n, 1.0f, true);
      const auto x = testing::ToBF16(xf), w = testing::ToBF16(wf), bias_b = testing::ToBF16(bf);
      const double tol = (k + 2) * kEpsF32 * testing::MaxAbs(xf) * testing::MaxAbs(wf) +
                         kEpsF32 * testing::MaxAbs(bf);
      for (DType bias_dtype : {DType::kF32, DType::kBF16}) {
        const void* bias = bias_dtype == DType::kF32 ? static_cast<const void*>(bf.data())
                                                     : static_cast<const void*>(bias_b.data());
        std::vector<float> y(m * n, NAN), want(m * n, NAN);
        // Two row ranges, as two threads would split N.
        t->gemv_bf16(x.data(), m, w.data(), bias_dtype, bias, DType::kF32, y.data(), n, k, 0,
                     n / 2);
        t->gemv_bf16(x.data(), m, w.data(), bias_dtype, bias, DType::kF32, y.data(), n, k, n / 2,
                     n);
        testing::Ref().gemv_bf16(x.data(), m, w.data(), bias_dtype, bias, DType::kF32, want.data(),
                                 n, k, 0, n);
        for (size_t i = 0; i < m * n; ++i) {
          ASSERT_NEAR(y[i], want[i], tol) << t->isa << " m=" << m << " n=" << n << " k=" << k;
        }
        std::vector<uint16_t> yb(m * n);
        t->gemv_bf16(x.data(), m, w.data(), bias_dtype, bias, DType::kBF16, yb.data(), n, k, 0, n);
        for (size_t i = 0; i < m * n; ++i) {
          ASSERT_NEAR(BF16ToF32(yb[i]), want[i], tol + std::fabs(want[i]) * kUlpBF16 / 2) << t->isa;
        }
      }
      // No bias.
      std::vector<float> y(m * n), want(m * n);
      t->gemv_bf16(x.data(), m, w.data(), DType::kF32, nullptr, DType::kF32, y.data(), n, k, 0, n);
      testing::Ref().gemv_bf16(x.data(), m, w.data(), DType::kF32, nullptr, DType::kF32,
                               want.data(), n, k, 0, n);
      for (size_t i = 0; i < m * n; ++i) ASSERT_NEAR(y[i], want[i], tol) << t->isa;
    }
  }
}

TEST(GemvKernelTest, ReferenceIsTheDotProduct) {
  const uint16_t x[3] = {F32ToBF16(1.0f), F32ToBF16(2.0f), F32ToBF16(-3.0f)};
  const uint16_t w[6] = {F32ToBF16(0.5f),  F32ToBF16(0.25f), F32ToBF16(1.0f),
                         F32ToBF16(-1.0f), F32ToBF16(4.0f),  F32ToBF16(0.0f)};
  const float bias[2] = {10.0f, 20.0f};
  float y[2];
  testing::Ref().gemv_bf16(x, 1, w, DType::kF32, bias, DType::kF32, y, 2, 3, 0, 2);
  EXPECT_EQ(y[0], 10.0f + 0.5f + 0.5f - 3.0f);
  EXPECT_EQ(y[1], 20.0f - 1.0f + 8.0f);
}

}  // namespace
}  // namespace dsi::kernels
