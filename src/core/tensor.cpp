// Tensor view helpers.
#include "core/tensor.h"

namespace dsi {

std::string Shape::ToString() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

bool Tensor::IsContiguous() const {
  int64_t expected = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

Tensor Tensor::SliceRows(int64_t begin, int64_t end) const {
  DSI_CHECK(rank() >= 1 && 0 <= begin && begin <= end && end <= dim(0))
      << "rows [" << begin << ", " << end << ") of " << shape_.ToString();
  Tensor t = *this;
  t.data_ = static_cast<char*>(data_) + begin * strides_[0] * DTypeSize(dtype_);
  t.shape_[0] = end - begin;
  return t;
}

Tensor Tensor::Reshape(Shape shape) const {
  DSI_CHECK(IsContiguous()) << "reshape of a strided view";
  DSI_CHECK_EQ(shape.NumElements(), NumElements());
  return Tensor(data_, dtype_, shape);
}

}  // namespace dsi
