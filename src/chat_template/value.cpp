// Value construction, Python str()/repr(), truthiness, equality, ordering and iteration.
#include "chat_template/value.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "chat_template/pystr.h"

namespace dsi::chat_template {

namespace {

thread_local size_t g_repr_limit = SIZE_MAX;
thread_local Status g_repr_error;

// Deferred destruction of containers (see Value::~Value).
struct Trashcan {
  bool active = false;
  std::vector<std::shared_ptr<const void>> pending;
};
thread_local Trashcan g_trash;

Status TooDeep() {
  return InvalidArgument("RecursionError: values nested more than " +
                         std::to_string(kMaxValueDepth) + " levels deep");
}

}  // namespace

Value::~Value() {
  std::shared_ptr<const void> last;
  switch (kind_) {
    case ValueKind::kList:
    case ValueKind::kTuple: {
      auto& p = std::get<std::shared_ptr<const ValueList>>(data_);
      if (p && p.use_count() == 1) last = std::move(p);
      break;
    }
    case ValueKind::kDict: {
      auto& p = std::get<std::shared_ptr<const DictData>>(data_);
      if (p && p.use_count() == 1) last = std::move(p);
      break;
    }
    case ValueKind::kObject: {
      auto& p = std::get<std::shared_ptr<Object>>(data_);
      if (p && p.use_count() == 1) last = std::move(p);
      break;
    }
    default:
      return;
  }
  if (!last) return;
  if (g_trash.active) {  // an outer ~Value is draining: queue instead of recursing
    g_trash.pending.push_back(std::move(last));
    return;
  }
  g_trash.active = true;
  last.reset();
  while (!g_trash.pending.empty()) {
    std::shared_ptr<const void> next = std::move(g_trash.pending.back());
    g_trash.pending.pop_back();
    next.reset();
  }
  g_trash.active = false;
}

const std::string& Value::undefined_hint() const {
  static const std::string kNoHint;
  const std::string* hint = std::get_if<std::string>(&data_);
  return hint ? *hint : kNoHint;
}

ReprLimit::ReprLimit(size_t max_bytes) : saved_(g_repr_limit) { g_repr_limit = max_bytes; }
ReprLimit::~ReprLimit() { g_repr_limit = saved_; }

Status TakeReprError() {
  Status s = g_repr_error;
  g_repr_error = Status::Ok();
  return s;
}

Status ReprFits(const std::string& out, size_t limit) {
  if (out.size() <= limit) return Status::Ok();
  return ResourceExhausted("text of more than " + std::to_string(limit) +
                           " bytes (RenderOptions::max_output_bytes)");
}

Value Value::Undefined(std::string hint, bool unsafe) {
  Value v;
  v.data_ = std::move(hint);
  v.unsafe_ = unsafe;
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = ValueKind::kNone;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = ValueKind::kBool;
  v.data_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = ValueKind::kInt;
  v.data_ = i;
  return v;
}

Value Value::Float(double f) {
  Value v;
  v.kind_ = ValueKind::kFloat;
  v.data_ = f;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = ValueKind::kString;
  v.data_ = std::move(s);
  return v;
}

Value Value::List(ValueList items) {
  Value v;
  v.kind_ = ValueKind::kList;
  v.data_ = std::shared_ptr<const ValueList>(std::make_shared<ValueList>(std::move(items)));
  return v;
}

Value Value::Tuple(ValueList items) {
  Value v = List(std::move(items));
  v.kind_ = ValueKind::kTuple;
  return v;
}

Value Value::Dict(DictData dict) {
  Value v;
  v.kind_ = ValueKind::kDict;
  v.data_ = std::shared_ptr<const DictData>(std::make_shared<DictData>(std::move(dict)));
  return v;
}

Value Value::Obj(std::shared_ptr<Object> object) {
  Value v;
  v.kind_ = ValueKind::kObject;
  v.data_ = std::move(object);
  return v;
}

namespace {

template <typename Json>
Result<Value> FromJsonImpl(const Json& j, int depth) {
  if (depth > kMaxValueDepth) return TooDeep();
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      return Value::Bool(j.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::Int(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = j.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::Int(static_cast<int64_t>(u));
      }
      return Value::Float(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::Float(j.template get<double>());
    case nlohmann::json::value_t::string:
      return Value::String(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& e : j) {
        DSI_ASSIGN_OR_RETURN(Value v, FromJsonImpl(e, depth + 1));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      DictData d;
      d.entries.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        DSI_ASSIGN_OR_RETURN(Value v, FromJsonImpl(it.value(), depth + 1));
        d.entries.emplace_back(Value::String(it.key()), std::move(v));
      }
      return Value::Dict(std::move(d));
    }
    default:
      return Value::None();
  }
}

}  // namespace

Result<Value> Value::FromJson(const nlohmann::ordered_json& j) { return FromJsonImpl(j, 0); }
Result<Value> Value::FromJson(const nlohmann::json& j) { return FromJsonImpl(j, 0); }

bool Value::Truthy() const {
  switch (kind_) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return false;
    case ValueKind::kBool:
      return as_bool();
    case ValueKind::kInt:
      return as_int() != 0;
    case ValueKind::kFloat:
      return as_float() != 0.0;
    case ValueKind::kString:
      return !str().empty();
    case ValueKind::kList:
    case ValueKind::kTuple:
      return !items().empty();
    case ValueKind::kDict:
      return !dict().entries.empty();
    case ValueKind::kObject:
      return true;
  }
  return false;
}

