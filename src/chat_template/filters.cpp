// Jinja's builtin filters with jinja2 3.1 semantics, plus transformers' `tojson`
// (json.dumps with ensure_ascii=False, indent, separators, sort_keys). Filters that return
// generators in Jinja (map, select, reverse, unique, ...) return lists here.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat_template/builtins.h"
#include "chat_template/pystr.h"

namespace dsi::chat_template {
namespace {

Value Str(std::string s) { return Value::String(std::move(s)); }

// Jinja's ignore_case(): strings compare lowercased unless case_sensitive.
Value SortKey(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Str(pystr::Lower(v.str()));
  return v;
}

// Python `sorted(items, key=key, reverse=reverse)`; stable in both directions.
Status StableSort(std::vector<std::pair<Value, Value>>& keyed, bool reverse) {
  Status error;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    Result<int> c = reverse ? Compare(b.first, a.first) : Compare(a.first, b.first);
    if (!c.ok()) {
      if (error.ok()) error = c.status();
      return false;
    }
    return *c < 0;
  });
  return error;
}

Result<Value> Attribute(const Value& item, const std::optional<Value>& attribute,
                        const std::optional<Value>& dflt = std::nullopt) {
  if (!attribute || attribute->is_none()) return item;
  DSI_ASSIGN_OR_RETURN(Value v, GetDottedAttribute(item, *attribute));
  if (dflt && !dflt->is_none() && v.is_undefined()) return *dflt;
  return v;
}

Result<ValueList> Items(const Value& v) { return Iterate(v); }

Result<Value> Abs(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("abs", args, {}, 0));
  if (v.is_float()) return Value::Float(std::fabs(v.as_float()));
  if (v.is_integral()) {
    if (v.as_int() == INT64_MIN) return OutOfRange("integer overflow");
    return Value::Int(std::llabs(v.as_int()));
  }
  return InvalidArgument("TypeError: bad operand type for abs(): '" + v.TypeName() + "'");
}

Result<Value> Attr(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("attr", args, {"name"}, 1));
  const std::string name = a[0]->Str();
  if (v.is_undefined()) return v.UndefinedError();
  if (v.is_object()) return v.object()->GetAttr(name);
  // getattr() only: no fallback to dict keys.
  if (name.rfind("__", 0) == 0 || IsUnsafeMethod(v, name)) {
    return Value::Undefined(
        "access to attribute '" + name + "' of '" + v.TypeName() + "' object is unsafe.", true);
  }
  if (HasMethod(v, name)) return GetAttr(v, name);
  return Value::Undefined("'" + v.TypeRepr() + "' has no attribute '" + name + "'");
}

Result<Value> Batch(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("batch", args, {"linecount", "fill_with"}, 1));
  DSI_ASSIGN_OR_RETURN(int64_t n, ToIndex("batch", *a[0]));
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  // Jinja's loop exactly: a batch is emitted when it already holds `n` items.
  ValueList out, cur;
  for (Value& item : items) {
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value::List(std::move(cur)));
      cur = {};
    }
    cur.push_back(std::move(item));
  }
  if (!cur.empty()) {
    if (a[1] && !a[1]->is_none() && static_cast<int64_t>(cur.size()) < n) {
      DSI_RETURN_IF_ERROR(in.CheckItems(static_cast<size_t>(n)));
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*a[1]);
    }
    out.push_back(Value::List(std::move(cur)));
  }
  return Value::List(std::move(out));
}

Result<Value> Capitalize(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("capitalize", args, {}, 0));
  return Str(pystr::Capitalize(v.Str()));
}

Result<Value> Center(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("center", args, {"width"}, 0));
  int64_t width = 80;
  if (a[0]) {
    DSI_ASSIGN_OR_RETURN(width, ToIndex("center", *a[0]));
  }
  if (width > (int64_t{1} << 26)) return OutOfRange("center width too large");
  return Str(pystr::Center(v.Str(), width, ' '));
}

Result<Value> Length(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("length", args, {}, 0));
  DSI_ASSIGN_OR_RETURN(int64_t n, Len(v));
  return Value::Int(n);
}

