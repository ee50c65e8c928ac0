// RMSNorm layer: owns its weight [size] in the compute dtype; HF order (ops/rms_norm.h).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "layers/context.h"
#include "layers/weights.h"

namespace dsi::layers {

class RmsNorm {
 public:
  RmsNorm() = default;
  // name: "model.layers.0.input_layernorm" (".weight" is appended).
  RmsNorm(std::string name, int64_t size, double eps, DType dtype);

  // y = norm(x); y may alias x.
  Status Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y) const;
  // residual += x, then y = norm(residual) (the decoder's residual step fused).
  Status AddForward(const ForwardContext& ctx, const Tensor& x, const Tensor& residual,
                    const Tensor& y) const;
  void ForEachWeight(const WeightVisitor& visit);
  const Tensor& weight() const { return weight_.tensor; }

 private:
  std::string name_;
  float eps_ = 1e-6f;
  Param weight_;
};

}  // namespace dsi::layers