std::string Value::Str() const {
  std::string out;
  Status st = AppendStr(out, g_repr_limit);
  if (!st.ok() && g_repr_error.ok()) g_repr_error = st;
  return out;
}

std::string Value::Repr() const {
  std::string out;
  Status st = AppendRepr(out, g_repr_limit);
  if (!st.ok() && g_repr_error.ok()) g_repr_error = st;
  return out;
}

Status Value::AppendStr(std::string& out, size_t limit) const {
  if (kind_ == ValueKind::kUndefined) return Status::Ok();
  if (kind_ == ValueKind::kString) {
    out += str();
    return ReprFits(out, limit);
  }
  return AppendRepr(out, limit);
}

Status Value::AppendRepr(std::string& out, size_t limit, int depth) const {
  if (depth > kMaxValueDepth) {
    return InvalidArgument(
        "RecursionError: maximum recursion depth exceeded while getting the repr of an object");
  }
  switch (kind_) {
    case ValueKind::kUndefined:
      out += "Undefined";
      break;
    case ValueKind::kNone:
      out += "None";
      break;
    case ValueKind::kBool:
      out += as_bool() ? "True" : "False";
      break;
    case ValueKind::kInt:
      out += std::to_string(as_int());
      break;
    case ValueKind::kFloat:
      out += pystr::FloatRepr(as_float());
      break;
    case ValueKind::kString:
      out += pystr::Repr(str());
      break;
    case ValueKind::kList:
    case ValueKind::kTuple: {
      const ValueList& xs = items();
      out += is_tuple() ? "(" : "[";
      for (size_t i = 0; i < xs.size(); ++i) {
        if (i) out += ", ";
        DSI_RETURN_IF_ERROR(xs[i].AppendRepr(out, limit, depth + 1));
      }
      if (is_tuple() && xs.size() == 1) out += ",";
      out += is_tuple() ? ")" : "]";
      break;
    }
    case ValueKind::kDict: {
      out += "{";
      bool first = true;
      for (const auto& [k, v] : dict().entries) {
        if (!first) out += ", ";
        first = false;
        DSI_RETURN_IF_ERROR(k.AppendRepr(out, limit, depth + 1));
        out += ": ";
        DSI_RETURN_IF_ERROR(v.AppendRepr(out, limit, depth + 1));
      }
      out += "}";
      break;
    }
    case ValueKind::kObject:
      return object()->AppendRepr(out, limit, depth + 1);
  }
  return ReprFits(out, limit);
}

std::string Value::TypeName() const {
  switch (kind_) {
    case ValueKind::kUndefined:
      return "Undefined";
    case ValueKind::kNone:
      return "NoneType";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kString:
      return "str";
    case ValueKind::kList:
      return "list";
    case ValueKind::kTuple:
      return "tuple";
    case ValueKind::kDict:
      return "dict";
    case ValueKind::kObject:
      return object()->TypeName();
  }
  return "";
}

std::string Value::TypeRepr() const {
  if (is_none()) return "None";
  return TypeName() + " object";
}

Status Value::UndefinedError() const {
  const std::string& hint = undefined_hint();
  if (hint.empty()) return InvalidArgument("UndefinedError: value is undefined");
  return InvalidArgument((unsafe_ ? "SecurityError: " : "UndefinedError: ") + hint);
}

const Value* DictData::Find(const Value& key) const {
  for (const auto& [k, v] : entries) {
    if (Equal(k, key)) return &v;
  }
  return nullptr;
}

const Value* DictData::Find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.is_string() && k.str() == key) return &v;
  }
  return nullptr;
}

