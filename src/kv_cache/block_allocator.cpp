// Free-list block allocator with reference counts.
#include "kv_cache/block_allocator.h"

#include <string>

#include "core/logging.h"

namespace dsi::kv_cache {

BlockAllocator::BlockAllocator(int64_t num_blocks) : ref_counts_(num_blocks, 0) {
  DSI_CHECK(num_blocks >= 0 && num_blocks <= INT32_MAX) << "num_blocks " << num_blocks;
  free_.reserve(num_blocks);
  for (int64_t b = num_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

Result<int32_t> BlockAllocator::Allocate() {
  if (free_.empty()) {
    return ResourceExhausted("KV cache: all " + std::to_string(num_blocks()) +
                             " blocks are in use; raise --kv-cache-memory or lower the "
                             "number of concurrent sequences");
  }
  const int32_t block = free_.back();
  free_.pop_back();
  ref_counts_[block] = 1;
  return block;
}

void BlockAllocator::Retain(int32_t block) {
  DSI_CHECK(block >= 0 && block < num_blocks() && ref_counts_[block] > 0)
      << "retain of block " << block << " that is not in use";
  ++ref_counts_[block];
}

void BlockAllocator::Release(int32_t block) {
  DSI_CHECK(block >= 0 && block < num_blocks() && ref_counts_[block] > 0)
      << "release of block " << block << " that is not in use";
  if (--ref_counts_[block] == 0) free_.push_back(block);
}

int32_t BlockAllocator::ref_count(int32_t block) const {
  DSI_CHECK(block >= 0 && block < num_blocks()) << "block " << block;
  return ref_counts_[block];
}

}  // namespace dsi::kv_cache
