// DeepseekV2ForCausalLM and DeepseekV3ForCausalLM: pre-norm decoder blocks of multi-head latent
// attention and either a dense SwiGLU MLP (the first first_k_dense_replace layers) or a
// mixture of experts (deepseek-models.md §1.c, §1.d, §2.6, §2.8). MTP layers are not built.
#pragma once

#include <memory>

#include "core/status.h"
#include "models/causal_lm.h"

namespace dsi::models::deepseek {

Result<std::unique_ptr<CausalLM>> CreateDeepseekModel(const ModelConfig& config,
                                                      const ModelOptions& options);

}  // namespace dsi::models::deepseek
