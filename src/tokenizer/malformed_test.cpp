// Malformed tokenizer.json / tokenizer_config.json: loading fails with an error that names the
// offending field, never crashes.
#include <gtest/gtest.h>

#include "testing/test_util.h"
#include "tokenizer/json_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_test_util.h"

namespace dsi::tokenizer {
namespace {

Json Base() {
  return Json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 3, "content": "<s>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": null,
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}
  })");
}

// Loads `j` and expects failure with `code` and a message containing every `needles` entry.
void ExpectError(const Json& j, ErrorCode code, std::initializer_list<std::string_view> needles) {
  auto tok = Tokenizer::FromJson(j.dump());
  ASSERT_FALSE(tok.ok()) << j.dump();
  EXPECT_EQ(tok.status().code(), code) << tok.status().ToString();
  for (std::string_view n : needles) {
    EXPECT_NE(tok.status().message().find(n), std::string::npos)
        << "'" << n << "' missing from: " << tok.status().message();
  }
}

TEST(Malformed, BaseLoads) {
  auto tok = Tokenizer::FromJson(Base().dump());
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(tok->Encode("ab"), (std::vector<int32_t>{2}));  // the one merge applies
  EXPECT_EQ(tok->Encode("<s>a"), (std::vector<int32_t>{3, 0}));
}

TEST(Malformed, TruncatedJson) {
  const std::string text = Base().dump();
  for (size_t cut : {size_t{0}, size_t{1}, text.size() / 3, text.size() / 2, text.size() - 1}) {
    auto tok = Tokenizer::FromJson(text.substr(0, cut));
    ASSERT_FALSE(tok.ok()) << cut;
    EXPECT_EQ(tok.status().code(), ErrorCode::kCorrupt);
    EXPECT_NE(tok.status().message().find("tokenizer.json: not valid JSON"), std::string::npos)
        << tok.status().message();
  }
  // The real file cut in the middle of its vocabulary.
  const std::string v3 =
      dsi::testing::ReadFile(testing::DataDir() / "deepseek-v3" / "tokenizer.json");
  auto tok = Tokenizer::FromJson(v3.substr(0, v3.size() / 2));
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), ErrorCode::kCorrupt);
}

TEST(Malformed, InvalidUtf8InsideJson) {
  std::string text = Base().dump();
  text.replace(text.find("\"ab\""), 4, "\"a\xff\"");
  auto tok = Tokenizer::FromJson(text);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), ErrorCode::kCorrupt);
}

TEST(Malformed, WrongTypes) {
  struct Case {
    const char* pointer;
    Json value;
    const char* path;
  };
  const std::vector<Case> cases = {
      {"", Json::array(), "top level"},
      {"/model/vocab", Json::array({"a", "b"}), "model.vocab"},
      {"/model/vocab/a", "zero", "model.vocab[\"a\"]"},
      {"/model/vocab/a", -4, "model.vocab[\"a\"]"},
      {"/model/merges", Json::object(), "model.merges"},
      {"/model/merges/0", 7, "model.merges[0]"},
      {"/model/merges/0", Json::array({"a", "b", "c"}), "model.merges[0]"},
      {"/model/byte_fallback", "true", "model.byte_fallback"},
      {"/model/unk_token", 5, "model.unk_token"},
      {"/added_tokens", Json::object(), "added_tokens"},
      {"/added_tokens/0/content", 1, "added_tokens[0].content"},
      {"/added_tokens/0/lstrip", "yes", "added_tokens[0].lstrip"},
      {"/pre_tokenizer", "ByteLevel", "pre_tokenizer"},
      {"/pre_tokenizer/type", 3, "pre_tokenizer.type"},
      {"/pre_tokenizer/add_prefix_space", 1, "pre_tokenizer.add_prefix_space"},
      {"/decoder/type", Json::array(), "decoder.type"},
      {"/model/dropout", "high", "model.dropout"},
      {"/version", 1, "version"},
  };
  for (const Case& c : cases) {
    Json j = Base();
    j[Json::json_pointer(c.pointer)] = c.value;
    SCOPED_TRACE(c.pointer);
    ExpectError(j, ErrorCode::kInvalidArgument, {c.path});
  }
}

TEST(Malformed, MissingParts) {
  Json j = Base();
  j.erase("model");
  ExpectError(j, ErrorCode::kInvalidArgument, {"model: missing"});
  j = Base();
  j["model"].erase("merges");
  j["model"]["type"] = "BPE";
  ExpectError(j, ErrorCode::kInvalidArgument, {"model.merges: missing"});
  j = Base();
  j["pre_tokenizer"] = Json::parse(R"({"type": "Split", "behavior": "Isolated"})");
  ExpectError(j, ErrorCode::kInvalidArgument, {"pre_tokenizer.pattern: missing"});
}

