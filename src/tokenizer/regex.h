// Regexes of tokenizer.json run through PCRE2 (JIT, UTF, UCP) with the semantics HF tokenizers
// gets from Oniguruma: the pattern is translated (unicode classes, \s, \h, \uHHHH, {,n}, (?m)),
// and FindAll reproduces the onig crate's find_iter handling of empty matches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/json_util.h"

namespace dsi::tokenizer {

struct MatchSpan {
  uint32_t start;
  uint32_t end;
};

// Rewrites an Oniguruma (Ruby syntax) pattern into an equivalent PCRE2 pattern.
// See [NOTE: unicode extras] in regex.cpp for how the class tables are reconciled.
Result<std::string> TranslateOnigurumaPattern(std::string_view pattern);

class Regex {
 public:
  // `pattern` is Oniguruma syntax as found in tokenizer.json ("Regex" patterns).
  static Result<Regex> FromOniguruma(std::string_view pattern);
  // Matches `text` literally ("String" patterns of Split / Replace).
  static Result<Regex> FromLiteral(std::string_view text);

  // Appends all matches in `subject` (valid UTF-8) to `out`, offsets relative to subject. Like
  // onig's find_iter: after a match ending at e, an empty match at e is skipped.
  void FindAll(std::string_view subject, std::vector<MatchSpan>& out) const;

  const std::string& source() const { return source_; }
  const std::string& pcre2_pattern() const { return pcre2_pattern_; }

 private:
  struct Code;
  static Result<Regex> Compile(std::string source, std::string pcre2_pattern);

  std::shared_ptr<const Code> code_;
  std::string source_;
  std::string pcre2_pattern_;
};

// A tokenizer.json pattern object, {"String": s} or {"Regex": r} (Split, Replace).
Result<Regex> ParsePattern(const Json& spec, const std::string& path);

}  // namespace dsi::tokenizer
