// Helpers for the ops tests: owned tensors (a Buffer plus its view) and seeded random fills.
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/buffer.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace dsi::ops::testing {

// A tensor that owns its memory, for tests only.
struct OwnedTensor {
  Buffer buffer;
  Tensor t;
  OwnedTensor(DType dtype, Shape shape)
      : buffer(std::max<size_t>(1, shape.NumElements() * DTypeSize(dtype))),
        t(buffer.data(), dtype, shape) {
    std::memset(buffer.data(), 0, buffer.size());
  }
  float Get(int64_t i) const {
    return t.dtype() == DType::kBF16 ? BF16ToF32(t.data_as<uint16_t>()[i]) : t.data_as<float>()[i];
  }
  void Set(int64_t i, float v) const {
    if (t.dtype() == DType::kBF16) {
      t.data_as<uint16_t>()[i] = F32ToBF16(v);
    } else {
      t.data_as<float>()[i] = v;
    }
  }
  std::vector<float> ToVector() const {
    std::vector<float> v(t.NumElements());
    for (int64_t i = 0; i < t.NumElements(); ++i) v[i] = Get(i);
    return v;
  }
};

// Normal(0, stddev) values (stored in the tensor's dtype, so bf16 tensors are rounded).
inline OwnedTensor RandomTensor(DType dtype, Shape shape, uint32_t seed, float stddev = 1.0f) {
  OwnedTensor o(dtype, shape);
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  for (int64_t i = 0; i < o.t.NumElements(); ++i) o.Set(i, dist(rng));
  return o;
}

inline double MaxAbs(const OwnedTensor& o) {
  double m = 0.0;
  for (int64_t i = 0; i < o.t.NumElements(); ++i) m = std::fmax(m, std::fabs(o.Get(i)));
  return m;
}

}  // namespace dsi::ops::testing
