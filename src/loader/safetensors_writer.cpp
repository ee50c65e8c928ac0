// Writing safetensors files: used by the converter, the test-checkpoint generator and the
// loader's own tests. The output is what the reference `safetensors` library reads.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "loader/safetensors.h"

namespace dsi::loader {
namespace {

// Closes the FILE and removes the temporary file unless Commit() ran.
class TempFileGuard {
 public:
  TempFileGuard(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  ~TempFileGuard() {
    if (f_ != nullptr) std::fclose(f_);
    if (!committed_) std::remove(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  // fclose; true when every buffered byte reached the file.
  bool Close() {
    const int rc = std::fclose(f_);
    f_ = nullptr;
    return rc == 0;
  }
  void Commit() { committed_ = true; }

 private:
  std::FILE* f_;
  std::string path_;
  bool committed_ = false;
};

}  // namespace

Status WriteSafetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                        const std::map<std::string, std::string>& metadata) {
  const std::string file = path.string();
  // ordered_json keeps the insertion order: __metadata__ first, then tensors as given.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::unordered_set<std::string_view> seen;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    const std::string label = file + ": tensor \"" + t.name + "\": ";
    if (t.name == "__metadata__") {
      return InvalidArgument(label + "the name __metadata__ is reserved by the format");
    }
    if (!seen.insert(t.name).second) return InvalidArgument(label + "duplicate tensor name");
    nlohmann::ordered_json dims = nlohmann::ordered_json::array();
    uint64_t num_bytes = DTypeSize(t.dtype);
    for (int i = 0; i < t.shape.rank(); ++i) {
      if (t.shape[i] < 0) {
        return InvalidArgument(label + "negative dim in shape " + t.shape.ToString());
      }
      const auto d = static_cast<uint64_t>(t.shape[i]);
      if (__builtin_mul_overflow(num_bytes, d, &num_bytes)) {
        return InvalidArgument(label + "shape " + t.shape.ToString() + " is too large");
      }
      dims.push_back(d);
    }
    if (num_bytes > 0 && t.data == nullptr) {
      return InvalidArgument(label + "data is null for " + std::to_string(num_bytes) + " bytes");
    }
    header[t.name] = {{"dtype", std::string(DTypeName(t.dtype))},
                      {"shape", std::move(dims)},
                      {"data_offsets", {offset, offset + num_bytes}}};
    offset += num_bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::ordered_json::exception&) {
    return InvalidArgument(file + ": a tensor name or metadata string is not valid UTF-8");
  }
  // Spaces after the JSON so that the data section starts 8-byte aligned (8 + N ≡ 0 mod 8).
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(text.size() >> (8 * i));

  const std::string tmp = file + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return IoError(tmp + ": cannot create: " + std::strerror(errno));
  TempFileGuard guard(f, tmp);
  bool ok = std::fwrite(length, 1, 8, f) == 8 &&
            std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (size_t i = 0; ok && i < tensors.size(); ++i) {
    const size_t num_bytes =
        static_cast<size_t>(tensors[i].shape.NumElements()) * DTypeSize(tensors[i].dtype);
    if (num_bytes > 0) ok = std::fwrite(tensors[i].data, 1, num_bytes, f) == num_bytes;
  }
  const int write_errno = errno;
  if (!guard.Close() || !ok) {
    return IoError(tmp + ": write failed: " + std::strerror(ok ? errno : write_errno));
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    return IoError(file + ": cannot rename " + tmp + " into place: " + std::strerror(errno));
  }
  guard.Commit();
  return Status::Ok();
}

}  // namespace dsi::loader