TEST(Malformed, UnknownComponentsAreNamed) {
  Json j = Base();
  j["model"]["type"] = "WordPiece";
  ExpectError(j, ErrorCode::kUnsupported, {"model.type", "WordPiece"});
  j = Base();
  j["pre_tokenizer"] = Json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Digits", "individual_digits": true}, {"type": "Metaspace", "replacement": "_"}]})");
  ExpectError(j, ErrorCode::kUnsupported, {"pre_tokenizer.pretokenizers[1].type", "Metaspace"});
  j = Base();
  j["normalizer"] = Json::parse(R"({"type": "BertNormalizer"})");
  ExpectError(j, ErrorCode::kUnsupported, {"normalizer.type", "BertNormalizer"});
  j = Base();
  j["decoder"] = Json::parse(R"({"type": "WordPiece", "prefix": "##"})");
  ExpectError(j, ErrorCode::kUnsupported, {"decoder.type", "WordPiece"});
  j = Base();
  j["post_processor"] = Json::parse(R"({"type": "Mystery"})");
  ExpectError(j, ErrorCode::kUnsupported, {"post_processor.type", "Mystery"});
  j = Base();
  j["pre_tokenizer"] = Json::parse(R"({"type": "Split", "pattern": {"String": " "},
                                       "behavior": "Sideways", "invert": false})");
  ExpectError(j, ErrorCode::kInvalidArgument, {"pre_tokenizer.behavior", "Sideways"});
  j = Base();
  j["version"] = "2.0";
  ExpectError(j, ErrorCode::kUnsupported, {"version", "2.0"});
  j = Base();
  j["model"]["dropout"] = 0.1;
  ExpectError(j, ErrorCode::kUnsupported, {"model.dropout"});
}

TEST(Malformed, DeepNestingIsRefused) {
  // Built as text: nlohmann parses and frees iteratively, but copying a deep value recurses.
  constexpr int kDepth = 100000;
  std::string nested;
  for (int i = 0; i < kDepth; ++i) nested += R"({"type": "Sequence", "pretokenizers": [)";
  nested += R"({"type": "Digits", "individual_digits": true})";
  for (int i = 0; i < kDepth; ++i) nested += "]}";
  std::string text = Base().dump();
  const std::string key = "\"pre_tokenizer\":";
  const size_t at = text.find(key) + key.size();
  const size_t end = text.find('}', at) + 1;  // the ByteLevel object has no nested braces
  text.replace(at, end - at, nested);
  auto tok = Tokenizer::FromJson(text);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("nested too deeply"), std::string::npos)
      << tok.status().message().substr(0, 200);
  // Deep JSON that is not a component at all.
  auto deep = Tokenizer::FromJson(std::string(kDepth, '[') + std::string(kDepth, ']'));
  ASSERT_FALSE(deep.ok());
}

TEST(Malformed, BadRegex) {
  for (const char* pattern : {"(", "[a-", "a{2,1}", "\\p{NotAProperty}", "[[:alpha:]&&[a]]"}) {
    Json j = Base();
    j["pre_tokenizer"] = Json{{"type", "Split"},
                              {"pattern", {{"Regex", pattern}}},
                              {"behavior", "Isolated"},
                              {"invert", false}};
    SCOPED_TRACE(pattern);
    auto tok = Tokenizer::FromJson(j.dump());
    ASSERT_FALSE(tok.ok());
    EXPECT_NE(tok.status().message().find("pre_tokenizer.pattern.Regex"), std::string::npos)
        << tok.status().message();
    EXPECT_NE(tok.status().message().find(pattern), std::string::npos) << tok.status().message();
  }
  Json j = Base();
  j["normalizer"] = Json::parse(R"j({"type": "Replace", "pattern": {"Regex": "a)"}, "content": ""})j");
  ExpectError(j, ErrorCode::kInvalidArgument, {"normalizer.pattern.Regex"});
}

TEST(Malformed, MergesReferToUnknownTokens) {
  Json j = Base();
  j["model"]["merges"] = Json::array({"a b", "a x"});
  ExpectError(j, ErrorCode::kInvalidArgument, {"model.merges[1]", "'x'"});
  j = Base();
  j["model"]["merges"] = Json::array({Json::array({"q", "b"})});
  ExpectError(j, ErrorCode::kInvalidArgument, {"model.merges[0]", "'q'"});
  j = Base();
  j["model"]["merges"] = Json::array({"b a"});  // "ba" is not in the vocabulary
  ExpectError(j, ErrorCode::kInvalidArgument, {"model.merges[0]", "merged token 'ba'"});
  for (const char* bad : {"ab", "a  b", "a b c"}) {
    j = Base();
    j["model"]["merges"] = Json::array({bad});
    ExpectError(j, ErrorCode::kInvalidArgument, {"model.merges[0]"});
  }
  j = Base();
  j["model"]["unk_token"] = "<unk>";
  ExpectError(j, ErrorCode::kInvalidArgument, {"model.unk_token", "<unk>"});
}

TEST(Malformed, BadConfig) {
  const std::string json = Base().dump();
  auto tok = Tokenizer::FromJson(json, R"({"bos_token": "<nope>", "tokenizer_class": "X"})");
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("bos_token '<nope>'"), std::string::npos);
  tok = Tokenizer::FromJson(json, R"({"add_bos_token": true)");
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(tok.status().message().find("tokenizer_config.json"), std::string::npos);
  tok = Tokenizer::FromJson(json, R"({"add_bos_token": true, "tokenizer_class": "LlamaTokenizerFast"})");
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("bos_token is not set"), std::string::npos);
  tok = Tokenizer::FromJson(json, R"({"bos_token": {"content": "<s>"}, "add_bos_token": true,
                                      "tokenizer_class": "LlamaTokenizerFast"})");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(tok->Encode("a"), (std::vector<int32_t>{3, 0}));
}

TEST(Malformed, MissingDirectory) {
  dsi::testing::TempDir dir;
  auto tok = Tokenizer::FromDirectory(dir.path());
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(tok.status().message().find("tokenizer.json"), std::string::npos);
  dsi::testing::WriteFile(dir / "tokenizer.json", "{\"model\": ");
  tok = Tokenizer::FromDirectory(dir.path());
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find((dir / "tokenizer.json").string()), std::string::npos);
}

}  // namespace
}  // namespace dsi::tokenizer
