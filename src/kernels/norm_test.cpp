// RMSNorm kernels: the reference against the HF formula written out in the test, then every
// variant against the reference over odd sizes, with tolerances from the summation error.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel_test_util.h"
#include "kernels/ref/norm_ref.h"

namespace dsi::kernels {
namespace {

using testing::kEpsF32;
using testing::kUlpBF16;

TEST(RmsNormRefTest, MatchesHfFormulaOnAKnownRow) {
  // x = [3, 4]: mean(x²) = 12.5.
  const float x[2] = {3.0f, 4.0f};
  const float w[2] = {2.0f, -0.5f};
  float y[2];
  const float eps = 1e-6f;
  ref::RmsNormF32(x, w, y, 1, 2, eps);
  const float r = 1.0f / std::sqrt(12.5f + eps);
  EXPECT_EQ(y[0], 2.0f * (3.0f * r));
  EXPECT_EQ(y[1], -0.5f * (4.0f * r));

  // bf16: the normalized value is rounded to bf16 before the weight multiplies it.
  const uint16_t xb[2] = {F32ToBF16(3.0f), F32ToBF16(4.0f)};
  const uint16_t wb[2] = {F32ToBF16(1.5f), F32ToBF16(3.0f)};
  uint16_t yb[2];
  ref::RmsNormBF16(xb, wb, yb, 1, 2, eps);
  for (int i = 0; i < 2; ++i) {
    const float normed = BF16ToF32(F32ToBF16(x[i] * r));
    EXPECT_EQ(yb[i], F32ToBF16(normed * BF16ToF32(wb[i]))) << i;
  }
}

TEST(RmsNormRefTest, BF16RoundsBeforeTheWeight) {
  // Over random rows, find elements where HF's order bf16(bf16(x·r)·w) and the fused order
  // bf16(x·r·w) disagree; the reference must follow HF's on every one of them.
  const size_t n = 8;
  int differing = 0;
  for (uint32_t seed = 0; seed < 200; ++seed) {
    const auto xf = testing::RandomFloats(n, seed, 1.0f, /*bf16_exact=*/true);
    const auto wf = testing::RandomFloats(n, seed + 1000, 1.0f, /*bf16_exact=*/true);
    const auto x = testing::ToBF16(xf), w = testing::ToBF16(wf);
    std::vector<uint16_t> y(n);
    ref::RmsNormBF16(x.data(), w.data(), y.data(), 1, n, 1e-6f);
    double sum = 0.0;
    for (float v : xf) sum += double{v} * v;
    const float r = 1.0f / std::sqrt(static_cast<float>(sum) / n + 1e-6f);
    for (size_t i = 0; i < n; ++i) {
      const uint16_t hf = F32ToBF16(BF16ToF32(F32ToBF16(xf[i] * r)) * wf[i]);
      const uint16_t fused = F32ToBF16(xf[i] * r * wf[i]);
      if (hf != fused) {
        ++differing;
        ASSERT_EQ(y[i], hf) << "seed " << seed << " i " << i;
      }
    }
  }
  EXPECT_GT(differing, 10);  // the orders do differ, so the check above had teeth
}

struct Shape2 {
  size_t rows, n;
};
const Shape2 kShapes[] = {{1, 1}, {1, 7}, {2, 16}, {3, 17}, {1, 100}, {5, 2053}};

TEST(RmsNormKernelTest, F32VariantsMatchReference) {
  for (const KernelTable* t : testing::Variants()) {
    for (const auto [rows, n] : kShapes) {
      const auto x = testing::RandomFloats(rows * n, 1 + n, 3.0f);
      const auto w = testing::RandomFloats(n, 2 + n);
      std::vector<float> y(rows * n), y_ref(rows * n);
      const float eps = 1e-6f;
      t->rms_norm_f32(x.data(), w.data(), y.data(), rows, n, eps);
      testing::Ref().rms_norm_f32(x.data(), w.data(), y_ref.data(), rows, n, eps);
      for (size_t r = 0; r < rows; ++r) {
        for (size_t i = 0; i < n; ++i) {
          // var from a different summation order: relative error ≤ n·eps, half of it in rsqrt,
          // plus the two products.
          const double tol = std::fabs(y_ref[r * n + i]) * (n + 4) * kEpsF32;
          ASSERT_NEAR(y[r * n + i], y_ref[r * n + i], tol) << t->isa << " n=" << n;
        }
      }
    }
  }
}

TEST(RmsNormKernelTest, BF16VariantsMatchReference) {
  for (const KernelTable* t : testing::Variants()) {
    for (const auto [rows, n] : kShapes) {
      const auto x = testing::ToBF16(testing::RandomFloats(rows * n, 3 + n, 2.0f));
      const auto w = testing::ToBF16(testing::RandomFloats(n, 4 + n));
      std::vector<uint16_t> y(rows * n), y_ref(rows * n);
      t->rms_norm_bf16(x.data(), w.data(), y.data(), rows, n, 1e-5f);
      testing::Ref().rms_norm_bf16(x.data(), w.data(), y_ref.data(), rows, n, 1e-5f);
      for (size_t i = 0; i < rows * n; ++i) {
        // A different var can flip the rounding of the normalized value and then of the
        // product: at most one bf16 ulp each.
        const double tol = std::fabs(BF16ToF32(y_ref[i])) * (2 * kUlpBF16 + n * kEpsF32);
        ASSERT_NEAR(BF16ToF32(y[i]), BF16ToF32(y_ref[i]), tol) << t->isa << " n=" << n;
      }
    }
  }
}

TEST(RmsNormKernelTest, VariantsAreBitExactWhenTheSumOfSquaresIsExact) {
  // x = k/16 with |k| <= 64: every partial sum of squares is a multiple of 1/256 below 2^15, so
  // it is exact in fp32 in any order; then every rounding step must agree bit for bit.
  for (const KernelTable* t : testing::Variants()) {
    for (const auto [rows, n] : kShapes) {
      std::mt19937 rng(static_cast<uint32_t>(n));
      std::vector<float> x(rows * n);
      for (float& v : x) v = static_cast<float>(static_cast<int>(rng() % 129) - 64) / 16.0f;
      const auto w = testing::RandomFloats(n, 9 + n, 1.0f, true);
      std::vector<float> y(rows * n), y_ref(rows * n);
      t->rms_norm_f32(x.data(), w.data(), y.data(), rows, n, 1e-6f);
      testing::Ref().rms_norm_f32(x.data(), w.data(), y_ref.data(), rows, n, 1e-6f);
      ASSERT_EQ(y, y_ref) << t->isa << " n=" << n;
      const auto xb = testing::ToBF16(x), wb = testing::ToBF16(w);
      std::vector<uint16_t> yb(rows * n), yb_ref(rows * n);
      t->rms_norm_bf16(xb.data(), wb.data(), yb.data(), rows, n, 1e-6f);
      testing::Ref().rms_norm_bf16(xb.data(), wb.data(), yb_ref.data(), rows, n, 1e-6f);
      ASSERT_EQ(yb, yb_ref) << t->isa << " n=" << n;
    }
  }
}

TEST(RmsNormKernelTest, FusedAddMatchesAddThenNorm) {
  for (const KernelTable* t : testing::Variants()) {
    for (const auto [rows, n] : kShapes) {
      const auto x = testing::RandomFloats(rows * n, 5 + n);
      const auto res0 = testing::RandomFloats(rows * n, 6 + n);
      const auto w = testing::RandomFloats(n, 7 + n);
      // f32
      std::vector<float> res = res0, y(rows * n), sum(rows * n), y_sep(rows * n);
      t->add_rms_norm_f32(x.data(), res.data(), w.data(), y.data(), rows, n, 1e-6f);
      t->add_f32(res0.data(), x.data(), sum.data(), rows * n);
      t->rms_norm_f32(sum.data(), w.data(), y_sep.data(), rows, n, 1e-6f);
      ASSERT_EQ(res, sum) << t->isa;
      ASSERT_EQ(y, y_sep) << t->isa;
      // bf16
      const auto xb = testing::ToBF16(x), wb = testing::ToBF16(w);
      auto resb = testing::ToBF16(res0);
      const auto res0b = resb;
      std::vector<uint16_t> yb(rows * n), sumb(rows * n), yb_sep(rows * n);
      t->add_rms_norm_bf16(xb.data(), resb.data(), wb.data(), yb.data(), rows, n, 1e-6f);
      t->add_bf16(res0b.data(), xb.data(), sumb.data(), rows * n);
      t->rms_norm_bf16(sumb.data(), wb.data(), yb_sep.data(), rows, n, 1e-6f);
      ASSERT_EQ(resb, sumb) << t->isa;
      ASSERT_EQ(yb, yb_sep) << t->isa;
    }
  }
}

}  // namespace
}  // namespace dsi::kernels
