// Add, Cast, SiluMul, Softmax and EmbeddingLookup ops: results against formulas computed
// here, the fused and split SwiGLU forms agreeing, sharded embedding rows, and errors.
#include "ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/embedding.h"
#include "ops/op_test_util.h"
#include "ops/silu_mul.h"
#include "ops/softmax.h"

namespace dsi::ops {
namespace {

using testing::OwnedTensor;
using testing::RandomTensor;

TEST(ElementwiseOpTest, AddAndCast) {
  ThreadPool pool(2);
  for (int64_t n : {1, 17, 5000}) {
    const OwnedTensor a = RandomTensor(DType::kF32, {n}, 1), b = RandomTensor(DType::kF32, {n}, 2);
    OwnedTensor out(DType::kF32, {n});
    ASSERT_TRUE(Add(a.t, b.t, out.t, &pool).ok());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out.Get(i), a.Get(i) + b.Get(i));
    OwnedTensor bf(DType::kBF16, {n}), back(DType::kF32, {n});
    ASSERT_TRUE(Cast(out.t, bf.t, &pool).ok());
    ASSERT_TRUE(Cast(bf.t, back.t, &pool).ok());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(back.Get(i), BF16ToF32(F32ToBF16(out.Get(i))));
  }
  const OwnedTensor a = RandomTensor(DType::kF32, {4}, 1);
  const OwnedTensor b = RandomTensor(DType::kBF16, {4}, 1);
  OwnedTensor out(DType::kF32, {4}), out5(DType::kF32, {5});
  EXPECT_EQ(Add(a.t, b.t, out.t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Add(a.t, a.t, out5.t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Cast(a.t, out5.t).code(), ErrorCode::kInvalidArgument);
}

TEST(SiluMulOpTest, FusedAndSplitFormsAgreeWithFormula) {
  ThreadPool pool(2);
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    const int64_t T = 9, I = 1408;
    const OwnedTensor gate_up = RandomTensor(dtype, {T, 2 * I}, 3, 2.0f);
    OwnedTensor gate(dtype, {T, I}), up(dtype, {T, I});
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < I; ++i) {
        gate.Set(t * I + i, gate_up.Get(t * 2 * I + i));
        up.Set(t * I + i, gate_up.Get(t * 2 * I + I + i));
      }
    }
    OwnedTensor fused(dtype, {T, I}), split(dtype, {T, I});
    ASSERT_TRUE(SiluMul(gate_up.t, fused.t, &pool).ok());
    ASSERT_TRUE(SiluMul(gate.t, up.t, split.t).ok());
    EXPECT_EQ(fused.ToVector(), split.ToVector());
    for (int64_t i = 0; i < T * I; ++i) {
      const double g = gate.Get(i);
      const double want = g / (1.0 + std::exp(-g)) * up.Get(i);
      const double tol = std::fabs(want) * (dtype == DType::kBF16 ? std::ldexp(1.0, -7) : 2e-6);
      ASSERT_NEAR(fused.Get(i), want, tol + 1e-30);
    }
  }
  OwnedTensor odd(DType::kF32, {2, 7}), out(DType::kF32, {2, 3});
  EXPECT_EQ(SiluMul(odd.t, out.t).code(), ErrorCode::kInvalidArgument);
  OwnedTensor gu(DType::kF32, {2, 8}), wrong(DType::kF32, {2, 8});
  EXPECT_EQ(SiluMul(gu.t, wrong.t).code(), ErrorCode::kInvalidArgument);
}

TEST(SoftmaxOpTest, RowsSumToOne) {
  const OwnedTensor x = RandomTensor(DType::kF32, {7, 257}, 4, 4.0f);
  OwnedTensor y(DType::kF32, {7, 257});
  ASSERT_TRUE(Softmax(x.t, y.t).ok());
  for (int64_t r = 0; r < 7; ++r) {
    double sum = 0.0, mx = -INFINITY;
    for (int64_t i = 0; i < 257; ++i) mx = std::fmax(mx, x.Get(r * 257 + i));
    double z = 0.0;
    for (int64_t i = 0; i < 257; ++i) z += std::exp(x.Get(r * 257 + i) - mx);
    for (int64_t i = 0; i < 257; ++i) {
      const double want = std::exp(x.Get(r * 257 + i) - mx) / z;
      ASSERT_NEAR(y.Get(r * 257 + i), want, want * 300 * 1.2e-7);
      sum += y.Get(r * 257 + i);
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  OwnedTensor bf(DType::kBF16, {7, 257});
  EXPECT_EQ(Softmax(bf.t, y.t).code(), ErrorCode::kInvalidArgument);
}

TEST(EmbeddingOpTest, GathersConvertsAndShards) {
  const int64_t V = 10, H = 19;
  const OwnedTensor table = RandomTensor(DType::kBF16, {V, H}, 5);
  OwnedTensor ids(DType::kI32, {4});
  const int32_t id[4] = {3, 0, 9, 3};
  for (int i = 0; i < 4; ++i) ids.t.data_as<int32_t>()[i] = id[i];
  OwnedTensor out(DType::kF32, {4, H});
  ASSERT_TRUE(EmbeddingLookup(table.t, ids.t, out.t).ok());
  for (int t = 0; t < 4; ++t) {
    for (int64_t i = 0; i < H; ++i) ASSERT_EQ(out.Get(t * H + i), table.Get(id[t] * H + i));
  }
  // Shard holding vocab rows [5, 10) of a 10-row vocabulary: rows of other shards are zero.
  const Tensor shard = table.t.SliceRows(5, 10);
  OwnedTensor out_b(DType::kBF16, {4, H});
  ASSERT_TRUE(EmbeddingLookup(shard, ids.t, out_b.t, /*vocab_begin=*/5, /*vocab_size=*/V).ok());
  for (int64_t i = 0; i < H; ++i) {
    ASSERT_EQ(out_b.Get(0 * H + i), 0.0f);
    ASSERT_EQ(out_b.Get(2 * H + i), table.Get(9 * H + i));
  }
  ids.t.data_as<int32_t>()[1] = 10;
  Status s = EmbeddingLookup(table.t, ids.t, out.t);
  EXPECT_EQ(s.code(), ErrorCode::kOutOfRange);
  EXPECT_NE(s.message().find("token id 10"), std::string::npos) << s.message();
  ids.t.data_as<int32_t>()[1] = -1;
  EXPECT_EQ(EmbeddingLookup(table.t, ids.t, out.t).code(), ErrorCode::kOutOfRange);
  ids.t.data_as<int32_t>()[1] = 0;
  EXPECT_EQ(EmbeddingLookup(shard, ids.t, out.t, 6, V).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dsi::ops
