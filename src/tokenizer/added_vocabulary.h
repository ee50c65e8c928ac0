// tokenizer.json "added_tokens": tokens matched in the text before anything else (leftmost-
// longest, as HF's Aho-Corasick automaton), honouring single_word / lstrip / rstrip, with
// non-normalized tokens matched on the raw text and normalized ones on the normalized text.
// Ids are assigned the way HF's AddedVocabulary does, not read from the "id" field.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/json_util.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"

namespace dsi::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
  // The string Decode uses: the normalized content for normalized tokens (HF 0.23
  // simple_id_to_token returns its normalized_cache), else the content.
  std::string decode_form;
};

// Byte trie over token contents: non-overlapping leftmost-longest matches.
class TokenTrie {
 public:
  struct Match {
    uint32_t start;
    uint32_t end;
    int32_t value;
  };
  void Add(std::string_view pattern, int32_t value);
  void FindAll(std::string_view s, std::vector<Match>& out) const;
  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> children;  // sorted by byte
    int32_t value = -1;
  };
  int32_t Child(int32_t node, unsigned char b) const;
  std::vector<Node> nodes_ = std::vector<Node>(1);
  std::array<bool, 256> first_byte_{};
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the contents of normalized tokens for matching.
  static Result<AddedVocabulary> Parse(const Json& list, const std::string& path,
                                       const BpeModel& model, const Normalizer* normalizer);

  // Extracts non-normalized tokens from the text pieces of `list` (before normalization).
  void SplitRaw(PieceList& list, bool split_special_tokens) const;
  // Extracts normalized tokens (after normalization).
  void SplitNormalized(PieceList& list, bool split_special_tokens) const;

  std::optional<int32_t> TokenToId(std::string_view content) const;
  const AddedToken* FindById(int32_t id) const;
  bool IsSpecialContent(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  void AddToTrie(AddedToken& t, int32_t index, const Normalizer* normalizer);
  void Split(PieceList& list, const TokenTrie& trie, bool split_special_tokens) const;

  std::vector<AddedToken> tokens_;  // one per distinct content, in file order
  TokenIdMap content_to_index_;
  std::vector<int32_t> id_to_index_;  // id -> index in tokens_, -1 if not an added token
  std::unordered_set<std::string, StringHash, std::equal_to<>> special_contents_;
  TokenTrie raw_trie_;
  TokenTrie normalized_trie_;
};

}  // namespace dsi::tokenizer
