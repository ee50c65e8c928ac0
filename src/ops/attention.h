// Causal attention of a ragged batch of new query tokens against a paged KV cache: GQA/MHA
// (Llama, Qwen2), MLA in full form (qk 192 / v 128) and MLA in weight-absorbed form over the
// latent + rope cache (deepseek-models.md §2.5, §2.6).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace dsi::ops {

// One layer's cache storage for one kind of row (keys, values, latent or rope keys). Token t
// of a sequence is in block b = block_table[t / block_size], slot t % block_size; its row for
// kv head g starts at element b·block_stride + slot·token_stride + g·head_stride of `data`.
struct KvCacheView {
  const void* data = nullptr;
  DType dtype = DType::kBF16;  // f32 or bf16
  int64_t num_blocks = 0;      // block ids must be < num_blocks
  int64_t block_stride = 0;    // elements
  int64_t token_stride = 0;
  int64_t head_stride = 0;
  int64_t num_heads = 1;  // kv heads in this view
  int64_t head_dim = 0;   // elements of each row that attention reads
};

// Which cached tokens each query token sees. Query t belongs to sequence token_seq[t] and sits
// at position positions[t]; it attends keys 0..positions[t] of that sequence (causal), which
// must already be in the cache (positions[t] < kv_lens[seq]).
struct AttentionBatch {
  Tensor positions;     // [num_tokens] i32
  Tensor token_seq;     // [num_tokens] i32
  Tensor block_tables;  // [num_seqs, max_blocks_per_seq] i32
  Tensor kv_lens;       // [num_seqs] i32, cached tokens per sequence (new ones included)
  int32_t block_size = 16;
};

// out[t, h] = softmax_j(scale · q[t, h] · k[j, g]) · v[j, g],  g = h / (num_heads / num_kv_heads).
// q: [num_tokens, num_heads, qk_dim] f32|bf16; k: views with head_dim qk_dim; v: head_dim
// v_dim (may differ: MLA full form has qk 192, v 128); out: [num_tokens, num_heads, v_dim]
// f32|bf16. Scores, softmax and sums in fp32.
Status Attention(const Tensor& q, const KvCacheView& k, const KvCacheView& v,
                 const AttentionBatch& batch, float scale, const Tensor& out,
                 ThreadPool* pool = nullptr);

// MLA absorbed decode/prefill over the cache of ĉ (post-norm latent, kv_lora_rank) and the
// rotated k_pe (qk_rope_head_dim), both shared by all heads:
//   s[t,h,j] = scale · (q_lat[t,h] · ĉ[j] + q_pe[t,h] · k_pe[j]),  o_lat[t,h] = Σ_j softmax(s)_j
//   ĉ[j].
// q_lat: [num_tokens, num_heads, kv_lora_rank]; q_pe: [num_tokens, num_heads, rope];
// latent, rope: views with one head; out: [num_tokens, num_heads, kv_lora_rank].
Status MlaAbsorbedAttention(const Tensor& q_lat, const Tensor& q_pe, const KvCacheView& latent,
                            const KvCacheView& rope, const AttentionBatch& batch, float scale,
                            const Tensor& out, ThreadPool* pool = nullptr);

}  // namespace dsi::ops