Result<Value> Default(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("default", args, {"default_value", "boolean"}, 0));
  const bool boolean = a[1] && a[1]->Truthy();
  if (v.is_undefined() || (boolean && !v.Truthy())) return a[0] ? *a[0] : Str("");
  return v;
}

Result<Value> DictSort(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a,
                       BindArgs("dictsort", args, {"case_sensitive", "by", "reverse"}, 0));
  if (v.is_undefined()) return v.UndefinedError();
  if (!v.is_dict()) {
    return InvalidArgument("AttributeError: '" + v.TypeName() +
                           "' object has no attribute 'items'");
  }
  const bool case_sensitive = a[0] && a[0]->Truthy();
  const std::string by = a[1] ? a[1]->Str() : "key";
  if (by != "key" && by != "value") {
    return InvalidArgument("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
  }
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.dict().entries) {
    keyed.emplace_back(SortKey(by == "key" ? k : val, case_sensitive), Value::Tuple({k, val}));
  }
  DSI_RETURN_IF_ERROR(StableSort(keyed, a[2] && a[2]->Truthy()));
  ValueList out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::List(std::move(out));
}

Result<Value> Escape(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("escape", args, {}, 0));
  std::string out;
  for (char c : v.Str()) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return Str(std::move(out));
}

Result<Value> First(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("first", args, {}, 0));
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> Last(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("last", args, {}, 0));
  if (!v.is_undefined() && !v.is_string() && !v.is_sequence() && !v.is_dict()) {
    return InvalidArgument("TypeError: '" + v.TypeName() + "' object is not reversible");
  }
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

// Python float(str): surrounding whitespace, underscores between digits, inf/nan words.
std::optional<double> ParseFloat(const std::string& text) {
  std::string s = pystr::Strip(text, std::nullopt, true, true);
  std::string lower = pystr::Lower(s);
  const bool neg = !lower.empty() && lower[0] == '-';
  std::string word =
      (!lower.empty() && (lower[0] == '-' || lower[0] == '+')) ? lower.substr(1) : lower;
  if (word == "inf" || word == "infinity") return neg ? -INFINITY : INFINITY;
  if (word == "nan") return NAN;
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (i == 0 || i + 1 >= s.size() || !isdigit(s[i - 1]) || !isdigit(s[i + 1]))
        return std::nullopt;
      continue;
    }
    if (!(isdigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return std::nullopt;
    clean.push_back(c);
  }
  if (clean.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  return d;
}

// Python int(str, base).
std::optional<int64_t> ParseInt(const std::string& text, int64_t base) {
  std::string s = pystr::Strip(text, std::nullopt, true, true);
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (base == 0 || base == 16 || base == 8 || base == 2) {
    if (i + 1 < s.size() && s[i] == '0') {
      const char p = static_cast<char>(s[i + 1] | 0x20);
      const int64_t prefixed = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
      if (prefixed && (base == 0 || base == prefixed)) {
        base = prefixed;
        i += 2;
        if (i < s.size() && s[i] == '_') ++i;
      }
    }
    if (base == 0) base = 10;
  }
  if (base < 2 || base > 36 || i >= s.size()) return std::nullopt;
  __int128 v = 0;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (!prev_digit || i + 1 >= s.size()) return std::nullopt;
      prev_digit = false;
      continue;
    }
    int d = isdigit(c) ? c - '0' : isalpha(c) ? (c | 0x20) - 'a' + 10 : 99;
    if (d >= base) return std::nullopt;
    v = v * base + d;
    if (v > INT64_MAX) return std::nullopt;
    prev_digit = true;
  }
  if (!prev_digit) return std::nullopt;
  return static_cast<int64_t>(neg ? -v : v);
}

Result<Value> Float(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("float", args, {"default"}, 0));
  const Value dflt = a[0] ? *a[0] : Value::Float(0.0);
  if (v.is_undefined()) return v.UndefinedError();
  if (v.is_number()) return Value::Float(v.as_float());
  if (v.is_string()) {
    if (auto d = ParseFloat(v.str())) return Value::Float(*d);
  }
  return dflt;
}