void DictData::Set(Value key, Value value) {
  for (auto& [k, v] : entries) {
    if (Equal(k, key)) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::Keyword(std::string_view name) const {
  for (const auto& [k, v] : keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string Object::Repr() const { return "<" + TypeName() + " object>"; }

Value Object::GetAttr(std::string_view name) const {
  return Value::Undefined("'" + TypeName() + " object' has no attribute '" + std::string(name) +
                          "'");
}

Result<Value> Object::Call(Interpreter&, CallArgs&) {
  return InvalidArgument("TypeError: '" + TypeName() + "' object is not callable");
}

namespace {

bool EqualAt(const Value& a, const Value& b, int depth) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  if (depth > kMaxValueDepth) return false;  // Python would raise RecursionError
  switch (a.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return true;
    case ValueKind::kString:
      return a.str() == b.str();
    case ValueKind::kList:
    case ValueKind::kTuple: {
      const ValueList& x = a.items();
      const ValueList& y = b.items();
      if (&x == &y) return true;  // the same list object (Python checks identity first)
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!EqualAt(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case ValueKind::kDict: {
      const DictData& x = a.dict();
      const DictData& y = b.dict();
      if (&x == &y) return true;
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [k, v] : x.entries) {
        const Value* other = y.Find(k);
        if (!other || !EqualAt(v, *other, depth + 1)) return false;
      }
      return true;
    }
    case ValueKind::kObject:
      return a.object() == b.object();
    default:
      return false;
  }
}

Result<int> CompareAt(const Value& a, const Value& b, std::string_view op, int depth) {
  if (a.is_undefined()) return a.UndefinedError();
  if (b.is_undefined()) return b.UndefinedError();
  if (depth > kMaxValueDepth) return TooDeep();
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.as_float(), y = b.as_float();
      return x < y ? -1 : (x > y ? 1 : 0);  // NaN compares equal-ish: every op false but ==
    }
    const int64_t x = a.as_int(), y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const ValueList& x = a.items();
    const ValueList& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (EqualAt(x[i], y[i], depth + 1)) continue;
      return CompareAt(x[i], y[i], op, depth + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return InvalidArgument("TypeError: '" + std::string(op) +
                         "' not supported between instances of '" + a.TypeName() + "' and '" +
                         b.TypeName() + "'");
}

}  // namespace

bool Equal(const Value& a, const Value& b) { return EqualAt(a, b, 0); }

Result<int> Compare(const Value& a, const Value& b, std::string_view op) {
  return CompareAt(a, b, op, 0);
}

Result<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case ValueKind::kUndefined:
      return false;
    case ValueKind::kString:
      if (!item.is_string()) {
        return InvalidArgument("TypeError: 'in <string>' requires string as left operand, not " +
                               item.TypeName());
      }
      return container.str().find(item.str()) != std::string::npos;
    case ValueKind::kList:
    case ValueKind::kTuple:
      for (const Value& v : container.items()) {
        if (Equal(v, item)) return true;
      }
      return false;
    case ValueKind::kDict:
      if (item.is_list() || item.is_dict()) {
        return InvalidArgument("TypeError: unhashable type: '" + item.TypeName() + "'");
      }
      return container.dict().Find(item) != nullptr;
    default:
      return InvalidArgument("TypeError: argument of type '" + container.TypeName() +
                             "' is not iterable");
  }
}

Result<ValueList> Iterate(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return ValueList{};
    case ValueKind::kList:
    case ValueKind::kTuple:
      return v.items();
    case ValueKind::kString: {
      ValueList out;
      for (char32_t c : pystr::Decode(v.str())) {
        std::string s;
        pystr::AppendUtf8(s, c);
        out.push_back(Value::String(std::move(s)));
      }
      return out;
    }
    case ValueKind::kDict: {
      ValueList out;
      out.reserve(v.dict().entries.size());
      for (const auto& [k, val] : v.dict().entries) out.push_back(k);
      return out;
    }
    default:
      return InvalidArgument("TypeError: '" + v.TypeName() + "' object is not iterable");
  }
}

Result<int64_t> Len(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return int64_t{0};
    case ValueKind::kString:
      return static_cast<int64_t>(pystr::Length(v.str()));
    case ValueKind::kList:
    case ValueKind::kTuple:
      return static_cast<int64_t>(v.items().size());
    case ValueKind::kDict:
      return static_cast<int64_t>(v.dict().entries.size());
    default:
      return InvalidArgument("TypeError: object of type '" + v.TypeName() + "' has no len()");
  }
}

}  // namespace dsi::chat_template
