// WriteRandomCheckpoint: every family's checkpoint reopens with Checkpoint and matches the
// tensor table exactly; values follow the documented generator; sharding changes no byte.
#include "loader/test_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/buffer.h"
#include "loader/fp8.h"
#include "loader/safetensors.h"
#include "models/tensor_check.h"
#include "models/tensor_table.h"
#include "testing/test_util.h"

namespace dsi::loader {
namespace {

using nlohmann::json;

json ReadConfig(const std::string& name) {
  return json::parse(testing::ReadFile(testing::SourceDir() / "tests/data/configs" / name));
}

std::vector<models::ActualTensor> Actual(const Checkpoint& ckpt) {
  std::vector<models::ActualTensor> v;
  for (const std::string& name : ckpt.TensorNames()) {
    const TensorInfo* info = ckpt.Find(name);
    v.push_back({name, info->dtype, info->shape});
  }
  return v;
}

std::span<const uint8_t> BytesOf(const Checkpoint& ckpt, const std::string& name) {
  return ckpt.FileOf(name)->Bytes(*ckpt.Find(name));
}

const char* const kConfigs[] = {"llama.json",       "qwen2.json",       "deepseek_v2_lite.json",
                                "deepseek_v2.json", "deepseek_v3.json", "deepseek_v3_fp8.json"};

TEST(TestCheckpointTest, EveryFamilyMatchesItsTable) {
  for (const char* name : kConfigs) {
    SCOPED_TRACE(name);
    testing::TempDir dir;
    const json config_json = ReadConfig(name);
    ASSERT_TRUE(WriteRandomCheckpoint(config_json, dir.path(), 7, DType::kBF16).ok());
    Result<models::ModelConfig> config = models::LoadModelConfig(dir.path());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    EXPECT_EQ(config->hidden_size, config_json["hidden_size"].get<int64_t>());
    Result<Checkpoint> ckpt = Checkpoint::Open(dir.path());
    ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
    const models::TensorCheckReport report = models::CheckTensors(*config, Actual(*ckpt));
    EXPECT_TRUE(report.ok());
    EXPECT_TRUE(report.ignored.empty());
    EXPECT_EQ(ckpt->num_tensors(), report.num_expected);
    for (const models::ExpectedTensor& t : models::ExpectedTensors(*config)) {
      const DType dtype = t.WriteDType(DType::kBF16);
      EXPECT_EQ(ckpt->Find(t.name)->dtype, dtype) << t.name;
      if (dtype != DType::kBF16 && dtype != DType::kF32) continue;
      if (t.storage == models::TensorStorage::kScaleInv) continue;
      // First and last element come from the generator (catches unfilled or misplaced bytes).
      Result<Tensor> got = ckpt->Get(t.name);
      ASSERT_TRUE(got.ok());
      const bool norm = t.kind == models::TensorKind::kNorm;
      for (int64_t i : {int64_t{0}, t.NumElements() - 1}) {
        const float want = RandomCheckpointValue(7, t.name, norm, i);
        if (dtype == DType::kF32) {
          EXPECT_EQ(got->data_as<const float>()[i], want) << t.name << "[" << i << "]";
        } else {
          EXPECT_EQ(got->data_as<const uint16_t>()[i], F32ToBF16(want))
              << t.name << "[" << i << "]";
        }
      }
    }
  }
}

TEST(TestCheckpointTest, ValuesFollowTheGenerator) {
  testing::TempDir dir;
  const json config_json = ReadConfig("qwen2.json");
  ASSERT_TRUE(WriteRandomCheckpoint(config_json, dir.path(), 42, DType::kF32).ok());
  Result<Checkpoint> ckpt = Checkpoint::Open(dir.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
  EXPECT_EQ(json::parse(testing::ReadFile(dir / "config.json"))["torch_dtype"], "float32");
  for (const char* name : {"model.layers.1.mlp.up_proj.weight", "model.norm.weight",
                           "model.layers.0.self_attn.k_proj.bias"}) {
    const bool norm = std::string(name) == "model.norm.weight";
    Result<Tensor> t = ckpt->Get(name);
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->dtype(), DType::kF32);
    const float* v = t->data_as<const float>();
    double sum_sq = 0;
    for (int64_t i = 0; i < t->NumElements(); ++i) {
      ASSERT_EQ(v[i], RandomCheckpointValue(42, name, norm, i)) << name << "[" << i << "]";
      const double centered = v[i] - (norm ? 1.0 : 0.0);
      sum_sq += centered * centered;
      EXPECT_LE(std::fabs(centered), norm ? 0.1 : 0.0347);
    }
    const double std_dev = std::sqrt(sum_sq / double(t->NumElements()));
    EXPECT_NEAR(std_dev, norm ? 0.1 / std::sqrt(3.0) : 0.02, norm ? 0.03 : 0.006) << name;
  }
  // Different names and seeds give different streams.
  EXPECT_NE(RandomCheckpointValue(42, "a", false, 0), RandomCheckpointValue(42, "b", false, 0));
  EXPECT_NE(RandomCheckpointValue(42, "a", false, 0), RandomCheckpointValue(43, "a", false, 0));

  testing::TempDir bf16_dir;
  ASSERT_TRUE(WriteRandomCheckpoint(config_json, bf16_dir.path(), 42, DType::kBF16).ok());
  Result<Checkpoint> bf16 = Checkpoint::Open(bf16_dir.path());
  ASSERT_TRUE(bf16.ok());
  Result<Tensor> w = bf16->Get("model.embed_tokens.weight");
  ASSERT_TRUE(w.ok());
  for (int64_t i = 0; i < w->NumElements(); ++i) {
    ASSERT_EQ(w->data_as<const uint16_t>()[i],
              F32ToBF16(RandomCheckpointValue(42, "model.embed_tokens.weight", false, i)));
  }
}

TEST(TestCheckpointTest, ShardingChangesNoByte) {
  const json config_json = ReadConfig("deepseek_v3_fp8.json");
  testing::TempDir one, three;
  ASSERT_TRUE(WriteRandomCheckpoint(config_json, one.path(), 5, DType::kBF16, 1).ok());
  ASSERT_TRUE(WriteRandomCheckpoint(config_json, three.path(), 5, DType::kBF16, 3).ok());
  EXPECT_TRUE(std::filesystem::exists(three / "model.safetensors.index.json"));
  EXPECT_FALSE(std::filesystem::exists(three / "model.safetensors"));
  const json index = json::parse(testing::ReadFile(three / "model.safetensors.index.json"));
  std::set<std::string> files;
  for (const auto& [tensor, file] : index["weight_map"].items()) files.insert(file);
  EXPECT_EQ(files, (std::set<std::string>{"model-00001-of-00003.safetensors",
                                          "model-00002-of-00003.safetensors",
                                          "model-00003-of-00003.safetensors"}));
  Result<Checkpoint> a = Checkpoint::Open(one.path());
  Result<Checkpoint> b = Checkpoint::Open(three.path());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(b->files().size(), 3u);
  ASSERT_EQ(a->TensorNames(), b->TensorNames());
  int64_t total = 0;
  for (const std::string& name : a->TensorNames()) {
    const auto x = BytesOf(*a, name), y = BytesOf(*b, name);
    ASSERT_EQ(x.size(), y.size()) << name;
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size()), 0) << name;
    total += static_cast<int64_t>(x.size());
  }
  EXPECT_EQ(index["metadata"]["total_size"].get<int64_t>(), total);

