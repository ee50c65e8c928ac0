// Every variant of the conversion kernels against the scalar reference, over sizes that
// are not multiples of the vector width and over values that include NaN, Inf and ties.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace dsi::kernels {
namespace {

std::vector<const KernelTable*> Variants() {
  std::vector<const KernelTable*> v;
  for (IsaLevel level : {IsaLevel::kRef, IsaLevel::kAvx512}) {
    if (const KernelTable* t = KernelsFor(level)) v.push_back(t);
  }
  return v;
}

TEST(ConvertKernelTest, BF16ToF32MatchesReference) {
  for (const KernelTable* t : Variants()) {
    for (size_t n : {0, 1, 15, 16, 17, 100, 65536}) {
      std::vector<uint16_t> src(n);
      for (size_t i = 0; i < n; ++i) src[i] = static_cast<uint16_t>(i * 40503u);
      std::vector<float> dst(n);
      t->convert_bf16_to_f32(src.data(), dst.data(), n);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(F32Bits(dst[i]), static_cast<uint32_t>(src[i]) << 16) << t->isa << " n=" << n;
      }
    }
  }
}

TEST(ConvertKernelTest, F32ToBF16MatchesReference) {
  std::mt19937 rng(7);
  for (const KernelTable* t : Variants()) {
    for (size_t n : {1, 15, 16, 33, 4099}) {
      std::vector<float> src(n);
      for (size_t i = 0; i < n; ++i) src[i] = F32FromBits(static_cast<uint32_t>(rng()));
      src[0] = 1.0f + std::ldexp(1.0f, -8);  // exact tie: rounds to even (1.0)
      if (n > 3) {
        src[1] = std::numeric_limits<float>::infinity();
        src[2] = -0.0f;
      }
      std::vector<uint16_t> dst(n);
      t->convert_f32_to_bf16(src.data(), dst.data(), n);
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(src[i])) {
          ASSERT_TRUE(std::isnan(BF16ToF32(dst[i]))) << t->isa;
        } else {
          ASSERT_EQ(dst[i], F32ToBF16(src[i])) << t->isa << " i=" << i << " x=" << src[i];
        }
      }
    }
  }
}

TEST(ConvertKernelTest, BestTableIsOneOfTheVariants) {
  const KernelTable& best = Kernels();
  EXPECT_TRUE(best.isa == "ref" || best.isa == "avx512");
}

}  // namespace
}  // namespace dsi::kernels
