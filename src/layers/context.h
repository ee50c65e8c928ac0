// What a layer's forward needs besides its weights: the tensor-parallel communicator, the GEMM
// engine, the thread pool and per-step scratch (ForwardContext), and the per-step description of
// the batch shared by every layer (StepBatch: attention batch, cache slots, rotary tables).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "dist/communicator.h"
#include "kv_cache/kv_cache.h"
#include "layers/scratch.h"
#include "ops/attention.h"
#include "ops/gemm.h"

namespace dsi::layers {

struct ForwardContext {
  dist::Communicator* tp = nullptr;  // tensor-parallel group (size 1 in a single process)
  ops::Gemm* gemm = nullptr;
  ThreadPool* pool = nullptr;  // may be null
  Scratch* scratch = nullptr;
};

// One sequence's tokens inside a step: rows [token_begin, token_end) of the batch, at
// positions [kv_len - (token_end - token_begin), kv_len) of that sequence.
struct StepSequence {
  int64_t token_begin = 0;
  int64_t token_end = 0;
  int64_t kv_len = 0;  // cached tokens after this step
  // The length dynamic-NTK rotary scaling sees: kv_len, or the end of a chunk that the
  // caller split over several forwards (so the split does not change the rotation).
  int64_t rope_len = 0;
};

struct StepBatch {
  int64_t num_tokens = 0;
  ops::AttentionBatch attention;  // positions, token_seq, block_tables, kv_lens, block_size
  Tensor slots;                   // [num_tokens] i32 cache slot of each new token
  Tensor cos, sin;                // [num_tokens, rot_dim / 2] f32
  const StepSequence* sequences = nullptr;
  int64_t num_sequences = 0;
  kv_cache::KvCache* cache = nullptr;
};

}  // namespace dsi::layers
