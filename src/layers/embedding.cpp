// Vocab-parallel embedding and LM head.
#include "layers/embedding.h"

#include <cstring>

#include "core/logging.h"
#include "ops/embedding.h"
#include "ops/op_checks.h"

namespace dsi::layers {

Embedding::Embedding(std::string name, int64_t vocab_size, int64_t hidden_size, TpShard shard,
                     DType dtype)
    : name_(std::move(name)),
      vocab_size_(vocab_size),
      hidden_size_(hidden_size),
      vocab_(VocabPartition(vocab_size, shard.size, shard.rank)),
      weight_(dtype, {vocab_.size(), hidden_size}) {}

Status Embedding::Forward(const ForwardContext& ctx, const Tensor& ids, const Tensor& out) const {
  DSI_RETURN_IF_ERROR(
      ops::EmbeddingLookup(weight(), ids, out, vocab_.begin, vocab_size_, ctx.pool));
  ctx.tp->AllReduceSum(out);  // exactly one rank contributes each row: the sum is exact
  return Status::Ok();
}

void Embedding::ForEachWeight(const WeightVisitor& visit) {
  WeightRef w;
  w.name = name_ + ".weight";
  w.full_shape = Shape{vocab_size_, hidden_size_};
  w.rows = vocab_;
  w.cols = {0, hidden_size_};
  w.dest = weight_.tensor;
  visit(w);
}

LmHead::LmHead(std::string name, int64_t vocab_size, int64_t hidden_size, TpShard shard,
               DType dtype, const Embedding* tied)
    : name_(std::move(name)),
      vocab_size_(vocab_size),
      hidden_size_(hidden_size),
      tp_size_(shard.size),
      vocab_(VocabPartition(vocab_size, shard.size, shard.rank)),
      tied_(tied) {
  if (tied_ == nullptr) {
    weight_ = Param(dtype, {vocab_.size(), hidden_size});
  } else {
    DSI_CHECK(tied_->vocab_range() == vocab_ && tied_->weight().dim(1) == hidden_size)
        << "tied LM head and embedding disagree on the shard";
  }
}

Status LmHead::Forward(const ForwardContext& ctx, const Tensor& x, const Tensor& logits) const {
  DSI_RETURN_IF_ERROR(ops::CheckRank("lm_head", "logits", logits, 2));
  DSI_RETURN_IF_ERROR(ops::CheckDType("lm_head", "logits", logits, {DType::kF32}));
  const int64_t rows = x.dim(0);
  DSI_RETURN_IF_ERROR(ops::CheckShape("lm_head", "logits", logits, {rows, vocab_size_}));
  if (tp_size_ == 1) return ctx.gemm->Run(x, weight(), nullptr, logits);

  // [NOTE: vocab all-gather] every rank's slot is VocabSlot columns wide (the last ones hold
  // fewer real rows); rank r's local logits [rows, its vocab rows] travel in slot r.
  Scratch::Scope scope(*ctx.scratch);
  const int64_t slot = VocabSlot(vocab_size_, tp_size_);
  Tensor gathered = ctx.scratch->Alloc(DType::kF32, {tp_size_, rows * slot});
  Tensor local = ctx.scratch->Alloc(DType::kF32, {rows, vocab_.size()});
  DSI_RETURN_IF_ERROR(ctx.gemm->Run(x, weight(), nullptr, local));
  Tensor send = ctx.scratch->Alloc(DType::kF32, {rows * slot});
  std::memcpy(send.data(), local.data(), local.SizeBytes());
  ctx.tp->AllGather(send.data(), gathered.data(), static_cast<size_t>(rows * slot) * sizeof(float));
  float* out = logits.data_as<float>();
  for (int r = 0; r < tp_size_; ++r) {
    const Range v = VocabPartition(vocab_size_, tp_size_, r);
    const float* src = gathered.data_as<float>() + r * rows * slot;
    for (int64_t t = 0; t < rows; ++t) {
      std::memcpy(out + t * vocab_size_ + v.begin, src + t * v.size(), v.size() * sizeof(float));
    }
  }
  return Status::Ok();
}

void LmHead::ForEachWeight(const WeightVisitor& visit) {
  if (tied_ != nullptr) return;
  WeightRef w;
  w.name = name_ + ".weight";
  w.full_shape = Shape{vocab_size_, hidden_size_};
  w.rows = vocab_;
  w.cols = {0, hidden_size_};
  w.dest = weight_.tensor;
  visit(w);
}

}  // namespace dsi::layers
