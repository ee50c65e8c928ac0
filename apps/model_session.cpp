// Shared helpers of the model-running commands.
#include "model_session.h"

#include <iostream>

namespace dsi::apps {

Result<DType> ParseComputeDType(const std::string& dtype) {
  if (dtype == "f32") return DType::kF32;
  if (dtype == "bf16") return DType::kBF16;
  return InvalidArgument("--dtype must be f32 or bf16, got '" + dtype + "'");
}

Result<std::unique_ptr<kv_cache::KvCache>> CreateKvCache(const models::CausalLM& model,
                                                         int64_t tokens) {
  constexpr int32_t kBlockSize = 16;
  return kv_cache::KvCache::Create(model.KvSpec(), kBlockSize,
                                   (tokens + kBlockSize - 1) / kBlockSize);
}

void SetStatusCallback(CLI::App* cmd, int& exit_code, std::function<Status()> fn) {
  cmd->callback([cmd, &exit_code, fn = std::move(fn)] {
    const Status s = fn();
    if (!s.ok()) {
      std::cerr << cmd->get_name() << ": " << s.ToString() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace dsi::apps
