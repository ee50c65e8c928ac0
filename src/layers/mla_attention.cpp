// MLA forward: projections, latent norm, rotary, cache write, then the full or absorbed form.
#include "layers/mla_attention.h"

#include <algorithm>
#include <cstring>

#include "core/logging.h"
#include "layers/trace.h"
#include "ops/attention.h"

namespace dsi::layers {
namespace {

// dst[r, 0:cols] = src[r, 0:cols] for `rows` rows with the given row strides (elements).
void CopyRows(const void* src, int64_t src_stride, void* dst, int64_t dst_stride, int64_t rows,
              int64_t cols, size_t elem) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(static_cast<char*>(dst) + r * dst_stride * elem,
                static_cast<const char*>(src) + r * src_stride * elem, cols * elem);
  }
}

const char* ElementPtr(const Tensor& t, int64_t offset) {
  return static_cast<const char*>(t.data()) + offset * DTypeSize(t.dtype());
}

}  // namespace

const char* MlaFormName(MlaForm form) { return form == MlaForm::kFull ? "full" : "absorbed"; }

Result<MlaAttention> MlaAttention::Create(const MlaSpec& spec, TpShard shard, DType dtype) {
  if (spec.num_heads % shard.size != 0) {
    return InvalidArgument("num_attention_heads " + std::to_string(spec.num_heads) +
                           " is not divisible by tensor parallel size " +
                           std::to_string(shard.size));
  }
  MlaAttention a;
  a.spec_ = spec;
  a.local_heads_ = spec.num_heads / shard.size;
  const int64_t h = spec.hidden_size, qk = a.qk_head_dim();
  const std::string& p = spec.prefix;
  if (spec.q_lora_rank > 0) {
    a.q_a_proj_ = Linear(p + ".q_a_proj", h, spec.q_lora_rank, ParallelStyle::kReplicated, shard,
                         dtype);
    a.q_a_layernorm_ = RmsNorm(p + ".q_a_layernorm", spec.q_lora_rank, spec.latent_norm_eps, dtype);
    a.q_b_proj_ = Linear(p + ".q_b_proj", spec.q_lora_rank, spec.num_heads * qk,
                         ParallelStyle::kColumn, shard, dtype, ShardUnit(qk));
  } else {
    a.q_proj_ = Linear(p + ".q_proj", h, spec.num_heads * qk, ParallelStyle::kColumn, shard, dtype,
                       ShardUnit(qk));
  }
  a.kv_a_proj_ = Linear(p + ".kv_a_proj_with_mqa", h, spec.kv_lora_rank + spec.qk_rope_head_dim,
                        ParallelStyle::kReplicated, shard, dtype);
  a.kv_a_layernorm_ = RmsNorm(p + ".kv_a_layernorm", spec.kv_lora_rank, spec.latent_norm_eps, dtype);
  const int64_t kv_b_unit = spec.qk_nope_head_dim + spec.v_head_dim;
  a.kv_b_proj_ = Linear(p + ".kv_b_proj", spec.kv_lora_rank, spec.num_heads * kv_b_unit,
                        ParallelStyle::kColumn, shard, dtype, ShardUnit(kv_b_unit));
  a.o_proj_ = Linear(p + ".o_proj", spec.num_heads * spec.v_head_dim, h, ParallelStyle::kRow,
                     shard, dtype, ShardUnit(spec.v_head_dim));
  if (spec.form == MlaForm::kAbsorbed) {
    // ops::Gemm multiplies by Wᵀ, so W_UK is kept transposed per head (an extra copy of half of
    // kv_b_proj; W_UV is used in place).
    a.w_uk_t_ = Param(dtype, {a.local_heads_, spec.kv_lora_rank, spec.qk_nope_head_dim});
  }
  return a;
}

void MlaAttention::ForEachWeight(const WeightVisitor& visit) {
  if (spec_.q_lora_rank > 0) {
    q_a_proj_.ForEachWeight(visit);
    q_a_layernorm_.ForEachWeight(visit);
    q_b_proj_.ForEachWeight(visit);
  } else {
    q_proj_.ForEachWeight(visit);
  }
  kv_a_proj_.ForEachWeight(visit);
  kv_a_layernorm_.ForEachWeight(visit);
  kv_b_proj_.ForEachWeight(visit);
  o_proj_.ForEachWeight(visit);
}

