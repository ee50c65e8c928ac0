// Weight loader: every parameter of the table is loaded exactly once (tp = 1) and the shards
// of tp ranks cover every tensor; broken checkpoints give errors that name the tensor or the
// architecture: a missing tensor, a config from another checkpoint (shape), an unsupported
// architecture or feature.
#include "loader/weight_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "dist/fake_communicator.h"
#include "models/model_factory.h"
#include "models/tensor_table.h"
#include "testing/test_util.h"

namespace dsi::loader {
namespace {

namespace fs = std::filesystem;
using dsi::testing::ReadFile;
using dsi::testing::SourceDir;
using dsi::testing::TempDir;
using dsi::testing::WriteFile;

fs::path FixtureDir(const std::string& name) {
  return SourceDir() / "tests" / "data" / "models" / name;
}

// Copies a fixture's config (edited by `edit`) and weights (minus `drop`) into `dir`.
void CopyFixture(const std::string& name, const fs::path& dir,
                 const std::function<void(nlohmann::json&)>& edit, const std::string& drop = "") {
  nlohmann::json config = nlohmann::json::parse(ReadFile(FixtureDir(name) / "config.json"));
  if (edit) edit(config);
  WriteFile(dir / "config.json", config.dump(2));
  auto file = SafetensorsFile::Open(FixtureDir(name) / "model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::vector<TensorToWrite> tensors;
  for (const TensorInfo& info : (*file)->tensors()) {
    if (info.name == drop) continue;
    tensors.push_back({info.name, info.dtype, info.shape, (*file)->View(info).data()});
  }
  ASSERT_TRUE(WriteSafetensors(dir / "model.safetensors", tensors).ok());
}

TEST(WeightLoaderTest, LoadsEveryTableParameterOnce) {
  for (const std::string name : {"llama_gqa_tied", "qwen2", "deepseek_v2_lite", "deepseek_v3_fp8"}) {
    Result<models::ModelConfig> config = models::LoadModelConfig(FixtureDir(name));
    ASSERT_TRUE(config.ok());
    Result<std::unique_ptr<models::CausalLM>> model = models::CreateModel(*config, {});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    std::multiset<std::string> visited;
    (*model)->ForEachWeight([&](const layers::WeightRef& w) { visited.insert(w.name); });
    std::multiset<std::string> table;
    models::ForEachParameter(*config, [&](const models::ExpectedTensor& t) {
      if (t.is_parameter()) table.insert(t.name);
    });
    EXPECT_EQ(visited, table) << name;

    Result<Checkpoint> checkpoint = Checkpoint::Open(FixtureDir(name));
    ASSERT_TRUE(checkpoint.ok());
    Result<LoadStats> stats = LoadWeights(*checkpoint, **model);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->num_tensors, static_cast<int64_t>(table.size())) << name;
    if (name == "deepseek_v3_fp8") {
      EXPECT_GT(stats->num_fp8_tensors, 0);
    }
  }
}

TEST(WeightLoaderTest, ShardsOfAllRanksCoverEveryTensor) {
  for (const std::string name : {"llama_gqa_tied", "deepseek_v3_fp8"}) {
    Result<models::ModelConfig> config = models::LoadModelConfig(FixtureDir(name));
    ASSERT_TRUE(config.ok());
    for (const int tp : {2, 4}) {
      std::map<std::string, std::vector<int>> covered;  // name -> per-element count
      std::map<std::string, Shape> shapes;
      std::mutex mu;
      const Status st = dist::RunOnFakeRanks(tp, [&](dist::Communicator& comm) {
        models::ModelOptions options;
        options.tp = &comm;
        Result<std::unique_ptr<models::CausalLM>> model = models::CreateModel(*config, options);
        ASSERT_TRUE(model.ok()) << model.status().ToString();
        (*model)->ForEachWeight([&](const layers::WeightRef& w) {
          std::lock_guard<std::mutex> lock(mu);
          const int64_t cols = w.full_shape.rank() == 2 ? w.full_shape[1] : 1;
          std::vector<int>& count = covered[w.name];
          count.resize(w.full_shape.NumElements(), 0);
          shapes[w.name] = w.full_shape;
          const layers::Range c = w.full_shape.rank() == 2 ? w.cols : layers::Range{0, 1};
          EXPECT_EQ(w.dest.NumElements(), w.rows.size() * c.size()) << w.name;
          for (int64_t r = w.rows.begin; r < w.rows.end; ++r) {
            for (int64_t j = c.begin; j < c.end; ++j) ++count[r * cols + j];
          }
        });
      });
      ASSERT_TRUE(st.ok()) << st.ToString();
      for (const auto& [tensor, count] : covered) {
        const int lo = *std::min_element(count.begin(), count.end());
        const int hi = *std::max_element(count.begin(), count.end());
        EXPECT_GE(lo, 1) << name << " tp " << tp << ": " << tensor << " not fully loaded";
        // Each element is held by one rank (split) or by all (replicated / kv-head replicas).
        EXPECT_TRUE(hi == 1 || hi == lo) << name << " tp " << tp << ": " << tensor;
      }
    }
  }
}

TEST(WeightLoaderTest, MissingTensorIsNamed) {
  TempDir dir;
  const std::string victim = "model.layers.1.mlp.down_proj.weight";
  CopyFixture("llama_mha", dir.path(), nullptr, victim);
  Result<std::unique_ptr<models::CausalLM>> model = LoadModel(dir.path(), {});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(model.status().message().find(victim), std::string::npos) << model.status().ToString();
}

TEST(WeightLoaderTest, WrongShapeNamesTensorAndSuggestsTheConfig) {
  TempDir dir;
  CopyFixture("llama_mha", dir.path(), [](nlohmann::json& c) { c["intermediate_size"] = 128; });
  Result<std::unique_ptr<models::CausalLM>> model = LoadModel(dir.path(), {});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find(
                "tensor model.layers.0.mlp.gate_proj.weight: shape [160, 64] expected [128, 64]"),
            std::string::npos)
      << model.status().ToString();
  EXPECT_NE(model.status().message().find("another checkpoint"), std::string::npos);
}

TEST(WeightLoaderTest, MissingFp8ScaleIsNamed) {
  TempDir dir;
  const std::string victim = "model.layers.1.self_attn.o_proj.weight_scale_inv";
  CopyFixture("deepseek_v3_fp8", dir.path(), nullptr, victim);
  Result<std::unique_ptr<models::CausalLM>> model = LoadModel(dir.path(), {});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find(victim), std::string::npos) << model.status().ToString();
}

