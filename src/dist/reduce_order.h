// The one summation loop every Communicator uses, so that all implementations, ranks and
// runs produce bitwise the same sums; layers call it too when they must reproduce a
// tensor-parallel sum inside one process.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsi::dist {

// [NOTE: fixed reduction order] An all-reduce over n ranks computes, for every element,
//   out = (((part_0 + part_1) + part_2) + ...) + part_{n-1}
// in f32, left to right in rank order, starting from rank 0's value (not from 0.0f, so a
// lone -0.0 stays -0.0). bf16 parts are widened to f32, summed in the same order and
// rounded to bf16 once (round to nearest even). The order never depends on timing, message
// size or the algorithm the transport picks: the MPI implementation only moves bytes and
// calls these functions. For a row-parallel linear, part_r = x[:, K_r] · W[K_r, :] where K_r
// is rank r's contiguous slice of the input dimension; a single process reproduces the
// tp = n result bit for bit by computing the n slice products and calling SumInRankOrder
// on them.
//
// `out` may alias any of the parts; `count` elements are written.
void SumInRankOrder(const float* const* parts, int num_parts, size_t count, float* out);
void SumInRankOrderBF16(const uint16_t* const* parts, int num_parts, size_t count, uint16_t* out);

// Element range [begin, end) of chunk `index` when `count` elements are cut into
// `num_chunks` nearly equal contiguous chunks (the first count % num_chunks get one more).
struct ChunkRange {
  size_t begin;
  size_t end;
  size_t size() const { return end - begin; }
};
ChunkRange Chunk(size_t count, int num_chunks, int index);

}  // namespace dsi::dist
