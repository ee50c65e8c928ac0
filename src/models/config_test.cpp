// ModelConfig parsing: every family's test config, HF defaults, both rope spellings, errors
// that name the field, and unsupported features.
#include "models/config.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace dsi::models {
namespace {

using nlohmann::json;

json ReadConfig(const std::string& name) {
  return json::parse(testing::ReadFile(testing::SourceDir() / "tests/data/configs" / name));
}

ModelConfig ParseOk(const json& j) {
  Result<ModelConfig> c = ParseModelConfig(j);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ModelConfig{};
}

std::string ParseError(const json& j) {
  Result<ModelConfig> c = ParseModelConfig(j);
  EXPECT_FALSE(c.ok()) << "parsed unexpectedly: " << j.dump();
  return c.ok() ? "" : c.status().message();
}

TEST(ConfigTest, Llama) {
  const ModelConfig c = ParseOk(ReadConfig("llama.json"));
  EXPECT_EQ(c.architecture, Architecture::kLlama);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);  // 64 / 4
  EXPECT_EQ(c.intermediate_size, 96);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kLinear);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 4.0);
  EXPECT_DOUBLE_EQ(c.rope_theta, 100000.0);  // written as an integer
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 0);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{1});
  EXPECT_EQ(c.dtype, DType::kBF16);
  EXPECT_TRUE(c.unsupported_features.empty());
}

TEST(ConfigTest, Qwen2AlwaysHasQkvBiasAndEosList) {
  const ModelConfig c = ParseOk(ReadConfig("qwen2.json"));
  EXPECT_EQ(c.architecture, Architecture::kQwen2);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{1, 2}));
  EXPECT_FALSE(c.use_sliding_window);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kDefault);
  EXPECT_TRUE(c.unsupported_features.empty());
}

TEST(ConfigTest, DeepseekV2LiteHasNoQueryLora) {
  const ModelConfig c = ParseOk(ReadConfig("deepseek_v2_lite.json"));
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV2);
  EXPECT_FALSE(c.has_q_lora());
  EXPECT_EQ(c.qk_head_dim(), 24);
  EXPECT_EQ(c.head_dim, 8);  // HF sets head_dim to the rotary dim
  EXPECT_EQ(c.topk_method, "greedy");
  EXPECT_EQ(c.scoring_func, "softmax");
  EXPECT_EQ(c.rope_scaling.type, RopeType::kYarn);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 40.0);  // integer in the file
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 4096);
  EXPECT_DOUBLE_EQ(c.rope_scaling.beta_fast, 32.0);
  EXPECT_DOUBLE_EQ(*c.rope_scaling.mscale_all_dim, 0.707);
  EXPECT_FALSE(c.rope_scaling.attention_factor.has_value());
  EXPECT_FALSE(c.IsMoeLayer(0));
  EXPECT_TRUE(c.IsMoeLayer(1));
  EXPECT_TRUE(c.IsMoeLayer(2));
  EXPECT_TRUE(c.unsupported_features.empty());
}

TEST(ConfigTest, DeepseekV2WithRopeParametersAndDtypeKey) {
  const ModelConfig c = ParseOk(ReadConfig("deepseek_v2.json"));
  EXPECT_EQ(c.q_lora_rank, 48);
  EXPECT_EQ(c.topk_method, "group_limited_greedy");
  EXPECT_EQ(c.n_group, 4);
  EXPECT_EQ(c.topk_group, 2);
  EXPECT_DOUBLE_EQ(c.routed_scaling_factor, 16.0);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kYarn);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);  // only inside rope_parameters
  EXPECT_EQ(c.torch_dtype, "bfloat16");
}

TEST(ConfigTest, DeepseekV3AndFp8) {
  const ModelConfig c = ParseOk(ReadConfig("deepseek_v3.json"));
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV3);
  EXPECT_EQ(c.topk_method, "noaux_tc");
  EXPECT_EQ(c.scoring_func, "sigmoid");
  EXPECT_TRUE(c.norm_topk_prob);
  EXPECT_EQ(c.num_nextn_predict_layers, 1);
  EXPECT_FALSE(c.is_fp8());
  const ModelConfig q = ParseOk(ReadConfig("deepseek_v3_fp8.json"));
  EXPECT_TRUE(q.is_fp8());
  EXPECT_EQ(q.quantization.weight_block_size[0], 128);
  EXPECT_EQ(q.quantization.weight_block_size[1], 128);
  EXPECT_EQ(q.quantization.fmt, "e4m3");
  EXPECT_TRUE(q.unsupported_features.empty());
}

