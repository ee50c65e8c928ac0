// Unicode character properties and normalization forms the tokenizer needs, matching what HF
// tokenizers does: Rust's char::is_whitespace / char::is_numeric / char::to_lowercase, the Rust
// regex `\w`, and normalization with Unicode 9.0 data (its unicode-normalization-alignments
// crate). Tables measured through HF (rust_char_tables.inc); normalization by ICU.
#pragma once

#include <string>
#include <string_view>

namespace dsi::tokenizer {

// Rust char::is_whitespace: the Unicode White_Space property (25 code points).
bool IsWhitespace(char32_t c);
// Rust char::is_numeric (general category N).
bool IsNumeric(char32_t c);
// Rust regex `\w` (Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control).
bool IsWordChar(char32_t c);
// The combining marks HF's StripAccents removes (general category M as of Unicode 9.0).
bool IsHfCombiningMark(char32_t c);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

// Appends the normalization of valid UTF-8 `in` to `out`, with Unicode 9.0 data as HF: later
// characters pass through unchanged (see [NOTE: unicode 9 normalization] in unicode.cpp).
void AppendNormalized(NormalForm form, std::string_view in, std::string& out);
// Appends Rust's char::to_lowercase of each character (full mappings, no context rules).
void AppendLowercase(std::string_view in, std::string& out);

}  // namespace dsi::tokenizer
