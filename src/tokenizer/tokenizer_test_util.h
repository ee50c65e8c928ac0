// Fixture readers shared by the tokenizer tests (header-only; tests/data/tokenizer, written by
// tools/tokenizer/make_corpus.py and make_fixtures.py).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace dsi::tokenizer::testing {

inline std::filesystem::path DataDir() {
  return dsi::testing::SourceDir() / "tests" / "data" / "tokenizer";
}

// Records of corpus.bin: "<length>\n<bytes>\n" after one header line.
inline std::vector<std::string> ReadCorpus() {
  const std::string data = dsi::testing::ReadFile(DataDir() / "corpus.bin");
  std::vector<std::string> records;
  size_t pos = data.find('\n') + 1;
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    const size_t n = std::stoul(data.substr(pos, nl - pos));
    records.push_back(data.substr(nl + 1, n));
    pos = nl + 1 + n + 1;
  }
  return records;
}

// One line of ids per record; lines starting with '#' are comments.
inline std::vector<std::vector<int32_t>> ReadExpectedIds(const std::string& name) {
  std::istringstream in(dsi::testing::ReadFile(DataDir() / name));
  std::vector<std::vector<int32_t>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    std::vector<int32_t> ids;
    std::istringstream ls(line);
    for (int64_t id; ls >> id;) ids.push_back(static_cast<int32_t>(id));
    out.push_back(std::move(ids));
  }
  return out;
}

inline nlohmann::json ReadJson(const std::filesystem::path& path) {
  return nlohmann::json::parse(dsi::testing::ReadFile(path));
}

inline std::vector<int32_t> Ids(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

// Printable form of a record for failure messages.
inline std::string Show(const std::string& s, size_t max_len = 160) {
  std::string out;
  for (unsigned char c : s.substr(0, max_len)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > max_len) out += "...";
  return out;
}

}  // namespace dsi::tokenizer::testing
