// Balanced contiguous split of the decoder layers over pipeline stages.
#include "models/pipeline_stages.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <sstream>

#include "models/tensor_table.h"

namespace dsi::models {

std::vector<double> LayerCosts(const ModelConfig& config, double* lm_head_cost) {
  std::vector<double> costs(config.num_hidden_layers, 0.0);
  const double expert_share =
      config.n_routed_experts > 0
          ? static_cast<double>(config.num_experts_per_tok) / config.n_routed_experts
          : 0.0;
  ForEachParameter(config, [&](const ExpectedTensor& t) {
    if (!t.is_parameter() || t.layer < 0 || t.kind == TensorKind::kNorm) return;
    const double n = static_cast<double>(t.NumElements());
    costs[t.layer] += t.kind == TensorKind::kRoutedExpert ? n * expert_share : n;
  });
  if (lm_head_cost != nullptr) {
    // The head runs only for rows whose logits are wanted: every decode token, one row per
    // sequence in a prefill. Half its weights per token stands for a mix of the two (on the
    // shipped model this picks the split that measures fastest, BENCHMARKS.md).
    *lm_head_cost =
        0.5 * static_cast<double>(config.vocab_size) * static_cast<double>(config.hidden_size);
  }
  return costs;
}

Result<std::vector<StageLayers>> PlanPipelineStages(const ModelConfig& config, int pp,
                                                    const std::vector<int64_t>& layers_per_stage) {
  const int64_t num_layers = config.num_hidden_layers;
  if (pp < 1) return InvalidArgument("--pp must be at least 1");
  if (pp > num_layers) {
    return InvalidArgument("--pp " + std::to_string(pp) + " is more pipeline stages than the " +
                           std::to_string(num_layers) + " decoder layers (num_hidden_layers)");
  }
  std::vector<StageLayers> stages;
  if (!layers_per_stage.empty()) {
    if (static_cast<int>(layers_per_stage.size()) != pp) {
      return InvalidArgument("--pp-layers lists " + std::to_string(layers_per_stage.size()) +
                             " stages but --pp is " + std::to_string(pp));
    }
    int64_t begin = 0;
    for (int64_t n : layers_per_stage) {
      if (n < 1) return InvalidArgument("--pp-layers: every stage needs at least one layer");
      stages.push_back({begin, begin + n});
      begin += n;
    }
    if (begin != num_layers) {
      return InvalidArgument("--pp-layers adds up to " + std::to_string(begin) +
                             " layers but the model has " + std::to_string(num_layers) +
                             " (num_hidden_layers)");
    }
    return stages;
  }
  double head = 0;
  std::vector<double> cost = LayerCosts(config, &head);
  cost.back() += head;  // the last stage always ends with the LM head
  std::vector<double> prefix(num_layers + 1, 0.0);
  std::partial_sum(cost.begin(), cost.end(), prefix.begin() + 1);
  // best[s][l]: the smallest largest-stage cost of layers [0, l) in s stages; cut[s][l] the
  // start of the last of them.
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(pp + 1, std::vector<double>(num_layers + 1, kInf));
  std::vector<std::vector<int64_t>> cut(pp + 1, std::vector<int64_t>(num_layers + 1, 0));
  best[0][0] = 0;
  for (int s = 1; s <= pp; ++s) {
    for (int64_t l = s; l <= num_layers; ++l) {
      for (int64_t k = s - 1; k < l; ++k) {
        const double v = std::max(best[s - 1][k], prefix[l] - prefix[k]);
        if (v < best[s][l]) best[s][l] = v, cut[s][l] = k;
      }
    }
  }
  stages.resize(pp);
  for (int64_t s = pp, l = num_layers; s >= 1; l = cut[s][l], --s) {
    stages[s - 1] = {cut[s][l], l};
  }
  return stages;
}

Result<std::vector<int64_t>> ParseLayerCounts(const std::string& text) {
  std::vector<int64_t> counts;
  if (text.empty()) return counts;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int64_t n = 0;
    try {
      n = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) {
      return InvalidArgument("--pp-layers: '" + item + "' is not a layer count (e.g. 4,4,3)");
    }
    counts.push_back(n);
  }
  return counts;
}

}  // namespace dsi::models
