// RmsNorm / AddRmsNorm ops: results against the HF formula computed here, threaded and
// in-place runs, and the argument errors.
#include "ops/rms_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_test_util.h"

namespace dsi::ops {
namespace {

using testing::OwnedTensor;
using testing::RandomTensor;

TEST(RmsNormOpTest, MatchesFormulaForEachDTypeThreadedOrNot) {
  ThreadPool pool(2);
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    for (int64_t hidden : {1, 17, 2048}) {
      const int64_t T = 37;
      const OwnedTensor x = RandomTensor(dtype, {T, hidden}, 1, 3.0f);
      const OwnedTensor w = RandomTensor(dtype, {hidden}, 2);
      OwnedTensor y(dtype, {T, hidden}), y_pool(dtype, {T, hidden});
      ASSERT_TRUE(RmsNorm(x.t, w.t, 1e-6f, y.t).ok());
      ASSERT_TRUE(RmsNorm(x.t, w.t, 1e-6f, y_pool.t, &pool).ok());
      EXPECT_EQ(y.ToVector(), y_pool.ToVector());
      for (int64_t t = 0; t < T; ++t) {
        double ss = 0.0;
        for (int64_t i = 0; i < hidden; ++i)
          ss += double{x.Get(t * hidden + i)} * x.Get(t * hidden + i);
        const double r = 1.0 / std::sqrt(ss / hidden + 1e-6);
        for (int64_t i = 0; i < hidden; ++i) {
          const double want = w.Get(i) * x.Get(t * hidden + i) * r;
          // f32: summation-order error; bf16: two roundings of the output path.
          const double tol = std::fabs(want) *
                             (dtype == DType::kBF16 ? std::ldexp(1.0, -7) : (hidden + 8) * 1.2e-7);
          ASSERT_NEAR(y.Get(t * hidden + i), want, tol + 1e-30) << DTypeName(dtype);
        }
      }
      // In place.
      OwnedTensor inplace(dtype, {T, hidden});
      for (int64_t i = 0; i < T * hidden; ++i) inplace.Set(i, x.Get(i));
      ASSERT_TRUE(RmsNorm(inplace.t, w.t, 1e-6f, inplace.t, &pool).ok());
      EXPECT_EQ(inplace.ToVector(), y.ToVector());
    }
  }
}

TEST(RmsNormOpTest, AddRmsNormUpdatesResidual) {
  const OwnedTensor x = RandomTensor(DType::kBF16, {5, 33}, 1);
  const OwnedTensor res0 = RandomTensor(DType::kBF16, {5, 33}, 2);
  const OwnedTensor w = RandomTensor(DType::kBF16, {33}, 3);
  OwnedTensor res(DType::kBF16, {5, 33}), y(DType::kBF16, {5, 33}), y_sep(DType::kBF16, {5, 33});
  for (int i = 0; i < 5 * 33; ++i) res.Set(i, res0.Get(i));
  ASSERT_TRUE(AddRmsNorm(x.t, res.t, w.t, 1e-6f, y.t).ok());
  OwnedTensor sum(DType::kBF16, {5, 33});
  for (int i = 0; i < 5 * 33; ++i) {
    sum.Set(i, res0.Get(i) + x.Get(i));
    ASSERT_EQ(res.Get(i), sum.Get(i));
  }
  ASSERT_TRUE(RmsNorm(sum.t, w.t, 1e-6f, y_sep.t).ok());
  EXPECT_EQ(y.ToVector(), y_sep.ToVector());
  EXPECT_EQ(AddRmsNorm(x.t, res.t, w.t, 1e-6f, res.t).code(), ErrorCode::kInvalidArgument);
}

TEST(RmsNormOpTest, RejectsBadArguments) {
  const OwnedTensor x = RandomTensor(DType::kF32, {2, 8}, 1);
  const OwnedTensor w_short = RandomTensor(DType::kF32, {7}, 2);
  const OwnedTensor w_bf16 = RandomTensor(DType::kBF16, {8}, 2);
  const OwnedTensor w = RandomTensor(DType::kF32, {8}, 2);
  OwnedTensor y(DType::kF32, {2, 8}), y_bad(DType::kF32, {3, 8});
  Status s = RmsNorm(x.t, w_short.t, 1e-6f, y.t);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("weight shape [7] expected [8]"), std::string::npos) << s.message();
  EXPECT_EQ(RmsNorm(x.t, w_bf16.t, 1e-6f, y.t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RmsNorm(x.t, w.t, 1e-6f, y_bad.t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RmsNorm(x.t, w.t, NAN, y.t).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RmsNorm(x.t, w.t, -1.0f, y.t).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dsi::ops
