// Paged KV cache: per layer one Buffer of fixed-size blocks (sized once at start-up), a shared
// block allocator, and per-sequence block tables that grow as tokens are appended and give
// their blocks back when the sequence's handle is destroyed (design.md §6).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "core/status.h"
#include "kv_cache/block_allocator.h"
#include "ops/attention.h"

namespace dsi::kv_cache {

// What one token stores per layer.
//   kGqa: key and value rows [num_kv_heads, head_dim] each (this rank's kv heads).
//   kMla: the post-norm latent [kv_lora_rank] and the rotated rope key [qk_rope_head_dim],
//         shared by all heads (deepseek-models.md §2.6.2).
enum class KvLayout { kGqa, kMla };
enum class KvPart { kKey, kValue, kLatent, kRope };

struct KvCacheSpec {
  KvLayout layout = KvLayout::kGqa;
  int64_t num_layers = 0;
  int64_t num_kv_heads = 0;  // kGqa
  int64_t head_dim = 0;      // kGqa
  int64_t kv_lora_rank = 0;      // kMla
  int64_t qk_rope_head_dim = 0;  // kMla
  DType dtype = DType::kF32;     // f32 or bf16 (the compute dtype)

  // Elements of one token in one layer (both parts).
  int64_t ElementsPerTokenPerLayer() const;
  int64_t BytesPerToken() const;  // all layers
  // Elements of one part's row ([num_kv_heads * head_dim], [kv_lora_rank], [qk_rope_head_dim]).
  int64_t RowElements(KvPart part) const;
  std::string ToString() const;  // "mla: 3 layers x (32 latent + 16 rope) f32"
};

class KvCache;

// One sequence's cache: its block table and the number of tokens whose keys are written.
// Move-only; the destructor returns the blocks. The KvCache must outlive its sequences.
class SequenceKv {
 public:
  SequenceKv() = default;
  ~SequenceKv();
  SequenceKv(SequenceKv&& other) noexcept;
  SequenceKv& operator=(SequenceKv&& other) noexcept;
  SequenceKv(const SequenceKv&) = delete;
  SequenceKv& operator=(const SequenceKv&) = delete;

  // Makes room for `num_tokens` tokens in total (allocating blocks); ResourceExhausted when
  // the cache runs out, in which case the blocks already held stay held.
  Status Reserve(int64_t num_tokens);
  // Tokens [0, num_tokens) are written (set by the model after a successful forward).
  void set_num_tokens(int64_t num_tokens);
  int64_t num_tokens() const { return num_tokens_; }
  int64_t capacity() const;  // tokens the held blocks can take
  std::span<const int32_t> block_table() const { return blocks_; }
  // Cache slot of token `position`: block_table[position / block_size] * block_size + offset.
  int32_t SlotOf(int64_t position) const;
  const KvCache* cache() const { return cache_; }
  // Gives every block back; the handle stays usable (empty).
  void Clear();

 private:
  friend class KvCache;
  explicit SequenceKv(KvCache* cache) : cache_(cache) {}
  KvCache* cache_ = nullptr;
  std::vector<int32_t> blocks_;
  int64_t num_tokens_ = 0;
};

class KvCache {
 public:
  // Allocates num_blocks blocks of block_size tokens for every layer; ResourceExhausted if the
  // memory cannot be had.
  static Result<std::unique_ptr<KvCache>> Create(const KvCacheSpec& spec, int32_t block_size,
                                                 int64_t num_blocks);
  // The block count that fits in `bytes` (all layers).
  static int64_t BlocksForBytes(const KvCacheSpec& spec, int32_t block_size, int64_t bytes);

  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // A new empty sequence (no blocks yet).
  SequenceKv NewSequence() { return SequenceKv(this); }

  const KvCacheSpec& spec() const { return spec_; }
  int32_t block_size() const { return block_size_; }
  int64_t num_blocks() const { return allocator_.num_blocks(); }
  int64_t num_free_blocks() const { return allocator_.num_free(); }
  BlockAllocator& allocator() { return allocator_; }

  // The view attention ops read for one part of one layer.
  ops::KvCacheView View(int64_t layer, KvPart part) const;
  // Copies rows src[t, :RowElements(part)] (row stride src_row_stride elements, cache dtype)
  // into slots[t] of `layer`, for t in [0, num_tokens).
  void WriteRows(int64_t layer, KvPart part, const void* src, int64_t src_row_stride,
                 int64_t num_tokens, const int32_t* slots);
  // The reverse for one sequence: rows of its tokens [0, num_tokens) (block_table as in
  // SequenceKv) into dst rows with stride dst_row_stride elements.
  void ReadRows(int64_t layer, KvPart part, const int32_t* block_table, int64_t num_tokens,
                void* dst, int64_t dst_row_stride) const;

 private:
  KvCache(const KvCacheSpec& spec, int32_t block_size, int64_t num_blocks)
      : spec_(spec), block_size_(block_size), allocator_(num_blocks) {}
  // Element offset of `part` inside a token's row group and the stride between tokens.
  int64_t PartOffset(KvPart part) const;
  int64_t TokenStride(KvPart part) const;
  int64_t PartBase(KvPart part) const;  // elements from the layer buffer's start

  KvCacheSpec spec_;
  int32_t block_size_;
  BlockAllocator allocator_;
  std::vector<Buffer> layers_;
};

}  // namespace dsi::kv_cache
