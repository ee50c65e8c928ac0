// The weight-loading contract between layers and the loader: every layer lists its parameters
// as WeightRefs (HF tensor name, the whole tensor's shape, the slice this rank holds, and where
// that slice goes). The loader reads the slice from the checkpoint, converts its dtype and
// checks the full shape against the model's tensor table (models/tensor_table.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "core/buffer.h"
#include "core/tensor.h"
#include "layers/parallel.h"

namespace dsi::layers {

struct WeightRef {
  std::string name;   // "model.layers.3.mlp.down_proj.weight"
  Shape full_shape;   // shape of the whole checkpoint tensor ([out, in] or [n])
  Range rows;         // dim-0 slice this rank holds
  Range cols;         // dim-1 slice (ignored for rank-1 tensors)
  Tensor dest;        // [rows.size(), cols.size()] or [rows.size()], f32 or bf16, contiguous
};
using WeightVisitor = std::function<void(const WeightRef&)>;

// An owned parameter: the Buffer and the contiguous view into it.
struct Param {
  Buffer buffer;
  Tensor tensor;

  Param() = default;
  Param(DType dtype, Shape shape)
      : buffer(static_cast<size_t>(shape.NumElements()) * DTypeSize(dtype)),
        tensor(buffer.data(), dtype, shape) {}
  bool empty() const { return tensor.rank() == 0; }  // default-constructed (absent)
};

// A WeightRef for a whole (unsharded) tensor stored in `dest`.
inline WeightRef WholeWeight(std::string name, const Tensor& dest) {
  WeightRef w;
  w.name = std::move(name);
  w.full_shape = dest.shape();
  w.rows = {0, dest.dim(0)};
  w.cols = {0, dest.rank() > 1 ? dest.dim(1) : 0};
  w.dest = dest;
  return w;
}

}  // namespace dsi::layers
