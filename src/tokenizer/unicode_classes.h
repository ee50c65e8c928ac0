// The class table generated from Oniguruma (unicode_extras.inc): for each class name, the PCRE2
// expression and the characters Oniguruma's newer Unicode tables add to it. Used by the regex
// translator (see [NOTE: unicode extras] in regex.cpp).
#pragma once

#include <string_view>

namespace dsi::tokenizer {

struct UnicodeClassRow {
  const char* name;   // as in \p{name}; "d" / "w" for \d / \w
  const char* base;   // PCRE2 class items
  const char* extra;  // PCRE2 class items Oniguruma also matches
};

// The row for a class name (case, spaces, '_' and '-' ignored; long category names accepted),
// or nullptr.
const UnicodeClassRow* FindUnicodeClassRow(std::string_view name);

}  // namespace dsi::tokenizer
