// The kernel table: one function pointer per kernel, filled once at start-up from the
// CPU features (ref/ scalar versions, or cpu/*_avx512.cpp / *_amx.cpp where supported).
// Kernels take pointers and sizes only; shape checks live in ops/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dsi::kernels {

struct KernelTable {
  std::string isa;  // "ref", "avx512", "amx": what was chosen, for logs and `dsinfer info`
  // dst[i] = bf16 src[i] widened to f32.
  void (*convert_bf16_to_f32)(const uint16_t* src, float* dst, size_t n);
  // dst[i] = src[i] rounded to bf16, nearest even.
  void (*convert_f32_to_bf16)(const float* src, uint16_t* dst, size_t n);
};

enum class IsaLevel { kRef, kAvx512 };

// The table for the best ISA this CPU supports (computed once).
const KernelTable& Kernels();
// A specific level, for tests that compare each variant against the reference; returns
// nullptr when the CPU cannot run it.
const KernelTable* KernelsFor(IsaLevel level);

}  // namespace dsi::kernels