void MlaAttention::FinishLoading() {
  if (w_uk_t_.empty()) return;  // full form
  // kv_b rows of head h: [h·(nope + v), +nope) = W_UK_h [nope, kv_lora], then W_UV_h [v, kv_lora].
  const int64_t nope = spec_.qk_nope_head_dim, kv_lora = spec_.kv_lora_rank;
  const int64_t unit = nope + spec_.v_head_dim;
  const size_t elem = DTypeSize(w_uk_t_.tensor.dtype());
  const char* kv_b = static_cast<const char*>(kv_b_proj_.weight().data());
  char* dst = static_cast<char*>(w_uk_t_.tensor.data());
  for (int64_t h = 0; h < local_heads_; ++h) {
    for (int64_t i = 0; i < nope; ++i) {
      for (int64_t c = 0; c < kv_lora; ++c) {
        std::memcpy(dst + ((h * kv_lora + c) * nope + i) * elem,
                    kv_b + ((h * unit + i) * kv_lora + c) * elem, elem);
      }
    }
  }
}

Status MlaAttention::Forward(const ForwardContext& ctx, const StepBatch& step, int layer,
                             const Tensor& x, const Tensor& y) const {
  Scratch::Scope scope(*ctx.scratch);
  Scratch& s = *ctx.scratch;
  const int64_t num_tokens = x.dim(0), qk = qk_head_dim();
  const int64_t kv_lora = spec_.kv_lora_rank, rope = spec_.qk_rope_head_dim;
  const DType dtype = kv_a_proj_.weight().dtype();
  const size_t elem = DTypeSize(dtype);

  Tensor q = s.Alloc(dtype, {num_tokens, local_heads_ * qk});  // [T, heads_local · qk_head_dim]
  if (spec_.q_lora_rank > 0) {
    Tensor q_a = s.Alloc(dtype, {num_tokens, spec_.q_lora_rank});  // [T, q_lora_rank]
    DSI_RETURN_IF_ERROR(q_a_proj_.Forward(ctx, x, q_a));
    DSI_RETURN_IF_ERROR(q_a_layernorm_.Forward(ctx, q_a, q_a));
    Trace(q_a, "q_a_norm", layer);
    DSI_RETURN_IF_ERROR(q_b_proj_.Forward(ctx, q_a, q));
  } else {
    DSI_RETURN_IF_ERROR(q_proj_.Forward(ctx, x, q));
  }
  Trace(q, "q", layer);
  Tensor kv_a = s.Alloc(dtype, {num_tokens, kv_lora + rope});  // [T, kv_lora_rank + rope]
  DSI_RETURN_IF_ERROR(kv_a_proj_.Forward(ctx, x, kv_a));
  Trace(kv_a, "kv_a", layer);
  Tensor latent = s.Alloc(dtype, {num_tokens, kv_lora});  // [T, kv_lora_rank] ĉ
  CopyRows(kv_a.data(), kv_lora + rope, latent.data(), kv_lora, num_tokens, kv_lora, elem);
  DSI_RETURN_IF_ERROR(kv_a_layernorm_.Forward(ctx, latent, latent));
  Trace(latent, "latent", layer);

  // Rotate q_pe (dims [nope, qk) of every head) and the shared k_pe (dims [kv_lora, +rope)).
  const Tensor q3 = q.Reshape({num_tokens, local_heads_, qk});
  DSI_RETURN_IF_ERROR(ops::ApplyRotary(q3, spec_.qk_nope_head_dim, step.cos, step.sin,
                                       spec_.rope_layout, ctx.pool, spec_.rope_bf16_hf_rounding));
  DSI_RETURN_IF_ERROR(ops::ApplyRotary(kv_a.Reshape({num_tokens, 1, kv_lora + rope}), kv_lora,
                                       step.cos, step.sin, spec_.rope_layout, ctx.pool,
                                       spec_.rope_bf16_hf_rounding));
  Trace(q, "q_rot", layer);
  Trace(kv_a, "kv_a_rot", layer);

  const int32_t* slots = step.slots.data_as<int32_t>();
  step.cache->WriteRows(layer, kv_cache::KvPart::kLatent, latent.data(), kv_lora, num_tokens,
                        slots);
  step.cache->WriteRows(layer, kv_cache::KvPart::kRope, ElementPtr(kv_a, kv_lora), kv_lora + rope,
                        num_tokens, slots);

  Tensor out = s.Alloc(dtype, {num_tokens, local_heads_, spec_.v_head_dim});  // [T, heads, v]
  if (spec_.form == MlaForm::kFull) {
    DSI_RETURN_IF_ERROR(FullAttention(ctx, step, layer, q3, out));
  } else {
    DSI_RETURN_IF_ERROR(AbsorbedAttention(ctx, step, layer, q3, out));
  }
  Trace(out, "attn_out", layer);
  DSI_RETURN_IF_ERROR(
      o_proj_.Forward(ctx, out.Reshape({num_tokens, local_heads_ * spec_.v_head_dim}), y));
  Trace(y, "o_proj", layer);
  return Status::Ok();
}

