// DType names, sizes and scalar conversions.
#include "core/dtype.h"

#include <cmath>

namespace dsi {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
  bool floating;
};

constexpr DTypeInfo kDTypeInfos[kNumDTypes] = {
    {DType::kF32, "F32", 4, true},       {DType::kBF16, "BF16", 2, true},
    {DType::kF16, "F16", 2, true},       {DType::kF64, "F64", 8, true},
    {DType::kI8, "I8", 1, false},        {DType::kU8, "U8", 1, false},
    {DType::kI16, "I16", 2, false},      {DType::kU16, "U16", 2, false},
    {DType::kI32, "I32", 4, false},      {DType::kU32, "U32", 4, false},
    {DType::kI64, "I64", 8, false},      {DType::kU64, "U64", 8, false},
    {DType::kBool, "BOOL", 1, false},    {DType::kF8E4M3, "F8_E4M3", 1, true},
    {DType::kF8E5M2, "F8_E5M2", 1, true},
};

const DTypeInfo& Info(DType dtype) { return kDTypeInfos[static_cast<int>(dtype)]; }

}  // namespace

size_t DTypeSize(DType dtype) { return Info(dtype).size; }
std::string_view DTypeName(DType dtype) { return Info(dtype).name; }
bool IsFloatingPoint(DType dtype) { return Info(dtype).floating; }

std::optional<DType> ParseDType(std::string_view name) {
  for (const DTypeInfo& info : kDTypeInfos) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return F32FromBits(sign | 0x7f800000u | (mant << 13));  // Inf / NaN
  if (exp != 0) return F32FromBits(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return F32FromBits(sign);
  // Subnormal half: renormalize into a normal f32.
  int e = 113;
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    --e;
  }
  return F32FromBits(sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ffu) << 13));
}

uint16_t F32ToF16(float f) {
  const uint32_t u = F32Bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u | static_cast<uint16_t>((abs >> 13) & 0x1ffu);
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: Inf
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero): value / 2^-24 rounded to nearest even.
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return sign | static_cast<uint16_t>(q);
  }
  uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15
  r += 0xfffu + ((r >> 13) & 1u);
  return sign | static_cast<uint16_t>(r >> 13);
}

float F8E4M3ToF32(uint8_t v) {
  const uint32_t sign = static_cast<uint32_t>(v & 0x80u) << 24;
  const uint32_t exp = (v >> 3) & 0xfu;
  const uint32_t mant = v & 0x7u;
  if (exp == 0xf && mant == 0x7) return F32FromBits(sign | 0x7fc00000u);  // NaN
  if (exp != 0) return F32FromBits(sign | ((exp + 120) << 23) | (mant << 20));
  // Subnormal: mant/8 * 2^-6 is exact in f32.
  const float mag = static_cast<float>(mant) * 0.001953125f;  // 2^-9
  return F32FromBits(sign | F32Bits(mag));
}

uint8_t F32ToF8E4M3Saturating(float f) {
  if (std::isnan(f)) return 0x7f;
  const uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
  float a = std::fabs(f);
  if (a >= 448.0f) return sign | 0x7e;
  // Scan the 127 finite magnitudes for the nearest; ties go to the even code.
  // (Used offline by writers and tests, so clarity beats speed here.)
  uint8_t best = 0;
  float best_err = a;
  for (uint8_t code = 1; code <= 0x7e; ++code) {
    const float err = std::fabs(F8E4M3ToF32(code) - a);
    if (err < best_err || (err == best_err && (code & 1) == 0)) {
      best = code;
      best_err = err;
    }
  }
  return sign | best;
}

bool ConvertToF32(DType src_dtype, const void* src, float* dst, size_t count) {
  switch (src_dtype) {
    case DType::kF32:
      std::memcpy(dst, src, count * 4);
      return true;
    case DType::kBF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = BF16ToF32(s[i]);
      return true;
    }
    case DType::kF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = F16ToF32(s[i]);
      return true;
    }
    case DType::kF8E4M3: {
      const auto* s = static_cast<const uint8_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = F8E4M3ToF32(s[i]);
      return true;
    }
    case DType::kI8: {
      const auto* s = static_cast<const int8_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = s[i];
      return true;
    }
    case DType::kU8: {
      const auto* s = static_cast<const uint8_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = s[i];
      return true;
    }
    case DType::kI32: {
      const auto* s = static_cast<const int32_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(s[i]);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace dsi
