// Jinja lexer (see lexer.h). Mirrors the rules of jinja2's regex lexer: the earliest of
// "{{", "{%", "{#" ends a data run; tags end at "}}"/"%}" only while brackets balance;
// with trim_blocks one newline after "%}" or "#}" is dropped; with lstrip_blocks the
// spaces before "{%"/"{#" that start a line are dropped.
#include "chat_template/lexer.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "chat_template/pystr.h"

namespace dsi::chat_template {
namespace {

// Maps byte offsets of the normalised source to line/column (monotonic queries are O(1)).
class PosTracker {
 public:
  explicit PosTracker(std::string_view src) : src_(src) {}
  SourcePos At(size_t offset) {
    if (offset < offset_) {
      offset_ = 0;
      pos_ = SourcePos{};
    }
    for (; offset_ < offset && offset_ < src_.size(); ++offset_) {
      const auto b = static_cast<unsigned char>(src_[offset_]);
      if (b == '\n') {
        ++pos_.line;
        pos_.column = 1;
      } else if ((b & 0xC0) != 0x80) {
        ++pos_.column;  // count lead bytes only: columns are code points
      }
    }
    return pos_;
  }

 private:
  std::string_view src_;
  size_t offset_ = 0;
  SourcePos pos_;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

// Length of the whitespace run (Python \s, Unicode) starting at `pos`.
size_t WhitespaceRun(std::string_view s, size_t pos) {
  size_t i = pos;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (!pystr::IsSpace(b)) break;
      ++i;
      continue;
    }
    size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
    if (i + len > s.size()) break;
    std::u32string cp = pystr::Decode(s.substr(i, len));
    if (cp.size() != 1 || !pystr::IsSpace(cp[0])) break;
    i += len;
  }
  return i - pos;
}

// `(\d+_)*\d+` at pos; returns the end offset or pos when no digit.
size_t MatchDigitGroups(std::string_view s, size_t pos) {
  size_t i = pos;
  if (i >= s.size() || !IsDigit(s[i])) return pos;
  while (i < s.size() && IsDigit(s[i])) ++i;
  while (i + 1 < s.size() && s[i] == '_' && IsDigit(s[i + 1])) {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i;
}

// Jinja's float_re; returns the end offset or pos.
size_t MatchFloat(std::string_view s, size_t pos) {
  if (pos > 0 && s[pos - 1] == '.') return pos;
  size_t int_end = MatchDigitGroups(s, pos);
  if (int_end == pos) return pos;
  auto match_exponent = [&](size_t at) -> size_t {
    if (at < s.size() && (s[at] == 'e' || s[at] == 'E')) {
      size_t k = at + 1;
      if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
      size_t e_end = MatchDigitGroups(s, k);
      if (e_end != k) return e_end;
    }
    return at;
  };
  if (int_end < s.size() && s[int_end] == '.') {
    size_t frac_end = MatchDigitGroups(s, int_end + 1);
    if (frac_end != int_end + 1) return match_exponent(frac_end);
  }
  size_t e_end = match_exponent(int_end);
  return e_end != int_end ? e_end : pos;
}

// Jinja's integer_re (binary, octal, hex, decimal, zeros); returns the end offset or pos.
size_t MatchInteger(std::string_view s, size_t pos) {
  auto is_digit_of = [](char c, int base) {
    if (base == 2) return c == '0' || c == '1';
    if (base == 8) return c >= '0' && c <= '7';
    if (base == 16) return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return IsDigit(c);
  };
  auto prefixed = [&](int base) -> size_t {
    size_t i = pos + 2;
    size_t end = pos;
    while (true) {
      size_t k = i;
      if (k < s.size() && s[k] == '_') ++k;
      if (k < s.size() && is_digit_of(s[k], base)) {
        i = k + 1;
        end = i;
      } else {
        break;
      }
    }
    return end;
  };
  if (pos + 1 < s.size() && s[pos] == '0') {
    const char p = static_cast<char>(s[pos + 1] | 0x20);
    size_t end = pos;
    if (p == 'b') end = prefixed(2);
    if (p == 'o') end = prefixed(8);
    if (p == 'x') end = prefixed(16);
    if (end != pos) return end;
  }
  if (pos >= s.size() || !IsDigit(s[pos])) return pos;
  const char want_zero = s[pos] == '0';
  size_t i = pos + 1;
  while (true) {
    size_t k = i;
    if (k < s.size() && s[k] == '_') ++k;
    if (k < s.size() && IsDigit(s[k]) && (!want_zero || s[k] == '0')) {
      i = k + 1;
    } else {
      break;
    }
  }
  return i;
}

// Python "unicode-escape" decoding of a string literal's body (after Jinja's
// backslashreplace of non-ASCII characters).
Result<std::string> DecodeStringLiteral(std::string_view raw) {
  std::u32string cps = pystr::Decode(raw);
  std::string out;
  auto hex_value = [&](size_t at, int n, uint32_t* v) {
    if (at + n > cps.size()) return false;
    *v = 0;
    for (int k = 0; k < n; ++k) {
      const char32_t c = cps[at + k];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return false;
      }
      *v = *v * 16 + d;
    }
    return true;
  };
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    if (c != '\\') {
      pystr::AppendUtf8(out, c);
      continue;
    }
    if (i + 1 >= cps.size()) return InvalidArgument("\\ at end of string");
    const char32_t e = cps[++i];
    switch (e) {
      case '\n':
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v;
        if (!hex_value(i + 1, n, &v)) {
          return InvalidArgument(e == 'x'   ? "truncated \\xXX escape"
                                 : e == 'u' ? "truncated \\uXXXX escape"
                                            : "truncated \\UXXXXXXXX escape");
        }
        if (v > 0x10FFFF) return InvalidArgument("illegal Unicode character");
        pystr::AppendUtf8(out, v);
        i += n;
        break;
      }
      case 'N':
        return Unsupported("\\N{...} escapes in string literals are not supported");
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = e - '0';
          for (int k = 0; k < 2 && i + 1 < cps.size() && cps[i + 1] >= '0' && cps[i + 1] <= '7';
               ++k) {
            v = v * 8 + (cps[++i] - '0');
          }
          pystr::AppendUtf8(out, v);
        } else if (e >= 0x80) {
          // backslashreplace turned the character into "\xe9"-style text first.
          char buf[16];
          std::snprintf(buf, sizeof(buf),
                        e < 0x100     ? "\\x%02x"
                        : e < 0x10000 ? "\\u%04x"
                                      : "\\U%08x",
                        static_cast<unsigned>(e));
          out += buf;
        } else {
          out += '\\';
          pystr::AppendUtf8(out, e);
        }
    }
  }
  return out;
}

