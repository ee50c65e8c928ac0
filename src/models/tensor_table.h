// The one table of Hugging Face tensor names and shapes per family (deepseek-models.md
// §1.a-1.d). The weight loader, the memory planner, `inspect`, the random-checkpoint writer
// and the tests all walk ForEachParameter (style.md §7).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "models/config.h"

namespace dsi::models {

// Which block of the network a tensor belongs to.
enum class TensorKind : uint8_t {
  kEmbedding,     // model.embed_tokens.weight
  kLmHead,        // lm_head.weight (absent when tie_word_embeddings)
  kNorm,          // every RMSNorm weight, incl. model.norm and the MLA latent norms
  kAttention,     // attention projections (q/k/v/o, MLA q_a/q_b/kv_a/kv_b)
  kDenseMlp,      // mlp.{gate,up,down}_proj of a dense layer
  kRouter,        // mlp.gate.weight and mlp.gate.e_score_correction_bias
  kRoutedExpert,  // mlp.experts.E.*
  kSharedExpert,  // mlp.shared_experts.*
};
std::string_view TensorKindName(TensorKind kind);

// How a tensor is stored, which fixes the dtypes a checkpoint may use for it.
enum class TensorStorage : uint8_t {
  kModelDType,  // F32 / BF16 / F16, as the checkpoint chose
  kFp8,         // F8_E4M3 weight with a `weight_scale_inv` sibling
  kScaleInv,    // F32 [ceil(out/block0), ceil(in/block1)] block scale of an FP8 weight
  kF32,         // float32 in released checkpoints (V3 e_score_correction_bias); any float accepted
};

struct ExpectedTensor {
  std::string name;  // HF name, e.g. "model.layers.3.mlp.experts.7.down_proj.weight"
  Shape shape;
  int64_t layer = -1;   // -1 for global tensors
  int64_t expert = -1;  // routed expert index, -1 otherwise
  TensorKind kind = TensorKind::kEmbedding;
  TensorStorage storage = TensorStorage::kModelDType;
  bool is_bias = false;

  // Scale tensors are quantization metadata, not parameters.
  bool is_parameter() const { return storage != TensorStorage::kScaleInv; }
  int64_t NumElements() const { return shape.NumElements(); }
  // The dtype a writer uses: model_dtype for kModelDType, F8_E4M3 / F32 otherwise.
  DType WriteDType(DType model_dtype) const;
  // Whether a checkpoint tensor of `dtype` is acceptable for this entry.
  bool AcceptsDType(DType dtype) const;
};

// Calls `visit` for every tensor the checkpoint of `config` must hold, in checkpoint order
// (embedding, layer 0..L-1, final norm, lm_head); an FP8 weight is followed by its scale.
// Layers >= num_hidden_layers (MTP) are not part of the table.
using TensorVisitor = std::function<void(const ExpectedTensor&)>;
void ForEachParameter(const ModelConfig& config, const TensorVisitor& visit);
std::vector<ExpectedTensor> ExpectedTensors(const ModelConfig& config);

// Layer index of "model.layers.<i>.…", or nullopt for other names.
std::optional<int64_t> LayerIndexOf(std::string_view name);
// Why a checkpoint tensor that is not in the table is ignored rather than unexpected
// ("MTP layer 61 >= num_hidden_layers", "rotary inv_freq buffer"), or nullopt.
std::optional<std::string> IgnoreReason(const ModelConfig& config, std::string_view name);

// Family tables (llama_tensors.cpp, deepseek_tensors.cpp); use ForEachParameter instead.
namespace internal {
// Emits "<prefix>.weight" [out, in] (+ FP8 scale) and, with `bias`, "<prefix>.bias" [out].
struct LinearSpec {
  std::string prefix;
  int64_t out = 0;
  int64_t in = 0;
  int64_t layer = -1;
  int64_t expert = -1;
  TensorKind kind = TensorKind::kAttention;
  bool bias = false;
  bool fp8 = false;
};
void EmitLinear(const ModelConfig& config, const LinearSpec& spec, const TensorVisitor& visit);
void EmitNorm(const std::string& name, int64_t size, int64_t layer, const TensorVisitor& visit);
std::string LayerPrefix(int64_t layer);  // "model.layers.3."
void ForEachLlamaLayerTensor(const ModelConfig& config, int64_t layer, const TensorVisitor& visit);
void ForEachDeepseekLayerTensor(const ModelConfig& config, int64_t layer,
                                const TensorVisitor& visit);
}  // namespace internal

}  // namespace dsi::models
