// Python str semantics over UTF-8 (see pystr.h). Case mapping covers Latin, Greek,
// Cyrillic, Armenian and full-width Latin; other scripts have no case, as in Python.
#include "chat_template/pystr.h"

#include "core/utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace dsi::chat_template::pystr {
namespace {

constexpr char32_t kRawByteBase = 0xDC00;  // invalid byte b decodes to U+DC00+b (b >= 0x80)

// Upper/lower pairs laid out as [upper, lower] in alternating code points.
bool InAlternating(char32_t c, char32_t first, char32_t last) { return c >= first && c <= last; }

char32_t MapLower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 32;
  if (c < 0x100) return c;
  if (c <= 0x17F) {
    if (c == 0x130) return 'i';  // simplified: Python gives "i\u0307"
    if (c == 0x178) return 0xFF;
    if (InAlternating(c, 0x100, 0x12F) || InAlternating(c, 0x132, 0x137) ||
        InAlternating(c, 0x14A, 0x177)) {
      return (c % 2 == 0) ? c + 1 : c;
    }
    if (InAlternating(c, 0x139, 0x148) || InAlternating(c, 0x179, 0x17E)) {
      return (c % 2 == 1) ? c + 1 : c;
    }
    return c;
  }
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if ((InAlternating(c, 0x460, 0x481) || InAlternating(c, 0x48A, 0x4BF) ||
       InAlternating(c, 0x4D0, 0x4FF)) &&
      c % 2 == 0) {
    return c + 1;
  }
  if (c >= 0x531 && c <= 0x556) return c + 48;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return c;
}

char32_t MapUpper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0xB5) return c;
  if (c == 0xB5) return 0x39C;
  if (c < 0xE0) return c;
  if (c <= 0xFE) return (c == 0xF7) ? c : c - 32;
  if (c == 0xFF) return 0x178;
  if (c <= 0x17F) {
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    if (InAlternating(c, 0x100, 0x12F) || InAlternating(c, 0x132, 0x137) ||
        InAlternating(c, 0x14A, 0x177)) {
      return (c % 2 == 1) ? c - 1 : c;
    }
    if (InAlternating(c, 0x139, 0x148) || InAlternating(c, 0x179, 0x17E)) {
      return (c % 2 == 0) ? c - 1 : c;
    }
    return c;
  }
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 37;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 63;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x3B1 && c <= 0x3CB) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if ((InAlternating(c, 0x460, 0x481) || InAlternating(c, 0x48A, 0x4BF) ||
       InAlternating(c, 0x4D0, 0x4FF)) &&
      c % 2 == 1) {
    return c - 1;
  }
  if (c >= 0x561 && c <= 0x586) return c - 48;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 32;
  return c;
}

bool IsPrintable(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD) return false;
  if (c < 0x600) return true;
  if ((c >= 0x600 && c <= 0x605) || c == 0x61C || c == 0x6DD || c == 0x70F || c == 0x8E2 ||
      c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
      (c >= 0x205F && c <= 0x2064) || (c >= 0x2066 && c <= 0x206F) || c == 0x3000 ||
      (c >= 0xD800 && c <= 0xF8FF) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || c == 0xFFFE ||
      c == 0xFFFF || c == 0x110BD || (c >= 0x1D173 && c <= 0x1D17A) || c == 0xE0001 ||
      (c >= 0xE0020 && c <= 0xE007F) || c >= 0xF0000) {
    return false;
  }
  return true;
}

void AppendHexEscape(std::string& out, char32_t c) {
  char buf[16];
  if (c < 0x100) {
    std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
  } else if (c < 0x10000) {
    std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
  } else {
    std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(c));
  }
  out += buf;
}

bool InSet(char32_t c, const std::u32string& set) { return set.find(c) != std::u32string::npos; }

}  // namespace

std::u32string Decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out.push_back(kRawByteBase + b0);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp >= kRawByteBase + 0x80 && cp <= kRawByteBase + 0xFF) {
    out.push_back(static_cast<char>(cp - kRawByteBase));
    return;
  }
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  ::dsi::AppendUtf8(cp, out);
}

std::string Encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) AppendUtf8(out, c);
  return out;
}

size_t Length(std::string_view s) {
  bool ascii = true;
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.size() : Decode(s).size();
}

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool IsLower(char32_t c) { return MapUpper(c) != c || c == 0xDF; }
bool IsUpper(char32_t c) { return MapLower(c) != c; }
bool IsCased(char32_t c) { return IsLower(c) || IsUpper(c); }

