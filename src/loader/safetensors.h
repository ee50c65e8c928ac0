// safetensors reading (mmap, full validation) and writing, and a Checkpoint that joins
// the shards of a model directory (model.safetensors or model.safetensors.index.json).
// Every error names the file, the tensor and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "core/tensor.h"

namespace dsi::loader {

struct TensorInfo {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0;  // byte offsets relative to the start of the data section
  uint64_t end = 0;    // exclusive
};

// The reference reader's limit on the JSON header length.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// What the header of a safetensors file says, after full validation against the file size.
struct SafetensorsHeader {
  uint64_t data_offset = 0;         // 8 + N: where the data section starts in the file
  uint64_t data_size = 0;           // bytes of the data section (file size - data_offset)
  std::vector<TensorInfo> tensors;  // in data-offset order
  std::map<std::string, std::string> metadata;
};

// Parses and validates a whole safetensors file held in memory (`file_bytes` is the entire
// file). `file_name` only labels error messages. Never reads outside `file_bytes`, never
// crashes on bad input: every violation comes back as a Status (kCorrupt for format
// violations, kUnsupported for an unknown dtype or a rank above kMaxRank).
Result<SafetensorsHeader> ParseSafetensorsHeader(std::span<const uint8_t> file_bytes,
                                                 std::string_view file_name);

// Heterogeneous lookup (find by string_view without building a std::string).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// One mmapped .safetensors file, validated on Open().
class SafetensorsFile {
 public:
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // In data-offset order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* Find(std::string_view name) const;
  // Read-only view into the mapping (writing through it faults).
  Tensor View(const TensorInfo& info) const;
  std::span<const uint8_t> Bytes(const TensorInfo& info) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  const uint8_t* data_ = nullptr;  // start of the data section
  std::vector<TensorInfo> tensors_;
  StringMap<size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint directory (or of a single .safetensors file).
class Checkpoint {
 public:
  static Result<Checkpoint> Open(const std::filesystem::path& dir_or_file);

  // The directory (for a single-file checkpoint, the file's directory).
  const std::filesystem::path& dir() const { return dir_; }
  // Sorted by name.
  std::vector<std::string> TensorNames() const;
  size_t num_tensors() const { return where_.size(); }
  const TensorInfo* Find(std::string_view name) const;
  // NotFound error naming the tensor and the checkpoint when absent.
  Result<Tensor> Get(std::string_view name) const;
  const SafetensorsFile* FileOf(std::string_view name) const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }

 private:
  // Adds every tensor of `file`; a name already present in another file is an error.
  Status AddFile(std::unique_ptr<SafetensorsFile> file);
  Status OpenIndexed(const std::filesystem::path& index_path);

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  StringMap<std::pair<size_t, const TensorInfo*>> where_;  // name -> (file, info)
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  Shape shape;
  const void* data;  // shape.NumElements() * DTypeSize(dtype) bytes
};

// Writes a valid safetensors file: header padded with spaces so the data start at a multiple
// of 8, tensors in the given order. Writes `path`.tmp and renames it into place, so a failed
// write never leaves a half-written `path`. Bad names/shapes give kInvalidArgument.
Status WriteSafetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace dsi::loader
