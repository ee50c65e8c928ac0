// Attention kernels over a paged cache with shuffled blocks: the reference against a dense
// attention computed here from the unpaged keys/values (checks paging, causality and the GQA
// head mapping), then every variant against the reference, for GQA, MLA full form and the MLA
// absorbed form, in f32/bf16 queries, caches and outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/kernel_test_util.h"

namespace dsi::kernels {
namespace {

using testing::kEpsF32;
using testing::kUlpBF16;

struct Config {
  const char* name;
  int num_heads, num_kv_heads, qk_dim, rope_dim, v_dim;
  bool absorbed;  // values are the latent keys; one cache row holds [latent | rope]
  int block_size;
  std::vector<int> kv_lens;  // per sequence
  std::vector<int> num_q;    // new query tokens per sequence (the last ones of each)
};

const Config kConfigs[] = {
    {"mha", 3, 3, 16, 0, 16, false, 4, {5}, {5}},
    {"gqa_prefill_and_decode", 6, 2, 19, 0, 13, false, 4, {1, 37, 9}, {1, 7, 1}},
    {"gqa_group_8_plus", 20, 2, 32, 0, 32, false, 16, {70, 3}, {2, 3}},
    {"mla_full_form", 4, 4, 24, 0, 16, false, 5, {33, 12}, {3, 12}},
    {"mla_absorbed", 10, 1, 40, 8, 40, true, 4, {45, 2}, {1, 2}},
    {"mla_absorbed_long", 16, 1, 64, 16, 64, true, 16, {150}, {2}},
};

struct Problem {
  Config c;
  DType q_dtype, kv_dtype, out_dtype;
  int num_tokens = 0;
  float scale = 0.0f;
  // Logical (unpaged) values, bf16-exact: [seq][token][kv_head][dim].
  std::vector<std::vector<float>> keys, rope_keys, values;
  std::vector<float> q, q_rope;  // [T, H, dim]
  std::vector<int32_t> positions, token_seq, block_tables, kv_lens;
  int max_blocks = 0, num_blocks = 0;
  int64_t k_row = 0, v_row = 0;  // elements per token in each cache
  std::vector<float> k_cache_f, v_cache_f;
  std::vector<uint16_t> k_cache_b, v_cache_b, q_b, q_rope_b;

  Problem(const Config& config, DType qd, DType kvd, DType od, uint32_t seed)
      : c(config), q_dtype(qd), kv_dtype(kvd), out_dtype(od) {
    const int nkv = c.num_kv_heads, num_seqs = static_cast<int>(c.kv_lens.size());
    scale = 1.0f / std::sqrt(static_cast<float>(c.qk_dim + c.rope_dim));
    for (int s = 0; s < num_seqs; ++s) {
      const int len = c.kv_lens[s];
      keys.push_back(testing::RandomFloats(size_t(len) * nkv * c.qk_dim, seed + s, 1.0f, true));
      rope_keys.push_back(
          testing::RandomFloats(size_t(len) * nkv * c.rope_dim, seed + 50 + s, 1.0f, true));
      values.push_back(c.absorbed ? keys.back()
                                  : testing::RandomFloats(size_t(len) * nkv * c.v_dim,
                                                          seed + 100 + s, 1.0f, true));
      max_blocks = std::max(max_blocks, (len + c.block_size - 1) / c.block_size + 1);
      kv_lens.push_back(len);
      for (int i = 0; i < c.num_q[s]; ++i) {
        positions.push_back(len - c.num_q[s] + i);
        token_seq.push_back(s);
      }
    }
    num_tokens = static_cast<int>(positions.size());
    q = testing::RandomFloats(size_t(num_tokens) * c.num_heads * c.qk_dim, seed + 7, 1.0f, true);
    q_rope =
        testing::RandomFloats(size_t(num_tokens) * c.num_heads * c.rope_dim, seed + 8, 1.0f, true);
    // Shuffled physical blocks, one spare per sequence that no valid token reaches.
    num_blocks = num_seqs * max_blocks;
    std::vector<int32_t> perm(num_blocks);
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937 rng(seed);
    std::shuffle(perm.begin(), perm.end(), rng);
    block_tables = perm;
    k_row = c.absorbed ? c.qk_dim + c.rope_dim : int64_t{nkv} * c.qk_dim;
    v_row = c.absorbed ? 0 : int64_t{nkv} * c.v_dim;
    k_cache_f.assign(size_t(num_blocks) * c.block_size * k_row, NAN);  // unreached rows: NaN
    v_cache_f.assign(size_t(num_blocks) * c.block_size * v_row, NAN);
    for (int s = 0; s < num_seqs; ++s) {
      for (int j = 0; j < c.kv_lens[s]; ++j) {
        const int64_t slot =
            int64_t{block_tables[s * max_blocks + j / c.block_size]} * c.block_size +
            j % c.block_size;
        for (int g = 0; g < nkv; ++g) {
          for (int d = 0; d < c.qk_dim; ++d) {
            k_cache_f[slot * k_row + g * c.qk_dim + d] =
                keys[s][(size_t(j) * nkv + g) * c.qk_dim + d];
          }
          for (int d = 0; d < c.v_dim && !c.absorbed; ++d) {
            v_cache_f[slot * v_row + g * c.v_dim + d] =
                values[s][(size_t(j) * nkv + g) * c.v_dim + d];
          }
        }
        for (int d = 0; d < c.rope_dim; ++d) {
          k_cache_f[slot * k_row + c.qk_dim + d] = rope_keys[s][size_t(j) * c.rope_dim + d];
        }
      }
    }
    k_cache_b = testing::ToBF16(k_cache_f);
    v_cache_b = testing::ToBF16(v_cache_f);
    q_b = testing::ToBF16(q);
    q_rope_b = testing::ToBF16(q_rope);
  }

