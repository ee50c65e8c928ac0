// Stack allocator over one Buffer with counted overflow.
#include "layers/scratch.h"

#include <algorithm>
#include <cstring>

#include "core/logging.h"

namespace dsi::layers {
namespace {
size_t AlignUp(size_t n) { return (n + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment; }
}  // namespace

Scratch::Scratch(size_t capacity_bytes) : main_(AlignUp(capacity_bytes)) {}

Tensor Scratch::Alloc(DType dtype, Shape shape) {
  DSI_CHECK(shape.NumElements() >= 0) << shape.ToString();
  const size_t bytes = AlignUp(static_cast<size_t>(shape.NumElements()) * DTypeSize(dtype));
  void* p;
  if (overflow_.empty() && used_ + bytes <= main_.size()) {
    p = static_cast<char*>(main_.data()) + used_;
    used_ += bytes;
  } else {
    // Once anything overflowed, later allocations of the step overflow too (keeps Rewind
    // simple: the main buffer's offset only moves while no overflow buffer exists).
    overflow_.emplace_back(std::max<size_t>(bytes, kBufferAlignment));
    overflow_bytes_ += bytes;
    ++overflow_allocations_;
    p = overflow_.back().data();
  }
  high_water_ = std::max(high_water_, used_ + overflow_bytes_);
  return Tensor(p, dtype, shape);
}

Tensor Scratch::AllocZeros(DType dtype, Shape shape) {
  Tensor t = Alloc(dtype, shape);
  std::memset(t.data(), 0, t.SizeBytes());
  return t;
}

void Scratch::Rewind(const MarkT& mark) {
  while (overflow_.size() > mark.num_overflow) overflow_.pop_back();
  overflow_bytes_ = mark.overflow_bytes;
  used_ = mark.used;
}

void Scratch::Reset() {
  overflow_.clear();
  overflow_bytes_ = 0;
  used_ = 0;
  if (high_water_ > main_.size()) {
    DSI_LOG(Info) << "scratch: growing from " << main_.size() << " to " << high_water_
                  << " bytes after an overflow";
    main_ = Buffer(AlignUp(high_water_ + high_water_ / 8));
  }
}

}  // namespace dsi::layers
