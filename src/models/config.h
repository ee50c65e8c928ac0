// ModelConfig: the typed form of a Hugging Face config.json for the supported families
// (Llama, Qwen2, DeepSeek V2, DeepSeek V3). Field names follow the config.json keys so
// layer code reads `config.kv_lora_rank` exactly as the paper and the checkpoint name it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace dsi::models {

enum class Architecture { kLlama, kQwen2, kDeepseekV2, kDeepseekV3 };

// "LlamaForCausalLM", ...
std::string_view ArchitectureName(Architecture arch);
// "llama", "qwen2", "deepseek_v2", "deepseek_v3" (the HF model_type).
std::string_view FamilyName(Architecture arch);
// "LlamaForCausalLM, Qwen2ForCausalLM, ..." for error messages.
std::string SupportedArchitectures();

enum class RopeType { kDefault, kLinear, kDynamic, kYarn, kUnknown };
std::string_view RopeTypeName(RopeType type);

// `rope_scaling` (transformers 4.x) or `rope_parameters` (5.x), keyed by `type` or `rope_type`.
// Optional values stay unset when absent because HF derives defaults from their absence
// (deepseek-models.md §2.4.2).
struct RopeScaling {
  RopeType type = RopeType::kDefault;
  std::string type_name = "default";  // as written, for messages (kUnknown keeps the spelling)
  double factor = 1.0;
  std::optional<int64_t> original_max_position_embeddings;
  double beta_fast = 32.0;  // yarn
  double beta_slow = 1.0;   // yarn
  std::optional<double> mscale;
  std::optional<double> mscale_all_dim;
  std::optional<double> attention_factor;
};

enum class QuantMethod { kNone, kFp8, kCompressedTensors, kUnknown };

// `quantization_config`. FP8 = E4M3 weights with one float32 `weight_scale_inv` per
// weight_block_size block (deepseek-models.md §1.d.3). compressed-tensors (int8 W8A8,
// design.md §5) is recognized but not implemented yet.
struct QuantizationConfig {
  QuantMethod method = QuantMethod::kNone;
  std::string method_name;                    // as written
  std::string fmt = "e4m3";                   // fp8
  int64_t weight_block_size[2] = {128, 128};  // fp8 [rows(out), cols(in)]
  std::string activation_scheme;              // fp8: "dynamic"
  std::string scale_fmt;                      // V3.1: "ue8m0"; empty otherwise
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  std::string architecture_name;  // architectures[0] as written (or derived from model_type)
  std::string model_type;

  // Shared by every family.
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // dense MLP; 0 when every layer is MoE and it is absent
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // absent => num_attention_heads
  int64_t head_dim = 0;             // absent => hidden_size / num_attention_heads (GQA families)
  std::string hidden_act = "silu";
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // Llama: bias on q/k/v/o; DeepSeek: bias on the MLA projections
  bool qkv_bias = false;        // q/k/v biases (Qwen2: always; Llama: attention_bias)
  bool mlp_bias = false;        // Llama only
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;  // config eos_token_id: int or list
  std::optional<int64_t> pad_token_id;
  std::string torch_dtype;     // as written ("bfloat16"); `dtype` in transformers 5.x
  DType dtype = DType::kBF16;  // torch_dtype parsed; bf16 when absent

  // Multi-head latent attention (DeepSeek V2/V3). q_lora_rank 0 = no query compression
  // (`q_lora_rank: null`, V2-Lite): a plain q_proj.
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool rope_interleave = true;  // V3 native HF; DeepSeek rope dims are pairwise (§2.4.4)

  // Mixture of experts (DeepSeek V2/V3). n_routed_experts 0 = every layer dense.
  int64_t n_routed_experts = 0;
  int64_t n_shared_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;
  std::string topk_method;  // "greedy" | "group_limited_greedy" | "noaux_tc"
  int64_t n_group = 1;
  int64_t topk_group = 1;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;
  std::string scoring_func;  // "softmax" | "sigmoid"

  int64_t num_nextn_predict_layers = 0;  // MTP layers stored after the last layer; skipped

  // Qwen2 sliding window (unsupported when enabled).
  bool use_sliding_window = false;
  std::optional<int64_t> sliding_window;
  int64_t max_window_layers = 0;

  QuantizationConfig quantization;

  // Features this engine does not implement, by name ("rope_scaling type 'llama3'"). The
  // checkpoint can still be inspected; running it must refuse.
  std::vector<std::string> unsupported_features;

  bool is_deepseek() const {
    return architecture == Architecture::kDeepseekV2 || architecture == Architecture::kDeepseekV3;
  }
  bool is_mla() const { return is_deepseek(); }
  bool has_q_lora() const { return q_lora_rank > 0; }
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  bool is_fp8() const { return quantization.method == QuantMethod::kFp8; }
  // Remote-code rule (deepseek-models.md §1.c): MoE iff experts exist, layer >=
  // first_k_dense_replace and layer % moe_layer_freq == 0.
  bool IsMoeLayer(int64_t layer) const;
  bool HasMoe() const;
  bool HasDenseLayer() const;
};

// Parses and validates a config.json document. Errors name the field ("field
// 'num_key_value_heads': 3 does not divide num_attention_heads 8"); several problems are
// reported together.
Result<ModelConfig> ParseModelConfig(const nlohmann::json& config_json);
// Reads `dir`/config.json (or `dir` itself when it is a file). Errors start with the path.
Result<ModelConfig> LoadModelConfig(const std::filesystem::path& dir);
// Reads a JSON file; errors name the path (missing, unreadable, malformed with position).
Result<nlohmann::json> ReadJsonFile(const std::filesystem::path& path);

}  // namespace dsi::models
