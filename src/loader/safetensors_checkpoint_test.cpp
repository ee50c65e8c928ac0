// Checkpoint: single-file, sharded (model.safetensors.index.json) and glob layouts, and the
// errors for broken directories (missing shard, malformed index, tensor in two shards).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loader/safetensors.h"
#include "testing/test_util.h"

namespace dsi::loader {
namespace {

using dsi::testing::TempDir;
using dsi::testing::WriteFile;

// Writes one F32 tensor per name, each [2] holding {seed, seed + 1}.
void WriteShard(const std::filesystem::path& path, const std::vector<std::string>& names,
                float seed) {
  std::vector<std::vector<float>> data;
  data.reserve(names.size());
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < names.size(); ++i) {
    data.push_back({seed + static_cast<float>(i), seed + static_cast<float>(i) + 1});
    tensors.push_back({names[i], DType::kF32, Shape{2}, data.back().data()});
  }
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
}

float FirstValue(const Checkpoint& ckpt, std::string_view name) {
  auto t = ckpt.Get(name);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? t->data_as<const float>()[0] : -1.0f;
}

// An error whose message holds every keyword.
void ExpectError(const Result<Checkpoint>& r, ErrorCode code,
                 const std::vector<std::string>& keywords) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  for (const std::string& k : keywords) {
    EXPECT_NE(r.status().message().find(k), std::string::npos)
        << "missing \"" << k << "\" in: " << r.status().message();
  }
}

const char kIndex[] = R"({"metadata": {"total_size": 32}, "weight_map": {
    "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
    "model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
    "model.layers.1.mlp.up_proj.weight": "model-00002-of-00002.safetensors",
    "lm_head.weight": "model-00002-of-00002.safetensors"}})";

void WriteShardedModel(const TempDir& dir) {
  WriteShard(dir / "model-00001-of-00002.safetensors",
             {"model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight"}, 10);
  WriteShard(dir / "model-00002-of-00002.safetensors",
             {"model.layers.1.mlp.up_proj.weight", "lm_head.weight"}, 20);
  WriteFile(dir / "model.safetensors.index.json", kIndex);
}

TEST(CheckpointTest, OpensShardedIndex) {
  TempDir dir;
  WriteShardedModel(dir);
  auto opened = Checkpoint::Open(dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const Checkpoint ckpt = std::move(opened).value();  // Checkpoint moves; views stay valid
  EXPECT_EQ(ckpt.dir(), dir.path());
  EXPECT_EQ(ckpt.files().size(), 2u);
  EXPECT_EQ(ckpt.num_tensors(), 4u);
  EXPECT_EQ(ckpt.TensorNames(),
            (std::vector<std::string>{"lm_head.weight", "model.embed_tokens.weight",
                                      "model.layers.0.mlp.up_proj.weight",
                                      "model.layers.1.mlp.up_proj.weight"}));
  EXPECT_EQ(FirstValue(ckpt, "model.embed_tokens.weight"), 10.0f);
  EXPECT_EQ(FirstValue(ckpt, "model.layers.0.mlp.up_proj.weight"), 11.0f);
  EXPECT_EQ(FirstValue(ckpt, "model.layers.1.mlp.up_proj.weight"), 20.0f);
  EXPECT_EQ(FirstValue(ckpt, "lm_head.weight"), 21.0f);
  EXPECT_EQ(ckpt.FileOf("lm_head.weight")->path().filename(), "model-00002-of-00002.safetensors");
  EXPECT_EQ(ckpt.Find("lm_head.weight")->shape, (Shape{2}));
  EXPECT_EQ(ckpt.Find("nope"), nullptr);
  EXPECT_EQ(ckpt.FileOf("nope"), nullptr);

  auto missing = ckpt.Get("model.norm.weight");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("model.norm.weight"), std::string::npos);
  EXPECT_NE(missing.status().message().find(dir.path().string()), std::string::npos);
}

