// Scalar reference elementwise kernels: SiLU-and-mul (SwiGLU), add, row softmax.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::kernels::ref {

// out[i] = silu(gate[i]) · up[i], silu(z) = z / (1 + e^−z). bf16 follows HF: silu computed in
// fp32 and rounded to bf16, then the product rounded to bf16.
void SiluMulF32(const float* gate, const float* up, float* out, size_t n);
void SiluMulBF16(const uint16_t* gate, const uint16_t* up, uint16_t* out, size_t n);

// out[i] = a[i] + b[i] (bf16: fp32 sum rounded once). out may alias a or b.
void AddF32(const float* a, const float* b, float* out, size_t n);
void AddBF16(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n);

// y = softmax(x) over n elements in fp32 (max-subtracted). y may alias x.
void SoftmaxF32(const float* x, float* y, size_t n);

}  // namespace dsi::kernels::ref
