// Added-token matching and id assignment (see added_vocabulary.h).
#include "tokenizer/added_vocabulary.h"

#include <algorithm>

#include "core/logging.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {

int32_t TokenTrie::Child(int32_t node, unsigned char b) const {
  const auto& ch = nodes_[node].children;
  auto it = std::lower_bound(ch.begin(), ch.end(), b,
                             [](const auto& p, unsigned char x) { return p.first < x; });
  return (it != ch.end() && it->first == b) ? it->second : -1;
}

void TokenTrie::Add(std::string_view pattern, int32_t value) {
  if (pattern.empty()) return;
  int32_t node = 0;
  for (char c : pattern) {
    const auto b = static_cast<unsigned char>(c);
    int32_t next = Child(node, b);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& ch = nodes_[node].children;
      ch.insert(std::lower_bound(ch.begin(), ch.end(), b,
                                 [](const auto& p, unsigned char x) { return p.first < x; }),
                {b, next});
    }
    node = next;
  }
  if (nodes_[node].value < 0) nodes_[node].value = value;  // first pattern wins on duplicates
  first_byte_[static_cast<unsigned char>(pattern[0])] = true;
}

void TokenTrie::FindAll(std::string_view s, std::vector<Match>& out) const {
  if (empty()) return;
  size_t i = 0;
  while (i < s.size()) {
    if (!first_byte_[static_cast<unsigned char>(s[i])]) {
      ++i;
      continue;
    }
    int32_t node = 0, best_value = -1;
    size_t best_end = 0;
    for (size_t j = i; j < s.size(); ++j) {
      node = Child(node, static_cast<unsigned char>(s[j]));
      if (node < 0) break;
      if (nodes_[node].value >= 0) {
        best_value = nodes_[node].value;
        best_end = j + 1;
      }
    }
    if (best_value >= 0) {
      out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(best_end), best_value});
      i = best_end;
    } else {
      ++i;
    }
  }
}

namespace {

Result<AddedToken> ParseAddedToken(const Json& j, const std::string& path) {
  if (!j.is_object()) return WrongType(path, "an object", j);
  AddedToken t;
  DSI_ASSIGN_OR_RETURN(t.content, GetString(j, "content", path));
  DSI_ASSIGN_OR_RETURN(const int64_t id, GetIntOr(j, "id", path, -1));
  t.id = static_cast<int32_t>(id);
  DSI_ASSIGN_OR_RETURN(t.special, GetBoolOr(j, "special", path, false));
  DSI_ASSIGN_OR_RETURN(t.single_word, GetBoolOr(j, "single_word", path, false));
  DSI_ASSIGN_OR_RETURN(t.lstrip, GetBoolOr(j, "lstrip", path, false));
  DSI_ASSIGN_OR_RETURN(t.rstrip, GetBoolOr(j, "rstrip", path, false));
  DSI_ASSIGN_OR_RETURN(t.normalized, GetBoolOr(j, "normalized", path, !t.special));
  return t;
}

// Character before position `at` / at position `at` of valid UTF-8 `s`.
char32_t CharBefore(std::string_view s, size_t at) {
  size_t start = at - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  size_t len = 0;
  return DecodeUtf8(s.data() + start, &len);
}

// Start of the whitespace run that ends at `at` (HF: regex \s*$ on s[..at]).
size_t TrailingSpaceStart(std::string_view s, size_t at) {
  while (at > 0) {
    size_t start = at - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t len = 0;
    if (!IsWhitespace(DecodeUtf8(s.data() + start, &len))) break;
    at = start;
  }
  return at;
}

// Length of the whitespace run that starts at `at` (HF: regex ^\s* on s[at..]).
size_t LeadingSpaceLength(std::string_view s, size_t at) {
  size_t i = at;
  while (i < s.size()) {
    size_t len = 0;
    if (!IsWhitespace(DecodeUtf8(s.data() + i, &len))) break;
    i += len;
  }
  return i - at;
}

}  // namespace

