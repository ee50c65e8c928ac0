// Attribute / item / slice access as the jinja2 sandbox performs it, and Python's
// arithmetic operators over template values. Integers are 64-bit: an overflow is an error
// where Python would switch to a big integer.
#include <climits>
#include <cmath>

#include "chat_template/builtins.h"
#include "chat_template/pystr.h"

namespace dsi::chat_template {
namespace {

Value NoAttribute(const Value& obj, std::string_view name) {
  return Value::Undefined("'" + obj.TypeRepr() + "' has no attribute '" + std::string(name) + "'");
}

Value NoElement(const Value& obj, const Value& key) {
  return Value::Undefined(obj.TypeRepr() + " has no element " + key.Repr());
}

Value Unsafe(const Value& obj, std::string_view name) {
  return Value::Undefined("access to attribute '" + std::string(name) + "' of '" + obj.TypeName() +
                              "' object is unsafe.",
                          /*unsafe=*/true);
}

Status Unsupported2(std::string_view op, const Value& a, const Value& b) {
  return InvalidArgument("TypeError: unsupported operand type(s) for " + std::string(op) + ": '" +
                         a.TypeName() + "' and '" + b.TypeName() + "'");
}

Status Overflow() {
  return OutOfRange("integer overflow (template integers are 64-bit in dsinfer)");
}

// Python float divmod (CPython float_divmod).
void FloatDivMod(double x, double y, double* floordiv, double* mod) {
  double m = std::fmod(x, y);
  double div = (x - m) / y;
  if (m != 0) {
    if ((y < 0) != (m < 0)) {
      m += y;
      div -= 1.0;
    }
  } else {
    m = std::copysign(0.0, y);
  }
  double fd;
  if (div != 0) {
    fd = std::floor(div);
    if (div - fd > 0.5) fd += 1.0;
  } else {
    fd = std::copysign(0.0, x / y);
  }
  *floordiv = fd;
  *mod = m;
}

Result<Value> Repeat(const Value& seq, int64_t n, const Interpreter& interp) {
  if (n < 0) n = 0;
  if (seq.is_string() ? seq.str().empty() : seq.items().empty()) n = 0;  // '' * 10**18
  if (seq.is_string()) {
    const size_t len = seq.str().size();
    if (len && static_cast<uint64_t>(n) > interp.options().max_output_bytes / len + 1) {
      return interp.CheckSize(interp.options().max_output_bytes + 1)
          .WithContext("string repetition");
    }
    DSI_RETURN_IF_ERROR(interp.CheckSize(len * static_cast<size_t>(n)));
    std::string out;
    out.reserve(len * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value::String(std::move(out));
  }
  const ValueList& items = seq.items();
  if (!items.empty() && static_cast<uint64_t>(n) > interp.options().max_items / items.size() + 1) {
    return interp.CheckItems(interp.options().max_items + 1);
  }
  DSI_RETURN_IF_ERROR(interp.CheckItems(items.size() * static_cast<size_t>(n)));
  ValueList out;
  out.reserve(items.size() * static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

int64_t ClampIndex(int64_t v) {
  constexpr int64_t kBound = int64_t{1} << 62;
  return v < -kBound ? -kBound : (v > kBound ? kBound : v);
}

}  // namespace

Result<BoundArgs> BindArgs(std::string_view fn, const CallArgs& args,
                           const std::vector<std::string_view>& names, size_t required) {
  BoundArgs bound(names.size());
  if (args.positional.size() > names.size()) {
    return InvalidArgument("TypeError: " + std::string(fn) + "() takes at most " +
                           std::to_string(names.size()) + " arguments (" +
                           std::to_string(args.positional.size()) + " given)");
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [k, v] : args.keyword) {
    size_t i = 0;
    while (i < names.size() && names[i] != k) ++i;
    if (i == names.size()) {
      return InvalidArgument("TypeError: " + std::string(fn) +
                             "() got an unexpected keyword argument '" + k + "'");
    }
    if (bound[i]) {
      return InvalidArgument("TypeError: " + std::string(fn) +
                             "() got multiple values for argument '" + k + "'");
    }
    bound[i] = v;
  }
  for (size_t i = 0; i < required; ++i) {
    if (!bound[i]) {
      return InvalidArgument("TypeError: " + std::string(fn) + "() missing required argument '" +
                             std::string(names[i]) + "'");
    }
  }
  return bound;
}

Result<int64_t> ToIndex(std::string_view fn, const Value& v) {
  if (v.is_integral()) return v.as_int();
  if (v.is_undefined()) return v.UndefinedError();
  return InvalidArgument("TypeError: " + std::string(fn) + ": '" + v.TypeName() +
                         "' object cannot be interpreted as an integer");
}

Result<Value> GetAttr(const Value& obj, std::string_view name) {
  if (obj.is_undefined()) return obj.UndefinedError();
  if (name.size() >= 2 && name.substr(0, 2) == "__") return Unsafe(obj, name);
  if (obj.is_object()) return obj.object()->GetAttr(name);
  if (IsUnsafeMethod(obj, name)) return Unsafe(obj, name);
  if (HasMethod(obj, name)) {
    return Value::Obj(std::make_shared<BoundMethodObject>(obj, std::string(name)));
  }
  if (obj.is_dict()) {
    if (const Value* v = obj.dict().Find(name)) return *v;
  }
  if (obj.is_number()) {  // the numeric attributes of Python int / float
    if (name == "real") return obj.is_float() ? obj : Value::Int(obj.as_int());
    if (name == "imag") return obj.is_float() ? Value::Float(0.0) : Value::Int(0);
    if (obj.is_integral() && name == "numerator") return Value::Int(obj.as_int());
    if (obj.is_integral() && name == "denominator") return Value::Int(1);
  }
  return NoAttribute(obj, name);
}

Result<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return obj.UndefinedError();
  switch (obj.kind()) {
    case ValueKind::kDict:
      if (!key.is_list() && !key.is_dict()) {
        if (const Value* v = obj.dict().Find(key)) return *v;
      }
      break;
    case ValueKind::kList:
    case ValueKind::kTuple:
    case ValueKind::kString:
      if (key.is_integral()) {
        const int64_t n = obj.is_string() ? static_cast<int64_t>(pystr::Length(obj.str()))
                                          : static_cast<int64_t>(obj.items().size());
        int64_t i = key.as_int();
        if (i < 0) i += n;
        if (i < 0 || i >= n) return NoElement(obj, key);
        if (!obj.is_string()) return obj.items()[static_cast<size_t>(i)];
        std::u32string cps = pystr::Decode(obj.str());
        std::string out;
        pystr::AppendUtf8(out, cps[static_cast<size_t>(i)]);
        return Value::String(std::move(out));
      }
      break;
    default:
      break;
  }
  if (key.is_string()) {
    // The sandbox falls back to the attribute of that name.
    if (obj.is_object()) return obj.object()->GetAttr(key.str());
    if (key.str().size() >= 2 && key.str().substr(0, 2) == "__") return Unsafe(obj, key.str());
    if (IsUnsafeMethod(obj, key.str())) return Unsafe(obj, key.str());
    if (HasMethod(obj, key.str())) {
      return Value::Obj(std::make_shared<BoundMethodObject>(obj, key.str()));
    }
    return NoAttribute(obj, key.str());
  }
  return NoElement(obj, key);
}

Result<Value> GetSlice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_undefined()) return obj.UndefinedError();
  for (const Value* v : {&start, &stop, &step}) {
    if (v->is_undefined()) return v->UndefinedError();
  }
  const bool sliceable = obj.is_string() || obj.is_sequence();
  auto valid = [](const Value& v) { return v.is_none() || v.is_integral(); };
  if (!sliceable || !valid(start) || !valid(stop) || !valid(step)) {
    return Value::Undefined(obj.TypeRepr() + " has no element slice(" + start.Repr() + ", " +
                            stop.Repr() + ", " + step.Repr() + ")");
  }
  const int64_t st = step.is_none() ? 1 : ClampIndex(step.as_int());
  if (st == 0) return InvalidArgument("ValueError: slice step cannot be zero");
  std::u32string cps;
  int64_t n;
  if (obj.is_string()) {
    cps = pystr::Decode(obj.str());
    n = static_cast<int64_t>(cps.size());
  } else {
    n = static_cast<int64_t>(obj.items().size());
  }
  const int64_t lower = st > 0 ? 0 : -1;
  const int64_t upper = st > 0 ? n : n - 1;
  auto adjust = [&](const Value& v, int64_t dflt) {
    if (v.is_none()) return dflt;
    int64_t i = ClampIndex(v.as_int());
    if (i < 0) {
      i += n;
      if (i < lower) i = lower;
    } else if (i > upper) {
      i = upper;
    }
    return i;
  };
  const int64_t a = adjust(start, st > 0 ? lower : upper);
  const int64_t b = adjust(stop, st > 0 ? upper : lower);
  std::u32string out_cps;
  ValueList out;
  for (int64_t i = a; st > 0 ? i < b : i > b; i += st) {
    if (obj.is_string()) {
      out_cps.push_back(cps[static_cast<size_t>(i)]);
    } else {
      out.push_back(obj.items()[static_cast<size_t>(i)]);
    }
  }
  if (obj.is_string()) return Value::String(pystr::Encode(out_cps));
  return obj.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

Result<Value> BinaryOp(std::string_view op, const Value& a, const Value& b,
                       const Interpreter& interp) {
  if (a.is_undefined()) return a.UndefinedError();
  if (b.is_undefined()) return b.UndefinedError();
  const bool nums = a.is_number() && b.is_number();
  const bool ints = a.is_integral() && b.is_integral();
  if (op == "+") {
    if (ints) {
      int64_t r;
      if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) return Overflow();
      return Value::Int(r);
    }
    if (nums) return Value::Float(a.as_float() + b.as_float());
    if (a.is_string() && b.is_string()) {
      DSI_RETURN_IF_ERROR(interp.CheckSize(a.str().size() + b.str().size()));
      return Value::String(a.str() + b.str());
    }
    if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
      DSI_RETURN_IF_ERROR(interp.CheckItems(a.items().size() + b.items().size()));
      ValueList out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return a.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
    }
    if (a.is_string() || a.is_list() || a.is_tuple()) {
      return InvalidArgument("TypeError: can only concatenate " + a.TypeName() + " (not \"" +
                             b.TypeName() + "\") to " + a.TypeName());
    }
    return Unsupported2(op, a, b);
  }
  if (op == "-") {
    if (ints) {
      int64_t r;
      if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) return Overflow();
      return Value::Int(r);
    }
    if (nums) return Value::Float(a.as_float() - b.as_float());
    return Unsupported2(op, a, b);
  }
  if (op == "*") {
    if (ints) {
      int64_t r;
      if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) return Overflow();
      return Value::Int(r);
    }
    if (nums) return Value::Float(a.as_float() * b.as_float());
    const bool a_seq = a.is_string() || a.is_sequence();
    const bool b_seq = b.is_string() || b.is_sequence();
    if (a_seq && b.is_integral()) return Repeat(a, b.as_int(), interp);
    if (b_seq && a.is_integral()) return Repeat(b, a.as_int(), interp);
    if (a_seq || b_seq) {
      return InvalidArgument("TypeError: can't multiply sequence by non-int of type '" +
                             (a_seq ? b : a).TypeName() + "'");
    }
    return Unsupported2(op, a, b);
  }
  if (op == "/") {
    if (!nums) return Unsupported2(op, a, b);
    if (b.as_float() == 0) return InvalidArgument("ZeroDivisionError: division by zero");
    return Value::Float(a.as_float() / b.as_float());
  }
  if (op == "//" || op == "%") {
    if (op == "%" && a.is_string()) {
      DSI_ASSIGN_OR_RETURN(std::string s, PercentFormat(a.str(), b));
      DSI_RETURN_IF_ERROR(interp.CheckSize(s.size()));
      return Value::String(std::move(s));
    }
    if (!nums) return Unsupported2(op, a, b);
    if (ints) {
      const int64_t x = a.as_int(), y = b.as_int();
      if (y == 0) {
        return InvalidArgument(op == "//" ? "ZeroDivisionError: integer division or modulo by zero"
                                          : "ZeroDivisionError: integer modulo by zero");
      }
      if (x == INT64_MIN && y == -1) {
        if (op == "%") return Value::Int(0);
        return Overflow();
      }
      int64_t q = x / y, r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) {
        r += y;
        q -= 1;
      }
      return Value::Int(op == "//" ? q : r);
    }
    if (b.as_float() == 0) {
      return InvalidArgument(op == "//" ? "ZeroDivisionError: float floor division by zero"
                                        : "ZeroDivisionError: float modulo");
    }
    double fd, m;
    FloatDivMod(a.as_float(), b.as_float(), &fd, &m);
    return Value::Float(op == "//" ? fd : m);
  }
  if (op == "**") {
    if (!nums) return Unsupported2("** or pow()", a, b);
    if (ints && b.as_int() >= 0) {
      int64_t base = a.as_int(), e = b.as_int(), r = 1;
      while (e > 0) {
        if (e & 1) {
          if (__builtin_mul_overflow(r, base, &r)) return Overflow();
        }
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow();
      }
      return Value::Int(r);
    }
    const double x = a.as_float(), y = b.as_float();
    if (x == 0 && y < 0) {
      return InvalidArgument("ZeroDivisionError: 0.0 cannot be raised to a negative power");
    }
    if (x < 0 && y != std::floor(y)) {
      return Unsupported("a negative number to a fractional power is complex; not supported");
    }
    const double r = std::pow(x, y);
    if (std::isinf(r) && !std::isinf(x)) {
      return OutOfRange("OverflowError: (34, 'Numerical result out of range')");
    }
    return Value::Float(r);
  }
  return InvalidArgument("unknown operator '" + std::string(op) + "'");
}

Result<Value> UnaryOp(std::string_view op, const Value& v) {
  if (v.is_undefined()) return v.UndefinedError();
  if (v.is_float()) return Value::Float(op == "-" ? -v.as_float() : v.as_float());
  if (v.is_integral()) {
    if (op == "+") return Value::Int(v.as_int());
    if (v.as_int() == INT64_MIN) return Overflow();
    return Value::Int(-v.as_int());
  }
  return InvalidArgument("TypeError: bad operand type for unary " + std::string(op) + ": '" +
                         v.TypeName() + "'");
}

Result<Value> GetDottedAttribute(const Value& obj, const Value& attribute) {
  if (!attribute.is_string()) return GetItem(obj, attribute);
  Value cur = obj;
  for (const std::string& part : pystr::Split(attribute.str(), std::string("."), -1, false)) {
    bool digits = !part.empty();
    for (char c : part) digits = digits && c >= '0' && c <= '9';
    Value key = Value::String(part);
    if (digits && part.size() < 18) key = Value::Int(std::stoll(part));
    DSI_ASSIGN_OR_RETURN(cur, GetItem(cur, key));
  }
  return cur;
}

}  // namespace dsi::chat_template
