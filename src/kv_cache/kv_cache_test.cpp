// Paged KV cache: block allocation and RAII return, running out as ResourceExhausted, slots
// and views for both layouts, and rows written through WriteRows read back through the views.
#include "kv_cache/kv_cache.h"

#include <gtest/gtest.h>

#include <numeric>

namespace dsi::kv_cache {
namespace {

KvCacheSpec GqaSpec() {
  KvCacheSpec s;
  s.layout = KvLayout::kGqa;
  s.num_layers = 2;
  s.num_kv_heads = 2;
  s.head_dim = 4;
  s.dtype = DType::kF32;
  return s;
}

KvCacheSpec MlaSpec() {
  KvCacheSpec s;
  s.layout = KvLayout::kMla;
  s.num_layers = 3;
  s.kv_lora_rank = 8;
  s.qk_rope_head_dim = 4;
  s.dtype = DType::kBF16;
  return s;
}

TEST(BlockAllocatorTest, AllocatesEveryBlockOnceThenRunsOut) {
  BlockAllocator a(3);
  std::vector<int32_t> got;
  for (int i = 0; i < 3; ++i) {
    Result<int32_t> b = a.Allocate();
    ASSERT_TRUE(b.ok());
    got.push_back(*b);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int32_t>{0, 1, 2}));
  Result<int32_t> none = a.Allocate();
  EXPECT_EQ(none.status().code(), ErrorCode::kResourceExhausted);
  a.Retain(1);
  a.Release(1);
  EXPECT_EQ(a.num_free(), 0);
  a.Release(1);
  EXPECT_EQ(a.num_free(), 1);
  EXPECT_EQ(*a.Allocate(), 1);
}

TEST(KvCacheTest, SequencesGrowByBlocksAndGiveThemBack) {
  auto cache = KvCache::Create(GqaSpec(), /*block_size=*/4, /*num_blocks=*/5).value();
  {
    SequenceKv a = cache->NewSequence();
    ASSERT_TRUE(a.Reserve(9).ok());  // 3 blocks
    EXPECT_EQ(a.block_table().size(), 3u);
    EXPECT_EQ(a.capacity(), 12);
    EXPECT_EQ(cache->num_free_blocks(), 2);
    SequenceKv b = cache->NewSequence();
    ASSERT_TRUE(b.Reserve(8).ok());
    EXPECT_EQ(cache->num_free_blocks(), 0);
    const Status full = b.Reserve(9);
    EXPECT_EQ(full.code(), ErrorCode::kResourceExhausted) << full.ToString();
    EXPECT_EQ(b.block_table().size(), 2u);  // what it had stays held
    SequenceKv moved = std::move(a);
    EXPECT_EQ(moved.block_table().size(), 3u);
    EXPECT_EQ(cache->num_free_blocks(), 0);
    // Slots follow the block table.
    EXPECT_EQ(moved.SlotOf(5), moved.block_table()[1] * 4 + 1);
  }
  EXPECT_EQ(cache->num_free_blocks(), 5);  // destructors returned everything
}

TEST(KvCacheTest, RejectsBadSizes) {
  EXPECT_EQ(KvCache::Create(GqaSpec(), 0, 4).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(KvCache::Create(GqaSpec(), 16, 0).status().code(), ErrorCode::kInvalidArgument);
  KvCacheSpec bad = GqaSpec();
  bad.dtype = DType::kI8;
  EXPECT_EQ(KvCache::Create(bad, 16, 4).status().code(), ErrorCode::kInvalidArgument);
}

TEST(KvCacheTest, GqaRowsRoundTripThroughViews) {
  const KvCacheSpec spec = GqaSpec();
  auto cache = KvCache::Create(spec, 4, 6).value();
  SequenceKv seq = cache->NewSequence();
  ASSERT_TRUE(seq.Reserve(7).ok());
  const int64_t row = spec.RowElements(KvPart::kKey);  // 8
  std::vector<float> keys(7 * row), values(7 * row);
  std::iota(keys.begin(), keys.end(), 0.0f);
  std::iota(values.begin(), values.end(), 1000.0f);
  std::vector<int32_t> slots;
  for (int p = 0; p < 7; ++p) slots.push_back(seq.SlotOf(p));
  cache->WriteRows(1, KvPart::kKey, keys.data(), row, 7, slots.data());
  cache->WriteRows(1, KvPart::kValue, values.data(), row, 7, slots.data());
  for (const KvPart part : {KvPart::kKey, KvPart::kValue}) {
    const ops::KvCacheView v = cache->View(1, part);
    EXPECT_EQ(v.num_heads, 2);
    EXPECT_EQ(v.head_dim, 4);
    const std::vector<float>& want = part == KvPart::kKey ? keys : values;
    for (int p = 0; p < 7; ++p) {
      const int32_t block = seq.block_table()[p / 4];
      for (int h = 0; h < 2; ++h) {
        for (int d = 0; d < 4; ++d) {
          const float got = static_cast<const float*>(
              v.data)[block * v.block_stride + (p % 4) * v.token_stride + h * v.head_stride + d];
          ASSERT_EQ(got, want[p * row + h * 4 + d]) << "position " << p;
        }
      }
    }
  }
  // Layer 0 was not written.
  const ops::KvCacheView other = cache->View(0, KvPart::kKey);
  EXPECT_EQ(static_cast<const float*>(other.data)[seq.block_table()[0] * other.block_stride], 0.0f);
}

TEST(KvCacheTest, MlaLatentAndRopeShareTokenRows) {
  const KvCacheSpec spec = MlaSpec();
  EXPECT_EQ(spec.BytesPerToken(), 3 * (8 + 4) * 2);
  auto cache = KvCache::Create(spec, 2, 4).value();
  SequenceKv seq = cache->NewSequence();
  ASSERT_TRUE(seq.Reserve(3).ok());
  // A [3, 12] source row holds latent then rope, as the layer's kv_a output does.
  std::vector<uint16_t> src(3 * 12);
  for (size_t i = 0; i < src.size(); ++i) src[i] = F32ToBF16(static_cast<float>(i));
  std::vector<int32_t> slots = {seq.SlotOf(0), seq.SlotOf(1), seq.SlotOf(2)};
  cache->WriteRows(2, KvPart::kLatent, src.data(), 12, 3, slots.data());
  cache->WriteRows(2, KvPart::kRope, src.data() + 8, 12, 3, slots.data());
  std::vector<uint16_t> latent(3 * 8), rope(3 * 4);
  cache->ReadRows(2, KvPart::kLatent, seq.block_table().data(), 3, latent.data(), 8);
  cache->ReadRows(2, KvPart::kRope, seq.block_table().data(), 3, rope.data(), 4);
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 8; ++i) EXPECT_EQ(latent[t * 8 + i], src[t * 12 + i]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(rope[t * 4 + i], src[t * 12 + 8 + i]);
  }
  const ops::KvCacheView lv = cache->View(2, KvPart::kLatent), rv = cache->View(2, KvPart::kRope);
  EXPECT_EQ(lv.head_dim, 8);
  EXPECT_EQ(rv.head_dim, 4);
  EXPECT_EQ(lv.token_stride, 12);
  EXPECT_EQ(static_cast<const char*>(rv.data) - static_cast<const char*>(lv.data), 8 * 2);
}

}  // namespace
}  // namespace dsi::kv_cache
