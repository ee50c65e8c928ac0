// Weight loading: walks a model's parameters (CausalLM::ForEachWeight: HF name, this rank's
// shard, destination), checks each against the model's tensor table and the checkpoint, and
// copies only the rank's slice out of the mmapped files, converting BF16/F16/F32 to the compute
// dtype and dequantizing FP8 E4M3 block-scaled weights (deepseek-models.md §1.d.3).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/status.h"
#include "loader/safetensors.h"
#include "models/causal_lm.h"

namespace dsi::loader {

struct LoadStats {
  int64_t num_tensors = 0;       // checkpoint tensors read (FP8 scales not counted)
  int64_t num_fp8_tensors = 0;   // of which dequantized from F8_E4M3
  int64_t bytes_read = 0;        // checkpoint bytes this rank touched (its slices only)
  int64_t bytes_written = 0;     // parameter bytes filled
};

// Errors name the tensor: missing ("tensor 'X' is missing from checkpoint DIR"), shape
// ("tensor X: shape [64, 32] expected [64, 48] — is config.json from another checkpoint?"),
// dtype, or a missing FP8 scale. Calls model.FinishLoading() at the end.
Result<LoadStats> LoadWeights(const Checkpoint& checkpoint, models::CausalLM& model);

// config.json → CreateModel → Checkpoint::Open → LoadWeights, for a model directory.
Result<std::unique_ptr<models::CausalLM>> LoadModel(const std::filesystem::path& dir,
                                                    const models::ModelOptions& options,
                                                    LoadStats* stats = nullptr);

}  // namespace dsi::loader
