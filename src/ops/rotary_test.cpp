// Rotary tables against the formulas and the worked numbers of deepseek-models.md §2.4 (YaRN
// correction range 10/23, DeepSeek softmax scales), and the rotation op's checks and layouts.
#include "ops/rotary.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_test_util.h"

namespace dsi::ops {
namespace {

using testing::OwnedTensor;

RopeConfig Config(int rot_dim, double base = 10000.0, int64_t max_position_embeddings = 4096) {
  RopeConfig c;
  c.rot_dim = rot_dim;
  c.base = base;
  c.max_position_embeddings = max_position_embeddings;
  return c;
}

RopeScaling DeepseekYarn(double mscale) {
  RopeScaling s;
  s.type = RopeScalingType::kYarn;
  s.factor = 40.0;
  s.original_max_position_embeddings = 4096;
  s.beta_fast = 32.0;
  s.beta_slow = 1.0;
  s.mscale = mscale;
  s.mscale_all_dim = mscale;
  return s;
}

TEST(RotaryTest, YarnMscaleAndDeepseekSoftmaxScales) {
  EXPECT_EQ(YarnGetMscale(1.0), 1.0);
  EXPECT_EQ(YarnGetMscale(0.5, 3.0), 1.0);
  EXPECT_NEAR(YarnGetMscale(40.0), 0.1 * std::log(40.0) + 1.0, 1e-15);
  EXPECT_NEAR(YarnGetMscale(40.0, 1.0), 1.368888, 1e-6);
  // deepseek-models.md §2.4.2: V3/R1 0.1352338, V2/V2-Lite 0.1147214 (qk_head_dim 192).
  EXPECT_NEAR(DeepseekSoftmaxScale(192, DeepseekYarn(1.0)), 0.1352338, 5e-8);
  EXPECT_NEAR(DeepseekSoftmaxScale(192, DeepseekYarn(0.707)), 0.1147214, 5e-8);
  EXPECT_FLOAT_EQ(DeepseekSoftmaxScale(192, RopeScaling{}), 1.0 / std::sqrt(192.0));
  RopeScaling no_all_dim = DeepseekYarn(1.0);
  no_all_dim.mscale_all_dim = 0.0;
  EXPECT_FLOAT_EQ(DeepseekSoftmaxScale(192, no_all_dim), 1.0 / std::sqrt(192.0));
}

TEST(RotaryTest, YarnCorrectionRangeForDeepseekShapes) {
  const YarnRange r = YarnCorrectionRange(32, 1, 64, 10000.0, 4096, /*truncate=*/true);
  EXPECT_EQ(r.low, 10.0);
  EXPECT_EQ(r.high, 23.0);
  const YarnRange u = YarnCorrectionRange(32, 1, 64, 10000.0, 4096, /*truncate=*/false);
  EXPECT_NEAR(u.low, 10.47, 0.01);
  EXPECT_NEAR(u.high, 22.51, 0.01);
  // Clamped to [0, dim − 1].
  const YarnRange c = YarnCorrectionRange(1e6, 1e-6, 8, 10000.0, 4096, true);
  EXPECT_EQ(c.low, 0.0);
  EXPECT_EQ(c.high, 7.0);
}

TEST(RotaryTest, DefaultAndLinearInverseFrequencies) {
  RopeConfig cfg = Config(128, 500000.0, 8192);
  auto r = RotaryEmbedding::Create(cfg);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attention_scaling(), 1.0f);
  for (int i = 0; i < 64; ++i) {
    const double want = 1.0 / std::pow(500000.0, 2.0 * i / 128.0);
    EXPECT_NEAR(r->inv_freq()[i], want, 4e-7 * want) << i;
  }
  cfg.scaling.type = RopeScalingType::kLinear;
  cfg.scaling.factor = 4.0;
  auto lin = RotaryEmbedding::Create(cfg);
  ASSERT_TRUE(lin.ok());
  for (int i = 0; i < 64; ++i) EXPECT_EQ(lin->inv_freq()[i], r->inv_freq()[i] / 4.0f) << i;
}

TEST(RotaryTest, YarnFrequenciesBlendBetweenTheCorrectionDims) {
  const RopeConfig base_cfg = Config(64, 10000.0, 163840);
  auto plain = RotaryEmbedding::Create(base_cfg);
  ASSERT_TRUE(plain.ok());
  RopeConfig cfg = base_cfg;
  cfg.scaling = DeepseekYarn(1.0);
  auto yarn = RotaryEmbedding::Create(cfg);
  ASSERT_TRUE(yarn.ok());
  for (int i = 0; i < 32; ++i) {
    const double orig = plain->inv_freq()[i];
    const double got = yarn->inv_freq()[i];
    if (i <= 10) {
      EXPECT_NEAR(got, orig, 1e-7 * orig) << i;  // extrapolation: original frequency
    } else if (i >= 23) {
      EXPECT_NEAR(got, orig / 40.0, 1e-6 * orig / 40.0) << i;  // interpolation: divided by 40
    } else {
      const double ramp = (i - 10.0) / 13.0;
      EXPECT_NEAR(got, orig / 40.0 * ramp + orig * (1.0 - ramp), 1e-6 * orig) << i;
    }
  }
  // mscale == mscale_all_dim: the cos/sin amplitude is exactly 1 (V3 and V2-Lite).
  EXPECT_EQ(yarn->attention_scaling(), 1.0f);
  cfg.scaling.mscale = cfg.scaling.mscale_all_dim = 0.0;
  auto no_mscale = RotaryEmbedding::Create(cfg);
  EXPECT_NEAR(no_mscale->attention_scaling(), 0.1 * std::log(40.0) + 1.0, 1e-6);
  cfg.scaling.attention_factor = 0.5;
  auto explicit_factor = RotaryEmbedding::Create(cfg);
  EXPECT_EQ(explicit_factor->attention_scaling(), 0.5f);
}

TEST(RotaryTest, DynamicNtkChangesBaseOnlyPastMaxPositions) {
  RopeConfig cfg = Config(16, 10000.0, 100);
  cfg.scaling.type = RopeScalingType::kDynamic;
  cfg.scaling.factor = 2.0;
  auto r = RotaryEmbedding::Create(cfg);
  ASSERT_TRUE(r.ok());
  float f[8];
  r->InvFreqForSeqLen(100, f);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(f[i], r->inv_freq()[i]);
  r->InvFreqForSeqLen(300, f);
  const double base = 10000.0 * std::pow(2.0 * 300 / 100 - 1.0, 16.0 / 14.0);
  for (int i = 0; i < 8; ++i) {
    const double want = 1.0 / std::pow(base, 2.0 * i / 16.0);
    EXPECT_NEAR(f[i], want, 1e-6 * want) << i;
  }
}

TEST(RotaryTest, CosSinAtRaggedPositions) {
  RopeConfig cfg = Config(8, 10000.0, 4096);
  cfg.scaling = DeepseekYarn(0.0);  // attention factor get_mscale(40) != 1
  cfg.scaling.original_max_position_embeddings = 64;
  auto r = RotaryEmbedding::Create(cfg);
  ASSERT_TRUE(r.ok());
  OwnedTensor pos(DType::kI32, {4});
  const int32_t p[4] = {0, 7, 3, 4095};
  for (int i = 0; i < 4; ++i) pos.t.data_as<int32_t>()[i] = p[i];
  OwnedTensor cos(DType::kF32, {4, 4}), sin(DType::kF32, {4, 4});
  ASSERT_TRUE(r->CosSin(pos.t, cos.t, sin.t).ok());
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 4; ++i) {
      const float angle = static_cast<float>(p[t]) * r->inv_freq()[i];
      const double a = r->attention_scaling();
      EXPECT_NEAR(cos.Get(t * 4 + i), std::cos(double{angle}) * a, 2e-7 * a);
      EXPECT_NEAR(sin.Get(t * 4 + i), std::sin(double{angle}) * a, 2e-7 * a);
    }
  }
  pos.t.data_as<int32_t>()[2] = -1;
  EXPECT_EQ(r->CosSin(pos.t, cos.t, sin.t).code(), ErrorCode::kInvalidArgument);
  OwnedTensor bad(DType::kF32, {4, 3});
  pos.t.data_as<int32_t>()[2] = 1;
  EXPECT_EQ(r->CosSin(pos.t, bad.t, sin.t).code(), ErrorCode::kInvalidArgument);
}

