// Aligned allocation for Buffer.
#include "core/buffer.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "core/logging.h"

namespace dsi {
namespace {

void* AlignedAlloc(size_t size) {
  if (size == 0) return nullptr;
  const size_t rounded = (size + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  return std::aligned_alloc(kBufferAlignment, rounded);
}

}  // namespace

Buffer::Buffer(size_t size_bytes) : data_(AlignedAlloc(size_bytes)), size_(size_bytes) {
  DSI_CHECK(size_bytes == 0 || data_ != nullptr) << "out of memory allocating " << size_bytes
                                                 << " bytes";
}

Result<Buffer> Buffer::Allocate(size_t size_bytes) {
  Buffer b;
  b.data_ = AlignedAlloc(size_bytes);
  if (size_bytes != 0 && b.data_ == nullptr) {
    return ResourceExhausted("could not allocate " + std::to_string(size_bytes) + " bytes");
  }
  b.size_ = size_bytes;
  return b;
}

Buffer::~Buffer() { std::free(data_); }

Buffer::Buffer(Buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace dsi
