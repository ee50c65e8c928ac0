// UTF-8 helpers: properties that lossy decoding and the streaming split must satisfy.
#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

#include <random>

namespace dsi::tokenizer {
namespace {

std::string RandomBytes(std::mt19937& rng, size_t n) {
  // Mostly UTF-8-looking bytes: lead bytes, continuation bytes and ASCII.
  static const unsigned char kPool[] = {'a', ' ', 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                        0xC2, 0xDF, 0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(kPool[rng() % sizeof(kPool)]));
  return s;
}

TEST(Utf8, SanitizeGivesValidTextAndKeepsValidText) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    const std::string s = RandomBytes(rng, rng() % 12);
    const std::string clean = SanitizeUtf8(s);
    EXPECT_TRUE(IsValidUtf8(clean));
    EXPECT_EQ(IsValidUtf8(s), clean == s);
  }
}

TEST(Utf8, IncompleteSuffixOfEveryCharacterPrefix) {
  for (char32_t c : {U'\u00e9', U'\u4e2d', U'\U0001F600', U'\u0800', U'\U00010000', U'\U0010FFFF'}) {
    std::string s;
    AppendUtf8(c, s);
    EXPECT_EQ(IncompleteUtf8Suffix(s), 0u);
    for (size_t k = 1; k < s.size(); ++k) {
      EXPECT_EQ(IncompleteUtf8Suffix("ab" + s.substr(0, k)), k) << std::hex << static_cast<uint32_t>(c);
    }
  }
}

// What StreamDecoder relies on: whatever bytes follow, the text decoded from the part before
// the incomplete suffix does not change.
TEST(Utf8, TextBeforeTheIncompleteSuffixIsFinal) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20000; ++trial) {
    const std::string head = RandomBytes(rng, rng() % 10);
    const std::string tail = RandomBytes(rng, rng() % 6);
    const size_t ready = head.size() - IncompleteUtf8Suffix(head);
    const std::string stable = SanitizeUtf8(head.substr(0, ready));
    EXPECT_EQ(SanitizeUtf8(head + tail).substr(0, stable.size()), stable);
    EXPECT_EQ(stable + SanitizeUtf8(head.substr(ready) + tail), SanitizeUtf8(head + tail));
  }
}

TEST(Utf8, DecodeEncodeRoundTrip) {
  for (char32_t c = 0; c < 0x110000; c += 7) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    std::string s;
    AppendUtf8(c, s);
    ASSERT_EQ(ValidSequenceLength(s), s.size());
    size_t len = 0;
    ASSERT_EQ(DecodeUtf8(s.data(), &len), c);
    ASSERT_EQ(len, s.size());
  }
}

}  // namespace
}  // namespace dsi::tokenizer
