// Tensor: a non-owning view (pointer, dtype, shape, strides in elements). It never
// allocates; memory comes from a Buffer, an Arena or an mmapped checkpoint.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/dtype.h"
#include "core/logging.h"

namespace dsi {

inline constexpr int kMaxRank = 6;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    DSI_CHECK_LE(static_cast<int>(dims.size()), kMaxRank);
    for (int64_t d : dims) dims_[rank_++] = d;
  }
  template <typename It>
  static Shape FromRange(It begin, It end) {
    Shape s;
    for (It it = begin; it != end; ++it) {
      DSI_CHECK_LT(s.rank_, kMaxRank);
      s.dims_[s.rank_++] = static_cast<int64_t>(*it);
    }
    return s;
  }

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[Index(i)]; }
  int64_t& operator[](int i) { return dims_[Index(i)]; }
  int64_t NumElements() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
  }
  bool operator==(const Shape& o) const {
    if (rank_ != o.rank_) return false;
    for (int i = 0; i < rank_; ++i) {
      if (dims_[i] != o.dims_[i]) return false;
    }
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string ToString() const;  // "[2048, 1408]"

 private:
  // Negative indices count from the end, as in PyTorch.
  int Index(int i) const {
    const int j = i < 0 ? i + rank_ : i;
    DSI_CHECK(j >= 0 && j < rank_) << "dim " << i << " of rank-" << rank_ << " shape";
    return j;
  }
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

class Tensor {
 public:
  Tensor() = default;
  // Contiguous row-major view.
  Tensor(void* data, DType dtype, Shape shape) : data_(data), dtype_(dtype), shape_(shape) {
    int64_t s = 1;
    for (int i = shape_.rank() - 1; i >= 0; --i) {
      strides_[i] = s;
      s *= shape_[i];
    }
  }

  void* data() const { return data_; }
  template <typename T>
  T* data_as() const { return static_cast<T*>(data_); }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t stride(int i) const { return strides_[i < 0 ? i + rank() : i]; }
  int64_t NumElements() const { return shape_.NumElements(); }
  size_t SizeBytes() const { return static_cast<size_t>(NumElements()) * DTypeSize(dtype_); }
  bool IsContiguous() const;

  // Rows [begin, end) of dim 0, a view into the same memory.
  Tensor SliceRows(int64_t begin, int64_t end) const;
  // Same memory, new shape with the same element count (contiguous tensors only).
  Tensor Reshape(Shape shape) const;

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::kF32;
  Shape shape_;
  std::array<int64_t, kMaxRank> strides_{};
};

}  // namespace dsi