TEST(WeightLoaderTest, UnsupportedArchitectureIsNamed) {
  TempDir dir;
  CopyFixture("llama_mha", dir.path(), [](nlohmann::json& c) {
    c["architectures"] = {"MistralForCausalLM"};
    c["model_type"] = "mistral";
  });
  Result<std::unique_ptr<models::CausalLM>> model = LoadModel(dir.path(), {});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(model.status().message().find("MistralForCausalLM"), std::string::npos)
      << model.status().ToString();
}

TEST(WeightLoaderTest, UnsupportedFeatureIsRefusedByName) {
  TempDir dir;
  CopyFixture("llama_mha", dir.path(), [](nlohmann::json& c) {
    c["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  });
  Result<std::unique_ptr<models::CausalLM>> model = LoadModel(dir.path(), {});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(model.status().message().find("llama3"), std::string::npos) << model.status().ToString();
}

TEST(WeightLoaderTest, HeadsThatDoNotSplitAreRefused) {
  Result<models::ModelConfig> config = models::LoadModelConfig(FixtureDir("llama_mha"));
  ASSERT_TRUE(config.ok());
  const Status st = dist::RunOnFakeRanks(3, [&](dist::Communicator& comm) {
    models::ModelOptions options;
    options.tp = &comm;
    Result<std::unique_ptr<models::CausalLM>> model = models::CreateModel(*config, options);
    EXPECT_EQ(model.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find("not divisible by tensor parallel size 3"),
              std::string::npos)
        << model.status().ToString();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
}

}  // namespace
}  // namespace dsi::loader
