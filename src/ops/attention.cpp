// Attention ops: validate the batch and cache views (every block id a query can reach is
// checked, so a bad block table is an error, not a wild read), then split (token, head) tasks
// over the pool by cost and run the kernel table's attention kernel.
#include "ops/attention.h"

#include <algorithm>
#include <string>

#include "kernels/kernel_table.h"
#include "ops/op_checks.h"

namespace dsi::ops {
namespace {

constexpr int kMaxThreads = 256;

Status CheckBatch(std::string_view op, const AttentionBatch& b, int64_t num_tokens,
                  const KvCacheView* const* views, int num_views) {
  DSI_RETURN_IF_ERROR(CheckRank(op, "positions", b.positions, 1));
  DSI_RETURN_IF_ERROR(CheckDType(op, "positions", b.positions, {DType::kI32}));
  DSI_RETURN_IF_ERROR(CheckShape(op, "positions", b.positions, {num_tokens}));
  DSI_RETURN_IF_ERROR(CheckRank(op, "token_seq", b.token_seq, 1));
  DSI_RETURN_IF_ERROR(CheckDType(op, "token_seq", b.token_seq, {DType::kI32}));
  DSI_RETURN_IF_ERROR(CheckShape(op, "token_seq", b.token_seq, {num_tokens}));
  DSI_RETURN_IF_ERROR(CheckRank(op, "block_tables", b.block_tables, 2));
  DSI_RETURN_IF_ERROR(CheckDType(op, "block_tables", b.block_tables, {DType::kI32}));
  DSI_RETURN_IF_ERROR(CheckRank(op, "kv_lens", b.kv_lens, 1));
  DSI_RETURN_IF_ERROR(CheckDType(op, "kv_lens", b.kv_lens, {DType::kI32}));
  const int64_t num_seqs = b.block_tables.dim(0);
  const int64_t max_blocks = b.block_tables.dim(1);
  DSI_RETURN_IF_ERROR(CheckShape(op, "kv_lens", b.kv_lens, {num_seqs}));
  const std::string o(op);
  if (b.block_size <= 0) return InvalidArgument(o + ": block_size must be > 0");

  const int32_t* kv_lens = b.kv_lens.data_as<int32_t>();
  const int32_t* tables = b.block_tables.data_as<int32_t>();
  for (int64_t s = 0; s < num_seqs; ++s) {
    if (kv_lens[s] < 0 || kv_lens[s] > max_blocks * b.block_size) {
      return InvalidArgument(o + ": kv_lens[" + std::to_string(s) +
                             "] = " + std::to_string(kv_lens[s]) + " outside [0, " +
                             std::to_string(max_blocks * b.block_size) + "] (block table size)");
    }
    const int64_t used_blocks = (int64_t{kv_lens[s]} + b.block_size - 1) / b.block_size;
    for (int64_t i = 0; i < used_blocks; ++i) {
      const int32_t block = tables[s * max_blocks + i];
      for (int v = 0; v < num_views; ++v) {
        if (block < 0 || block >= views[v]->num_blocks) {
          return InvalidArgument(o + ": block_tables[" + std::to_string(s) + ", " +
                                 std::to_string(i) + "] = " + std::to_string(block) +
                                 " outside the cache's " + std::to_string(views[v]->num_blocks) +
                                 " blocks");
        }
      }
    }
  }
  const int32_t* pos = b.positions.data_as<int32_t>();
  const int32_t* seq = b.token_seq.data_as<int32_t>();
  for (int64_t t = 0; t < num_tokens; ++t) {
    if (seq[t] < 0 || seq[t] >= num_seqs) {
      return InvalidArgument(o + ": token_seq[" + std::to_string(t) +
                             "] = " + std::to_string(seq[t]) + " outside [0, " +
                             std::to_string(num_seqs) + ")");
    }
    if (pos[t] < 0 || pos[t] >= kv_lens[seq[t]]) {
      return InvalidArgument(o + ": positions[" + std::to_string(t) + "] = " +
                             std::to_string(pos[t]) + " but sequence " + std::to_string(seq[t]) +
                             " has " + std::to_string(kv_lens[seq[t]]) + " cached tokens");
    }
  }
  return Status::Ok();
}

Status CheckView(std::string_view op, std::string_view name, const KvCacheView& v,
                 int64_t head_dim) {
  const std::string p = std::string(op) + ": " + std::string(name) + " cache ";
  if (v.dtype != DType::kF32 && v.dtype != DType::kBF16) {
    return InvalidArgument(p + "dtype " + std::string(DTypeName(v.dtype)) +
                           " expected F32 or BF16");
  }
  if (v.data == nullptr) return InvalidArgument(p + "has no data");
  if (v.head_dim != head_dim) {
    return InvalidArgument(p + "head_dim " + std::to_string(v.head_dim) + " expected " +
                           std::to_string(head_dim));
  }
  if (v.num_heads <= 0 || v.num_blocks < 0 || v.block_stride < 0 || v.token_stride < 0 ||
      v.head_stride < 0) {
    return InvalidArgument(p + "has a negative stride or no heads");
  }
  return Status::Ok();
}

Status CheckQuery(std::string_view op, std::string_view name, const Tensor& t) {
  DSI_RETURN_IF_ERROR(CheckRank(op, name, t, 3));
  return CheckDType(op, name, t, {DType::kF32, DType::kBF16});
}

// Splits tasks (t · num_heads + h, cost positions[t] + 1) into pool-size ranges of about equal
// cost and runs the kernel on each.
void RunTasks(const kernels::AttentionArgs& args, int64_t num_tokens, ThreadPool* pool) {
  const kernels::KernelTable& k = kernels::Kernels();
  const int64_t num_tasks = num_tokens * args.num_heads;
  const int threads = pool ? std::min(pool->size(), kMaxThreads) : 1;
  int64_t total = 0;
  for (int64_t t = 0; t < num_tokens; ++t)
    total += (int64_t{args.positions[t]} + 1) * args.num_heads;
  const int64_t dims = args.qk_dim + args.rope_dim + args.v_dim;
  if (threads == 1 || num_tasks == 1 || total * dims < 64 * 1024) {
    k.attention(args, 0, num_tasks);
    return;
  }
  int64_t bounds[kMaxThreads + 1];
  bounds[0] = 0;
  int next = 1;
  int64_t acc = 0;
  for (int64_t task = 0; task < num_tasks && next < threads; ++task) {
    acc += int64_t{args.positions[task / args.num_heads]} + 1;
    while (next < threads && acc * threads >= total * next) bounds[next++] = task + 1;
  }
  while (next <= threads) bounds[next++] = num_tasks;
  pool->ParallelFor(threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      if (bounds[i] < bounds[i + 1]) k.attention(args, bounds[i], bounds[i + 1]);
    }
  });
}

