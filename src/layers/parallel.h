// Tensor-parallel shard arithmetic shared by every layer: which contiguous range of rows,
// heads, experts or vocabulary entries a rank of the tensor-parallel group owns.
#pragma once

#include <cstdint>
#include <string>

namespace dsi::layers {

// How a Linear's weight [out, in] is split over the tensor-parallel group (design.md §4).
enum class ParallelStyle {
  kReplicated,  // every rank holds the whole weight; no collective
  kColumn,      // rank owns a slice of the out rows; output is this rank's columns
  kRow,         // rank owns a slice of the in columns; the partial outputs are all-reduced
};
const char* ParallelStyleName(ParallelStyle style);

// This rank's place in the tensor-parallel group, fixed when a layer is built.
struct TpShard {
  int rank = 0;
  int size = 1;
};

// Half-open [begin, end).
struct Range {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
  bool operator==(const Range&) const = default;
  std::string ToString() const;  // "[4, 8)"
};

// Balanced split of n items over `parts`: the first n % parts parts get one more.
Range Partition(int64_t n, int parts, int index);
// Split in multiples of `unit` elements (heads of head_dim rows): Partition(n / unit) * unit.
Range PartitionUnits(int64_t n, int64_t unit, int parts, int index);
// Vocabulary split with equal-sized slots (ceil(n / parts) each, the last ones shorter or
// empty) so that an all-gather of equal-sized pieces reassembles the logits.
Range VocabPartition(int64_t n, int parts, int index);
int64_t VocabSlot(int64_t n, int parts);  // ceil(n / parts)

}  // namespace dsi::layers
