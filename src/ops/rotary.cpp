// Rotary tables in fp32 following HF's modeling_rope_utils step by step (the roundings matter
// for bit-closeness: exponents and products are fp32, correction ranges are double), and the
// rotation op that hands token ranges to the kernel table.
#include "ops/rotary.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

constexpr int kMaxRotDim = 1024;

// HF: 1 / base ** (arange(0, dim, 2).float() / dim), every step in fp32.
float BaseInvFreq(double base, int rot_dim, int i) {
  const float exponent = static_cast<float>(2 * i) / static_cast<float>(rot_dim);
  return 1.0f / std::pow(static_cast<float>(base), exponent);
}

void YarnInvFreq(const RopeConfig& c, float* out) {
  const RopeScaling& s = c.scaling;
  const int64_t original = s.original_max_position_embeddings > 0
                               ? s.original_max_position_embeddings
                               : c.max_position_embeddings;
  const YarnRange range =
      YarnCorrectionRange(s.beta_fast, s.beta_slow, c.rot_dim, c.base, original, s.truncate);
  const double high = range.low == range.high ? range.high + 0.001 : range.high;
  const float factor = static_cast<float>(s.factor);
  for (int i = 0; i < c.rot_dim / 2; ++i) {
    const float pos_freq = std::pow(static_cast<float>(c.base),
                                    static_cast<float>(2 * i) / static_cast<float>(c.rot_dim));
    const float extrapolation = 1.0f / pos_freq;
    const float interpolation = 1.0f / (factor * pos_freq);
    const float ramp = std::clamp((static_cast<float>(i) - static_cast<float>(range.low)) /
                                      static_cast<float>(high - range.low),
                                  0.0f, 1.0f);
    const float extrapolation_factor = 1.0f - ramp;
    out[i] = interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
  }
}

double YarnAttentionFactor(const RopeScaling& s) {
  if (s.attention_factor) return *s.attention_factor;
  if (s.mscale != 0.0 && s.mscale_all_dim != 0.0) {
    return YarnGetMscale(s.factor, s.mscale) / YarnGetMscale(s.factor, s.mscale_all_dim);
  }
  return YarnGetMscale(s.factor);
}

}  // namespace

double YarnGetMscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