  testing::TempDir other;  // another seed changes the weights
  ASSERT_TRUE(WriteRandomCheckpoint(config_json, other.path(), 6, DType::kBF16).ok());
  Result<Checkpoint> c = Checkpoint::Open(other.path());
  ASSERT_TRUE(c.ok());
  const auto x = BytesOf(*a, "lm_head.weight"), z = BytesOf(*c, "lm_head.weight");
  EXPECT_NE(std::memcmp(x.data(), z.data(), x.size()), 0);
}

TEST(TestCheckpointTest, Fp8WeightsDequantizeToSmallValues) {
  testing::TempDir dir;
  ASSERT_TRUE(
      WriteRandomCheckpoint(ReadConfig("deepseek_v3_fp8.json"), dir.path(), 1, DType::kBF16).ok());
  Result<Checkpoint> ckpt = Checkpoint::Open(dir.path());
  ASSERT_TRUE(ckpt.ok());
  const std::string name = "model.layers.0.mlp.gate_proj.weight";  // [160, 64]: 2 row blocks
  Result<Tensor> w = ckpt->Get(name);
  Result<Tensor> s = ckpt->Get(name + "_scale_inv");
  ASSERT_TRUE(w.ok() && s.ok());
  EXPECT_EQ(w->dtype(), DType::kF8E4M3);
  EXPECT_EQ(s->shape(), (Shape{2, 1}));
  Buffer out(static_cast<size_t>(w->NumElements()) * sizeof(float));
  ASSERT_TRUE(
      DequantizeFp8Blocks(*w, *s, 128, 128, Tensor(out.data(), DType::kF32, w->shape()), name)
          .ok());
  double sum_sq = 0, max_abs = 0;
  for (int64_t i = 0; i < w->NumElements(); ++i) {
    const float v = out.as<float>()[i];
    ASSERT_TRUE(std::isfinite(v));
    sum_sq += double(v) * v;
    max_abs = std::max(max_abs, double(std::fabs(v)));
  }
  EXPECT_LE(max_abs, 0.0347 * 1.07);  // 448 · scale, scale <= half-width / 448, e4m3 rounding
  EXPECT_GT(std::sqrt(sum_sq / double(w->NumElements())), 0.01);
}

TEST(TestCheckpointTest, Errors) {
  testing::TempDir dir;
  json config_json = ReadConfig("llama.json");
  EXPECT_EQ(WriteRandomCheckpoint(config_json, dir.path(), 1, DType::kI8).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(WriteRandomCheckpoint(config_json, dir.path(), 1, DType::kBF16, 0).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(WriteRandomCheckpoint(config_json, dir.path(), 1, DType::kBF16, 10000).code(),
            ErrorCode::kInvalidArgument);
  json bad = config_json;
  bad.erase("hidden_size");
  Status st = WriteRandomCheckpoint(bad, dir.path(), 1, DType::kBF16);
  EXPECT_NE(st.message().find("field 'hidden_size' is missing"), std::string::npos) << st.message();
  ASSERT_TRUE(WriteRandomCheckpoint(config_json, dir.path(), 1, DType::kBF16).ok());
  st = WriteRandomCheckpoint(config_json, dir.path(), 1, DType::kBF16);
  EXPECT_NE(st.message().find("already holds model.safetensors"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace dsi::loader
