// CreateModel: the one place that maps a config's architecture to its family implementation
// and refuses configs this engine cannot run. Weights are loaded separately
// (loader/weight_loader.h), so a model can be planned and inspected without reading them.
#pragma once

#include <memory>

#include "core/status.h"
#include "models/causal_lm.h"
#include "models/config.h"

namespace dsi::models {

// Unsupported when config.unsupported_features is not empty (all are named) or the options
// ask for something the family cannot do (compute dtype, a tensor-parallel size that does not
// divide the heads).
Result<std::unique_ptr<CausalLM>> CreateModel(const ModelConfig& config,
                                              const ModelOptions& options);

}  // namespace dsi::models
