// Scratch: scopes give memory back, overflow beyond the capacity still works (counted), and
// the next Reset grows the buffer so the same step no longer overflows.
#include "layers/scratch.h"

#include <gtest/gtest.h>

#include <cstring>

namespace dsi::layers {
namespace {

TEST(ScratchTest, ScopesRewindAndOverflowGrowsOnReset) {
  Scratch s(1024);
  Tensor a = s.Alloc(DType::kF32, {16});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % kBufferAlignment, 0u);
  void* inner_ptr;
  {
    Scratch::Scope scope(s);
    inner_ptr = s.Alloc(DType::kF32, {8}).data();
  }
  EXPECT_EQ(s.Alloc(DType::kF32, {8}).data(), inner_ptr);  // reused after the scope
  EXPECT_EQ(s.overflow_allocations(), 0);
  {
    Scratch::Scope scope(s);
    Tensor big = s.AllocZeros(DType::kF32, {1000});  // 4000 bytes > capacity
    EXPECT_EQ(big.data_as<float>()[999], 0.0f);
    std::memset(big.data(), 1, big.SizeBytes());
    EXPECT_EQ(s.overflow_allocations(), 1);
  }
  s.Reset();
  EXPECT_GE(s.capacity(), s.high_water());
  s.Alloc(DType::kF32, {16});
  s.Alloc(DType::kF32, {8});
  s.Alloc(DType::kF32, {1000});
  EXPECT_EQ(s.overflow_allocations(), 1);  // no new overflow
}

}  // namespace
}  // namespace dsi::layers
