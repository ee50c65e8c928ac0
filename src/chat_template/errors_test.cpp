// Malformed templates and failing renders: errors name the line and column (in code points)
// and say what went wrong; limits stop runaway templates; random input never crashes.
#include <gtest/gtest.h>

#include <random>

#include "chat_template/chat_template.h"
#include "chat_template/fixture_util.h"

namespace dsi::chat_template {
namespace {

using testing::ErrorColumn;
using testing::ErrorLine;

std::string ParseError(const std::string& source) {
  Result<ChatTemplate> t = ChatTemplate::Parse(source);
  EXPECT_FALSE(t.ok()) << "parsed: " << source;
  return t.ok() ? "" : t.status().message();
}

std::string RenderError(const std::string& source, const nlohmann::ordered_json& ctx = {},
                        const RenderOptions& options = {}) {
  Result<ChatTemplate> t = ChatTemplate::Parse(source);
  EXPECT_TRUE(t.ok()) << t.status().message();
  if (!t.ok()) return "";
  Result<std::string> out =
      t->Render(ctx.is_null() ? nlohmann::ordered_json::object() : ctx, options);
  EXPECT_FALSE(out.ok()) << "rendered: " << *out;
  return out.ok() ? "" : out.status().message();
}

struct Located {
  const char* source;
  int line;
  int column;
  const char* what;
};

TEST(ChatTemplateErrors, SyntaxErrorsNameLineAndColumn) {
  const Located cases[] = {
      // `}}` where an operand should be.
      {"{{ 1 + }}", 1, 8, "unexpected 'end of print statement'"},
      {"line1\n{% for x in y %}\n  {{ x.  }}\n{% endfor %}", 3, 10, "expected name or number"},
      {"ab\n{{ 'abc }}", 2, 4, "unexpected char"},
      {"x\n{% frobnicate %}", 2, 4, "Encountered unknown tag 'frobnicate'"},
      {"{% if x %}abc", 1, 14, "Unexpected end of template"},
      {"{% for x in y %}{% endif %}", 1, 20, "Encountered unknown tag 'endif'"},
      {"é{{ 1 + }}", 1, 9, "unexpected"},  // columns count code points, not bytes
      {"{{ [1, 2) }}", 1, 9, "unexpected ')', expected ']'"},
      {"a\n  {# open", 2, 3, "Missing end of comment tag"},
      {"{% raw %}x", 1, 1, "Missing end of raw directive"},
      {"{{ x|nosuch }}", 1, 6, "No filter named 'nosuch'"},
      {"{{ x is nosuch }}", 1, 9, "No test named 'nosuch'"},
      {"{% break %}", 1, 4, "'break' outside loop"},
      {"{% set 1 = 2 %}", 1, 8, "can't assign"},
      {"{% macro m(a=1, b) %}{% endmacro %}", 1, 18, "non-default argument"},
      {"\r\n\r\n{{ ) }}", 3, 4, "unexpected ')'"},  // CRLF counts as one line break
  };
  for (const Located& c : cases) {
    SCOPED_TRACE(c.source);
    const std::string msg = ParseError(c.source);
    EXPECT_EQ(msg.rfind("syntax error: ", 0), 0u) << msg;
    EXPECT_EQ(ErrorLine(msg), c.line) << msg;
    EXPECT_EQ(ErrorColumn(msg), c.column) << msg;
    EXPECT_NE(msg.find(c.what), std::string::npos) << msg;
  }
}

TEST(ChatTemplateErrors, RuntimeErrorsNameLineAndColumn) {
  const Located cases[] = {
      {"a\nb\n  {{ 1 + 'x' }}", 3, 8, "unsupported operand type(s) for +: 'int' and 'str'"},
      {"{{ foo.bar }}", 1, 7, "'foo' is undefined"},
      {"{% for m in messages %}\n{{ m.content + 1 }}{% endfor %}", 2, 14,
       "can only concatenate str (not \"int\") to str"},
      {"{% set d = {} %}{% set d.x = 1 %}", 1, 24, "cannot assign attribute on non-namespace"},
      {"{{ 1 // 0 }}", 1, 6, "ZeroDivisionError"},
      {"{% for a, b in [[1]] %}{% endfor %}", 1, 8, "not enough values to unpack"},
      {"{% macro m() %}{% endmacro %}{{ m(1) }}", 1, 34, "takes not more than 0 argument(s)"},
      {"{{ [].append(1) }}", 1, 13, "access to attribute 'append' of 'list' object is unsafe"},
      {"{{ range(200000)|length }}", 1, 9, "Range too big"},
      {"{{ 'x'|tojson + u|tojson }}", 1, 19, "Object of type Undefined is not JSON serializable"},
  };
  const nlohmann::ordered_json ctx = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (const Located& c : cases) {
    SCOPED_TRACE(c.source);
    const std::string msg = RenderError(c.source, ctx);
    EXPECT_EQ(ErrorLine(msg), c.line) << msg;
    EXPECT_EQ(ErrorColumn(msg), c.column) << msg;
    EXPECT_NE(msg.find(c.what), std::string::npos) << msg;
  }
}

TEST(ChatTemplateErrors, RaiseExceptionSurfacesTheMessage) {
  const std::string msg = RenderError(
      "{% if messages[0].role != 'user' %}\n"
      "  {{- raise_exception('Conversation roles must alternate user/assistant/...') }}\n"
      "{% endif %}",
      {{"messages", {{{"role", "assistant"}, {"content", "x"}}}}});
  EXPECT_EQ(ErrorLine(msg), 2) << msg;
  EXPECT_NE(msg.find("raise_exception: Conversation roles must alternate user/assistant/..."),
            std::string::npos)
      << msg;
}

TEST(ChatTemplateErrors, ContextMustBeAnObject) {
  Result<ChatTemplate> t = ChatTemplate::Parse("x");
  ASSERT_TRUE(t.ok());
  Result<std::string> out = t->Render(nlohmann::ordered_json::array());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("JSON object"), std::string::npos);
}

TEST(ChatTemplateLimits, OutputSize) {
  RenderOptions small;
  small.max_output_bytes = 1 << 20;
  EXPECT_NE(RenderError("{{ 'x' * 100000000 }}", {}, small).find("max_output_bytes"),
            std::string::npos);
  EXPECT_NE(
      RenderError("{% for i in range(100000) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}", {},
                  small)
          .find("max_output_bytes"),
      std::string::npos);
  // Doubling a string in a namespace hits the limit instead of exhausting memory.
  EXPECT_NE(RenderError("{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
                        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                        {}, small)
                .find("max_output_bytes"),
            std::string::npos);
  // Printing a huge nested list stops at the limit too.
  EXPECT_NE(
      RenderError("{% set r = range(100000)|list %}{{ [r, r, r, r, r, r, r, r] * 100 }}", {}, small)
          .find("max_output_bytes"),
      std::string::npos);
}

TEST(ChatTemplateLimits, LoopIterationsAndRecursion) {
  RenderOptions small;
  small.max_loop_iterations = 100000;
  EXPECT_NE(RenderError("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}"
                        "{% endfor %}",
                        {}, small)
                .find("max_loop_iterations"),
            std::string::npos);
  EXPECT_NE(
      RenderError("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}").find("RecursionError"),
      std::string::npos);
}

TEST(ChatTemplateLimits, DeepNestingIsASyntaxErrorNotACrash) {
  const std::string open(20000, '('), close(20000, ')');
  EXPECT_NE(ParseError("{{ " + open + "1" + close + " }}").find("nested too deeply"),
            std::string::npos);
  const std::string lists = std::string(20000, '[') + std::string(20000, ']');
  EXPECT_NE(ParseError("{{ " + lists + " }}").find("nested too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  EXPECT_NE(ParseError(ifs).find("nested too deeply"), std::string::npos);
  std::string chain = "{{ x";
  for (int i = 0; i < 20000; ++i) chain += ".a";
  EXPECT_NE(ParseError(chain + " }}").find("nested too deeply"), std::string::npos);
  std::string sum = "{{ 1";
  for (int i = 0; i < 20000; ++i) sum += " + 1";
  EXPECT_NE(ParseError(sum + " }}").find("nested too deeply"), std::string::npos);
  std::string nots = "{{ ";
  for (int i = 0; i < 20000; ++i) nots += "not ";
  EXPECT_NE(ParseError(nots + "x }}").find("nested too deeply"), std::string::npos);
}

TEST(ChatTemplateLimits, DeepValuesAndCyclesNeitherCrashNorLeak) {
  // A 200000-deep list is built, measured and freed without deep recursion.
  Result<ChatTemplate> t = ChatTemplate::Parse(
      "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% for j in range(2) %}"
      "{% set ns.x = [ns.x] %}{% endfor %}{% endfor %}{{ ns.x|length }}");
  ASSERT_TRUE(t.ok());
  Result<std::string> out = t->Render(nlohmann::ordered_json::object());
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "1");
  // Printing or serialising it is Python's RecursionError, not a stack overflow.
  for (const char* use : {"{{ ns.x }}", "{{ ns.x|tojson }}", "{{ ns.x|string|length }}",
                          "{{ [ns.x] == [[ns.x]] }}{{ ns.x < [ns.x] }}"}) {
    const std::string msg =
        RenderError(std::string("{% set ns = namespace(x=[]) %}{% for i in range(5000) %}"
                                "{% set ns.x = [ns.x] %}{% endfor %}") +
                    use);
    EXPECT_NE(msg.find("Recursion"), std::string::npos) << use << ": " << msg;
  }
  // Deeply nested JSON input is refused, not recursed into.
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  Result<ChatTemplate> x = ChatTemplate::Parse("{{ x }}");
  ASSERT_TRUE(x.ok());
  Result<std::string> r =
      x->Render(nlohmann::ordered_json{{"x", nlohmann::ordered_json::parse(deep)}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested more than"), std::string::npos);
}

// A cheap in-test fuzz over template-shaped noise: parse and render must return (ok or an
// error that carries a message), never crash or hang. The libFuzzer harness
// (template_fuzz.cpp) explores much further; this keeps the property in CI.
TEST(ChatTemplateRobustness, RandomTemplatesNeverCrash) {
  const char* pieces[] = {"{{",
                          "}}",
                          "{%",
                          "%}",
                          "{#",
                          "#}",
                          "{%-",
                          "-%}",
                          " ",
                          "\n",
                          "if ",
                          "for ",
                          "in ",
                          "endif",
                          "endfor",
                          "else",
                          "elif",
                          "set ",
                          "macro ",
                          "endmacro",
                          "call",
                          "raw",
                          "endraw",
                          "x",
                          "messages",
                          "loop.index",
                          "ns",
                          "namespace(",
                          "(",
                          ")",
                          "[",
                          "]",
                          "{",
                          "}",
                          "'",
                          "\"",
                          "a",
                          "1",
                          "0",
                          "-1",
                          "2.5",
                          "|",
                          "upper",
                          "tojson",
                          "join",
                          "length",
                          "map(attribute='content')",
                          "~",
                          "+",
                          "*",
                          "/",
                          "//",
                          "%",
                          "**",
                          "==",
                          "!=",
                          "<",
                          "not ",
                          "and ",
                          "or ",
                          "is ",
                          "defined",
                          "none",
                          ".",
                          ",",
                          ":",
                          "=",
                          "range(5)",
                          "raise_exception('e')",
                          "[::-1]",
                          "é",
                          "｜",
                          "\\",
                          "break",
                          "continue",
                          "recursive",
                          "loop(",
                          "caller()",
                          "m(",
                          "`"};
  std::mt19937 rng(12345);
  const nlohmann::ordered_json ctx = {
      {"messages",
       {{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", nullptr}}}},
      {"x", {1, "a", nullptr}},
      {"add_generation_prompt", true}};
  RenderOptions limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_loop_iterations = 10000;
  int parsed = 0, rendered = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string src;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) src += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    if (iter % 10 == 0) src.push_back(static_cast<char>(rng() % 256));  // raw bytes too
    Result<ChatTemplate> t = ChatTemplate::Parse(src);
    if (!t.ok()) {
      EXPECT_FALSE(t.status().message().empty()) << src;
      continue;
    }
    ++parsed;
    Result<std::string> out = t->Render(ctx, limits);
    if (out.ok()) {
      ++rendered;
    } else {
      EXPECT_FALSE(out.status().message().empty()) << src;
    }
  }
  EXPECT_GT(parsed, 100);  // the generator must reach the evaluator at all
  EXPECT_GT(rendered, 50);
}

}  // namespace
}  // namespace dsi::chat_template
