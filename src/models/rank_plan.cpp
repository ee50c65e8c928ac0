// Per-rank shard sizes from the tensor table and the layers' split rules (layers/parallel.h:
// column splits of whole heads, row splits of the input, vocabulary slots, experts ep x etp).
#include "models/rank_plan.h"

#include <string>
#include <string_view>

#include "layers/gqa_attention.h"
#include "layers/moe.h"
#include "layers/parallel.h"
#include "models/tensor_table.h"

namespace dsi::models {
namespace {

using layers::Partition;
using layers::PartitionUnits;
using layers::Range;

// "model.layers.3.self_attn.kv_b_proj.weight" -> "kv_b_proj".
std::string_view Module(std::string_view name) {
  const size_t last = name.rfind('.');
  const std::string_view module = name.substr(0, last);
  return module.substr(module.rfind('.') + 1);
}

// The slice [rows, cols] of tensor `t` that tp rank `r` holds, in elements.
class ShardRules {
 public:
  ShardRules(const ModelConfig& c, int tp, int ep, int64_t local_kv_heads)
      : c_(c), tp_(tp), ep_(ep), etp_(tp / ep), local_kv_heads_(local_kv_heads) {}

  int64_t Elements(const ExpectedTensor& t, int r) const {
    const int64_t rows = t.shape[0];
    const int64_t cols = t.shape.rank() > 1 ? t.shape[1] : 1;
    const std::string_view m = Module(t.name);
    const bool bias = t.is_bias;
    switch (t.kind) {
      case TensorKind::kEmbedding:
      case TensorKind::kLmHead:
        return layers::VocabPartition(c_.vocab_size, tp_, r).size() * cols;
      case TensorKind::kNorm:
      case TensorKind::kRouter:
        return rows * cols;
      case TensorKind::kAttention:
        return Attention(m, rows, cols, bias, r);
      case TensorKind::kDenseMlp:
      case TensorKind::kSharedExpert:
        return Mlp(m, rows, cols, Partition(m == "down_proj" ? cols : rows, tp_, r).size());
      case TensorKind::kRoutedExpert: {
        const int ep_rank = r / etp_;
        if (!Contains(Partition(c_.n_routed_experts, ep_, ep_rank), t.expert)) return 0;
        return Mlp(m, rows, cols, Partition(c_.moe_intermediate_size, etp_, r % etp_).size());
      }
    }
    return rows * cols;
  }

 private:
  static bool Contains(const Range& range, int64_t i) { return i >= range.begin && i < range.end; }

  // gate/up: a slice of the output rows; down: a slice of the input columns.
  static int64_t Mlp(std::string_view m, int64_t rows, int64_t cols, int64_t local) {
    return m == "down_proj" ? rows * local : local * cols;
  }

  int64_t Attention(std::string_view m, int64_t rows, int64_t cols, bool bias, int r) const {
    if (c_.is_mla()) {
      const int64_t qk = c_.qk_head_dim(), unit = c_.qk_nope_head_dim + c_.v_head_dim;
      if (m == "q_proj" || m == "q_b_proj") return PartitionUnits(rows, qk, tp_, r).size() * cols;
      if (m == "kv_b_proj") return PartitionUnits(rows, unit, tp_, r).size() * cols;
      if (m == "o_proj") return rows * PartitionUnits(cols, c_.v_head_dim, tp_, r).size();
      return rows * cols;  // q_a_proj, kv_a_proj_with_mqa: replicated
    }
    const int64_t hd = c_.head_dim;
    const int64_t width = bias ? 1 : cols;
    if (m == "q_proj") return PartitionUnits(rows, hd, tp_, r).size() * width;
    if (m == "k_proj" || m == "v_proj") return local_kv_heads_ * hd * width;
    if (m == "o_proj") return bias ? rows : rows * PartitionUnits(cols, hd, tp_, r).size();
    return rows * cols;
  }

  const ModelConfig& c_;
  int tp_, ep_, etp_;
  int64_t local_kv_heads_;  // GqaAttention::LocalKvHeads
};

}  // namespace

Result<std::vector<RankPlan>> PlanRanks(const ModelConfig& config, const RankLayout& layout,
                                        DType dtype) {
  if (layout.tp < 1 || layout.pp < 1 || layout.ep < 0) {
    return InvalidArgument("layout sizes must be at least 1 (ep: 0 for ep = tp)");
  }
  // The layers' own split rules say what divides: heads and KV heads (MLA caches one latent,
  // its heads all split alike), the experts' ep x etp layout.
  const layers::TpShard shard{0, layout.tp};
  DSI_ASSIGN_OR_RETURN(
      const int64_t local_kv,
      layers::GqaAttention::LocalKvHeads(
          config.num_attention_heads,
          config.is_mla() ? config.num_attention_heads : config.num_key_value_heads, shard));
  if (config.HasMoe()) {
    layers::MoeSpec moe;
    moe.moe_intermediate_size = config.moe_intermediate_size;
    moe.ep = layout.ep;
    DSI_RETURN_IF_ERROR(layers::Moe::Validate(moe, shard));
  }
  const int ep = layout.ep == 0 ? layout.tp : layout.ep;
  DSI_ASSIGN_OR_RETURN(const std::vector<StageLayers> stages,
                       PlanPipelineStages(config, layout.pp, layout.layers_per_stage));
  const ShardRules rules(config, layout.tp, ep, local_kv);
  const int64_t elem = static_cast<int64_t>(DTypeSize(dtype));
  std::vector<RankPlan> plans;
  for (int s = 0; s < layout.pp; ++s) {
    const StageLayers& st = stages[s];
    const bool first = s == 0, last = s == layout.pp - 1;
    for (int r = 0; r < layout.tp; ++r) {
      RankPlan p;
      p.pp_rank = s;
      p.tp_rank = r;
      p.layers = st;
      ForEachParameter(config, [&](const ExpectedTensor& t) {
        if (!t.is_parameter()) return;
        bool held = t.layer >= 0                       ? t.layer >= st.begin && t.layer < st.end
                    : t.kind == TensorKind::kEmbedding ? first
                                                       : last;
        // A tied LM head on a last stage without the embedding loads the matrix itself.
        if (t.kind == TensorKind::kEmbedding && config.tie_word_embeddings && last) held = true;
        // The router runs in f32 whatever the compute dtype (layers/moe.h).
        const int64_t bytes = t.kind == TensorKind::kRouter ? 4 : elem;
        if (held) p.weight_bytes += rules.Elements(t, r) * bytes;
      });
      const int64_t layers = st.end - st.begin;
      if (config.is_mla()) {
        p.kv_bytes_per_token = layers * (config.kv_lora_rank + config.qk_rope_head_dim) * elem;
      } else {
        p.kv_bytes_per_token = layers * 2 * local_kv * config.head_dim * elem;
      }
      plans.push_back(p);
    }
  }
  return plans;
}

}  // namespace dsi::models
