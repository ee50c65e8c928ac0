// Every supported Jinja feature against Python jinja2 in transformers' environment:
// tests/data/chat/features.json holds {template, context, expected | error} per case.
#include <gtest/gtest.h>

#include "chat_template/chat_template.h"
#include "chat_template/fixture_util.h"

namespace dsi::chat_template {
namespace {

using testing::ErrorLine;
using testing::FixtureRenderOptions;
using testing::LoadChatFixture;

class FeatureFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new nlohmann::ordered_json(LoadChatFixture("features.json"));
  }
  static void TearDownTestSuite() { delete fixture_; }
  static nlohmann::ordered_json* fixture_;
};
nlohmann::ordered_json* FeatureFixture::fixture_ = nullptr;

TEST_F(FeatureFixture, CoversManyCasesOfBothKinds) {
  const auto& cases = (*fixture_)["cases"];
  size_t errors = 0;
  for (const auto& c : cases) errors += c.contains("error");
  EXPECT_GE(cases.size(), 250u);
  EXPECT_GE(errors, 50u);
  EXPECT_GE(cases.size() - errors, 200u);
}

TEST_F(FeatureFixture, RendersLikeJinja2) {
  const RenderOptions options = FixtureRenderOptions(*fixture_);
  for (const auto& c : (*fixture_)["cases"]) {
    if (!c.contains("expected")) continue;
    const std::string name = c["name"];
    const std::string source = c["template"];
    SCOPED_TRACE("case " + name + ": " + source);
    Result<ChatTemplate> t = ChatTemplate::Parse(source);
    if (!t.ok()) {
      ADD_FAILURE() << t.status().message();
      continue;
    }
    Result<std::string> out = t->Render(c["context"], options);
    if (!out.ok()) {
      ADD_FAILURE() << out.status().message();
      continue;
    }
    EXPECT_EQ(*out, c["expected"].get<std::string>());
  }
}

TEST_F(FeatureFixture, FailsWhereJinja2FailsAtTheSameLine) {
  const RenderOptions options = FixtureRenderOptions(*fixture_);
  for (const auto& c : (*fixture_)["cases"]) {
    if (!c.contains("error")) continue;
    const std::string name = c["name"];
    const std::string source = c["template"];
    const auto& err = c["error"];
    SCOPED_TRACE("case " + name + ": " + source + "\njinja2: " + err["type"].get<std::string>() +
                 ": " + err["message"].get<std::string>());
    Result<ChatTemplate> t = ChatTemplate::Parse(source);
    std::string message;
    if (err["phase"] == "parse") {
      if (t.ok()) {
        ADD_FAILURE() << "parsed a template jinja2 rejects";
        continue;
      }
      message = t.status().message();
      EXPECT_NE(message.find("syntax error: line "), std::string::npos) << message;
    } else {
      if (!t.ok()) {
        ADD_FAILURE() << "jinja2 parses it: " << t.status().message();
        continue;
      }
      Result<std::string> out = t->Render(c["context"], options);
      if (out.ok()) {
        ADD_FAILURE() << "rendered: " << *out;
        continue;
      }
      message = out.status().message();
    }
    if (err["type"] == "TemplateError") {  // raise_exception(): the template's own message
      EXPECT_NE(message.find(err["message"].get<std::string>()), std::string::npos) << message;
    }
    if (err["line"].is_number()) {
      EXPECT_EQ(ErrorLine(message), err["line"].get<int>()) << message;
    }
  }
}

}  // namespace
}  // namespace dsi::chat_template
