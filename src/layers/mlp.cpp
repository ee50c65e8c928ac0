// SwiGLU MLP forward.
#include "layers/mlp.h"

#include "layers/trace.h"
#include "ops/silu_mul.h"

namespace dsi::layers {

Mlp::Mlp(const std::string& prefix, int64_t hidden_size, int64_t intermediate_size, TpShard shard,
         DType dtype, bool tensor_parallel, bool bias)
    : gate_up_({{prefix + ".gate_proj", intermediate_size}, {prefix + ".up_proj", intermediate_size}},
               hidden_size, tensor_parallel ? ParallelStyle::kColumn : ParallelStyle::kReplicated,
               shard, dtype, ShardUnit(1, bias)),
      down_(prefix + ".down_proj", intermediate_size, hidden_size,
            tensor_parallel ? ParallelStyle::kRow : ParallelStyle::kReplicated, shard, dtype,
            ShardUnit(1, bias)) {}

Status Mlp::Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y, int layer,
                    bool reduce) const {
  Scratch::Scope scope(*ctx.scratch);
  const int64_t num_tokens = x.dim(0);
  const DType dtype = gate_up_.weight().dtype();
  // [T, 2 · intermediate_local]
  Tensor gate_up = ctx.scratch->Alloc(dtype, {num_tokens, gate_up_.out_local()});
  DSI_RETURN_IF_ERROR(gate_up_.Forward(ctx, x, gate_up));
  Trace(gate_up, "mlp_gate_up", layer);
  // [T, intermediate_local]
  Tensor act = ctx.scratch->Alloc(dtype, {num_tokens, down_.in_local()});
  DSI_RETURN_IF_ERROR(ops::SiluMul(gate_up, act, ctx.pool));
  Trace(act, "mlp_act", layer);
  DSI_RETURN_IF_ERROR(down_.Forward(ctx, act, y, reduce));
  Trace(y, "mlp_out", layer);
  return Status::Ok();
}

void Mlp::ForEachWeight(const WeightVisitor& visit) {
  gate_up_.ForEachWeight(visit);
  down_.ForEachWeight(visit);
}

}  // namespace dsi::layers