bool IsAlpha(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (IsCased(c)) return true;
  return c == 0xAA || c == 0xBA || (c >= 0x5D0 && c <= 0x5EA) || (c >= 0x620 && c <= 0x64A) ||
         (c >= 0xE01 && c <= 0xE30) || (c >= 0x3041 && c <= 0x3096) ||
         (c >= 0x30A1 && c <= 0x30FA) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F);
}

bool IsDigit(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 0x660 && c <= 0x669) || (c >= 0x6F0 && c <= 0x6F9) ||
         (c >= 0x966 && c <= 0x96F) || (c >= 0xFF10 && c <= 0xFF19) || c == 0xB2 || c == 0xB3 ||
         c == 0xB9;
}

bool IsAlnum(char32_t c) { return IsAlpha(c) || IsDigit(c); }
char32_t ToUpper(char32_t c) { return MapUpper(c); }
char32_t ToLower(char32_t c) { return MapLower(c); }

std::string Upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : Decode(s)) {
    if (c == 0xDF) {
      out += "SS";
    } else {
      AppendUtf8(out, MapUpper(c));
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : Decode(s)) AppendUtf8(out, MapLower(c));
  return out;
}

std::string Title(std::string_view s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : Decode(s)) {
    if (prev_cased) {
      AppendUtf8(out, MapLower(c));
    } else if (c == 0xDF) {
      out += "Ss";
    } else {
      AppendUtf8(out, MapUpper(c));
    }
    prev_cased = IsCased(c);
  }
  return out;
}

std::string Capitalize(std::string_view s) {
  std::u32string cps = Decode(s);
  std::string out;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (i == 0 && cps[i] == 0xDF) {
      out += "Ss";
    } else {
      AppendUtf8(out, i == 0 ? MapUpper(cps[i]) : MapLower(cps[i]));
    }
  }
  return out;
}

std::string SwapCase(std::string_view s) {
  std::string out;
  for (char32_t c : Decode(s)) {
    if (c == 0xDF) {
      out += "SS";
    } else {
      AppendUtf8(out, IsUpper(c) ? MapLower(c) : MapUpper(c));
    }
  }
  return out;
}

bool StrIsLower(std::string_view s) {
  bool any_cased = false;
  for (char32_t c : Decode(s)) {
    if (IsUpper(c)) return false;
    if (IsLower(c)) any_cased = true;
  }
  return any_cased;
}

bool StrIsUpper(std::string_view s) {
  bool any_cased = false;
  for (char32_t c : Decode(s)) {
    if (IsLower(c)) return false;
    if (IsUpper(c)) any_cased = true;
  }
  return any_cased;
}

std::string Strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right) {
  std::u32string cps = Decode(s);
  const std::u32string set = chars ? Decode(*chars) : std::u32string();
  auto strip_it = [&](char32_t c) { return chars ? InSet(c, set) : IsSpace(c); };
  size_t begin = 0, end = cps.size();
  if (left) {
    while (begin < end && strip_it(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strip_it(cps[end - 1])) --end;
  }
  return Encode(std::u32string_view(cps).substr(begin, end - begin));
}

std::vector<std::string> Split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit, bool from_right) {
  std::vector<std::string> parts;
  if (sep) {
    // Separator splitting works on bytes: UTF-8 matches are code-point aligned.
    const std::string& d = *sep;
    if (!from_right) {
      size_t start = 0;
      while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
        size_t hit = s.find(d, start);
        if (hit == std::string_view::npos) break;
        parts.emplace_back(s.substr(start, hit - start));
        start = hit + d.size();
      }
      parts.emplace_back(s.substr(start));
    } else {
      size_t end = s.size();
      std::vector<std::string> rev;
      while (maxsplit < 0 || static_cast<int64_t>(rev.size()) < maxsplit) {
        if (end < d.size()) break;
        size_t hit = s.rfind(d, end - d.size());
        if (hit == std::string_view::npos) break;
        rev.emplace_back(s.substr(hit + d.size(), end - hit - d.size()));
        end = hit;
      }
      rev.emplace_back(s.substr(0, end));
      parts.assign(rev.rbegin(), rev.rend());
    }
    return parts;
  }
  std::u32string cps = Decode(s);
  const size_t n = cps.size();
  if (!from_right) {
    size_t i = 0;
    while (true) {
      while (i < n && IsSpace(cps[i])) ++i;
      if (i == n) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.push_back(Encode(std::u32string_view(cps).substr(i)));  // keeps trailing spaces
        break;
      }
      size_t j = i;
      while (j < n && !IsSpace(cps[j])) ++j;
      parts.push_back(Encode(std::u32string_view(cps).substr(i, j - i)));
      i = j;
    }
    return parts;
  }
  std::vector<std::string> rev;
  size_t end = n;
  while (true) {
    while (end > 0 && IsSpace(cps[end - 1])) --end;
    if (end == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(rev.size()) == maxsplit) {
      rev.push_back(Encode(std::u32string_view(cps).substr(0, end)));  // keeps leading spaces
      break;
    }
    size_t j = end;
    while (j > 0 && !IsSpace(cps[j - 1])) --j;
    rev.push_back(Encode(std::u32string_view(cps).substr(j, end - j)));
    end = j;
  }
  parts.assign(rev.rbegin(), rev.rend());
  return parts;
}

