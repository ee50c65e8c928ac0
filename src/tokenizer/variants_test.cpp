// Small tokenizers that exercise the components the DeepSeek files do not use (GPT-2 ByteLevel
// regex and prefix space, Digits, every Split behavior and invert, normalizers, added-token
// flags, byte fallback, unk, subword prefix / suffix, ignore_merges, the SentencePiece-style
// decoder chain), each against ids and decodes from PyPI `tokenizers`.
#include <gtest/gtest.h>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

using testing::DataDir;
using testing::Ids;
using testing::Show;

class VariantTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VariantTest, MatchesHfTokenizers) {
  const auto dir = DataDir() / "variants" / GetParam();
  auto loaded = Tokenizer::FromDirectory(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Tokenizer& tok = *loaded;
  const auto expected = testing::ReadJson(dir / "expected.json");
  static const std::vector<std::string> records = testing::ReadCorpus();

  std::vector<std::string> inputs;
  for (const auto& i : expected["records"]) inputs.push_back(records[i.get<size_t>()]);
  for (const auto& t : expected["extra_inputs"]) inputs.push_back(t.get<std::string>());
  ASSERT_EQ(inputs.size(), expected["ids"].size());
  const bool has_split = expected.contains("ids_split_special");

  int failures = 0;
  for (size_t i = 0; i < inputs.size() && failures < 8; ++i) {
    const std::string& in = inputs[i];
    const std::string text = SanitizeUtf8(in);
    const std::vector<int32_t> want = Ids(expected["ids"][i]);
    const auto ids = tok.Encode(in, {.add_special_tokens = false});
    if (ids != want) {
      ++failures;
      ADD_FAILURE() << GetParam() << " input " << i << " \"" << Show(in) << "\": ids differ";
      continue;
    }
    const auto& bos = expected["ids_bos"][i];
    EXPECT_EQ(tok.Encode(in), bos.is_null() ? want : Ids(bos)) << "input " << i;
    const auto& dec = expected["decoded"][i];
    const std::string want_dec = dec.is_null() ? text : dec.get<std::string>();
    const std::string got_dec = tok.Decode(ids);
    EXPECT_EQ(got_dec, want_dec) << GetParam() << " input " << i << " \"" << Show(in) << "\"";
    const auto& skip = expected["decoded_skip_special"][i];
    const std::string want_skip = skip.is_null() ? want_dec : skip.get<std::string>();
    EXPECT_EQ(tok.Decode(ids, /*skip_special_tokens=*/true), want_skip) << "input " << i;
    if (has_split) {
      EXPECT_EQ(tok.Encode(in, {.add_special_tokens = false, .split_special_tokens = true}),
                Ids(expected["ids_split_special"][i]))
          << "input " << i << " \"" << Show(in) << "\"";
    }
    StreamDecoder stream(tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = stream.Step(id);
      EXPECT_TRUE(IsValidUtf8(piece));
      streamed += piece;
    }
    streamed += stream.Finish();
    EXPECT_EQ(streamed, got_dec) << GetParam() << " input " << i << " (streamed)";
  }
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Variants, VariantTest,
                         ::testing::Values("gpt2", "digits_nfkc", "split_removed_prev",
                                           "split_next_contiguous_invert", "split_invert_merged",
                                           "ignore_merges", "added_flags", "normalizers_wsplit",
                                           "sentencepiece_byte_fallback", "sentencepiece_unk",
                                           "subword_affixes_unk"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace dsi::tokenizer
