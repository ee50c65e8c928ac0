// Compares the tensors a checkpoint holds with the table of its config: missing, unexpected,
// wrongly shaped or typed, and ignored (MTP layers, inv_freq) tensors, each named.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "models/config.h"

namespace dsi::models {

struct ActualTensor {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
};

struct IgnoredTensor {
  std::string name;
  std::string reason;
};

struct TensorCheckReport {
  size_t num_expected = 0;
  size_t num_matched = 0;                // present with the right shape and dtype
  std::vector<std::string> missing;      // names, in table order
  std::vector<std::string> wrong_shape;  // "name: shape [64, 32] expected [64, 48]"
  std::vector<std::string> wrong_dtype;  // "name: dtype BF16 expected F8_E4M3"
  std::vector<std::string> unexpected;   // names not in the table and not ignored, sorted
  std::vector<IgnoredTensor> ignored;    // sorted by name
  std::vector<std::string> hints;        // likely causes, e.g. a config from another checkpoint

  bool ok() const {
    return missing.empty() && wrong_shape.empty() && wrong_dtype.empty() && unexpected.empty();
  }
  size_t num_problems() const {
    return missing.size() + wrong_shape.size() + wrong_dtype.size() + unexpected.size();
  }
};

TensorCheckReport CheckTensors(const ModelConfig& config, std::span<const ActualTensor> actual);

}  // namespace dsi::models
