// Decoders of tokenizer.json (see decoder.h).
#include "tokenizer/decoder.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

// Byte-level characters back to bytes (tokens with other characters keep their UTF-8), then
// lossy UTF-8 decoding of the whole byte string.
class ByteLevelDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>& tokens) const override {
    const ByteLevelTable& table = ByteLevelTable::Get();
    std::string bytes;
    for (const std::string& t : tokens) {
      if (!table.Decode(t, bytes)) bytes += t;
    }
    tokens.assign(1, SanitizeUtf8(bytes));
  }
  bool IsByteLevel() const override { return true; }
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void DecodeChain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->DecodeChain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Regex pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void DecodeChain(std::vector<std::string>& tokens) const override {
    std::vector<MatchSpan> matches;
    for (std::string& t : tokens) {
      matches.clear();
      pattern_.FindAll(t, matches);
      if (matches.empty()) continue;
      std::string out;
      size_t prev = 0;
      for (const MatchSpan& m : matches) {
        out.append(t, prev, m.start - prev);
        out += content_;
        prev = m.end;
      }
      out.append(t, prev, std::string::npos);
      t.swap(out);
    }
  }

 private:
  Regex pattern_;
  std::string content_;
};

// "<0xNN>" tokens become bytes; a run of them that is not valid UTF-8 becomes one U+FFFD per byte.
class ByteFallbackDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string run;
    size_t run_len = 0;
    auto flush = [&] {
      if (run_len == 0) return;
      if (IsValidUtf8(run)) {
        out.push_back(run);
      } else {
        for (size_t k = 0; k < run_len; ++k) out.emplace_back(kReplacementChar);
      }
      run.clear();
      run_len = 0;
    };
    for (std::string& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') byte = ParseHexByte(t[3], t[4]);
      if (byte >= 0) {
        run.push_back(static_cast<char>(byte));
        ++run_len;
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens.swap(out);
  }

 private:
  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static int ParseHexByte(char hi, char lo) {
    const int h = HexValue(hi), l = HexValue(lo);
    return (h < 0 || l < 0) ? -1 : h * 16 + l;
  }
};

class FuseDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character from each token.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void DecodeChain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::vector<size_t> offsets;  // byte offset of each character, plus the end
      for (size_t i = 0; i < t.size(); i += Utf8CharLength(static_cast<unsigned char>(t[i]))) {
        offsets.push_back(i);
      }
      const size_t n = offsets.size();
      offsets.push_back(t.size());
      auto char_is_content = [&](size_t k) {
        return t.compare(offsets[k], offsets[k + 1] - offsets[k], content_) == 0;
      };
      size_t start_cut = 0;
      for (size_t k = 0; k < start_ && k < n && char_is_content(k); ++k) start_cut = k + 1;
      size_t stop_cut = n;
      for (size_t k = 0; k < stop_ && k < n && char_is_content(n - k - 1); ++k) stop_cut = n - k - 1;
      if (start_cut >= stop_cut) {
        t.clear();
      } else {
        t = t.substr(offsets[start_cut], offsets[stop_cut] - offsets[start_cut]);
      }
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

// End-of-word suffix -> space (nothing after the last token).
class BpeSuffixDecoder : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void DecodeChain(std::vector<std::string>& tokens) const override {
    if (suffix_.empty()) return;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string replacement = i + 1 == tokens.size() ? "" : " ";
      std::string out;
      size_t pos = 0, hit;
      while ((hit = tokens[i].find(suffix_, pos)) != std::string::npos) {
        out.append(tokens[i], pos, hit - pos);
        out += replacement;
        pos = hit + suffix_.size();
      }
      out.append(tokens[i], pos, std::string::npos);
      tokens[i].swap(out);
    }
  }

 private:
  std::string suffix_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> ParseDecoder(const Json& spec, const std::string& path) {
  DSI_ASSIGN_OR_RETURN(const std::string type, ComponentType(spec, path));
  if (type == "ByteLevel") return std::unique_ptr<Decoder>(new ByteLevelDecoder());
  if (type == "Sequence") {
    DSI_ASSIGN_OR_RETURN(const Json* list, GetArray(spec, "decoders", path));
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      DSI_ASSIGN_OR_RETURN(auto step,
                           ParseDecoder((*list)[i], IndexPath(JoinPath(path, "decoders"), i)));
      steps.push_back(std::move(step));
    }
    return std::unique_ptr<Decoder>(new SequenceDecoder(std::move(steps)));
  }
  if (type == "Replace") {
    DSI_ASSIGN_OR_RETURN(const Json* pattern, RequiredMember(spec, "pattern", path));
    DSI_ASSIGN_OR_RETURN(Regex regex, ParsePattern(*pattern, JoinPath(path, "pattern")));
    DSI_ASSIGN_OR_RETURN(std::string content, GetString(spec, "content", path));
    return std::unique_ptr<Decoder>(new ReplaceDecoder(std::move(regex), std::move(content)));
  }
  if (type == "ByteFallback") return std::unique_ptr<Decoder>(new ByteFallbackDecoder());
  if (type == "Fuse") return std::unique_ptr<Decoder>(new FuseDecoder());
  if (type == "Strip") {
    DSI_ASSIGN_OR_RETURN(std::string content, GetString(spec, "content", path));
    if (content.empty() || Utf8CharLength(static_cast<unsigned char>(content[0])) != content.size()) {
      return InvalidArgument(JoinPath(path, "content") + ": expected exactly one character");
    }
    DSI_ASSIGN_OR_RETURN(const int64_t start, GetIntOr(spec, "start", path, 0));
    DSI_ASSIGN_OR_RETURN(const int64_t stop, GetIntOr(spec, "stop", path, 0));
    if (start < 0 || stop < 0) return InvalidArgument(path + ": start and stop must be >= 0");
    return std::unique_ptr<Decoder>(new StripDecoder(std::move(content), start, stop));
  }
  if (type == "BPEDecoder") {
    DSI_ASSIGN_OR_RETURN(std::string suffix, GetStringOr(spec, "suffix", path, "</w>"));
    return std::unique_ptr<Decoder>(new BpeSuffixDecoder(std::move(suffix)));
  }
  return Unsupported(JoinPath(path, "type") + ": decoder '" + type +
                     "' is not supported (supported: ByteLevel, Sequence, Replace, ByteFallback, "
                     "Fuse, Strip, BPEDecoder)");
}

}  // namespace dsi::tokenizer
