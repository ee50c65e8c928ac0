// The oneDNN GEMM against the scalar reference over odd shapes and every supported dtype mix,
// with tolerance K·eps·max|x|·max|w|; plus the primitive cache and the argument errors.
#include "ops/gemm.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <sched.h>

#include <cmath>

#include "kernels/kernel_table.h"
#include "ops/op_test_util.h"

namespace dsi::ops {
namespace {

using testing::OwnedTensor;
using testing::RandomTensor;

struct DTypes {
  DType x, w, y;
  bool bias;
};

const DTypes kMixes[] = {
    {DType::kF32, DType::kF32, DType::kF32, false},
    {DType::kF32, DType::kF32, DType::kF32, true},
    {DType::kBF16, DType::kBF16, DType::kF32, false},
    {DType::kBF16, DType::kBF16, DType::kBF16, true},
    {DType::kF32, DType::kBF16, DType::kF32, true},
    {DType::kF32, DType::kBF16, DType::kBF16, false},
};

struct Dims {
  int64_t m, n, k;
};
const Dims kShapes[] = {{1, 1, 1},     {1, 33, 7},   {3, 5, 16},   {17, 130, 100},
                        {64, 48, 513}, {2, 1, 2048}, {129, 65, 33}};

void CheckAgainstReference(int64_t gemv_max_m) {
  Gemm gemm(GemmOptions{.num_threads = 2, .gemv_max_m = gemv_max_m});
  for (const DTypes& d : kMixes) {
    for (const Dims& s : kShapes) {
      const OwnedTensor x = RandomTensor(d.x, {s.m, s.k}, 1 + s.k);
      const OwnedTensor w = RandomTensor(d.w, {s.n, s.k}, 2 + s.n, 0.5f);
      const OwnedTensor bias =
          RandomTensor(d.w == DType::kBF16 ? DType::kBF16 : DType::kF32, {s.n}, 3 + s.n);
      const Tensor* b = d.bias ? &bias.t : nullptr;
      OwnedTensor y(d.y, {s.m, s.n});
      ASSERT_TRUE(gemm.Run(x.t, w.t, b, y.t).ok());
      // Oracle: f32 activations meet bf16 weights after rounding to bf16 (the documented
      // semantics); everything else as given.
      OwnedTensor x_oracle(d.w == DType::kBF16 ? DType::kBF16 : d.x, {s.m, s.k});
      for (int64_t i = 0; i < s.m * s.k; ++i) x_oracle.Set(i, x.Get(i));
      OwnedTensor y_ref(DType::kF32, {s.m, s.n});
      ASSERT_TRUE(GemmReference(x_oracle.t, w.t, b, y_ref.t).ok());
      // fp32 accumulation over K terms, in whatever order and blocking oneDNN picks.
      const double tol =
          (s.k + 2) * std::ldexp(1.0, -23) * testing::MaxAbs(x_oracle) * testing::MaxAbs(w) +
          (b ? std::ldexp(1.0, -23) * testing::MaxAbs(bias) : 0);
      for (int64_t i = 0; i < s.m * s.n; ++i) {
        const double want = y_ref.Get(i);
        const double t = tol + (d.y == DType::kBF16 ? std::fabs(want) * std::ldexp(1.0, -8) : 0);
        ASSERT_NEAR(y.Get(i), want, t)
            << DTypeName(d.x) << "x" << DTypeName(d.w) << "->" << DTypeName(d.y) << " M=" << s.m
            << " N=" << s.n << " K=" << s.k << " i=" << i << " " << gemm.last_impl();
      }
      const bool gemv = d.w == DType::kBF16 && s.m <= gemv_max_m && kernels::Kernels().isa != "ref";
      EXPECT_EQ(std::string(gemm.last_impl()).rfind("dsi:gemv", 0) == 0, gemv) << gemm.last_impl();
    }
  }
}

// gemv_max_m 0: oneDNN for every shape; 4: the hand GEMV takes bf16 weights with M <= 4.
TEST(GemmTest, OneDnnMatchesReference) { CheckAgainstReference(0); }
TEST(GemmTest, OneDnnWithSmallMGemvMatchesReference) { CheckAgainstReference(4); }

TEST(GemmTest, CachesPrimitivesByShapeAndEvictsTheOldest) {
  Gemm gemm(GemmOptions{.num_threads = 1, .max_cached_primitives = 3});
  const OwnedTensor w = RandomTensor(DType::kF32, {8, 16}, 1);
  for (int64_t m : {1, 2, 1, 1, 2}) {
    const OwnedTensor x = RandomTensor(DType::kF32, {m, 16}, 2);
    OwnedTensor y(DType::kF32, {m, 8});
    ASSERT_TRUE(gemm.Run(x.t, w.t, nullptr, y.t).ok());
  }
  EXPECT_EQ(gemm.num_cached_primitives(), 2u);
  for (int64_t m : {3, 4, 5}) {
    const OwnedTensor x = RandomTensor(DType::kF32, {m, 16}, 2);
    OwnedTensor y(DType::kF32, {m, 8});
    ASSERT_TRUE(gemm.Run(x.t, w.t, nullptr, y.t).ok());
  }
  EXPECT_EQ(gemm.num_cached_primitives(), 3u);
}

TEST(GemmTest, PinsTheOpenMpTeamToTheGivenCpus) {
  cpu_set_t original;
  ASSERT_EQ(sched_getaffinity(0, sizeof(original), &original), 0);
  if (CPU_COUNT(&original) < 2) GTEST_SKIP() << "needs two CPUs";
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c) {
    if (CPU_ISSET(c, &original)) cpus.push_back(c);
  }
  {
    Gemm gemm(GemmOptions{.num_threads = 2, .cpus = cpus});
    const OwnedTensor x = RandomTensor(DType::kF32, {2, 16}, 1);
    const OwnedTensor w = RandomTensor(DType::kF32, {8, 16}, 2);
    OwnedTensor y(DType::kF32, {2, 8});
    ASSERT_TRUE(gemm.Run(x.t, w.t, nullptr, y.t).ok());
  }
  int pinned[2] = {-1, -1};
#pragma omp parallel num_threads(2)
  {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1) {
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) pinned[omp_get_thread_num()] = c;
      }
    }
    sched_setaffinity(0, sizeof(original), &original);  // give the rest of the suite all CPUs
  }
  EXPECT_EQ(pinned[0], cpus[0]);
  EXPECT_EQ(pinned[1], cpus[1]);
}

