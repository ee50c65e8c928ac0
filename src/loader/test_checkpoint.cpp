// WriteRandomCheckpoint: walks the tensor table, fills each tensor from a counter-based
// generator keyed by (seed, name), and writes shards through WriteSafetensors.
#include "loader/test_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "loader/safetensors.h"
#include "models/config.h"
#include "models/tensor_table.h"

namespace dsi::loader {
namespace {

namespace fs = std::filesystem;
using models::ExpectedTensor;
using models::TensorStorage;

constexpr float kUniformHalfWidth = 0.034641016f;  // sqrt(3) · 0.02: std 0.02
constexpr float kFp8Max = 448.0f;

uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t TensorSeed(uint64_t seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a of the name
  for (char ch : name) h = (h ^ static_cast<uint8_t>(ch)) * 0x100000001b3ull;
  return Mix(seed ^ Mix(h));
}

// Uniform in [-1, 1) from element `index` of the tensor's stream.
float Uniform(uint64_t tensor_seed, int64_t index) {
  const uint64_t bits = Mix(tensor_seed + static_cast<uint64_t>(index) * 0xd1b54a32d192ed03ull);
  return static_cast<float>(bits >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

// Element `index` of a float tensor whose stream is `tensor_seed`.
float FloatValue(uint64_t tensor_seed, bool is_norm, int64_t index) {
  const float u = Uniform(tensor_seed, index);
  return is_norm ? 1.0f + 0.1f * u : kUniformHalfWidth * u;
}

// Fills `out` with the tensor's values in `dtype`.
void Fill(const ExpectedTensor& t, uint64_t seed, DType dtype, void* out) {
  const int64_t n = t.NumElements();
  const uint64_t s = TensorSeed(seed, t.name);
  if (t.storage == TensorStorage::kFp8) {
    uint8_t* q = static_cast<uint8_t*>(out);
    for (int64_t i = 0; i < n; ++i) q[i] = F32ToF8E4M3Saturating(kFp8Max * Uniform(s, i));
    return;
  }
  if (t.storage == TensorStorage::kScaleInv) {
    // W = f8 · scale_inv: scale_inv ≈ half-width / 448 makes |W| ≲ kUniformHalfWidth.
    float* f = static_cast<float*>(out);
    for (int64_t i = 0; i < n; ++i) {
      f[i] = kUniformHalfWidth / kFp8Max * (0.75f + 0.25f * Uniform(s, i));
    }
    return;
  }
  const bool norm = t.kind == models::TensorKind::kNorm;
  const DType out_dtype = t.WriteDType(dtype);  // F32 for e_score_correction_bias
  for (int64_t i = 0; i < n; ++i) {
    const float v = FloatValue(s, norm, i);
    switch (out_dtype) {
      case DType::kF32:
        static_cast<float*>(out)[i] = v;
        break;
      case DType::kBF16:
        static_cast<uint16_t*>(out)[i] = F32ToBF16(v);
        break;
      case DType::kF16:
        static_cast<uint16_t*>(out)[i] = F32ToF16(v);
        break;
      default:
        DSI_CHECK(false) << "dtype " << DTypeName(dtype);
    }
  }
}

std::string DTypeConfigName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "float32";
    case DType::kF16:
      return "float16";
    default:
      return "bfloat16";
  }
}

std::string ShardName(int index, int count) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "model-%05d-of-%05d.safetensors", index + 1, count);
  return buf;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError(path.string() + ": cannot write");
  return Status::Ok();
}

// Contiguous, non-empty shards of about equal bytes; shard k holds [begin[k], begin[k + 1]).
std::vector<size_t> ShardStarts(const std::vector<int64_t>& bytes, int num_shards) {
  const size_t n = bytes.size();
  std::vector<int64_t> before(n + 1, 0);  // bytes of tensors [0, i)
  for (size_t i = 0; i < n; ++i) before[i + 1] = before[i] + bytes[i];
  std::vector<size_t> begin = {0};
  size_t i = 0;
  for (int k = 1; k < num_shards; ++k) {
    const double target = static_cast<double>(before[n]) * k / num_shards;
    const size_t last_allowed = n - static_cast<size_t>(num_shards - k);  // leave one per shard
    i = std::max(i, begin.back() + 1);
    while (i < last_allowed && static_cast<double>(before[i]) < target) ++i;
    begin.push_back(i);
  }
  return begin;
}

}  // namespace

