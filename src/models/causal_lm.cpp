// CausalLM step plumbing shared by every family: batch validation, KV block reservation, the
// attention batch and cache slots, rotary tables, the decoder skeleton of a pipeline stage
// (embedding or stage input, blocks with fused residual norms, final norm and LM head) and the
// commit of the new cache lengths.
#include "models/causal_lm.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "layers/rotary.h"
#include "layers/trace.h"
#include "ops/elementwise.h"
#include "ops/op_checks.h"

namespace dsi::models {
namespace {

Tensor I32View(std::span<const int32_t> v) {
  return Tensor(const_cast<int32_t*>(v.data()), DType::kI32, {static_cast<int64_t>(v.size())});
}

Status CheckCacheSpec(const kv_cache::KvCacheSpec& want, const kv_cache::KvCacheSpec& have) {
  const bool same = want.layout == have.layout && want.num_layers == have.num_layers &&
                    want.num_kv_heads == have.num_kv_heads && want.head_dim == have.head_dim &&
                    want.kv_lora_rank == have.kv_lora_rank &&
                    want.qk_rope_head_dim == have.qk_rope_head_dim && want.dtype == have.dtype;
  if (same) return Status::Ok();
  return InvalidArgument("forward: the KV cache holds " + have.ToString() + " but the model needs " +
                         want.ToString() + " (create it from model.KvSpec())");
}

}  // namespace

CausalLM::CausalLM(const ModelConfig& config, const ModelOptions& options, size_t scratch_bytes)
    : config_(config), options_(options), scratch_(scratch_bytes) {
  if (options_.tp == nullptr) {
    own_tp_ = std::make_unique<dist::SingleProcessCommunicator>();
    tp_ = own_tp_.get();
  } else {
    tp_ = options_.tp;
  }
  ops::GemmOptions gemm_options;
  gemm_options.num_threads = options_.gemm_threads;
  gemm_ = std::make_unique<ops::Gemm>(gemm_options);
  // CreateModel has validated the range.
  layer_begin_ = options_.layer_begin;
  layer_end_ = options_.layer_end < 0 ? config_.num_hidden_layers : options_.layer_end;
}

CausalLM::~CausalLM() = default;

void CausalLM::BuildEnds() {
  const ModelConfig& c = config_;
  const layers::TpShard tp = shard();
  if (first_stage()) {
    embed_tokens_ =
        layers::Embedding("model.embed_tokens", c.vocab_size, c.hidden_size, tp, dtype());
  }
  if (last_stage()) {
    norm_ = layers::RmsNorm("model.norm", c.hidden_size, c.rms_norm_eps, dtype());
    // Tied embeddings on a last stage without the embedding: the head loads the matrix itself.
    const bool tied = c.tie_word_embeddings;
    lm_head_ = layers::LmHead(tied && !first_stage() ? "model.embed_tokens" : "lm_head",
                              c.vocab_size, c.hidden_size, tp, dtype(),
                              tied && first_stage() ? &embed_tokens_ : nullptr);
  }
}

void CausalLM::ForEachWeight(const layers::WeightVisitor& visit) {
  if (first_stage()) embed_tokens_.ForEachWeight(visit);
  ForEachBlockWeight(visit);
  if (last_stage()) {
    norm_.ForEachWeight(visit);
    lm_head_.ForEachWeight(visit);
  }
}

Status CausalLM::Prepare(const ForwardBatch& batch, kv_cache::KvCache& cache,
                         layers::StepBatch& step) {
  const int64_t num_tokens = static_cast<int64_t>(batch.token_ids.size());
  const int64_t num_seqs = static_cast<int64_t>(batch.sequences.size());
  if (num_tokens == 0) return InvalidArgument("forward: empty batch");
  if (batch.positions.size() != batch.token_ids.size() ||
      batch.token_seq.size() != batch.token_ids.size()) {
    return InvalidArgument("forward: token_ids, positions and token_seq differ in length (" +
                           std::to_string(num_tokens) + ", " +
                           std::to_string(batch.positions.size()) + ", " +
                           std::to_string(batch.token_seq.size()) + ")");
  }
  DSI_RETURN_IF_ERROR(CheckCacheSpec(KvSpec(), cache.spec()));

  // Each sequence's rows: consecutive, in position order, continuing its cache.
  step_sequences_.assign(num_seqs, layers::StepSequence{-1, -1, 0});
  for (int64_t s = 0; s < num_seqs; ++s) {
    if (batch.sequences[s] == nullptr || batch.sequences[s]->cache() != &cache) {
      return InvalidArgument("forward: sequence " + std::to_string(s) +
                             " has no cache handle from this KV cache");
    }
  }
  for (int64_t t = 0; t < num_tokens; ++t) {
    const int32_t s = batch.token_seq[t];
    if (s < 0 || s >= num_seqs) {
      return InvalidArgument("forward: token_seq[" + std::to_string(t) + "] = " +
                             std::to_string(s) + " outside [0, " + std::to_string(num_seqs) + ")");
    }
    layers::StepSequence& seq = step_sequences_[s];
    if (seq.token_begin < 0) {
      seq.token_begin = seq.token_end = t;
    } else if (seq.token_end != t) {
      return InvalidArgument("forward: the tokens of sequence " + std::to_string(s) +
                             " are not consecutive rows of the batch (row " + std::to_string(t) +
                             ")");
    }
    const int64_t want = batch.sequences[s]->num_tokens() + (t - seq.token_begin);
    if (batch.positions[t] != want) {
      return InvalidArgument("forward: positions[" + std::to_string(t) + "] = " +
                             std::to_string(batch.positions[t]) + " but sequence " +
                             std::to_string(s) + " continues at position " + std::to_string(want));
    }
    seq.token_end = t + 1;
  }
  int64_t max_blocks = 1;
  for (int64_t s = 0; s < num_seqs; ++s) {
    layers::StepSequence& seq = step_sequences_[s];
    if (seq.token_begin < 0) seq.token_begin = seq.token_end = 0;
    seq.kv_len = batch.sequences[s]->num_tokens() + (seq.token_end - seq.token_begin);
    seq.rope_len = seq.kv_len;
    if (!batch.chunk_ends.empty()) {
      if (batch.chunk_ends.size() != batch.sequences.size() || batch.chunk_ends[s] < seq.kv_len) {
        return InvalidArgument("forward: chunk_ends must hold, per sequence, a length no shorter "
                               "than its cache after this batch");
      }
      seq.rope_len = batch.chunk_ends[s];
    }
    DSI_RETURN_IF_ERROR(batch.sequences[s]->Reserve(seq.kv_len));
    max_blocks = std::max<int64_t>(max_blocks, batch.sequences[s]->block_table().size());
  }
  for (size_t i = 0; i < batch.logit_rows.size(); ++i) {
    if (batch.logit_rows[i] < 0 || batch.logit_rows[i] >= num_tokens) {
      return InvalidArgument("forward: logit_rows[" + std::to_string(i) + "] = " +
                             std::to_string(batch.logit_rows[i]) + " outside [0, " +
                             std::to_string(num_tokens) + ")");
    }
  }

  layers::Scratch& s = scratch_;
  step.num_tokens = num_tokens;
  step.attention.positions = I32View(batch.positions);
  step.attention.token_seq = I32View(batch.token_seq);
  step.attention.block_tables = s.AllocZeros(DType::kI32, {std::max<int64_t>(num_seqs, 1), max_blocks});
  step.attention.kv_lens = s.AllocZeros(DType::kI32, {std::max<int64_t>(num_seqs, 1)});
  step.attention.block_size = cache.block_size();
  for (int64_t i = 0; i < num_seqs; ++i) {
    const std::span<const int32_t> table = batch.sequences[i]->block_table();
    std::copy(table.begin(), table.end(),
              step.attention.block_tables.data_as<int32_t>() + i * max_blocks);
    step.attention.kv_lens.data_as<int32_t>()[i] = static_cast<int32_t>(step_sequences_[i].kv_len);
  }
  step.slots = s.Alloc(DType::kI32, {num_tokens});
  for (int64_t t = 0; t < num_tokens; ++t) {
    step.slots.data_as<int32_t>()[t] =
        batch.sequences[batch.token_seq[t]]->SlotOf(batch.positions[t]);
  }
  const int64_t half = rotary().rot_dim() / 2;
  step.cos = s.Alloc(DType::kF32, {num_tokens, half});
  step.sin = s.Alloc(DType::kF32, {num_tokens, half});
  step.sequences = step_sequences_.data();
  step.num_sequences = num_seqs;
  step.cache = &cache;
  return Status::Ok();
}

Status CausalLM::Forward(const ForwardBatch& batch, kv_cache::KvCache& cache,
                         const Tensor& logits) {
  if (!first_stage() || !last_stage()) {
    return InvalidArgument("forward: this model is the pipeline stage of layers [" +
                              std::to_string(layer_begin_) + ", " + std::to_string(layer_end_) +
                              "); use ForwardStage");
  }
  return ForwardStage(batch, cache, Tensor(), logits);
}

Status CausalLM::ForwardStage(const ForwardBatch& batch, kv_cache::KvCache& cache,
                              const Tensor& input, const Tensor& output) {
  scratch_.Reset();
  const int64_t num_tokens = static_cast<int64_t>(batch.token_ids.size());
  if (last_stage()) {
    DSI_RETURN_IF_ERROR(ops::CheckRank("forward", "logits", output, 2));
    DSI_RETURN_IF_ERROR(ops::CheckDType("forward", "logits", output, {DType::kF32}));
    DSI_RETURN_IF_ERROR(ops::CheckShape(
        "forward", "logits", output,
        {static_cast<int64_t>(batch.logit_rows.size()), config_.vocab_size}));
  } else {
    DSI_RETURN_IF_ERROR(ops::CheckDType("forward", "stage output", output, {dtype()}));
    DSI_RETURN_IF_ERROR(
        ops::CheckShape("forward", "stage output", output, {num_tokens, config_.hidden_size}));
  }
  if (!first_stage()) {
    DSI_RETURN_IF_ERROR(ops::CheckDType("forward", "stage input", input, {dtype()}));
    DSI_RETURN_IF_ERROR(
        ops::CheckShape("forward", "stage input", input, {num_tokens, config_.hidden_size}));
  }
  layers::StepBatch step;
  DSI_RETURN_IF_ERROR(Prepare(batch, cache, step));
  DSI_RETURN_IF_ERROR(layers::ComputeRotaryTables(rotary(), step));
  const layers::ForwardContext ctx{tp_, gemm_.get(), options_.pool, &scratch_};
  DSI_RETURN_IF_ERROR(ForwardStep(ctx, step, I32View(batch.token_ids), input,
                                  I32View(batch.logit_rows), output));
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    batch.sequences[s]->set_num_tokens(step_sequences_[s].kv_len);
  }
  return Status::Ok();
}

