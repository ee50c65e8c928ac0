// Helpers shared by unit tests: a scratch directory removed at the end of the test,
// and the repository's source directory (for committed fixtures under tests/data).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace dsi::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// From DSI_SOURCE_DIR (set by CTest), else the path compiled in.
std::filesystem::path SourceDir();
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, std::string_view contents);

}  // namespace dsi::testing
