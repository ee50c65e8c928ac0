// Normalizers of tokenizer.json (see normalizer.h).
#include "tokenizer/normalizer.h"

#include <vector>

#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  void Normalize(std::string_view in, std::string& out) const override {
    std::string cur(in), next;
    for (const auto& step : steps_) {
      next.clear();
      step->Normalize(cur, next);
      cur.swap(next);
    }
    out += cur;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  void Normalize(std::string_view in, std::string& out) const override {
    AppendNormalized(form_, in, out);
  }

 private:
  NormalForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void Normalize(std::string_view in, std::string& out) const override { AppendLowercase(in, out); }
};

// Removes leading / trailing whitespace (Rust char::is_whitespace).
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void Normalize(std::string_view in, std::string& out) const override {
    size_t begin = 0, end = in.size();
    if (left_) {
      while (begin < end) {
        size_t len = 0;
        if (!IsWhitespace(DecodeUtf8(in.data() + begin, &len))) break;
        begin += len;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(in[start]) & 0xC0) == 0x80) --start;
        size_t len = 0;
        if (!IsWhitespace(DecodeUtf8(in.data() + start, &len))) break;
        end = start;
      }
    }
    out.append(in.substr(begin, end - begin));
  }

 private:
  bool left_, right_;
};

// Drops combining marks (general category M).
class StripAccentsNormalizer : public Normalizer {
 public:
  void Normalize(std::string_view in, std::string& out) const override {
    size_t i = 0;
    while (i < in.size()) {
      size_t len = 0;
      const char32_t c = DecodeUtf8(in.data() + i, &len);
      if (!IsHfCombiningMark(c)) out.append(in.substr(i, len));
      i += len;
    }
  }
};

// Replaces every match of a pattern (String or Regex) with `content`.
class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Regex pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void Normalize(std::string_view in, std::string& out) const override {
    std::vector<MatchSpan> matches;
    pattern_.FindAll(in, matches);
    size_t prev = 0;
    for (const MatchSpan& m : matches) {
      out.append(in.substr(prev, m.start - prev));
      out += content_;
      prev = m.end;
    }
    out.append(in.substr(prev));
  }

 private:
  Regex pattern_;
  std::string content_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void Normalize(std::string_view in, std::string& out) const override {
    if (!in.empty()) out += prefix_;
    out.append(in);
  }

 private:
  std::string prefix_;
};

}  // namespace

Result<std::unique_ptr<Normalizer>> ParseNormalizer(const Json& spec, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const std::string type, ComponentType(spec, path));
  if (type == "Sequence") {
    DSI_ASSIGN_OR_RETURN(const Json* list, GetArray(spec, "normalizers", path));
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      DSI_ASSIGN_OR_RETURN(auto step,
                           ParseNormalizer((*list)[i], IndexPath(JoinPath(path, "normalizers"), i)));
      if (step) steps.push_back(std::move(step));
    }
    if (steps.empty()) return std::unique_ptr<Normalizer>();
    if (steps.size() == 1) return std::move(steps[0]);
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(steps)));
  }
  if (type == "NFC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfd));
  if (type == "NFKC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfkc));
  if (type == "NFKD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(NormalForm::kNfkd));
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(new LowercaseNormalizer());
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(new StripAccentsNormalizer());
  if (type == "Strip") {
    DSI_ASSIGN_OR_RETURN(const bool left, GetBoolOr(spec, "strip_left", path, true));
    DSI_ASSIGN_OR_RETURN(const bool right, GetBoolOr(spec, "strip_right", path, true));
    return std::unique_ptr<Normalizer>(new StripNormalizer(left, right));
  }
  if (type == "Replace") {
    DSI_ASSIGN_OR_RETURN(const Json* pattern, RequiredMember(spec, "pattern", path));
    DSI_ASSIGN_OR_RETURN(Regex regex, ParsePattern(*pattern, JoinPath(path, "pattern")));
    DSI_ASSIGN_OR_RETURN(std::string content, GetString(spec, "content", path));
    return std::unique_ptr<Normalizer>(new ReplaceNormalizer(std::move(regex), std::move(content)));
  }
  if (type == "Prepend") {
    DSI_ASSIGN_OR_RETURN(std::string prefix, GetString(spec, "prepend", path));
    return std::unique_ptr<Normalizer>(new PrependNormalizer(std::move(prefix)));
  }
  return Unsupported(JoinPath(path, "type") + ": normalizer '" + type +
                     "' is not supported (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, "
                     "Strip, StripAccents, Replace, Prepend)");
}

}  // namespace dsi::tokenizer
