// Buffer: the one owning allocation type of the engine (64-byte aligned, move-only).
// Everything else (Tensor, kernels) works on views into Buffers or mmapped files.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"

namespace dsi {

inline constexpr size_t kBufferAlignment = 64;

class Buffer {
 public:
  Buffer() = default;
  // Aborts on allocation failure; use Allocate() where running out is an expected outcome.
  explicit Buffer(size_t size_bytes);
  static Result<Buffer> Allocate(size_t size_bytes);
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  template <typename T>
  T* as() { return static_cast<T*>(data_); }
  template <typename T>
  const T* as() const { return static_cast<const T*>(data_); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace dsi
