// The GPT-2 byte <-> printable-character map that ByteLevel pre-tokenizers and decoders use:
// bytes 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF map to the same code point, the other 68 bytes to
// U+0100 + n in increasing byte order (space -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace dsi::tokenizer {

class ByteLevelTable {
 public:
  static const ByteLevelTable& Get();

  // UTF-8 of the character byte `b` maps to (2 bytes at most).
  std::string_view CharOf(unsigned char b) const { return {chars_[b].data(), lengths_[b]}; }
  // Byte that code point `c` stands for, or -1 if `c` is not in the alphabet.
  int ByteOf(char32_t c) const { return c < byte_of_.size() ? byte_of_[c] : -1; }

  // Appends the byte-level form of `raw` (each byte -> its character).
  void Encode(std::string_view raw, std::string& out) const;
  // If every character of `token` is in the alphabet, appends the bytes they stand for and
  // returns true; otherwise appends nothing and returns false (HF then uses the raw UTF-8).
  bool Decode(std::string_view token, std::string& out) const;

 private:
  ByteLevelTable();
  std::array<std::array<char, 2>, 256> chars_{};
  std::array<unsigned char, 256> lengths_{};
  std::array<short, 0x144> byte_of_{};  // U+0000..U+0143
};

}  // namespace dsi::tokenizer
