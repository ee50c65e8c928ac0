// Jinja lexer with the settings transformers renders with (trim_blocks, lstrip_blocks):
// splits template text into data and tag tokens, applies whitespace control ({%- -%} {{- -}}
// {#- -#}, {%+), drops comments, turns {% raw %} blocks into data, and records line/column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dsi::chat_template {

struct SourcePos {
  int line = 1;
  int column = 1;  // 1-based, in code points
};

enum class TokenType {
  kData,
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,  // value holds the operator text: "+", "//", "(", ...
  kEof,
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string value;  // data text, name, decoded string literal or operator
  int64_t int_value = 0;
  double float_value = 0;
  SourcePos pos;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// "line 3, column 7: <what>" — the prefix every located error message carries.
std::string LocatedMessage(SourcePos pos, std::string_view what);

// Newlines are normalised to "\n" and one trailing newline is dropped, as Jinja does
// (keep_trailing_newline=False). The result always ends with a kEof token.
Result<std::vector<Token>> Tokenize(std::string_view source, const LexerOptions& options = {});

// Human-readable token description used in syntax errors ("end of print statement", "'x'").
std::string DescribeToken(const Token& token);

}  // namespace dsi::chat_template