TEST(ConfigTest, HfDefaults) {
  json j = ReadConfig("llama.json");
  for (const char* key : {"num_key_value_heads", "rope_theta", "rope_scaling", "rms_norm_eps",
                          "tie_word_embeddings", "max_position_embeddings", "eos_token_id"}) {
    j.erase(key);
  }
  ModelConfig c = ParseOk(j);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kDefault);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_TRUE(c.eos_token_ids.empty());
  j["num_key_value_heads"] = nullptr;  // null is "unset" as in HF
  j["head_dim"] = 32;                  // explicit head_dim need not be hidden / heads
  c = ParseOk(j);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 32);

  json v3 = ReadConfig("deepseek_v3.json");
  for (const char* key : {"topk_method", "scoring_func", "norm_topk_prob", "routed_scaling_factor",
                          "n_group", "topk_group", "moe_layer_freq"}) {
    v3.erase(key);
  }
  v3["n_routed_experts"] = 32;  // HF's default n_group 8 must divide it
  c = ParseOk(v3);
  EXPECT_EQ(c.topk_method, "noaux_tc");
  EXPECT_EQ(c.scoring_func, "sigmoid");
  EXPECT_TRUE(c.norm_topk_prob);
  EXPECT_DOUBLE_EQ(c.routed_scaling_factor, 2.5);
  EXPECT_EQ(c.n_group, 8);
  EXPECT_EQ(c.topk_group, 4);
  EXPECT_EQ(c.moe_layer_freq, 1);
}

// rope_scaling / rope_parameters × type / rope_type all mean the same thing.
TEST(ConfigTest, RopeSpellings) {
  for (const char* container : {"rope_scaling", "rope_parameters"}) {
    for (const char* type_key : {"type", "rope_type"}) {
      json j = ReadConfig("llama.json");
      j.erase("rope_scaling");
      j[container] = {
          {type_key, "yarn"}, {"factor", 8},    {"original_max_position_embeddings", 512},
          {"beta_fast", 16},  {"beta_slow", 2}, {"attention_factor", 1.25}};
      const ModelConfig c = ParseOk(j);
      SCOPED_TRACE(std::string(container) + "." + type_key);
      EXPECT_EQ(c.rope_scaling.type, RopeType::kYarn);
      EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 8.0);
      EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 512);
      EXPECT_DOUBLE_EQ(c.rope_scaling.beta_fast, 16.0);
      EXPECT_DOUBLE_EQ(c.rope_scaling.beta_slow, 2.0);
      EXPECT_DOUBLE_EQ(*c.rope_scaling.attention_factor, 1.25);
      EXPECT_FALSE(c.rope_scaling.mscale.has_value());
    }
  }
  json j = ReadConfig("llama.json");
  j["rope_parameters"] = {{"rope_type", "dynamic"}, {"factor", 2.0}};
  EXPECT_EQ(ParseOk(j).rope_scaling.type, RopeType::kLinear)
      << "rope_scaling wins when both are set";
  j.erase("rope_scaling");
  EXPECT_EQ(ParseOk(j).rope_scaling.type, RopeType::kDynamic);
  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 5e5}};
  j.erase("rope_theta");
  EXPECT_DOUBLE_EQ(ParseOk(j).rope_theta, 5e5);
}

