// Jinja parser (see parser.h). Statement grammar: for / if / set / macro / call / filter /
// with / print / break / continue / generation. Expression precedence, loosest first:
// conditional, or, and, not, comparisons and `in`, + -, ~, * / // %, **, unary + -, then
// postfix (.attr, [item], call), filters `|` and tests `is`.
#include <algorithm>

#include "chat_template/parser_impl.h"

namespace dsi::chat_template {

Status Parser::Subparse(const std::vector<std::string>& end_names, StmtList& body) {
  Nest nest(this);
  if (nest.too_deep()) return Fail(Cur().pos, "statements are nested too deeply");
  while (Cur().type != TokenType::kEof) {
    const Token& t = Cur();
    if (t.type == TokenType::kData) {
      auto s = std::make_unique<Stmt>();
      s->kind = StmtKind::kData;
      s->pos = t.pos;
      s->text = t.value;
      body.push_back(std::move(s));
      Next();
    } else if (t.type == TokenType::kVariableBegin) {
      Next();
      auto s = std::make_unique<Stmt>();
      s->kind = StmtKind::kPrint;
      s->pos = Cur().pos;
      DSI_ASSIGN_OR_RETURN(s->expr, ParseTuple(/*simplified=*/false, /*with_condexpr=*/true, {},
                                               /*explicit_parens=*/false));
      if (Cur().type != TokenType::kVariableEnd) {
        return Fail(Cur().pos, "expected token 'end of print statement', got " + Quoted(Cur()));
      }
      Next();
      body.push_back(std::move(s));
    } else if (t.type == TokenType::kBlockBegin) {
      Next();
      if (Cur().type == TokenType::kName &&
          std::find(end_names.begin(), end_names.end(), Cur().value) != end_names.end()) {
        return Status::Ok();
      }
      DSI_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement());
      DSI_RETURN_IF_ERROR(ExpectBlockEnd());
      body.push_back(std::move(s));
    } else {
      return Fail(t.pos, "unexpected " + Quoted(t));
    }
  }
  if (!end_names.empty()) return FailEof(end_names);
  return Status::Ok();
}

std::string Parser::LookingFor(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += " or ";
    s += "'" + names[i] + "'";
  }
  return s;
}

Status Parser::FailEof(const std::vector<std::string>& end_names) {
  std::string msg = "Unexpected end of template. Jinja was looking for the following tags: " +
                    LookingFor(end_names) + ".";
  if (!tag_stack_.empty()) {
    msg += " The innermost block that needs to be closed is '" + tag_stack_.back() + "'.";
  }
  return Fail(Cur().pos, msg);
}

Status Parser::ParseStatements(const std::vector<std::string>& end_names, StmtList& body,
                               bool drop_needle) {
  SkipOp(":");
  DSI_RETURN_IF_ERROR(ExpectBlockEnd());
  DSI_RETURN_IF_ERROR(Subparse(end_names, body));
  if (Cur().type == TokenType::kEof) return FailEof(end_names);
  if (drop_needle) Next();
  return Status::Ok();
}

Result<StmtPtr> Parser::ParseStatement() {
  const Token& t = Cur();
  if (t.type != TokenType::kName) return Fail(t.pos, "tag name expected");
  const std::string tag = t.value;
  tag_stack_.push_back(tag);
  Result<StmtPtr> r = ParseTagged(tag);
  tag_stack_.pop_back();
  return r;
}

Result<StmtPtr> Parser::ParseTagged(const std::string& tag) {
  const SourcePos pos = Cur().pos;
  auto s = std::make_unique<Stmt>();
  s->pos = pos;
  if (tag == "for") return ParseFor(std::move(s));
  if (tag == "if") return ParseIf(std::move(s));
  if (tag == "set") return ParseSet(std::move(s));
  if (tag == "macro") return ParseMacro(std::move(s));
  if (tag == "call") return ParseCallBlock(std::move(s));
  if (tag == "filter") return ParseFilterBlock(std::move(s));
  if (tag == "with") return ParseWith(std::move(s));
  if (tag == "print") {
    Next();
    s->kind = StmtKind::kPrint;
    auto tuple = Node(ExprKind::kTuple, pos);
    while (Cur().type != TokenType::kBlockEnd) {
      if (!tuple->children.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
      DSI_ASSIGN_OR_RETURN(ExprPtr e, ParseExpression(true));
      tuple->children.push_back(std::move(e));
    }
    // Printed one after another, not as a tuple.
    s->kind = StmtKind::kScope;
    for (auto& e : tuple->children) {
      auto p = std::make_unique<Stmt>();
      p->kind = StmtKind::kPrint;
      p->pos = e->pos;
      p->expr = std::move(e);
      s->body.push_back(std::move(p));
    }
    return s;
  }
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) return Fail(pos, "'" + tag + "' outside loop");
    Next();
    s->kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    return s;
  }
  if (tag == "generation") {
    // transformers' AssistantTracker extension: renders its body unchanged.
    Next();
    s->kind = StmtKind::kScope;
    DSI_RETURN_IF_ERROR(ParseStatements({"endgeneration"}, s->body, /*drop_needle=*/true));
    return s;
  }
  if (tag == "block" || tag == "extends" || tag == "include" || tag == "import" || tag == "from" ||
      tag == "autoescape") {
    return Unsupported(
        LocatedMessage(pos, "the '" + tag + "' tag is not supported in chat templates"));
  }
  std::string msg = "Encountered unknown tag '" + tag + "'.";
  if (tag_stack_.size() > 1) {
    msg += " The innermost block that needs to be closed is '" + tag_stack_[tag_stack_.size() - 2] +
           "'.";
  }
  return Fail(pos, msg);
}

