// Scratch: per-step activation memory with stack discipline. One Buffer sized at start-up;
// each layer opens a Scope and everything it allocated is released when the scope ends, so
// the footprint is the deepest layer's, not the sum over layers. core::Arena has no mark /
// rewind, hence this class.
//
// If a step needs more than the capacity (a sizing estimate that was too small), the extra
// comes from overflow Buffers (malloc in the step loop, counted in overflow_allocations());
// the next Reset() regrows the main buffer to the high-water mark, so a warm-up step at the
// largest batch makes every later step allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "core/tensor.h"

namespace dsi::layers {

class Scratch {
 public:
  struct MarkT {
    size_t used;
    size_t num_overflow;
    size_t overflow_bytes;
  };

  explicit Scratch(size_t capacity_bytes = 0);
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // Uninitialized contiguous tensor, 64-byte aligned.
  Tensor Alloc(DType dtype, Shape shape);
  // Same, filled with zeros.
  Tensor AllocZeros(DType dtype, Shape shape);

  // Releases everything allocated since the scope began.
  class Scope {
   public:
    explicit Scope(Scratch& scratch) : scratch_(scratch), mark_(scratch.Mark()) {}
    ~Scope() { scratch_.Rewind(mark_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Scratch& scratch_;
    Scratch::MarkT mark_;
  };

  // Start of a step: everything is released; grows the main buffer after an overflow.
  void Reset();

  size_t capacity() const { return main_.size(); }
  size_t high_water() const { return high_water_; }
  int64_t overflow_allocations() const { return overflow_allocations_; }

 private:
  friend class Scope;
  MarkT Mark() const { return {used_, overflow_.size(), overflow_bytes_}; }
  void Rewind(const MarkT& mark);

  Buffer main_;
  size_t used_ = 0;
  std::vector<Buffer> overflow_;
  size_t overflow_bytes_ = 0;
  size_t high_water_ = 0;
  int64_t overflow_allocations_ = 0;
};

}  // namespace dsi::layers
