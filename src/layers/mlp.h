// SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)) (deepseek-models.md §2.7). gate and up are one
// merged column-parallel Linear (each rank holds a slice of the intermediate dimension), down is
// row-parallel and ends with the all-reduce. Also the DeepSeek shared-expert block.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "layers/context.h"
#include "layers/linear.h"

namespace dsi::layers {

class Mlp {
 public:
  Mlp() = default;
  // prefix: "model.layers.0.mlp" (tensors <prefix>.{gate,up,down}_proj.weight). With
  // tensor_parallel the intermediate dimension is split over the group; without, it stays whole
  // (a routed expert, which lives on one rank). bias: Llama's mlp_bias.
  Mlp(const std::string& prefix, int64_t hidden_size, int64_t intermediate_size, TpShard shard,
      DType dtype, bool tensor_parallel = true, bool bias = false);

  // x, y: [T, hidden]. reduce = false leaves this rank's partial sum in y (MoE reduces the
  // shared experts together with the routed ones).
  Status Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y, int layer,
                 bool reduce = true) const;
  void ForEachWeight(const WeightVisitor& visit);

  int64_t intermediate_local() const { return down_.in_local(); }
  const Linear& gate_up() const { return gate_up_; }
  const Linear& down() const { return down_; }

 private:
  Linear gate_up_;  // [2 · intermediate_local, hidden]: gate rows, then up rows
  Linear down_;     // [hidden, intermediate_local]
};

}  // namespace dsi::layers
