// Attention ops: MLA absorbed form equals MLA full form (deepseek-models.md §2.6.2 identity)
// through the two ops; threaded runs equal inline runs; invalid batches are rejected before
// any cache read.
#include "ops/attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_test_util.h"

namespace dsi::ops {
namespace {

using testing::OwnedTensor;
using testing::RandomTensor;

struct Batch {
  OwnedTensor positions, token_seq, block_tables, kv_lens;
  AttentionBatch view;
  Batch(std::vector<int32_t> pos, std::vector<int32_t> seq, std::vector<int32_t> tables,
        int64_t max_blocks, std::vector<int32_t> lens, int32_t block_size)
      : positions(DType::kI32, {static_cast<int64_t>(pos.size())}),
        token_seq(DType::kI32, {static_cast<int64_t>(seq.size())}),
        block_tables(DType::kI32, {static_cast<int64_t>(lens.size()), max_blocks}),
        kv_lens(DType::kI32, {static_cast<int64_t>(lens.size())}) {
    std::copy(pos.begin(), pos.end(), positions.t.data_as<int32_t>());
    std::copy(seq.begin(), seq.end(), token_seq.t.data_as<int32_t>());
    std::copy(tables.begin(), tables.end(), block_tables.t.data_as<int32_t>());
    std::copy(lens.begin(), lens.end(), kv_lens.t.data_as<int32_t>());
    view = {positions.t, token_seq.t, block_tables.t, kv_lens.t, block_size};
  }
};

// Contiguous rows [num_blocks · block_size, heads, dim] as a paged view.
KvCacheView View(const OwnedTensor& cache, int64_t block_size, int64_t heads, int64_t dim,
                 int64_t row, int64_t offset = 0) {
  KvCacheView v;
  v.data = static_cast<const char*>(cache.t.data()) + offset * DTypeSize(cache.t.dtype());
  v.dtype = cache.t.dtype();
  v.num_blocks = cache.t.dim(0) / block_size;
  v.block_stride = block_size * row;
  v.token_stride = row;
  v.head_stride = dim;
  v.num_heads = heads;
  v.head_dim = dim;
  return v;
}

TEST(AttentionOpTest, MlaAbsorbedEqualsFullForm) {
  const int64_t H = 4, nope = 16, rope = 8, vd = 12, lora = 32, bs = 4, len = 11, T = 3;
  const OwnedTensor w_uk = RandomTensor(DType::kF32, {H, nope, lora}, 1, 0.2f);
  const OwnedTensor w_uv = RandomTensor(DType::kF32, {H, vd, lora}, 2, 0.2f);
  const OwnedTensor latent = RandomTensor(DType::kF32, {len, lora}, 3);
  const OwnedTensor k_pe = RandomTensor(DType::kF32, {len, rope}, 4);
  const OwnedTensor q_nope = RandomTensor(DType::kF32, {T, H, nope}, 5);
  const OwnedTensor q_pe = RandomTensor(DType::kF32, {T, H, rope}, 6);
  const int64_t blocks = 3;  // 12 slots, identity block table
  const Batch batch({8, 9, 10}, {0, 0, 0}, {2, 0, 1}, blocks, {len}, bs);
  auto slot = [&](int64_t j) {
    return batch.block_tables.t.data_as<int32_t>()[j / bs] * bs + j % bs;
  };

  // Full form: per-head keys [k_nope_h | k_pe] and values, materialized from the latent.
  OwnedTensor k_full(DType::kF32, {blocks * bs, H, nope + rope}),
      v_full(DType::kF32, {blocks * bs, H, vd});
  for (int64_t j = 0; j < len; ++j) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t d = 0; d < nope; ++d) {
        double acc = 0.0;
        for (int64_t c = 0; c < lora; ++c)
          acc += double{w_uk.Get((h * nope + d) * lora + c)} * latent.Get(j * lora + c);
        k_full.Set((slot(j) * H + h) * (nope + rope) + d, static_cast<float>(acc));
      }
      for (int64_t d = 0; d < rope; ++d)
        k_full.Set((slot(j) * H + h) * (nope + rope) + nope + d, k_pe.Get(j * rope + d));
      for (int64_t d = 0; d < vd; ++d) {
        double acc = 0.0;
        for (int64_t c = 0; c < lora; ++c)
          acc += double{w_uv.Get((h * vd + d) * lora + c)} * latent.Get(j * lora + c);
        v_full.Set((slot(j) * H + h) * vd + d, static_cast<float>(acc));
      }
    }
  }
  OwnedTensor q_full(DType::kF32, {T, H, nope + rope});
  for (int64_t i = 0; i < T * H; ++i) {
    for (int64_t d = 0; d < nope; ++d) q_full.Set(i * (nope + rope) + d, q_nope.Get(i * nope + d));
    for (int64_t d = 0; d < rope; ++d)
      q_full.Set(i * (nope + rope) + nope + d, q_pe.Get(i * rope + d));
  }
  const float scale = 1.0f / std::sqrt(float(nope + rope));
  OwnedTensor out_full(DType::kF32, {T, H, vd});
  ASSERT_TRUE(Attention(q_full.t, View(k_full, bs, H, nope + rope, H * (nope + rope)),
                        View(v_full, bs, H, vd, H * vd), batch.view, scale, out_full.t)
                  .ok());

  // Absorbed form: q_lat_h = W_UK_hᵀ q_nope_h over one cache row [latent | k_pe] per token.
  OwnedTensor q_lat(DType::kF32, {T, H, lora});
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t c = 0; c < lora; ++c) {
        double acc = 0.0;
        for (int64_t d = 0; d < nope; ++d)
          acc += double{w_uk.Get((h * nope + d) * lora + c)} * q_nope.Get((t * H + h) * nope + d);
        q_lat.Set((t * H + h) * lora + c, static_cast<float>(acc));
      }
    }
  }
  OwnedTensor cache(DType::kF32, {blocks * bs, lora + rope});
  for (int64_t j = 0; j < len; ++j) {
    for (int64_t c = 0; c < lora; ++c)
      cache.Set(slot(j) * (lora + rope) + c, latent.Get(j * lora + c));
    for (int64_t d = 0; d < rope; ++d)
      cache.Set(slot(j) * (lora + rope) + lora + d, k_pe.Get(j * rope + d));
  }
  OwnedTensor o_lat(DType::kF32, {T, H, lora});
  ASSERT_TRUE(MlaAbsorbedAttention(q_lat.t, q_pe.t, View(cache, bs, 1, lora, lora + rope),
                                   View(cache, bs, 1, rope, lora + rope, lora), batch.view, scale,
                                   o_lat.t)
                  .ok());
  // out_h = W_UV_h · o_lat_h; same result up to fp32 rounding of the two orders.
  const double tol = 64 * (lora + nope) * 1.2e-7 * testing::MaxAbs(out_full) + 1e-6;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t d = 0; d < vd; ++d) {
        double acc = 0.0;
        for (int64_t c = 0; c < lora; ++c)
          acc += double{w_uv.Get((h * vd + d) * lora + c)} * o_lat.Get((t * H + h) * lora + c);
        ASSERT_NEAR(acc, out_full.Get((t * H + h) * vd + d), tol) << t << " " << h << " " << d;
      }
    }
  }
}