TEST(GemmTest, EmptyMIsANoOp) {
  Gemm gemm;
  const OwnedTensor w = RandomTensor(DType::kF32, {8, 16}, 1);
  OwnedTensor x(DType::kF32, {0, 16}), y(DType::kF32, {0, 8});
  EXPECT_TRUE(gemm.Run(x.t, w.t, nullptr, y.t).ok());
}

TEST(GemmTest, RejectsBadArguments) {
  Gemm gemm;
  const OwnedTensor x = RandomTensor(DType::kF32, {2, 16}, 1);
  const OwnedTensor w = RandomTensor(DType::kF32, {8, 15}, 2);
  OwnedTensor y(DType::kF32, {2, 8});
  Status s = gemm.Run(x.t, w.t, nullptr, y.t);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("w shape [8, 15]"), std::string::npos) << s.message();

  const OwnedTensor w_ok = RandomTensor(DType::kF32, {8, 16}, 2);
  OwnedTensor y_bad(DType::kF32, {2, 9});
  EXPECT_EQ(gemm.Run(x.t, w_ok.t, nullptr, y_bad.t).code(), ErrorCode::kInvalidArgument);
  const OwnedTensor bias_bad = RandomTensor(DType::kF32, {7}, 3);
  EXPECT_EQ(gemm.Run(x.t, w_ok.t, &bias_bad.t, y.t).code(), ErrorCode::kInvalidArgument);

  const OwnedTensor xb = RandomTensor(DType::kBF16, {2, 16}, 1);
  EXPECT_EQ(gemm.Run(xb.t, w_ok.t, nullptr, y.t).code(), ErrorCode::kUnsupported);
  const OwnedTensor xi(DType::kI32, {2, 16});
  EXPECT_EQ(gemm.Run(xi.t, w_ok.t, nullptr, y.t).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dsi::ops
