// Jinja's builtin tests (`x is defined`, `n is divisibleby 3`, `s is string`, ...).
#include <algorithm>
#include <iterator>

#include "chat_template/builtins.h"
#include "chat_template/pystr.h"

namespace dsi::chat_template {
namespace {

Status NoArgs(std::string_view name, const CallArgs& args) {
  return BindArgs(name, args, {}, 0).status();
}

Result<Value> OneArg(std::string_view name, const CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs(name, args, {"other"}, 1));
  return *a[0];
}

// Python `value % 2` style remainder for the odd/even/divisibleby tests.
Result<Value> Modulo(Interpreter& in, const Value& v, const Value& n) {
  return BinaryOp("%", v, n, in);
}

#define DSI_SIMPLE_TEST(fn, name, expr)                           \
  Result<bool> fn(Interpreter&, const Value& v, CallArgs& args) { \
    DSI_RETURN_IF_ERROR(NoArgs(name, args));                      \
    return (expr);                                                \
  }

DSI_SIMPLE_TEST(Defined, "defined", !v.is_undefined())
DSI_SIMPLE_TEST(Undefined, "undefined", v.is_undefined())
DSI_SIMPLE_TEST(None, "none", v.is_none())
DSI_SIMPLE_TEST(Boolean, "boolean", v.is_bool())
DSI_SIMPLE_TEST(False, "false", v.is_bool() && !v.as_bool())
DSI_SIMPLE_TEST(True, "true", v.is_bool() && v.as_bool())
DSI_SIMPLE_TEST(Integer, "integer", v.is_int())
DSI_SIMPLE_TEST(Float, "float", v.is_float())
DSI_SIMPLE_TEST(Number, "number", v.is_number())
DSI_SIMPLE_TEST(String, "string", v.is_string())
DSI_SIMPLE_TEST(Mapping, "mapping", v.is_dict())
DSI_SIMPLE_TEST(Iterable, "iterable",
                v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict())
DSI_SIMPLE_TEST(Sequence, "sequence",
                v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict())
DSI_SIMPLE_TEST(Callable, "callable", v.is_object() && v.object()->IsCallable())
DSI_SIMPLE_TEST(Escaped, "escaped", false)
DSI_SIMPLE_TEST(Lower, "lower", pystr::StrIsLower(v.Str()))
DSI_SIMPLE_TEST(Upper, "upper", pystr::StrIsUpper(v.Str()))

#undef DSI_SIMPLE_TEST

Result<bool> Odd(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_RETURN_IF_ERROR(NoArgs("odd", args));
  DSI_ASSIGN_OR_RETURN(Value r, Modulo(in, v, Value::Int(2)));
  return Equal(r, Value::Int(1));
}

Result<bool> Even(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_RETURN_IF_ERROR(NoArgs("even", args));
  DSI_ASSIGN_OR_RETURN(Value r, Modulo(in, v, Value::Int(2)));
  return Equal(r, Value::Int(0));
}

Result<bool> DivisibleBy(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("divisibleby", args, {"num"}, 1));
  DSI_ASSIGN_OR_RETURN(Value r, Modulo(in, v, *a[0]));
  return Equal(r, Value::Int(0));
}

Result<bool> Eq(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(Value o, OneArg("eq", args));
  return Equal(v, o);
}

Result<bool> Ne(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(Value o, OneArg("ne", args));
  return !Equal(v, o);
}

template <int kOp>  // 0 <, 1 <=, 2 >, 3 >=
Result<bool> Order(Interpreter&, const Value& v, CallArgs& args) {
  static constexpr const char* kSym[] = {"<", "<=", ">", ">="};
  DSI_ASSIGN_OR_RETURN(Value o, OneArg(kSym[kOp], args));
  DSI_ASSIGN_OR_RETURN(int c, Compare(v, o, kSym[kOp]));
  return kOp == 0 ? c < 0 : kOp == 1 ? c <= 0 : kOp == 2 ? c > 0 : c >= 0;
}

Result<bool> In(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("in", args, {"seq"}, 1));
  return Contains(*a[0], v);
}

Result<bool> SameAs(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(Value o, OneArg("sameas", args));
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case ValueKind::kNone:
    case ValueKind::kUndefined:
      return v.is_none();
    case ValueKind::kBool:
      return v.as_bool() == o.as_bool();
    case ValueKind::kInt:  // CPython caches small ints
      return v.as_int() == o.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    case ValueKind::kObject:
      return v.object() == o.object();
    case ValueKind::kList:
    case ValueKind::kTuple:
      return &v.items() == &o.items();
    case ValueKind::kDict:
      return &v.dict() == &o.dict();
    default:
      return false;
  }
}

Result<bool> IsFilter(Interpreter&, const Value& v, CallArgs& args) {
  DSI_RETURN_IF_ERROR(NoArgs("filter", args));
  return v.is_string() && FindFilter(v.str()) != nullptr;
}

Result<bool> IsTest(Interpreter&, const Value& v, CallArgs& args) {
  DSI_RETURN_IF_ERROR(NoArgs("test", args));
  return v.is_string() && FindTest(v.str()) != nullptr;
}

struct TestEntry {
  std::string_view name;
  TestFn fn;
};

constexpr TestEntry kTests[] = {
    {"defined", Defined},
    {"undefined", Undefined},
    {"none", None},
    {"boolean", Boolean},
    {"false", False},
    {"true", True},
    {"integer", Integer},
    {"float", Float},
    {"number", Number},
    {"string", String},
    {"mapping", Mapping},
    {"iterable", Iterable},
    {"sequence", Sequence},
    {"callable", Callable},
    {"escaped", Escaped},
    {"lower", Lower},
    {"upper", Upper},
    {"odd", Odd},
    {"even", Even},
    {"divisibleby", DivisibleBy},
    {"eq", Eq},
    {"equalto", Eq},
    {"==", Eq},
    {"ne", Ne},
    {"!=", Ne},
    {"lt", Order<0>},
    {"lessthan", Order<0>},
    {"<", Order<0>},
    {"le", Order<1>},
    {"<=", Order<1>},
    {"gt", Order<2>},
    {"greaterthan", Order<2>},
    {">", Order<2>},
    {"ge", Order<3>},
    {">=", Order<3>},
    {"in", In},
    {"sameas", SameAs},
    {"filter", IsFilter},
    {"test", IsTest},
};

}  // namespace

TestFn FindTest(std::string_view name) {
  for (const TestEntry& t : kTests) {
    if (t.name == name) return t.fn;
  }
  return nullptr;
}

}  // namespace dsi::chat_template
