// The DeepSeek chat templates (V3, R1, R1-Distill-Qwen, deepseek-llm-chat,
// deepseek-coder-instruct, V3.1) over ~30 conversations each, with and without the
// generation prompt: byte-identical to Python jinja2 (tests/data/chat/renders.json).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "chat_template/chat_template.h"
#include "chat_template/fixture_util.h"

namespace dsi::chat_template {
namespace {

using testing::FixtureRenderOptions;
using testing::LoadChatFixture;

class RenderFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    templates_ = new nlohmann::ordered_json(LoadChatFixture("templates.json"));
    conversations_ = new nlohmann::ordered_json(LoadChatFixture("conversations.json"));
    renders_ = new nlohmann::ordered_json(LoadChatFixture("renders.json"));
  }
  static void TearDownTestSuite() {
    delete templates_;
    delete conversations_;
    delete renders_;
  }
  static const nlohmann::ordered_json& Conversation(const std::string& id) {
    for (const auto& c : (*conversations_)["conversations"]) {
      if (c["id"] == id) return c;
    }
    static const nlohmann::ordered_json kNone;
    return kNone;
  }
  static nlohmann::ordered_json* templates_;
  static nlohmann::ordered_json* conversations_;
  static nlohmann::ordered_json* renders_;
};
nlohmann::ordered_json* RenderFixture::templates_ = nullptr;
nlohmann::ordered_json* RenderFixture::conversations_ = nullptr;
nlohmann::ordered_json* RenderFixture::renders_ = nullptr;

TEST_F(RenderFixture, EachFamilyHasTwentyConversationsBothWays) {
  std::map<std::string, std::set<std::pair<std::string, bool>>> seen;
  for (const auto& c : (*renders_)["cases"]) {
    seen[c["family"].get<std::string>()].insert(
        {c["conversation"].get<std::string>(), c["add_generation_prompt"].get<bool>()});
  }
  for (const char* family : {"deepseek-v3", "deepseek-r1", "deepseek-r1-distill-qwen",
                             "deepseek-llm-chat", "deepseek-coder-instruct"}) {
    EXPECT_GE(seen[family].size(), 40u) << family;
  }
  EXPECT_EQ((*renders_)["jinja2_version"], "3.1.6");
}

TEST_F(RenderFixture, ByteIdenticalToJinja2) {
  const RenderOptions options = FixtureRenderOptions(*renders_);
  std::map<std::string, ChatTemplate> parsed;
  for (auto it = (*templates_)["templates"].begin(); it != (*templates_)["templates"].end(); ++it) {
    Result<ChatTemplate> t = ChatTemplate::Parse(it.value()["template"]);
    ASSERT_TRUE(t.ok()) << it.key() << ": " << t.status().message();
    parsed.emplace(it.key(), std::move(t).value());
  }
  int compared = 0;
  for (const auto& c : (*renders_)["cases"]) {
    const std::string family = c["family"];
    const std::string id = c["conversation"];
    const bool agp = c["add_generation_prompt"];
    SCOPED_TRACE(family + " / " + id + (agp ? " / add_generation_prompt" : ""));
    const auto& conv = Conversation(id);
    ASSERT_FALSE(conv.is_null()) << "unknown conversation";
    const auto& special = (*templates_)["templates"][family]["special_tokens"];
    const nlohmann::ordered_json tools = conv.contains("tools") ? conv["tools"] : nullptr;
    const nlohmann::ordered_json extra = conv.contains("extra") ? conv["extra"] : nullptr;
    Result<std::string> out =
        ApplyChatTemplate(parsed.at(family), conv["messages"], tools, agp, special, extra, options);
    if (c.contains("expected")) {
      if (!out.ok()) {
        ADD_FAILURE() << out.status().message();
        continue;
      }
      EXPECT_EQ(*out, c["expected"].get<std::string>());
    } else {
      EXPECT_FALSE(out.ok()) << "jinja2 raised " << c["error"]["type"] << ": "
                             << c["error"]["message"] << "; we rendered: " << *out;
    }
    ++compared;
  }
  EXPECT_GE(compared, 300);
}

// The V3 template in the fixture is the one shipped with DeepSeek-V3's tokenizer (checked
// when the shared data directory is present; the fixture itself is self-contained).
TEST_F(RenderFixture, V3TemplateMatchesSharedTokenizerConfig) {
  const auto shared = dsi::testing::SourceDir() / ".." / "shared" / "data" /
                      "deepseek-v3-tokenizer" / "tokenizer_config.json";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no " << shared;
  Result<ChatTemplateConfig> config = LoadChatTemplateConfig(shared.parent_path().string());
  ASSERT_TRUE(config.ok()) << config.status().message();
  Result<std::string> source = config->Select("");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(*source, (*templates_)["templates"]["deepseek-v3"]["template"].get<std::string>());
  EXPECT_EQ(config->special_tokens["bos_token"], "<｜begin▁of▁sentence｜>");
  EXPECT_EQ(config->special_tokens["eos_token"], "<｜end▁of▁sentence｜>");
}

}  // namespace
}  // namespace dsi::chat_template
