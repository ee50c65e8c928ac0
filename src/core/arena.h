// Arena: per-step scratch memory carved from one Buffer sized at start-up, so the step
// loop never calls malloc. Reset() at the start of each step gives everything back.
#pragma once

#include <cstddef>

#include "core/buffer.h"
#include "core/logging.h"

namespace dsi {

class Arena {
 public:
  explicit Arena(size_t capacity_bytes) : buffer_(capacity_bytes) {}

  // Returns kBufferAlignment-aligned memory; running out is a sizing bug, hence a check.
  void* Allocate(size_t size_bytes) {
    const size_t aligned = (size_bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
    DSI_CHECK(used_ + aligned <= buffer_.size())
        << "arena exhausted: need " << aligned << " bytes, " << (buffer_.size() - used_)
        << " left of " << buffer_.size();
    void* p = static_cast<char*>(buffer_.data()) + used_;
    used_ += aligned;
    if (used_ > high_water_) high_water_ = used_;
    return p;
  }
  template <typename T>
  T* AllocateArray(size_t count) {
    return static_cast<T*>(Allocate(count * sizeof(T)));
  }

  void Reset() { used_ = 0; }
  size_t used() const { return used_; }
  size_t capacity() const { return buffer_.size(); }
  // Most ever in use since construction: what start-up sizing should aim for.
  size_t high_water() const { return high_water_; }

 private:
  Buffer buffer_;
  size_t used_ = 0;
  size_t high_water_ = 0;
};

}  // namespace dsi
