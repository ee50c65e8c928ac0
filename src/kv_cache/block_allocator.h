// BlockAllocator: the free list of a paged KV cache's fixed-size blocks, with a reference
// count per block so that a block can later be shared by sequences with a common prefix.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace dsi::kv_cache {

class BlockAllocator {
 public:
  explicit BlockAllocator(int64_t num_blocks);

  // A free block with reference count 1, or ResourceExhausted when none is left.
  Result<int32_t> Allocate();
  // Another owner for a block in use.
  void Retain(int32_t block);
  // Drops one owner; the block returns to the free list when none is left.
  void Release(int32_t block);

  int64_t num_blocks() const { return static_cast<int64_t>(ref_counts_.size()); }
  int64_t num_free() const { return static_cast<int64_t>(free_.size()); }
  int32_t ref_count(int32_t block) const;

 private:
  std::vector<int32_t> free_;        // stack of free block ids; lowest ids handed out first
  std::vector<int32_t> ref_counts_;  // [num_blocks]
};

}  // namespace dsi::kv_cache
