// Python string formatting for templates: printf-style `"%s" % x` (and the `format`
// filter) and `str.format` with the format-spec mini-language for str, int and float.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chat_template/builtins.h"
#include "chat_template/pystr.h"

namespace dsi::chat_template {
namespace {

std::string PadTo(const std::string& s, int64_t width, bool left_align, char32_t fill = ' ') {
  const int64_t len = static_cast<int64_t>(pystr::Length(s));
  if (width <= len) return s;
  std::string pad;
  for (int64_t i = len; i < width && i < (int64_t{1} << 26); ++i) pystr::AppendUtf8(pad, fill);
  return left_align ? s + pad : pad + s;
}

std::string IntDigits(int64_t v, int base, bool upper) {
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[u % base]);
    u /= base;
  } while (u);
  return out;
}

std::string AsciiRepr(const Value& v) {
  std::string out;
  for (char32_t c : pystr::Decode(v.Repr())) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[16];
      std::snprintf(buf, sizeof(buf),
                    c < 0x100     ? "\\x%02x"
                    : c < 0x10000 ? "\\u%04x"
                                  : "\\U%08x",
                    static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}

// One %-conversion of printf-style formatting.
struct PercentSpec {
  bool left = false, plus = false, space = false, alt = false, zero = false;
  int64_t width = -1, precision = -1;
  char conv = 0;
};

Result<std::string> FormatPercentOne(const PercentSpec& sp, const Value& v) {
  const char c = sp.conv;
  if (c == 's' || c == 'r' || c == 'a') {
    std::string s = c == 's' ? v.Str() : c == 'r' ? v.Repr() : AsciiRepr(v);
    if (sp.precision >= 0) {
      std::u32string cps = pystr::Decode(s);
      if (static_cast<int64_t>(cps.size()) > sp.precision) cps.resize(sp.precision);
      s = pystr::Encode(cps);
    }
    return PadTo(s, sp.width, sp.left);
  }
  if (c == 'c') {
    std::string s;
    if (v.is_integral() && v.as_int() >= 0 && v.as_int() <= 0x10FFFF) {
      pystr::AppendUtf8(s, static_cast<char32_t>(v.as_int()));
    } else if (v.is_string() && pystr::Length(v.str()) == 1) {
      s = v.str();
    } else {
      return InvalidArgument("TypeError: %c requires int or char");
    }
    return PadTo(s, sp.width, sp.left);
  }
  if (c == 'd' || c == 'i' || c == 'u' || c == 'o' || c == 'x' || c == 'X') {
    int64_t n;
    if (v.is_integral()) {
      n = v.as_int();
    } else if (v.is_float() && (c == 'd' || c == 'i' || c == 'u')) {
      if (!std::isfinite(v.as_float()))
        return InvalidArgument("OverflowError: cannot convert float");
      n = static_cast<int64_t>(std::trunc(v.as_float()));
    } else {
      return InvalidArgument(std::string("TypeError: %") + c + " format: " +
                             (c == 'o' || c == 'x' || c == 'X' ? "an integer" : "a real number") +
                             " is required, not " + v.TypeName());
    }
    const int base = (c == 'o') ? 8 : (c == 'x' || c == 'X') ? 16 : 10;
    std::string digits = IntDigits(n, base, c == 'X');
    if (sp.precision > static_cast<int64_t>(digits.size())) {
      digits.insert(0, static_cast<size_t>(sp.precision) - digits.size(), '0');
    }
    std::string prefix = n < 0 ? "-" : sp.plus ? "+" : sp.space ? " " : "";
    if (sp.alt && base != 10) prefix += c == 'o' ? "0o" : c == 'x' ? "0x" : "0X";
    const int64_t body = static_cast<int64_t>(prefix.size() + digits.size());
    if (sp.zero && !sp.left && sp.width > body) {
      digits.insert(0, static_cast<size_t>(sp.width - body), '0');
    }
    return PadTo(prefix + digits, sp.width, sp.left);
  }
  if (c == 'e' || c == 'E' || c == 'f' || c == 'F' || c == 'g' || c == 'G') {
    if (!v.is_number()) {
      return InvalidArgument("TypeError: must be real number, not " + v.TypeName());
    }
    std::string f = "%";
    if (sp.left) f += '-';
    if (sp.plus) f += '+';
    if (sp.space) f += ' ';
    if (sp.alt) f += '#';
    if (sp.zero) f += '0';
    if (sp.width >= 0) f += std::to_string(std::min<int64_t>(sp.width, 1 << 20));
    f += "." + std::to_string(sp.precision >= 0 ? std::min<int64_t>(sp.precision, 400) : 6);
    f += c;
    const int n = std::snprintf(nullptr, 0, f.c_str(), v.as_float());
    std::string out(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(out.data(), out.size(), f.c_str(), v.as_float());
    out.resize(static_cast<size_t>(n));
    return out;
  }
  return InvalidArgument(std::string("ValueError: unsupported format character '") + c + "'");
}

}  // namespace

Result<std::string> PercentFormat(std::string_view fmt, const Value& args) {
  ValueList positional;
  const DictData* mapping = nullptr;
  if (args.is_tuple()) {
    positional = args.items();
  } else {
    positional.push_back(args);
    if (args.is_dict()) mapping = &args.dict();
  }
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    if (++i >= fmt.size()) return InvalidArgument("ValueError: incomplete format");
    std::optional<Value> keyed;
    if (fmt[i] == '(') {
      if (!mapping) return InvalidArgument("TypeError: format requires a mapping");
      int depth = 1;
      const size_t start = ++i;
      while (i < fmt.size() && depth) {
        if (fmt[i] == '(') ++depth;
        if (fmt[i] == ')') --depth;
        ++i;
      }
      if (depth) return InvalidArgument("ValueError: incomplete format key");
      const std::string key(fmt.substr(start, i - 1 - start));
      const Value* v = mapping->Find(key);
      if (!v) return InvalidArgument("KeyError: " + pystr::Repr(key));
      keyed = *v;
    }
    PercentSpec sp;
    for (; i < fmt.size(); ++i) {
      const char f = fmt[i];
      if (f == '-')
        sp.left = true;
      else if (f == '+')
        sp.plus = true;
      else if (f == ' ')
        sp.space = true;
      else if (f == '#')
        sp.alt = true;
      else if (f == '0')
        sp.zero = true;
      else
        break;
    }
    auto take_arg = [&]() -> Result<Value> {
      if (next >= positional.size()) {
        return InvalidArgument("TypeError: not enough arguments for format string");
      }
      return positional[next++];
    };
    auto read_num = [&](int64_t* target) -> Status {
      if (i < fmt.size() && fmt[i] == '*') {
        ++i;
        DSI_ASSIGN_OR_RETURN(Value w, take_arg());
        if (!w.is_integral()) return InvalidArgument("TypeError: * wants int");
        *target = w.as_int();
        return Status::Ok();
      }
      int64_t n = 0;
      bool any = false;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        n = std::min<int64_t>(n * 10 + (fmt[i++] - '0'), int64_t{1} << 30);
        any = true;
      }
      if (any) *target = n;
      return Status::Ok();
    };
    DSI_RETURN_IF_ERROR(read_num(&sp.width));
    if (sp.width < -1) {
      sp.left = true;
      sp.width = sp.width == INT64_MIN ? INT64_MAX : -sp.width;
    }
    sp.width = std::min<int64_t>(sp.width, int64_t{1} << 20);
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      sp.precision = 0;
      DSI_RETURN_IF_ERROR(read_num(&sp.precision));
      sp.precision = std::min<int64_t>(sp.precision, int64_t{1} << 20);
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) return InvalidArgument("ValueError: incomplete format");
    sp.conv = fmt[i];
    if (sp.conv == '%') {
      out.push_back('%');
      continue;
    }
    Value v;
    if (keyed) {
      v = *keyed;
    } else {
      DSI_ASSIGN_OR_RETURN(v, take_arg());
    }
    DSI_ASSIGN_OR_RETURN(std::string piece, FormatPercentOne(sp, v));
    out += piece;
  }
  if (next < positional.size() && !mapping) {
    return InvalidArgument("TypeError: not all arguments converted during string formatting");
  }
  return out;
}

