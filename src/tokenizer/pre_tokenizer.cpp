// Pre-tokenizers of tokenizer.json (see pre_tokenizer.h).
#include "tokenizer/pre_tokenizer.h"

#include <algorithm>

#include "tokenizer/byte_level.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

// A stretch of a piece that a pattern matched (is_match) or the gap between two matches.
struct Segment {
  uint32_t start;
  uint32_t end;
  bool is_match;
};

// HF NormalizedString::split: turns matched / unmatched segments covering one piece into the
// new pieces according to `behavior`; empty pieces are dropped (PreTokenizedString::split).
void EmitSplits(const Piece& piece, std::vector<Segment>& segs, SplitBehavior behavior,
                bool invert, std::vector<Piece>& out) {
  if (invert) {
    for (Segment& s : segs) s.is_match = !s.is_match;
  }
  // Each kept entry is {start, end, remove}.
  thread_local std::vector<Segment> kept;
  kept.clear();
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const Segment& s : segs) kept.push_back({s.start, s.end, false});
      break;
    case SplitBehavior::kRemoved:
      for (const Segment& s : segs) kept.push_back({s.start, s.end, s.is_match});
      break;
    case SplitBehavior::kContiguous:
      for (const Segment& s : segs) {
        if (s.is_match == previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Segment& s : segs) {
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty()) {
          kept.back().start = it->start;
        } else {
          kept.push_back({it->start, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  for (const Segment& k : kept) {
    if (k.is_match /* remove */ || k.start == k.end) continue;
    out.push_back({piece.begin + k.start, piece.begin + k.end, -1});
  }
}

// Regex matches -> alternating segments covering [0, len).
void SegmentsFromMatches(const std::vector<MatchSpan>& matches, uint32_t len,
                         std::vector<Segment>& segs) {
  segs.clear();
  uint32_t prev = 0;
  for (const MatchSpan& m : matches) {
    if (prev != m.start) segs.push_back({prev, m.start, false});
    segs.push_back({m.start, m.end, true});
    prev = m.end;
  }
  if (prev != len) segs.push_back({prev, len, false});
}

// HF's Pattern for Fn(char) -> bool: every matching character is its own match.
template <typename Pred>
void SegmentsFromPredicate(std::string_view s, Pred pred, std::vector<Segment>& segs) {
  segs.clear();
  uint32_t last = 0, i = 0;
  while (i < s.size()) {
    size_t len = 0;
    const char32_t c = DecodeUtf8(s.data() + i, &len);
    if (pred(c)) {
      if (last < i) segs.push_back({last, i, false});
      segs.push_back({i, static_cast<uint32_t>(i + len), true});
      last = static_cast<uint32_t>(i + len);
    }
    i += static_cast<uint32_t>(len);
  }
  if (i > last) segs.push_back({last, i, false});
}

// Runs `split_one(piece, out)` over every text piece, keeping added tokens as they are.
template <typename Fn>
void ForEachTextPiece(PieceList& list, Fn split_one) {
  list.MaterializeByteLevel();
  std::vector<Piece>& out = list.scratch;
  out.clear();
  out.reserve(list.pieces.size() * 2);
  for (const Piece& p : list.pieces) {
    if (p.added_id >= 0) {
      out.push_back(p);
    } else {
      split_one(p, out);
    }
  }
  list.pieces.swap(out);
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void PreTokenize(PieceList& list) const override {
    for (const auto& step : steps_) step->PreTokenize(list);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(Regex regex, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  void PreTokenize(PieceList& list) const override {
    thread_local std::vector<MatchSpan> matches;
    thread_local std::vector<Segment> segs;
    ForEachTextPiece(list, [&](const Piece& p, std::vector<Piece>& out) {
      matches.clear();
      const std::string_view s = list.View(p);
      regex_.FindAll(s, matches);
      SegmentsFromMatches(matches, static_cast<uint32_t>(s.size()), segs);
      EmitSplits(p, segs, behavior_, invert_, out);
    });
  }

 private:
  Regex regex_;
  SplitBehavior behavior_;
  bool invert_;
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void PreTokenize(PieceList& list) const override {
    thread_local std::vector<Segment> segs;
    ForEachTextPiece(list, [&](const Piece& p, std::vector<Piece>& out) {
      SegmentsFromPredicate(list.View(p), IsNumeric, segs);
      EmitSplits(p, segs, individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous,
                 /*invert=*/false, out);
    });
  }

 private:
  bool individual_;
};

class WhitespaceSplitPreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(PieceList& list) const override {
    thread_local std::vector<Segment> segs;
    ForEachTextPiece(list, [&](const Piece& p, std::vector<Piece>& out) {
      SegmentsFromPredicate(list.View(p), IsWhitespace, segs);
      EmitSplits(p, segs, SplitBehavior::kRemoved, /*invert=*/false, out);
    });
  }
};

// HF Whitespace: the runs matched by Rust regex `\w+|[^\w\s]+`; whitespace is dropped.
class WhitespacePreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(PieceList& list) const override {
    ForEachTextPiece(list, [&](const Piece& p, std::vector<Piece>& out) {
      const std::string_view s = list.View(p);
      uint32_t i = 0, run_start = 0;
      int run_kind = 0;  // 0 none, 1 word, 2 other non-space
      auto flush = [&](uint32_t at) {
        if (run_kind != 0 && at > run_start) out.push_back({p.begin + run_start, p.begin + at, -1});
      };
      while (i < s.size()) {
        size_t len = 0;
        const char32_t c = DecodeUtf8(s.data() + i, &len);
        const int kind = IsWordChar(c) ? 1 : IsWhitespace(c) ? 0 : 2;
        if (kind != run_kind) {
          flush(i);
          run_kind = kind;
          run_start = i;
        }
        i += static_cast<uint32_t>(len);
      }
      flush(i);
    });
  }
};

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::unique_ptr<SplitPreTokenizer> gpt2_split)
      : add_prefix_space_(add_prefix_space), gpt2_split_(std::move(gpt2_split)) {}

  void PreTokenize(PieceList& list) const override {
    list.MaterializeByteLevel();  // a second ByteLevel maps the mapped text again, as HF does
    if (add_prefix_space_) AddPrefixSpaces(list);
    if (gpt2_split_) gpt2_split_->PreTokenize(list);
    list.byte_level = true;
  }

 private:
  // Prepends ' ' to every text piece that does not start with one.
  static void AddPrefixSpaces(PieceList& list) {
    bool needed = false;
    for (const Piece& p : list.pieces) {
      if (p.added_id < 0 && list.text[p.begin] != ' ') needed = true;
    }
    if (!needed) return;
    std::string text;
    text.reserve(list.text.size() + list.pieces.size());
    for (Piece& p : list.pieces) {
      const std::string_view v = list.View(p);
      const auto begin = static_cast<uint32_t>(text.size());
      if (p.added_id < 0 && v[0] != ' ') text.push_back(' ');
      text.append(v);
      p.begin = begin;
      p.end = static_cast<uint32_t>(text.size());
    }
    list.text.swap(text);
  }

  bool add_prefix_space_;
  std::unique_ptr<SplitPreTokenizer> gpt2_split_;
};

Result<SplitBehavior> ParseBehavior(const Json& spec, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const std::string b, GetString(spec, "behavior", path));
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  return InvalidArgument(JoinPath(path, "behavior") + ": unknown split behavior '" + b +
                         "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or "
                         "Contiguous)");
}

}  // namespace