TEST(AttentionOpTest, ThreadedEqualsInline) {
  const int64_t H = 8, KV = 2, D = 64, bs = 16, blocks = 26;
  const OwnedTensor k = RandomTensor(DType::kBF16, {blocks * bs, KV, D}, 1);
  const OwnedTensor v = RandomTensor(DType::kBF16, {blocks * bs, KV, D}, 2);
  const OwnedTensor q = RandomTensor(DType::kBF16, {5, H, D}, 3);
  std::vector<int32_t> tables(2 * 13);
  for (int i = 0; i < 26; ++i) tables[i] = 25 - i;
  // Sequence 0: a 200-token cache with one decode token; sequence 1: a 4-token prefill chunk.
  const Batch batch({199, 20, 21, 22, 23}, {0, 1, 1, 1, 1}, tables, 13, {200, 24}, bs);
  OwnedTensor a(DType::kBF16, {5, H, D}), b(DType::kBF16, {5, H, D});
  ThreadPool pool(2);
  ASSERT_TRUE(Attention(q.t, View(k, bs, KV, D, KV * D), View(v, bs, KV, D, KV * D), batch.view,
                        0.125f, a.t)
                  .ok());
  ASSERT_TRUE(Attention(q.t, View(k, bs, KV, D, KV * D), View(v, bs, KV, D, KV * D), batch.view,
                        0.125f, b.t, &pool)
                  .ok());
  EXPECT_EQ(a.ToVector(), b.ToVector());
}

TEST(AttentionOpTest, RejectsInvalidBatchesAndViews) {
  const int64_t H = 4, KV = 2, D = 8, bs = 4;
  const OwnedTensor k = RandomTensor(DType::kF32, {2 * bs, KV, D}, 1);
  const OwnedTensor q = RandomTensor(DType::kF32, {1, H, D}, 3);
  OwnedTensor out(DType::kF32, {1, H, D});
  const KvCacheView kv = View(k, bs, KV, D, KV * D);
  auto run = [&](const Batch& b) { return Attention(q.t, kv, kv, b.view, 1.0f, out.t); };
  EXPECT_TRUE(run(Batch({5}, {0}, {1, 0}, 2, {6}, bs)).ok());
  // A block id beyond the cache.
  Status s = run(Batch({5}, {0}, {1, 2}, 2, {6}, bs));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("block_tables[0, 1] = 2"), std::string::npos) << s.message();
  // A query past the cached tokens, a bad sequence index, kv_len beyond the block table.
  EXPECT_EQ(run(Batch({6}, {0}, {1, 0}, 2, {6}, bs)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(run(Batch({1}, {1}, {1, 0}, 2, {6}, bs)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(run(Batch({1}, {0}, {1, 0}, 2, {9}, bs)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(run(Batch({-1}, {0}, {1, 0}, 2, {6}, bs)).code(), ErrorCode::kInvalidArgument);
  // 3 query heads cannot share 2 kv heads; head_dim mismatch; output shape.
  const OwnedTensor q3 = RandomTensor(DType::kF32, {1, 3, D}, 3);
  OwnedTensor out3(DType::kF32, {1, 3, D});
  const Batch ok({5}, {0}, {1, 0}, 2, {6}, bs);
  EXPECT_EQ(Attention(q3.t, kv, kv, ok.view, 1.0f, out3.t).code(), ErrorCode::kInvalidArgument);
  const OwnedTensor q9 = RandomTensor(DType::kF32, {1, H, D + 1}, 3);
  EXPECT_EQ(Attention(q9.t, kv, kv, ok.view, 1.0f, out.t).code(), ErrorCode::kInvalidArgument);
  OwnedTensor out_bad(DType::kF32, {2, H, D});
  EXPECT_EQ(Attention(q.t, kv, kv, ok.view, 1.0f, out_bad.t).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dsi::ops
