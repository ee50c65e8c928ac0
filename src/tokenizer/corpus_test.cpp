// The real DeepSeek-V3 tokenizer and a Qwen2 / R1-Distill-style tokenizer against ids that PyPI
// `tokenizers` produced for every record of the corpus (tests/data/tokenizer), plus decode
// round trips and the streaming detokenizer.
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

using testing::DataDir;
using testing::Ids;
using testing::Show;

// One loaded tokenizer and its fixtures per suite (the V3 file is 7.8 MB).
struct Suite {
  std::unique_ptr<Tokenizer> tok;
  std::vector<std::string> records;
  std::vector<std::vector<int32_t>> expected;
  nlohmann::json extra;
};

Suite* LoadSuite(const std::string& name) {
  auto s = new Suite();
  auto tok = Tokenizer::FromDirectory(DataDir() / name);
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  if (!tok.ok()) return s;
  s->tok = std::make_unique<Tokenizer>(std::move(tok).value());
  s->records = testing::ReadCorpus();
  s->expected = testing::ReadExpectedIds(name + ".expected");
  s->extra = testing::ReadJson(DataDir() / (name + ".extra.json"));
  return s;
}

class CorpusTest : public ::testing::TestWithParam<std::string> {
 protected:
  static Suite& Get(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Suite>> suites;
    auto& s = suites[name];
    if (!s) s.reset(LoadSuite(name));
    return *s;
  }
  Suite& suite() { return Get(GetParam()); }
};

TEST_P(CorpusTest, EncodeMatchesHfTokenizers) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  ASSERT_EQ(s.records.size(), s.expected.size());
  ASSERT_GE(s.records.size(), 2000u);
  int failures = 0;
  for (size_t i = 0; i < s.records.size(); ++i) {
    const auto ids = s.tok->Encode(s.records[i], {.add_special_tokens = false});
    if (ids != s.expected[i] && ++failures <= 5) {
      ADD_FAILURE() << "record " << i << " \"" << Show(s.records[i]) << "\": " << ids.size()
                    << " ids, HF has " << s.expected[i].size();
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST_P(CorpusTest, DecodeOfEncodeGivesTheText) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  const bool normalizes = GetParam() == "qwen2-style";  // NFC: compare only NFC-stable records
  int failures = 0, checked = 0;
  for (size_t i = 0; i < s.records.size(); ++i) {
    const std::string text = SanitizeUtf8(s.records[i]);
    const auto ids = s.tok->Encode(s.records[i], {.add_special_tokens = false});
    const std::string decoded = s.tok->Decode(ids);
    if (normalizes && decoded != text) {
      // The NFC normalizer may change the text; decoding must then equal decoding HF's ids.
      EXPECT_EQ(decoded, s.tok->Decode(s.expected[i])) << "record " << i;
      continue;
    }
    ++checked;
    if (decoded != text && ++failures <= 5) {
      ADD_FAILURE() << "record " << i << " \"" << Show(s.records[i]) << "\" decodes to \""
                    << Show(decoded) << "\"";
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(checked, 2000);
}

TEST_P(CorpusTest, StreamingOneIdAtATimeReproducesDecode) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  for (bool skip : {false, true}) {
    StreamDecoder stream(*s.tok, skip);
    for (size_t i = 0; i < s.records.size(); i += (skip ? 3 : 1)) {
      const std::vector<int32_t>& ids = s.expected[i];
      std::string streamed;
      for (int32_t id : ids) {
        const std::string piece = stream.Step(id);
        ASSERT_TRUE(IsValidUtf8(piece)) << "record " << i << ": partial character streamed";
        streamed += piece;
      }
      streamed += stream.Finish();
      ASSERT_EQ(streamed, s.tok->Decode(ids, skip)) << "record " << i << " skip_special=" << skip;
    }
  }
}

TEST_P(CorpusTest, BosPrependedAsTransformersDoes) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  ASSERT_FALSE(s.extra["bos"].empty());
  for (const auto& [index, ids] : s.extra["bos"].items()) {
    const size_t i = std::stoul(index);
    EXPECT_EQ(s.tok->Encode(s.records[i]), Ids(ids)) << "record " << i;
  }
  // Without add_special_tokens nothing is added.
  EXPECT_TRUE(s.tok->Encode("", {.add_special_tokens = false}).empty());
  EXPECT_EQ(s.tok->Encode("").size(), s.tok->prefix_ids().size());
}

TEST_P(CorpusTest, SplitSpecialTokensEncodesThemAsText) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  ASSERT_FALSE(s.extra["split_special"].empty());
  for (const auto& [index, ids] : s.extra["split_special"].items()) {
    const size_t i = std::stoul(index);
    EXPECT_EQ(s.tok->Encode(s.records[i], {.add_special_tokens = false, .split_special_tokens = true}),
              Ids(ids))
        << "record " << i << " \"" << Show(s.records[i]) << "\"";
  }
}

TEST_P(CorpusTest, DecodeSkippingSpecialTokens) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  for (const auto& [index, text] : s.extra["decode_skip_special"].items()) {
    const size_t i = std::stoul(index);
    EXPECT_EQ(s.tok->Decode(s.expected[i], /*skip_special_tokens=*/true), text.get<std::string>())
        << "record " << i;
  }
}

TEST_P(CorpusTest, ConcurrentEncodeGivesTheSameIds) {
  Suite& s = suite();
  ASSERT_TRUE(s.tok);
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < s.records.size(); i += 2) {
        if (s.tok->Encode(s.records[i], {.add_special_tokens = false}) != s.expected[i]) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches[0] + mismatches[1], 0);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, CorpusTest,
                         ::testing::Values("deepseek-v3", "qwen2-style"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = (c == '-') ? '_' : c;
                           return name;
                         });

TEST(InvalidUtf8, ReplacedAsPythonErrorsReplace) {
  const auto records = testing::ReadCorpus();
  const auto extra = testing::ReadJson(DataDir() / "deepseek-v3.extra.json");
  ASSERT_GT(extra["replaced"].size(), 100u);
  size_t invalid = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string key = std::to_string(i);
    if (extra["replaced"].contains(key)) {
      ++invalid;
      EXPECT_FALSE(IsValidUtf8(records[i])) << "record " << i;
      EXPECT_EQ(SanitizeUtf8(records[i]), extra["replaced"][key].get<std::string>())
          << "record " << i << " \"" << Show(records[i]) << "\"";
    } else {
      EXPECT_TRUE(IsValidUtf8(records[i])) << "record " << i;
      EXPECT_EQ(SanitizeUtf8(records[i]), records[i]);
    }
  }
  EXPECT_EQ(invalid, extra["replaced"].size());
}

}  // namespace
}  // namespace dsi::tokenizer