Status MlaAttention::FullAttention(const ForwardContext& ctx, const StepBatch& step, int layer,
                                   const Tensor& q, const Tensor& out) const {
  Scratch& s = *ctx.scratch;
  const int64_t heads = local_heads_, nope = spec_.qk_nope_head_dim, rope = spec_.qk_rope_head_dim;
  const int64_t qk = qk_head_dim(), v_dim = spec_.v_head_dim, kv_lora = spec_.kv_lora_rank;
  const int64_t unit = nope + v_dim;
  const DType dtype = q.dtype();
  const size_t elem = DTypeSize(dtype);
  const Tensor& tables = step.attention.block_tables;
  for (int64_t si = 0; si < step.num_sequences; ++si) {
    Scratch::Scope scope(s);
    const StepSequence& seq = step.sequences[si];
    const int64_t len = seq.kv_len, num_q = seq.token_end - seq.token_begin;
    if (num_q == 0) continue;
    const int32_t* table = tables.data_as<int32_t>() + si * tables.dim(1);
    Tensor latent = s.Alloc(dtype, {len, kv_lora});  // [kv_len, kv_lora_rank] from the cache
    Tensor k_pe = s.Alloc(dtype, {len, rope});       // [kv_len, rope]
    step.cache->ReadRows(layer, kv_cache::KvPart::kLatent, table, len, latent.data(), kv_lora);
    step.cache->ReadRows(layer, kv_cache::KvPart::kRope, table, len, k_pe.data(), rope);
    Tensor kv = s.Alloc(dtype, {len, heads * unit});  // [kv_len, heads · (nope + v)]
    DSI_RETURN_IF_ERROR(kv_b_proj_.Forward(ctx, latent, kv));
    Tensor keys = s.Alloc(dtype, {len, heads, qk});  // [kv_len, heads, nope | rope]
    for (int64_t h = 0; h < heads; ++h) {
      CopyRows(ElementPtr(kv, h * unit), heads * unit,
               static_cast<char*>(keys.data()) + h * qk * elem, heads * qk, len, nope, elem);
      CopyRows(k_pe.data(), rope, static_cast<char*>(keys.data()) + (h * qk + nope) * elem,
               heads * qk, len, rope, elem);
    }
    Trace(keys, "k_full", layer);
    ops::KvCacheView kv_k{.data = keys.data(), .dtype = dtype, .num_blocks = 1,
                          .block_stride = len * heads * qk, .token_stride = heads * qk,
                          .head_stride = qk, .num_heads = heads, .head_dim = qk};
    ops::KvCacheView kv_v{.data = ElementPtr(kv, nope), .dtype = dtype, .num_blocks = 1,
                          .block_stride = len * heads * unit, .token_stride = heads * unit,
                          .head_stride = unit, .num_heads = heads, .head_dim = v_dim};
    // One sequence whose cache is one block of kv_len tokens.
    Tensor one_block = s.AllocZeros(DType::kI32, {1, 1});
    Tensor kv_lens = s.Alloc(DType::kI32, {1});
    kv_lens.data_as<int32_t>()[0] = static_cast<int32_t>(len);
    ops::AttentionBatch batch{
        .positions = step.attention.positions.SliceRows(seq.token_begin, seq.token_end),
        .token_seq = s.AllocZeros(DType::kI32, {num_q}),
        .block_tables = one_block,
        .kv_lens = kv_lens,
        .block_size = static_cast<int32_t>(len)};
    DSI_RETURN_IF_ERROR(ops::Attention(q.SliceRows(seq.token_begin, seq.token_end), kv_k, kv_v,
                                       batch, spec_.scale,
                                       out.SliceRows(seq.token_begin, seq.token_end), ctx.pool));
  }
  return Status::Ok();
}

