// Incremental detokenizer (see stream_decoder.h).
#include "tokenizer/stream_decoder.h"

#include "core/logging.h"
#include "tokenizer/utf8.h"

namespace dsi::tokenizer {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(&tokenizer), skip_special_tokens_(skip_special_tokens) {}

std::string StreamDecoder::Step(int32_t id) {
  if (tokenizer_->byte_level_decoding()) {
    // Lossy UTF-8 decoding restarts cleanly after any byte that is not part of an incomplete
    // but well-formed sequence, so everything before such a tail is final.
    if (!tokenizer_->AppendTokenBytes(id, skip_special_tokens_, pending_)) return {};
    const size_t ready = pending_.size() - IncompleteUtf8Suffix(pending_);
    if (ready == 0) return {};
    std::string out = SanitizeUtf8(std::string_view(pending_).substr(0, ready));
    pending_.erase(0, ready);
    return out;
  }
  all_ids_.push_back(id);
  window_.push_back(id);
  const std::string text = tokenizer_->Decode(window_, skip_special_tokens_);
  if (text.size() <= prefix_.size() || EndsWith(text, kReplacementChar) ||
      text.compare(0, prefix_.size(), prefix_) != 0) {
    return {};
  }
  std::string out = text.substr(prefix_.size());
  window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(prefix_count_));
  prefix_ = tokenizer_->Decode(window_, skip_special_tokens_);
  prefix_count_ = window_.size();
  emitted_ += out;
  return out;
}

std::string StreamDecoder::Finish() {
  std::string out;
  if (tokenizer_->byte_level_decoding()) {
    out = SanitizeUtf8(pending_);
  } else {
    const std::string full = tokenizer_->Decode(all_ids_, skip_special_tokens_);
    if (full.compare(0, emitted_.size(), emitted_) == 0) {
      out = full.substr(emitted_.size());
    } else {
      DSI_LOG(Warning) << "StreamDecoder: streamed text is not a prefix of the full decode";
    }
  }
  pending_.clear();
  window_.clear();
  prefix_count_ = 0;
  prefix_.clear();
  all_ids_.clear();
  emitted_.clear();
  return out;
}

}  // namespace dsi::tokenizer