TEST(ConfigTest, ErrorsNameTheField) {
  const json base = ReadConfig("llama.json");
  struct Case {
    const char* key;
    json value;  // null erases the key
    const char* expect;
  };
  const Case cases[] = {
      {"hidden_size", nullptr, "field 'hidden_size' is missing"},
      {"hidden_size", "64", "field 'hidden_size' must be an integer, got string \"64\""},
      {"hidden_size", 64.0, "field 'hidden_size' must be an integer, got number"},
      {"hidden_size", true, "field 'hidden_size' must be an integer, got boolean"},
      {"hidden_size", -64, "field 'hidden_size' is -64"},
      {"vocab_size", 0, "field 'vocab_size' is 0"},
      {"num_hidden_layers", nullptr, "field 'num_hidden_layers' is missing"},
      {"num_attention_heads", 5, "field 'num_attention_heads' 5 does not divide hidden_size 64"},
      {"num_key_value_heads", 3,
       "field 'num_key_value_heads' 3 does not divide num_attention_heads 4"},
      {"intermediate_size", nullptr, "field 'intermediate_size' is missing"},
      {"rms_norm_eps", "tiny", "field 'rms_norm_eps' must be a number"},
      {"tie_word_embeddings", 1, "field 'tie_word_embeddings' must be true or false"},
      {"eos_token_id", json::array({1, "x"}), "field 'eos_token_id' must be an integer or a list"},
      {"rope_scaling", "linear", "field 'rope_scaling' must be an object or null"},
      {"rope_scaling", {{"type", "linear"}}, "field 'rope_scaling.factor' is missing"},
      {"rope_scaling",
       {{"type", "linear"}, {"factor", "4"}},
       "field 'rope_scaling.factor' must be a number"},
      {"architectures", "LlamaForCausalLM", "field 'architectures' must be a list of strings"},
      {"hidden_size", json(uint64_t{1} << 63), "field 'hidden_size' is too large"},
  };
  for (const Case& c : cases) {
    json j = base;
    if (c.value.is_null())
      j.erase(c.key);
    else
      j[c.key] = c.value;
    EXPECT_NE(ParseError(j).find(c.expect), std::string::npos)
        << "case " << c.key << "=" << c.value.dump() << ": " << ParseError(j);
  }
}

