// ForEachParameter: global tensors, per-layer dispatch to the family tables, FP8 scale
// siblings, and the ignore rules for checkpoint tensors outside the table (§1.d.4, §6).
#include "models/tensor_table.h"

#include <charconv>

namespace dsi::models {

std::string_view TensorKindName(TensorKind kind) {
  switch (kind) {
    case TensorKind::kEmbedding:
      return "embedding";
    case TensorKind::kLmHead:
      return "lm_head";
    case TensorKind::kNorm:
      return "norm";
    case TensorKind::kAttention:
      return "attention";
    case TensorKind::kDenseMlp:
      return "dense_mlp";
    case TensorKind::kRouter:
      return "router";
    case TensorKind::kRoutedExpert:
      return "routed_expert";
    case TensorKind::kSharedExpert:
      return "shared_expert";
  }
  return "unknown";
}

DType ExpectedTensor::WriteDType(DType model_dtype) const {
  switch (storage) {
    case TensorStorage::kModelDType:
      return model_dtype;
    case TensorStorage::kFp8:
      return DType::kF8E4M3;
    case TensorStorage::kScaleInv:
      return DType::kF32;
    case TensorStorage::kF32:
      return DType::kF32;
  }
  return model_dtype;
}

bool ExpectedTensor::AcceptsDType(DType dtype) const {
  const bool plain_float = dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16;
  switch (storage) {
    case TensorStorage::kModelDType:
      return plain_float;
    case TensorStorage::kFp8:
      return dtype == DType::kF8E4M3;
    case TensorStorage::kScaleInv:
      return dtype == DType::kF32;
    case TensorStorage::kF32:
      return plain_float;
  }
  return false;
}

namespace internal {

std::string LayerPrefix(int64_t layer) { return "model.layers." + std::to_string(layer) + "."; }

void EmitLinear(const ModelConfig& config, const LinearSpec& spec, const TensorVisitor& visit) {
  ExpectedTensor w;
  w.name = spec.prefix + ".weight";
  w.shape = Shape{spec.out, spec.in};  // [out_features, in_features]
  w.layer = spec.layer;
  w.expert = spec.expert;
  w.kind = spec.kind;
  w.storage = spec.fp8 ? TensorStorage::kFp8 : TensorStorage::kModelDType;
  visit(w);
  if (spec.fp8) {
    // see deepseek-models.md §1.d.3: one f32 per [block0, block1] tile, ceil-div grid.
    const int64_t b0 = config.quantization.weight_block_size[0];
    const int64_t b1 = config.quantization.weight_block_size[1];
    ExpectedTensor s = w;
    s.name = spec.prefix + ".weight_scale_inv";
    s.shape = Shape{(spec.out + b0 - 1) / b0, (spec.in + b1 - 1) / b1};
    s.storage = TensorStorage::kScaleInv;
    visit(s);
  }
  if (spec.bias) {
    ExpectedTensor b = w;
    b.name = spec.prefix + ".bias";
    b.shape = Shape{spec.out};
    b.storage = TensorStorage::kModelDType;
    b.is_bias = true;
    visit(b);
  }
}

void EmitNorm(const std::string& name, int64_t size, int64_t layer, const TensorVisitor& visit) {
  ExpectedTensor t;
  t.name = name;
  t.shape = Shape{size};
  t.layer = layer;
  t.kind = TensorKind::kNorm;
  visit(t);
}

}  // namespace internal

void ForEachParameter(const ModelConfig& config, const TensorVisitor& visit) {
  const int64_t h = config.hidden_size;
  ExpectedTensor embed;
  embed.name = "model.embed_tokens.weight";
  embed.shape = Shape{config.vocab_size, h};
  embed.kind = TensorKind::kEmbedding;
  visit(embed);
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    if (config.is_deepseek()) {
      internal::ForEachDeepseekLayerTensor(config, layer, visit);
    } else {
      internal::ForEachLlamaLayerTensor(config, layer, visit);
    }
  }
  internal::EmitNorm("model.norm.weight", h, -1, visit);
  if (!config.tie_word_embeddings) {
    ExpectedTensor head = embed;  // never FP8 (§1.d)
    head.name = "lm_head.weight";
    head.kind = TensorKind::kLmHead;
    visit(head);
  }
}

std::vector<ExpectedTensor> ExpectedTensors(const ModelConfig& config) {
  std::vector<ExpectedTensor> tensors;
  ForEachParameter(config, [&](const ExpectedTensor& t) { tensors.push_back(t); });
  return tensors;
}

std::optional<int64_t> LayerIndexOf(std::string_view name) {
  constexpr std::string_view kPrefix = "model.layers.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  int64_t layer = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), layer);
  if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.') {
    return std::nullopt;
  }
  return layer;
}

std::optional<std::string> IgnoreReason(const ModelConfig& config, std::string_view name) {
  constexpr std::string_view kInvFreq = "rotary_emb.inv_freq";
  if (name.size() >= kInvFreq.size() && name.substr(name.size() - kInvFreq.size()) == kInvFreq) {
    return std::string("rotary inv_freq buffer (recomputed from config)");
  }
  if (config.tie_word_embeddings && name == "lm_head.weight") {
    return std::string("lm_head.weight with tie_word_embeddings=true (embed_tokens is used)");
  }
  const std::optional<int64_t> layer = LayerIndexOf(name);
  if (layer && *layer >= config.num_hidden_layers) {
    return "layer " + std::to_string(*layer) + " >= num_hidden_layers " +
           std::to_string(config.num_hidden_layers) + " (MTP / next-token prediction)";
  }
  return std::nullopt;
}

}  // namespace dsi::models