Result<Value> Int(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("int", args, {"default", "base"}, 0));
  const Value dflt = a[0] ? *a[0] : Value::Int(0);
  int64_t base = 10;
  if (a[1]) {
    DSI_ASSIGN_OR_RETURN(base, ToIndex("int", *a[1]));
  }
  if (v.is_undefined()) return v.UndefinedError();
  if (v.is_integral()) return Value::Int(v.as_int());
  if (v.is_float()) {
    const double f = v.as_float();
    if (!std::isfinite(f) || std::fabs(f) >= 9.2e18) return dflt;
    return Value::Int(static_cast<int64_t>(std::trunc(f)));
  }
  if (v.is_string()) {
    if (auto i = ParseInt(v.str(), base)) return Value::Int(*i);
    if (auto d = ParseFloat(v.str())) {  // "42.23"|int gives 42
      if (std::isfinite(*d) && std::fabs(*d) < 9.2e18) {
        return Value::Int(static_cast<int64_t>(std::trunc(*d)));
      }
    }
  }
  return dflt;
}

Result<Value> FormatFilter(Interpreter& in, const Value& v, CallArgs& args) {
  if (!args.positional.empty() && !args.keyword.empty()) {
    return InvalidArgument(
        "FilterArgumentError: can't handle positional and keyword arguments at the same time");
  }
  Value spec;
  if (!args.keyword.empty()) {
    DictData d;
    for (const auto& [k, val] : args.keyword) d.Set(Str(k), val);
    spec = Value::Dict(std::move(d));
  } else {
    spec = Value::Tuple(args.positional);
  }
  DSI_ASSIGN_OR_RETURN(std::string s, PercentFormat(v.Str(), spec));
  DSI_RETURN_IF_ERROR(in.CheckSize(s.size()));
  return Str(std::move(s));
}

Result<Value> Indent(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("indent", args, {"width", "first", "blank"}, 0));
  std::string indention = "    ";
  if (a[0]) {
    if (a[0]->is_string()) {
      indention = a[0]->str();
    } else {
      DSI_ASSIGN_OR_RETURN(int64_t w, ToIndex("indent", *a[0]));
      if (w > 4096) return OutOfRange("indent width too large");
      indention = std::string(static_cast<size_t>(std::max<int64_t>(w, 0)), ' ');
    }
  }
  const bool first = a[1] && a[1]->Truthy();
  const bool blank = a[2] && a[2]->Truthy();
  const std::string s = v.Str() + "\n";  // the splitlines quirk of Jinja's indent
  std::vector<std::string> lines = pystr::SplitLines(s, false);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + indention;
      rv += lines[i];
    }
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      rv += "\n";
      if (!lines[i].empty()) rv += indention;
      rv += lines[i];
      DSI_RETURN_IF_ERROR(in.CheckSize(rv.size()));
    }
  }
  if (first) rv = indention + rv;
  return Str(std::move(rv));
}

Result<Value> ItemsFilter(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("items", args, {}, 0));
  if (v.is_undefined()) return Value::List({});
  if (!v.is_dict()) return InvalidArgument("TypeError: Can only get item pairs from a mapping.");
  ValueList out;
  for (const auto& [k, val] : v.dict().entries) out.push_back(Value::Tuple({k, val}));
  return Value::List(std::move(out));
}

Result<Value> Join(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("join", args, {"d", "attribute"}, 0));
  const std::string sep = a[0] ? a[0]->Str() : "";
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    DSI_ASSIGN_OR_RETURN(Value item, Attribute(items[i], a[1]));
    if (i) out += sep;
    DSI_RETURN_IF_ERROR(item.AppendStr(out, in.options().max_output_bytes));
    DSI_RETURN_IF_ERROR(in.CheckSize(out.size()));
  }
  return Str(std::move(out));
}

Result<Value> ListFilter(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("list", args, {}, 0));
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  return Value::List(std::move(items));
}

Result<Value> Lower(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("lower", args, {}, 0));
  return Str(pystr::Lower(v.Str()));
}

Result<Value> Upper(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("upper", args, {}, 0));
  return Str(pystr::Upper(v.Str()));
}