  AttentionArgs Args(void* out) const {
    AttentionArgs a;
    a.q_dtype = q_dtype;
    a.kv_dtype = kv_dtype;
    a.out_dtype = out_dtype;
    a.num_heads = c.num_heads;
    a.num_kv_heads = c.num_kv_heads;
    a.qk_dim = c.qk_dim;
    a.rope_dim = c.rope_dim;
    a.v_dim = c.v_dim;
    a.scale = scale;
    const bool qb = q_dtype == DType::kBF16, kb = kv_dtype == DType::kBF16;
    a.q = qb ? static_cast<const void*>(q_b.data()) : q.data();
    a.q_token_stride = int64_t{c.num_heads} * c.qk_dim;
    a.q_head_stride = c.qk_dim;
    a.q_rope = qb ? static_cast<const void*>(q_rope_b.data()) : q_rope.data();
    a.q_rope_token_stride = int64_t{c.num_heads} * c.rope_dim;
    a.q_rope_head_stride = c.rope_dim;
    const void* kbase = kb ? static_cast<const void*>(k_cache_b.data()) : k_cache_f.data();
    const void* vbase = kb ? static_cast<const void*>(v_cache_b.data()) : v_cache_f.data();
    a.k = {kbase, c.block_size * k_row, k_row, c.absorbed ? 0 : c.qk_dim};
    if (c.absorbed) {
      // Rope keys sit after the latent in the same row; the pointer is offset in elements.
      const size_t off = static_cast<size_t>(c.qk_dim) * DTypeSize(kv_dtype);
      a.k_rope = {static_cast<const char*>(kbase) + off, c.block_size * k_row, k_row, 0};
      a.v = a.k;
    } else {
      a.v = {vbase, c.block_size * v_row, v_row, c.v_dim};
    }
    a.out = out;
    a.out_token_stride = int64_t{c.num_heads} * c.v_dim;
    a.out_head_stride = c.v_dim;
    a.positions = positions.data();
    a.token_seq = token_seq.data();
    a.block_tables = block_tables.data();
    a.block_table_stride = max_blocks;
    a.block_size = c.block_size;
    return a;
  }

  std::vector<float> Run(const KernelTable& t, int64_t split = -1) const {
    const size_t n = size_t(num_tokens) * c.num_heads * c.v_dim;
    const int64_t tasks = int64_t{num_tokens} * c.num_heads;
    std::vector<float> out_f(n, NAN);
    std::vector<uint16_t> out_b(n, F32ToBF16(NAN));
    void* out = out_dtype == DType::kBF16 ? static_cast<void*>(out_b.data()) : out_f.data();
    const AttentionArgs a = Args(out);
    if (split < 0) {
      t.attention(a, 0, tasks);
    } else {
      t.attention(a, 0, split);
      t.attention(a, split, tasks);
    }
    return out_dtype == DType::kBF16 ? testing::ToF32(out_b) : out_f;
  }

