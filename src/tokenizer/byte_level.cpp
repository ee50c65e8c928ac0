// GPT-2 byte-level alphabet (see byte_level.h).
#include "tokenizer/byte_level.h"

#include "tokenizer/utf8.h"

namespace dsi::tokenizer {

const ByteLevelTable& ByteLevelTable::Get() {
  static const ByteLevelTable table;
  return table;
}

ByteLevelTable::ByteLevelTable() {
  byte_of_.fill(-1);
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(0x100 + next++);
    std::string utf8;
    AppendUtf8(c, utf8);
    lengths_[b] = static_cast<unsigned char>(utf8.size());
    for (size_t k = 0; k < utf8.size(); ++k) chars_[b][k] = utf8[k];
    byte_of_[c] = static_cast<short>(b);
  }
}

void ByteLevelTable::Encode(std::string_view raw, std::string& out) const {
  for (char ch : raw) out.append(CharOf(static_cast<unsigned char>(ch)));
}

bool ByteLevelTable::Decode(std::string_view token, std::string& out) const {
  const size_t mark = out.size();
  size_t i = 0;
  while (i < token.size()) {
    const auto lead = static_cast<unsigned char>(token[i]);
    const size_t len = Utf8CharLength(lead);
    if (len > 2 || i + len > token.size()) {
      out.resize(mark);
      return false;
    }
    size_t used = 0;
    const char32_t c = DecodeUtf8(token.data() + i, &used);
    const int b = ByteOf(c);
    if (b < 0) {
      out.resize(mark);
      return false;
    }
    out.push_back(static_cast<char>(b));
    i += len;
  }
  return true;
}

}  // namespace dsi::tokenizer
