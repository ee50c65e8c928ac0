// The dynamic value a Jinja template computes with: Python's None/bool/int/float/str/list/
// tuple/dict plus Jinja's Undefined and callable objects (macros, namespaces, loops, builtins).
// Lists and dicts are immutable once built (transformers renders in an immutable sandbox),
// so values share them freely; only Namespace objects mutate.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"

namespace dsi::chat_template {

class Value;
class Object;
class Interpreter;
struct DictData;

using ValueList = std::vector<Value>;

Status ReprFits(const std::string& out, size_t limit);  // the size check shared by reprs

enum class ValueKind {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kTuple,
  kDict,
  kObject
};

// Nesting deeper than this fails (Python's RecursionError) in repr, comparison and JSON
// conversion, so that no value can exhaust the C++ stack.
constexpr int kMaxValueDepth = 900;

class Value {
 public:
  Value() = default;  // Undefined with no hint
  // Containers are released through a work list, not recursively: a list nested a million
  // levels deep (built in a loop through a namespace) is freed without deep recursion.
  ~Value();
  Value(const Value&) = default;
  Value(Value&&) noexcept = default;
  Value& operator=(const Value&) = default;
  Value& operator=(Value&&) noexcept = default;
  static Value Undefined(std::string hint, bool unsafe = false);
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value List(ValueList items);
  static Value Tuple(ValueList items);
  static Value Dict(DictData dict);
  static Value Obj(std::shared_ptr<Object> object);
  // nlohmann JSON -> Value (object key order kept for ordered_json). Fails past
  // kMaxValueDepth levels of nesting.
  static Result<Value> FromJson(const nlohmann::ordered_json& j);
  static Result<Value> FromJson(const nlohmann::json& j);

  ValueKind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == ValueKind::kUndefined; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }
  bool is_int() const { return kind_ == ValueKind::kInt; }
  bool is_float() const { return kind_ == ValueKind::kFloat; }
  // Python numbers: bool, int and float (bool is an int subclass).
  bool is_number() const { return is_bool() || is_int() || is_float(); }
  bool is_integral() const { return is_bool() || is_int(); }
  bool is_string() const { return kind_ == ValueKind::kString; }
  bool is_list() const { return kind_ == ValueKind::kList; }
  bool is_tuple() const { return kind_ == ValueKind::kTuple; }
  bool is_sequence() const { return is_list() || is_tuple(); }
  bool is_dict() const { return kind_ == ValueKind::kDict; }
  bool is_object() const { return kind_ == ValueKind::kObject; }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return is_bool() ? int64_t{as_bool()} : std::get<int64_t>(data_); }
  double as_float() const {
    return is_float() ? std::get<double>(data_) : static_cast<double>(as_int());
  }
  const std::string& str() const { return std::get<std::string>(data_); }
  const ValueList& items() const { return *std::get<std::shared_ptr<const ValueList>>(data_); }
  const DictData& dict() const { return *std::get<std::shared_ptr<const DictData>>(data_); }
  Object* object() const { return std::get<std::shared_ptr<Object>>(data_).get(); }
  const std::shared_ptr<Object>& object_ptr() const {
    return std::get<std::shared_ptr<Object>>(data_);
  }
  // For Undefined: the message an operation on it raises ("'x' is undefined").
  const std::string& undefined_hint() const;
  bool undefined_unsafe() const { return unsafe_; }

  bool Truthy() const;
  // Python str() / repr(). They stop at the ReprLimit in force on this thread (a list that
  // holds one big list a thousand times must not print gigabytes) and past kMaxValueDepth;
  // the reason is kept for TakeReprError().
  std::string Str() const;  // Undefined prints as ""
  std::string Repr() const;
  // Append str() / repr() to `out`, failing (with `out` partly written) past `limit` bytes
  // or kMaxValueDepth levels.
  Status AppendStr(std::string& out, size_t limit) const;
  Status AppendRepr(std::string& out, size_t limit, int depth = 0) const;
  // Python type name as Jinja's object_type_repr prints it: "dict object", "None".
  std::string TypeRepr() const;
  std::string TypeName() const;  // "dict", "str", "NoneType", "Undefined"
  // The status an operation on an Undefined raises.
  Status UndefinedError() const;

 private:
  ValueKind kind_ = ValueKind::kUndefined;
  bool unsafe_ = false;  // Undefined produced by the sandbox (raises SecurityError)
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<const ValueList>,
               std::shared_ptr<const DictData>, std::shared_ptr<Object>>
      data_;
};

// Insertion-ordered mapping, as Python dicts are.
struct DictData {
  std::vector<std::pair<Value, Value>> entries;
  const Value* Find(const Value& key) const;
  const Value* Find(std::string_view key) const;
  void Set(Value key, Value value);  // replaces an equal key in place, else appends
};

// Positional and keyword arguments of one call.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;
  const Value* Keyword(std::string_view name) const;
};

// Builtins and runtime objects: attribute access, calls, printing.
class Object {
 public:
  virtual ~Object() = default;
  // Python class name ("Namespace", "LoopContext", "Macro", "builtin_function_or_method").
  virtual std::string TypeName() const = 0;
  virtual std::string Repr() const;
  // Repr bounded like Value::AppendRepr.
  virtual Status AppendRepr(std::string& out, size_t limit, int depth) const {
    out += Repr();
    return ReprFits(out, limit);
  }
  // Attribute access (`obj.name`); the default returns Undefined with Jinja's hint.
  virtual Value GetAttr(std::string_view name) const;
  virtual bool IsCallable() const { return false; }
  virtual Result<Value> Call(Interpreter& interp, CallArgs& args);
  // Only Namespace accepts `{% set ns.x = ... %}`.
  virtual bool IsNamespace() const { return false; }
  virtual void SetAttr(std::string_view name, Value value) {}
  // Called when the render ends: drops references that may form cycles (a macro and the
  // scope that holds it, a namespace that holds itself) so that everything is freed.
  virtual void DropReferences() {}
};

// While alive, Value::Str()/Repr() on this thread stop at `max_bytes` (the interpreter sets
// it to RenderOptions::max_output_bytes).
class ReprLimit {
 public:
  explicit ReprLimit(size_t max_bytes);
  ~ReprLimit();
  ReprLimit(const ReprLimit&) = delete;
  ReprLimit& operator=(const ReprLimit&) = delete;

 private:
  size_t saved_;
};
// Why the last Str()/Repr() on this thread stopped early (and forgets it); Ok if it did not.
Status TakeReprError();

// Python comparisons and arithmetic; errors carry Python's TypeError text.
bool Equal(const Value& a, const Value& b);
// <0, 0, >0; `op` names the operator in the TypeError ("'<' not supported ...").
Result<int> Compare(const Value& a, const Value& b, std::string_view op = "<");
Result<bool> Contains(const Value& container, const Value& item);  // `item in container`
// Python iteration: list/tuple items, str code points, dict keys, Undefined -> empty.
Result<ValueList> Iterate(const Value& v);
// len(); Undefined has length 0.
Result<int64_t> Len(const Value& v);

// JSON serialisation with Python json.dumps semantics (as transformers' tojson filter).
struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // nullopt: single line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  size_t max_bytes = SIZE_MAX;  // fails instead of building a larger string
};
Result<std::string> JsonDumps(const Value& v, const JsonDumpOptions& options);

}  // namespace dsi::chat_template
