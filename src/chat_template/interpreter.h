// Evaluator of the Jinja syntax tree: scopes, statements, expressions and calls. Builtin
// filters, tests, methods and globals live in builtins.h; this file is the control flow.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat_template/ast.h"
#include "chat_template/chat_template.h"
#include "chat_template/value.h"

namespace dsi::chat_template {

// One scope. `for` iterations, macro calls, `with` and block bodies get a child frame;
// `if` does not (Jinja's scoping rules).
class Frame {
 public:
  explicit Frame(std::shared_ptr<Frame> parent) : parent_(std::move(parent)) {}
  const Value* Lookup(std::string_view name) const;
  void Set(std::string_view name, Value value);

 private:
  std::shared_ptr<Frame> parent_;
  std::vector<std::pair<std::string, Value>> vars_;
};
using FramePtr = std::shared_ptr<Frame>;

enum class Flow { kNormal, kBreak, kContinue };

class Interpreter {
 public:
  explicit Interpreter(const RenderOptions& options) : options_(options) {}
  ~Interpreter();  // breaks reference cycles of the objects it tracked
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Registers a macro or namespace (objects that can close a reference cycle).
  void Track(const std::shared_ptr<Object>& object);

  // Renders the program with `root` as the template's top-level scope.
  Result<std::string> Run(const StmtList& program, const FramePtr& root);

  // Used by callable objects.
  Result<Value> EvalIn(const Expr& e, const FramePtr& frame) { return Eval(e, frame); }
  Result<std::string> RenderBody(const StmtList& body, const FramePtr& frame);
  Result<Value> CallValue(const Value& callee, CallArgs& args);
  Result<Value> ApplyFilter(std::string_view name, const Value& input, CallArgs& args);
  Result<bool> ApplyTest(std::string_view name, const Value& input, CallArgs& args);
  // Renders `loop(items)` of a recursive for loop one level deeper.
  Result<std::string> RenderLoop(const Stmt& loop, const FramePtr& frame, const Value& iterable,
                                 int depth);
  // Fails when a string / list of this size would exceed the render limits.
  Status CheckSize(size_t bytes) const;
  Status CheckItems(size_t items) const;
  const RenderOptions& options() const { return options_; }

  // Recursion guard for macro calls and filter callbacks.
  class CallGuard {
   public:
    explicit CallGuard(Interpreter* in) : in_(in) { ++in_->call_depth_; }
    ~CallGuard() { --in_->call_depth_; }
    Status Check() const;

   private:
    Interpreter* in_;
  };

 private:
  Result<Flow> Exec(const StmtList& body, const FramePtr& frame, std::string& out);
  Result<Flow> ExecStmt(const Stmt& s, const FramePtr& frame, std::string& out);
  Result<Flow> ExecFor(const Stmt& s, const FramePtr& frame, const Value& iterable, int depth,
                       std::string& out);
  Status Assign(const Target& t, const Value& v, const FramePtr& frame);
  Status Append(std::string& out, const Value& v);

  Result<Value> Eval(const Expr& e, const FramePtr& frame);
  Result<Value> EvalImpl(const Expr& e, const FramePtr& frame);
  Result<Value> EvalCompare(const Expr& e, const FramePtr& frame);
  Status EvalCallArgs(const CallSpec& spec, const FramePtr& frame, CallArgs& args);
  Result<Value> EvalFilter(const Expr& e, const FramePtr& frame, const Value* block_input);
  // Adds "line L, column C: " to the first error raised (the innermost node's position).
  Status Locate(const Status& s, SourcePos pos);

  const RenderOptions& options_;
  std::vector<std::weak_ptr<Object>> tracked_;
  size_t prune_at_ = 64;
  int64_t iterations_ = 0;
  int call_depth_ = 0;
  bool located_ = false;
};

}  // namespace dsi::chat_template