kernels::PagedRows Rows(const KvCacheView& v) {
  return {v.data, v.block_stride, v.token_stride, v.head_stride};
}

void SetBatch(const AttentionBatch& b, kernels::AttentionArgs& a) {
  a.positions = b.positions.data_as<int32_t>();
  a.token_seq = b.token_seq.data_as<int32_t>();
  a.block_tables = b.block_tables.data_as<int32_t>();
  a.block_table_stride = b.block_tables.dim(1);
  a.block_size = b.block_size;
}

}  // namespace

Status Attention(const Tensor& q, const KvCacheView& k, const KvCacheView& v,
                 const AttentionBatch& batch, float scale, const Tensor& out, ThreadPool* pool) {
  constexpr std::string_view kOp = "attention";
  DSI_RETURN_IF_ERROR(CheckQuery(kOp, "q", q));
  const int64_t num_tokens = q.dim(0), num_heads = q.dim(1), qk_dim = q.dim(2);
  DSI_RETURN_IF_ERROR(CheckView(kOp, "k", k, qk_dim));
  DSI_RETURN_IF_ERROR(CheckView(kOp, "v", v, v.head_dim));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "out", out, 3));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "out", out, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "out", out, {num_tokens, num_heads, v.head_dim}));
  if (k.dtype != v.dtype) return InvalidArgument("attention: k and v caches differ in dtype");
  if (k.num_heads != v.num_heads || num_heads == 0 || num_heads % k.num_heads != 0) {
    return InvalidArgument("attention: " + std::to_string(num_heads) + " query heads for " +
                           std::to_string(k.num_heads) + " key / " + std::to_string(v.num_heads) +
                           " value heads (need a multiple of one kv head count)");
  }
  if (qk_dim == 0 || qk_dim > kernels::kAttentionMaxDim || v.head_dim == 0 ||
      v.head_dim > kernels::kAttentionMaxDim) {
    return InvalidArgument("attention: head dims qk " + std::to_string(qk_dim) + " / v " +
                           std::to_string(v.head_dim) + " outside [1, " +
                           std::to_string(kernels::kAttentionMaxDim) + "]");
  }
  const KvCacheView* views[] = {&k, &v};
  DSI_RETURN_IF_ERROR(CheckBatch(kOp, batch, num_tokens, views, 2));
  if (num_tokens == 0) return Status::Ok();

  kernels::AttentionArgs a;
  a.q_dtype = q.dtype();
  a.kv_dtype = k.dtype;
  a.out_dtype = out.dtype();
  a.num_heads = static_cast<int>(num_heads);
  a.num_kv_heads = static_cast<int>(k.num_heads);
  a.qk_dim = static_cast<int>(qk_dim);
  a.v_dim = static_cast<int>(v.head_dim);
  a.scale = scale;
  a.q = q.data();
  a.q_token_stride = num_heads * qk_dim;
  a.q_head_stride = qk_dim;
  a.k = Rows(k);
  a.v = Rows(v);
  a.out = out.data();
  a.out_token_stride = num_heads * v.head_dim;
  a.out_head_stride = v.head_dim;
  SetBatch(batch, a);
  RunTasks(a, num_tokens, pool);
  return Status::Ok();
}

