// Tokenizer accessors against what tokenizer.json / tokenizer_config.json declare, and decode
// edge cases (unknown ids, streaming across split characters).
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

class DeepSeekV3 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto tok = Tokenizer::FromDirectory(testing::DataDir() / "deepseek-v3");
    ASSERT_TRUE(tok.ok()) << tok.status().ToString();
    tok_ = new Tokenizer(std::move(tok).value());
    json_ = new nlohmann::json(testing::ReadJson(testing::DataDir() / "deepseek-v3" / "tokenizer.json"));
    config_ = new nlohmann::json(
        testing::ReadJson(testing::DataDir() / "deepseek-v3" / "tokenizer_config.json"));
  }
  static void TearDownTestSuite() {
    delete tok_;
    delete json_;
    delete config_;
  }
  static Tokenizer* tok_;
  static nlohmann::json* json_;
  static nlohmann::json* config_;
};
Tokenizer* DeepSeekV3::tok_ = nullptr;
nlohmann::json* DeepSeekV3::json_ = nullptr;
nlohmann::json* DeepSeekV3::config_ = nullptr;

TEST_F(DeepSeekV3, VocabularyMatchesTheFile) {
  int64_t max_id = -1;
  for (const auto& [token, id] : (*json_)["model"]["vocab"].items()) {
    max_id = std::max<int64_t>(max_id, id.get<int64_t>());
    EXPECT_EQ(tok_->TokenToId(token), id.get<int32_t>()) << token;
  }
  for (const auto& t : (*json_)["added_tokens"]) {
    const auto id = t["id"].get<int32_t>();
    max_id = std::max<int64_t>(max_id, id);
    EXPECT_EQ(tok_->TokenToId(t["content"].get<std::string>()), id);
    EXPECT_EQ(tok_->IdToToken(id), t["content"].get<std::string>());
    EXPECT_EQ(tok_->IsSpecial(id), t["special"].get<bool>()) << id;
  }
  EXPECT_EQ(tok_->vocab_size(), max_id + 1);
  for (int32_t id = 0; id < tok_->vocab_size(); ++id) {
    const auto token = tok_->IdToToken(id);
    ASSERT_TRUE(token.has_value()) << id;
    EXPECT_EQ(tok_->TokenToId(*token), id);
  }
  EXPECT_FALSE(tok_->IdToToken(-1).has_value());
  EXPECT_FALSE(tok_->IdToToken(tok_->vocab_size()).has_value());
}

TEST_F(DeepSeekV3, SpecialTokensFromConfig) {
  ASSERT_TRUE(tok_->bos_id().has_value());
  EXPECT_EQ(tok_->bos_id(), tok_->TokenToId((*config_)["bos_token"]["content"].get<std::string>()));
  EXPECT_EQ(tok_->eos_id(), tok_->TokenToId((*config_)["eos_token"]["content"].get<std::string>()));
  EXPECT_EQ(tok_->pad_id(), tok_->TokenToId((*config_)["pad_token"]["content"].get<std::string>()));
  // add_bos_token: true, add_eos_token: false.
  ASSERT_TRUE((*config_)["add_bos_token"].get<bool>());
  EXPECT_EQ(tok_->prefix_ids(), std::vector<int32_t>{*tok_->bos_id()});
  EXPECT_TRUE(tok_->suffix_ids().empty());
  const auto with = tok_->Encode("Hello");
  const auto without = tok_->Encode("Hello", {.add_special_tokens = false});
  ASSERT_EQ(with.size(), without.size() + 1);
  EXPECT_EQ(with[0], *tok_->bos_id());
  EXPECT_TRUE(std::equal(without.begin(), without.end(), with.begin() + 1));
}

TEST_F(DeepSeekV3, DecodeSkipsUnknownIds) {
  const auto ids = tok_->Encode("abc", {.add_special_tokens = false});
  std::vector<int32_t> noisy = {-7, tok_->vocab_size(), tok_->vocab_size() + 1000};
  noisy.insert(noisy.end(), ids.begin(), ids.end());
  noisy.push_back(-1);
  EXPECT_EQ(tok_->Decode(noisy), "abc");
}

TEST_F(DeepSeekV3, StreamHoldsBackSplitCharacters) {
  // Byte-level tokens of a 4-byte emoji split over several ids must not be streamed piecewise.
  const std::string text = "a\xF0\x9F\xAB\xA8 b \xE4\xB8\xAD";
  const auto ids = tok_->Encode(text, {.add_special_tokens = false});
  StreamDecoder stream(*tok_);
  std::string out;
  size_t empty_steps = 0;
  for (int32_t id : ids) {
    const std::string piece = stream.Step(id);
    EXPECT_TRUE(IsValidUtf8(piece));
    empty_steps += piece.empty();
    out += piece;
  }
  out += stream.Finish();
  EXPECT_EQ(out, text);
  EXPECT_GT(empty_steps, 0u) << "expected the emoji to span several byte-level tokens";
  // An id stream that stops inside a character: Finish flushes it as U+FFFD, like Decode.
  std::vector<int32_t> cut(ids.begin(), ids.end() - 1);
  std::string partial;
  for (int32_t id : cut) partial += stream.Step(id);
  partial += stream.Finish();
  EXPECT_EQ(partial, tok_->Decode(cut));
}

TEST_F(DeepSeekV3, InvalidUtf8IsReplacedBeforeEncoding) {
  const std::string bad = "ok\xC0\x80 \xED\xA0\x80 \xF0\x9F\x98";
  EXPECT_EQ(tok_->Encode(bad, {.add_special_tokens = false}),
            tok_->Encode(SanitizeUtf8(bad), {.add_special_tokens = false}));
  EXPECT_EQ(tok_->Decode(tok_->Encode(bad, {.add_special_tokens = false})), SanitizeUtf8(bad));
}

}  // namespace
}  // namespace dsi::tokenizer
