// GQA attention forward.
#include "layers/gqa_attention.h"

#include "layers/trace.h"
#include "ops/attention.h"
#include "ops/rotary.h"

namespace dsi::layers {

Result<int64_t> GqaAttention::LocalKvHeads(int64_t num_heads, int64_t num_kv_heads,
                                           TpShard shard) {
  if (num_heads % shard.size != 0) {
    return InvalidArgument("num_attention_heads " + std::to_string(num_heads) +
                           " is not divisible by tensor parallel size " +
                           std::to_string(shard.size));
  }
  if (num_kv_heads % shard.size == 0) return num_kv_heads / shard.size;
  if (shard.size % num_kv_heads == 0) return int64_t{1};  // each rank holds one replica
  return InvalidArgument("num_key_value_heads " + std::to_string(num_kv_heads) +
                         " and tensor parallel size " + std::to_string(shard.size) +
                         ": one must divide the other");
}

Result<GqaAttention> GqaAttention::Create(const GqaSpec& spec, TpShard shard, DType dtype) {
  DSI_ASSIGN_OR_RETURN(const int64_t local_kv, LocalKvHeads(spec.num_heads, spec.num_kv_heads, shard));
  GqaAttention a;
  a.spec_ = spec;
  a.local_heads_ = spec.num_heads / shard.size;
  a.local_kv_heads_ = local_kv;
  const int64_t hd = spec.head_dim, h = spec.hidden_size;
  LinearOptions qkv = ShardUnit(hd, spec.qkv_bias);
  a.q_proj_ = Linear(spec.prefix + ".q_proj", h, spec.num_heads * hd, ParallelStyle::kColumn,
                     shard, dtype, qkv);
  LinearOptions kv = qkv;
  if (spec.num_kv_heads < shard.size) {
    // Replicated kv head: the one this rank's query heads use.
    const int64_t kv_head = shard.rank * spec.num_kv_heads / shard.size;
    kv.column_range = Range{kv_head * hd, (kv_head + 1) * hd};
  }
  a.k_proj_ = Linear(spec.prefix + ".k_proj", h, spec.num_kv_heads * hd, ParallelStyle::kColumn,
                     shard, dtype, kv);
  a.v_proj_ = Linear(spec.prefix + ".v_proj", h, spec.num_kv_heads * hd, ParallelStyle::kColumn,
                     shard, dtype, kv);
  a.o_proj_ = Linear(spec.prefix + ".o_proj", spec.num_heads * hd, h, ParallelStyle::kRow, shard,
                     dtype, ShardUnit(hd, spec.o_bias));
  return a;
}

Status GqaAttention::Forward(const ForwardContext& ctx, const StepBatch& step, int layer,
                             const Tensor& x, const Tensor& y) const {
  Scratch::Scope scope(*ctx.scratch);
  Scratch& s = *ctx.scratch;
  const int64_t num_tokens = x.dim(0), hd = spec_.head_dim;
  const DType dtype = q_proj_.weight().dtype();
  Tensor q = s.Alloc(dtype, {num_tokens, local_heads_ * hd});     // [T, heads_local · head_dim]
  Tensor k = s.Alloc(dtype, {num_tokens, local_kv_heads_ * hd});  // [T, kv_heads_local · head_dim]
  Tensor v = s.Alloc(dtype, {num_tokens, local_kv_heads_ * hd});
  DSI_RETURN_IF_ERROR(q_proj_.Forward(ctx, x, q));
  DSI_RETURN_IF_ERROR(k_proj_.Forward(ctx, x, k));
  DSI_RETURN_IF_ERROR(v_proj_.Forward(ctx, x, v));
  const Tensor q3 = q.Reshape({num_tokens, local_heads_, hd});
  const Tensor k3 = k.Reshape({num_tokens, local_kv_heads_, hd});
  DSI_RETURN_IF_ERROR(ops::ApplyRotary(q3, 0, step.cos, step.sin, ops::RopeLayout::kHalfSplit,
                                       ctx.pool));
  DSI_RETURN_IF_ERROR(ops::ApplyRotary(k3, 0, step.cos, step.sin, ops::RopeLayout::kHalfSplit,
                                       ctx.pool));
  Trace(q, "q_rot", layer);
  Trace(k, "k_rot", layer);
  Trace(v, "v", layer);

  const int32_t* slots = step.slots.data_as<int32_t>();
  step.cache->WriteRows(layer, kv_cache::KvPart::kKey, k.data(), k.dim(1), num_tokens, slots);
  step.cache->WriteRows(layer, kv_cache::KvPart::kValue, v.data(), v.dim(1), num_tokens, slots);

  Tensor out = s.Alloc(dtype, {num_tokens, local_heads_, hd});  // [T, heads_local, head_dim]
  DSI_RETURN_IF_ERROR(ops::Attention(q3, step.cache->View(layer, kv_cache::KvPart::kKey),
                                     step.cache->View(layer, kv_cache::KvPart::kValue),
                                     step.attention, spec_.scale, out, ctx.pool));
  Trace(out, "attn_out", layer);
  DSI_RETURN_IF_ERROR(o_proj_.Forward(ctx, out.Reshape({num_tokens, local_heads_ * hd}), y));
  Trace(y, "o_proj", layer);
  return Status::Ok();
}

void GqaAttention::ForEachWeight(const WeightVisitor& visit) {
  q_proj_.ForEachWeight(visit);
  k_proj_.ForEachWeight(visit);
  v_proj_.ForEachWeight(visit);
  o_proj_.ForEachWeight(visit);
}

}  // namespace dsi::layers
