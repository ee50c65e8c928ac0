// GEMM y[M, N] = x[M, K] · w[N, K]ᵀ (+ bias[N]) on the HF weight layout [out, in], through
// oneDNN matmul (which picks AMX / AVX-512 at run time), with primitives cached by shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace dsi::ops {

struct GemmOptions {
  // OpenMP threads oneDNN uses for calls from the calling thread (Debian's oneDNN 2.6 is
  // built with the OpenMP runtime); 0 leaves OpenMP's default (OMP_NUM_THREADS or all CPUs).
  int num_threads = 0;
  // CPUs to pin OpenMP thread i to (thread 0 is the caller), set on the first Run. OpenMP
  // threads otherwise inherit the affinity of the thread that created them: a caller already
  // pinned to one CPU (ThreadPool pins its worker 0) would put the whole team on that CPU.
  // Empty: leave affinity alone (a warning is logged when the caller is pinned too narrowly).
  std::vector<int> cpus = {};
  // Distinct (M, N, K, dtypes) primitives kept; the least recently used is dropped past this.
  size_t max_cached_primitives = 256;
  // bf16 weights with M <= gemv_max_m go to the hand-written AVX512-BF16 GEMV of the kernel
  // table (decode; it streams weights faster than oneDNN 2.6 at M = 1, see bench/kernels)
  // when the CPU has it. 0 sends everything to oneDNN.
  int64_t gemv_max_m = 4;
};

// Owns oneDNN's engine, stream and a primitive cache (plus the small-M GEMV path). One instance per
// worker thread: Run is not thread-safe. Creating a primitive costs ~0.1–1 ms, so keep the instance
// for the process (M changes every step; each new M costs one creation, then hits the cache).
class Gemm {
 public:
  explicit Gemm(GemmOptions options = {});
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // x: [M, K], w: [N, K], bias: [N] or null, y: [M, N]; all contiguous.
  // Supported: f32·f32 → f32; bf16·bf16 → f32|bf16; f32·bf16 → f32|bf16 (x is rounded to bf16
  // into scratch first, see Reserve). bias f32 (or bf16 with bf16 weights).
  // bf16 x with f32 weights is Unsupported (convert the weights at load).
  Status Run(const Tensor& x, const Tensor& w, const Tensor* bias, const Tensor& y);

  // Sizes the activation-conversion scratch (f32 x with bf16 w) for up to max_m × max_k, so
  // that Run never allocates in the step loop. Without it, Run grows the scratch on demand.
  void Reserve(int64_t max_m, int64_t max_k);

  size_t num_cached_primitives() const;
  // Implementation of the most recent Run: oneDNN's name ("brg:avx512_core_amx_bf16") or
  // "dsi:gemv_bf16_avx512".
  const char* last_impl() const;

 private:
  void RunGemv(const uint16_t* x, int64_t m, const Tensor& w, const Tensor* bias, const Tensor& y);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The scalar reference (kernels/ref/gemm_ref.h) behind the same checks: the oracle for tests.
Status GemmReference(const Tensor& x, const Tensor& w, const Tensor* bias, const Tensor& y);

}  // namespace dsi::ops
