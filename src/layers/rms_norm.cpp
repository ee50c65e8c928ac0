// RMSNorm layer over ops::RmsNorm / ops::AddRmsNorm.
#include "layers/rms_norm.h"

#include "ops/rms_norm.h"

namespace dsi::layers {

RmsNorm::RmsNorm(std::string name, int64_t size, double eps, DType dtype)
    : name_(std::move(name)), eps_(static_cast<float>(eps)), weight_(dtype, {size}) {}

Status RmsNorm::Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y) const {
  return ops::RmsNorm(x, weight(), eps_, y, ctx.pool);
}

Status RmsNorm::AddForward(const ForwardContext& ctx, const Tensor& x, const Tensor& residual,
                           const Tensor& y) const {
  return ops::AddRmsNorm(x, residual, weight(), eps_, y, ctx.pool);
}

void RmsNorm::ForEachWeight(const WeightVisitor& visit) {
  visit(WholeWeight(name_ + ".weight", weight_.tensor));
}

}  // namespace dsi::layers
