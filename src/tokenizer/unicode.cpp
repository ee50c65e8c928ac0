// Character predicates (generated tables) and ICU normalization (see unicode.h).
#include "tokenizer/unicode.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uniset.h>

#include <algorithm>
#include <iterator>

#include "core/logging.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

struct CodePointRange {
  char32_t lo, hi;
};
struct LowercaseEntry {
  char32_t cp;
  const char* lower;  // UTF-8
};
#include "tokenizer/rust_char_tables.inc"

template <size_t N>
bool InRanges(const CodePointRange (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t x, const CodePointRange& r) { return x < r.lo; });
  return it != std::begin(table) && c <= std::prev(it)->hi;
}

// [NOTE: unicode 9 normalization] HF tokenizers normalizes with the unicode-normalization-
// alignments crate, whose tables are Unicode 9.0: characters assigned later are neither
// decomposed nor composed (they behave as unknown starters). ICU's FilteredNormalizer2 limited
// to [:age=9.0:] does exactly that; normalization.json checks it against HF.
const icu::UnicodeSet& Unicode9Set() {
  static const icu::UnicodeSet* set = [] {
    UErrorCode status = U_ZERO_ERROR;
    auto* s = new icu::UnicodeSet(icu::UnicodeString(u"[:age=9.0:]"), status);
    DSI_CHECK(U_SUCCESS(status)) << "ICU: cannot build [:age=9.0:]: " << u_errorName(status);
    s->freeze();
    return s;
  }();
  return *set;
}

const icu::Normalizer2* Base(NormalForm form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  switch (form) {
    case NormalForm::kNfc: n = icu::Normalizer2::getNFCInstance(status); break;
    case NormalForm::kNfd: n = icu::Normalizer2::getNFDInstance(status); break;
    case NormalForm::kNfkc: n = icu::Normalizer2::getNFKCInstance(status); break;
    case NormalForm::kNfkd: n = icu::Normalizer2::getNFKDInstance(status); break;
  }
  DSI_CHECK(U_SUCCESS(status) && n != nullptr) << "ICU normalizer data missing: " << u_errorName(status);
  return n;
}

const icu::Normalizer2* Instance(NormalForm form) {
  static const icu::FilteredNormalizer2* instances[4] = {
      new icu::FilteredNormalizer2(*Base(NormalForm::kNfc), Unicode9Set()),
      new icu::FilteredNormalizer2(*Base(NormalForm::kNfd), Unicode9Set()),
      new icu::FilteredNormalizer2(*Base(NormalForm::kNfkc), Unicode9Set()),
      new icu::FilteredNormalizer2(*Base(NormalForm::kNfkd), Unicode9Set())};
  return instances[static_cast<int>(form)];
}

bool IsAscii(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  }
  return true;
}

}  // namespace

bool IsWhitespace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool IsNumeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return InRanges(kRustNumeric, c);
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  return InRanges(kRustWord, c);
}

bool IsHfCombiningMark(char32_t c) { return c >= 0x300 && InRanges(kHfCombiningMarks, c); }

void AppendNormalized(NormalForm form, std::string_view in, std::string& out) {
  if (IsAscii(in)) {  // ASCII is invariant under all four forms
    out.append(in);
    return;
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::StringByteSink<std::string> sink(&out);
  Instance(form)->normalizeUTF8(0, icu::StringPiece(in.data(), static_cast<int32_t>(in.size())),
                                sink, nullptr, status);
  DSI_CHECK(U_SUCCESS(status)) << "ICU normalizeUTF8 failed: " << u_errorName(status);
}

void AppendLowercase(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b));
      ++i;
      continue;
    }
    size_t len = 0;
    const char32_t c = DecodeUtf8(in.data() + i, &len);
    auto it = std::lower_bound(std::begin(kRustLowercase), std::end(kRustLowercase), c,
                               [](const LowercaseEntry& e, char32_t x) { return e.cp < x; });
    if (it != std::end(kRustLowercase) && it->cp == c) {
      out += it->lower;
    } else {
      out.append(in.substr(i, len));
    }
    i += len;
  }
}

}  // namespace dsi::tokenizer
