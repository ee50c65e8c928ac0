// Lookup in the generated Oniguruma class table (see unicode_classes.h).
#include "tokenizer/unicode_classes.h"

#include <cctype>
#include <string>
#include <utility>

namespace dsi::tokenizer {
namespace {

#include "tokenizer/unicode_extras.inc"

std::string NormalizeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

const UnicodeClassRow* FindUnicodeClassRow(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"letter", "L"}, {"uppercaseletter", "Lu"}, {"lowercaseletter", "Ll"},
      {"titlecaseletter", "Lt"}, {"modifierletter", "Lm"}, {"otherletter", "Lo"},
      {"mark", "M"}, {"combiningmark", "M"}, {"nonspacingmark", "Mn"}, {"spacingmark", "Mc"},
      {"enclosingmark", "Me"}, {"number", "N"}, {"decimalnumber", "Nd"}, {"letternumber", "Nl"},
      {"othernumber", "No"}, {"punctuation", "P"}, {"connectorpunctuation", "Pc"},
      {"dashpunctuation", "Pd"}, {"openpunctuation", "Ps"}, {"closepunctuation", "Pe"},
      {"initialpunctuation", "Pi"}, {"finalpunctuation", "Pf"}, {"otherpunctuation", "Po"},
      {"symbol", "S"}, {"mathsymbol", "Sm"}, {"currencysymbol", "Sc"}, {"modifiersymbol", "Sk"},
      {"othersymbol", "So"}, {"separator", "Z"}, {"spaceseparator", "Zs"},
      {"lineseparator", "Zl"}, {"paragraphseparator", "Zp"}, {"format", "Cf"}};
  std::string key = NormalizeName(name);
  for (const auto& [alias, canonical] : kAliases) {
    if (key == alias) key = NormalizeName(canonical);
  }
  for (const UnicodeClassRow& row : kUnicodeClassRows) {
    if (NormalizeName(row.name) == key) return &row;
  }
  return nullptr;
}

}  // namespace dsi::tokenizer
