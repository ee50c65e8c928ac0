// Public API: loading a model directory's chat template and special tokens, transformers'
// apply_chat_template context, key order, injected time, and concurrent renders.
#include <gtest/gtest.h>

#include <thread>

#include "chat_template/chat_template.h"
#include "testing/test_util.h"

namespace dsi::chat_template {
namespace {

using dsi::testing::TempDir;
using dsi::testing::WriteFile;
using Json = nlohmann::ordered_json;

TEST(ChatTemplateConfig, StringTemplateAndAddedTokenSpecials) {
  TempDir dir;
  Json cfg = {{"bos_token", {{"__type", "AddedToken"}, {"content", "<s>"}}},
              {"eos_token", "</s>"},
              {"unk_token", nullptr},
              {"additional_special_tokens", {"<a>", {{"content", "<b>"}}}},
              {"chat_template", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}};
  WriteFile(dir / "tokenizer_config.json", cfg.dump());
  Result<ChatTemplateConfig> c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->special_tokens["bos_token"], "<s>");
  EXPECT_EQ(c->special_tokens["eos_token"], "</s>");
  EXPECT_FALSE(c->special_tokens.contains("unk_token"));
  EXPECT_EQ(c->special_tokens["additional_special_tokens"], Json({"<a>", "<b>"}));
  Result<std::string> src = c->Select("");
  ASSERT_TRUE(src.ok());
  Result<ChatTemplate> t = ChatTemplate::Parse(*src);
  ASSERT_TRUE(t.ok());
  Result<std::string> out = ApplyChatTemplate(
      *t, Json::array({{{"role", "user"}, {"content", "hi"}}}), nullptr, false, c->special_tokens);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "<s>hi</s>");
}

TEST(ChatTemplateConfig, NamedTemplatesSelectDefaultFirstOrByName) {
  TempDir dir;
  Json cfg = {
      {"chat_template",
       {{{"name", "tool_use"}, {"template", "T"}}, {{"name", "default"}, {"template", "D"}}}}};
  WriteFile(dir / "tokenizer_config.json", cfg.dump());
  Result<ChatTemplateConfig> c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->Select(""), "D");
  EXPECT_EQ(*c->Select("tool_use"), "T");
  Result<std::string> missing = c->Select("rag");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("tool_use, default"), std::string::npos);

  Json no_default = {
      {"chat_template", {{{"name", "a"}, {"template", "A"}}, {{"name", "b"}, {"template", "B"}}}}};
  WriteFile(dir / "tokenizer_config.json", no_default.dump());
  c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c->Select(""), "A");
}

TEST(ChatTemplateConfig, ChatTemplateJinjaFileWinsAndSpecialTokensMapFills) {
  TempDir dir;
  WriteFile(dir / "tokenizer_config.json", Json({{"chat_template", "old"}}).dump());
  WriteFile(dir / "special_tokens_map.json", Json({{"bos_token", "<B>"}}).dump());
  WriteFile(dir / "chat_template.jinja", "new {{ bos_token }}");
  Result<ChatTemplateConfig> c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->Select(""), "new {{ bos_token }}");
  EXPECT_EQ(c->special_tokens["bos_token"], "<B>");
}

TEST(ChatTemplateConfig, MissingOrBrokenFilesAreReported) {
  TempDir dir;
  Result<ChatTemplateConfig> c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
  WriteFile(dir / "tokenizer_config.json", "{\"bos_token\": \"<s>\"}");
  c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("has no chat_template"), std::string::npos);
  WriteFile(dir / "tokenizer_config.json", "{not json");
  c = LoadChatTemplateConfig(dir.path().string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kCorrupt);
}

TEST(ApplyChatTemplate, ContextMirrorsTransformers) {
  Result<ChatTemplate> t = ChatTemplate::Parse(
      "{{ messages|length }}|{{ tools is none }}|{{ documents is none }}|"
      "{{ add_generation_prompt }}|{{ bos_token }}|{{ eos_token }}|{{ custom }}");
  ASSERT_TRUE(t.ok());
  const Json msgs = Json::array({{{"role", "user"}, {"content", "x"}}});
  Result<std::string> out =
      ApplyChatTemplate(*t, msgs, nullptr, true, std::string("<B>"), std::string("<E>"),
                        Json({{"custom", 7}, {"eos_token", "<E2>"}}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  // Extra kwargs override special tokens, as **kwargs do after the special tokens map.
  EXPECT_EQ(*out, "1|True|True|True|<B>|<E2>|7");
  const std::string empty;
  out = ApplyChatTemplate(*t, msgs, Json::array({{{"type", "function"}}}), false, empty, empty);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "1|False|True|False|||");
  EXPECT_FALSE(ApplyChatTemplate(*t, Json::object(), nullptr, false, empty, empty).ok());
}

TEST(ChatTemplateRender, OrderedJsonKeepsKeyOrderForToJson) {
  Result<ChatTemplate> t = ChatTemplate::Parse("{{ v|tojson }}");
  ASSERT_TRUE(t.ok());
  Json ordered = {{"v", {{"zeta", 1}, {"alpha", 2}}}};
  EXPECT_EQ(*t->Render(ordered), "{\"zeta\": 1, \"alpha\": 2}");
  nlohmann::json sorted = {{"v", {{"zeta", 1}, {"alpha", 2}}}};
  EXPECT_EQ(*t->Render(sorted), "{\"alpha\": 2, \"zeta\": 1}");
}

TEST(ChatTemplateRender, StrftimeNowUsesInjectedTime) {
  Result<ChatTemplate> t = ChatTemplate::Parse("{{ strftime_now('%d %b %Y, %H:%M') }}");
  ASSERT_TRUE(t.ok());
  RenderOptions options;
  std::tm tm{};
  tm.tm_year = 2024 - 1900;
  tm.tm_mon = 6;
  tm.tm_mday = 26;
  tm.tm_hour = 9;
  tm.tm_min = 5;
  options.fixed_time = tm;
  EXPECT_EQ(*t->Render(Json::object(), options), "26 Jul 2024, 09:05");
  Result<std::string> now = t->Render(Json::object());
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->size(), std::string("26 Jul 2024, 09:05").size());
}

TEST(ChatTemplateRender, ParseOnceRenderConcurrently) {
  Result<ChatTemplate> t = ChatTemplate::Parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
      "{{ m.content }}{% endfor %}:{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Json msgs = Json::array();
      for (int k = 0; k <= i; ++k) msgs.push_back({{"content", std::to_string(i)}});
      for (int rep = 0; rep < 200; ++rep) results[i] = *t->Render(Json({{"messages", msgs}}));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(results[0], "0:1");
  EXPECT_EQ(results[3], "3333:4");
}

}  // namespace
}  // namespace dsi::chat_template
