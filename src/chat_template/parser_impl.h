// The Jinja parser's class, shared by parser.cpp (statements) and parser_expr.cpp
// (expressions). Internal to the chat_template library.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "chat_template/ast.h"
#include "chat_template/parser.h"

namespace dsi::chat_template {

constexpr int kMaxNesting = 200;    // statement and expression recursion
constexpr int kMaxExprDepth = 400;  // height of one expression tree (evaluation recursion)

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParserNames& names)
      : tokens_(std::move(tokens)), names_(names) {}

  Result<StmtList> Run() {
    StmtList body;
    DSI_RETURN_IF_ERROR(Subparse({}, body));
    if (Cur().type != TokenType::kEof) return Fail(Cur().pos, "unexpected " + Quoted(Cur()));
    return body;
  }

 private:
  // ---- token stream ----
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Look() const { return tokens_[std::min(pos_ + 1, tokens_.size() - 1)]; }
  void Next() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool IsOp(std::string_view op) const {
    return Cur().type == TokenType::kOperator && Cur().value == op;
  }
  bool IsName(std::string_view name) const {
    return Cur().type == TokenType::kName && Cur().value == name;
  }
  bool SkipOp(std::string_view op) {
    if (!IsOp(op)) return false;
    Next();
    return true;
  }
  bool SkipName(std::string_view name) {
    if (!IsName(name)) return false;
    Next();
    return true;
  }
  static std::string Quoted(const Token& t) { return "'" + DescribeToken(t) + "'"; }

  Status Fail(SourcePos pos, std::string_view what) {
    return InvalidArgument("syntax error: " + LocatedMessage(pos, what));
  }
  Status ExpectOp(std::string_view op) {
    if (SkipOp(op)) return Status::Ok();
    return Fail(Cur().pos, "expected token '" + std::string(op) + "', got " + Quoted(Cur()));
  }
  Status ExpectName(std::string_view name) {
    if (SkipName(name)) return Status::Ok();
    return Fail(Cur().pos, "expected token '" + std::string(name) + "', got " + Quoted(Cur()));
  }
  Result<std::string> ExpectAnyName() {
    if (Cur().type != TokenType::kName) {
      return Fail(Cur().pos, "expected token 'name', got " + Quoted(Cur()));
    }
    std::string v = Cur().value;
    Next();
    return v;
  }
  Status ExpectBlockEnd() {
    if (Cur().type == TokenType::kBlockEnd) {
      Next();
      return Status::Ok();
    }
    return Fail(Cur().pos, "expected token 'end of statement block', got " + Quoted(Cur()));
  }

  // RAII recursion guard.
  struct Nest {
    explicit Nest(Parser* p) : p_(p) { ++p_->nesting_; }
    ~Nest() { --p_->nesting_; }
    bool too_deep() const { return p_->nesting_ > kMaxNesting; }
    Parser* p_;
  };

  ExprPtr Node(ExprKind kind, SourcePos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }
  // Checks the depth of a finished node (children already attached).
  Result<ExprPtr> Finish(ExprPtr e) {
    int depth = 0;
    auto visit = [&](const ExprPtr& c) {
      if (c) depth = std::max(depth, c->depth);
    };
    for (const auto& c : e->children) visit(c);
    for (const auto& c : e->call.args) visit(c);
    for (const auto& kv : e->call.kwargs) visit(kv.second);
    visit(e->call.dyn_args);
    visit(e->call.dyn_kwargs);
    if (depth + 1 > kMaxExprDepth) return Fail(e->pos, "expression is nested too deeply");
    e->depth = depth + 1;
    return e;
  }

  // ---- statements (parser.cpp) ----
  // Parses until a tag named in `end_names` (left current) or the end of the template.
  Status Subparse(const std::vector<std::string>& end_names, StmtList& body);
  static std::string LookingFor(const std::vector<std::string>& names);
  Status FailEof(const std::vector<std::string>& end_names);
  // `%}`, then the body of a block statement up to one of `end_names`; consumes the end
  // name only when drop_needle.
  Status ParseStatements(const std::vector<std::string>& end_names, StmtList& body,
                         bool drop_needle);
  Result<StmtPtr> ParseStatement();
  Result<StmtPtr> ParseTagged(const std::string& tag);
  Result<StmtPtr> ParseFor(StmtPtr s);
  Result<StmtPtr> ParseIf(StmtPtr s);
  Result<StmtPtr> ParseSet(StmtPtr s);
  Status ParseSignature(Stmt& s);
  // Whether a macro body refers to varargs / kwargs / caller (Jinja decides it statically).
  static void ScanNames(const Expr* e, Stmt& m);
  static void ScanNames(const StmtList& body, Stmt& m);
  Result<StmtPtr> ParseMacro(StmtPtr s);
  Result<StmtPtr> ParseCallBlock(StmtPtr s);
  Result<StmtPtr> ParseFilterBlock(StmtPtr s);
  Result<StmtPtr> ParseWith(StmtPtr s);
  Result<Target> ParseAssignTarget(bool with_tuple, const std::vector<std::string>& extra_end,
                                   bool with_namespace);
  Result<Target> ToTarget(const Expr& e);

  // ---- expressions (parser_expr.cpp) ----
  Result<ExprPtr> ParseExpression(bool with_condexpr);
  Result<ExprPtr> ParseCondExpr();
  Result<ExprPtr> Binary(ExprKind kind, std::string op, SourcePos pos, ExprPtr l, ExprPtr r);
  Result<ExprPtr> ParseOr();
  Result<ExprPtr> ParseAnd();
  Result<ExprPtr> ParseNot();
  Result<ExprPtr> ParseCompare();
  Result<ExprPtr> ParseMath1();
  Result<ExprPtr> ParseConcat();
  Result<ExprPtr> ParseMath2();
  Result<ExprPtr> ParsePow();
  Result<ExprPtr> ParseUnary(bool with_filter);
  Result<ExprPtr> ParsePrimary();
  bool IsTupleEnd(const std::vector<std::string>& extra_end) const;
  Result<ExprPtr> ParseTuple(bool simplified, bool with_condexpr,
                             const std::vector<std::string>& extra_end, bool explicit_parens);
  Result<ExprPtr> ParseList();
  Result<ExprPtr> ParseDict();
  Result<ExprPtr> ParsePostfix(ExprPtr node);
  Result<ExprPtr> ParseFilterExpr(ExprPtr node);
  Result<ExprPtr> ParseSubscript(ExprPtr node);
  Result<ExprPtr> ParseSubscribed();
  Status ParseCallArgs(CallSpec& call);
  Result<ExprPtr> ParseCall(ExprPtr node);
  Result<std::string> ParseDottedName();
  Result<ExprPtr> ParseFilter(ExprPtr node, bool start_inline);
  Result<ExprPtr> ParseTest(ExprPtr node);

  std::vector<Token> tokens_;
  const ParserNames& names_;
  size_t pos_ = 0;
  int nesting_ = 0;
  int loop_depth_ = 0;
  bool soft_ = false;  // inside an if / conditional expression: unknown filters fail at runtime
  std::vector<std::string> tag_stack_;
};

}  // namespace dsi::chat_template
