// Shard ranges.
#include "layers/parallel.h"

#include <algorithm>

#include "core/logging.h"

namespace dsi::layers {

const char* ParallelStyleName(ParallelStyle style) {
  switch (style) {
    case ParallelStyle::kReplicated:
      return "replicated";
    case ParallelStyle::kColumn:
      return "column";
    case ParallelStyle::kRow:
      return "row";
  }
  return "?";
}

std::string Range::ToString() const {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

Range Partition(int64_t n, int parts, int index) {
  DSI_CHECK(parts > 0 && index >= 0 && index < parts) << "part " << index << " of " << parts;
  const int64_t base = n / parts, extra = n % parts;
  const int64_t begin = index * base + std::min<int64_t>(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

Range PartitionUnits(int64_t n, int64_t unit, int parts, int index) {
  DSI_CHECK(unit > 0 && n % unit == 0) << n << " is not a multiple of " << unit;
  const Range r = Partition(n / unit, parts, index);
  return {r.begin * unit, r.end * unit};
}

int64_t VocabSlot(int64_t n, int parts) { return (n + parts - 1) / parts; }

Range VocabPartition(int64_t n, int parts, int index) {
  DSI_CHECK(parts > 0 && index >= 0 && index < parts) << "part " << index << " of " << parts;
  const int64_t slot = VocabSlot(n, parts);
  const int64_t begin = std::min(n, index * slot);
  return {begin, std::min(n, begin + slot)};
}

}  // namespace dsi::layers