TEST(ConfigTest, SeveralProblemsReportedTogether) {
  json j = ReadConfig("llama.json");
  j.erase("vocab_size");
  j["hidden_size"] = "big";
  const std::string msg = ParseError(j);
  EXPECT_NE(msg.find("2 problems"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'vocab_size' is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'hidden_size' must be an integer"), std::string::npos) << msg;
}

TEST(ConfigTest, Architectures) {
  json j = ReadConfig("llama.json");
  j["architectures"] = {"MistralForCausalLM"};
  Result<ModelConfig> c = ParseModelConfig(j);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(c.status().message(),
            "architecture MistralForCausalLM is not supported; supported: LlamaForCausalLM, "
            "Qwen2ForCausalLM, DeepseekV2ForCausalLM, DeepseekV3ForCausalLM");
  j.erase("architectures");  // model_type selects the class when architectures is absent
  EXPECT_EQ(ParseOk(j).architecture_name, "LlamaForCausalLM");
  j["model_type"] = "mistral";
  EXPECT_NE(ParseError(j).find("model_type mistral is not supported"), std::string::npos);
  j.erase("model_type");
  EXPECT_NE(ParseError(j).find("'architectures' is missing"), std::string::npos);
  EXPECT_NE(ParseError(json::array({1, 2})).find("must be a JSON object"), std::string::npos);
}

TEST(ConfigTest, DeepseekErrors) {
  const json base = ReadConfig("deepseek_v3.json");
  struct Case {
    const char* key;
    json value;
    bool erase;
    const char* expect;
  };
  const Case cases[] = {
      {"q_lora_rank", nullptr, true, "field 'q_lora_rank' is missing"},
      {"kv_lora_rank", nullptr, true, "field 'kv_lora_rank' is missing"},
      {"qk_rope_head_dim", 7, false, "field 'qk_rope_head_dim' must be even"},
      {"n_routed_experts", nullptr, true, "field 'n_routed_experts' is missing"},
      {"num_experts_per_tok", 17, false,
       "field 'num_experts_per_tok' 17 exceeds n_routed_experts 16"},
      {"n_group", 3, false, "field 'n_group' 3 does not divide n_routed_experts 16"},
      {"topk_group", 5, false, "field 'topk_group' 5 is not in [1, n_group=4]"},
      {"moe_intermediate_size", nullptr, true, "field 'moe_intermediate_size' is missing"},
      {"moe_layer_freq", 0, false, "field 'moe_layer_freq' is 0"},
  };
  for (const Case& c : cases) {
    json j = base;
    if (c.erase)
      j.erase(c.key);
    else
      j[c.key] = c.value;
    EXPECT_NE(ParseError(j).find(c.expect), std::string::npos)
        << "case " << c.key << ": " << ParseError(j);
  }
  json dense = base;  // n_routed_experts null: every layer dense
  dense["n_routed_experts"] = nullptr;
  const ModelConfig c = ParseOk(dense);
  EXPECT_FALSE(c.HasMoe());
  dense.erase("intermediate_size");
  EXPECT_NE(ParseError(dense).find("'intermediate_size' is missing"), std::string::npos);
}

TEST(ConfigTest, UnsupportedFeaturesAreListedNotFatal) {
  json q = ReadConfig("qwen2.json");
  q["use_sliding_window"] = true;
  ModelConfig c = ParseOk(q);
  ASSERT_EQ(c.unsupported_features.size(), 1u);
  EXPECT_NE(c.unsupported_features[0].find("sliding window"), std::string::npos);

  json l = ReadConfig("llama.json");
  l["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  l["hidden_act"] = "gelu";
  l["quantization_config"] = {{"quant_method", "compressed-tensors"}};
  c = ParseOk(l);
  EXPECT_EQ(c.unsupported_features.size(), 3u);
  EXPECT_EQ(c.rope_scaling.type, RopeType::kUnknown);

  json v3 = ReadConfig("deepseek_v3.json");
  v3["topk_method"] = "random";
  v3["scoring_func"] = "softmax";
  c = ParseOk(v3);
  ASSERT_EQ(c.unsupported_features.size(), 2u);
  EXPECT_EQ(c.unsupported_features[0], "topk_method 'random'");
  EXPECT_EQ(c.unsupported_features[1], "scoring_func 'softmax'");
}

TEST(ConfigTest, MoeLayerFrequency) {
  json j = ReadConfig("deepseek_v2_lite.json");
  j["moe_layer_freq"] = 2;
  j["num_hidden_layers"] = 5;
  const ModelConfig c = ParseOk(j);
  const bool expected[] = {false, false, true, false, true};  // i >= 1 and i % 2 == 0
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.IsMoeLayer(i), expected[i]) << "layer " << i;
}

TEST(ConfigTest, AbsurdSizesAreRejectedWithoutAllocating) {
  json j = ReadConfig("deepseek_v3.json");
  j["hidden_size"] = 1 << 24;
  j["moe_intermediate_size"] = 1 << 24;
  j["n_routed_experts"] = 1 << 16;
  j["n_group"] = 1;
  j["topk_group"] = 1;
  j["num_hidden_layers"] = 1 << 16;
  EXPECT_NE(ParseError(j).find("more than this engine accepts"), std::string::npos);
  j["num_hidden_layers"] = 8;
  EXPECT_NE(ParseError(j).find("parameters, more than this engine accepts"), std::string::npos);
  j = ReadConfig("llama.json");
  j["hidden_size"] = int64_t{1} << 40;
  EXPECT_NE(ParseError(j).find("'hidden_size' is 1099511627776, expected a positive integer"),
            std::string::npos);
}

TEST(ConfigTest, LoadModelConfigErrorsNameThePath) {
  testing::TempDir dir;
  Result<ModelConfig> c = LoadModelConfig(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(c.status().message().find((dir / "config.json").string()), std::string::npos);

  testing::WriteFile(dir / "config.json", "{\"hidden_size\": 64,,}");
  c = LoadModelConfig(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find((dir / "config.json").string() + ": malformed JSON"),
            std::string::npos)
      << c.status().message();

  testing::WriteFile(dir / "config.json", ReadConfig("llama.json").dump());
  c = LoadModelConfig(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->hidden_size, 64);

  json bad = ReadConfig("llama.json");
  bad.erase("vocab_size");
  testing::WriteFile(dir / "config.json", bad.dump());
  c = LoadModelConfig(dir / "config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            (dir / "config.json").string() + ": field 'vocab_size' is missing");
}

}  // namespace
}  // namespace dsi::models
