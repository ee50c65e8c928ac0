// SiLU-and-mul, add and softmax kernels: the reference against direct formulas, then every
// variant against the reference over sizes around the vector width, with tolerances from the
// exp approximation and the summation length.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/kernel_test_util.h"

namespace dsi::kernels {
namespace {

using testing::kEpsF32;
using testing::kUlpBF16;

const size_t kSizes[] = {1, 7, 15, 16, 17, 33, 100, 1407};

TEST(SiluMulRefTest, MatchesFormula) {
  const float gate[4] = {0.0f, 1.0f, -3.0f, 20.0f};
  const float up[4] = {2.0f, 3.0f, 0.5f, -1.0f};
  float out[4];
  testing::Ref().silu_mul_f32(gate, up, out, 4);
  for (int i = 0; i < 4; ++i) {
    const double silu = gate[i] / (1.0 + std::exp(-double{gate[i]}));
    EXPECT_NEAR(out[i], silu * up[i], 1e-6 * std::fabs(silu * up[i]) + 1e-30) << i;
  }
  // bf16: silu rounded to bf16 first, then the product.
  const uint16_t g = F32ToBF16(1.3f), u = F32ToBF16(2.7f);
  uint16_t o;
  testing::Ref().silu_mul_bf16(&g, &u, &o, 1);
  const float gf = BF16ToF32(g);
  const float silu = BF16ToF32(F32ToBF16(static_cast<float>(gf / (1.0 + std::exp(-double{gf})))));
  EXPECT_EQ(o, F32ToBF16(silu * BF16ToF32(u)));
}

TEST(SiluMulKernelTest, VariantsMatchReference) {
  for (const KernelTable* t : testing::Variants()) {
    for (size_t n : kSizes) {
      auto gate = testing::RandomFloats(n, n, 4.0f, true);
      gate[0] = -90.0f;  // e^90 overflows: silu must still be −0, not NaN
      const auto up = testing::RandomFloats(n, n + 1, 1.0f, true);
      std::vector<float> out(n), ref(n);
      t->silu_mul_f32(gate.data(), up.data(), out.data(), n);
      testing::Ref().silu_mul_f32(gate.data(), up.data(), ref.data(), n);
      for (size_t i = 0; i < n; ++i) {
        // exp good to a few ulp; 1/(1+e) and the products add a few more.
        // (Absolute floor: far below zero e^z is an f32 subnormal with fewer bits.)
        ASSERT_NEAR(out[i], ref[i], std::fabs(ref[i]) * 16 * kEpsF32 + 1e-40) << t->isa << i;
      }
      const auto gb = testing::ToBF16(gate), ub = testing::ToBF16(up);
      std::vector<uint16_t> ob(n), rb(n);
      t->silu_mul_bf16(gb.data(), ub.data(), ob.data(), n);
      testing::Ref().silu_mul_bf16(gb.data(), ub.data(), rb.data(), n);
      size_t flips = 0;
      for (size_t i = 0; i < n; ++i) {
        // One flip of either bf16 rounding at most.
        const double tol = std::fabs(BF16ToF32(rb[i])) * 2 * kUlpBF16 + 1e-40;
        ASSERT_NEAR(BF16ToF32(ob[i]), BF16ToF32(rb[i]), tol) << t->isa << " i=" << i;
        flips += ob[i] != rb[i];
      }
      // A few-ulp fp32 error flips a bf16 rounding with probability ~2^-14 per element; a
      // missing rounding step would differ in a large fraction of them.
      EXPECT_LE(flips, n / 100) << t->isa << " n=" << n;
    }
  }
}

TEST(AddKernelTest, VariantsMatchReferenceExactly) {
  for (const KernelTable* t : testing::Variants()) {
    for (size_t n : kSizes) {
      const auto a = testing::RandomFloats(n, n + 2), b = testing::RandomFloats(n, n + 3);
      std::vector<float> out(n);
      t->add_f32(a.data(), b.data(), out.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] + b[i]);
      const auto ab = testing::ToBF16(a), bb = testing::ToBF16(b);
      std::vector<uint16_t> ob(n);
      t->add_bf16(ab.data(), bb.data(), ob.data(), n);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(ob[i], F32ToBF16(BF16ToF32(ab[i]) + BF16ToF32(bb[i]))) << t->isa;
      }
      // In place (out aliases a).
      std::vector<float> acc = a;
      t->add_f32(acc.data(), b.data(), acc.data(), n);
      ASSERT_EQ(acc, out);
    }
  }
}

TEST(SoftmaxKernelTest, ReferenceMatchesFormula) {
  const float x[3] = {1.0f, 2.0f, 3.0f};
  float y[3];
  testing::Ref().softmax_f32(x, y, 3);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(y[i], std::exp(double{x[i]}) / z, 1e-7);
}

TEST(SoftmaxKernelTest, VariantsMatchReference) {
  for (const KernelTable* t : testing::Variants()) {
    for (size_t n : kSizes) {
      auto x = testing::RandomFloats(n, n + 4, 5.0f);
      if (n > 2) x[1] = -std::numeric_limits<float>::infinity();  // masked entry
      std::vector<float> y(n), ref(n);
      t->softmax_f32(x.data(), y.data(), n);
      testing::Ref().softmax_f32(x.data(), ref.data(), n);
      for (size_t i = 0; i < n; ++i) {
        // Each term: exp error (few ulp); the normalizer: n-term fp32 sum.
        ASSERT_NEAR(y[i], ref[i], ref[i] * (n + 16) * kEpsF32 + 1e-38) << t->isa << " n=" << n;
      }
      // In place.
      t->softmax_f32(x.data(), x.data(), n);
      ASSERT_EQ(x, y);
    }
  }
}

}  // namespace
}  // namespace dsi::kernels
