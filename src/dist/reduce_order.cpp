// SumInRankOrder: see [NOTE: fixed reduction order] in reduce_order.h.
#include "dist/reduce_order.h"

#include <algorithm>
#include <cstring>

#include "core/dtype.h"
#include "core/logging.h"

namespace dsi::dist {
namespace {

// Elements summed per block: the block accumulator lives on the stack, every part's block
// is read before `out`'s block is written (so out may alias a part), and the inner loops
// are plain element-wise adds that the compiler vectorizes without reordering any sum.
constexpr size_t kBlock = 512;

}  // namespace

void SumInRankOrder(const float* const* parts, int num_parts, size_t count, float* out) {
  DSI_CHECK(num_parts >= 1) << "a sum needs at least one part";
  float acc[kBlock];
  for (size_t begin = 0; begin < count; begin += kBlock) {
    const size_t n = std::min(kBlock, count - begin);
    std::memcpy(acc, parts[0] + begin, n * sizeof(float));
    for (int r = 1; r < num_parts; ++r) {
      const float* part = parts[r] + begin;
      for (size_t i = 0; i < n; ++i) acc[i] += part[i];
    }
    std::memcpy(out + begin, acc, n * sizeof(float));
  }
}

void SumInRankOrderBF16(const uint16_t* const* parts, int num_parts, size_t count, uint16_t* out) {
  DSI_CHECK(num_parts >= 1) << "a sum needs at least one part";
  float acc[kBlock];
  for (size_t begin = 0; begin < count; begin += kBlock) {
    const size_t n = std::min(kBlock, count - begin);
    for (size_t i = 0; i < n; ++i) acc[i] = BF16ToF32(parts[0][begin + i]);
    for (int r = 1; r < num_parts; ++r) {
      const uint16_t* part = parts[r] + begin;
      for (size_t i = 0; i < n; ++i) acc[i] += BF16ToF32(part[i]);
    }
    for (size_t i = 0; i < n; ++i) out[begin + i] = F32ToBF16(acc[i]);
  }
}

ChunkRange Chunk(size_t count, int num_chunks, int index) {
  DSI_CHECK(num_chunks >= 1 && index >= 0 && index < num_chunks)
      << "chunk " << index << " of " << num_chunks;
  const size_t n = static_cast<size_t>(num_chunks);
  const size_t i = static_cast<size_t>(index);
  const size_t base = count / n;
  const size_t extra = count % n;
  const size_t begin = i * base + std::min(i, extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

}  // namespace dsi::dist