Result<Value> Map(Interpreter& in, const Value& v, CallArgs& args) {
  ValueList out;
  if (args.positional.empty()) {
    const Value* attribute = args.Keyword("attribute");
    if (!attribute) return InvalidArgument("FilterArgumentError: map requires a filter argument");
    const Value* dflt = args.Keyword("default");
    for (const auto& [k, val] : args.keyword) {
      if (k != "attribute" && k != "default") {
        return InvalidArgument("FilterArgumentError: Unexpected keyword argument '" + k + "'");
      }
    }
    if (!v.Truthy()) return Value::List({});
    DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
    for (const Value& item : items) {
      DSI_ASSIGN_OR_RETURN(
          Value m, Attribute(item, *attribute, dflt ? std::optional<Value>(*dflt) : std::nullopt));
      out.push_back(std::move(m));
    }
    return Value::List(std::move(out));
  }
  if (!args.positional[0].is_string()) {
    return InvalidArgument("TypeError: filter name must be a string");
  }
  const std::string name = args.positional[0].str();
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  if (!v.Truthy()) return Value::List({});
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  for (const Value& item : items) {
    Interpreter::CallGuard guard(&in);
    DSI_RETURN_IF_ERROR(guard.Check());
    CallArgs copy = rest;
    DSI_ASSIGN_OR_RETURN(Value m, in.ApplyFilter(name, item, copy));
    out.push_back(std::move(m));
  }
  return Value::List(std::move(out));
}

Result<Value> MinMax(bool is_max, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a,
                       BindArgs(is_max ? "max" : "min", args, {"case_sensitive", "attribute"}, 0));
  const bool case_sensitive = a[0] && a[0]->Truthy();
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  DSI_ASSIGN_OR_RETURN(Value best_key, Attribute(items[0], a[1]));
  best_key = SortKey(best_key, case_sensitive);
  for (size_t i = 1; i < items.size(); ++i) {
    DSI_ASSIGN_OR_RETURN(Value key, Attribute(items[i], a[1]));
    key = SortKey(key, case_sensitive);
    DSI_ASSIGN_OR_RETURN(int c, Compare(key, best_key, is_max ? ">" : "<"));
    if (is_max ? c > 0 : c < 0) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}

Result<Value> Max(Interpreter&, const Value& v, CallArgs& args) { return MinMax(true, v, args); }
Result<Value> Min(Interpreter&, const Value& v, CallArgs& args) { return MinMax(false, v, args); }

// select / reject / selectattr / rejectattr.
Result<Value> SelectOrReject(Interpreter& in, const Value& v, CallArgs& args, bool select,
                             bool by_attr) {
  size_t off = 0;
  std::optional<Value> attribute;
  if (by_attr) {
    if (args.positional.empty()) {
      return InvalidArgument("TypeError: Missing parameter for attribute name");
    }
    attribute = args.positional[0];
    off = 1;
  }
  std::optional<std::string> test;
  CallArgs test_args;
  if (args.positional.size() > off) {
    if (!args.positional[off].is_string())
      return InvalidArgument("TypeError: test name must be a string");
    test = args.positional[off].str();
    test_args.positional.assign(args.positional.begin() + off + 1, args.positional.end());
    test_args.keyword = args.keyword;
  }
  ValueList out;
  if (!v.Truthy()) return Value::List({});
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  for (const Value& item : items) {
    DSI_ASSIGN_OR_RETURN(Value probe, Attribute(item, attribute));
    bool keep;
    if (test) {
      Interpreter::CallGuard guard(&in);
      DSI_RETURN_IF_ERROR(guard.Check());
      CallArgs copy = test_args;
      DSI_ASSIGN_OR_RETURN(keep, in.ApplyTest(*test, probe, copy));
    } else {
      keep = probe.Truthy();
    }
    if (keep == select) out.push_back(item);
  }
  return Value::List(std::move(out));
}

Result<Value> Select(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, true, false);
}
Result<Value> Reject(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, false, false);
}
Result<Value> SelectAttr(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, true, true);
}
Result<Value> RejectAttr(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, false, true);
}