float RandomCheckpointValue(uint64_t seed, std::string_view name, bool is_norm, int64_t index) {
  return FloatValue(TensorSeed(seed, name), is_norm, index);
}

Status WriteRandomCheckpoint(const nlohmann::json& config_json, const fs::path& dir, uint64_t seed,
                             DType dtype, int num_shards) {
  if (dtype != DType::kF32 && dtype != DType::kBF16 && dtype != DType::kF16) {
    return InvalidArgument("random checkpoint dtype must be F32, BF16 or F16, got " +
                           std::string(DTypeName(dtype)));
  }
  Result<models::ModelConfig> config = models::ParseModelConfig(config_json);
  if (!config.ok()) return config.status().WithContext("config");
  const std::vector<ExpectedTensor> table = models::ExpectedTensors(*config);
  if (num_shards < 1 || static_cast<size_t>(num_shards) > table.size()) {
    return InvalidArgument("number of shards must be in [1, " + std::to_string(table.size()) +
                           "] (one tensor per shard at most), got " + std::to_string(num_shards));
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError(dir.string() + ": cannot create the directory: " + ec.message());
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() == ".safetensors" || name == "model.safetensors.index.json") {
      return InvalidArgument(dir.string() + " already holds " + name +
                             "; write the random checkpoint into an empty directory");
    }
  }
  if (ec) return IoError(dir.string() + ": cannot list the directory: " + ec.message());

  nlohmann::json out_config = config_json;
  out_config[out_config.contains("dtype") && !out_config.contains("torch_dtype") ? "dtype"
                                                                                 : "torch_dtype"] =
      DTypeConfigName(dtype);
  DSI_RETURN_IF_ERROR(WriteText(dir / "config.json", out_config.dump(2) + "\n"));

  std::vector<int64_t> bytes;
  for (const ExpectedTensor& t : table) {
    bytes.push_back(t.NumElements() * static_cast<int64_t>(DTypeSize(t.WriteDType(dtype))));
  }
  std::vector<size_t> begin = ShardStarts(bytes, num_shards);
  begin.push_back(table.size());
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  int64_t total_size = 0;
  for (int shard = 0; shard < num_shards; ++shard) {
    const std::string file = num_shards == 1 ? "model.safetensors" : ShardName(shard, num_shards);
    std::vector<Buffer> buffers;
    std::vector<TensorToWrite> tensors;
    for (size_t i = begin[shard]; i < begin[shard + 1]; ++i) {
      const ExpectedTensor& t = table[i];
      Result<Buffer> buffer = Buffer::Allocate(static_cast<size_t>(bytes[i]));
      if (!buffer.ok()) {
        return ResourceExhausted("cannot allocate " + std::to_string(bytes[i]) + " bytes for " +
                                 t.name + " (shard " + file + "); use more shards");
      }
      Fill(t, seed, dtype, buffer->data());
      tensors.push_back({t.name, t.WriteDType(dtype), t.shape, buffer->data()});
      buffers.push_back(std::move(buffer).value());
      weight_map[t.name] = file;
      total_size += bytes[i];
    }
    DSI_RETURN_IF_ERROR(WriteSafetensors(dir / file, tensors, {{"format", "pt"}}));
  }
  if (num_shards > 1) {
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_size", total_size}};
    index["weight_map"] = std::move(weight_map);
    DSI_RETURN_IF_ERROR(WriteText(dir / "model.safetensors.index.json", index.dump(2) + "\n"));
  }
  return Status::Ok();
}

}  // namespace dsi::loader
