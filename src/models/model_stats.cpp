// Parameter and memory arithmetic over ForEachParameter (the one table, style.md §7).
#include "models/model_stats.h"

#include "models/tensor_table.h"

namespace dsi::models {

ParameterCounts CountParameters(const ModelConfig& config) {
  ParameterCounts n;
  ForEachParameter(config, [&](const ExpectedTensor& t) {
    if (!t.is_parameter()) return;
    const int64_t count = t.NumElements();
    n.total += count;
    if (t.kind == TensorKind::kEmbedding) n.embedding += count;
    if (t.kind == TensorKind::kLmHead) n.lm_head += count;
    if (t.kind == TensorKind::kRoutedExpert) {
      n.routed_experts += count;
      // Experts of a layer have identical shapes: the first k stand for any k selected.
      if (t.expert < config.num_experts_per_tok) n.routed_experts_active += count;
    }
  });
  const int64_t head = config.tie_word_embeddings ? n.embedding : n.lm_head;
  n.active = n.total - n.embedding - n.lm_head - n.routed_experts + n.routed_experts_active + head;
  n.active_with_embedding = n.active + (config.tie_word_embeddings ? 0 : n.embedding);
  return n;
}

int64_t StoredWeightBytes(const ModelConfig& config, DType model_dtype) {
  int64_t bytes = 0;
  ForEachParameter(config, [&](const ExpectedTensor& t) {
    bytes += t.NumElements() * static_cast<int64_t>(DTypeSize(t.WriteDType(model_dtype)));
  });
  return bytes;
}

int64_t WeightBytesIn(const ModelConfig& config, DType dtype) {
  return CountParameters(config).total * static_cast<int64_t>(DTypeSize(dtype));
}

int64_t KvCacheBytesPerToken(const ModelConfig& config, DType kv_dtype) {
  const int64_t size = static_cast<int64_t>(DTypeSize(kv_dtype));
  if (config.is_mla()) {
    return config.num_hidden_layers * (config.kv_lora_rank + config.qk_rope_head_dim) * size;
  }
  return 2 * config.num_hidden_layers * config.num_key_value_heads * config.head_dim * size;
}

}  // namespace dsi::models