Result<StmtPtr> Parser::ParseFor(StmtPtr s) {
  Next();
  s->kind = StmtKind::kFor;
  DSI_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(/*with_tuple=*/true, {"in"}, false));
  DSI_RETURN_IF_ERROR(ExpectName("in"));
  DSI_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, /*with_condexpr=*/false, {"recursive"}, false));
  if (SkipName("if")) {
    DSI_ASSIGN_OR_RETURN(s->test, ParseExpression(true));
  }
  s->recursive = SkipName("recursive");
  const bool saved_soft = soft_;
  soft_ = false;
  ++loop_depth_;
  Status st = ParseStatements({"endfor", "else"}, s->body, false);
  --loop_depth_;
  if (st.ok()) {
    const bool has_else = IsName("else");
    Next();
    if (has_else) st = ParseStatements({"endfor"}, s->else_body, true);
  }
  soft_ = saved_soft;
  DSI_RETURN_IF_ERROR(st);
  return s;
}

Result<StmtPtr> Parser::ParseIf(StmtPtr s) {
  Next();
  s->kind = StmtKind::kIf;
  const bool saved_soft = soft_;
  soft_ = true;
  while (true) {
    DSI_ASSIGN_OR_RETURN(ExprPtr test, ParseTuple(false, /*with_condexpr=*/false, {}, false));
    StmtList body;
    DSI_RETURN_IF_ERROR(ParseStatements({"elif", "else", "endif"}, body, false));
    s->branches.emplace_back(std::move(test), std::move(body));
    const std::string which = Cur().value;
    Next();
    if (which == "elif") continue;
    if (which == "else") {
      DSI_RETURN_IF_ERROR(ParseStatements({"endif"}, s->else_body, true));
    }
    break;
  }
  soft_ = saved_soft;
  return s;
}

Result<StmtPtr> Parser::ParseSet(StmtPtr s) {
  Next();
  DSI_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(true, {}, /*with_namespace=*/true));
  if (SkipOp("=")) {
    s->kind = StmtKind::kSet;
    DSI_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, true, {}, false));
    return s;
  }
  s->kind = StmtKind::kSetBlock;
  if (IsOp("|")) {
    DSI_ASSIGN_OR_RETURN(s->expr, ParseFilter(nullptr, /*start_inline=*/false));
  }
  const bool saved_soft = soft_;
  soft_ = false;
  Status st = ParseStatements({"endset"}, s->body, true);
  soft_ = saved_soft;
  DSI_RETURN_IF_ERROR(st);
  return s;
}

