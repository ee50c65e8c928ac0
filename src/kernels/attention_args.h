// Argument block of the attention kernels: a ragged batch of query tokens against a
// paged KV cache. Pointers, element strides and dtypes only; ops/attention.cpp checks them.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace dsi::kernels {

// Rows of a paged cache. Token t of a sequence lives in block
// block_table[t / block_size], slot t % block_size; its row for kv head g starts at
//   base + block * block_stride + slot * token_stride + g * head_stride   (elements).
struct PagedRows {
  const void* base = nullptr;
  int64_t block_stride = 0;
  int64_t token_stride = 0;
  int64_t head_stride = 0;
};

// For query token t (sequence token_seq[t], position positions[t]) and head h, with
// g = h / (num_heads / num_kv_heads):
//   s_j = scale * (q[t,h] · k[j,g] + q_rope[t,h] · k_rope[j,g])   for keys j = 0..positions[t]
//   out[t,h] = Σ_j softmax(s)_j · v[j,g]
// The second term is absent when rope_dim == 0. Scores, softmax and accumulation are fp32.
// Used three ways: GQA/MHA (rope_dim 0), MLA full form (qk 192, v 128), and MLA absorbed
// form (q = q_lat, k = v = latent cache, q_rope/k_rope = rope parts).
struct AttentionArgs {
  DType q_dtype = DType::kF32;    // q and q_rope: f32 or bf16
  DType kv_dtype = DType::kF32;   // k, k_rope, v: f32 or bf16
  DType out_dtype = DType::kF32;  // f32 or bf16
  int num_heads = 0;
  int num_kv_heads = 0;
  int qk_dim = 0;
  int rope_dim = 0;
  int v_dim = 0;
  float scale = 1.0f;

  const void* q = nullptr;  // q[t,h] at q + t * q_token_stride + h * q_head_stride
  int64_t q_token_stride = 0;
  int64_t q_head_stride = 0;
  const void* q_rope = nullptr;
  int64_t q_rope_token_stride = 0;
  int64_t q_rope_head_stride = 0;
  PagedRows k;
  PagedRows k_rope;
  PagedRows v;
  void* out = nullptr;
  int64_t out_token_stride = 0;
  int64_t out_head_stride = 0;

  const int32_t* positions = nullptr;     // [num_tokens]
  const int32_t* token_seq = nullptr;     // [num_tokens] sequence index of each query token
  const int32_t* block_tables = nullptr;  // [num_seqs, block_table_stride]
  int64_t block_table_stride = 0;
  int32_t block_size = 1;
};

// Largest qk_dim + rope_dim and largest v_dim the kernels accept (stack accumulators).
inline constexpr int kAttentionMaxDim = 1024;

// Address of element 0 of token `token`'s row for kv head `head` of sequence `seq`.
inline int64_t PagedOffset(const AttentionArgs& a, const PagedRows& rows, int seq, int64_t token,
                           int head) {
  const int32_t block = a.block_tables[seq * a.block_table_stride + token / a.block_size];
  return block * rows.block_stride + (token % a.block_size) * rows.token_stride +
         head * rows.head_stride;
}

}  // namespace dsi::kernels