Status CausalLM::ForwardStep(const layers::ForwardContext& ctx, const layers::StepBatch& step,
                             const Tensor& token_ids, const Tensor& input,
                             const Tensor& logit_rows, const Tensor& output) {
  layers::Scratch& s = *ctx.scratch;
  const int64_t num_tokens = step.num_tokens, hidden = config_.hidden_size;
  Tensor h = s.Alloc(dtype(), {num_tokens, hidden});       // [T, hidden] residual stream
  Tensor normed = s.Alloc(dtype(), {num_tokens, hidden});  // [T, hidden] block input
  Tensor delta = s.Alloc(dtype(), {num_tokens, hidden});   // [T, hidden] block output
  if (first_stage()) {
    DSI_RETURN_IF_ERROR(embed_tokens_.Forward(ctx, token_ids, h));
    layers::Trace(h, "embed");
  } else {
    std::memcpy(h.data(), input.data(), h.SizeBytes());
  }
  DSI_RETURN_IF_ERROR(InputNorm(0).Forward(ctx, h, normed));
  for (int64_t b = 0; b < num_blocks(); ++b) {
    DSI_RETURN_IF_ERROR(Attention(ctx, step, b, normed, delta));
    DSI_RETURN_IF_ERROR(PostAttentionNorm(b).AddForward(ctx, delta, h, normed));
    layers::Trace(h, "h_attn", static_cast<int>(layer_begin_ + b));
    DSI_RETURN_IF_ERROR(Ffn(ctx, b, normed, delta));
    if (b + 1 < num_blocks()) {
      DSI_RETURN_IF_ERROR(InputNorm(b + 1).AddForward(ctx, delta, h, normed));
    } else if (last_stage()) {
      DSI_RETURN_IF_ERROR(norm_.AddForward(ctx, delta, h, normed));
    } else {
      // The next stage's first input norm applies to the rounded sum, as the fused form does.
      DSI_RETURN_IF_ERROR(ops::Add(h, delta, output, ctx.pool));
    }
    layers::Trace(last_stage() || b + 1 < num_blocks() ? h : output, "h_out",
                  static_cast<int>(layer_begin_ + b));
  }
  if (!last_stage()) return Status::Ok();
  Tensor rows = s.Alloc(dtype(), {logit_rows.dim(0), hidden});  // [R, hidden] final-normed
  GatherRows(normed, logit_rows, rows);
  DSI_RETURN_IF_ERROR(lm_head_.Forward(ctx, rows, output));
  layers::Trace(output, "logits");
  return Status::Ok();
}