Status MlaAttention::AbsorbedAttention(const ForwardContext& ctx, const StepBatch& step, int layer,
                                       const Tensor& q, const Tensor& out) const {
  Scratch& s = *ctx.scratch;
  const int64_t num_tokens = q.dim(0), heads = local_heads_;
  const int64_t nope = spec_.qk_nope_head_dim, rope = spec_.qk_rope_head_dim;
  const int64_t qk = qk_head_dim(), v_dim = spec_.v_head_dim, kv_lora = spec_.kv_lora_rank;
  const int64_t unit = nope + v_dim;
  const DType dtype = q.dtype();
  const size_t elem = DTypeSize(dtype);
  // [NOTE: absorbed query precision] q_lat and q_pe stay f32 even in a bf16 model: q_lat is a
  // sum over qk_nope_head_dim products that HF never rounds (it rounds k_nope = W_UK·ĉ instead),
  // and rounding it to bf16 moved router inputs two layers later enough to flip an expert.
  Tensor q_lat = s.Alloc(DType::kF32, {num_tokens, heads, kv_lora});  // [T, heads, kv_lora_rank]
  Tensor q_pe = s.Alloc(DType::kF32, {num_tokens, heads, rope});      // [T, heads, rope]
  // Per-head GEMM operands, reused by every head.
  void* head_in = s.Alloc(dtype, {num_tokens, std::max(nope, kv_lora)}).data();
  void* head_lat = s.Alloc(DType::kF32, {num_tokens, kv_lora}).data();
  void* head_out = s.Alloc(dtype, {num_tokens, v_dim}).data();
  const Tensor w_uk_t = w_uk_t_.tensor.Reshape({heads * kv_lora, nope});
  for (int64_t h = 0; h < heads; ++h) {
    // q_lat_h = q_nope_h · W_UK_h: [T, nope] x [nope, kv_lora].
    const Tensor q_nope_h(head_in, dtype, {num_tokens, nope});
    CopyRows(ElementPtr(q, h * qk), heads * qk, q_nope_h.data(), nope, num_tokens, nope, elem);
    const Tensor lat_h(head_lat, DType::kF32, {num_tokens, kv_lora});
    DSI_RETURN_IF_ERROR(
        ctx.gemm->Run(q_nope_h, w_uk_t.SliceRows(h * kv_lora, (h + 1) * kv_lora), nullptr, lat_h));
    CopyRows(lat_h.data(), kv_lora, q_lat.data_as<float>() + h * kv_lora, heads * kv_lora,
             num_tokens, kv_lora, sizeof(float));
    for (int64_t t = 0; t < num_tokens; ++t) {
      float* dst = q_pe.data_as<float>() + (t * heads + h) * rope;
      const int64_t src = t * heads * qk + h * qk + nope;
      for (int64_t i = 0; i < rope; ++i) {
        dst[i] = dtype == DType::kF32 ? q.data_as<float>()[src + i]
                                      : BF16ToF32(q.data_as<uint16_t>()[src + i]);
      }
    }
  }
  Trace(q_lat, "q_nope_absorbed", layer);
  Tensor o_lat = s.Alloc(dtype, {num_tokens, heads, kv_lora});  // [T, heads, kv_lora_rank]
  DSI_RETURN_IF_ERROR(ops::MlaAbsorbedAttention(
      q_lat, q_pe, step.cache->View(layer, kv_cache::KvPart::kLatent),
      step.cache->View(layer, kv_cache::KvPart::kRope), step.attention, spec_.scale, o_lat,
      ctx.pool));
  Trace(o_lat, "o_latent", layer);
  const Tensor& kv_b = kv_b_proj_.weight();  // [heads · (nope + v), kv_lora]
  for (int64_t h = 0; h < heads; ++h) {
    // out_h = o_lat_h · W_UV_hᵀ: [T, kv_lora] x [kv_lora, v].
    const Tensor o_lat_h(head_in, dtype, {num_tokens, kv_lora});
    CopyRows(ElementPtr(o_lat, h * kv_lora), heads * kv_lora, o_lat_h.data(), kv_lora, num_tokens,
             kv_lora, elem);
    const Tensor out_h(head_out, dtype, {num_tokens, v_dim});
    DSI_RETURN_IF_ERROR(ctx.gemm->Run(
        o_lat_h, kv_b.SliceRows(h * unit + nope, (h + 1) * unit), nullptr, out_h));
    CopyRows(out_h.data(), v_dim, static_cast<char*>(out.data()) + h * v_dim * elem,
             heads * v_dim, num_tokens, v_dim, elem);
  }
  return Status::Ok();
}

}  // namespace dsi::layers
