// Python methods templates call on values: str (split, strip, startswith, replace, format,
// ...), list/tuple (count, index), dict (get, items, keys, values). Mutating list/dict
// methods are refused, as jinja2's ImmutableSandboxedEnvironment refuses them.
#include <algorithm>
#include <iterator>

#include "chat_template/builtins.h"
#include "chat_template/pystr.h"

namespace dsi::chat_template {
namespace {

constexpr std::string_view kStrMethods[] = {
    "upper",        "lower",        "title",        "capitalize", "swapcase",  "casefold",
    "strip",        "lstrip",       "rstrip",       "split",      "rsplit",    "splitlines",
    "startswith",   "endswith",     "replace",      "find",       "rfind",     "index",
    "rindex",       "count",        "join",         "format",     "isalpha",   "isdigit",
    "isalnum",      "isspace",      "islower",      "isupper",    "isnumeric", "isdecimal",
    "center",       "ljust",        "rjust",        "zfill",      "partition", "rpartition",
    "removeprefix", "removesuffix", "isidentifier", "istitle"};
constexpr std::string_view kListMethods[] = {"count", "index", "copy"};
constexpr std::string_view kDictMethods[] = {"get", "items", "keys", "values", "copy"};
constexpr std::string_view kUnsafeList[] = {"append", "clear",  "extend",  "insert",
                                            "pop",    "remove", "reverse", "sort"};
constexpr std::string_view kUnsafeDict[] = {"clear", "pop", "popitem", "setdefault", "update"};

template <size_t N>
bool In(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

Status NotStr(std::string_view what, const Value& v) {
  return InvalidArgument("TypeError: " + std::string(what) + " must be str, not " + v.TypeName());
}

Result<std::optional<std::string>> OptStr(std::string_view what, const std::optional<Value>& v) {
  if (!v || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) {
    return InvalidArgument("TypeError: " + std::string(what) + " must be str or None, not " +
                           v->TypeName());
  }
  return std::optional<std::string>(v->str());
}

Result<std::string> ReqStr(std::string_view what, const std::optional<Value>& v) {
  if (!v->is_string()) return NotStr(what, *v);
  return v->str();
}

Result<int64_t> OptInt(std::string_view fn, const std::optional<Value>& v, int64_t dflt) {
  if (!v) return dflt;
  return ToIndex(fn, *v);
}

// s[start:end] for the optional start/end arguments of find/startswith; returns the code
// point offset of the slice start.
Result<std::pair<std::string, int64_t>> SubRange(const std::string& s,
                                                 const std::optional<Value>& start,
                                                 const std::optional<Value>& end) {
  if ((!start || start->is_none()) && (!end || end->is_none()))
    return std::make_pair(s, int64_t{0});
  const Value st = start ? *start : Value::None();
  const Value en = end ? *end : Value::None();
  DSI_ASSIGN_OR_RETURN(Value sliced, GetSlice(Value::String(s), st, en, Value::None()));
  if (!sliced.is_string()) {
    return InvalidArgument("TypeError: slice indices must be integers or None");
  }
  int64_t offset = 0;
  if (st.is_integral()) {
    const int64_t n = static_cast<int64_t>(pystr::Length(s));
    offset = st.as_int() < 0 ? std::max<int64_t>(0, st.as_int() + n) : std::min(st.as_int(), n);
  }
  return std::make_pair(sliced.str(), offset);
}

Result<Value> PrefixTest(const std::string& name, const std::string& s, const BoundArgs& a) {
  DSI_ASSIGN_OR_RETURN(auto range, SubRange(s, a[1], a[2]));
  const std::string& sub = range.first;
  auto test = [&](const std::string& p) {
    if (p.size() > sub.size()) return false;
    return name == "startswith" ? sub.compare(0, p.size(), p) == 0
                                : sub.compare(sub.size() - p.size(), p.size(), p) == 0;
  };
  const Value& prefix = *a[0];
  if (prefix.is_string()) return Value::Bool(test(prefix.str()));
  if (prefix.is_tuple()) {
    for (const Value& p : prefix.items()) {
      if (!p.is_string()) {
        return InvalidArgument("TypeError: tuple for " + name + " must only contain str, not " +
                               p.TypeName());
      }
      if (test(p.str())) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  return InvalidArgument("TypeError: " + name + " first arg must be str or a tuple of str, not " +
                         prefix.TypeName());
}

Result<Value> Pad(const std::string& name, const std::string& s, const BoundArgs& a) {
  DSI_ASSIGN_OR_RETURN(int64_t width, ToIndex(name, *a[0]));
  char32_t fill = ' ';
  if (a.size() > 1 && a[1]) {
    if (!a[1]->is_string() || pystr::Length(a[1]->str()) != 1) {
      return InvalidArgument("TypeError: The fill character must be exactly one character long");
    }
    fill = pystr::Decode(a[1]->str())[0];
  }
  if (width > (int64_t{1} << 26)) return OutOfRange("padding width too large");
  if (name == "center") return Value::String(pystr::Center(s, width, fill));
  const int64_t len = static_cast<int64_t>(pystr::Length(s));
  std::string pad;
  for (int64_t i = len; i < width; ++i) pystr::AppendUtf8(pad, fill);
  return Value::String(name == "ljust" ? s + pad : pad + s);
}

Result<Value> StrMethod(Interpreter& interp, const std::string& s, const std::string& name,
                        CallArgs& args) {
  auto bind = [&](const std::vector<std::string_view>& names, size_t required) {
    return BindArgs(name, args, names, required);
  };
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" ||
      name == "swapcase" || name == "casefold") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({}, 0));
    if (name == "upper") return Value::String(pystr::Upper(s));
    if (name == "lower" || name == "casefold") return Value::String(pystr::Lower(s));
    if (name == "title") return Value::String(pystr::Title(s));
    if (name == "capitalize") return Value::String(pystr::Capitalize(s));
    return Value::String(pystr::SwapCase(s));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"chars"}, 0));
    DSI_ASSIGN_OR_RETURN(auto chars, OptStr(name + " arg", a[0]));
    return Value::String(pystr::Strip(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"sep", "maxsplit"}, 0));
    DSI_ASSIGN_OR_RETURN(auto sep, OptStr("sep", a[0]));
    if (sep && sep->empty()) return InvalidArgument("ValueError: empty separator");
    DSI_ASSIGN_OR_RETURN(int64_t maxsplit, OptInt(name, a[1], -1));
    ValueList out;
    for (std::string& part : pystr::Split(s, sep, maxsplit, name == "rsplit")) {
      out.push_back(Value::String(std::move(part)));
    }
    DSI_RETURN_IF_ERROR(interp.CheckItems(out.size()));
    return Value::List(std::move(out));
  }
  if (name == "splitlines") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"keepends"}, 0));
    ValueList out;
    for (std::string& line : pystr::SplitLines(s, a[0] && a[0]->Truthy())) {
      out.push_back(Value::String(std::move(line)));
    }
    return Value::List(std::move(out));
  }
  if (name == "startswith" || name == "endswith") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"prefix", "start", "end"}, 1));
    return PrefixTest(name, s, a);
  }
  if (name == "replace") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"old", "new", "count"}, 2));
    DSI_ASSIGN_OR_RETURN(std::string old_s, ReqStr("replace() argument 1", a[0]));
    DSI_ASSIGN_OR_RETURN(std::string new_s, ReqStr("replace() argument 2", a[1]));
    DSI_ASSIGN_OR_RETURN(int64_t count, OptInt("replace", a[2], -1));
    const size_t hits =
        old_s.empty() ? pystr::Length(s) + 1 : static_cast<size_t>(pystr::Count(s, old_s));
    if (new_s.size() > old_s.size()) {
      DSI_RETURN_IF_ERROR(interp.CheckSize(s.size() + hits * (new_s.size() - old_s.size())));
    }
    return Value::String(pystr::Replace(s, old_s, new_s, count));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"sub", "start", "end"}, 1));
    DSI_ASSIGN_OR_RETURN(std::string sub, ReqStr(name + "() argument 1", a[0]));
    DSI_ASSIGN_OR_RETURN(auto range, SubRange(s, a[1], a[2]));
    if (name == "count") return Value::Int(pystr::Count(range.first, sub));
    const int64_t at = pystr::Find(range.first, sub, name[0] == 'r');
    if (at < 0) {
      if (name == "index" || name == "rindex") {
        return InvalidArgument("ValueError: substring not found");
      }
      return Value::Int(-1);
    }
    return Value::Int(at + range.second);
  }
  if (name == "join") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"iterable"}, 1));
    DSI_ASSIGN_OR_RETURN(ValueList items, Iterate(*a[0]));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return InvalidArgument("TypeError: sequence item " + std::to_string(i) +
                               ": expected str instance, " + items[i].TypeName() + " found");
      }
      if (i) out += s;
      out += items[i].str();
      DSI_RETURN_IF_ERROR(interp.CheckSize(out.size()));
    }
    return Value::String(std::move(out));
  }
  if (name == "format") {
    DSI_ASSIGN_OR_RETURN(std::string out, StrFormat(s, args));
    DSI_RETURN_IF_ERROR(interp.CheckSize(out.size()));
    return Value::String(std::move(out));
  }
  if (name.rfind("is", 0) == 0) {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({}, 0));
    if (name == "islower") return Value::Bool(pystr::StrIsLower(s));
    if (name == "isupper") return Value::Bool(pystr::StrIsUpper(s));
    const std::u32string cps = pystr::Decode(s);
    if (cps.empty()) return Value::Bool(false);
    auto all = [&](auto pred) { return std::all_of(cps.begin(), cps.end(), pred); };
    if (name == "isalpha") return Value::Bool(all(pystr::IsAlpha));
    if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
      return Value::Bool(all(pystr::IsDigit));
    }
    if (name == "isalnum") return Value::Bool(all(pystr::IsAlnum));
    if (name == "isspace") return Value::Bool(all(pystr::IsSpace));
    if (name == "isidentifier") {
      return Value::Bool(!pystr::IsDigit(cps[0]) &&
                         all([](char32_t c) { return c == '_' || pystr::IsAlnum(c); }));
    }
    if (name == "istitle") {
      bool cased = false, prev_cased = false;
      for (char32_t c : cps) {
        if (pystr::IsUpper(c) || pystr::IsLower(c)) {
          if (pystr::IsUpper(c) == prev_cased) return Value::Bool(false);
          prev_cased = cased = true;
        } else {
          prev_cased = false;
        }
      }
      return Value::Bool(cased);
    }
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"width", "fillchar"}, 1));
    return Pad(name, s, a);
  }
  if (name == "zfill") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"width"}, 1));
    DSI_ASSIGN_OR_RETURN(int64_t width, ToIndex(name, *a[0]));
    const int64_t len = static_cast<int64_t>(pystr::Length(s));
    if (width <= len) return Value::String(s);
    if (width > (int64_t{1} << 26)) return OutOfRange("padding width too large");
    const bool sign = !s.empty() && (s[0] == '+' || s[0] == '-');
    const std::string zeros(static_cast<size_t>(width - len), '0');
    return Value::String(sign ? s.substr(0, 1) + zeros + s.substr(1) : zeros + s);
  }
  if (name == "partition" || name == "rpartition") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"sep"}, 1));
    DSI_ASSIGN_OR_RETURN(std::string sep, ReqStr(name + "() argument", a[0]));
    if (sep.empty()) return InvalidArgument("ValueError: empty separator");
    const size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (at == std::string::npos) {
      return name == "partition"
                 ? Value::Tuple({Value::String(s), Value::String(""), Value::String("")})
                 : Value::Tuple({Value::String(""), Value::String(""), Value::String(s)});
    }
    return Value::Tuple({Value::String(s.substr(0, at)), Value::String(sep),
                         Value::String(s.substr(at + sep.size()))});
  }
  if (name == "removeprefix" || name == "removesuffix") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, bind({"affix"}, 1));
    DSI_ASSIGN_OR_RETURN(std::string affix, ReqStr(name + "() argument", a[0]));
    if (name == "removeprefix" && s.compare(0, affix.size(), affix) == 0) {
      return Value::String(s.substr(affix.size()));
    }
    if (name == "removesuffix" && !affix.empty() && s.size() >= affix.size() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      return Value::String(s.substr(0, s.size() - affix.size()));
    }
    return Value::String(s);
  }
  return Unsupported("str." + name + "() is not supported by the dsinfer chat-template renderer");
}

