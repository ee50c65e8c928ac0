// Statement execution and expression evaluation (see interpreter.h).
#include "chat_template/interpreter.h"

#include <algorithm>

#include "chat_template/builtins.h"

namespace dsi::chat_template {

const Value* Frame::Lookup(std::string_view name) const {
  for (const Frame* f = this; f; f = f->parent_.get()) {
    for (const auto& [k, v] : f->vars_) {
      if (k == name) return &v;
    }
  }
  return nullptr;
}

void Frame::Set(std::string_view name, Value value) {
  for (auto& [k, v] : vars_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  vars_.emplace_back(std::string(name), std::move(value));
}

Interpreter::~Interpreter() {
  for (const auto& weak : tracked_) {
    if (std::shared_ptr<Object> object = weak.lock()) object->DropReferences();
  }
}

void Interpreter::Track(const std::shared_ptr<Object>& object) {
  if (tracked_.size() >= prune_at_) {
    std::erase_if(tracked_, [](const std::weak_ptr<Object>& w) { return w.expired(); });
    prune_at_ = std::max<size_t>(64, 2 * tracked_.size());
  }
  tracked_.push_back(object);
}

Status Interpreter::CallGuard::Check() const {
  if (in_->call_depth_ > in_->options_.max_call_depth) {
    return ResourceExhausted("RecursionError: more than " +
                             std::to_string(in_->options_.max_call_depth) +
                             " nested macro calls (RenderOptions::max_call_depth)");
  }
  return Status::Ok();
}

Status Interpreter::CheckSize(size_t bytes) const {
  if (bytes > options_.max_output_bytes) {
    return ResourceExhausted("text of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                             std::to_string(options_.max_output_bytes) +
                             " (RenderOptions::max_output_bytes)");
  }
  return Status::Ok();
}

Status Interpreter::CheckItems(size_t items) const {
  if (items > options_.max_items) {
    return ResourceExhausted("a list of " + std::to_string(items) + " items exceeds the limit of " +
                             std::to_string(options_.max_items) + " (RenderOptions::max_items)");
  }
  return Status::Ok();
}

Status Interpreter::Locate(const Status& s, SourcePos pos) {
  if (s.ok() || located_) return s;
  located_ = true;
  return Status(s.code(), LocatedMessage(pos, s.message()));
}

Result<std::string> Interpreter::Run(const StmtList& program, const FramePtr& root) {
  ReprLimit repr_limit(options_.max_output_bytes);
  (void)TakeReprError();
  std::string out;
  DSI_ASSIGN_OR_RETURN(Flow flow, Exec(program, root, out));
  (void)flow;
  return out;
}

Result<std::string> Interpreter::RenderBody(const StmtList& body, const FramePtr& frame) {
  std::string out;
  DSI_ASSIGN_OR_RETURN(Flow flow, Exec(body, frame, out));
  (void)flow;
  return out;
}

Result<Flow> Interpreter::Exec(const StmtList& body, const FramePtr& frame, std::string& out) {
  for (const StmtPtr& s : body) {
    DSI_ASSIGN_OR_RETURN(Flow flow, ExecStmt(*s, frame, out));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Status Interpreter::Append(std::string& out, const Value& v) {
  if (v.is_string()) {
    DSI_RETURN_IF_ERROR(CheckSize(out.size() + v.str().size()));
    out += v.str();
    return Status::Ok();
  }
  const size_t before = out.size();
  Status st = v.AppendStr(out, options_.max_output_bytes);
  if (!st.ok()) out.resize(before);
  return st;
}

Result<Flow> Interpreter::ExecStmt(const Stmt& s, const FramePtr& frame, std::string& out) {
  switch (s.kind) {
    case StmtKind::kData:
      DSI_RETURN_IF_ERROR(Locate(CheckSize(out.size() + s.text.size()), s.pos));
      out += s.text;
      return Flow::kNormal;
    case StmtKind::kPrint: {
      DSI_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, frame));
      DSI_RETURN_IF_ERROR(Locate(Append(out, v), s.expr->pos));
      return Flow::kNormal;
    }
    case StmtKind::kFor: {
      DSI_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr, frame));
      return ExecFor(s, frame, iterable, 1, out);
    }
    case StmtKind::kIf:
      for (const auto& [test, body] : s.branches) {
        DSI_ASSIGN_OR_RETURN(Value v, Eval(*test, frame));
        if (v.Truthy()) return Exec(body, frame, out);
      }
      return Exec(s.else_body, frame, out);
    case StmtKind::kSet: {
      DSI_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, frame));
      DSI_RETURN_IF_ERROR(Locate(Assign(s.target, v, frame), s.target.pos));
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock: {
      auto child = std::make_shared<Frame>(frame);
      std::string buf;
      DSI_ASSIGN_OR_RETURN(Flow flow, Exec(s.body, child, buf));
      (void)flow;
      Value v = Value::String(std::move(buf));
      if (s.expr) {
        DSI_ASSIGN_OR_RETURN(v, EvalFilter(*s.expr, frame, &v));
      }
      DSI_RETURN_IF_ERROR(Locate(Assign(s.target, v, frame), s.target.pos));
      return Flow::kNormal;
    }
    case StmtKind::kMacro: {
      auto macro = std::make_shared<MacroObject>(&s, frame, false);
      Track(macro);
      frame->Set(s.name, Value::Obj(std::move(macro)));
      return Flow::kNormal;
    }
    case StmtKind::kCallBlock: {
      const Expr& call = *s.expr;
      DSI_ASSIGN_OR_RETURN(Value callee, Eval(*call.children[0], frame));
      CallArgs args;
      DSI_RETURN_IF_ERROR(EvalCallArgs(call.call, frame, args));
      auto caller = std::make_shared<MacroObject>(&s, frame, true);
      Track(caller);
      args.keyword.emplace_back("caller", Value::Obj(std::move(caller)));
      Result<Value> r = CallValue(callee, args);
      if (!r.ok()) return Locate(r.status(), call.pos);
      DSI_RETURN_IF_ERROR(Locate(Append(out, *r), call.pos));
      return Flow::kNormal;
    }
    case StmtKind::kFilterBlock: {
      auto child = std::make_shared<Frame>(frame);
      std::string buf;
      DSI_ASSIGN_OR_RETURN(Flow flow, Exec(s.body, child, buf));
      (void)flow;
      const Value input = Value::String(std::move(buf));
      DSI_ASSIGN_OR_RETURN(Value v, EvalFilter(*s.expr, frame, &input));
      DSI_RETURN_IF_ERROR(Locate(Append(out, v), s.pos));
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      std::vector<Value> values;
      for (const auto& e : s.with_values) {
        DSI_ASSIGN_OR_RETURN(Value v, Eval(*e, frame));
        values.push_back(std::move(v));
      }
      auto child = std::make_shared<Frame>(frame);
      for (size_t i = 0; i < values.size(); ++i) {
        DSI_RETURN_IF_ERROR(Locate(Assign(s.with_targets[i], values[i], child), s.pos));
      }
      return Exec(s.body, child, out);
    }
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
    case StmtKind::kScope:
      return Exec(s.body, frame, out);
  }
  return Flow::kNormal;
}