Result<AddedVocabulary> AddedVocabulary::Parse(const Json& list, const std::string& path,
                                               const BpeModel& model,
                                               const Normalizer* normalizer) {
  if (!list.is_array()) return WrongType(path, "an array", list);
  AddedVocabulary v;
  int32_t max_added_id = -1;
  const auto vocab_count = static_cast<int32_t>(model.vocab_count());
  for (size_t i = 0; i < list.size(); ++i) {
    DSI_ASSIGN_OR_RETURN(AddedToken t, ParseAddedToken(list[i], IndexPath(path, i)));
    if (t.content.empty()) continue;
    if (t.special) v.special_contents_.insert(t.content);
    // HF AddedVocabulary::add_tokens: an existing token keeps its id; a new one gets the next id.
    int32_t id;
    if (auto it = v.content_to_index_.find(t.content); it != v.content_to_index_.end()) {
      id = v.tokens_[it->second].id;
    } else if (auto mid = model.TokenToId(t.content)) {
      id = *mid;
    } else if (max_added_id < 0) {
      id = vocab_count;
    } else {
      id = (max_added_id >= vocab_count || vocab_count == 0) ? max_added_id + 1 : vocab_count;
    }
    if (t.id >= 0 && t.id != id) {
      DSI_LOG(Warning) << path << ": token '" << t.content << "' has id " << t.id
                       << " in the file but gets id " << id << " (as in HF tokenizers)";
    }
    t.id = id;
    max_added_id = std::max(max_added_id, id);
    if (auto it = v.content_to_index_.find(t.content); it != v.content_to_index_.end()) {
      v.tokens_[it->second] = t;  // a repeated token: the last flags win
    } else {
      v.content_to_index_.emplace(t.content, static_cast<int32_t>(v.tokens_.size()));
      v.tokens_.push_back(t);
    }
  }
  int32_t max_id = -1;
  for (const AddedToken& t : v.tokens_) max_id = std::max(max_id, t.id);
  v.id_to_index_.assign(static_cast<size_t>(max_id + 1), -1);
  for (size_t k = 0; k < v.tokens_.size(); ++k) v.id_to_index_[v.tokens_[k].id] = static_cast<int32_t>(k);
  // HF builds its automata from the special tokens first, then the others; with equal patterns
  // the first one wins.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t k = 0; k < v.tokens_.size(); ++k) {
      AddedToken& t = v.tokens_[k];
      if (t.special != (pass == 0)) continue;
      v.AddToTrie(t, static_cast<int32_t>(k), normalizer);
    }
  }
  return v;
}

void AddedVocabulary::AddToTrie(AddedToken& t, int32_t index, const Normalizer* normalizer) {
  t.decode_form = t.content;
  if (!t.normalized) {
    raw_trie_.Add(t.content, index);
    return;
  }
  if (normalizer != nullptr) {
    t.decode_form.clear();
    normalizer->Normalize(t.content, t.decode_form);
  }
  normalized_trie_.Add(t.decode_form, index);
}

std::optional<int32_t> AddedVocabulary::TokenToId(std::string_view content) const {
  auto it = content_to_index_.find(content);
  if (it == content_to_index_.end()) return std::nullopt;
  return tokens_[it->second].id;
}

const AddedToken* AddedVocabulary::FindById(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_index_.size() || id_to_index_[id] < 0) {
    return nullptr;
  }
  return &tokens_[id_to_index_[id]];
}

bool AddedVocabulary::IsSpecialContent(std::string_view content) const {
  return special_contents_.find(content) != special_contents_.end();
}

void AddedVocabulary::SplitRaw(PieceList& list, bool split_special_tokens) const {
  if (!raw_trie_.empty()) Split(list, raw_trie_, split_special_tokens);
}

void AddedVocabulary::SplitNormalized(PieceList& list, bool split_special_tokens) const {
  if (!normalized_trie_.empty()) Split(list, normalized_trie_, split_special_tokens);
}

// HF AddedVocabulary::find_matches, applied to each text piece.
void AddedVocabulary::Split(PieceList& list, const TokenTrie& trie,
                            bool split_special_tokens) const {
  thread_local std::vector<TokenTrie::Match> matches;
  std::vector<Piece>& out = list.scratch;
  out.clear();
  for (const Piece& p : list.pieces) {
    if (p.added_id >= 0) {
      out.push_back(p);
      continue;
    }
    const std::string_view s = list.View(p);
    matches.clear();
    trie.FindAll(s, matches);
    size_t start_offset = 0;
    for (const TokenTrie::Match& m : matches) {
      const AddedToken& t = tokens_[m.value];
      if (split_special_tokens && t.special) continue;
      size_t start = m.start, stop = m.end;
      if (t.single_word) {
        const bool start_space = start == 0 || !IsWordChar(CharBefore(s, start));
        size_t len = 0;
        const bool stop_space =
            stop == s.size() || !IsWordChar(DecodeUtf8(s.data() + stop, &len));
        if (!start_space || !stop_space) continue;
      }
      if (t.lstrip) start = std::max(TrailingSpaceStart(s, start), start_offset);
      if (t.rstrip) stop += LeadingSpaceLength(s, stop);
      if (start_offset < start) out.push_back({p.begin + static_cast<uint32_t>(start_offset),
                                               p.begin + static_cast<uint32_t>(start), -1});
      out.push_back({p.begin + static_cast<uint32_t>(start), p.begin + static_cast<uint32_t>(stop),
                     t.id});
      start_offset = stop;
    }
    if (start_offset < s.size()) {
      out.push_back({p.begin + static_cast<uint32_t>(start_offset), p.end, -1});
    }
  }
  list.pieces.swap(out);
}

}  // namespace dsi::tokenizer
