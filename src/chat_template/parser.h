// Recursive-descent parser from Jinja tokens to the syntax tree (ast.h), following the
// grammar and operator precedence of jinja2's parser. Syntax errors carry line and column.
#pragma once

#include <functional>
#include <string_view>

#include "chat_template/ast.h"
#include "core/status.h"

namespace dsi::chat_template {

// Whether a filter / test name exists; unknown names are compile errors outside `if`
// blocks and runtime errors inside them, as in Jinja 3.
struct ParserNames {
  std::function<bool(std::string_view)> has_filter;
  std::function<bool(std::string_view)> has_test;
};

Result<StmtList> ParseTemplate(std::string_view source, const ParserNames& names);

}  // namespace dsi::chat_template