Result<Flow> Interpreter::ExecFor(const Stmt& s, const FramePtr& frame, const Value& iterable,
                                  int depth, std::string& out) {
  Result<ValueList> listed = Iterate(iterable);
  if (!listed.ok()) return Locate(listed.status(), s.expr->pos);
  ValueList items = std::move(listed).value();
  if (s.test) {
    ValueList kept;
    for (Value& item : items) {
      auto probe = std::make_shared<Frame>(frame);
      DSI_RETURN_IF_ERROR(Locate(Assign(s.target, item, probe), s.target.pos));
      DSI_ASSIGN_OR_RETURN(Value keep, Eval(*s.test, probe));
      if (keep.Truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    if (s.else_body.empty()) return Flow::kNormal;
    auto child = std::make_shared<Frame>(frame);
    DSI_ASSIGN_OR_RETURN(Flow flow, Exec(s.else_body, child, out));
    (void)flow;
    return Flow::kNormal;
  }
  auto state = std::make_shared<LoopState>();
  state->items = std::make_shared<const ValueList>(std::move(items));
  state->stmt = &s;
  state->frame = frame;
  state->depth = depth;
  const ValueList& list = *state->items;
  for (size_t i = 0; i < list.size(); ++i) {
    if (++iterations_ > options_.max_loop_iterations) {
      return Locate(ResourceExhausted("for loops ran more than " +
                                      std::to_string(options_.max_loop_iterations) +
                                      " iterations (RenderOptions::max_loop_iterations)"),
                    s.pos);
    }
    auto child = std::make_shared<Frame>(frame);
    DSI_RETURN_IF_ERROR(Locate(Assign(s.target, list[i], child), s.target.pos));
    child->Set("loop", Value::Obj(std::make_shared<LoopObject>(state, i)));
    DSI_ASSIGN_OR_RETURN(Flow flow, Exec(s.body, child, out));
    if (flow == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

Result<std::string> Interpreter::RenderLoop(const Stmt& loop, const FramePtr& frame,
                                            const Value& iterable, int depth) {
  std::string out;
  DSI_ASSIGN_OR_RETURN(Flow flow, ExecFor(loop, frame, iterable, depth, out));
  (void)flow;
  return out;
}

Status Interpreter::Assign(const Target& t, const Value& v, const FramePtr& frame) {
  switch (t.kind) {
    case Target::Kind::kName:
      frame->Set(t.name, v);
      return Status::Ok();
    case Target::Kind::kTuple: {
      DSI_ASSIGN_OR_RETURN(ValueList parts, Iterate(v));
      if (parts.size() < t.items.size()) {
        return InvalidArgument("ValueError: not enough values to unpack (expected " +
                               std::to_string(t.items.size()) + ", got " +
                               std::to_string(parts.size()) + ")");
      }
      if (parts.size() > t.items.size()) {
        return InvalidArgument("ValueError: too many values to unpack (expected " +
                               std::to_string(t.items.size()) + ")");
      }
      for (size_t i = 0; i < parts.size(); ++i) {
        DSI_RETURN_IF_ERROR(Assign(t.items[i], parts[i], frame));
      }
      return Status::Ok();
    }
    case Target::Kind::kNamespaceAttr: {
      const Value* ns = frame->Lookup(t.name);
      if (!ns || !ns->is_object() || !ns->object()->IsNamespace()) {
        return InvalidArgument("cannot assign attribute on non-namespace object");
      }
      ns->object()->SetAttr(t.attr, v);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Result<Value> Interpreter::Eval(const Expr& e, const FramePtr& frame) {
  Result<Value> r = EvalImpl(e, frame);
  if (!r.ok()) return Locate(r.status(), e.pos);
  // A str()/repr() inside this node stopped at a limit (see Value::Str).
  if (Status repr = TakeReprError(); !repr.ok()) return Locate(repr, e.pos);
  return r;
}

Result<Value> Interpreter::EvalImpl(const Expr& e, const FramePtr& frame) {
  switch (e.kind) {
    case ExprKind::kConst:
      return e.value;
    case ExprKind::kName: {
      if (const Value* v = frame->Lookup(e.name)) return *v;
      return Value::Undefined("'" + e.name + "' is undefined");
    }
    case ExprKind::kGetattr: {
      DSI_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], frame));
      return GetAttr(obj, e.name);
    }
    case ExprKind::kGetitem: {
      DSI_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], frame));
      const Expr& key = *e.children[1];
      if (key.kind == ExprKind::kSlice) {
        Value parts[3] = {Value::None(), Value::None(), Value::None()};
        for (int i = 0; i < 3; ++i) {
          if (key.children[i]) {
            DSI_ASSIGN_OR_RETURN(parts[i], Eval(*key.children[i], frame));
          }
        }
        return GetSlice(obj, parts[0], parts[1], parts[2]);
      }
      DSI_ASSIGN_OR_RETURN(Value k, Eval(key, frame));
      return GetItem(obj, k);
    }
    case ExprKind::kSlice:
      return Value::Undefined("slice objects are not supported here");
    case ExprKind::kCall: {
      DSI_ASSIGN_OR_RETURN(Value callee, Eval(*e.children[0], frame));
      CallArgs args;
      DSI_RETURN_IF_ERROR(EvalCallArgs(e.call, frame, args));
      return CallValue(callee, args);
    }
    case ExprKind::kFilter:
      return EvalFilter(e, frame, nullptr);
    case ExprKind::kTest: {
      DSI_ASSIGN_OR_RETURN(Value input, Eval(*e.children[0], frame));
      CallArgs args;
      DSI_RETURN_IF_ERROR(EvalCallArgs(e.call, frame, args));
      DSI_ASSIGN_OR_RETURN(bool b, ApplyTest(e.name, input, args));
      return Value::Bool(b);
    }
    case ExprKind::kCondExpr: {
      DSI_ASSIGN_OR_RETURN(Value test, Eval(*e.children[0], frame));
      if (test.Truthy()) return Eval(*e.children[1], frame);
      if (e.children[2]) return Eval(*e.children[2], frame);
      return Value::Undefined("the inline if-expression on line " + std::to_string(e.pos.line) +
                              " evaluated to false and no else section was defined.");
    }
    case ExprKind::kBinOp: {
      DSI_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], frame));
      DSI_ASSIGN_OR_RETURN(Value b, Eval(*e.children[1], frame));
      return BinaryOp(e.name, a, b, *this);
    }
    case ExprKind::kUnary: {
      DSI_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], frame));
      return UnaryOp(e.name, v);
    }
    case ExprKind::kNot: {
      DSI_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], frame));
      return Value::Bool(!v.Truthy());
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      DSI_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], frame));
      if (a.Truthy() == (e.kind == ExprKind::kOr)) return a;
      return Eval(*e.children[1], frame);
    }
    case ExprKind::kCompare:
      return EvalCompare(e, frame);
    case ExprKind::kConcat: {
      std::string s;
      for (const auto& c : e.children) {
        DSI_ASSIGN_OR_RETURN(Value v, Eval(*c, frame));
        DSI_RETURN_IF_ERROR(Append(s, v));
      }
      return Value::String(std::move(s));
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      ValueList items;
      items.reserve(e.children.size());
      for (const auto& c : e.children) {
        DSI_ASSIGN_OR_RETURN(Value v, Eval(*c, frame));
        items.push_back(std::move(v));
      }
      return e.kind == ExprKind::kList ? Value::List(std::move(items))
                                       : Value::Tuple(std::move(items));
    }
    case ExprKind::kDict: {
      DictData d;
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        DSI_ASSIGN_OR_RETURN(Value k, Eval(*e.children[i], frame));
        DSI_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i + 1], frame));
        if (k.is_list() || k.is_dict()) {
          return InvalidArgument("TypeError: unhashable type: '" + k.TypeName() + "'");
        }
        d.Set(std::move(k), std::move(v));
      }
      return Value::Dict(std::move(d));
    }
  }
  return Value();
}