TEST(CheckpointTest, OpensSingleFileDirectoryAndPath) {
  TempDir dir;
  WriteShard(dir / "model.safetensors", {"a", "b"}, 1);
  WriteShard(dir / "other.safetensors", {"zzz"}, 5);  // ignored: model.safetensors wins
  auto from_dir = Checkpoint::Open(dir.path());
  ASSERT_TRUE(from_dir.ok()) << from_dir.status().ToString();
  EXPECT_EQ(from_dir->TensorNames(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(FirstValue(*from_dir, "b"), 2.0f);

  auto from_file = Checkpoint::Open(dir / "other.safetensors");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->TensorNames(), (std::vector<std::string>{"zzz"}));
  EXPECT_EQ(from_file->dir(), dir.path());
}

TEST(CheckpointTest, OpensEverySafetensorsFileWithoutIndex) {
  TempDir dir;
  WriteShard(dir / "b.safetensors", {"x"}, 1);
  WriteShard(dir / "a.safetensors", {"y"}, 2);
  WriteFile(dir / "config.json", "{}");
  auto ckpt = Checkpoint::Open(dir.path());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
  ASSERT_EQ(ckpt->files().size(), 2u);
  EXPECT_EQ(ckpt->files()[0]->path().filename(), "a.safetensors");  // sorted
  EXPECT_EQ(FirstValue(*ckpt, "x"), 1.0f);
  EXPECT_EQ(FirstValue(*ckpt, "y"), 2.0f);
}

TEST(CheckpointTest, MissingOrEmptyDirectoryIsNotFound) {
  TempDir dir;
  ExpectError(Checkpoint::Open(dir / "no_model_here"), ErrorCode::kNotFound,
              {"no_model_here", "no such file or directory", "model.safetensors"});
  WriteFile(dir / "config.json", "{}");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kNotFound,
              {dir.path().string(), "model.safetensors.index.json", "*.safetensors"});
}

TEST(CheckpointTest, IndexNamingMissingShard) {
  TempDir dir;
  WriteShardedModel(dir);
  std::filesystem::remove(dir / "model-00002-of-00002.safetensors");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kNotFound,
              {"model.safetensors.index.json", "model-00002-of-00002.safetensors", "missing",
               "lm_head.weight"});
}

TEST(CheckpointTest, MalformedIndex) {
  TempDir dir;
  WriteShardedModel(dir);
  const auto index = dir / "model.safetensors.index.json";
  WriteFile(index, R"({"weight_map": {"a": "model-00001-of-00002.safetensors",)");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "not valid UTF-8 JSON"});
  WriteFile(index, R"([1, 2])");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "object"});
  WriteFile(index, R"({"metadata": {}})");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "weight_map"});
  WriteFile(index, R"({"weight_map": {}})");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "weight_map", "empty"});
  WriteFile(index, R"({"weight_map": {"lm_head.weight": 3}})");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "lm_head.weight", "shard file name"});
  WriteFile(index, R"({"weight_map": {"lm_head.weight": "../escape.safetensors"}})");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"lm_head.weight", "../escape.safetensors", "inside the model directory"});
  WriteFile(index, R"({"weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors",
                                     "lm_head.weight": "model-00001-of-00002.safetensors"}})");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "lm_head.weight", "duplicate"});
}

TEST(CheckpointTest, IndexMapsTensorAbsentFromShard) {
  TempDir dir;
  WriteShardedModel(dir);
  WriteFile(dir / "model.safetensors.index.json",
            R"({"weight_map": {"lm_head.weight": "model-00001-of-00002.safetensors",
                               "model.norm.weight": "model-00002-of-00002.safetensors"}})");
  // lm_head.weight is in shard 2, not 1: the index contradicts the shard headers.
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.safetensors.index.json", "lm_head.weight", "model-00001-of-00002"});
  WriteFile(dir / "model.safetensors.index.json",
            R"({"weight_map": {"model.norm.weight": "model-00002-of-00002.safetensors"}})");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.norm.weight", "model-00002-of-00002.safetensors", "no such tensor"});
}

TEST(CheckpointTest, TensorInTwoShards) {
  TempDir dir;
  WriteShardedModel(dir);
  // Shard 2 also holds the embedding.
  WriteShard(dir / "model-00002-of-00002.safetensors",
             {"model.layers.1.mlp.up_proj.weight", "lm_head.weight", "model.embed_tokens.weight"},
             20);
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model.embed_tokens.weight", "model-00001-of-00002.safetensors",
               "model-00002-of-00002.safetensors", "only one shard"});

  TempDir glob;
  WriteShard(glob / "a.safetensors", {"w"}, 1);
  WriteShard(glob / "b.safetensors", {"w"}, 2);
  ExpectError(Checkpoint::Open(glob.path()), ErrorCode::kCorrupt,
              {"\"w\"", "a.safetensors", "b.safetensors"});
}

TEST(CheckpointTest, CorruptShardNamesTheShard) {
  TempDir dir;
  WriteShardedModel(dir);
  WriteFile(dir / "model-00001-of-00002.safetensors", "garbage!garbage!");
  ExpectError(Checkpoint::Open(dir.path()), ErrorCode::kCorrupt,
              {"model-00001-of-00002.safetensors", "header length"});
}

}  // namespace
}  // namespace dsi::loader
