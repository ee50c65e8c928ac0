// Element types as stored in safetensors files and used in compute, with the scalar
// conversions every other layer relies on (bf16 round-to-nearest-even, exact f16 and
// f8_e4m3 decode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace dsi {

enum class DType : uint8_t {
  kF32,
  kBF16,
  kF16,
  kF64,
  kI8,
  kU8,
  kI16,
  kU16,
  kI32,
  kU32,
  kI64,
  kU64,
  kBool,
  kF8E4M3,  // PyTorch float8_e4m3fn: no infinities, 0x7F/0xFF are NaN, max 448
  kF8E5M2,
};

inline constexpr int kNumDTypes = 15;

size_t DTypeSize(DType dtype);
// The safetensors spelling: "F32", "BF16", "F8_E4M3", ...
std::string_view DTypeName(DType dtype);
std::optional<DType> ParseDType(std::string_view safetensors_name);
bool IsFloatingPoint(DType dtype);

inline uint32_t F32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float F32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// bf16 is the upper half of an f32.
inline float BF16ToF32(uint16_t h) { return F32FromBits(static_cast<uint32_t>(h) << 16); }
// Round to nearest even; NaN stays NaN (quiet bit forced so truncation cannot make it Inf).
inline uint16_t F32ToBF16(float f) {
  uint32_t u = F32Bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even, overflow to Inf, NaN preserved
float F8E4M3ToF32(uint8_t v);
// Round to nearest even; values beyond the largest finite (448) saturate to ±448, NaN → 0x7F.
uint8_t F32ToF8E4M3Saturating(float f);

// Bulk conversion of `count` elements of `src_dtype` to f32 (used by the loader and tests).
// Only floating-point and integer dtypes of up to 32 bits are accepted; returns false otherwise.
bool ConvertToF32(DType src_dtype, const void* src, float* dst, size_t count);

}  // namespace dsi
