// Parameter counts and memory against closed-form formulas written here from the config
// keys (independent of the tensor table), and against DeepSeek's published model sizes.
#include "models/model_stats.h"

#include <gtest/gtest.h>

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

int64_t Get(const json& j, const char* key, int64_t otherwise = 0) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : otherwise;
}

struct Counts {
  int64_t total;
  int64_t active;  // without embed_tokens, with lm_head, k routed experts per MoE layer
};

// Closed forms from deepseek-models.md §1: per layer attention + MLP + 2 norms.
Counts ClosedForm(const json& j) {
  const int64_t v = Get(j, "vocab_size"), h = Get(j, "hidden_size"),
                l = Get(j, "num_hidden_layers");
  const int64_t heads = Get(j, "num_attention_heads");
  const int64_t inter = Get(j, "intermediate_size");
  const bool tied = j.value("tie_word_embeddings", false);
  const std::string arch = j["architectures"][0];
  int64_t attn = 0, dense_mlp = 3 * h * inter, moe_total = 0, moe_active = 0;
  int64_t first_dense = l;
  if (arch == "LlamaForCausalLM" || arch == "Qwen2ForCausalLM") {
    const int64_t kv = Get(j, "num_key_value_heads", heads);
    const int64_t hd = Get(j, "head_dim", h / heads);
    attn = 2 * h * heads * hd + 2 * h * kv * hd;
    if (arch == "Qwen2ForCausalLM") attn += heads * hd + 2 * kv * hd;  // q/k/v biases
  } else {
    const int64_t ql = Get(j, "q_lora_rank"), kvl = Get(j, "kv_lora_rank");
    const int64_t nope = Get(j, "qk_nope_head_dim"), rope = Get(j, "qk_rope_head_dim");
    const int64_t vd = Get(j, "v_head_dim");
    const int64_t q = ql > 0 ? h * ql + ql + ql * heads * (nope + rope) : h * heads * (nope + rope);
    attn = q + h * (kvl + rope) + kvl + kvl * heads * (nope + vd) + heads * vd * h;
    const int64_t e = Get(j, "n_routed_experts"), k = Get(j, "num_experts_per_tok");
    const int64_t expert = 3 * h * Get(j, "moe_intermediate_size");
    const int64_t router = e * h + (arch == "DeepseekV3ForCausalLM" ? e : 0);
    const int64_t shared = Get(j, "n_shared_experts") * expert;
    moe_total = router + e * expert + shared;
    moe_active = router + k * expert + shared;
    first_dense = Get(j, "first_k_dense_replace");
  }
  const int64_t dense_layers = first_dense, moe_layers = l - first_dense;
  const int64_t layers_common = l * (attn + 2 * h) + dense_layers * dense_mlp;
  const int64_t emb = v * h;
  Counts c;
  c.total = emb + layers_common + moe_layers * moe_total + h + (tied ? 0 : emb);
  c.active = layers_common + moe_layers * moe_active + h + emb;  // lm_head (or tied embedding)
  return c;
}

TEST(ModelStatsTest, TinyConfigsMatchClosedForm) {
  for (const char* name : {"llama.json", "qwen2.json", "deepseek_v2_lite.json", "deepseek_v2.json",
                           "deepseek_v3.json", "deepseek_v3_fp8.json"}) {
    SCOPED_TRACE(name);
    const json j = ReadConfig(name);
    const ParameterCounts n = CountParameters(Config(j));
    const Counts want = ClosedForm(j);
    EXPECT_EQ(n.total, want.total);
    EXPECT_EQ(n.active, want.active);
    EXPECT_EQ(n.embedding, Get(j, "vocab_size") * Get(j, "hidden_size"));
    EXPECT_EQ(n.active_with_embedding, n.active + n.embedding);
  }
}

TEST(ModelStatsTest, TiedEmbeddingsCountOnce) {
  json j = ReadConfig("qwen2.json");
  j["tie_word_embeddings"] = true;
  const ParameterCounts n = CountParameters(Config(j));
  const Counts want = ClosedForm(j);
  EXPECT_EQ(n.total, want.total);
  EXPECT_EQ(n.active, want.active);
  EXPECT_EQ(n.lm_head, 0);
  EXPECT_EQ(n.active, n.total);  // dense and tied: the one matrix is the LM head
}

