// MoE forward: route (fp32), run owned experts (or their etp shards) over their tokens, combine,
// one all-reduce.
#include "layers/moe.h"

#include <cstring>
#include <string>

#include "core/logging.h"
#include "layers/trace.h"
#include "ops/elementwise.h"

namespace dsi::layers {

Status Moe::Validate(const MoeSpec& spec, TpShard shard) {
  const std::string where = spec.prefix.empty() ? std::string("moe") : spec.prefix;
  if (spec.ep < 0 || (spec.ep > 0 && shard.size % spec.ep != 0)) {
    return InvalidArgument(where + ": expert parallel size ep = " + std::to_string(spec.ep) +
                           " does not divide the tensor parallel size " +
                           std::to_string(shard.size) +
                           " (ep must be a divisor of tp, or 0 for ep = tp)");
  }
  const int ep = spec.ep == 0 ? shard.size : spec.ep;
  const int etp = shard.size / ep;
  if (spec.moe_intermediate_size % etp != 0) {
    return InvalidArgument(where + ": moe_intermediate_size " +
                           std::to_string(spec.moe_intermediate_size) +
                           " is not divisible by the expert tensor parallel size etp = tp / ep = " +
                           std::to_string(shard.size) + " / " + std::to_string(ep) + " = " +
                           std::to_string(etp));
  }
  return Status::Ok();
}

Result<Moe> Moe::Create(const MoeSpec& spec, TpShard shard, DType dtype) {
  DSI_RETURN_IF_ERROR(Validate(spec, shard));
  return Moe(spec, shard, dtype);
}

Moe::Moe(const MoeSpec& spec, TpShard shard, DType dtype)
    : spec_(spec), router_(DType::kF32, {spec.routing.num_experts, spec.hidden_size}) {
  const Status valid = Validate(spec, shard);
  DSI_CHECK(valid.ok()) << valid.ToString();
  // [NOTE: MoE expert layout]: the tp group viewed as ep × etp, etp innermost.
  const int ep = spec.ep == 0 ? shard.size : spec.ep;
  const int etp = shard.size / ep;
  expert_shard_ = {shard.rank / etp, ep};
  expert_tensor_shard_ = {shard.rank % etp, etp};
  experts_range_ = Partition(spec.routing.num_experts, ep, expert_shard_.rank);
  if (spec.routing.method == ops::MoeTopkMethod::kNoauxTc) {
    correction_bias_ = Param(DType::kF32, {spec.routing.num_experts});
  }
  experts_.reserve(experts_range_.size());
  for (int64_t e = experts_range_.begin; e < experts_range_.end; ++e) {
    experts_.emplace_back(spec.prefix + ".experts." + std::to_string(e), spec.hidden_size,
                          spec.moe_intermediate_size, expert_tensor_shard_, dtype,
                          /*tensor_parallel=*/etp > 1);
  }
  if (spec.n_shared_experts > 0) {
    shared_.emplace_back(spec.prefix + ".shared_experts", spec.hidden_size,
                         spec.moe_intermediate_size * spec.n_shared_experts, shard, dtype);
  }
}

Status Moe::Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& y, int layer) const {
  Scratch::Scope scope(*ctx.scratch);
  Scratch& s = *ctx.scratch;
  const int64_t num_tokens = x.dim(0), hidden = spec_.hidden_size;
  const int top_k = spec_.routing.top_k, num_experts = spec_.routing.num_experts;
  const DType dtype = x.dtype();

  // Router in fp32 as HF: logits = x_f32 · W_f32ᵀ, [T, n_routed_experts].
  Tensor x_f32 = x;
  if (dtype != DType::kF32) {
    x_f32 = s.Alloc(DType::kF32, {num_tokens, hidden});
    DSI_RETURN_IF_ERROR(ops::Cast(x, x_f32, ctx.pool));
  }
  Tensor logits = s.Alloc(DType::kF32, {num_tokens, num_experts});
  DSI_RETURN_IF_ERROR(ctx.gemm->Run(x_f32, router_.tensor, nullptr, logits));
  Trace(logits, "router_logits", layer);
  Tensor ids = s.Alloc(DType::kI32, {num_tokens, top_k});      // [T, k]
  Tensor weights = s.Alloc(DType::kF32, {num_tokens, top_k});  // [T, k]
  DSI_RETURN_IF_ERROR(ops::MoeRoute(spec_.routing, logits,
                                    correction_bias_.empty() ? nullptr : &correction_bias_.tensor,
                                    ids, weights));
  Trace(ids, "expert_ids", layer);
  Trace(weights, "expert_weights", layer);

  // Tokens of each owned expert, ascending token order (counting sort over the owned range).
  const int32_t* id = ids.data_as<int32_t>();
  const float* w = weights.data_as<float>();
  const int64_t num_owned = experts_range_.size();
  Tensor counts = s.AllocZeros(DType::kI32, {num_owned + 1});
  int32_t* offset = counts.data_as<int32_t>();
  for (int64_t i = 0; i < num_tokens * top_k; ++i) {
    if (id[i] >= experts_range_.begin && id[i] < experts_range_.end) {
      ++offset[id[i] - experts_range_.begin + 1];
    }
  }
  for (int64_t e = 0; e < num_owned; ++e) offset[e + 1] += offset[e];
  const int64_t num_assigned = offset[num_owned];
  Tensor token_of = s.Alloc(DType::kI32, {num_assigned});
  Tensor weight_of = s.Alloc(DType::kF32, {num_assigned});
  {
    Tensor fill = s.Alloc(DType::kI32, {num_owned});
    std::memcpy(fill.data(), offset, num_owned * sizeof(int32_t));
    int32_t* next = fill.data_as<int32_t>();
    for (int64_t i = 0; i < num_tokens * top_k; ++i) {
      if (id[i] < experts_range_.begin || id[i] >= experts_range_.end) continue;
      const int32_t slot = next[id[i] - experts_range_.begin]++;
      token_of.data_as<int32_t>()[slot] = static_cast<int32_t>(i / top_k);
      weight_of.data_as<float>()[slot] = w[i];
    }
  }

  // acc: [T, hidden] f32 running sum; see [NOTE: MoE combine order].
  Tensor acc = s.AllocZeros(DType::kF32, {num_tokens, hidden});
  float* acc_data = acc.data_as<float>();
  const bool round_each = spec_.accumulate == MoeAccumulate::kActivationDType &&
                          dtype == DType::kBF16;
  const size_t row_bytes = hidden * DTypeSize(dtype);
  for (int64_t e = 0; e < num_owned; ++e) {
    const int64_t begin = offset[e], n = offset[e + 1] - begin;
    if (n == 0) continue;
    Scratch::Scope expert_scope(s);
    const int32_t* tokens = token_of.data_as<int32_t>() + begin;
    Tensor xe = s.Alloc(dtype, {n, hidden});  // [n, hidden] gathered rows
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(static_cast<char*>(xe.data()) + i * row_bytes,
                  static_cast<const char*>(x.data()) + tokens[i] * row_bytes, row_bytes);
    }
    Tensor ye = s.Alloc(dtype, {n, hidden});
    // etp > 1: ye is this rank's partial (its intermediate columns), reduced with the rest below.
    DSI_RETURN_IF_ERROR(experts_[e].Forward(ctx, xe, ye, layer, /*reduce=*/false));
    const float* we = weight_of.data_as<float>() + begin;
    for (int64_t i = 0; i < n; ++i) {
      float* a = acc_data + tokens[i] * hidden;
      if (dtype == DType::kF32) {
        const float* out = ye.data_as<float>() + i * hidden;
        for (int64_t c = 0; c < hidden; ++c) a[c] += we[i] * out[c];
      } else {
        const uint16_t* out = ye.data_as<uint16_t>() + i * hidden;
        for (int64_t c = 0; c < hidden; ++c) {
          const float term = BF16ToF32(out[c]) * we[i];
          a[c] = round_each ? BF16ToF32(F32ToBF16(a[c] + BF16ToF32(F32ToBF16(term)))) : a[c] + term;
        }
      }
    }
  }
  Trace(acc, "moe_routed", layer);
  DSI_RETURN_IF_ERROR(ops::Cast(acc, y, ctx.pool));
  if (!shared_.empty()) {
    Tensor shared = s.Alloc(dtype, {num_tokens, hidden});
    DSI_RETURN_IF_ERROR(shared_[0].Forward(ctx, x, shared, layer, /*reduce=*/false));
    Trace(shared, "moe_shared_partial", layer);
    DSI_RETURN_IF_ERROR(ops::Add(y, shared, y, ctx.pool));
  }
  ctx.tp->AllReduceSum(y);
  Trace(y, "moe_out", layer);
  return Status::Ok();
}

void Moe::ForEachWeight(const WeightVisitor& visit) {
  visit(WholeWeight(spec_.prefix + ".gate.weight", router_.tensor));
  if (!correction_bias_.empty()) {
    visit(WholeWeight(spec_.prefix + ".gate.e_score_correction_bias", correction_bias_.tensor));
  }
  for (Mlp& expert : experts_) expert.ForEachWeight(visit);
  for (Mlp& shared : shared_) shared.ForEachWeight(visit);
}

}  // namespace dsi::layers
