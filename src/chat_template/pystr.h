// Python `str` semantics over UTF-8 std::string: code-point indexing, Unicode whitespace,
// case mapping, strip/split/replace/splitlines and repr(), as Jinja templates see them.
// Invalid UTF-8 bytes survive a decode/encode round trip (mapped to U+DC80+byte, the way
// Python's surrogateescape does), so no input can make these functions fail.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsi::chat_template::pystr {

std::u32string Decode(std::string_view s);
void AppendUtf8(std::string& out, char32_t cp);
std::string Encode(std::u32string_view cps);
// Number of code points (Python len()).
size_t Length(std::string_view s);

bool IsSpace(char32_t c);  // str.isspace
bool IsLower(char32_t c);  // has an uppercase mapping (a cased lowercase letter)
bool IsUpper(char32_t c);
bool IsCased(char32_t c);
bool IsAlpha(char32_t c);
bool IsDigit(char32_t c);
bool IsAlnum(char32_t c);
char32_t ToUpper(char32_t c);
char32_t ToLower(char32_t c);

std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
std::string Title(std::string_view s);       // str.title
std::string Capitalize(std::string_view s);  // str.capitalize
std::string SwapCase(std::string_view s);
bool StrIsLower(std::string_view s);  // str.islower
bool StrIsUpper(std::string_view s);

// chars == nullopt strips whitespace (Python's default); otherwise the set of code points.
std::string Strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right);
// str.split / str.rsplit; sep == nullopt splits on whitespace runs. maxsplit < 0: no limit.
std::vector<std::string> Split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit, bool from_right);
std::vector<std::string> SplitLines(std::string_view s, bool keepends);
// str.replace; count < 0 replaces all. An empty `old` inserts between code points.
std::string Replace(std::string_view s, std::string_view old_s, std::string_view new_s,
                    int64_t count);
// str.find / str.rfind / str.count over code-point positions; -1 when absent.
int64_t Find(std::string_view s, std::string_view sub, bool from_right);
int64_t Count(std::string_view s, std::string_view sub);
std::string Center(std::string_view s, int64_t width, char32_t fill);

// repr() of a str: quotes chosen as Python does, escapes for non-printable code points.
std::string Repr(std::string_view s);
// repr()/str() of a float (shortest round-trip digits, Python's exponent rules).
std::string FloatRepr(double v);

}  // namespace dsi::chat_template::pystr
