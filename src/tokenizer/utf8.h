// UTF-8 helpers for the tokenizer: validation, replacement of invalid bytes with U+FFFD the way
// Python's bytes.decode("utf-8", errors="replace") and Rust's String::from_utf8_lossy do it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace dsi::tokenizer {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool IsValidUtf8(std::string_view s);

// Appends `s` to `out`, replacing each maximal ill-formed subsequence (Unicode §3.9, "maximal
// subpart" practice) with one U+FFFD. Valid input is appended unchanged.
void AppendSanitizedUtf8(std::string_view s, std::string& out);
std::string SanitizeUtf8(std::string_view s);

// Length of the well-formed UTF-8 sequence starting at s[0] (1..4), or 0 when s[0] does not start
// one (ill-formed or truncated).
size_t ValidSequenceLength(std::string_view s);

// Number of trailing bytes of `s` that form an incomplete but so far well-formed sequence
// (a lead byte plus fewer continuation bytes than it needs), 0..3. Those bytes may still become a
// character when more bytes arrive; everything before them decodes the same whatever follows.
size_t IncompleteUtf8Suffix(std::string_view s);

// Decodes one code point from valid UTF-8 at s[0]; sets *len to its byte length.
char32_t DecodeUtf8(const char* s, size_t* len);
using ::dsi::AppendUtf8;  // core/utf8.h

// Byte length of the character whose lead byte is `lead` in valid UTF-8.
inline size_t Utf8CharLength(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace dsi::tokenizer
