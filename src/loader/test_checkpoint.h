// Random-weight checkpoints at the exact shapes of a config: tiny ones for tests, real-sized
// ones for benchmarking without downloads (`dsinfer random-checkpoint`). Every tensor of the
// model's table (models/tensor_table.h) is written; nothing else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "core/status.h"

namespace dsi::loader {

// Writes `dir`/config.json (the given config with torch_dtype set to `dtype`) and the weights:
// model.safetensors, or with num_shards > 1 model-0000k-of-0000N.safetensors plus
// model.safetensors.index.json. `dtype` (F32, BF16 or F16) is used for every tensor except
// FP8 weights (F8_E4M3 + F32 `weight_scale_inv` when the config has an fp8
// quantization_config) and the V3 e_score_correction_bias (F32, as released).
//
// Values are deterministic in (seed, tensor name) and do not depend on sharding: norms
// 1 ± 0.1, everything else uniform with standard deviation 0.02 (HF initializer_range); FP8
// weights use the full E4M3 range with block scales that bring them to the same size.
// Refuses a `dir` that already holds *.safetensors files. Peak memory is one shard.
Status WriteRandomCheckpoint(const nlohmann::json& config_json, const std::filesystem::path& dir,
                             uint64_t seed, DType dtype, int num_shards = 1);

// The value WriteRandomCheckpoint stores at `index` of tensor `name` for tensors written in
// a float dtype, before rounding to that dtype (tests check files against it).
float RandomCheckpointValue(uint64_t seed, std::string_view name, bool is_norm, int64_t index);

}  // namespace dsi::loader