ops::RopeConfig RopeConfigOf(const ModelConfig& config) {
  ops::RopeConfig r;
  r.rot_dim = static_cast<int>(config.is_mla() ? config.qk_rope_head_dim : config.head_dim);
  r.base = config.rope_theta;
  r.max_position_embeddings = config.max_position_embeddings;
  const RopeScaling& s = config.rope_scaling;
  switch (s.type) {
    case RopeType::kLinear:
      r.scaling.type = ops::RopeScalingType::kLinear;
      break;
    case RopeType::kDynamic:
      r.scaling.type = ops::RopeScalingType::kDynamic;
      break;
    case RopeType::kYarn:
      r.scaling.type = ops::RopeScalingType::kYarn;
      break;
    default:
      r.scaling.type = ops::RopeScalingType::kDefault;
  }
  r.scaling.factor = s.factor;
  r.scaling.original_max_position_embeddings = s.original_max_position_embeddings.value_or(0);
  r.scaling.beta_fast = s.beta_fast;
  r.scaling.beta_slow = s.beta_slow;
  r.scaling.mscale = s.mscale.value_or(0.0);
  r.scaling.mscale_all_dim = s.mscale_all_dim.value_or(0.0);
  r.scaling.attention_factor = s.attention_factor;
  return r;
}

void GatherRows(const Tensor& x, const Tensor& rows, const Tensor& out) {
  const size_t row_bytes = x.dim(1) * DTypeSize(x.dtype());
  for (int64_t i = 0; i < rows.dim(0); ++i) {
    std::memcpy(static_cast<char*>(out.data()) + i * row_bytes,
                static_cast<const char*>(x.data()) + rows.data_as<int32_t>()[i] * row_bytes,
                row_bytes);
  }
}

size_t ScratchEstimate(const ModelConfig& config, const ModelOptions& options,
                       int64_t per_token_elements, int64_t extra_bytes) {
  const int64_t t = std::max<int64_t>(options.max_tokens_per_step, 1);
  const int64_t elem = static_cast<int64_t>(DTypeSize(options.compute_dtype));
  // Activations, the step tables (slots, positions, cos/sin) and f32 logits for every row.
  return static_cast<size_t>(t * per_token_elements * elem + t * config.vocab_size * 8 +
                             t * (config.head_dim + config.qk_rope_head_dim + 16) * 8 +
                             extra_bytes + (1 << 16));
}

}  // namespace dsi::models
