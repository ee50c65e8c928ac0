// Runtime objects (namespace, macro / caller, loop, bound method) and the global functions
// a template sees: Jinja's range/dict/namespace/joiner plus transformers' raise_exception
// and strftime_now.
#include <algorithm>
#include <cstdint>
#include <ctime>

#include "chat_template/builtins.h"

namespace dsi::chat_template {
namespace {

constexpr int64_t kMaxRange = 100000;  // jinja2.sandbox.MAX_RANGE

// dict(*args, **kwargs) as Python builds it (also the contents of namespace(...)).
Result<DictData> BuildDict(std::string_view fn, const CallArgs& args) {
  DictData d;
  if (args.positional.size() > 1) {
    return InvalidArgument("TypeError: " + std::string(fn) + " expected at most 1 argument, got " +
                           std::to_string(args.positional.size()));
  }
  if (args.positional.size() == 1) {
    const Value& src = args.positional[0];
    if (src.is_dict()) {
      d = src.dict();
    } else {
      DSI_ASSIGN_OR_RETURN(ValueList pairs, Iterate(src));
      for (size_t i = 0; i < pairs.size(); ++i) {
        DSI_ASSIGN_OR_RETURN(ValueList kv, Iterate(pairs[i]));
        if (kv.size() != 2) {
          return InvalidArgument("ValueError: dictionary update sequence element #" +
                                 std::to_string(i) + " has length " + std::to_string(kv.size()) +
                                 "; 2 is required");
        }
        d.Set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : args.keyword) d.Set(Value::String(k), v);
  return d;
}

Result<Value> Range(Interpreter&, CallArgs& args) {
  if (!args.keyword.empty())
    return InvalidArgument("TypeError: range() takes no keyword arguments");
  const size_t n = args.positional.size();
  if (n < 1 || n > 3) {
    return InvalidArgument("TypeError: range expected 1 to 3 arguments, got " + std::to_string(n));
  }
  int64_t v[3] = {0, 0, 1};
  for (size_t i = 0; i < n; ++i) {
    DSI_ASSIGN_OR_RETURN(v[i], ToIndex("range", args.positional[i]));
  }
  int64_t start = 0, stop = v[0], step = 1;
  if (n >= 2) start = v[0], stop = v[1];
  if (n == 3) step = v[2];
  if (step == 0) return InvalidArgument("ValueError: range() arg 3 must not be zero");
  // Length computed without overflow: ranges are at most kMaxRange long anyway.
  const __int128 span =
      step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  const __int128 mag = step > 0 ? step : -static_cast<__int128>(step);
  const __int128 len = span <= 0 ? 0 : (span + mag - 1) / mag;
  if (len > kMaxRange) {
    return OutOfRange(
        "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  ValueList out;
  out.reserve(static_cast<size_t>(len));
  for (int64_t i = 0; i < static_cast<int64_t>(len); ++i)
    out.push_back(Value::Int(start + i * step));
  return Value::List(std::move(out));
}

Result<Value> StrftimeNow(Interpreter& interp, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("strftime_now", args, {"format"}, 1));
  if (!a[0]->is_string()) {
    return InvalidArgument("TypeError: strftime() argument 1 must be str, not " + a[0]->TypeName());
  }
  std::tm tm{};
  if (interp.options().fixed_time) {
    tm = *interp.options().fixed_time;
  } else {
    const std::time_t now = std::time(nullptr);
    localtime_r(&now, &tm);
  }
  const std::string& fmt = a[0]->str();
  if (fmt.empty()) return Value::String("");
  std::string buf(256 + fmt.size() * 16, '\0');
  const size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
  buf.resize(n);
  return Value::String(std::move(buf));
}

}  // namespace

// ---- Namespace ----

std::string NamespaceObject::Repr() const {
  std::string out;
  (void)AppendRepr(out, SIZE_MAX, 0);
  return out;
}

Status NamespaceObject::AppendRepr(std::string& out, size_t limit, int depth) const {
  // A namespace can hold itself; Python's dict repr prints the inner one as {...}.
  static thread_local std::vector<const NamespaceObject*> printing;
  if (std::find(printing.begin(), printing.end(), this) != printing.end()) {
    out += "<Namespace {...}>";
    return ReprFits(out, limit);
  }
  printing.push_back(this);
  out += "<Namespace ";
  Status st = Value::Dict(attrs).AppendRepr(out, limit, depth);
  printing.pop_back();
  DSI_RETURN_IF_ERROR(st);
  out += ">";
  return ReprFits(out, limit);
}

Value NamespaceObject::GetAttr(std::string_view name) const {
  if (const Value* v = attrs.Find(name)) return *v;
  return Object::GetAttr(name);
}

void NamespaceObject::SetAttr(std::string_view name, Value value) {
  attrs.Set(Value::String(std::string(name)), std::move(value));
}

// ---- Macro ----

std::string MacroObject::Repr() const {
  return "<Macro '" + (is_caller_ ? std::string("caller") : def_->name) + "'>";
}

Value MacroObject::GetAttr(std::string_view name) const {
  if (name == "name") return Value::String(is_caller_ ? "caller" : def_->name);
  return Object::GetAttr(name);
}

Result<Value> MacroObject::Call(Interpreter& interp, CallArgs& args) {
  const std::string name = is_caller_ ? "caller" : def_->name;
  const std::vector<std::string>& params = def_->params;
  const size_t n = params.size();
  auto frame = std::make_shared<Frame>(frame_);
  std::vector<std::optional<Value>> bound(n);
  const size_t npos = std::min(args.positional.size(), n);
  for (size_t i = 0; i < npos; ++i) bound[i] = args.positional[i];
  auto kwargs = args.keyword;
  auto pop_kwarg = [&](std::string_view key) -> std::optional<Value> {
    for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
      if (it->first == key) {
        Value v = std::move(it->second);
        kwargs.erase(it);
        return v;
      }
    }
    return std::nullopt;
  };
  bool found_caller = false;
  if (npos != n) {
    for (size_t i = npos; i < n; ++i) {
      bound[i] = pop_kwarg(params[i]);
      if (params[i] == "caller") found_caller = true;
    }
  }
  if (def_->uses_caller && !found_caller) {
    std::optional<Value> caller = pop_kwarg("caller");
    frame->Set("caller", caller ? *caller : Value::Undefined("No caller defined"));
  }
  if (def_->uses_kwargs) {
    DictData d;
    for (auto& [k, v] : kwargs) d.Set(Value::String(k), v);
    frame->Set("kwargs", Value::Dict(std::move(d)));
  } else if (!kwargs.empty()) {
    if (kwargs.front().first == "caller") {
      return InvalidArgument("TypeError: macro '" + name +
                             "' was invoked with two values for the special caller argument. "
                             "This is most likely a bug.");
    }
    return InvalidArgument("TypeError: macro '" + name + "' takes no keyword argument '" +
                           kwargs.front().first + "'");
  }
  if (def_->uses_varargs) {
    ValueList extra;
    for (size_t i = n; i < args.positional.size(); ++i) extra.push_back(args.positional[i]);
    frame->Set("varargs", Value::Tuple(std::move(extra)));
  } else if (args.positional.size() > n) {
    return InvalidArgument("TypeError: macro '" + name + "' takes not more than " +
                           std::to_string(n) + " argument(s)");
  }
  const size_t first_default = n - def_->defaults.size();
  for (size_t i = 0; i < n; ++i) {
    if (bound[i]) {
      frame->Set(params[i], *bound[i]);
    } else if (i >= first_default) {
      DSI_ASSIGN_OR_RETURN(Value d, interp.EvalIn(*def_->defaults[i - first_default], frame));
      frame->Set(params[i], std::move(d));
    } else {
      frame->Set(params[i], Value::Undefined("parameter '" + params[i] + "' was not provided"));
    }
  }
  DSI_ASSIGN_OR_RETURN(std::string out, interp.RenderBody(def_->body, frame));
  return Value::String(std::move(out));
}

// ---- Loop ----

std::string LoopObject::Repr() const {
  return "<LoopContext " + std::to_string(index_ + 1) + "/" +
         std::to_string(state_->items->size()) + ">";
}

Value LoopObject::GetAttr(std::string_view name) const {
  const auto i = static_cast<int64_t>(index_);
  const auto n = static_cast<int64_t>(state_->items->size());
  if (name == "index") return Value::Int(i + 1);
  if (name == "index0") return Value::Int(i);
  if (name == "revindex") return Value::Int(n - i);
  if (name == "revindex0") return Value::Int(n - i - 1);
  if (name == "first") return Value::Bool(i == 0);
  if (name == "last") return Value::Bool(i == n - 1);
  if (name == "length") return Value::Int(n);
  if (name == "depth") return Value::Int(state_->depth);
  if (name == "depth0") return Value::Int(state_->depth - 1);
  if (name == "previtem") {
    return i > 0 ? (*state_->items)[index_ - 1] : Value::Undefined("there is no previous item");
  }
  if (name == "nextitem") {
    return i + 1 < n ? (*state_->items)[index_ + 1] : Value::Undefined("there is no next item");
  }
  if (name == "cycle") {
    const size_t index = index_;
    return Value::Obj(std::make_shared<BuiltinFunctionObject>(
        "cycle", [index](Interpreter&, CallArgs& args) -> Result<Value> {
          if (args.positional.empty())
            return InvalidArgument("TypeError: no items for cycling given");
          return args.positional[index % args.positional.size()];
        }));
  }
  if (name == "changed") {
    auto last = state_->last_changed;
    return Value::Obj(std::make_shared<BuiltinFunctionObject>(
        "changed", [last](Interpreter&, CallArgs& args) -> Result<Value> {
          const ValueList& now = args.positional;
          const bool same = last->has_value() && (*last)->size() == now.size() &&
                            std::equal(now.begin(), now.end(), (*last)->begin(), Equal);
          if (same) return Value::Bool(false);
          *last = now;
          return Value::Bool(true);
        }));
  }
  return Object::GetAttr(name);
}

Result<Value> LoopObject::Call(Interpreter& interp, CallArgs& args) {
  if (!state_->stmt->recursive) {
    return InvalidArgument(
        "TypeError: The loop must have the 'recursive' marker to be called recursively.");
  }
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("loop", args, {"iterable"}, 1));
  DSI_ASSIGN_OR_RETURN(std::string out,
                       interp.RenderLoop(*state_->stmt, state_->frame, *a[0], state_->depth + 1));
  return Value::String(std::move(out));
}

// ---- bound methods ----

std::string BoundMethodObject::Repr() const {
  return "<built-in method " + name_ + " of " + receiver_.TypeName() + " object>";
}

Result<Value> BoundMethodObject::Call(Interpreter& interp, CallArgs& args) {
  return CallMethod(interp, receiver_, name_, args);
}

// ---- globals ----

void InstallGlobals(Frame& globals) {
  auto fn = [&globals](const char* name, BuiltinFunctionObject::Fn f) {
    globals.Set(name, Value::Obj(std::make_shared<BuiltinFunctionObject>(name, std::move(f))));
  };
  fn("range", Range);
  fn("dict", [](Interpreter&, CallArgs& args) -> Result<Value> {
    DSI_ASSIGN_OR_RETURN(DictData d, BuildDict("dict", args));
    return Value::Dict(std::move(d));
  });
  fn("namespace", [](Interpreter& interp, CallArgs& args) -> Result<Value> {
    auto ns = std::make_shared<NamespaceObject>();
    DSI_ASSIGN_OR_RETURN(ns->attrs, BuildDict("Namespace", args));
    interp.Track(ns);
    return Value::Obj(std::move(ns));
  });
  fn("joiner", [](Interpreter&, CallArgs& args) -> Result<Value> {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("joiner", args, {"sep"}, 0));
    const std::string sep = a[0] ? a[0]->Str() : ", ";
    auto used = std::make_shared<bool>(false);
    return Value::Obj(std::make_shared<BuiltinFunctionObject>(
        "joiner", [sep, used](Interpreter&, CallArgs&) -> Result<Value> {
          if (!*used) {
            *used = true;
            return Value::String("");
          }
          return Value::String(sep);
        }));
  });
  fn("raise_exception", [](Interpreter&, CallArgs& args) -> Result<Value> {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("raise_exception", args, {"message"}, 1));
    return InvalidArgument("raise_exception: " + a[0]->Str());
  });
  fn("strftime_now", StrftimeNow);
}

}  // namespace dsi::chat_template
