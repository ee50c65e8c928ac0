// LlamaForCausalLM and Qwen2ForCausalLM (deepseek-llm, deepseek-coder, R1-Distill-Qwen):
// pre-norm decoder blocks of GQA attention and a SwiGLU MLP (deepseek-models.md §1.a, §1.b).
#pragma once

#include <memory>

#include "core/status.h"
#include "models/causal_lm.h"

namespace dsi::models::llama {

Result<std::unique_ptr<CausalLM>> CreateLlamaModel(const ModelConfig& config,
                                                   const ModelOptions& options);

}  // namespace dsi::models::llama