std::vector<std::string> SplitLines(std::string_view s, bool keepends) {
  std::u32string cps = Decode(s);
  std::vector<std::string> lines;
  size_t start = 0, i = 0;
  while (i < cps.size()) {
    const char32_t c = cps[i];
    const bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
                     c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) {
      ++i;
      continue;
    }
    size_t eol = i + 1;
    if (c == '\r' && eol < cps.size() && cps[eol] == '\n') ++eol;
    lines.push_back(Encode(std::u32string_view(cps).substr(start, (keepends ? eol : i) - start)));
    start = i = eol;
  }
  if (start < cps.size()) lines.push_back(Encode(std::u32string_view(cps).substr(start)));
  return lines;
}

std::string Replace(std::string_view s, std::string_view old_s, std::string_view new_s,
                    int64_t count) {
  std::string out;
  if (old_s.empty()) {
    std::u32string cps = Decode(s);
    int64_t done = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_s;
        ++done;
      }
      if (i < cps.size()) AppendUtf8(out, cps[i]);
    }
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(old_s, start);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(start, hit - start));
    out.append(new_s);
    start = hit + old_s.size();
    ++done;
  }
  out.append(s.substr(start));
  return out;
}

int64_t Find(std::string_view s, std::string_view sub, bool from_right) {
  size_t hit = from_right ? s.rfind(sub) : s.find(sub);
  if (hit == std::string_view::npos) return -1;
  return static_cast<int64_t>(Length(s.substr(0, hit)));
}

int64_t Count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(Length(s)) + 1;
  int64_t n = 0;
  for (size_t pos = s.find(sub); pos != std::string_view::npos;
       pos = s.find(sub, pos + sub.size())) {
    ++n;
  }
  return n;
}

std::string Center(std::string_view s, int64_t width, char32_t fill) {
  const int64_t len = static_cast<int64_t>(Length(s));
  if (width <= len) return std::string(s);
  const int64_t pad = width - len;
  // CPython: left = pad / 2 + (pad & width & 1).
  const int64_t left = pad / 2 + (pad & width & 1);
  std::string out;
  for (int64_t i = 0; i < left; ++i) AppendUtf8(out, fill);
  out += s;
  for (int64_t i = 0; i < pad - left; ++i) AppendUtf8(out, fill);
  return out;
}

std::string Repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : Decode(s)) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (!IsPrintable(c)) {
      AppendHexEscape(out, c);
    } else {
      AppendUtf8(out, c);
    }
  }
  out.push_back(quote);
  return out;
}

std::string FloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  const int exp10 = std::atoi(sci.c_str() + e_pos + 1);
  std::string out = negative ? "-" : "";
  if (exp10 >= -5 && exp10 < 16) {
    // Python's repr switches to exponent form for exp < -4 or exp >= 16.
    if (exp10 < -4) {
      // fallthrough to exponent form below
    } else if (exp10 < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exp10 - 1), '0');
      out += digits;
      return out;
    } else {
      const size_t int_len = static_cast<size_t>(exp10) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_len);
        out += ".";
        out += digits.substr(int_len);
      }
      return out;
    }
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += ".";
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
  out += exp_buf;
  return out;
}

}  // namespace dsi::chat_template::pystr
