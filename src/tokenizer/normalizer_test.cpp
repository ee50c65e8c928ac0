// Normalizers against HF `tokenizers` outputs for every code point that has a decomposition
// (fixture normalization.json).
#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>

#include "tokenizer/tokenizer_test_util.h"

namespace dsi::tokenizer {
namespace {

std::string Apply(const Normalizer& n, std::string_view s) {
  std::string out;
  n.Normalize(s, out);
  return out;
}

TEST(Normalizer, MatchesHfOnEveryDecomposableCharacter) {
  const auto fixture = testing::ReadJson(testing::DataDir() / "normalization.json");
  const auto& inputs = fixture["inputs"];
  ASSERT_GT(inputs.size(), 100u);
  for (const char* form : {"NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents"}) {
    auto n = ParseNormalizer(Json{{"type", form}}, "normalizer");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_TRUE(*n);
    int failures = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string got = Apply(**n, inputs[i].get<std::string>());
      if (got != fixture[form][i].get<std::string>() && ++failures <= 3) {
        ADD_FAILURE() << form << " differs on input " << i << ": "
                      << testing::Show(inputs[i].get<std::string>());
      }
    }
    EXPECT_EQ(failures, 0) << form;
  }
}

TEST(Normalizer, EmptySequenceIsSkipped) {
  auto n = ParseNormalizer(Json::parse(R"({"type":"Sequence","normalizers":[]})"), "normalizer");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, nullptr);
}

TEST(Normalizer, StripPrependReplace) {
  auto n = ParseNormalizer(Json::parse(R"({"type":"Sequence","normalizers":[
      {"type":"Strip","strip_left":true,"strip_right":false},
      {"type":"Replace","pattern":{"String":" "},"content":"_"},
      {"type":"Prepend","prepend":">"}]})"),
                           "normalizer");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  // Each step as HF defines it: strip leading whitespace only, replace, prepend.
  const std::string in = "\u3000 a b ";
  std::string expect = "a b ";
  for (char& c : expect) c = c == ' ' ? '_' : c;
  EXPECT_EQ(Apply(**n, in), ">" + expect);
  EXPECT_EQ(Apply(**n, ""), "");  // Prepend leaves empty text empty
}

}  // namespace
}  // namespace dsi::tokenizer