  // Dense attention from the logical arrays, in double.
  std::vector<double> Dense() const {
    std::vector<double> out(size_t(num_tokens) * c.num_heads * c.v_dim);
    const int group = c.num_heads / c.num_kv_heads, nkv = c.num_kv_heads;
    for (int t = 0; t < num_tokens; ++t) {
      const int s = token_seq[t];
      for (int h = 0; h < c.num_heads; ++h) {
        const int g = h / group;
        std::vector<double> sc(positions[t] + 1);
        for (int j = 0; j <= positions[t]; ++j) {
          double dot = 0.0;
          for (int d = 0; d < c.qk_dim; ++d) {
            dot += double{q[(size_t(t) * c.num_heads + h) * c.qk_dim + d]} *
                   keys[s][(size_t(j) * nkv + g) * c.qk_dim + d];
          }
          for (int d = 0; d < c.rope_dim; ++d) {
            dot += double{q_rope[(size_t(t) * c.num_heads + h) * c.rope_dim + d]} *
                   rope_keys[s][size_t(j) * c.rope_dim + d];
          }
          sc[j] = dot * scale;
        }
        const double mx = *std::max_element(sc.begin(), sc.end());
        double z = 0.0;
        for (double& v : sc) z += (v = std::exp(v - mx));
        for (int j = 0; j <= positions[t]; ++j) {
          for (int d = 0; d < c.v_dim; ++d) {
            out[(size_t(t) * c.num_heads + h) * c.v_dim + d] +=
                sc[j] / z * values[s][(size_t(j) * nkv + g) * c.v_dim + d];
          }
        }
      }
    }
    return out;
  }

  // Input-derived bound for |variant − ref|: score error δ from a (qk+rope)-term dot product
  // in fp32, softmax turns it into at most 2δ of probability mass, plus the fp32 sums over the
  // keys; bf16 output adds one rounding flip.
  double Tolerance(double ref_value) const {
    const double max_q = std::max(testing::MaxAbs(q), testing::MaxAbs(q_rope));
    double max_k = 0.0, max_v = 0.0;
    int max_len = 0;
    for (size_t s = 0; s < keys.size(); ++s) {
      max_k = std::max({max_k, testing::MaxAbs(keys[s]), testing::MaxAbs(rope_keys[s])});
      max_v = std::max(max_v, testing::MaxAbs(values[s]));
      max_len = std::max(max_len, c.kv_lens[s]);
    }
    const double delta = 2.0 * (c.qk_dim + c.rope_dim) * kEpsF32 * max_q * max_k * scale;
    double tol = max_v * (2.0 * delta + (max_len + 32) * kEpsF32);
    if (out_dtype == DType::kBF16) tol += std::fabs(ref_value) * kUlpBF16;
    return tol;
  }
};

TEST(AttentionRefTest, MatchesDenseAttention) {
  for (const Config& c : kConfigs) {
    const Problem p(c, DType::kF32, DType::kF32, DType::kF32, 3);
    const std::vector<float> got = p.Run(testing::Ref());
    const std::vector<double> want = p.Dense();
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 1e-6 * (1.0 + std::fabs(want[i]))) << c.name << " i=" << i;
    }
  }
}

TEST(AttentionKernelTest, VariantsMatchReference) {
  for (const KernelTable* t : testing::Variants()) {
    if (t == &testing::Ref()) continue;
    for (const Config& c : kConfigs) {
      for (DType qd : {DType::kF32, DType::kBF16}) {
        for (DType kvd : {DType::kF32, DType::kBF16}) {
          for (DType od : {DType::kF32, DType::kBF16}) {
            const Problem p(c, qd, kvd, od, 17);
            const std::vector<float> got = p.Run(*t);
            const std::vector<float> want = p.Run(testing::Ref());
            for (size_t i = 0; i < got.size(); ++i) {
              ASSERT_NEAR(got[i], want[i], p.Tolerance(want[i]))
                  << t->isa << " " << c.name << " q " << DTypeName(qd) << " kv " << DTypeName(kvd)
                  << " out " << DTypeName(od) << " i=" << i;
            }
          }
        }
      }
    }
  }
}

TEST(AttentionKernelTest, SplittingTasksDoesNotChangeResults) {
  // The op splits (token, head) tasks across threads at arbitrary points, including inside a
  // group of heads that share a kv head.
  for (const KernelTable* t : testing::Variants()) {
    for (const Config& c : kConfigs) {
      const Problem p(c, DType::kF32, DType::kBF16, DType::kF32, 29);
      const std::vector<float> whole = p.Run(*t);
      const int64_t tasks = int64_t{p.num_tokens} * c.num_heads;
      for (int64_t split : {int64_t{1}, tasks / 2 + 1, tasks - 1}) {
        if (split <= 0 || split >= tasks) continue;
        ASSERT_EQ(p.Run(*t, split), whole) << t->isa << " " << c.name << " split " << split;
      }
    }
  }
}

}  // namespace
}  // namespace dsi::kernels
