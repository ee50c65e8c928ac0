// Jinja expression grammar (see parser.h for the precedence summary), as methods of the
// Parser class declared in parser_impl.h.
#include <algorithm>

#include "chat_template/parser_impl.h"

namespace dsi::chat_template {

Result<ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  Nest nest(this);
  if (nest.too_deep()) return Fail(Cur().pos, "expression is nested too deeply");
  return with_condexpr ? ParseCondExpr() : ParseOr();
}

Result<ExprPtr> Parser::ParseCondExpr() {
  Nest nest(this);
  if (nest.too_deep()) return Fail(Cur().pos, "expression is nested too deeply");
  DSI_ASSIGN_OR_RETURN(ExprPtr expr1, ParseOr());
  while (IsName("if")) {
    const SourcePos pos = Cur().pos;
    Next();
    const bool saved_soft = soft_;
    soft_ = true;
    Result<ExprPtr> test = ParseOr();
    if (!test.ok()) return test.status();
    ExprPtr expr3;
    if (SkipName("else")) {
      DSI_ASSIGN_OR_RETURN(expr3, ParseCondExpr());
    }
    soft_ = saved_soft;
    auto n = Node(ExprKind::kCondExpr, pos);
    n->children.push_back(std::move(test).value());
    n->children.push_back(std::move(expr1));
    n->children.push_back(std::move(expr3));
    DSI_ASSIGN_OR_RETURN(expr1, Finish(std::move(n)));
  }
  return expr1;
}

Result<ExprPtr> Parser::Binary(ExprKind kind, std::string op, SourcePos pos, ExprPtr l, ExprPtr r) {
  auto n = Node(kind, pos);
  n->name = std::move(op);
  n->children.push_back(std::move(l));
  n->children.push_back(std::move(r));
  return Finish(std::move(n));
}