Status Parser::ParseSignature(Stmt& s) {
  DSI_RETURN_IF_ERROR(ExpectOp("("));
  while (!IsOp(")")) {
    if (!s.params.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
    DSI_ASSIGN_OR_RETURN(std::string name, ExpectAnyName());
    if (SkipOp("=")) {
      DSI_ASSIGN_OR_RETURN(ExprPtr d, ParseExpression(true));
      s.defaults.push_back(std::move(d));
    } else if (!s.defaults.empty()) {
      return Fail(Cur().pos, "non-default argument follows default argument");
    }
    s.params.push_back(std::move(name));
  }
  return ExpectOp(")");
}

void Parser::ScanNames(const Expr* e, Stmt& m) {
  if (!e) return;
  if (e->kind == ExprKind::kName) {
    if (e->name == "varargs") m.uses_varargs = true;
    if (e->name == "kwargs") m.uses_kwargs = true;
    if (e->name == "caller") m.uses_caller = true;
  }
  for (const auto& c : e->children) ScanNames(c.get(), m);
  for (const auto& c : e->call.args) ScanNames(c.get(), m);
  for (const auto& kv : e->call.kwargs) ScanNames(kv.second.get(), m);
  ScanNames(e->call.dyn_args.get(), m);
  ScanNames(e->call.dyn_kwargs.get(), m);
}

void Parser::ScanNames(const StmtList& body, Stmt& m) {
  for (const auto& s : body) {
    if (s->kind == StmtKind::kMacro) continue;  // a nested macro has its own scope
    ScanNames(s->expr.get(), m);
    ScanNames(s->test.get(), m);
    ScanNames(s->body, m);
    ScanNames(s->else_body, m);
    for (const auto& b : s->branches) {
      ScanNames(b.first.get(), m);
      ScanNames(b.second, m);
    }
    for (const auto& d : s->defaults) ScanNames(d.get(), m);
    for (const auto& v : s->with_values) ScanNames(v.get(), m);
  }
}

Result<StmtPtr> Parser::ParseMacro(StmtPtr s) {
  Next();
  s->kind = StmtKind::kMacro;
  DSI_ASSIGN_OR_RETURN(s->name, ExpectAnyName());
  DSI_RETURN_IF_ERROR(ParseSignature(*s));
  const bool saved_soft = soft_;
  const int saved_loops = loop_depth_;
  soft_ = false;
  loop_depth_ = 0;
  Status st = ParseStatements({"endmacro"}, s->body, true);
  soft_ = saved_soft;
  loop_depth_ = saved_loops;
  DSI_RETURN_IF_ERROR(st);
  ScanNames(s->body, *s);
  for (const auto& d : s->defaults) ScanNames(d.get(), *s);
  return s;
}

Result<StmtPtr> Parser::ParseCallBlock(StmtPtr s) {
  Next();
  s->kind = StmtKind::kCallBlock;
  if (IsOp("(")) DSI_RETURN_IF_ERROR(ParseSignature(*s));
  DSI_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
  if (s->expr->kind != ExprKind::kCall) return Fail(s->pos, "expected call");
  const bool saved_soft = soft_;
  const int saved_loops = loop_depth_;
  soft_ = false;
  loop_depth_ = 0;
  Status st = ParseStatements({"endcall"}, s->body, true);
  soft_ = saved_soft;
  loop_depth_ = saved_loops;
  DSI_RETURN_IF_ERROR(st);
  ScanNames(s->body, *s);
  return s;
}

Result<StmtPtr> Parser::ParseFilterBlock(StmtPtr s) {
  Next();
  s->kind = StmtKind::kFilterBlock;
  DSI_ASSIGN_OR_RETURN(s->expr, ParseFilter(nullptr, /*start_inline=*/true));
  const bool saved_soft = soft_;
  soft_ = false;
  Status st = ParseStatements({"endfilter"}, s->body, true);
  soft_ = saved_soft;
  DSI_RETURN_IF_ERROR(st);
  return s;
}

Result<StmtPtr> Parser::ParseWith(StmtPtr s) {
  Next();
  s->kind = StmtKind::kWith;
  while (Cur().type != TokenType::kBlockEnd) {
    if (!s->with_targets.empty()) DSI_RETURN_IF_ERROR(ExpectOp(","));
    DSI_ASSIGN_OR_RETURN(Target t, ParseAssignTarget(true, {}, false));
    DSI_RETURN_IF_ERROR(ExpectOp("="));
    DSI_ASSIGN_OR_RETURN(ExprPtr v, ParseExpression(true));
    s->with_targets.push_back(std::move(t));
    s->with_values.push_back(std::move(v));
  }
  const bool saved_soft = soft_;
  soft_ = false;
  Status st = ParseStatements({"endwith"}, s->body, true);
  soft_ = saved_soft;
  DSI_RETURN_IF_ERROR(st);
  return s;
}

Result<Target> Parser::ParseAssignTarget(bool with_tuple, const std::vector<std::string>& extra_end,
                                         bool with_namespace) {
  Target t;
  t.pos = Cur().pos;
  if (with_namespace && Cur().type == TokenType::kName && Look().type == TokenType::kOperator &&
      Look().value == ".") {
    t.kind = Target::Kind::kNamespaceAttr;
    t.name = Cur().value;
    Next();
    Next();
    DSI_ASSIGN_OR_RETURN(t.attr, ExpectAnyName());
    return t;
  }
  ExprPtr e;
  if (with_tuple) {
    DSI_ASSIGN_OR_RETURN(e, ParseTuple(/*simplified=*/true, true, extra_end, false));
  } else {
    DSI_ASSIGN_OR_RETURN(e, ParsePrimary());
  }
  return ToTarget(*e);
}

Result<Target> Parser::ToTarget(const Expr& e) {
  Target t;
  t.pos = e.pos;
  if (e.kind == ExprKind::kName) {
    t.name = e.name;
    return t;
  }
  if (e.kind == ExprKind::kTuple) {
    t.kind = Target::Kind::kTuple;
    for (const auto& c : e.children) {
      DSI_ASSIGN_OR_RETURN(Target item, ToTarget(*c));
      t.items.push_back(std::move(item));
    }
    return t;
  }
  std::string what = e.kind == ExprKind::kConst ? "const" : "expression";
  return Fail(e.pos, "can't assign to '" + what + "'");
}

Result<StmtList> ParseTemplate(std::string_view source, const ParserNames& names) {
  DSI_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source));
  Parser parser(std::move(tokens), names);
  return parser.Run();
}

}  // namespace dsi::chat_template
