// Builds the kernel tables and picks one from the CPU features.
#include "kernels/kernel_table.h"

#include "kernels/cpu/convert_avx512.h"
#include "kernels/ref/convert_ref.h"
#include "platform/cpu_features.h"

namespace dsi::kernels {
namespace {

const KernelTable kRefTable = {
    "ref",
    ref::ConvertBF16ToF32,
    ref::ConvertF32ToBF16,
};

const KernelTable kAvx512Table = {
    "avx512",
    cpu::ConvertBF16ToF32Avx512,
    cpu::ConvertF32ToBF16Avx512,
};

}  // namespace

const KernelTable* KernelsFor(IsaLevel level) {
  switch (level) {
    case IsaLevel::kRef:
      return &kRefTable;
    case IsaLevel::kAvx512:
      return platform::GetCpuFeatures().HasAvx512Kernels() ? &kAvx512Table : nullptr;
  }
  return nullptr;
}

const KernelTable& Kernels() {
  static const KernelTable& table = [] () -> const KernelTable& {
    const KernelTable* best = KernelsFor(IsaLevel::kAvx512);
    return best ? *best : kRefTable;
  }();
  return table;
}

}  // namespace dsi::kernels
