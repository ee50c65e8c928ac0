// Test helpers for layers (header-only, used by *_test.cpp only): deterministic weights
// addressed by (tensor name, full-tensor index) so that every shard of a split layer gets the
// same values the unsplit layer holds; random activations; runs on 1 or N fake ranks; and a
// minimal step builder (cache, attention batch, rotary tables) for the attention layers.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "dist/communicator.h"
#include "dist/fake_communicator.h"
#include "kv_cache/kv_cache.h"
#include "layers/context.h"
#include "layers/rotary.h"
#include "layers/scratch.h"
#include "layers/weights.h"
#include "ops/gemm.h"

namespace dsi::layers::testing {

// Uniform in [-1, 1), a pure function of (seed, name, index).
inline float HashUniform(uint64_t seed, const std::string& name, int64_t index) {
  uint64_t h = seed ^ 0x9E3779B97F4A7C15ull;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001B3ull;
  h ^= static_cast<uint64_t>(index) * 0xBF58476D1CE4E5B9ull;
  h ^= h >> 31;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 29;
  return static_cast<float>(h >> 40) / static_cast<float>(1ull << 23) - 1.0f;
}

// Fills a WeightRef's destination with the values of its slice of the full tensor: norms
// 1 ± 0.2, biases ±0.2, matrices ±sqrt(3 / in) (unit-variance outputs).
inline void FillWeight(const WeightRef& w) {
  const bool matrix = w.full_shape.rank() == 2;
  const int64_t full_cols = matrix ? w.full_shape[1] : 1;
  const bool norm = w.name.find("norm") != std::string::npos;
  const float scale = matrix ? std::sqrt(3.0f / static_cast<float>(full_cols)) : 0.2f;
  const int64_t cols = matrix ? w.cols.size() : 1;
  for (int64_t r = 0; r < w.rows.size(); ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t full_index = (w.rows.begin + r) * full_cols + (matrix ? w.cols.begin + c : 0);
      float v = scale * HashUniform(1, w.name, full_index);
      if (norm) v += 1.0f;
      const int64_t i = r * cols + c;
      if (w.dest.dtype() == DType::kF32) {
        w.dest.data_as<float>()[i] = v;
      } else {
        w.dest.data_as<uint16_t>()[i] = F32ToBF16(v);
      }
    }
  }
}

// Random activations [rows, cols] f32 in [-1, 1).
inline std::vector<float> RandomActivations(int64_t rows, int64_t cols, uint64_t seed) {
  std::vector<float> v(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) v[i] = HashUniform(seed, "x", i);
  return v;
}

inline Tensor View(std::vector<float>& v, Shape shape) {
  return Tensor(v.data(), DType::kF32, shape);
}

// Per-rank execution context owning a Gemm and scratch.
struct RankContext {
  explicit RankContext(dist::Communicator* comm) : scratch(1 << 20) {
    ops::GemmOptions o;
    o.num_threads = 1;
    gemm = std::make_unique<ops::Gemm>(o);
    ctx.tp = comm;
    ctx.gemm = gemm.get();
    ctx.scratch = &scratch;
  }
  std::unique_ptr<ops::Gemm> gemm;
  Scratch scratch;
  ForwardContext ctx;
};

// Runs fn(comm) on tp ranks (a SingleProcessCommunicator for tp = 1); a failed fake world is a
// test failure.
inline void RunOnRanks(int tp, const std::function<void(dist::Communicator&)>& fn) {
  if (tp == 1) {
    dist::SingleProcessCommunicator comm;
    fn(comm);
    return;
  }
  const Status st = dist::RunOnFakeRanks(tp, fn);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

inline float MaxAbs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

inline float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0.0f;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

// A one-layer cache with sequences, and the StepBatch of one step appending `new_tokens[s]`
// tokens to sequence s (all sequences' tokens consecutive in the batch, in sequence order).
class StepBuilder {
 public:
  StepBuilder(const kv_cache::KvCacheSpec& spec, const ops::RopeConfig& rope, int num_seqs)
      : rotary_(ops::RotaryEmbedding::Create(rope).value()) {
    cache_ = kv_cache::KvCache::Create(spec, /*block_size=*/4, /*num_blocks=*/64).value();
    for (int s = 0; s < num_seqs; ++s) seqs_.push_back(cache_->NewSequence());
  }

  // Builds the step; tensors live in this object until the next Build.
  const StepBatch& Build(const std::vector<int>& new_tokens) {
    positions_.clear();
    token_seq_.clear();
    slots_.clear();
    sequences_.clear();
    int64_t max_blocks = 1;
    for (size_t s = 0; s < seqs_.size(); ++s) {
      const int64_t begin = static_cast<int64_t>(positions_.size());
      const int64_t kv_len = seqs_[s].num_tokens() + new_tokens[s];
      EXPECT_TRUE(seqs_[s].Reserve(kv_len).ok());
      for (int64_t p = seqs_[s].num_tokens(); p < kv_len; ++p) {
        positions_.push_back(static_cast<int32_t>(p));
        token_seq_.push_back(static_cast<int32_t>(s));
        slots_.push_back(seqs_[s].SlotOf(p));
      }
      sequences_.push_back({begin, static_cast<int64_t>(positions_.size()), kv_len, kv_len});
      max_blocks = std::max<int64_t>(max_blocks, seqs_[s].block_table().size());
    }
    const int64_t n = static_cast<int64_t>(positions_.size());
    const int64_t num_seqs = static_cast<int64_t>(seqs_.size());
    tables_.assign(num_seqs * max_blocks, 0);
    kv_lens_.clear();
    for (int64_t s = 0; s < num_seqs; ++s) {
      const auto table = seqs_[s].block_table();
      std::copy(table.begin(), table.end(), tables_.begin() + s * max_blocks);
      kv_lens_.push_back(static_cast<int32_t>(sequences_[s].kv_len));
    }
    const int64_t half = rotary_.rot_dim() / 2;
    cos_.assign(n * half, 0.0f);
    sin_.assign(n * half, 0.0f);
    step_ = StepBatch();
    step_.num_tokens = n;
    step_.attention.positions = Tensor(positions_.data(), DType::kI32, {n});
    step_.attention.token_seq = Tensor(token_seq_.data(), DType::kI32, {n});
    step_.attention.block_tables = Tensor(tables_.data(), DType::kI32, {num_seqs, max_blocks});
    step_.attention.kv_lens = Tensor(kv_lens_.data(), DType::kI32, {num_seqs});
    step_.attention.block_size = cache_->block_size();
    step_.slots = Tensor(slots_.data(), DType::kI32, {n});
    step_.cos = Tensor(cos_.data(), DType::kF32, {n, half});
    step_.sin = Tensor(sin_.data(), DType::kF32, {n, half});
    step_.sequences = sequences_.data();
    step_.num_sequences = num_seqs;
    step_.cache = cache_.get();
    EXPECT_TRUE(ComputeRotaryTables(rotary_, step_).ok());
    return step_;
  }
  // After a successful forward: the new tokens are in the cache.
  void Commit() {
    for (size_t s = 0; s < seqs_.size(); ++s) seqs_[s].set_num_tokens(sequences_[s].kv_len);
  }

 private:
  ops::RotaryEmbedding rotary_;
  std::unique_ptr<kv_cache::KvCache> cache_;
  std::vector<kv_cache::SequenceKv> seqs_;
  std::vector<int32_t> positions_, token_seq_, slots_, tables_, kv_lens_;
  std::vector<float> cos_, sin_;
  std::vector<StepSequence> sequences_;
  StepBatch step_;
};

}  // namespace dsi::layers::testing