namespace {

// Python's format(value, spec) for str / int / float; other types accept only "".
Result<std::string> FormatSpec(const Value& v, std::string_view spec) {
  if (spec.empty()) return v.Str();
  std::u32string s = pystr::Decode(spec);
  size_t i = 0;
  char32_t fill = ' ';
  char align = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    fill = s[0];
    align = static_cast<char>(s[1]);
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    align = static_cast<char>(s[0]);
    i = 1;
  }
  char sign = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sign = static_cast<char>(s[i++]);
  bool alt = false;
  if (i < s.size() && s[i] == '#') alt = true, ++i;
  if (i < s.size() && s[i] == '0') {
    if (!align) fill = '0', align = '=';
    ++i;
  }
  int64_t width = -1;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    width = std::min<int64_t>((width < 0 ? 0 : width) * 10 + (s[i++] - '0'), 1 << 20);
  }
  char grouping = 0;
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) grouping = static_cast<char>(s[i++]);
  int64_t precision = -1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    precision = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      precision = std::min<int64_t>(precision * 10 + (s[i++] - '0'), 400);
    }
  }
  char type = 0;
  if (i < s.size()) type = static_cast<char>(s[i++]);
  if (i != s.size()) return InvalidArgument("ValueError: Invalid format specifier");

  std::string body;
  std::string sign_str;
  if (v.is_string()) {
    if (type && type != 's') {
      return InvalidArgument(std::string("ValueError: Unknown format code '") + type +
                             "' for object of type 'str'");
    }
    body = v.str();
    if (precision >= 0) {
      std::u32string cps = pystr::Decode(body);
      if (static_cast<int64_t>(cps.size()) > precision) cps.resize(precision);
      body = pystr::Encode(cps);
    }
    if (!align) align = '<';
  } else if (v.is_number()) {
    const bool as_int =
        v.is_integral() && (type == 0 || type == 'd' || type == 'n' || type == 'b' || type == 'o' ||
                            type == 'x' || type == 'X' || type == 'c');
    if (as_int) {
      const int64_t n = v.as_int();
      if (type == 'c') {
        pystr::AppendUtf8(body, static_cast<char32_t>(n));
      } else {
        const int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
        body = IntDigits(n, base, type == 'X');
        if (grouping) {
          const int group = base == 10 ? 3 : 4;
          std::string g;
          for (size_t k = 0; k < body.size(); ++k) {
            if (k && (body.size() - k) % group == 0) g.push_back(grouping);
            g.push_back(body[k]);
          }
          body = g;
        }
        if (alt && base != 10)
          body = (type == 'b' ? "0b" : type == 'o' ? "0o" : type == 'x' ? "0x" : "0X") + body;
      }
      if (n < 0) sign_str = "-";
    } else {
      if (type && std::string_view("eEfFgG%").find(type) == std::string_view::npos) {
        return InvalidArgument(std::string("ValueError: Unknown format code '") + type +
                               "' for object of type '" + v.TypeName() + "'");
      }
      double x = v.as_float();
      if (std::signbit(x)) sign_str = "-", x = -x;
      if (type == 0 && precision < 0) {
        body = v.is_float() ? pystr::FloatRepr(x) : std::to_string(std::llabs(v.as_int()));
      } else {
        char t = type ? type : 'g';
        if (t == '%') x *= 100;
        std::string f = std::string("%") + (alt ? "#" : "") + "." +
                        std::to_string(precision >= 0 ? precision : 6) + (t == '%' ? 'f' : t);
        char buf[512];
        std::snprintf(buf, sizeof(buf), f.c_str(), x);
        body = buf;
        if (type == 0 && body.find_first_of(".eni") == std::string::npos) body += ".0";
        if (t == '%') body += "%";
        if (grouping) {
          size_t int_end = body.find_first_of(".e%");
          if (int_end == std::string::npos) int_end = body.size();
          std::string g;
          for (size_t k = 0; k < int_end; ++k) {
            if (k && (int_end - k) % 3 == 0) g.push_back(grouping);
            g.push_back(body[k]);
          }
          body = g + body.substr(int_end);
        }
      }
    }
    if (sign_str.empty() && sign == '+') sign_str = "+";
    if (sign_str.empty() && sign == ' ') sign_str = " ";
    if (!align) align = '>';
  } else {
    return InvalidArgument("TypeError: unsupported format string passed to " + v.TypeName() +
                           ".__format__");
  }
  const int64_t len = static_cast<int64_t>(pystr::Length(sign_str) + pystr::Length(body));
  if (width <= len) return sign_str + body;
  std::string pad;
  const int64_t total = width - len;
  auto fill_n = [&](int64_t count) {
    std::string p;
    for (int64_t k = 0; k < count; ++k) pystr::AppendUtf8(p, fill);
    return p;
  };
  switch (align) {
    case '<':
      return sign_str + body + fill_n(total);
    case '^':
      return fill_n(total / 2) + sign_str + body + fill_n(total - total / 2);
    case '=':
      return sign_str + fill_n(total) + body;
    default:
      return fill_n(total) + sign_str + body;
  }
}

