// The tensor table per family: names, shapes, conditional tensors (biases, q_lora, MoE,
// tied head, V3 correction bias, FP8 scales) and the ignore rules.
#include "models/tensor_table.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "testing/test_util.h"

namespace dsi::models {
namespace {

using nlohmann::json;

json ReadConfig(const std::string& name) {
  return json::parse(testing::ReadFile(testing::SourceDir() / "tests/data/configs" / name));
}

ModelConfig Config(const json& j) {
  Result<ModelConfig> c = ParseModelConfig(j);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ModelConfig{};
}

std::map<std::string, ExpectedTensor> ByName(const ModelConfig& c) {
  std::map<std::string, ExpectedTensor> m;
  for (const ExpectedTensor& t : ExpectedTensors(c)) {
    EXPECT_TRUE(m.emplace(t.name, t).second) << "duplicate " << t.name;
  }
  return m;
}

void ExpectShape(const std::map<std::string, ExpectedTensor>& m, const std::string& name,
                 Shape shape) {
  auto it = m.find(name);
  ASSERT_NE(it, m.end()) << name << " is not in the table";
  EXPECT_EQ(it->second.shape, shape) << name << ": " << it->second.shape.ToString();
}

TEST(TensorTableTest, Llama) {
  const ModelConfig c = Config(ReadConfig("llama.json"));
  const std::vector<ExpectedTensor> v = ExpectedTensors(c);
  // embed + L * (4 attention + 3 mlp + 2 norms) + final norm + lm_head
  EXPECT_EQ(v.size(), 1u + 2u * 9u + 1u + 1u);
  EXPECT_EQ(v.front().name, "model.embed_tokens.weight");
  EXPECT_EQ(v.back().name, "lm_head.weight");
  const auto m = ByName(c);
  ExpectShape(m, "model.embed_tokens.weight", {256, 64});
  ExpectShape(m, "model.layers.1.self_attn.q_proj.weight", {64, 64});  // nH·hd = 4·16
  ExpectShape(m, "model.layers.1.self_attn.k_proj.weight", {32, 64});  // nKV·hd = 2·16
  ExpectShape(m, "model.layers.1.self_attn.v_proj.weight", {32, 64});
  ExpectShape(m, "model.layers.1.self_attn.o_proj.weight", {64, 64});
  ExpectShape(m, "model.layers.0.mlp.gate_proj.weight", {96, 64});
  ExpectShape(m, "model.layers.0.mlp.up_proj.weight", {96, 64});
  ExpectShape(m, "model.layers.0.mlp.down_proj.weight", {64, 96});
  ExpectShape(m, "model.layers.0.input_layernorm.weight", {64});
  ExpectShape(m, "model.layers.0.post_attention_layernorm.weight", {64});
  ExpectShape(m, "model.norm.weight", {64});
  ExpectShape(m, "lm_head.weight", {256, 64});
  EXPECT_EQ(m.at("model.layers.1.mlp.down_proj.weight").layer, 1);
  EXPECT_EQ(m.at("model.norm.weight").layer, -1);
  EXPECT_EQ(m.at("model.layers.1.mlp.down_proj.weight").kind, TensorKind::kDenseMlp);
  EXPECT_EQ(m.count("model.layers.0.self_attn.q_proj.bias"), 0u);

  json j = ReadConfig("llama.json");
  j["tie_word_embeddings"] = true;
  j["attention_bias"] = true;
  j["head_dim"] = 32;
  const auto tied = ByName(Config(j));
  EXPECT_EQ(tied.count("lm_head.weight"), 0u);
  ExpectShape(tied, "model.layers.0.self_attn.q_proj.weight", {128, 64});
  ExpectShape(tied, "model.layers.0.self_attn.o_proj.weight", {64, 128});
  ExpectShape(tied, "model.layers.0.self_attn.q_proj.bias", {128});
  ExpectShape(tied, "model.layers.0.self_attn.k_proj.bias", {64});
  ExpectShape(tied, "model.layers.0.self_attn.o_proj.bias", {64});  // Llama: o too
}

TEST(TensorTableTest, Qwen2HasQkvBiasesOnly) {
  const auto m = ByName(Config(ReadConfig("qwen2.json")));
  EXPECT_EQ(m.size(), 1u + 2u * 12u + 1u + 1u);
  ExpectShape(m, "model.layers.0.self_attn.q_proj.bias", {64});
  ExpectShape(m, "model.layers.0.self_attn.k_proj.bias", {32});
  ExpectShape(m, "model.layers.0.self_attn.v_proj.bias", {32});
  EXPECT_EQ(m.count("model.layers.0.self_attn.o_proj.bias"), 0u);
  EXPECT_TRUE(m.at("model.layers.1.self_attn.v_proj.bias").is_bias);
}

TEST(TensorTableTest, DeepseekV2Lite) {
  const auto m = ByName(Config(ReadConfig("deepseek_v2_lite.json")));
  const std::string a = "model.layers.0.self_attn.";
  ExpectShape(m, a + "q_proj.weight", {4 * 24, 64});  // nH·(nope+rope)
  EXPECT_EQ(m.count(a + "q_a_proj.weight"), 0u);
  EXPECT_EQ(m.count(a + "q_b_proj.weight"), 0u);
  ExpectShape(m, a + "kv_a_proj_with_mqa.weight", {32 + 8, 64});
  ExpectShape(m, a + "kv_a_layernorm.weight", {32});
  ExpectShape(m, a + "kv_b_proj.weight", {4 * (16 + 16), 32});
  ExpectShape(m, a + "o_proj.weight", {64, 4 * 16});
  // Layer 0 dense (first_k_dense_replace 1), layers 1-2 MoE.
  ExpectShape(m, "model.layers.0.mlp.gate_proj.weight", {128, 64});
  EXPECT_EQ(m.count("model.layers.0.mlp.gate.weight"), 0u);
  EXPECT_EQ(m.count("model.layers.1.mlp.gate_proj.weight"), 0u);
  ExpectShape(m, "model.layers.1.mlp.gate.weight", {8, 64});
  EXPECT_EQ(m.count("model.layers.1.mlp.gate.e_score_correction_bias"), 0u);  // V3 only
  ExpectShape(m, "model.layers.2.mlp.experts.7.gate_proj.weight", {32, 64});
  ExpectShape(m, "model.layers.2.mlp.experts.7.down_proj.weight", {64, 32});
  EXPECT_EQ(m.count("model.layers.2.mlp.experts.8.gate_proj.weight"), 0u);
  ExpectShape(m, "model.layers.2.mlp.shared_experts.up_proj.weight", {2 * 32, 64});
  ExpectShape(m, "model.layers.2.mlp.shared_experts.down_proj.weight", {64, 2 * 32});
  EXPECT_EQ(m.at("model.layers.2.mlp.experts.7.up_proj.weight").expert, 7);
  EXPECT_EQ(m.at("model.layers.2.mlp.experts.7.up_proj.weight").kind, TensorKind::kRoutedExpert);
  EXPECT_EQ(m.at("model.layers.2.mlp.shared_experts.up_proj.weight").kind,
            TensorKind::kSharedExpert);
  // embed + dense layer (4 MLA linears + kv_a_layernorm + 3 mlp + 2 norms) + 2 MoE layers
  // (5 + gate + 8·3 experts + 3 shared + 2 norms) + final norm + head
  EXPECT_EQ(m.size(), 1u + 10u + 2u * 35u + 2u);
}

TEST(TensorTableTest, DeepseekV2WithQueryLora) {
  const auto m = ByName(Config(ReadConfig("deepseek_v2.json")));
  const std::string a = "model.layers.2.self_attn.";
  EXPECT_EQ(m.count(a + "q_proj.weight"), 0u);
  ExpectShape(m, a + "q_a_proj.weight", {48, 64});
  ExpectShape(m, a + "q_a_layernorm.weight", {48});
  ExpectShape(m, a + "q_b_proj.weight", {4 * 24, 48});
}

TEST(TensorTableTest, DeepseekV3) {
  const ModelConfig c = Config(ReadConfig("deepseek_v3.json"));
  const auto m = ByName(c);
  const ExpectedTensor& bias = m.at("model.layers.1.mlp.gate.e_score_correction_bias");
  EXPECT_EQ(bias.shape, Shape{16});
  EXPECT_EQ(bias.storage, TensorStorage::kF32);
  EXPECT_EQ(bias.WriteDType(DType::kBF16), DType::kF32);
  EXPECT_EQ(bias.kind, TensorKind::kRouter);
  ExpectShape(m, "model.layers.2.mlp.shared_experts.gate_proj.weight", {32, 64});
  for (const auto& [name, t] : m) {
    EXPECT_LT(t.layer, 3) << name << ": MTP layers are not in the table";
    EXPECT_NE(t.storage, TensorStorage::kFp8) << name;
  }
}

TEST(TensorTableTest, Fp8ScalesFollowEveryLayerLinear) {
  const ModelConfig c = Config(ReadConfig("deepseek_v3_fp8.json"));
  const std::vector<ExpectedTensor> v = ExpectedTensors(c);
  const auto m = ByName(c);
  size_t fp8 = 0, scales = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const ExpectedTensor& t = v[i];
    const bool linear_weight = t.layer >= 0 && t.kind != TensorKind::kNorm &&
                               t.kind != TensorKind::kRouter && !t.is_bias &&
                               t.storage != TensorStorage::kScaleInv;
    EXPECT_EQ(t.storage == TensorStorage::kFp8, linear_weight) << t.name;
    if (t.storage == TensorStorage::kScaleInv) ++scales;
    if (t.storage != TensorStorage::kFp8) continue;
    ++fp8;
    ASSERT_LT(i + 1, v.size());
    const ExpectedTensor& s = v[i + 1];
    EXPECT_EQ(s.name, t.name + "_scale_inv");
    EXPECT_EQ(s.storage, TensorStorage::kScaleInv);
    EXPECT_FALSE(s.is_parameter());
    EXPECT_EQ(s.shape, (Shape{(t.shape[0] + 127) / 128, (t.shape[1] + 127) / 128})) << s.name;
    EXPECT_TRUE(t.AcceptsDType(DType::kF8E4M3));
    EXPECT_FALSE(t.AcceptsDType(DType::kBF16));
  }
  EXPECT_EQ(fp8, scales);
  // 3 layers × 5 MLA linears + dense 3 + 2 MoE layers × (16 experts + 1 shared) × 3
  EXPECT_EQ(fp8, 15u + 3u + 2u * 17u * 3u);
  // intermediate_size 160 is not a multiple of 128: a partial second block.
  ExpectShape(m, "model.layers.0.mlp.gate_proj.weight_scale_inv", {2, 1});
  ExpectShape(m, "model.layers.0.mlp.down_proj.weight_scale_inv", {1, 2});
  EXPECT_EQ(m.at("model.embed_tokens.weight").storage, TensorStorage::kModelDType);
  EXPECT_EQ(m.at("lm_head.weight").storage, TensorStorage::kModelDType);
  EXPECT_EQ(m.at("model.layers.1.mlp.gate.weight").storage, TensorStorage::kModelDType);
  EXPECT_EQ(m.count("model.layers.1.mlp.gate.weight_scale_inv"), 0u);