TEST(RotaryTest, CreateRejectsBadConfigs) {
  EXPECT_FALSE(RotaryEmbedding::Create(Config(7)).ok());
  EXPECT_FALSE(RotaryEmbedding::Create(Config(0)).ok());
  EXPECT_FALSE(RotaryEmbedding::Create(Config(8, 0.5)).ok());
  RopeConfig cfg = Config(8, 10000.0, 0);
  cfg.scaling.type = RopeScalingType::kYarn;
  cfg.scaling.factor = 4.0;
  EXPECT_FALSE(RotaryEmbedding::Create(cfg).ok());
  cfg.max_position_embeddings = 100;
  cfg.scaling.factor = -1.0;
  EXPECT_FALSE(RotaryEmbedding::Create(cfg).ok());
}

TEST(ApplyRotaryTest, RotatesTheRequestedSliceOfEachHead) {
  // MLA q: [T, heads, 192] with the 64 rope dims after 128 nope dims, interleaved pairs.
  const int64_t T = 3, H = 2, D = 192, off = 128, R = 64;
  OwnedTensor x = testing::RandomTensor(DType::kF32, {T, H, D}, 5);
  const std::vector<float> before = x.ToVector();
  OwnedTensor cos(DType::kF32, {T, R / 2}), sin(DType::kF32, {T, R / 2});
  for (int64_t i = 0; i < T * R / 2; ++i) {
    cos.Set(i, std::cos(0.1 * i));
    sin.Set(i, std::sin(0.1 * i));
  }
  ThreadPool pool(2);
  ASSERT_TRUE(ApplyRotary(x.t, off, cos.t, sin.t, RopeLayout::kInterleaved, &pool).ok());
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < H; ++h) {
      const int64_t base = (t * H + h) * D;
      for (int64_t i = 0; i < off; ++i) ASSERT_EQ(x.Get(base + i), before[base + i]);
      for (int64_t j = 0; j < R / 2; ++j) {
        const double a = before[base + off + 2 * j], b = before[base + off + 2 * j + 1];
        const double c = cos.Get(t * R / 2 + j), s = sin.Get(t * R / 2 + j);
        EXPECT_NEAR(x.Get(base + off + 2 * j), a * c - b * s, 1e-6);
        EXPECT_NEAR(x.Get(base + off + 2 * j + 1), b * c + a * s, 1e-6);
      }
    }
  }
  EXPECT_EQ(ApplyRotary(x.t, 129, cos.t, sin.t, RopeLayout::kInterleaved).code(),
            ErrorCode::kInvalidArgument);
  OwnedTensor x_int(DType::kI32, {T, H, D});
  EXPECT_EQ(ApplyRotary(x_int.t, 0, cos.t, sin.t, RopeLayout::kHalfSplit).code(),
            ErrorCode::kInvalidArgument);
  OwnedTensor short_cos(DType::kF32, {T - 1, R / 2});
  EXPECT_EQ(ApplyRotary(x.t, 0, short_cos.t, sin.t, RopeLayout::kHalfSplit).code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dsi::ops