Result<ExprPtr> Parser::ParseOr() {
  DSI_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
  while (IsName("or")) {
    const SourcePos pos = Cur().pos;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
    DSI_ASSIGN_OR_RETURN(left, Binary(ExprKind::kOr, "or", pos, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseAnd() {
  DSI_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
  while (IsName("and")) {
    const SourcePos pos = Cur().pos;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
    DSI_ASSIGN_OR_RETURN(left,
                         Binary(ExprKind::kAnd, "and", pos, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseNot() {
  Nest nest(this);
  if (nest.too_deep()) return Fail(Cur().pos, "expression is nested too deeply");
  if (IsName("not")) {
    const SourcePos pos = Cur().pos;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    auto n = Node(ExprKind::kNot, pos);
    n->children.push_back(std::move(operand));
    return Finish(std::move(n));
  }
  return ParseCompare();
}

Result<ExprPtr> Parser::ParseCompare() {
  const SourcePos pos = Cur().pos;
  DSI_ASSIGN_OR_RETURN(ExprPtr expr, ParseMath1());
  ExprPtr cmp;
  while (true) {
    std::string op;
    static const std::pair<const char*, const char*> kOps[] = {
        {"==", "eq"}, {"!=", "ne"}, {"<", "lt"}, {"<=", "lteq"}, {">", "gt"}, {">=", "gteq"}};
    for (const auto& [sym, name] : kOps) {
      if (IsOp(sym)) op = name;
    }
    if (!op.empty()) {
      Next();
    } else if (IsName("in")) {
      Next();
      op = "in";
    } else if (IsName("not") && Look().type == TokenType::kName && Look().value == "in") {
      Next();
      Next();
      op = "notin";
    } else {
      break;
    }
    DSI_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
    if (!cmp) {
      cmp = Node(ExprKind::kCompare, pos);
      cmp->children.push_back(std::move(expr));
    }
    cmp->ops.push_back(op);
    cmp->children.push_back(std::move(operand));
  }
  if (!cmp) return expr;
  return Finish(std::move(cmp));
}

Result<ExprPtr> Parser::ParseMath1() {
  DSI_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    const std::string op = Cur().value;
    const SourcePos pos = Cur().pos;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
    DSI_ASSIGN_OR_RETURN(left,
                         Binary(ExprKind::kBinOp, op, pos, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseConcat() {
  const SourcePos pos = Cur().pos;
  DSI_ASSIGN_OR_RETURN(ExprPtr first, ParseMath2());
  if (!IsOp("~")) return first;
  auto n = Node(ExprKind::kConcat, pos);
  n->children.push_back(std::move(first));
  while (SkipOp("~")) {
    DSI_ASSIGN_OR_RETURN(ExprPtr next, ParseMath2());
    n->children.push_back(std::move(next));
  }
  return Finish(std::move(n));
}

Result<ExprPtr> Parser::ParseMath2() {
  DSI_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    const std::string op = Cur().value;
    const SourcePos pos = Cur().pos;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
    DSI_ASSIGN_OR_RETURN(left,
                         Binary(ExprKind::kBinOp, op, pos, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParsePow() {
  DSI_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
  while (IsOp("**")) {
    const SourcePos pos = Cur().pos;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
    DSI_ASSIGN_OR_RETURN(left,
                         Binary(ExprKind::kBinOp, "**", pos, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::ParseUnary(bool with_filter) {
  Nest nest(this);
  if (nest.too_deep()) return Fail(Cur().pos, "expression is nested too deeply");
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    auto n = Node(ExprKind::kUnary, Cur().pos);
    n->name = Cur().value;
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
    n->children.push_back(std::move(operand));
    DSI_ASSIGN_OR_RETURN(node, Finish(std::move(n)));
  } else {
    DSI_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  DSI_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    DSI_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  return node;
}

Result<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Cur();
  if (t.type == TokenType::kName) {
    ExprPtr n;
    if (t.value == "true" || t.value == "True" || t.value == "false" || t.value == "False") {
      n = Node(ExprKind::kConst, t.pos);
      n->value = Value::Bool(t.value == "true" || t.value == "True");
    } else if (t.value == "none" || t.value == "None") {
      n = Node(ExprKind::kConst, t.pos);
      n->value = Value::None();
    } else {
      n = Node(ExprKind::kName, t.pos);
      n->name = t.value;
    }
    Next();
    return Finish(std::move(n));
  }
  if (t.type == TokenType::kString) {
    auto n = Node(ExprKind::kConst, t.pos);
    std::string s = t.value;
    Next();
    while (Cur().type == TokenType::kString) {  // adjacent literals concatenate
      s += Cur().value;
      Next();
    }
    n->value = Value::String(std::move(s));
    return Finish(std::move(n));
  }
  if (t.type == TokenType::kInteger || t.type == TokenType::kFloat) {
    auto n = Node(ExprKind::kConst, t.pos);
    n->value =
        t.type == TokenType::kInteger ? Value::Int(t.int_value) : Value::Float(t.float_value);
    Next();
    return Finish(std::move(n));
  }
  if (IsOp("(")) {
    Next();
    DSI_ASSIGN_OR_RETURN(ExprPtr n, ParseTuple(false, true, {}, /*explicit_parens=*/true));
    DSI_RETURN_IF_ERROR(ExpectOp(")"));
    return n;
  }
  if (IsOp("[")) return ParseList();
  if (IsOp("{")) return ParseDict();
  return Fail(t.pos, "unexpected " + Quoted(t));
}

bool Parser::IsTupleEnd(const std::vector<std::string>& extra_end) const {
  const Token& t = Cur();
  if (t.type == TokenType::kVariableEnd || t.type == TokenType::kBlockEnd || IsOp(")")) {
    return true;
  }
  return t.type == TokenType::kName &&
         std::find(extra_end.begin(), extra_end.end(), t.value) != extra_end.end();
}

Result<ExprPtr> Parser::ParseTuple(bool simplified, bool with_condexpr,
                                   const std::vector<std::string>& extra_end,
                                   bool explicit_parens) {
  const SourcePos pos = Cur().pos;
  std::vector<ExprPtr> args;
  bool is_tuple = false;
  while (true) {
    if (!args.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
    if (IsTupleEnd(extra_end)) break;
    ExprPtr e;
    if (simplified) {
      DSI_ASSIGN_OR_RETURN(e, ParsePrimary());
    } else {
      DSI_ASSIGN_OR_RETURN(e, ParseExpression(with_condexpr));
    }
    args.push_back(std::move(e));
    if (IsOp(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!args.empty()) return std::move(args[0]);
    if (!explicit_parens) {
      return Fail(Cur().pos, "Expected an expression, got " + Quoted(Cur()));
    }
  }
  auto n = Node(ExprKind::kTuple, pos);
  n->children = std::move(args);
  return Finish(std::move(n));
}

Result<ExprPtr> Parser::ParseList() {
  auto n = Node(ExprKind::kList, Cur().pos);
  DSI_RETURN_IF_ERROR(ExpectOp("["));
  while (!IsOp("]")) {
    if (!n->children.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp("]")) break;
    DSI_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
    n->children.push_back(std::move(e));
  }
  DSI_RETURN_IF_ERROR(ExpectOp("]"));
  return Finish(std::move(n));
}

Result<ExprPtr> Parser::ParseDict() {
  auto n = Node(ExprKind::kDict, Cur().pos);
  DSI_RETURN_IF_ERROR(ExpectOp("{"));
  while (!IsOp("}")) {
    if (!n->children.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp("}")) break;
    DSI_ASSIGN_OR_RETURN(ExprPtr k, ParseExpression(true));
    DSI_RETURN_IF_ERROR(ExpectOp(":"));
    DSI_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
    n->children.push_back(std::move(k));
    n->children.push_back(std::move(v));
  }
  DSI_RETURN_IF_ERROR(ExpectOp("}"));
  return Finish(std::move(n));
}

Result<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (IsOp(".") || IsOp("[")) {
      DSI_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      DSI_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (IsOp("|")) {
      DSI_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node), false));
    } else if (IsName("is")) {
      DSI_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
    } else if (IsOp("(")) {
      DSI_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  const Token t = Cur();
  Next();
  if (t.value == ".") {
    const Token attr = Cur();
    Next();
    if (attr.type == TokenType::kName) {
      auto n = Node(ExprKind::kGetattr, t.pos);
      n->name = attr.value;
      n->children.push_back(std::move(node));
      return Finish(std::move(n));
    }
    if (attr.type != TokenType::kInteger) return Fail(attr.pos, "expected name or number");
    auto idx = Node(ExprKind::kConst, attr.pos);
    idx->value = Value::Int(attr.int_value);
    auto n = Node(ExprKind::kGetitem, t.pos);
    n->children.push_back(std::move(node));
    n->children.push_back(std::move(idx));
    return Finish(std::move(n));
  }
  std::vector<ExprPtr> args;
  while (!IsOp("]")) {
    if (!args.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
    DSI_ASSIGN_OR_RETURN(ExprPtr a, ParseSubscribed());
    args.push_back(std::move(a));
  }
  DSI_RETURN_IF_ERROR(ExpectOp("]"));
  auto n = Node(ExprKind::kGetitem, t.pos);
  n->children.push_back(std::move(node));
  if (args.size() == 1) {
    n->children.push_back(std::move(args[0]));
  } else {
    auto tuple = Node(ExprKind::kTuple, t.pos);
    tuple->children = std::move(args);
    DSI_ASSIGN_OR_RETURN(ExprPtr finished, Finish(std::move(tuple)));
    n->children.push_back(std::move(finished));
  }
  return Finish(std::move(n));
}

Result<ExprPtr> Parser::ParseSubscribed() {
  const SourcePos pos = Cur().pos;
  std::vector<ExprPtr> parts;
  if (IsOp(":")) {
    Next();
    parts.push_back(nullptr);
  } else {
    DSI_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
    if (!IsOp(":")) return e;
    Next();
    parts.push_back(std::move(e));
  }
  if (IsOp(":") || IsOp("]") || IsOp(",")) {
    parts.push_back(nullptr);
  } else {
    DSI_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
    parts.push_back(std::move(e));
  }
  if (SkipOp(":")) {
    if (IsOp("]") || IsOp(",")) {
      parts.push_back(nullptr);
    } else {
      DSI_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
      parts.push_back(std::move(e));
    }
  } else {
    parts.push_back(nullptr);
  }
  auto n = Node(ExprKind::kSlice, pos);
  n->children = std::move(parts);
  return Finish(std::move(n));
}

Status Parser::ParseCallArgs(CallSpec& call) {
  const SourcePos open = Cur().pos;
  DSI_RETURN_IF_ERROR(ExpectOp("("));
  bool require_comma = false;
  auto ensure = [&](bool ok) -> Status {
    if (ok) return Status::Ok();
    return Fail(open, "invalid syntax for function call expression");
  };
  while (!IsOp(")")) {
    if (require_comma) {
      DSI_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
    }
    if (IsOp("*")) {
      DSI_RETURN_IF_ERROR(ensure(!call.dyn_args && !call.dyn_kwargs));
      Next();
      DSI_ASSIGN_OR_RETURN(call.dyn_args, ParseExpression(true));
    } else if (IsOp("**")) {
      DSI_RETURN_IF_ERROR(ensure(!call.dyn_kwargs));
      Next();
      DSI_ASSIGN_OR_RETURN(call.dyn_kwargs, ParseExpression(true));
    } else if (Cur().type == TokenType::kName && Look().type == TokenType::kOperator &&
               Look().value == "=") {
      DSI_RETURN_IF_ERROR(ensure(!call.dyn_kwargs));
      std::string key = Cur().value;
      Next();
      Next();
      DSI_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
      call.kwargs.emplace_back(std::move(key), std::move(v));
    } else {
      DSI_RETURN_IF_ERROR(ensure(!call.dyn_args && !call.dyn_kwargs && call.kwargs.empty()));
      DSI_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
      call.args.push_back(std::move(v));
    }
    require_comma = true;
  }
  return ExpectOp(")");
}

Result<ExprPtr> Parser::ParseCall(ExprPtr node) {
  auto n = Node(ExprKind::kCall, Cur().pos);
  DSI_RETURN_IF_ERROR(ParseCallArgs(n->call));
  n->children.push_back(std::move(node));
  return Finish(std::move(n));
}

Result<std::string> Parser::ParseDottedName() {
  DSI_ASSIGN_OR_RETURN(std::string name, ExpectAnyName());
  while (IsOp(".")) {
    Next();
    DSI_ASSIGN_OR_RETURN(std::string part, ExpectAnyName());
    name += "." + part;
  }
  return name;
}

Result<ExprPtr> Parser::ParseFilter(ExprPtr node, bool start_inline) {
  while (IsOp("|") || start_inline) {
    if (!start_inline) Next();
    start_inline = false;
    const SourcePos pos = Cur().pos;
    DSI_ASSIGN_OR_RETURN(std::string name, ParseDottedName());
    if (!soft_ && !names_.has_filter(name)) {
      return Fail(pos, "No filter named '" + name + "'.");
    }
    auto n = Node(ExprKind::kFilter, pos);
    n->name = std::move(name);
    if (IsOp("(")) DSI_RETURN_IF_ERROR(ParseCallArgs(n->call));
    n->children.push_back(std::move(node));
    DSI_ASSIGN_OR_RETURN(node, Finish(std::move(n)));
  }
  return node;
}

Result<ExprPtr> Parser::ParseTest(ExprPtr node) {
  const SourcePos is_pos = Cur().pos;
  Next();  // `is`
  const bool negated = SkipName("not");
  const SourcePos pos = Cur().pos;
  DSI_ASSIGN_OR_RETURN(std::string name, ParseDottedName());
  if (!soft_ && !names_.has_test(name)) return Fail(pos, "No test named '" + name + "'.");
  auto n = Node(ExprKind::kTest, pos);
  n->name = std::move(name);
  const Token& t = Cur();
  if (IsOp("(")) {
    DSI_RETURN_IF_ERROR(ParseCallArgs(n->call));
  } else if ((t.type == TokenType::kName || t.type == TokenType::kString ||
              t.type == TokenType::kInteger || t.type == TokenType::kFloat || IsOp("(") ||
              IsOp("[") || IsOp("{")) &&
             !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) return Fail(t.pos, "You cannot chain multiple tests with is");
    DSI_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
    DSI_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
    n->call.args.push_back(std::move(arg));
  }
  n->children.push_back(std::move(node));
  DSI_ASSIGN_OR_RETURN(ExprPtr test, Finish(std::move(n)));
  if (!negated) return test;
  auto neg = Node(ExprKind::kNot, is_pos);
  neg->children.push_back(std::move(test));
  return Finish(std::move(neg));
}

}  // namespace dsi::chat_template