constexpr const char* kTwoCharOps[] = {"//", "**", "==", "!=", ">=", "<="};
constexpr std::string_view kOneCharOps = "+-/*%~[](){}><=.:|,;";

class Lexer {
 public:
  Lexer(std::string_view src, const LexerOptions& options)
      : src_(src), options_(options), tracker_(src) {}

  Result<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      DSI_RETURN_IF_ERROR(LexRoot());
    }
    Emit(TokenType::kEof, "", src_.size());
    return std::move(tokens_);
  }

 private:
  Status Error(size_t offset, std::string_view what) {
    return InvalidArgument("syntax error: " + LocatedMessage(tracker_.At(offset), what));
  }

  void Emit(TokenType type, std::string value, size_t offset) {
    Token t;
    t.type = type;
    t.value = std::move(value);
    t.pos = tracker_.At(offset);
    tokens_.push_back(std::move(t));
  }

  // Data before a tag, with the tag's whitespace control applied.
  void EmitData(size_t begin, size_t end, char sign, bool lstrip_applies) {
    std::string_view text = src_.substr(begin, end - begin);
    if (sign == '-') {
      text = RStripView(text);
    } else if (sign != '+' && options_.lstrip_blocks && lstrip_applies) {
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting_) && l_pos < text.size() &&
          WhitespaceRun(text, l_pos) == text.size() - l_pos) {
        text = text.substr(0, l_pos);
      }
    }
    if (!text.empty()) Emit(TokenType::kData, std::string(text), begin);
  }

  static std::string_view RStripView(std::string_view text) {
    // Python str.rstrip(): drop trailing Unicode whitespace.
    size_t end = text.size();
    while (end > 0) {
      size_t start = end - 1;
      while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
      if (WhitespaceRun(text.substr(0, end), start) != end - start) break;
      end = start;
    }
    return text.substr(0, end);
  }

  // Matches "{%[-+]?\s*raw\s*(-%}\s*|%})" at `at`; returns the end offset or 0.
  size_t MatchRawBegin(size_t at) const {
    size_t i = at + 2;
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
    i += WhitespaceRun(src_, i);
    if (src_.substr(i, 3) != "raw") return 0;
    i += 3;
    i += WhitespaceRun(src_, i);
    if (src_.substr(i, 3) == "-%}") return i + 3 + WhitespaceRun(src_, i + 3);
    if (src_.substr(i, 2) == "%}") return i + 2;
    return 0;
  }

  Status LexRoot() {
    size_t tag = pos_;
    while (true) {
      tag = src_.find('{', tag);
      if (tag == std::string_view::npos || tag + 1 >= src_.size()) {
        tag = std::string_view::npos;
        break;
      }
      const char k = src_[tag + 1];
      if (k == '{' || k == '%' || k == '#') break;
      ++tag;
    }
    if (tag == std::string_view::npos) {
      Emit(TokenType::kData, std::string(src_.substr(pos_)), pos_);
      pos_ = src_.size();
      return Status::Ok();
    }
    const char kind = src_[tag + 1];
    size_t after = tag + 2;
    char sign = 0;
    if (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) sign = src_[after];
    const size_t raw_end = kind == '%' ? MatchRawBegin(tag) : 0;
    EmitData(pos_, tag, sign, /*lstrip_applies=*/kind != '{');
    if (raw_end) {
      line_starting_ = src_[raw_end - 1] == '\n';
      pos_ = raw_end;
      return LexRaw(tag);
    }
    if (sign) ++after;
    line_starting_ = false;
    if (kind == '#') return LexComment(tag, after);
    Emit(kind == '{' ? TokenType::kVariableBegin : TokenType::kBlockBegin, "", tag);
    pos_ = after;
    return LexTag(kind == '{');
  }

  Status LexRaw(size_t begin_tag) {
    for (size_t at = src_.find("{%", pos_); at != std::string_view::npos;
         at = src_.find("{%", at + 1)) {
      size_t i = at + 2;
      char sign = 0;
      if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) sign = src_[i++];
      i += WhitespaceRun(src_, i);
      if (src_.substr(i, 6) != "endraw") continue;
      i += 6;
      i += WhitespaceRun(src_, i);
      size_t end = 0;
      if (src_.substr(i, 3) == "+%}") {
        end = i + 3;
      } else if (src_.substr(i, 3) == "-%}") {
        end = i + 3 + WhitespaceRun(src_, i + 3);
      } else if (src_.substr(i, 2) == "%}") {
        end = i + 2;
        if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') ++end;
      } else {
        continue;
      }
      EmitData(pos_, at, sign, /*lstrip_applies=*/true);
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return Status::Ok();
    }
    return Error(begin_tag, "Missing end of raw directive");
  }

  Status LexComment(size_t begin_tag, size_t body) {
    for (size_t at = src_.find("#}", body); at != std::string_view::npos;
         at = src_.find("#}", at + 1)) {
      size_t end = at + 2;
      if (at > body && src_[at - 1] == '-') {
        end += WhitespaceRun(src_, end);
      } else if (at > body && src_[at - 1] == '+') {
        // "+#}": no trimming
      } else if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') {
        ++end;
      }
      line_starting_ = src_[end - 1] == '\n';
      pos_ = end;
      return Status::Ok();
    }
    return Error(begin_tag, "Missing end of comment tag");
  }

  Status LexTag(bool variable) {
    std::vector<char> balance;
    while (pos_ < src_.size()) {
      if (balance.empty()) {
        std::string_view rest = src_.substr(pos_);
        if (variable) {
          if (rest.substr(0, 3) == "-}}") {
            Emit(TokenType::kVariableEnd, "", pos_);
            pos_ += 3;
            pos_ += WhitespaceRun(src_, pos_);
            line_starting_ = src_[pos_ - 1] == '\n';
            return Status::Ok();
          }
          if (rest.substr(0, 2) == "}}") {
            Emit(TokenType::kVariableEnd, "", pos_);
            pos_ += 2;
            line_starting_ = false;
            return Status::Ok();
          }
        } else {
          if (rest.substr(0, 3) == "-%}" || rest.substr(0, 3) == "+%}") {
            Emit(TokenType::kBlockEnd, "", pos_);
            const bool strip = rest[0] == '-';
            pos_ += 3;
            if (strip) pos_ += WhitespaceRun(src_, pos_);
            line_starting_ = src_[pos_ - 1] == '\n';
            return Status::Ok();
          }
          if (rest.substr(0, 2) == "%}") {
            Emit(TokenType::kBlockEnd, "", pos_);
            pos_ += 2;
            if (options_.trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') ++pos_;
            line_starting_ = src_[pos_ - 1] == '\n';
            return Status::Ok();
          }
        }
      }
      if (size_t ws = WhitespaceRun(src_, pos_)) {
        pos_ += ws;
        continue;
      }
      DSI_RETURN_IF_ERROR(LexOneToken(balance));
    }
    return Status::Ok();  // end of input inside a tag: the parser reports it
  }

  Status LexOneToken(std::vector<char>& balance) {
    const size_t start = pos_;
    if (size_t end = MatchFloat(src_, start); end != start) {
      std::string digits;
      for (size_t i = start; i < end; ++i) {
        if (src_[i] != '_') digits.push_back(src_[i]);
      }
      Emit(TokenType::kFloat, std::string(src_.substr(start, end - start)), start);
      tokens_.back().float_value = std::strtod(digits.c_str(), nullptr);
      pos_ = end;
      return Status::Ok();
    }
    if (size_t end = MatchInteger(src_, start); end != start) {
      std::string digits;
      for (size_t i = start; i < end; ++i) {
        if (src_[i] != '_') digits.push_back(src_[i]);
      }
      int base = 10;
      size_t skip = 0;
      if (digits.size() > 2 && digits[0] == '0') {
        const char p = static_cast<char>(digits[1] | 0x20);
        base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 10;
        if (base != 10) skip = 2;
      }
      errno = 0;
      char* parse_end = nullptr;
      const unsigned long long v = std::strtoull(digits.c_str() + skip, &parse_end, base);
      if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) {
        return Error(start, "integer literal too large (dsinfer supports 64-bit integers)");
      }
      Emit(TokenType::kInteger, std::string(src_.substr(start, end - start)), start);
      tokens_.back().int_value = static_cast<int64_t>(v);
      pos_ = end;
      return Status::Ok();
    }
    const char c = src_[start];
    if (IsNameStart(c)) {
      size_t end = start + 1;
      while (end < src_.size() && IsNameChar(src_[end])) ++end;
      Emit(TokenType::kName, std::string(src_.substr(start, end - start)), start);
      pos_ = end;
      return Status::Ok();
    }
    if (c == '\'' || c == '"') {
      size_t i = start + 1;
      while (i < src_.size() && src_[i] != c) i += (src_[i] == '\\') ? 2 : 1;
      if (i < src_.size()) {
        Result<std::string> decoded = DecodeStringLiteral(src_.substr(start + 1, i - start - 1));
        if (!decoded.ok()) return Error(start, decoded.status().message());
        Emit(TokenType::kString, std::move(decoded).value(), start);
        pos_ = i + 1;
        return Status::Ok();
      }
    }
    for (const char* op : kTwoCharOps) {
      if (src_.substr(start, 2) == op) {
        Emit(TokenType::kOperator, op, start);
        pos_ = start + 2;
        return Status::Ok();
      }
    }
    if (kOneCharOps.find(c) != std::string_view::npos) {
      if (c == '(' || c == '[' || c == '{') {
        balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      } else if (c == ')' || c == ']' || c == '}') {
        if (balance.empty()) return Error(start, std::string("unexpected '") + c + "'");
        const char expected = balance.back();
        balance.pop_back();
        if (expected != c) {
          return Error(start, std::string("unexpected '") + c + "', expected '" + expected + "'");
        }
      }
      Emit(TokenType::kOperator, std::string(1, c), start);
      pos_ = start + 1;
      return Status::Ok();
    }
    std::u32string cp = pystr::Decode(src_.substr(start, 4));
    std::string shown;
    if (!cp.empty()) pystr::AppendUtf8(shown, cp[0]);
    return Error(start, "unexpected char " + pystr::Repr(shown));
  }

  std::string_view src_;
  const LexerOptions& options_;
  PosTracker tracker_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::string LocatedMessage(SourcePos pos, std::string_view what) {
  return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ": " +
         std::string(what);
}

Result<std::vector<Token>> Tokenize(std::string_view source, const LexerOptions& options) {
  std::string normalized;
  normalized.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      normalized.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      normalized.push_back(source[i]);
    }
  }
  if (!normalized.empty() && normalized.back() == '\n') normalized.pop_back();
  Lexer lexer(normalized, options);
  return lexer.Run();
}

std::string DescribeToken(const Token& token) {
  switch (token.type) {
    case TokenType::kData:
      return "template data / text";
    case TokenType::kVariableBegin:
      return "begin of print statement";
    case TokenType::kVariableEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kEof:
      return "end of template";
    case TokenType::kString:
      return "string";
    case TokenType::kInteger:
      return "integer";
    case TokenType::kFloat:
      return "float";
    case TokenType::kName:
    case TokenType::kOperator:
      return token.value;
  }
  return token.value;
}

}  // namespace dsi::chat_template