void PieceList::MaterializeByteLevel() {
  if (!byte_level) return;
  const ByteLevelTable& table = ByteLevelTable::Get();
  std::string mapped;
  mapped.reserve(text.size() * 2);
  for (Piece& p : pieces) {
    const auto begin = static_cast<uint32_t>(mapped.size());
    if (p.added_id < 0) {
      table.Encode(View(p), mapped);
    } else {
      mapped.append(View(p));
    }
    p.begin = begin;
    p.end = static_cast<uint32_t>(mapped.size());
  }
  text.swap(mapped);
  byte_level = false;
}

Result<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const Json& spec, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const std::string type, ComponentType(spec, path));
  if (type == "Sequence") {
    DSI_ASSIGN_OR_RETURN(const Json* list, GetArray(spec, "pretokenizers", path));
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      DSI_ASSIGN_OR_RETURN(
          auto step, ParsePreTokenizer((*list)[i], IndexPath(JoinPath(path, "pretokenizers"), i)));
      steps.push_back(std::move(step));
    }
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(steps)));
  }
  if (type == "Split") {
    DSI_ASSIGN_OR_RETURN(const Json* pattern, RequiredMember(spec, "pattern", path));
    DSI_ASSIGN_OR_RETURN(Regex regex, ParsePattern(*pattern, JoinPath(path, "pattern")));
    DSI_ASSIGN_OR_RETURN(const SplitBehavior behavior, ParseBehavior(spec, path));
    DSI_ASSIGN_OR_RETURN(const bool invert, GetBoolOr(spec, "invert", path, false));
    return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(regex), behavior, invert));
  }
  if (type == "ByteLevel") {
    DSI_ASSIGN_OR_RETURN(const bool add_prefix_space, GetBoolOr(spec, "add_prefix_space", path, true));
    DSI_ASSIGN_OR_RETURN(const bool use_regex, GetBoolOr(spec, "use_regex", path, true));
    DSI_ASSIGN_OR_RETURN(const bool trim_offsets, GetBoolOr(spec, "trim_offsets", path, true));
    (void)trim_offsets;  // only affects offsets, which this tokenizer does not report
    std::unique_ptr<SplitPreTokenizer> split;
    if (use_regex) {
      DSI_ASSIGN_OR_RETURN(Regex regex, Regex::FromOniguruma(kGpt2Pattern));
      split = std::make_unique<SplitPreTokenizer>(std::move(regex), SplitBehavior::kIsolated, false);
    }
    return std::unique_ptr<PreTokenizer>(new ByteLevelPreTokenizer(add_prefix_space, std::move(split)));
  }
  if (type == "Digits") {
    DSI_ASSIGN_OR_RETURN(const bool individual, GetBoolOr(spec, "individual_digits", path, false));
    return std::unique_ptr<PreTokenizer>(new DigitsPreTokenizer(individual));
  }
  if (type == "WhitespaceSplit") return std::unique_ptr<PreTokenizer>(new WhitespaceSplitPreTokenizer());
  if (type == "Whitespace") return std::unique_ptr<PreTokenizer>(new WhitespacePreTokenizer());
  return Unsupported(JoinPath(path, "type") + ": pre-tokenizer '" + type +
                     "' is not supported (supported: Sequence, Split, ByteLevel, Digits, "
                     "Whitespace, WhitespaceSplit)");
}

}  // namespace dsi::tokenizer
