// Exhaustive dtype conversion tests against reference formulas written from the format
// definitions (sign, exponent bias, mantissa) with ldexp in double precision.
#include "core/dtype.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

namespace dsi {
namespace {

// Decodes a binary floating-point bit pattern from its definition.
double ReferenceDecode(uint32_t bits, int exp_bits, int mant_bits, bool has_inf) {
  const uint32_t mant = bits & ((1u << mant_bits) - 1);
  const uint32_t exp = (bits >> mant_bits) & ((1u << exp_bits) - 1);
  const bool negative = (bits >> (mant_bits + exp_bits)) & 1u;
  const int bias = (1 << (exp_bits - 1)) - 1;
  const uint32_t max_exp = (1u << exp_bits) - 1;
  double mag;
  if (has_inf && exp == max_exp) {
    mag = mant == 0 ? std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::quiet_NaN();
  } else if (!has_inf && exp == max_exp && mant == (1u << mant_bits) - 1) {
    mag = std::numeric_limits<double>::quiet_NaN();  // e4m3fn: only S.1111.111 is NaN
  } else if (exp == 0) {
    mag = std::ldexp(static_cast<double>(mant), 1 - bias - mant_bits);
  } else {
    mag = std::ldexp(static_cast<double>(mant | (1u << mant_bits)),
                     static_cast<int>(exp) - bias - mant_bits);
  }
  return negative ? -mag : mag;
}

void ExpectSameValue(double expected, float actual, uint32_t bits) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << "pattern 0x" << std::hex << bits;
  } else {
    EXPECT_EQ(static_cast<float>(expected), actual) << "pattern 0x" << std::hex << bits;
    EXPECT_EQ(std::signbit(expected), std::signbit(actual)) << "pattern 0x" << std::hex << bits;
  }
}

TEST(DTypeTest, BF16DecodeAllPatterns) {
  for (uint32_t b = 0; b < 65536; ++b) {
    ExpectSameValue(ReferenceDecode(b, 8, 7, true), BF16ToF32(static_cast<uint16_t>(b)), b);
  }
}

TEST(DTypeTest, F16DecodeAllPatterns) {
  for (uint32_t b = 0; b < 65536; ++b) {
    ExpectSameValue(ReferenceDecode(b, 5, 10, true), F16ToF32(static_cast<uint16_t>(b)), b);
  }
}

TEST(DTypeTest, F8E4M3DecodeAllPatterns) {
  int nan_count = 0;
  for (uint32_t b = 0; b < 256; ++b) {
    const float v = F8E4M3ToF32(static_cast<uint8_t>(b));
    ExpectSameValue(ReferenceDecode(b, 4, 3, false), v, b);
    nan_count += std::isnan(v);
  }
  EXPECT_EQ(nan_count, 2);  // 0x7F and 0xFF
  EXPECT_EQ(F8E4M3ToF32(0x7e), 448.0f);
  EXPECT_EQ(F8E4M3ToF32(0x01), std::ldexp(1.0f, -9));
}

TEST(DTypeTest, F32ToBF16RoundsToNearestEvenOverAllMidpoints) {
  // Every bf16 value, and the f32 values just below, at, and just above the midpoint
  // between it and its successor: covers every rounding decision.
  for (uint32_t b = 0; b < 0x7f80; ++b) {
    const double lo = BF16ToF32(static_cast<uint16_t>(b));
    // Past the largest finite bf16 the next step is 2^128, which IEEE rounding treats as Inf.
    const double hi = b + 1 == 0x7f80 ? std::ldexp(1.0, 128) : BF16ToF32(static_cast<uint16_t>(b + 1));
    const uint32_t mid_bits = (static_cast<uint32_t>(b) << 16) | 0x8000u;
    for (uint32_t bits : {mid_bits - 1, mid_bits, mid_bits + 1, b << 16}) {
      const float x = F32FromBits(bits);
      const double dlo = std::fabs(static_cast<double>(x) - lo);
      const double dhi = std::fabs(hi - x);
      uint32_t expected = dlo < dhi ? b : dhi < dlo ? b + 1 : ((b & 1u) ? b + 1 : b);
      EXPECT_EQ(F32ToBF16(x), expected) << std::hex << bits;
      EXPECT_EQ(F32ToBF16(-x), expected | 0x8000u) << std::hex << bits;
    }
  }
  EXPECT_TRUE(std::isnan(BF16ToF32(F32ToBF16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lives only in the low half must not truncate to Inf.
  EXPECT_TRUE(std::isnan(BF16ToF32(F32ToBF16(F32FromBits(0x7f800001u)))));
  EXPECT_EQ(F32ToBF16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(F32ToBF16(F32FromBits(0x7f7fffffu)), 0x7f80);  // FLT_MAX rounds up to Inf
}

TEST(DTypeTest, F32ToF16RoundsToNearestEvenOverAllMidpoints) {
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const float lo = F16ToF32(static_cast<uint16_t>(h));
    const float hi = h + 1 == 0x7c00 ? 65536.0f : F16ToF32(static_cast<uint16_t>(h + 1));
    const float mid = static_cast<float>((static_cast<double>(lo) + hi) / 2);  // exact in f32
    for (float x : {lo, std::nextafter(mid, 0.0f), mid, std::nextafter(mid, 1e9f)}) {
      const double dlo = static_cast<double>(x) - lo;
      const double dhi = static_cast<double>(hi) - x;
      uint32_t expected = dlo < dhi ? h : dhi < dlo ? h + 1 : ((h & 1u) ? h + 1 : h);
      EXPECT_EQ(F32ToF16(x), expected) << "x=" << x;
      EXPECT_EQ(F32ToF16(-x), expected | 0x8000u) << "x=" << x;
      // The compiler's own conversion (F16C / soft-float) must agree.
      EXPECT_EQ(F32ToF16(x), std::bit_cast<uint16_t>(static_cast<_Float16>(x))) << "x=" << x;
    }
  }
  EXPECT_EQ(F32ToF16(1e10f), 0x7c00);
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(DTypeTest, F32ToF8E4M3RoundTripsAndRounds) {
  for (uint32_t b = 0; b < 256; ++b) {
    const float v = F8E4M3ToF32(static_cast<uint8_t>(b));
    if (std::isnan(v)) continue;
    if (b == 0x80) {
      EXPECT_EQ(F32ToF8E4M3Saturating(v), 0x80);  // -0 keeps its sign
      continue;
    }
    EXPECT_EQ(F32ToF8E4M3Saturating(v), b) << std::hex << b;
  }
  // Between 1.0 (0x38) and 1.125 (0x39): the midpoint ties to the even code 0x38.
  EXPECT_EQ(F32ToF8E4M3Saturating(1.0625f), 0x38);
  EXPECT_EQ(F32ToF8E4M3Saturating(1.07f), 0x39);
  EXPECT_EQ(F32ToF8E4M3Saturating(1000.0f), 0x7e);
  EXPECT_EQ(F32ToF8E4M3Saturating(-1000.0f), 0xfe);
}

TEST(DTypeTest, NamesRoundTrip) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType d = static_cast<DType>(i);
    ASSERT_EQ(ParseDType(DTypeName(d)), d);
  }
  EXPECT_FALSE(ParseDType("F4").has_value());
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kF8E4M3), 1u);
  EXPECT_EQ(DTypeSize(DType::kI64), 8u);
}

}  // namespace
}  // namespace dsi