Result<Value> Replace(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("replace", args, {"old", "new", "count"}, 2));
  const std::string s = v.Str(), old_s = a[0]->Str(), new_s = a[1]->Str();
  int64_t count = -1;
  if (a[2] && !a[2]->is_none()) {
    DSI_ASSIGN_OR_RETURN(count, ToIndex("replace", *a[2]));
  }
  const size_t hits =
      old_s.empty() ? pystr::Length(s) + 1 : static_cast<size_t>(pystr::Count(s, old_s));
  if (new_s.size() > old_s.size()) {
    DSI_RETURN_IF_ERROR(in.CheckSize(s.size() + hits * (new_s.size() - old_s.size())));
  }
  return Str(pystr::Replace(s, old_s, new_s, count));
}

Result<Value> Reverse(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("reverse", args, {}, 0));
  if (v.is_string()) {
    std::u32string cps = pystr::Decode(v.str());
    std::reverse(cps.begin(), cps.end());
    return Str(pystr::Encode(cps));
  }
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  std::reverse(items.begin(), items.end());
  return Value::List(std::move(items));
}

Result<Value> Round(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("round", args, {"precision", "method"}, 0));
  int64_t precision = 0;
  if (a[0]) {
    DSI_ASSIGN_OR_RETURN(precision, ToIndex("round", *a[0]));
  }
  const std::string method = a[1] ? a[1]->Str() : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    return InvalidArgument("FilterArgumentError: method must be common, ceil or floor");
  }
  if (v.is_undefined()) return v.UndefinedError();
  if (!v.is_number()) {
    return InvalidArgument("TypeError: type " + v.TypeName() + " doesn't define __round__ method");
  }
  precision = std::clamp<int64_t>(precision, -308, 308);
  if (method == "common") {
    if (v.is_integral() && precision >= 0) return Value::Int(v.as_int());
    const double x = v.as_float();
    if (!std::isfinite(x)) return Value::Float(x);
    if (precision >= 0) {
      // printf rounds the exact binary value half-to-even, as Python's round() does.
      char buf[512];
      std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::min<int64_t>(precision, 300)),
                    x);
      return Value::Float(std::strtod(buf, nullptr));
    }
    const double scale = std::pow(10.0, static_cast<double>(-precision));
    return Value::Float(std::nearbyint(x / scale) * scale);
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_float() * scale;
  return Value::Float((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Result<Value> Safe(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("safe", args, {}, 0));
  return v.is_string() ? v : Str(v.Str());
}

Result<Value> Sort(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a,
                       BindArgs("sort", args, {"reverse", "case_sensitive", "attribute"}, 0));
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    DSI_ASSIGN_OR_RETURN(Value key, Attribute(item, a[2]));
    keyed.emplace_back(SortKey(key, a[1] && a[1]->Truthy()), std::move(item));
  }
  DSI_RETURN_IF_ERROR(StableSort(keyed, a[0] && a[0]->Truthy()));
  ValueList out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::List(std::move(out));
}

Result<Value> StringFilter(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("string", args, {}, 0));
  return Str(v.Str());
}

Result<Value> Sum(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("sum", args, {"attribute", "start"}, 0));
  Value total = a[1] ? *a[1] : Value::Int(0);
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  for (const Value& item : items) {
    DSI_ASSIGN_OR_RETURN(Value x, Attribute(item, a[0]));
    DSI_ASSIGN_OR_RETURN(total, BinaryOp("+", total, x, in));
  }
  return total;
}

Result<Value> Title(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("title", args, {}, 0));
  // Words start after runs of '-', whitespace, '(', '{', '[' or '<'.
  std::string out;
  bool at_start = true;
  for (char32_t c : pystr::Decode(v.Str())) {
    const bool sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || pystr::IsSpace(c);
    if (sep) {
      pystr::AppendUtf8(out, c);
      at_start = true;
    } else {
      pystr::AppendUtf8(out, at_start ? pystr::ToUpper(c) : pystr::ToLower(c));
      at_start = false;
    }
  }
  return Str(std::move(out));
}

