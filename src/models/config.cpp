// config.json -> ModelConfig: architecture selection, HF defaults, validation with messages
// that name the field, and the list of unsupported features (deepseek-models.md §1, §2.4.2, §2.8).
#include "models/config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "models/json_fields.h"

namespace dsi::models {
namespace {

// Upper bound on any single size field: keeps every product of two dims far from int64 overflow.
constexpr int64_t kMaxSize = int64_t{1} << 24;
constexpr int64_t kMaxLayers = int64_t{1} << 16;
constexpr int64_t kMaxExperts = int64_t{1} << 16;
// Configs describing more parameters or per-expert tensors than these are rejected, so that
// tables and counts stay small (DeepSeek-V3: 6.7e11 parameters, 61 x 256 layer-experts).
constexpr double kMaxParameters = 1e14;
constexpr int64_t kMaxLayerExperts = int64_t{1} << 22;

struct ArchInfo {
  Architecture arch;
  std::string_view class_name;
  std::string_view model_type;
};
constexpr ArchInfo kArchitectures[] = {
    {Architecture::kLlama, "LlamaForCausalLM", "llama"},
    {Architecture::kQwen2, "Qwen2ForCausalLM", "qwen2"},
    {Architecture::kDeepseekV2, "DeepseekV2ForCausalLM", "deepseek_v2"},
    {Architecture::kDeepseekV3, "DeepseekV3ForCausalLM", "deepseek_v3"},
};

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

Result<Architecture> SelectArchitecture(const nlohmann::json& j, ModelConfig& c) {
  std::vector<std::string> errors;
  JsonFields f(j, "", &errors);
  c.model_type = f.String("model_type", "");
  if (const nlohmann::json* archs = f.Get("architectures")) {
    if (!archs->is_array() || (!archs->empty() && !(*archs)[0].is_string())) {
      return InvalidArgument("field 'architectures' must be a list of strings, got " +
                             DescribeJson(*archs));
    }
    if (!archs->empty()) c.architecture_name = (*archs)[0].get<std::string>();
  }
  if (!errors.empty()) return InvalidArgument(Join(errors, "; "));
  for (const ArchInfo& info : kArchitectures) {
    if (!c.architecture_name.empty() ? c.architecture_name == info.class_name
                                     : c.model_type == info.model_type) {
      if (c.architecture_name.empty()) c.architecture_name = std::string(info.class_name);
      return info.arch;
    }
  }
  if (c.architecture_name.empty() && c.model_type.empty()) {
    return InvalidArgument("field 'architectures' is missing (and no 'model_type'); supported: " +
                           SupportedArchitectures());
  }
  const std::string what = !c.architecture_name.empty() ? "architecture " + c.architecture_name
                                                        : "model_type " + c.model_type;
  return Unsupported(what + " is not supported; supported: " + SupportedArchitectures());
}

// The scaling part of rope_scaling / rope_parameters (deepseek-models.md §2.4.2).
void ParseRopeScaling(JsonFields& f, const std::string& key, ModelConfig& c) {
  for (const auto& [name, value] : f.object().items()) {
    if (value.is_object()) {  // transformers 5.x per-layer-type parameters (not our families)
      c.unsupported_features.push_back(key + " per layer type ('" + name + "')");
      return;
    }
  }
  const std::optional<std::string> type =
      f.Has("rope_type") ? f.OptString("rope_type") : f.OptString("type");
  RopeScaling& r = c.rope_scaling;
  r.type_name = type.value_or("default");
  if (r.type_name == "default")
    r.type = RopeType::kDefault;
  else if (r.type_name == "linear")
    r.type = RopeType::kLinear;
  else if (r.type_name == "dynamic")
    r.type = RopeType::kDynamic;
  else if (r.type_name == "yarn")
    r.type = RopeType::kYarn;
  else
    r.type = RopeType::kUnknown;
  if (r.type == RopeType::kUnknown) {
    c.unsupported_features.push_back(std::string(key) + " type '" + r.type_name + "'");
  }
  if (r.type == RopeType::kLinear || r.type == RopeType::kDynamic || r.type == RopeType::kYarn) {
    if (!f.Has("factor"))
      f.Error("factor", "is missing (required by rope type " + r.type_name + ")");
    r.factor = f.Float("factor", 1.0);
    if (!(r.factor > 0.0) || !std::isfinite(r.factor)) f.Error("factor", "must be positive");
  }
  r.original_max_position_embeddings = f.OptInt("original_max_position_embeddings");
  f.CheckRange("original_max_position_embeddings", r.original_max_position_embeddings, 1,
               kMaxSize * 64);
  r.beta_fast = f.Float("beta_fast", 32.0);
  r.beta_slow = f.Float("beta_slow", 1.0);
  r.mscale = f.OptFloat("mscale");
  r.mscale_all_dim = f.OptFloat("mscale_all_dim");
  r.attention_factor = f.OptFloat("attention_factor");
  const double partial = f.Float("partial_rotary_factor", 1.0);
  if (partial != 1.0)
    c.unsupported_features.push_back("partial_rotary_factor " + std::to_string(partial));
}

void ParseRope(const nlohmann::json& j, ModelConfig& c, std::vector<std::string>& errors) {
  JsonFields top(j, "", &errors);
  // transformers 5.x: `rope_scaling` (legacy) wins over `rope_parameters` when both are set.
  const char* key = top.Has("rope_scaling") ? "rope_scaling" : "rope_parameters";
  const nlohmann::json* rope = top.Get(key);
  std::optional<double> theta = top.OptFloat("rope_theta");
  if (rope != nullptr) {
    if (!rope->is_object()) {
      top.Error(key, "must be an object or null, got " + DescribeJson(*rope));
      return;
    }
    JsonFields f(*rope, std::string(key) + ".", &errors);
    if (!theta) theta = f.OptFloat("rope_theta");
    ParseRopeScaling(f, key, c);
  }
  c.rope_theta = theta.value_or(10000.0);
  if (!(c.rope_theta > 0.0) || !std::isfinite(c.rope_theta))
    top.Error("rope_theta", "must be positive");
  if (top.Float("partial_rotary_factor", 1.0) != 1.0) {
    c.unsupported_features.push_back("partial_rotary_factor");
  }
}

void ParseQuantization(const nlohmann::json& j, ModelConfig& c, std::vector<std::string>& errors) {
  JsonFields top(j, "", &errors);
  const nlohmann::json* q = top.Get("quantization_config");
  if (q == nullptr) return;
  if (!q->is_object()) {
    top.Error("quantization_config", "must be an object, got " + DescribeJson(*q));
    return;
  }
  JsonFields f(*q, "quantization_config.", &errors);
  QuantizationConfig& qc = c.quantization;
  qc.method_name = f.String("quant_method", "");
  if (qc.method_name == "fp8") {
    qc.method = QuantMethod::kFp8;
    qc.fmt = f.String("fmt", "e4m3");
    qc.activation_scheme = f.String("activation_scheme", "dynamic");
    qc.scale_fmt = f.String("scale_fmt", "");
    if (const nlohmann::json* block = f.Get("weight_block_size")) {
      if (!block->is_array() || block->size() != 2 || !(*block)[0].is_number_integer() ||
          !(*block)[1].is_number_integer() || (*block)[0].get<int64_t>() <= 0 ||
          (*block)[1].get<int64_t>() <= 0) {
        f.Error("weight_block_size", "must be two positive integers, got " + DescribeJson(*block));
      } else {
        qc.weight_block_size[0] = (*block)[0].get<int64_t>();
        qc.weight_block_size[1] = (*block)[1].get<int64_t>();
      }
    }
    if (qc.fmt != "e4m3") c.unsupported_features.push_back("fp8 fmt '" + qc.fmt + "'");
    if (qc.activation_scheme != "dynamic") {
      c.unsupported_features.push_back("fp8 activation_scheme '" + qc.activation_scheme + "'");
    }
  } else if (qc.method_name == "compressed-tensors") {
    // Our W8A8 format (design.md §5); its tensor names join the table when convert lands.
    qc.method = QuantMethod::kCompressedTensors;
    c.unsupported_features.push_back("quantization_config compressed-tensors (int8 W8A8) not yet");
  } else {
    qc.method = QuantMethod::kUnknown;
    c.unsupported_features.push_back("quantization_config quant_method '" + qc.method_name + "'");
  }
}

void ParseCommon(const nlohmann::json& j, ModelConfig& c, std::vector<std::string>& errors) {
  JsonFields f(j, "", &errors);
  auto positive = [&](const char* key) { return f.RequiredInt(key, 1, kMaxSize); };
  c.vocab_size = positive("vocab_size");
  c.hidden_size = positive("hidden_size");
  c.num_hidden_layers = f.RequiredInt("num_hidden_layers", 1, kMaxLayers);
  c.num_attention_heads = positive("num_attention_heads");
  std::optional<int64_t> kv = f.OptInt("num_key_value_heads");
  f.CheckRange("num_key_value_heads", kv, 1, kMaxSize);
  c.num_key_value_heads = kv.value_or(c.num_attention_heads);
  std::optional<int64_t> inter = f.OptInt("intermediate_size");
  f.CheckRange("intermediate_size", inter, 1, kMaxSize);
  c.intermediate_size = inter.value_or(0);
  std::optional<int64_t> max_pos = f.OptInt("max_position_embeddings");
  f.CheckRange("max_position_embeddings", max_pos, 1, kMaxSize * 64);
  int64_t default_max_pos = 2048;
  if (c.architecture == Architecture::kQwen2) default_max_pos = 32768;
  if (c.architecture == Architecture::kDeepseekV3) default_max_pos = 4096;
  c.max_position_embeddings = max_pos.value_or(default_max_pos);

  c.hidden_act = f.String("hidden_act", "silu");
  if (c.hidden_act != "silu") c.unsupported_features.push_back("hidden_act '" + c.hidden_act + "'");
  c.rms_norm_eps = f.Float("rms_norm_eps", 1e-6);
  if (!(c.rms_norm_eps > 0.0) || !std::isfinite(c.rms_norm_eps)) {
    f.Error("rms_norm_eps", "must be positive");
  }
  c.tie_word_embeddings = f.Bool("tie_word_embeddings", false);
  c.attention_bias = f.Bool("attention_bias", false);
  c.mlp_bias = f.Bool("mlp_bias", false);
  c.bos_token_id = f.OptInt("bos_token_id");
  c.eos_token_ids = f.IntOrIntList("eos_token_id");
  c.pad_token_id = f.OptInt("pad_token_id");

  c.torch_dtype = f.Has("torch_dtype") ? f.String("torch_dtype", "") : f.String("dtype", "");
  if (c.torch_dtype.empty() || c.torch_dtype == "bfloat16")
    c.dtype = DType::kBF16;
  else if (c.torch_dtype == "float16")
    c.dtype = DType::kF16;
  else if (c.torch_dtype == "float32")
    c.dtype = DType::kF32;
  else
    c.unsupported_features.push_back("torch_dtype '" + c.torch_dtype + "'");

  if (!c.is_deepseek()) {
    std::optional<int64_t> hd = f.OptInt("head_dim");
    f.CheckRange("head_dim", hd, 1, kMaxSize);
    if (hd) {
      c.head_dim = *hd;
    } else if (c.num_attention_heads > 0 && c.hidden_size % c.num_attention_heads != 0) {
      f.Error("num_attention_heads", std::to_string(c.num_attention_heads) +
                                         " does not divide hidden_size " +
                                         std::to_string(c.hidden_size) + " (and no head_dim)");
    } else if (c.num_attention_heads > 0) {
      c.head_dim = c.hidden_size / c.num_attention_heads;
    }
    if (c.head_dim % 2 != 0) f.Error("head_dim", "must be even for rotary embeddings");
    if (!inter) f.Error("intermediate_size", "is missing");
  }
  if (c.num_key_value_heads > 0 && c.num_attention_heads % c.num_key_value_heads != 0) {
    f.Error("num_key_value_heads", std::to_string(c.num_key_value_heads) +
                                       " does not divide num_attention_heads " +
                                       std::to_string(c.num_attention_heads));
  }
  if (c.architecture == Architecture::kQwen2) {
    c.qkv_bias = true;  // Qwen2 always has q/k/v biases, never an o_proj bias
    c.use_sliding_window = f.Bool("use_sliding_window", false);
    c.sliding_window = f.OptInt("sliding_window");
    c.max_window_layers = f.OptInt("max_window_layers").value_or(28);
    if (c.use_sliding_window && c.max_window_layers < c.num_hidden_layers) {
      c.unsupported_features.push_back(
          "sliding window attention (use_sliding_window=true, sliding_window=" +
          (c.sliding_window ? std::to_string(*c.sliding_window) : std::string("null")) + ")");
    }
  } else if (c.architecture == Architecture::kLlama) {
    c.qkv_bias = c.attention_bias;
  }
}

void ParseDeepseek(const nlohmann::json& j, ModelConfig& c, std::vector<std::string>& errors) {
  JsonFields f(j, "", &errors);
  const bool v3 = c.architecture == Architecture::kDeepseekV3;
  // Size fields are required: HF would silently fill in DeepSeek-V3's sizes (q_lora_rank 1536).
  auto positive = [&](const char* key) { return f.RequiredInt(key, 1, kMaxSize); };
  if (!j.contains("q_lora_rank")) f.Error("q_lora_rank", "is missing (null for no query LoRA)");
  const std::optional<int64_t> q_lora = f.OptInt("q_lora_rank");
  f.CheckRange("q_lora_rank", q_lora, 0, kMaxSize);
  c.q_lora_rank = q_lora.value_or(0);  // DeepSeek's own configs write 0 for "none"
  c.kv_lora_rank = positive("kv_lora_rank");
  c.qk_nope_head_dim = positive("qk_nope_head_dim");
  c.qk_rope_head_dim = positive("qk_rope_head_dim");
  c.v_head_dim = positive("v_head_dim");
  if (c.qk_rope_head_dim % 2 != 0)
    f.Error("qk_rope_head_dim", "must be even for rotary embeddings");
  c.head_dim = c.qk_rope_head_dim;  // what HF sets (rotary dim)
  c.rope_interleave = f.Bool("rope_interleave", true);
  if (c.attention_bias) c.unsupported_features.push_back("attention_bias=true for DeepSeek MLA");
  c.num_nextn_predict_layers = f.OptInt("num_nextn_predict_layers").value_or(0);

  if (!j.contains("n_routed_experts")) f.Error("n_routed_experts", "is missing (null for dense)");
  const std::optional<int64_t> experts = f.OptInt("n_routed_experts");
  f.CheckRange("n_routed_experts", experts, 1, kMaxExperts);
  c.n_routed_experts = experts.value_or(0);
  c.topk_method = f.String("topk_method", v3 ? "noaux_tc" : "greedy");
  c.scoring_func = f.String("scoring_func", v3 ? "sigmoid" : "softmax");
  c.n_group = f.OptInt("n_group").value_or(v3 ? 8 : 1);
  c.topk_group = f.OptInt("topk_group").value_or(v3 ? 4 : 1);
  c.norm_topk_prob = f.Bool("norm_topk_prob", v3);
  c.routed_scaling_factor = f.Float("routed_scaling_factor", v3 ? 2.5 : 1.0);
  const std::optional<int64_t> freq = f.OptInt("moe_layer_freq");
  f.CheckRange("moe_layer_freq", freq, 1, kMaxSize);
  c.moe_layer_freq = freq.value_or(1);
  if (c.n_routed_experts == 0) return;

  c.moe_intermediate_size = positive("moe_intermediate_size");
  c.num_experts_per_tok = positive("num_experts_per_tok");
  if (!f.Has("first_k_dense_replace")) f.Error("first_k_dense_replace", "is missing");
  c.first_k_dense_replace = f.OptInt("first_k_dense_replace").value_or(0);
  f.CheckRange("first_k_dense_replace", c.first_k_dense_replace, 0, kMaxSize);
  const std::optional<int64_t> shared = f.OptInt("n_shared_experts");  // null => none
  f.CheckRange("n_shared_experts", shared, 0, kMaxExperts);
  c.n_shared_experts = shared.value_or(0);
  if (c.num_experts_per_tok > c.n_routed_experts) {
    f.Error("num_experts_per_tok", std::to_string(c.num_experts_per_tok) +
                                       " exceeds n_routed_experts " +
                                       std::to_string(c.n_routed_experts));
  }
  const bool known_method =
      v3 ? c.topk_method == "noaux_tc"
         : c.topk_method == "greedy" || c.topk_method == "group_limited_greedy";
  if (!known_method) c.unsupported_features.push_back("topk_method '" + c.topk_method + "'");
  if (c.scoring_func != (v3 ? "sigmoid" : "softmax")) {
    c.unsupported_features.push_back("scoring_func '" + c.scoring_func + "'");
  }
  if (c.topk_method == "group_limited_greedy" || c.topk_method == "noaux_tc") {
    if (c.n_group < 1 || c.n_routed_experts % c.n_group != 0) {
      f.Error("n_group", std::to_string(c.n_group) + " does not divide n_routed_experts " +
                             std::to_string(c.n_routed_experts));
    } else if (c.topk_group < 1 || c.topk_group > c.n_group) {
      f.Error("topk_group", std::to_string(c.topk_group) +
                                " is not in [1, n_group=" + std::to_string(c.n_group) + "]");
    } else if (c.num_experts_per_tok > c.topk_group * (c.n_routed_experts / c.n_group)) {
      f.Error("num_experts_per_tok", "exceeds the experts of topk_group groups");
    }
  }
}

// A generous closed-form bound, only to refuse absurd configs before anything is allocated.
double ApproxParameterUpperBound(const ModelConfig& c) {
  const double h = double(c.hidden_size), heads = double(c.num_attention_heads);
  double attn = 2 * h * heads * double(c.head_dim) +
                2 * h * double(c.num_key_value_heads) * double(c.head_dim);
  if (c.is_mla()) {
    const double qk = double(c.qk_head_dim());
    attn = h * double(c.q_lora_rank) + double(c.q_lora_rank) * heads * qk + h * heads * qk +
           h * double(c.kv_lora_rank + c.qk_rope_head_dim) +
           double(c.kv_lora_rank) * heads * double(c.qk_nope_head_dim + c.v_head_dim) +
           heads * double(c.v_head_dim) * h;
  }
  const double moe =
      3 * h * double(c.moe_intermediate_size) * double(c.n_routed_experts + c.n_shared_experts) +
      double(c.n_routed_experts) * h;
  const double mlp = std::max(3 * h * double(c.intermediate_size), moe);
  return double(c.num_hidden_layers) * (attn + mlp + 2 * h) + 2 * double(c.vocab_size) * h;
}

}  // namespace

std::string_view ArchitectureName(Architecture arch) {
  for (const ArchInfo& info : kArchitectures) {
    if (info.arch == arch) return info.class_name;
  }
  return "unknown";
}

std::string_view FamilyName(Architecture arch) {
  for (const ArchInfo& info : kArchitectures) {
    if (info.arch == arch) return info.model_type;
  }
  return "unknown";
}

std::string SupportedArchitectures() {
  std::vector<std::string> names;
  for (const ArchInfo& info : kArchitectures) names.emplace_back(info.class_name);
  return Join(names, ", ");
}

std::string_view RopeTypeName(RopeType type) {
  switch (type) {
    case RopeType::kDefault:
      return "default";
    case RopeType::kLinear:
      return "linear";
    case RopeType::kDynamic:
      return "dynamic";
    case RopeType::kYarn:
      return "yarn";
    case RopeType::kUnknown:
      return "unknown";
  }
  return "unknown";
}

bool ModelConfig::IsMoeLayer(int64_t layer) const {
  return n_routed_experts > 0 && layer >= first_k_dense_replace &&
         (moe_layer_freq <= 1 || layer % moe_layer_freq == 0);
}

bool ModelConfig::HasMoe() const {
  for (int64_t i = 0; i < num_hidden_layers; ++i) {
    if (IsMoeLayer(i)) return true;
  }
  return false;
}

bool ModelConfig::HasDenseLayer() const {
  for (int64_t i = 0; i < num_hidden_layers; ++i) {
    if (!IsMoeLayer(i)) return true;
  }
  return false;
}

Result<ModelConfig> ParseModelConfig(const nlohmann::json& j) {
  if (!j.is_object()) {
    return InvalidArgument("config must be a JSON object, got " + DescribeJson(j));
  }
  ModelConfig c;
  DSI_ASSIGN_OR_RETURN(c.architecture, SelectArchitecture(j, c));
  std::vector<std::string> errors;
  ParseCommon(j, c, errors);
  ParseRope(j, c, errors);
  if (c.is_deepseek()) ParseDeepseek(j, c, errors);
  ParseQuantization(j, c, errors);
  if (errors.empty() && c.is_deepseek() && c.HasDenseLayer() && c.intermediate_size == 0) {
    errors.push_back("field 'intermediate_size' is missing (needed by the dense layers)");
  }
  if (errors.empty() && c.num_hidden_layers * (c.n_routed_experts + 1) > kMaxLayerExperts) {
    errors.push_back("num_hidden_layers x n_routed_experts = " +
                     std::to_string(c.num_hidden_layers * c.n_routed_experts) +
                     " is more than this engine accepts (" + std::to_string(kMaxLayerExperts) +
                     ")");
  }
  if (errors.empty() && ApproxParameterUpperBound(c) > kMaxParameters) {
    errors.push_back("the config describes about " + std::to_string(ApproxParameterUpperBound(c)) +
                     " parameters, more than this engine accepts (1e14)");
  }
  if (errors.size() > 1) {
    return InvalidArgument(std::to_string(errors.size()) + " problems: " + Join(errors, "; "));
  }
  if (!errors.empty()) return InvalidArgument(errors[0]);
  return c;
}

Result<nlohmann::json> ReadJsonFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    return InvalidArgument(path.string() + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again with exceptions only to get the position for the message.
    try {
      const nlohmann::json reparsed = nlohmann::json::parse(text.str());
      (void)reparsed;
    } catch (const nlohmann::json::parse_error& e) {
      return InvalidArgument(path.string() + ": malformed JSON: " + e.what());
    }
    return InvalidArgument(path.string() + ": malformed JSON");
  }
  return j;
}

Result<ModelConfig> LoadModelConfig(const std::filesystem::path& dir) {
  std::error_code ec;
  const std::filesystem::path path =
      std::filesystem::is_directory(dir, ec) ? dir / "config.json" : dir;
  DSI_ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(path));
  Result<ModelConfig> config = ParseModelConfig(j);
  if (!config.ok()) return config.status().WithContext(path.string());
  return config;
}

}  // namespace dsi::models
