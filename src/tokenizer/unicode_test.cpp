// Character predicates and per-character normalizers against the Rust behaviour HF tokenizers
// has, over every code point (fixture char_classes.json).
#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

#include "tokenizer/normalizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

std::vector<bool> Membership(const nlohmann::json& ranges) {
  std::vector<bool> in(0x110000, false);
  for (const auto& r : ranges) {
    for (char32_t c = r[0].get<char32_t>(); c <= r[1].get<char32_t>(); ++c) in[c] = true;
  }
  return in;
}

bool IsScalar(char32_t c) { return c < 0xD800 || (c > 0xDFFF && c < 0x110000); }

std::string Utf8(char32_t c) {
  std::string s;
  AppendUtf8(c, s);
  return s;
}

class CharClasses : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new nlohmann::json(testing::ReadJson(testing::DataDir() / "char_classes.json"));
  }
  static void TearDownTestSuite() { delete fixture_; }
  static nlohmann::json* fixture_;
};
nlohmann::json* CharClasses::fixture_ = nullptr;

TEST_F(CharClasses, NumericAndWhitespace) {
  const auto numeric = Membership((*fixture_)["is_numeric"]);
  const auto space = Membership((*fixture_)["is_whitespace"]);
  int numeric_diff = 0, space_diff = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (!IsScalar(c)) continue;
    if (IsNumeric(c) != numeric[c] && ++numeric_diff <= 3) ADD_FAILURE() << "is_numeric U+" << std::hex << uint32_t(c);
    if (IsWhitespace(c) != space[c] && ++space_diff <= 3) ADD_FAILURE() << "is_whitespace U+" << std::hex << uint32_t(c);
  }
  EXPECT_EQ(numeric_diff, 0);
  EXPECT_EQ(space_diff, 0);
}

TEST_F(CharClasses, StripAccentsRemovesTheSameCharacters) {
  const auto removed = Membership((*fixture_)["strip_accents_removes"]);
  auto n = ParseNormalizer(Json{{"type", "StripAccents"}}, "normalizer");
  ASSERT_TRUE(n.ok());
  int diff = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (!IsScalar(c)) continue;
    std::string out;
    (*n)->Normalize(Utf8(c), out);
    if (out.empty() != removed[c] && ++diff <= 3) ADD_FAILURE() << "U+" << std::hex << uint32_t(c);
  }
  EXPECT_EQ(diff, 0);
}

TEST_F(CharClasses, LowercaseOfEveryCharacter) {
  const auto& lower = (*fixture_)["lowercase"];
  ASSERT_GT(lower.size(), 1000u);
  int diff = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (!IsScalar(c)) continue;
    std::string out;
    AppendLowercase(Utf8(c), out);
    const std::string key = std::to_string(c);
    const std::string want = lower.contains(key) ? lower[key].get<std::string>() : Utf8(c);
    if (out != want && ++diff <= 3) ADD_FAILURE() << "lowercase of U+" << std::hex << uint32_t(c);
  }
  EXPECT_EQ(diff, 0);
}

}  // namespace
}  // namespace dsi::tokenizer