// transformers: json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
Result<Value> ToJson(Interpreter& in, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(
      BoundArgs a,
      BindArgs("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}, 0));
  JsonDumpOptions o;
  o.ensure_ascii = a[0] && a[0]->Truthy();
  if (a[1] && !a[1]->is_none()) {
    if (a[1]->is_string()) {
      o.indent = a[1]->str();
    } else {
      DSI_ASSIGN_OR_RETURN(int64_t n, ToIndex("tojson", *a[1]));
      if (n > 4096) return OutOfRange("tojson indent too large");
      o.indent = std::string(static_cast<size_t>(std::max<int64_t>(n, 0)), ' ');
    }
    o.item_separator = ",";
  }
  if (a[2] && !a[2]->is_none()) {
    DSI_ASSIGN_OR_RETURN(ValueList seps, Iterate(*a[2]));
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string()) {
      return InvalidArgument("ValueError: separators must be a pair of strings");
    }
    o.item_separator = seps[0].str();
    o.key_separator = seps[1].str();
  }
  o.sort_keys = a[3] && a[3]->Truthy();
  o.max_bytes = in.options().max_output_bytes;
  DSI_ASSIGN_OR_RETURN(std::string s, JsonDumps(v, o));
  return Str(std::move(s));
}

Result<Value> Trim(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("trim", args, {"chars"}, 0));
  std::optional<std::string> chars;
  if (a[0] && !a[0]->is_none()) chars = a[0]->Str();
  return Str(pystr::Strip(v.Str(), chars, true, true));
}

Result<Value> Unique(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("unique", args, {"case_sensitive", "attribute"}, 0));
  DSI_ASSIGN_OR_RETURN(ValueList items, Items(v));
  ValueList out, seen;
  for (const Value& item : items) {
    DSI_ASSIGN_OR_RETURN(Value key, Attribute(item, a[1]));
    key = SortKey(key, a[0] && a[0]->Truthy());
    if (key.is_list() || key.is_dict()) {
      return InvalidArgument("TypeError: unhashable type: '" + key.TypeName() + "'");
    }
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return Equal(s, key); })) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::List(std::move(out));
}

Result<Value> WordCount(Interpreter&, const Value& v, CallArgs& args) {
  DSI_ASSIGN_OR_RETURN(BoundArgs a, BindArgs("wordcount", args, {}, 0));
  int64_t words = 0;
  bool in_word = false;
  for (char32_t c : pystr::Decode(v.Str())) {
    const bool w = c == '_' || pystr::IsAlnum(c);
    if (w && !in_word) ++words;
    in_word = w;
  }
  return Value::Int(words);
}

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

constexpr FilterEntry kFilters[] = {
    {"abs", Abs},
    {"attr", Attr},
    {"batch", Batch},
    {"capitalize", Capitalize},
    {"center", Center},
    {"count", Length},
    {"d", Default},
    {"default", Default},
    {"dictsort", DictSort},
    {"e", Escape},
    {"escape", Escape},
    {"first", First},
    {"float", Float},
    {"forceescape", Escape},
    {"format", FormatFilter},
    {"indent", Indent},
    {"int", Int},
    {"items", ItemsFilter},
    {"join", Join},
    {"last", Last},
    {"length", Length},
    {"list", ListFilter},
    {"lower", Lower},
    {"map", Map},
    {"max", Max},
    {"min", Min},
    {"reject", Reject},
    {"rejectattr", RejectAttr},
    {"replace", Replace},
    {"reverse", Reverse},
    {"round", Round},
    {"safe", Safe},
    {"select", Select},
    {"selectattr", SelectAttr},
    {"sort", Sort},
    {"string", StringFilter},
    {"sum", Sum},
    {"title", Title},
    {"tojson", ToJson},
    {"trim", Trim},
    {"unique", Unique},
    {"upper", Upper},
    {"wordcount", WordCount},
};

constexpr std::string_view kUnsupportedJinjaFilters[] = {
    "filesizeformat", "groupby",   "pprint", "random",   "slice",  "striptags",
    "truncate",       "urlencode", "urlize", "wordwrap", "xmlattr"};

}  // namespace

FilterFn FindFilter(std::string_view name) {
  for (const FilterEntry& f : kFilters) {
    if (f.name == name) return f.fn;
  }
  return nullptr;
}

bool IsKnownJinjaFilter(std::string_view name) {
  return std::find(std::begin(kUnsupportedJinjaFilters), std::end(kUnsupportedJinjaFilters),
                   name) != std::end(kUnsupportedJinjaFilters);
}

}  // namespace dsi::chat_template