Result<std::string> StrFormatImpl(std::string_view fmt, const CallArgs& args, int depth) {
  if (depth > 2) return InvalidArgument("ValueError: Max string recursion exceeded");
  std::string out;
  size_t auto_index = 0;
  bool used_auto = false, used_manual = false;
  size_t i = 0;
  while (i < fmt.size()) {
    const char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        i += 2;
        continue;
      }
      return InvalidArgument("ValueError: Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      i += 2;
      continue;
    }
    // Field up to the matching '}' (one level of nested braces in the spec).
    size_t j = i + 1;
    int depth = 1;
    while (j < fmt.size() && depth) {
      if (fmt[j] == '{') ++depth;
      if (fmt[j] == '}') --depth;
      if (depth) ++j;
    }
    if (j >= fmt.size()) return InvalidArgument("ValueError: expected '}' before end of string");
    std::string_view field = fmt.substr(i + 1, j - i - 1);
    i = j + 1;
    std::string_view spec;
    char conversion = 0;
    size_t colon = field.find(':');
    std::string_view head = field.substr(0, colon);
    if (colon != std::string_view::npos) spec = field.substr(colon + 1);
    if (size_t bang = head.find('!'); bang != std::string_view::npos) {
      if (bang + 2 != head.size()) {
        return InvalidArgument("ValueError: expected ':' after conversion specifier");
      }
      conversion = head[bang + 1];
      head = head.substr(0, bang);
    }
    size_t name_end = head.find_first_of(".[");
    std::string_view first = head.substr(0, name_end);
    Value v;
    if (first.empty() ||
        std::all_of(first.begin(), first.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      size_t index;
      if (first.empty()) {
        if (used_manual) {
          return InvalidArgument(
              "ValueError: cannot switch from manual field specification to automatic field "
              "numbering");
        }
        used_auto = true;
        index = auto_index++;
      } else {
        if (used_auto) {
          return InvalidArgument(
              "ValueError: cannot switch from automatic field numbering to manual field "
              "specification");
        }
        used_manual = true;
        index = first.size() > 9 ? SIZE_MAX : std::stoul(std::string(first));
      }
      if (index >= args.positional.size()) {
        return InvalidArgument("IndexError: Replacement index " + std::to_string(index) +
                               " out of range for positional args tuple");
      }
      v = args.positional[index];
    } else {
      const Value* kw = args.Keyword(first);
      if (!kw) return InvalidArgument("KeyError: " + pystr::Repr(std::string(first)));
      v = *kw;
    }
    std::string_view rest = name_end == std::string_view::npos ? "" : head.substr(name_end);
    while (!rest.empty()) {
      if (rest[0] == '.') {
        size_t e = rest.find_first_of(".[", 1);
        DSI_ASSIGN_OR_RETURN(v,
                             GetAttr(v, rest.substr(1, e == std::string_view::npos ? e : e - 1)));
        rest = e == std::string_view::npos ? "" : rest.substr(e);
      } else {
        size_t e = rest.find(']');
        if (e == std::string_view::npos)
          return InvalidArgument("ValueError: Missing ']' in format string");
        std::string key(rest.substr(1, e - 1));
        const bool digits =
            !key.empty() && key.size() < 18 &&
            std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        DSI_ASSIGN_OR_RETURN(v,
                             GetItem(v, digits ? Value::Int(std::stoll(key)) : Value::String(key)));
        rest = rest.substr(e + 1);
      }
      if (v.is_undefined()) return v.UndefinedError();
    }
    if (conversion == 'r') {
      v = Value::String(v.Repr());
    } else if (conversion == 's') {
      v = Value::String(v.Str());
    } else if (conversion == 'a') {
      v = Value::String(AsciiRepr(v));
    } else if (conversion) {
      return InvalidArgument(std::string("ValueError: Unknown conversion specifier ") + conversion);
    }
    std::string spec_str(spec);
    if (spec_str.find('{') != std::string::npos) {
      DSI_ASSIGN_OR_RETURN(spec_str, StrFormatImpl(spec_str, args, depth + 1));
    }
    DSI_ASSIGN_OR_RETURN(std::string piece, FormatSpec(v, spec_str));
    out += piece;
  }
  return out;
}

}  // namespace

Result<std::string> StrFormat(std::string_view fmt, const CallArgs& args) {
  return StrFormatImpl(fmt, args, 0);
}

}  // namespace dsi::chat_template
