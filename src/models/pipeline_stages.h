// Pipeline stages: which contiguous decoder layers each of pp stages holds. By default the
// split balances the stages' compute per token (active weights in matmuls, as model_stats
// counts them; the last stage also carries the LM head, counted at half its weights since
// prefill rows skip it); --pp-layers overrides it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/config.h"

namespace dsi::models {

struct StageLayers {
  int64_t begin = 0;
  int64_t end = 0;  // exclusive
};

// Compute per token of each decoder layer, and of the LM head (same unit: weights in matmuls).
std::vector<double> LayerCosts(const ModelConfig& config, double* lm_head_cost);

// `layers_per_stage` empty: the split that minimizes the largest stage cost. Otherwise it must
// hold pp positive counts that add up to num_hidden_layers (the error names what is wrong).
Result<std::vector<StageLayers>> PlanPipelineStages(const ModelConfig& config, int pp,
                                                    const std::vector<int64_t>& layers_per_stage);

// "4,4,3" → {4, 4, 3}; an empty string gives an empty list.
Result<std::vector<int64_t>> ParseLayerCounts(const std::string& text);

}  // namespace dsi::models
