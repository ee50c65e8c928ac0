// safetensors reading (mmap, full validation) and writing, and a Checkpoint that joins
// the shards of a model directory (model.safetensors or model.safetensors.index.json).
// Every error names the file, the tensor and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
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
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint directory (or of a single .safetensors file).
class Checkpoint {
 public:
  static Result<Checkpoint> Open(const std::filesystem::path& dir_or_file);

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
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, std::pair<size_t, const TensorInfo*>> where_;  // name -> file
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  Shape shape;
  const void* data;  // shape.NumElements() * DTypeSize(dtype) bytes
};

// Writes a valid safetensors file (header padded to 8 bytes, tensors in the given order).
Status WriteSafetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace dsi::loader
