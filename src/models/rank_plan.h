// What each rank of a parallel layout holds, computed from the config alone (nothing is
// allocated or read): its pipeline stage, the bytes of the checkpoint parameters in its shard,
// and its KV cache bytes per token. `dsinfer inspect --tp/--pp/--ep` prints it, so a user can
// size a job for a model before having the hosts; a test checks it against what the weight
// loader really loads on every rank.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "models/config.h"
#include "models/pipeline_stages.h"

namespace dsi::models {

struct RankLayout {
  int tp = 1;
  int pp = 1;
  int ep = 0;                             // 0: tp
  std::vector<int64_t> layers_per_stage;  // empty: balanced (PlanPipelineStages)
};

struct RankPlan {
  int pp_rank = 0;
  int tp_rank = 0;
  StageLayers layers;
  int64_t weight_bytes = 0;        // checkpoint parameters of this shard in `dtype`
  int64_t kv_bytes_per_token = 0;  // this rank's KV cache, all its layers
};

// One replica's ranks in rank order (tp innermost): rank = pp_rank * tp + tp_rank. Errors name
// the dimension that does not split (heads, KV heads, experts' intermediate size, layers).
Result<std::vector<RankPlan>> PlanRanks(const ModelConfig& config, const RankLayout& layout,
                                        DType dtype);

}  // namespace dsi::models