  json j = ReadConfig("deepseek_v3_fp8.json");
  j["quantization_config"]["weight_block_size"] = {64, 32};
  const auto blocks = ByName(Config(j));
  ExpectShape(blocks, "model.layers.0.mlp.gate_proj.weight_scale_inv", {3, 2});  // 160/64, 64/32
}

TEST(TensorTableTest, LayerIndexAndIgnoreRules) {
  EXPECT_EQ(LayerIndexOf("model.layers.12.mlp.gate.weight"), 12);
  EXPECT_EQ(LayerIndexOf("model.layers.0.input_layernorm.weight"), 0);
  EXPECT_FALSE(LayerIndexOf("model.layers.x.mlp").has_value());
  EXPECT_FALSE(LayerIndexOf("model.layers.12").has_value());
  EXPECT_FALSE(LayerIndexOf("model.norm.weight").has_value());
  EXPECT_FALSE(LayerIndexOf("model.layers.99999999999999999999.mlp").has_value());

  const ModelConfig c = Config(ReadConfig("deepseek_v3.json"));  // 3 layers
  EXPECT_TRUE(IgnoreReason(c, "model.layers.3.eh_proj.weight").has_value());
  EXPECT_TRUE(IgnoreReason(c, "model.layers.3.shared_head.head.weight").has_value());
  EXPECT_TRUE(IgnoreReason(c, "model.layers.0.self_attn.rotary_emb.inv_freq").has_value());
  EXPECT_FALSE(IgnoreReason(c, "model.layers.2.mlp.gate.weight").has_value());
  EXPECT_FALSE(IgnoreReason(c, "lm_head.weight").has_value());
  EXPECT_FALSE(IgnoreReason(c, "model.extra.weight").has_value());
  json j = ReadConfig("deepseek_v3.json");
  j["tie_word_embeddings"] = true;
  EXPECT_TRUE(IgnoreReason(Config(j), "lm_head.weight").has_value());
}

TEST(TensorTableTest, ForEachParameterMatchesTheVector) {
  for (const char* name : {"llama.json", "qwen2.json", "deepseek_v2_lite.json", "deepseek_v2.json",
                           "deepseek_v3.json", "deepseek_v3_fp8.json"}) {
    const ModelConfig c = Config(ReadConfig(name));
    std::vector<std::string> visited;
    ForEachParameter(c, [&](const ExpectedTensor& t) { visited.push_back(t.name); });
    const std::vector<ExpectedTensor> v = ExpectedTensors(c);
    ASSERT_EQ(visited.size(), v.size()) << name;
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(visited[i], v[i].name);
    for (const ExpectedTensor& t : v) {
      EXPECT_GT(t.NumElements(), 0) << t.name;
      if (t.layer >= 0) {
        EXPECT_EQ(LayerIndexOf(t.name), t.layer) << t.name;
      }
      EXPECT_FALSE(IgnoreReason(c, t.name).has_value()) << t.name;
    }
  }
}

}  // namespace
}  // namespace dsi::models
