// CausalLM: the model interface the runtime drives. One Forward serves prefill, decode and
// mixed steps: a ragged batch of new tokens of several sequences goes in, their keys go into
// the paged cache, and the logits of the requested rows come out. Every model works with a
// tensor-parallel communicator of any size (size 1 in a single process) and can be built as
// one pipeline stage: a contiguous range of decoder layers whose input and output are the
// residual stream (ForwardStage); passing it between stages is the caller's job.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "dist/communicator.h"
#include "kv_cache/kv_cache.h"
#include "layers/context.h"
#include "layers/embedding.h"
#include "layers/mla_attention.h"
#include "layers/moe.h"
#include "layers/rms_norm.h"
#include "layers/scratch.h"
#include "layers/weights.h"
#include "models/config.h"
#include "ops/gemm.h"
#include "ops/rotary.h"

namespace dsi::models {

using layers::MlaForm;
using layers::MoeAccumulate;

// A ragged batch. The tokens of one sequence are consecutive rows of the batch, in position
// order, and continue that sequence's cache: positions num_tokens(), num_tokens() + 1, ...
struct ForwardBatch {
  std::span<const int32_t> token_ids;  // [T]
  std::span<const int32_t> positions;  // [T]
  std::span<const int32_t> token_seq;  // [T] index into `sequences`
  std::span<kv_cache::SequenceKv* const> sequences;
  // Rows of the batch whose logits are wanted (e.g. each sequence's last token, or all rows);
  // logits row i belongs to batch row logit_rows[i].
  std::span<const int32_t> logit_rows;
  // Optional, per sequence: where its current chunk ends when the caller splits the chunk over
  // several forwards (pipeline micro-batches); dynamic-NTK rotary scaling uses it so that the
  // split gives the rotation of one forward. Empty: each sequence's length after this batch.
  std::span<const int32_t> chunk_ends;
};

struct ModelOptions {
  DType compute_dtype = DType::kF32;  // f32 (reference) or bf16
  dist::Communicator* tp = nullptr;   // tensor-parallel group; null: a single process
  ThreadPool* pool = nullptr;         // may be null (ops run on the calling thread)
  MlaForm mla_form = MlaForm::kAbsorbed;
  MoeAccumulate moe_accumulate = MoeAccumulate::kActivationDType;
  int64_t max_tokens_per_step = 256;  // initial scratch sizing (see layers::Scratch)
  int64_t max_seq_len = 4096;         // initial scratch sizing of the full MLA form
  int gemm_threads = 0;               // oneDNN threads; 0: OpenMP default
  // Pipeline stage: this model holds decoder layers [layer_begin, layer_end) (layer_end -1:
  // through the last layer). The first stage also holds the embedding, the last one the final
  // norm and the LM head (with tied embeddings it loads the embedding matrix for it).
  int64_t layer_begin = 0;
  int64_t layer_end = -1;
  // Expert-parallel size inside the tensor-parallel group (dist/world.h [NOTE: expert
  // layout]); 0: the tp size (whole experts per rank).
  int ep = 0;
};

class CausalLM {
 public:
  virtual ~CausalLM();
  CausalLM(const CausalLM&) = delete;
  CausalLM& operator=(const CausalLM&) = delete;

  const ModelConfig& config() const { return config_; }
  const ModelOptions& options() const { return options_; }
  layers::TpShard shard() const { return {tp_->rank(), tp_->size()}; }
  // What this rank's KV cache must hold (layout, local heads, dtype).
  virtual kv_cache::KvCacheSpec KvSpec() const = 0;

  // Runs the batch; logits: [batch.logit_rows.size(), vocab_size] f32. Each sequence's cache
  // grows by its tokens (ResourceExhausted if blocks run out: nothing is computed then) and its
  // num_tokens() advances only when the whole step succeeded.
  // Whole models only (one stage holding every layer).
  Status Forward(const ForwardBatch& batch, kv_cache::KvCache& cache, const Tensor& logits);
  // One pipeline stage. input: [T, hidden] in the compute dtype, the previous stage's output
  // (ignored on the first stage, which embeds batch.token_ids). output: the logits as in
  // Forward on the last stage, else [T, hidden] in the compute dtype for the next stage.
  Status ForwardStage(const ForwardBatch& batch, kv_cache::KvCache& cache, const Tensor& input,
                      const Tensor& output);

