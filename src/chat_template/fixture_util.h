// Test helpers: load the jinja2-generated fixtures under tests/data/chat/ (written by
// tools/chat_template/gen_fixtures.py) and the render options they were made with.
#pragma once

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "chat_template/chat_template.h"
#include "testing/test_util.h"

namespace dsi::chat_template::testing {

inline nlohmann::ordered_json LoadChatFixture(const std::string& name) {
  const auto path = dsi::testing::SourceDir() / "tests" / "data" / "chat" / name;
  return nlohmann::ordered_json::parse(dsi::testing::ReadFile(path));
}

// The fixtures' strftime_now() time ("fixed_time": "2025-03-09T14:05:07").
inline RenderOptions FixtureRenderOptions(const nlohmann::ordered_json& fixture) {
  RenderOptions options;
  std::tm tm{};
  const std::string iso = fixture.at("fixed_time").get<std::string>();
  std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
              &tm.tm_min, &tm.tm_sec);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);  // fills tm_wday / tm_yday
  gmtime_r(&t, &tm);
  options.fixed_time = tm;
  return options;
}

// The line number in "... line 3, column 7: ...", or -1.
inline int ErrorLine(const std::string& message) {
  std::smatch m;
  static const std::regex re("line ([0-9]+), column ([0-9]+)");
  if (!std::regex_search(message, m, re)) return -1;
  return std::stoi(m[1]);
}

inline int ErrorColumn(const std::string& message) {
  std::smatch m;
  static const std::regex re("line ([0-9]+), column ([0-9]+)");
  if (!std::regex_search(message, m, re)) return -1;
  return std::stoi(m[2]);
}

}  // namespace dsi::chat_template::testing
