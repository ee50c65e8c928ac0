// Embedding lookup: gathers rows of a (possibly vocab-sharded) [vocab, hidden] table by token
// id, converting bf16/f32 storage to the activation dtype.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// out[t, :] = table[ids[t] − vocab_begin, :] for ids inside this shard, zeros for ids in
// another shard (the all-reduce over the shards fills them in). table: [shard_vocab, hidden]
// f32 or bf16, holding vocabulary rows [vocab_begin, vocab_begin + shard_vocab); ids:
// [num_tokens] i32; out: [num_tokens, hidden] f32 or bf16. vocab_size is the whole
// vocabulary (−1: the table is unsharded); an id outside [0, vocab_size) is an error.
Status EmbeddingLookup(const Tensor& table, const Tensor& ids, const Tensor& out,
                       int64_t vocab_begin = 0, int64_t vocab_size = -1,
                       ThreadPool* pool = nullptr);

}  // namespace dsi::ops
