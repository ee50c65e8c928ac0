// CheckTensors: a complete checkpoint passes; missing, reshaped, retyped and unknown tensors
// are named; MTP layers, inv_freq and a tied lm_head are ignored, not unexpected.
#include "models/tensor_check.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "models/tensor_table.h"
#include "testing/test_util.h"

namespace dsi::models {
namespace {

using nlohmann::json;

ModelConfig Config(const std::string& name, const std::function<void(json&)>& edit = {}) {
  json j = json::parse(testing::ReadFile(testing::SourceDir() / "tests/data/configs" / name));
  if (edit) edit(j);
  Result<ModelConfig> c = ParseModelConfig(j);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ModelConfig{};
}

std::vector<ActualTensor> Complete(const ModelConfig& c) {
  std::vector<ActualTensor> v;
  for (const ExpectedTensor& t : ExpectedTensors(c)) {
    v.push_back({t.name, t.WriteDType(DType::kBF16), t.shape});
  }
  return v;
}

TEST(TensorCheckTest, CompleteCheckpointPasses) {
  for (const char* name : {"llama.json", "qwen2.json", "deepseek_v2_lite.json", "deepseek_v2.json",
                           "deepseek_v3.json", "deepseek_v3_fp8.json"}) {
    const ModelConfig c = Config(name);
    const std::vector<ActualTensor> actual = Complete(c);
    const TensorCheckReport r = CheckTensors(c, actual);
    EXPECT_TRUE(r.ok()) << name;
    EXPECT_EQ(r.num_matched, actual.size()) << name;
    EXPECT_EQ(r.num_expected, actual.size()) << name;
    EXPECT_TRUE(r.hints.empty()) << name;
  }
}

TEST(TensorCheckTest, NamesEveryProblem) {
  const ModelConfig c = Config("llama.json", [](json& j) { j["intermediate_size"] = 48; });
  std::vector<ActualTensor> actual = Complete(c);
  auto find = [&](const std::string& name) {
    return std::find_if(actual.begin(), actual.end(),
                        [&](const ActualTensor& t) { return t.name == name; });
  };
  actual.erase(find("model.layers.0.self_attn.k_proj.weight"));
  find("model.layers.1.mlp.down_proj.weight")->shape = Shape{64, 32};
  find("model.norm.weight")->dtype = DType::kI32;
  actual.push_back({"model.layers.0.self_attn.q_proj.bias", DType::kBF16, Shape{64}});
  actual.push_back({"model.layers.2.mlp.gate_proj.weight", DType::kBF16, Shape{48, 64}});  // L=2
  actual.push_back({"model.layers.1.self_attn.rotary_emb.inv_freq", DType::kF32, Shape{8}});

  const TensorCheckReport r = CheckTensors(c, actual);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.num_problems(), 4u);
  EXPECT_EQ(r.missing, std::vector<std::string>{"model.layers.0.self_attn.k_proj.weight"});
  EXPECT_EQ(r.wrong_shape,
            std::vector<std::string>{
                "model.layers.1.mlp.down_proj.weight: shape [64, 32] expected [64, 48]"});
  EXPECT_EQ(r.wrong_dtype,
            std::vector<std::string>{"model.norm.weight: dtype I32 expected F32, BF16 or F16"});
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"model.layers.0.self_attn.q_proj.bias"});
  ASSERT_EQ(r.ignored.size(), 2u);
  EXPECT_EQ(r.ignored[0].name, "model.layers.1.self_attn.rotary_emb.inv_freq");
  EXPECT_EQ(r.ignored[1].name, "model.layers.2.mlp.gate_proj.weight");
  EXPECT_NE(r.ignored[1].reason.find("num_hidden_layers"), std::string::npos);
  EXPECT_EQ(r.num_matched, r.num_expected - 3);
}

TEST(TensorCheckTest, Fp8ConfigWithDequantizedWeightsGetsAHint) {
  const ModelConfig c = Config("deepseek_v3_fp8.json");
  std::vector<ActualTensor> actual;
  for (const ExpectedTensor& t : ExpectedTensors(c)) {
    if (t.storage == TensorStorage::kScaleInv) continue;
    actual.push_back({t.name, DType::kBF16, t.shape});
  }
  const TensorCheckReport r = CheckTensors(c, actual);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.wrong_dtype.empty());
  EXPECT_NE(r.wrong_dtype[0].find("expected F8_E4M3"), std::string::npos) << r.wrong_dtype[0];
  ASSERT_FALSE(r.hints.empty());
  EXPECT_NE(r.hints[0].find("remove quantization_config"), std::string::npos);
}

TEST(TensorCheckTest, TiedHeadPresentIsIgnored) {
  const ModelConfig c = Config("qwen2.json", [](json& j) { j["tie_word_embeddings"] = true; });
  std::vector<ActualTensor> actual = Complete(c);
  actual.push_back({"lm_head.weight", DType::kBF16, Shape{256, 64}});
  const TensorCheckReport r = CheckTensors(c, actual);
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.ignored.size(), 1u);
  EXPECT_EQ(r.ignored[0].name, "lm_head.weight");
}

TEST(TensorCheckTest, WrongFamilyConfig) {
  const ModelConfig llama = Config("llama.json");
  const ModelConfig v3 = Config("deepseek_v3.json");
  const TensorCheckReport r = CheckTensors(v3, Complete(llama));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.unexpected.empty());
  EXPECT_FALSE(r.missing.empty());
}

}  // namespace
}  // namespace dsi::models