YarnRange YarnCorrectionRange(double beta_fast, double beta_slow, int rot_dim, double base,
                              int64_t original_max_position_embeddings, bool truncate) {
  // Dimension index at which a frequency completes `rotations` turns over the original length.
  auto correction_dim = [&](double rotations) {
    return rot_dim *
           std::log(static_cast<double>(original_max_position_embeddings) /
                    (rotations * 2.0 * std::numbers::pi)) /
           (2.0 * std::log(base));
  };
  double low = correction_dim(beta_fast);
  double high = correction_dim(beta_slow);
  if (truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  return {std::max(low, 0.0), std::min(high, static_cast<double>(rot_dim - 1))};
}

float DeepseekSoftmaxScale(int qk_head_dim, const RopeScaling& scaling) {
  double scale = 1.0 / std::sqrt(static_cast<double>(qk_head_dim));
  if (scaling.type != RopeScalingType::kDefault && scaling.mscale_all_dim != 0.0) {
    const double m = YarnGetMscale(scaling.factor, scaling.mscale_all_dim);
    scale *= m * m;
  }
  return static_cast<float>(scale);
}

Result<RotaryEmbedding> RotaryEmbedding::Create(const RopeConfig& config) {
  if (config.rot_dim <= 0 || config.rot_dim % 2 != 0 || config.rot_dim > kMaxRotDim) {
    return InvalidArgument("rotary: rotary dim " + std::to_string(config.rot_dim) +
                           " must be even and in [2, " + std::to_string(kMaxRotDim) + "]");
  }
  if (!(config.base > 1.0) || !std::isfinite(config.base)) {
    return InvalidArgument("rotary: rope_theta " + std::to_string(config.base) + " must be > 1");
  }
  const RopeScaling& s = config.scaling;
  if (s.type != RopeScalingType::kDefault && !(s.factor > 0.0 && std::isfinite(s.factor))) {
    return InvalidArgument("rotary: rope_scaling.factor " + std::to_string(s.factor) +
                           " must be > 0");
  }
  if ((s.type == RopeScalingType::kDynamic || s.type == RopeScalingType::kYarn) &&
      config.max_position_embeddings <= 0 && s.original_max_position_embeddings <= 0) {
    return InvalidArgument("rotary: dynamic/yarn scaling needs max_position_embeddings");
  }
  if (s.type == RopeScalingType::kDynamic && config.rot_dim <= 2) {
    return InvalidArgument("rotary: dynamic NTK needs a rotary dim > 2");
  }
  RotaryEmbedding r;
  r.config_ = config;
  r.inv_freq_.resize(config.rot_dim / 2);
  switch (s.type) {
    case RopeScalingType::kDefault:
    case RopeScalingType::kDynamic:
      for (int i = 0; i < config.rot_dim / 2; ++i) {
        r.inv_freq_[i] = BaseInvFreq(config.base, config.rot_dim, i);
      }
      break;
    case RopeScalingType::kLinear:
      for (int i = 0; i < config.rot_dim / 2; ++i) {
        r.inv_freq_[i] = BaseInvFreq(config.base, config.rot_dim, i) / static_cast<float>(s.factor);
      }
      break;
    case RopeScalingType::kYarn:
      YarnInvFreq(config, r.inv_freq_.data());
      r.attention_scaling_ = static_cast<float>(YarnAttentionFactor(s));
      break;
  }
  return r;
}

void RotaryEmbedding::InvFreqForSeqLen(int64_t seq_len, float* out) const {
  const int64_t max_pos = config_.max_position_embeddings;
  if (config_.scaling.type != RopeScalingType::kDynamic || seq_len <= max_pos) {
    std::copy(inv_freq_.begin(), inv_freq_.end(), out);
    return;
  }
  // HF _compute_dynamic_ntk_parameters: base' = base·(f·s/M − (f − 1))^(dim/(dim−2)).
  const double f = config_.scaling.factor;
  const double dim = config_.rot_dim;
  const double base =
      config_.base *
      std::pow(f * static_cast<double>(seq_len) / max_pos - (f - 1.0), dim / (dim - 2.0));
  for (int i = 0; i < config_.rot_dim / 2; ++i) out[i] = BaseInvFreq(base, config_.rot_dim, i);
}

Status RotaryEmbedding::CosSin(const Tensor& positions, const Tensor& cos, const Tensor& sin,
                               int64_t seq_len) const {
  constexpr std::string_view kOp = "rotary_cos_sin";
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "positions", positions, 1));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "positions", positions, {DType::kI32}));
  const int64_t num_tokens = positions.dim(0);
  const int half = config_.rot_dim / 2;
  for (const auto& [name, t] : {std::pair{"cos", &cos}, std::pair{"sin", &sin}}) {
    DSI_RETURN_IF_ERROR(CheckRank(kOp, name, *t, 2));
    DSI_RETURN_IF_ERROR(CheckDType(kOp, name, *t, {DType::kF32}));
    DSI_RETURN_IF_ERROR(CheckShape(kOp, name, *t, {num_tokens, half}));
  }
  const int32_t* pos = positions.data_as<int32_t>();
  int64_t max_pos = -1;
  for (int64_t t = 0; t < num_tokens; ++t) {
    if (pos[t] < 0) {
      return InvalidArgument("rotary_cos_sin: positions[" + std::to_string(t) +
                             "] = " + std::to_string(pos[t]) + " is negative");
    }
    max_pos = std::max<int64_t>(max_pos, pos[t]);
  }
  float inv_freq[kMaxRotDim / 2];
  InvFreqForSeqLen(seq_len > 0 ? seq_len : max_pos + 1, inv_freq);
  float* c = cos.data_as<float>();
  float* s = sin.data_as<float>();
  for (int64_t t = 0; t < num_tokens; ++t) {
    const float p = static_cast<float>(pos[t]);
    for (int i = 0; i < half; ++i) {
      const double angle = p * inv_freq[i];  // the fp32 product, as HF's fp32 matmul
      c[t * half + i] = static_cast<float>(std::cos(angle)) * attention_scaling_;
      s[t * half + i] = static_cast<float>(std::sin(angle)) * attention_scaling_;
    }
  }
  return Status::Ok();
}

Status ApplyRotary(const Tensor& x, int64_t rot_offset, const Tensor& cos, const Tensor& sin,
                   RopeLayout layout, ThreadPool* pool, bool bf16_hf_rounding) {
  constexpr std::string_view kOp = "apply_rotary";
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "x", x, 3));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "x", x, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "cos", cos, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "cos", cos, {DType::kF32}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "cos", cos, {x.dim(0), cos.dim(1)}));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "sin", sin, 2));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "sin", sin, {DType::kF32}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "sin", sin, cos.shape()));
  const int64_t rot_dim = 2 * cos.dim(1);
  if (rot_dim == 0 || rot_offset < 0 || rot_offset + rot_dim > x.dim(2)) {
    return InvalidArgument("apply_rotary: dims [" + std::to_string(rot_offset) + ", " +
                           std::to_string(rot_offset + rot_dim) + ") outside head_dim " +
                           std::to_string(x.dim(2)));
  }
  kernels::RopeArgs args;
  args.dtype = x.dtype();
  args.x = x.data();
  args.token_stride = x.dim(1) * x.dim(2);
  args.head_stride = x.dim(2);
  args.num_heads = static_cast<int>(x.dim(1));
  args.rot_offset = static_cast<int>(rot_offset);
  args.rot_dim = static_cast<int>(rot_dim);
  args.cos = cos.data_as<float>();
  args.sin = sin.data_as<float>();
  args.interleaved = layout == RopeLayout::kInterleaved;
  args.bf16_hf_rounding = bf16_hf_rounding;
  const kernels::KernelTable& k = kernels::Kernels();
  ParallelRange(pool, x.dim(0), x.dim(1) * rot_dim,
                [&](int64_t begin, int64_t end) { k.rope(args, begin, end); });
  return Status::Ok();
}

}  // namespace dsi::ops