struct Published {
  const char* file;
  double total;
  double total_tolerance;  // relative
  double active;
  double active_tolerance;
};

TEST(ModelStatsTest, RealConfigsMatchClosedFormAndPublishedSizes) {
  const Published models[] = {
      {"real/deepseek_v3.json", 671e9, 0.01, 37e9, 0.03},
      {"real/deepseek_v2.json", 236e9, 0.01, 21e9, 0.03},
      {"real/deepseek_v2_lite.json", 15.7e9, 0.01, 2.4e9, 0.04},
      {"real/deepseek_llm_7b.json", 6.9e9, 0.02, 0, 0},
      {"real/deepseek_r1_distill_qwen_1_5b.json", 0, 0, 0, 0},
  };
  for (const Published& p : models) {
    SCOPED_TRACE(p.file);
    const json j = ReadConfig(p.file);
    const ModelConfig c = Config(j);
    EXPECT_TRUE(c.unsupported_features.empty());
    const ParameterCounts n = CountParameters(c);
    const Counts want = ClosedForm(j);
    EXPECT_EQ(n.total, want.total);
    EXPECT_EQ(n.active, want.active);
    if (p.total > 0) {
      EXPECT_NEAR(double(n.total), p.total, p.total * p.total_tolerance);
    }
    if (p.active > 0) {
      EXPECT_NEAR(double(n.active), p.active, p.active * p.active_tolerance);
    }
  }
}

TEST(ModelStatsTest, WeightBytes) {
  const json j = ReadConfig("deepseek_v3_fp8.json");
  const ModelConfig c = Config(j);
  const ParameterCounts n = CountParameters(c);
  EXPECT_EQ(WeightBytesIn(c, DType::kBF16), 2 * n.total);
  EXPECT_EQ(WeightBytesIn(c, DType::kF32), 4 * n.total);
  // FP8: routed/shared experts, dense MLP and the 5 MLA linears store 1 byte per weight;
  // everything else bf16; every FP8 weight here is one 128x128 block except the dense MLP
  // (160 rows or columns: 2 blocks), each scale 4 bytes.
  const int64_t h = 64, l = 3, ql = 48, kvl = 32, heads = 4, inter = 160, ie = 32;
  const int64_t mla = h * ql + ql * heads * 24 + h * (kvl + 8) + kvl * heads * 32 + heads * 16 * h;
  const int64_t fp8_params = l * mla + 3 * h * inter + 2 * (16 + 1) * 3 * h * ie;
  const int64_t scale_count = l * 5 + 3 * 2 + 2 * 17 * 3;
  EXPECT_EQ(StoredWeightBytes(c, DType::kBF16),
            fp8_params + 2 * (n.total - fp8_params) + 4 * scale_count +
                2 * 2 * 16);  // the f32 e_score_correction_bias of 2 MoE layers: +2 bytes each
  const ModelConfig plain = Config(ReadConfig("deepseek_v3.json"));
  EXPECT_EQ(StoredWeightBytes(plain, DType::kBF16),
            2 * (CountParameters(plain).total - 2 * 16) + 4 * 2 * 16);  // f32 correction bias
}

TEST(ModelStatsTest, KvCacheBytesPerToken) {
  // MLA caches kv_lora_rank + qk_rope_head_dim per layer: 61 · (512 + 64) values.
  const ModelConfig v3 = Config(ReadConfig("real/deepseek_v3.json"));
  EXPECT_EQ(KvCacheBytesPerToken(v3, DType::kBF16), 61 * 576 * 2);
  EXPECT_EQ(KvCacheBytesPerToken(v3, DType::kF32), 61 * 576 * 4);
  // GQA caches K and V: 2 · L · nKV · hd.
  const ModelConfig llm = Config(ReadConfig("real/deepseek_llm_7b.json"));
  EXPECT_EQ(KvCacheBytesPerToken(llm, DType::kBF16), 2 * 30 * 32 * 128 * 2);
  const ModelConfig qwen = Config(ReadConfig("real/deepseek_r1_distill_qwen_1_5b.json"));
  EXPECT_EQ(KvCacheBytesPerToken(qwen, DType::kBF16), 2 * 28 * 2 * 128 * 2);
}

}  // namespace
}  // namespace dsi::models