  bool first_stage() const { return layer_begin_ == 0; }
  bool last_stage() const { return layer_end_ == config_.num_hidden_layers; }
  int64_t layer_begin() const { return layer_begin_; }
  int64_t layer_end() const { return layer_end_; }

  // Every parameter of this rank with its HF name and shard (used by the weight loader).
  void ForEachWeight(const layers::WeightVisitor& visit);
  // Called once after every weight is loaded (derived weights, e.g. MLA's absorbed W_UK).
  virtual void FinishLoading() {}

  const layers::Scratch& scratch() const { return scratch_; }

 protected:
  CausalLM(const ModelConfig& config, const ModelOptions& options, size_t scratch_bytes);

  // Builds the embedding (first stage), final norm and LM head (last stage); families call it
  // from their Build.
  void BuildEnds();
  // The family's decoder blocks of this stage, by local index b in [0, num_blocks()) (global
  // layer layer_begin() + b; the KV cache holds this stage's layers by local index).
  int64_t num_blocks() const { return layer_end_ - layer_begin_; }
  virtual const layers::RmsNorm& InputNorm(int64_t b) const = 0;
  // Block b is pre-norm: h += Attention(InputNorm(h)); h += Ffn(PostAttentionNorm(h)). The
  // families supply the parts; ForwardStep fuses each residual add with the next norm.
  virtual const layers::RmsNorm& PostAttentionNorm(int64_t b) const = 0;
  // x, y: [T, hidden]; y is complete (tensor-parallel partial sums reduced).
  virtual Status Attention(const layers::ForwardContext& ctx, const layers::StepBatch& step,
                           int64_t b, const Tensor& x, const Tensor& y) const = 0;
  virtual Status Ffn(const layers::ForwardContext& ctx, int64_t b, const Tensor& x,
                     const Tensor& y) const = 0;
  virtual void ForEachBlockWeight(const layers::WeightVisitor& visit) = 0;
  virtual const ops::RotaryEmbedding& rotary() const = 0;

  DType dtype() const { return options_.compute_dtype; }

 private:
  Status Prepare(const ForwardBatch& batch, kv_cache::KvCache& cache, layers::StepBatch& step);
  // The stage's decoder over a prepared step (see ForwardStage). token_ids: [T] i32;
  // logit_rows: [R] i32.
  Status ForwardStep(const layers::ForwardContext& ctx, const layers::StepBatch& step,
                     const Tensor& token_ids, const Tensor& input, const Tensor& logit_rows,
                     const Tensor& output);

  ModelConfig config_;
  ModelOptions options_;
  std::unique_ptr<dist::Communicator> own_tp_;  // when options.tp is null
  dist::Communicator* tp_ = nullptr;
  std::unique_ptr<ops::Gemm> gemm_;
  layers::Scratch scratch_;
  std::vector<layers::StepSequence> step_sequences_;  // reused every step
  int64_t layer_begin_ = 0;
  int64_t layer_end_ = 0;
  layers::Embedding embed_tokens_;  // first stage
  layers::RmsNorm norm_;            // last stage
  layers::LmHead lm_head_;          // last stage
};

// rope config of a model: rot_dim = head_dim (Llama/Qwen2) or qk_rope_head_dim (DeepSeek).
ops::RopeConfig RopeConfigOf(const ModelConfig& config);

// out[i, :] = x[rows[i], :]. x: [T, n]; rows: [R] i32; out: [R, n] (same dtype).
void GatherRows(const Tensor& x, const Tensor& rows, const Tensor& out);

// Scratch bytes for the largest step the options describe: `per_token_elements` activation
// elements per token plus logits, in the compute dtype (a start-up estimate; see Scratch).
size_t ScratchEstimate(const ModelConfig& config, const ModelOptions& options,
                       int64_t per_token_elements, int64_t extra_bytes);

}  // namespace dsi::models