Result<Value> Interpreter::EvalCompare(const Expr& e, const FramePtr& frame) {
  DSI_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0], frame));
  for (size_t i = 0; i < e.ops.size(); ++i) {
    DSI_ASSIGN_OR_RETURN(Value right, Eval(*e.children[i + 1], frame));
    const std::string& op = e.ops[i];
    bool holds;
    if (op == "eq" || op == "ne") {
      holds = Equal(left, right) == (op == "eq");
    } else if (op == "in" || op == "notin") {
      DSI_ASSIGN_OR_RETURN(bool in, Contains(right, left));
      holds = in == (op == "in");
    } else {
      const char* sym = op == "lt" ? "<" : op == "lteq" ? "<=" : op == "gt" ? ">" : ">=";
      DSI_ASSIGN_OR_RETURN(int c, Compare(left, right, sym));
      holds = op == "lt" ? c < 0 : op == "lteq" ? c <= 0 : op == "gt" ? c > 0 : c >= 0;
    }
    if (!holds) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

Status Interpreter::EvalCallArgs(const CallSpec& spec, const FramePtr& frame, CallArgs& args) {
  for (const auto& a : spec.args) {
    DSI_ASSIGN_OR_RETURN(Value v, Eval(*a, frame));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [k, e] : spec.kwargs) {
    DSI_ASSIGN_OR_RETURN(Value v, Eval(*e, frame));
    args.keyword.emplace_back(k, std::move(v));
  }
  if (spec.dyn_args) {
    DSI_ASSIGN_OR_RETURN(Value v, Eval(*spec.dyn_args, frame));
    Result<ValueList> items = Iterate(v);
    if (!items.ok() || v.is_undefined()) {
      return Locate(
          InvalidArgument("TypeError: argument after * must be an iterable, not " + v.TypeName()),
          spec.dyn_args->pos);
    }
    for (Value& item : *items) args.positional.push_back(std::move(item));
  }
  if (spec.dyn_kwargs) {
    DSI_ASSIGN_OR_RETURN(Value v, Eval(*spec.dyn_kwargs, frame));
    if (!v.is_dict()) {
      return Locate(
          InvalidArgument("TypeError: argument after ** must be a mapping, not " + v.TypeName()),
          spec.dyn_kwargs->pos);
    }
    for (const auto& [k, val] : v.dict().entries) {
      if (!k.is_string()) {
        return Locate(InvalidArgument("TypeError: keywords must be strings"), spec.dyn_kwargs->pos);
      }
      args.keyword.emplace_back(k.str(), val);
    }
  }
  return Status::Ok();
}

Result<Value> Interpreter::EvalFilter(const Expr& e, const FramePtr& frame,
                                      const Value* block_input) {
  // In `{% filter a|b %}` / `{% set x | a | b %}` the block text feeds the innermost filter.
  Value input;
  const Expr* inner = e.children[0].get();
  if (inner && block_input && inner->kind == ExprKind::kFilter) {
    DSI_ASSIGN_OR_RETURN(input, EvalFilter(*inner, frame, block_input));
  } else if (inner) {
    DSI_ASSIGN_OR_RETURN(input, Eval(*inner, frame));
  } else if (block_input) {
    input = *block_input;
  }
  CallArgs args;
  DSI_RETURN_IF_ERROR(EvalCallArgs(e.call, frame, args));
  Result<Value> r = ApplyFilter(e.name, input, args);
  if (!r.ok()) return Locate(r.status(), e.pos);
  return r;
}

Result<Value> Interpreter::CallValue(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) return callee.UndefinedError();
  if (!callee.is_object() || !callee.object()->IsCallable()) {
    return InvalidArgument("TypeError: '" + callee.TypeName() + "' object is not callable");
  }
  CallGuard guard(this);
  DSI_RETURN_IF_ERROR(guard.Check());
  std::shared_ptr<Object> keep = callee.object_ptr();
  return keep->Call(*this, args);
}

Result<Value> Interpreter::ApplyFilter(std::string_view name, const Value& input, CallArgs& args) {
  FilterFn fn = FindFilter(name);
  if (!fn) {
    if (IsKnownJinjaFilter(name)) {
      return Unsupported("filter '" + std::string(name) +
                         "' is not supported by the dsinfer chat-template renderer");
    }
    return InvalidArgument("No filter named '" + std::string(name) + "' found.");
  }
  return fn(*this, input, args);
}

Result<bool> Interpreter::ApplyTest(std::string_view name, const Value& input, CallArgs& args) {
  TestFn fn = FindTest(name);
  if (!fn) return InvalidArgument("No test named '" + std::string(name) + "' found.");
  return fn(*this, input, args);
}

}  // namespace dsi::chat_template
