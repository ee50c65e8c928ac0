// Vocab-parallel embedding and LM head (Megatron style). Each rank owns the vocabulary rows
// VocabPartition(vocab, tp, rank): the embedding looks up its rows (zeros for ids owned by
// other ranks) and all-reduces; the LM head computes its slice of the logits and all-gathers
// the slices into the full [rows, vocab] logits. With tie_word_embeddings the LM head reads
// the embedding's shard (same partition), so nothing is loaded twice.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "layers/context.h"
#include "layers/parallel.h"
#include "layers/weights.h"

namespace dsi::layers {

class Embedding {
 public:
  Embedding() = default;
  // name: "model.embed_tokens" (".weight" is appended).
  Embedding(std::string name, int64_t vocab_size, int64_t hidden_size, TpShard shard, DType dtype);

  // ids: [T] i32; out: [T, hidden] in the weight's dtype. Bad ids give OutOfRange.
  Status Forward(const ForwardContext& ctx, const Tensor& ids, const Tensor& out) const;
  void ForEachWeight(const WeightVisitor& visit);

  const Tensor& weight() const { return weight_.tensor; }  // [vocab rows of this rank, hidden]
  Range vocab_range() const { return vocab_; }
  int64_t vocab_size() const { return vocab_size_; }

 private:
  std::string name_;
  int64_t vocab_size_ = 0;
  int64_t hidden_size_ = 0;
  Range vocab_;
  Param weight_;
};

class LmHead {
 public:
  LmHead() = default;
  // name: "lm_head". With `tied`, the weight is the embedding's (and ForEachWeight lists nothing).
  LmHead(std::string name, int64_t vocab_size, int64_t hidden_size, TpShard shard, DType dtype,
         const Embedding* tied = nullptr);

  // x: [R, hidden] (weight dtype); logits: [R, vocab_size] f32, contiguous.
  Status Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& logits) const;
  void ForEachWeight(const WeightVisitor& visit);

  const Tensor& weight() const { return tied_ ? tied_->weight() : weight_.tensor; }

 private:
  std::string name_;
  int64_t vocab_size_ = 0;
  int64_t hidden_size_ = 0;
  int tp_size_ = 1;
  Range vocab_;
  Param weight_;
  const Embedding* tied_ = nullptr;
};

}  // namespace dsi::layers
