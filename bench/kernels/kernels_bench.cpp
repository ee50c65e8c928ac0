// Hand-written kernels per kernel-table variant (ref vs avx512) at model shapes: RMSNorm,
// SiLU-and-mul, rotary, and decode attention (GQA of R1-Distill-Qwen-1.5B, MLA absorbed of
// V2-Lite) over a 1024-token bf16 cache. Single thread; bytes/s counts the data each call reads.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "core/dtype.h"
#include "kernels/kernel_table.h"

namespace dsi {
namespace {

const kernels::KernelTable* Table(const benchmark::State& state) {
  return kernels::KernelsFor(state.range(0) ? kernels::IsaLevel::kAvx512 : kernels::IsaLevel::kRef);
}

std::vector<uint16_t> RandomBF16(size_t n) {
  std::vector<uint16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = F32ToBF16(std::sin(0.37f * i));
  return v;
}

// Args: isa (0 ref / 1 avx512), tokens.
void BM_RmsNormBF16(benchmark::State& state) {
  const auto* t = Table(state);
  if (!t) return state.SkipWithError("CPU lacks this ISA");
  const size_t rows = state.range(1), n = 2048;
  const auto x = RandomBF16(rows * n), w = RandomBF16(n);
  std::vector<uint16_t> y(rows * n);
  for (auto _ : state) t->rms_norm_bf16(x.data(), w.data(), y.data(), rows, n, 1e-6f);
  state.SetBytesProcessed(state.iterations() * rows * n * 2 * 2);
  state.SetLabel(t->isa);
}
BENCHMARK(BM_RmsNormBF16)->ArgsProduct({{0, 1}, {1, 128}});

void BM_SiluMulBF16(benchmark::State& state) {
  const auto* t = Table(state);
  if (!t) return state.SkipWithError("CPU lacks this ISA");
  const size_t n = state.range(1) * 8960;  // R1-Distill-Qwen-1.5B intermediate_size
  const auto g = RandomBF16(n), u = RandomBF16(n);
  std::vector<uint16_t> o(n);
  for (auto _ : state) t->silu_mul_bf16(g.data(), u.data(), o.data(), n);
  state.SetBytesProcessed(state.iterations() * n * 2 * 3);
  state.SetLabel(t->isa);
}
BENCHMARK(BM_SiluMulBF16)->ArgsProduct({{0, 1}, {1, 128}});

void BM_RopeInterleavedBF16(benchmark::State& state) {
  const auto* t = Table(state);
  if (!t) return state.SkipWithError("CPU lacks this ISA");
  const int64_t tokens = state.range(1), heads = 16, dim = 192;
  auto x = RandomBF16(tokens * heads * dim);
  std::vector<float> cos(tokens * 32, 0.8f), sin(tokens * 32, 0.6f);
  kernels::RopeArgs a;
  a.dtype = DType::kBF16;
  a.x = x.data();
  a.token_stride = heads * dim;
  a.head_stride = dim;
  a.num_heads = heads;
  a.rot_offset = 128;
  a.rot_dim = 64;
  a.cos = cos.data();
  a.sin = sin.data();
  a.interleaved = true;
  for (auto _ : state) t->rope(a, 0, tokens);
  state.SetLabel(t->isa);
}
BENCHMARK(BM_RopeInterleavedBF16)->ArgsProduct({{0, 1}, {1, 128}});

// Args: isa, mla (0: GQA 12 heads / 2 kv heads / 128; 1: MLA absorbed 16 heads, 512 + 64).
void BM_AttentionDecode(benchmark::State& state) {
  const auto* t = Table(state);
  if (!t) return state.SkipWithError("CPU lacks this ISA");
  const bool mla = state.range(1) != 0;
  const int ctx = 1024, block = 16;
  const int heads = mla ? 16 : 12, kv_heads = mla ? 1 : 2, qk = mla ? 512 : 128;
  const int rope = mla ? 64 : 0, v = mla ? 512 : 128;
  const int64_t k_row = mla ? qk + rope : int64_t{kv_heads} * qk;
  const auto cache = RandomBF16(size_t(ctx) * k_row);
  const auto v_cache = RandomBF16(mla ? 0 : size_t(ctx) * kv_heads * v);
  const auto q = RandomBF16(size_t(heads) * (qk + rope));
  std::vector<uint16_t> out(size_t(heads) * v);
  std::vector<int32_t> table(ctx / block);
  for (int i = 0; i < ctx / block; ++i) table[i] = (i * 7) % (ctx / block);
  const int32_t position = ctx - 1, seq = 0;
  kernels::AttentionArgs a;
  a.q_dtype = a.kv_dtype = a.out_dtype = DType::kBF16;
  a.num_heads = heads;
  a.num_kv_heads = kv_heads;
  a.qk_dim = qk;
  a.rope_dim = rope;
  a.v_dim = v;
  a.scale = 0.1f;
  a.q = q.data();
  a.q_token_stride = int64_t{heads} * (qk + rope);
  a.q_head_stride = qk + rope;
  a.q_rope = q.data() + qk;
  a.q_rope_token_stride = a.q_token_stride;
  a.q_rope_head_stride = a.q_head_stride;
  a.k = {cache.data(), block * k_row, k_row, mla ? 0 : qk};
  a.k_rope = {cache.data() + qk, block * k_row, k_row, 0};
  a.v = mla ? a.k
            : kernels::PagedRows{v_cache.data(), block * int64_t{kv_heads} * v,
                                 int64_t{kv_heads} * v, v};
  a.out = out.data();
  a.out_token_stride = int64_t{heads} * v;
  a.out_head_stride = v;
  a.positions = &position;
  a.token_seq = &seq;
  a.block_tables = table.data();
  a.block_table_stride = ctx / block;
  a.block_size = block;
  for (auto _ : state) t->attention(a, 0, heads);
  state.SetBytesProcessed(state.iterations() * (cache.size() + v_cache.size()) * 2);
  state.SetLabel(std::string(t->isa) + (mla ? " mla-absorbed" : " gqa"));
}
BENCHMARK(BM_AttentionDecode)->ArgsProduct({{0, 1}, {0, 1}});

}  // namespace
}  // namespace dsi
