// The Oniguruma -> PCRE2 translation: every class the pre-tokenizer regexes use must match the
// same code points as Oniguruma inside PyPI `tokenizers` (fixture unicode_classes.json, measured
// by tools/tokenizer/make_unicode_tables.py), plus syntax rewrites and match iteration.
#include "tokenizer/regex.h"

#include <gtest/gtest.h>

#include <set>

#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

// Every scalar value in order, as one UTF-8 string, with the code point at each byte offset.
struct AllCodePoints {
  std::string text;
  std::vector<char32_t> cp_at;  // indexed by byte offset (only lead bytes are meaningful)
  AllCodePoints() {
    for (char32_t c = 0; c < 0x110000; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      const size_t at = text.size();
      AppendUtf8(c, text);
      cp_at.resize(text.size());
      cp_at[at] = c;
    }
  }
};

std::vector<MatchSpan> Find(const Regex& re, std::string_view s) {
  std::vector<MatchSpan> m;
  re.FindAll(s, m);
  return m;
}

TEST(RegexUnicode, ClassesMatchOniguruma) {
  static const AllCodePoints all;
  const auto fixture = testing::ReadJson(testing::DataDir() / "unicode_classes.json");
  ASSERT_GE(fixture["classes"].size(), 20u);
  for (const auto& [expr, ranges] : fixture["classes"].items()) {
    auto re = Regex::FromOniguruma(expr);
    ASSERT_TRUE(re.ok()) << expr << ": " << re.status().ToString();
    std::vector<char32_t> matched;
    for (const MatchSpan& m : Find(*re, all.text)) {
      ASSERT_EQ(m.end - m.start, Utf8CharLength(static_cast<unsigned char>(all.text[m.start])))
          << expr << " matched more than one character";
      matched.push_back(all.cp_at[m.start]);
    }
    std::vector<char32_t> want;
    for (const auto& r : ranges) {
      for (char32_t c = r[0].get<char32_t>(); c <= r[1].get<char32_t>(); ++c) want.push_back(c);
    }
    // Report the first few differences rather than two million-element vectors.
    std::vector<char32_t> only_ours, only_hf;
    std::set_difference(matched.begin(), matched.end(), want.begin(), want.end(),
                        std::back_inserter(only_ours));
    std::set_difference(want.begin(), want.end(), matched.begin(), matched.end(),
                        std::back_inserter(only_hf));
    // U+1171E moved from Mn to Mc after PCRE2's Unicode 14; see unicode_extras.inc.
    std::erase(only_ours, char32_t{0x1171E});
    EXPECT_TRUE(only_ours.empty()) << expr << ": PCRE2 also matches U+" << std::hex
                                   << (only_ours.empty() ? 0 : only_ours[0]) << " and "
                                   << std::dec << only_ours.size() << " more";
    EXPECT_TRUE(only_hf.empty()) << expr << ": Oniguruma also matches U+" << std::hex
                                 << (only_hf.empty() ? 0 : only_hf[0]) << " and " << std::dec
                                 << only_hf.size() << " more";
  }
}

TEST(RegexTranslate, RubySyntax) {
  auto hex = Regex::FromOniguruma(R"(\h+)");
  ASSERT_TRUE(hex.ok());
  auto m = Find(*hex, "xyz09afAFg");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].start, 3u);
  EXPECT_EQ(m[0].end, 9u);

  auto u = Regex::FromOniguruma(R"(\u4e00+)");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(Find(*u, "a一一b").size(), 1u);

  auto upto = Regex::FromOniguruma("a{,2}b");  // Ruby {,n} is {0,n}
  ASSERT_TRUE(upto.ok());
  EXPECT_EQ(Find(*upto, "aaab").front().start, 1u);

  auto dotall = Regex::FromOniguruma("(?m:a.b)");  // Ruby (?m) lets . match \n
  ASSERT_TRUE(dotall.ok());
  EXPECT_EQ(Find(*dotall, "a\nb").size(), 1u);

  auto line_end = Regex::FromOniguruma("x$");  // $ is an end of line in Ruby syntax
  ASSERT_TRUE(line_end.ok());
  EXPECT_EQ(Find(*line_end, "x\nx\r\nx").size(), 2u);
}

TEST(RegexTranslate, RejectsWhatPcre2CannotExpress) {
  for (const char* bad : {"[a[b]]", "[a&&b]", "[abc", "abc\\", "(unclosed", "\\p{NoSuchClass}",
                          "[\\W]", "x{2,1}"}) {
    auto re = Regex::FromOniguruma(bad);
    EXPECT_FALSE(re.ok()) << bad;
    if (!re.ok()) {
      EXPECT_NE(re.status().message().find("regex"), std::string::npos) << bad;
    }
  }
}

TEST(RegexFindAll, EmptyMatchesFollowOnigIteration) {
  auto re = Regex::FromOniguruma("a*");
  ASSERT_TRUE(re.ok());
  // Property of onig's find_iter: matches are ordered, never overlap, and an empty match never
  // starts where the previous match ended.
  for (std::string s : {"baac", "", "aaa", "ba", "xyz", "日a本"}) {
    const auto m = Find(*re, s);
    for (size_t i = 0; i < m.size(); ++i) {
      EXPECT_LE(m[i].start, m[i].end);
      if (i > 0) {
        EXPECT_GE(m[i].start, m[i - 1].end);
        if (m[i].start == m[i].end) {
          EXPECT_NE(m[i].start, m[i - 1].end) << s;
        }
      }
    }
  }
}

TEST(RegexFindAll, LongRunsDoNotExhaustTheMatcher) {
  auto re = Regex::FromOniguruma(R"(\s*[\r\n]+|\s+(?!\S)|\s+|[^\s]+)");
  ASSERT_TRUE(re.ok());
  const std::string text = std::string(1 << 20, ' ') + "x" + std::string(1 << 20, '\n');
  const auto m = Find(*re, text);
  // Full coverage: consecutive matches tile the whole text.
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().start, 0u);
  EXPECT_EQ(m.back().end, text.size());
  for (size_t i = 1; i < m.size(); ++i) EXPECT_EQ(m[i].start, m[i - 1].end);
}

TEST(RegexLiteral, MatchesExactly) {
  auto re = Regex::FromLiteral("a.b*\n(");
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  const auto m = Find(*re, "a.b*\n( axb a.b*\n(");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].start, 11u);
}

}  // namespace
}  // namespace dsi::tokenizer
