// tokenizer.json "pre_tokenizer": Sequence, Split (String/Regex pattern, every behavior, invert),
// ByteLevel (add_prefix_space, use_regex), Digits, Whitespace, WhitespaceSplit — with HF's
// splitting rules (tokenizers/src/tokenizer/normalizer.rs `split`). Pieces are spans of one text
// buffer; added tokens found earlier are pieces that no step touches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/json_util.h"

namespace dsi::tokenizer {

// A span [begin, end) of PieceList::text, or an added token (added_id >= 0).
struct Piece {
  uint32_t begin = 0;
  uint32_t end = 0;
  int32_t added_id = -1;
};

struct PieceList {
  std::string text;
  std::vector<Piece> pieces;
  // Set by a ByteLevel step: the pieces still hold raw UTF-8 and the model maps each byte to the
  // byte-level alphabet itself (saves building the mapped string; see BpeModel::Tokenize).
  bool byte_level = false;
  std::vector<Piece> scratch;  // output buffer reused by the steps

  std::string_view View(const Piece& p) const {
    return std::string_view(text).substr(p.begin, p.end - p.begin);
  }
  // If byte_level is set, rewrites the text pieces into the byte-level alphabet and clears it
  // (needed when another step follows a ByteLevel step).
  void MaterializeByteLevel();
  void Reset() {
    text.clear();
    pieces.clear();
    byte_level = false;
  }
};

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void PreTokenize(PieceList& list) const = 0;
};

Result<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const Json& spec, const std::string& path);

}  // namespace dsi::tokenizer
