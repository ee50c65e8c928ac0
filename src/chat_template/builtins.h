// What templates can call: Python operators and attribute/item access as the jinja2 sandbox
// performs them, filters, tests, str/list/dict methods, global functions, and the runtime
// objects (namespace, macro, loop, bound method).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat_template/interpreter.h"
#include "chat_template/value.h"

namespace dsi::chat_template {

// ---- argument binding with Python's error messages ----
using BoundArgs = std::vector<std::optional<Value>>;
// Binds positional then keyword arguments to `names`; the first `required` must be given.
Result<BoundArgs> BindArgs(std::string_view fn, const CallArgs& args,
                           const std::vector<std::string_view>& names, size_t required);
Result<int64_t> ToIndex(std::string_view fn, const Value& v);  // int or bool, else TypeError

// ---- sandboxed access and operators ----
Result<Value> GetAttr(const Value& obj, std::string_view name);
Result<Value> GetItem(const Value& obj, const Value& key);
Result<Value> GetSlice(const Value& obj, const Value& start, const Value& stop, const Value& step);
Result<Value> BinaryOp(std::string_view op, const Value& a, const Value& b,
                       const Interpreter& interp);
Result<Value> UnaryOp(std::string_view op, const Value& v);
// Jinja's `attribute=` lookup for filters: "a.b.0" walks attributes and integer items.
Result<Value> GetDottedAttribute(const Value& obj, const Value& attribute);

// ---- filters, tests, methods, globals ----
using FilterFn = Result<Value> (*)(Interpreter&, const Value&, CallArgs&);
using TestFn = Result<bool> (*)(Interpreter&, const Value&, CallArgs&);
FilterFn FindFilter(std::string_view name);
TestFn FindTest(std::string_view name);
bool IsKnownJinjaFilter(std::string_view name);  // exists in Jinja, maybe not here

// str / list / dict methods reachable as attributes (`s.split`, `d.items`).
bool HasMethod(const Value& receiver, std::string_view name);
bool IsUnsafeMethod(const Value& receiver, std::string_view name);  // list.append, dict.update
Result<Value> CallMethod(Interpreter& interp, const Value& receiver, std::string_view name,
                         CallArgs& args);

// range, dict, namespace, joiner, cycler, raise_exception, strftime_now.
void InstallGlobals(Frame& globals);

// ---- string formatting ----
Result<std::string> PercentFormat(std::string_view fmt, const Value& args);  // "%s" % x
Result<std::string> StrFormat(std::string_view fmt, const CallArgs& args);   // str.format

// ---- runtime objects ----
class NamespaceObject : public Object {
 public:
  std::string TypeName() const override { return "Namespace"; }
  std::string Repr() const override;
  Status AppendRepr(std::string& out, size_t limit, int depth) const override;
  Value GetAttr(std::string_view name) const override;
  bool IsNamespace() const override { return true; }
  void SetAttr(std::string_view name, Value value) override;
  void DropReferences() override { attrs.entries.clear(); }
  DictData attrs;
};

// A macro, or the body of a {% call %} block as `caller`.
class MacroObject : public Object {
 public:
  MacroObject(const Stmt* def, FramePtr frame, bool is_caller)
      : def_(def), frame_(std::move(frame)), is_caller_(is_caller) {}
  std::string TypeName() const override { return "Macro"; }
  std::string Repr() const override;
  Value GetAttr(std::string_view name) const override;
  bool IsCallable() const override { return true; }
  Result<Value> Call(Interpreter& interp, CallArgs& args) override;
  void DropReferences() override { frame_.reset(); }

 private:
  const Stmt* def_;
  FramePtr frame_;
  bool is_caller_;
};

// `loop` inside a for body.
struct LoopState {
  std::shared_ptr<const ValueList> items;
  const Stmt* stmt = nullptr;  // for recursive loop(...) calls
  FramePtr frame;              // the frame the for statement runs in
  int depth = 1;
  std::shared_ptr<std::optional<ValueList>> last_changed =  // loop.changed() memory
      std::make_shared<std::optional<ValueList>>();
};

class LoopObject : public Object {
 public:
  LoopObject(std::shared_ptr<const LoopState> state, size_t index)
      : state_(std::move(state)), index_(index) {}
  std::string TypeName() const override { return "LoopContext"; }
  std::string Repr() const override;
  Value GetAttr(std::string_view name) const override;
  bool IsCallable() const override { return true; }
  Result<Value> Call(Interpreter& interp, CallArgs& args) override;

 private:
  std::shared_ptr<const LoopState> state_;
  size_t index_;
};

// `"abc".upper`, `d.items`: a method bound to its receiver.
class BoundMethodObject : public Object {
 public:
  BoundMethodObject(Value receiver, std::string name)
      : receiver_(std::move(receiver)), name_(std::move(name)) {}
  std::string TypeName() const override { return "builtin_function_or_method"; }
  std::string Repr() const override;
  bool IsCallable() const override { return true; }
  Result<Value> Call(Interpreter& interp, CallArgs& args) override;

 private:
  Value receiver_;
  std::string name_;
};

class BuiltinFunctionObject : public Object {
 public:
  using Fn = std::function<Result<Value>(Interpreter&, CallArgs&)>;
  BuiltinFunctionObject(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string TypeName() const override { return "function"; }
  std::string Repr() const override { return "<function " + name_ + ">"; }
  bool IsCallable() const override { return true; }
  Result<Value> Call(Interpreter& interp, CallArgs& args) override { return fn_(interp, args); }

 private:
  std::string name_;
  Fn fn_;
};

}  // namespace dsi::chat_template
