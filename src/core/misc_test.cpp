// Tests of the small core pieces: Status/Result, Tensor views, Arena, ThreadPool.
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgument("x must be positive, got " + std::to_string(x));
  return x;
}

Result<int> Doubled(int x) {
  DSI_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  return 2 * v;
}

TEST(StatusTest, ResultCarriesValueOrError) {
  EXPECT_EQ(*Doubled(4), 8);
  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().ToString(), "invalid argument: x must be positive, got -1");
  EXPECT_EQ(bad.status().WithContext("loading").message(), "loading: x must be positive, got -1");
}

TEST(TensorTest, ViewsShareMemory) {
  float data[24];
  std::iota(data, data + 24, 0.0f);
  Tensor t(data, DType::kF32, {4, 6});  // [4, 6] f32
  EXPECT_EQ(t.NumElements(), 24);
  EXPECT_EQ(t.SizeBytes(), 96u);
  EXPECT_EQ(t.stride(0), 6);
  Tensor rows = t.SliceRows(1, 3);  // [2, 6] f32
  EXPECT_EQ(rows.data_as<float>()[0], 6.0f);
  EXPECT_EQ(rows.shape(), Shape({2, 6}));
  Tensor r = t.Reshape({2, 3, 4});
  EXPECT_EQ(r.dim(-1), 4);
  EXPECT_EQ(r.shape().ToString(), "[2, 3, 4]");
  EXPECT_TRUE(r.IsContiguous());
}

TEST(TensorDeathTest, OutOfRangeSliceIsABug) {
  float data[4];
  Tensor t(data, DType::kF32, {4});
  EXPECT_DEATH(t.SliceRows(2, 5), "rows \\[2, 5\\)");
}

TEST(ArenaTest, AlignedAndReset) {
  Arena arena(1024);
  void* a = arena.Allocate(10);
  void* b = arena.Allocate(1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kBufferAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % kBufferAlignment, 0u);
  EXPECT_EQ(arena.used(), 128u);
  arena.Reset();
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_EQ(arena.high_water(), 128u);
  EXPECT_EQ(arena.Allocate(10), a);
}

TEST(ArenaDeathTest, ExhaustionIsABug) {
  Arena arena(128);
  EXPECT_DEATH(arena.Allocate(256), "arena exhausted");
}

TEST(ThreadPoolTest, CoversRangeExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) hits[i]++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << n;
    }
  }
}

TEST(BufferTest, MoveTransfersOwnership) {
  Buffer a(100);
  void* p = a.data();
  Buffer b = std::move(a);
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT: testing moved-from state
  EXPECT_EQ(b.size(), 100u);
  Result<Buffer> huge = Buffer::Allocate(size_t{1} << 60);
  EXPECT_FALSE(huge.ok());
}

}  // namespace
}  // namespace dsi
