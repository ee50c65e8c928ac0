// Builds the kernel tables and picks one from the CPU features.
#include "kernels/kernel_table.h"

#include "kernels/cpu/attention_avx512.h"
#include "kernels/cpu/convert_avx512.h"
#include "kernels/cpu/elementwise_avx512.h"
#include "kernels/cpu/gemv_avx512.h"
#include "kernels/cpu/norm_avx512.h"
#include "kernels/cpu/rope_avx512.h"
#include "kernels/ref/attention_ref.h"
#include "kernels/ref/convert_ref.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/gemv_ref.h"
#include "kernels/ref/norm_ref.h"
#include "kernels/ref/rope_ref.h"
#include "platform/cpu_features.h"

namespace dsi::kernels {
namespace {

const KernelTable kRefTable = {
    .isa = "ref",
    .convert_bf16_to_f32 = ref::ConvertBF16ToF32,
    .convert_f32_to_bf16 = ref::ConvertF32ToBF16,
    .rms_norm_f32 = ref::RmsNormF32,
    .rms_norm_bf16 = ref::RmsNormBF16,
    .add_rms_norm_f32 = ref::AddRmsNormF32,
    .add_rms_norm_bf16 = ref::AddRmsNormBF16,
    .rope = ref::Rope,
    .silu_mul_f32 = ref::SiluMulF32,
    .silu_mul_bf16 = ref::SiluMulBF16,
    .add_f32 = ref::AddF32,
    .add_bf16 = ref::AddBF16,
    .softmax_f32 = ref::SoftmaxF32,
    .gemv_bf16 = ref::GemvBF16,
    .attention = ref::Attention,
};

const KernelTable kAvx512Table = {
    .isa = "avx512",
    .convert_bf16_to_f32 = cpu::ConvertBF16ToF32Avx512,
    .convert_f32_to_bf16 = cpu::ConvertF32ToBF16Avx512,
    .rms_norm_f32 = cpu::RmsNormF32Avx512,
    .rms_norm_bf16 = cpu::RmsNormBF16Avx512,
    .add_rms_norm_f32 = cpu::AddRmsNormF32Avx512,
    .add_rms_norm_bf16 = cpu::AddRmsNormBF16Avx512,
    .rope = cpu::RopeAvx512,
    .silu_mul_f32 = cpu::SiluMulF32Avx512,
    .silu_mul_bf16 = cpu::SiluMulBF16Avx512,
    .add_f32 = cpu::AddF32Avx512,
    .add_bf16 = cpu::AddBF16Avx512,
    .softmax_f32 = cpu::SoftmaxF32Avx512,
    .gemv_bf16 = cpu::GemvBF16Avx512,
    .attention = cpu::AttentionAvx512,
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
  static const KernelTable& table = []() -> const KernelTable& {
    const KernelTable* best = KernelsFor(IsaLevel::kAvx512);
    return best ? *best : kRefTable;
  }();
  return table;
}

}  // namespace dsi::kernels