Result<Value> SequenceMethod(const Value& seq, const std::string& name, CallArgs& args) {
  if (name == "copy") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs(name, args, {}, 0));
    return seq;
  }
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs(name, args, {"value"}, 1));
  const ValueList& items = seq.items();
  if (name == "count") {
    return Value::Int(
        std::count_if(items.begin(), items.end(), [&](const Value& v) { return Equal(v, *a[0]); }));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (Equal(items[i], *a[0])) return Value::Int(static_cast<int64_t>(i));
  }
  if (seq.is_tuple()) return InvalidArgument("ValueError: tuple.index(x): x not in tuple");
  return InvalidArgument("ValueError: " + a[0]->Repr() + " is not in list");
}

Result<Value> DictMethod(const Value& d, const std::string& name, CallArgs& args) {
  if (name == "get") {
    DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs(name, args, {"key", "default"}, 1));
    if (a[0]->is_list() || a[0]->is_dict()) {
      return InvalidArgument("TypeError: unhashable type: '" + a[0]->TypeName() + "'");
    }
    if (const Value* v = d.dict().Find(*a[0])) return *v;
    return a[1] ? *a[1] : Value::None();
  }
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs(name, args, {}, 0));
  if (name == "copy") return d;
  ValueList out;
  for (const auto& [k, v] : d.dict().entries) {
    if (name == "keys") {
      out.push_back(k);
    } else if (name == "values") {
      out.push_back(v);
    } else {
      out.push_back(Value::Tuple({k, v}));
    }
  }
  return Value::List(std::move(out));
}

}  // namespace

bool HasMethod(const Value& receiver, std::string_view name) {
  switch (receiver.kind()) {
    case ValueKind::kString:
      return In(kStrMethods, name);
    case ValueKind::kList:
      return In(kListMethods, name);
    case ValueKind::kTuple:
      return name == "count" || name == "index";
    case ValueKind::kDict:
      return In(kDictMethods, name);
    default:
      return false;
  }
}

bool IsUnsafeMethod(const Value& receiver, std::string_view name) {
  if (receiver.is_list()) return In(kUnsafeList, name);
  if (receiver.is_dict()) return In(kUnsafeDict, name);
  return false;
}

Result<Value> CallMethod(Interpreter& interp, const Value& receiver, std::string_view name,
                         CallArgs& args) {
  const std::string n(name);
  if (receiver.is_string()) return StrMethod(interp, receiver.str(), n, args);
  if (receiver.is_sequence()) return SequenceMethod(receiver, n, args);
  if (receiver.is_dict()) return DictMethod(receiver, n, args);
  return InvalidArgument("'" + receiver.TypeName() + "' object has no method '" + n + "'");
}

}  // namespace dsi::chat_template
