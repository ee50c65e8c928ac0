// Rotary position embedding: inverse frequencies and cos/sin tables for the default, linear,
// dynamic-NTK and YaRN variants (fp32, as HF computes them), and the in-place rotation in the
// half-split (Llama/Qwen2) or interleaved-pair (DeepSeek MLA) layout. deepseek-models.md §2.4.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

enum class RopeScalingType { kDefault, kLinear, kDynamic, kYarn };

// config.json `rope_scaling` (`rope_parameters` in transformers 5.x). Zero means "absent" for
// mscale / mscale_all_dim, as HF tests them for truthiness.
struct RopeScaling {
  RopeScalingType type = RopeScalingType::kDefault;
  double factor = 1.0;
  int64_t original_max_position_embeddings = 0;  // yarn; 0: use max_position_embeddings
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 0.0;
  double mscale_all_dim = 0.0;
  std::optional<double> attention_factor;  // yarn: explicit cos/sin amplitude
  bool truncate = true;                    // yarn: floor/ceil the correction range
};

struct RopeConfig {
  int rot_dim = 0;  // rotary dims per head: head_dim · partial_rotary_factor, or qk_rope_head_dim
  double base = 10000.0;  // rope_theta
  int64_t max_position_embeddings = 0;
  RopeScaling scaling;
};

// YaRN's get_mscale: 1 if scale <= 1, else 0.1 · mscale · ln(scale) + 1.
double YarnGetMscale(double scale, double mscale = 1.0);

// The YaRN correction range [low, high] of rotary pair indices (HF find_correction_range).
struct YarnRange {
  double low;
  double high;
};
YarnRange YarnCorrectionRange(double beta_fast, double beta_slow, int rot_dim, double base,
                              int64_t original_max_position_embeddings, bool truncate);

// DeepSeek V2/V3 attention softmax scale: qk_head_dim^−0.5, times get_mscale(factor,
// mscale_all_dim)² when rope scaling is configured and mscale_all_dim is non-zero
// (V3: 0.1352338, V2/V2-Lite: 0.1147214 for qk_head_dim 192).
float DeepseekSoftmaxScale(int qk_head_dim, const RopeScaling& scaling);

class RotaryEmbedding {
 public:
  static Result<RotaryEmbedding> Create(const RopeConfig& config);

  const RopeConfig& config() const { return config_; }
  int rot_dim() const { return config_.rot_dim; }
  // [rot_dim / 2] fp32 inverse frequencies (the original ones for dynamic NTK).
  const std::vector<float>& inv_freq() const { return inv_freq_; }
  // Amplitude folded into cos and sin: 1 except YaRN's attention_factor.
  float attention_scaling() const { return attention_scaling_; }

  // inv_freq for a sequence of seq_len tokens: differs from inv_freq() only for dynamic NTK
  // with seq_len > max_position_embeddings. out: rot_dim / 2 floats.
  void InvFreqForSeqLen(int64_t seq_len, float* out) const;

  // cos[t, i] = cos(positions[t] · inv_freq[i]) · attention_scaling, likewise sin; fp32.
  // positions: [num_tokens] i32 (>= 0); cos, sin: [num_tokens, rot_dim / 2] f32.
  // seq_len selects the dynamic-NTK frequencies (0: max(positions) + 1, as one HF forward).
  // Note HF's dynamic NTK is stateful (keeps the longest length seen); callers that want that
  // pass their own running maximum.
  Status CosSin(const Tensor& positions, const Tensor& cos, const Tensor& sin,
                int64_t seq_len = 0) const;

 private:
  RopeConfig config_;
  std::vector<float> inv_freq_;
  float attention_scaling_ = 1.0f;
};

enum class RopeLayout {
  kHalfSplit,    // pair (j, j + rot_dim/2): Llama, Qwen2 (HF rotate_half)
  kInterleaved,  // pair (2j, 2j+1): DeepSeek V2/V3 q_pe / k_pe, rotated in place
};

// Rotates dims [rot_offset, rot_offset + rot_dim) of every head in place, rot_dim = 2 ·
// cos.dim(1). x: [num_tokens, num_heads, head_dim] f32 or bf16; cos, sin: [num_tokens,
// rot_dim / 2] f32 from CosSin. bf16_hf_rounding (bf16 only): true = HF's bf16 arithmetic
// (Llama, Qwen2, HF V3); false = fp32 math, one rounding (HF V2 native complex path).
Status ApplyRotary(const Tensor& x, int64_t rot_offset, const Tensor& cos, const Tensor& sin,
                   RopeLayout layout, ThreadPool* pool = nullptr, bool bf16_hf_rounding = true);

}  // namespace dsi::ops
