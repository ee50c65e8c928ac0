// The tokenizer.json "model" of type BPE: vocabulary, ranked merges (both "a b" and ["a","b"]
// forms), ignore_merges, byte_fallback, unk_token/fuse_unk, continuing_subword_prefix and
// end_of_word_suffix — merged exactly as HF tokenizers' word.rs does (lowest rank first, then
// leftmost), with a word cache shared by all threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "tokenizer/json_util.h"

namespace dsi::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  static Result<std::unique_ptr<BpeModel>> Parse(const Json& spec, const std::string& path);
  ~BpeModel();

  // Appends the ids of one pre-token. With `byte_level`, `word` holds raw bytes standing for
  // their ByteLevel characters (see PieceList::byte_level).
  void Tokenize(std::string_view word, bool byte_level, std::vector<int32_t>& out) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // nullptr if no token has this id.
  const std::string* IdToToken(int32_t id) const;
  // Number of vocabulary entries (HF Model::get_vocab_size).
  size_t vocab_count() const { return vocab_.size(); }
  int32_t max_id() const { return static_cast<int32_t>(id_to_token_.size()) - 1; }

 private:
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  class MergeTable;
  class WordCache;

  BpeModel();
  void BuildSymbols(std::string_view word, std::vector<Symbol>& syms) const;
  void MergeAll(std::vector<Symbol>& syms) const;

  TokenIdMap vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  std::unique_ptr<MergeTable> merges_;
  std::array<int32_t, 256> byte_ids_{};  // vocab id of each byte's ByteLevel character, or -1
  bool simple_byte_path_ = false;        // no prefix/suffix: byte-level words can use byte_ids_
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  std::unique_ptr<WordCache> cache_;
  mutable std::atomic<int> cache_mode_{-1};  // byte_level of the words cached, -1 before any
};

}  // namespace dsi::tokenizer
