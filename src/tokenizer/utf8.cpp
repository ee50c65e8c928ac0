// UTF-8 validation and lossy decoding (see utf8.h).
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

// Valid range of the second byte after lead byte `lead` (Unicode Table 3-7), or {0, 0} when
// `lead` never starts a well-formed sequence.
struct ByteRange {
  unsigned char lo, hi;
};
ByteRange SecondByteRange(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {0x80, 0xBF};
  if (lead == 0xE0) return {0xA0, 0xBF};
  if (lead >= 0xE1 && lead <= 0xEC) return {0x80, 0xBF};
  if (lead == 0xED) return {0x80, 0x9F};
  if (lead >= 0xEE && lead <= 0xEF) return {0x80, 0xBF};
  if (lead == 0xF0) return {0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {0x80, 0xBF};
  if (lead == 0xF4) return {0x80, 0x8F};
  return {0, 0};
}

size_t SequenceNeed(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Length of the longest prefix of s (starting at a lead byte) that is a well-formed sequence or
// a well-formed truncation of one; `*complete` tells which.
size_t ScanSequence(std::string_view s, bool* complete) {
  const auto lead = static_cast<unsigned char>(s[0]);
  const size_t need = SequenceNeed(lead);
  *complete = false;
  if (need == 0) return 0;
  if (need == 1) {
    *complete = true;
    return 1;
  }
  size_t n = 1;
  const ByteRange second = SecondByteRange(lead);
  while (n < need && n < s.size()) {
    const auto b = static_cast<unsigned char>(s[n]);
    const bool ok = n == 1 ? (b >= second.lo && b <= second.hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return n;
    ++n;
  }
  *complete = n == need;
  return n;
}

}  // namespace

size_t ValidSequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  bool complete = false;
  const size_t n = ScanSequence(s, &complete);
  return complete ? n : 0;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = ValidSequenceLength(s.substr(i));
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void AppendSanitizedUtf8(std::string_view s, std::string& out) {
  size_t i = 0;
  size_t run_start = 0;  // start of the current run of valid bytes, copied in one append
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    bool complete = false;
    const size_t len = ScanSequence(s.substr(i), &complete);
    if (complete) {
      i += len;
      continue;
    }
    out.append(s.data() + run_start, i - run_start);
    out.append(kReplacementChar);
    i += len == 0 ? 1 : len;  // a maximal subpart is at least one byte
    run_start = i;
  }
  out.append(s.data() + run_start, s.size() - run_start);
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendSanitizedUtf8(s, out);
  return out;
}

size_t IncompleteUtf8Suffix(std::string_view s) {
  // A pending sequence is at most 3 bytes long, so its lead byte is among the last 3 bytes.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = static_cast<unsigned char>(s[n - back]);
    if (b >= 0x80 && b <= 0xBF) continue;  // continuation byte: keep looking for the lead
    bool complete = false;
    const size_t len = ScanSequence(s.substr(n - back), &complete);
    return (!complete && len == back) ? back : 0;
  }
  return 0;
}

char32_t DecodeUtf8(const char* s, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if (b0 < 0xE0) {
    *len = 2;
    return ((b0 & 0x1F) << 6) | (s[1] & 0x3F);
  }
  if (b0 < 0xF0) {
    *len = 3;
    return ((b0 & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
  }
  *len = 4;
  return ((b0 & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}


}  // namespace dsi::tokenizer