Status MlaAbsorbedAttention(const Tensor& q_lat, const Tensor& q_pe, const KvCacheView& latent,
                            const KvCacheView& rope, const AttentionBatch& batch, float scale,
                            const Tensor& out, ThreadPool* pool) {
  constexpr std::string_view kOp = "mla_absorbed_attention";
  DSI_RETURN_IF_ERROR(CheckQuery(kOp, "q_lat", q_lat));
  DSI_RETURN_IF_ERROR(CheckQuery(kOp, "q_pe", q_pe));
  const int64_t num_tokens = q_lat.dim(0), num_heads = q_lat.dim(1), kv_lora = q_lat.dim(2);
  const int64_t rope_dim = q_pe.dim(2);
  DSI_RETURN_IF_ERROR(CheckSameDType(kOp, "q_lat", q_lat, "q_pe", q_pe));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "q_pe", q_pe, {num_tokens, num_heads, rope_dim}));
  DSI_RETURN_IF_ERROR(CheckView(kOp, "latent", latent, kv_lora));
  DSI_RETURN_IF_ERROR(CheckView(kOp, "rope", rope, rope_dim));
  DSI_RETURN_IF_ERROR(CheckRank(kOp, "out", out, 3));
  DSI_RETURN_IF_ERROR(CheckDType(kOp, "out", out, {DType::kF32, DType::kBF16}));
  DSI_RETURN_IF_ERROR(CheckShape(kOp, "out", out, q_lat.shape()));
  if (latent.dtype != rope.dtype) {
    return InvalidArgument("mla_absorbed_attention: latent and rope caches differ in dtype");
  }
  if (latent.num_heads != 1 || rope.num_heads != 1) {
    return InvalidArgument("mla_absorbed_attention: latent and rope caches must have one head");
  }
  if (num_heads == 0 || kv_lora == 0 || kv_lora + rope_dim > kernels::kAttentionMaxDim) {
    return InvalidArgument("mla_absorbed_attention: kv_lora_rank " + std::to_string(kv_lora) +
                           " + rope " + std::to_string(rope_dim) + " outside [1, " +
                           std::to_string(kernels::kAttentionMaxDim) + "] or no heads");
  }
  const KvCacheView* views[] = {&latent, &rope};
  DSI_RETURN_IF_ERROR(CheckBatch(kOp, batch, num_tokens, views, 2));
  if (num_tokens == 0) return Status::Ok();

  kernels::AttentionArgs a;
  a.q_dtype = q_lat.dtype();
  a.kv_dtype = latent.dtype;
  a.out_dtype = out.dtype();
  a.num_heads = static_cast<int>(num_heads);
  a.num_kv_heads = 1;
  a.qk_dim = static_cast<int>(kv_lora);
  a.rope_dim = static_cast<int>(rope_dim);
  a.v_dim = static_cast<int>(kv_lora);
  a.scale = scale;
  a.q = q_lat.data();
  a.q_token_stride = num_heads * kv_lora;
  a.q_head_stride = kv_lora;
  a.q_rope = q_pe.data();
  a.q_rope_token_stride = num_heads * rope_dim;
  a.q_rope_head_stride = rope_dim;
  a.k = Rows(latent);
  a.k_rope = Rows(rope);
  a.v = Rows(latent);
  a.out = out.data();
  a.out_token_stride = num_heads * kv_lora;
  a.out_head_stride = kv_lora;
  SetBatch(batch, a);
  RunTasks(a, num_tokens, pool);
  return Status::Ok();
}

}  // namespace dsi::ops
