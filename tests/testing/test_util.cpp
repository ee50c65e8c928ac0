// Test helper implementations.
#include "testing/test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace dsi::testing {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "dsi_test_XXXXXX").string();
  char* made = mkdtemp(templ.data());
  EXPECT_NE(made, nullptr) << "mkdtemp failed";
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path SourceDir() {
  if (const char* dir = std::getenv("DSI_SOURCE_DIR")) return dir;
  return DSI_DEFAULT_SOURCE_DIR;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

}  // namespace dsi::testing
