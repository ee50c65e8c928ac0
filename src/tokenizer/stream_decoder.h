// Incremental detokenizer for streaming generation: feed ids one at a time, get the text that
// became final. It never returns part of a UTF-8 character, and Step outputs followed by
// Finish() concatenate to exactly Tokenizer::Decode(all ids).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace dsi::tokenizer {

class StreamDecoder {
 public:
  // `tokenizer` must outlive this object.
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);

  // Text made final by `id` (often empty, e.g. while a multi-byte character is incomplete).
  std::string Step(int32_t id);
  // The remaining text (an unfinished character becomes U+FFFD, as Decode does). The decoder
  // can be reused afterwards for a new stream.
  std::string Finish();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  // ByteLevel decoding: bytes not yet returned (at most an incomplete character's worth).
  std::string pending_;
  // Other decoders (HF DecodeStream scheme): a window of ids whose first `prefix_count_`
  // decode to `prefix_`, plus everything seen so far for Finish().
  std::vector<int32_t> window_;
  size_t prefix_count_ = 0;
  std::string prefix_;
  std::vector<int32_t> all_ids_;
  std::string emitted_;
};

}  // namespace dsi::tokenizer
