// Syntax tree of a parsed Jinja template: expressions and statements, each with the source
// position that runtime errors report.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat_template/lexer.h"
#include "chat_template/value.h"

namespace dsi::chat_template {

enum class ExprKind {
  kConst,     // value
  kName,      // name
  kGetattr,   // children[0].name
  kGetitem,   // children[0][children[1]]
  kSlice,     // children: start, stop, step (each may be null)
  kCall,      // children[0](call)
  kFilter,    // children[0] | name(call); children[0] is null inside {% filter %} / {% set %}
  kTest,      // children[0] is name(call)
  kCondExpr,  // children[1] if children[0] else children[2] (children[2] may be null)
  kBinOp,     // children[0] name children[1]; name in + - * / // % **
  kUnary,     // name children[0]; name in + -
  kNot,
  kAnd,
  kOr,
  kCompare,  // children[0] ops[0] children[1] ops[1] children[2] ...
  kConcat,   // children joined with ~
  kList,
  kTuple,
  kDict,  // children: key0, value0, key1, value1, ...
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct CallSpec {
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  ExprPtr dyn_args;    // *args
  ExprPtr dyn_kwargs;  // **kwargs
};

struct Expr {
  ExprKind kind = ExprKind::kConst;
  SourcePos pos;
  int depth = 1;  // height of this subtree (the parser bounds it)
  Value value;
  std::string name;
  std::vector<ExprPtr> children;
  std::vector<std::string> ops;  // kCompare: eq ne lt lteq gt gteq in notin
  CallSpec call;
};

// Left side of `set`, `for` and `with`.
struct Target {
  enum class Kind { kName, kTuple, kNamespaceAttr };
  Kind kind = Kind::kName;
  SourcePos pos;
  std::string name;
  std::string attr;           // kNamespaceAttr: name.attr
  std::vector<Target> items;  // kTuple
};

enum class StmtKind {
  kData,   // text
  kPrint,  // {{ expr }} and {% print %}
  kFor,
  kIf,
  kSet,       // {% set target = expr %}
  kSetBlock,  // {% set target | filter %}body{% endset %}
  kMacro,
  kCallBlock,
  kFilterBlock,
  kWith,
  kBreak,
  kContinue,
  kScope,  // {% generation %}body{% endgeneration %}: rendered as is
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind = StmtKind::kData;
  SourcePos pos;
  std::string text;  // kData
  ExprPtr
      expr;  // kPrint, kFor iterable, kSet value, kCallBlock call, kFilterBlock/kSetBlock filter
  ExprPtr test;            // kFor inline `if`
  Target target;           // kFor, kSet, kSetBlock
  bool recursive = false;  // kFor
  StmtList body;
  StmtList else_body;                                  // kFor else, kIf else
  std::vector<std::pair<ExprPtr, StmtList>> branches;  // kIf: if + elifs
  // kMacro / kCallBlock signature.
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() params
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
  // kWith.
  std::vector<Target> with_targets;
  std::vector<ExprPtr> with_values;
};

}  // namespace dsi::chat_template
