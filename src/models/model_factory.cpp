// Architecture dispatch and up-front refusals.
#include "models/model_factory.h"

#include <string>

#include "models/deepseek/deepseek_model.h"
#include "models/llama/llama_model.h"

namespace dsi::models {

Result<std::unique_ptr<CausalLM>> CreateModel(const ModelConfig& config,
                                              const ModelOptions& options) {
  const std::string arch(ArchitectureName(config.architecture));
  if (!config.unsupported_features.empty()) {
    std::string list;
    for (const std::string& f : config.unsupported_features) list += (list.empty() ? "" : "; ") + f;
    return Unsupported(arch + ": this engine does not implement " + list);
  }
  if (options.compute_dtype != DType::kF32 && options.compute_dtype != DType::kBF16) {
    return InvalidArgument("compute dtype " + std::string(DTypeName(options.compute_dtype)) +
                           " is not supported (F32 or BF16)");
  }
  if (options.max_tokens_per_step <= 0) {
    return InvalidArgument("max_tokens_per_step must be positive");
  }
  const int64_t end = options.layer_end < 0 ? config.num_hidden_layers : options.layer_end;
  if (options.layer_begin < 0 || options.layer_begin >= end || end > config.num_hidden_layers) {
    return InvalidArgument("pipeline stage layers [" + std::to_string(options.layer_begin) +
                           ", " + std::to_string(end) + ") are not a non-empty range of the " +
                           std::to_string(config.num_hidden_layers) + " decoder layers");
  }
  switch (config.architecture) {
    case Architecture::kLlama:
    case Architecture::kQwen2:
      return llama::CreateLlamaModel(config, options);
    case Architecture::kDeepseekV2:
    case Architecture::kDeepseekV3:
      return deepseek::CreateDeepseekModel(config, options);
  }
  return Unsupported("architecture " + arch + " is not supported; supported: " +
                     SupportedArchitectures());
}

}  // namespace dsi::models
