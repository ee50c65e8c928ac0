// Internal state of Tokenizer, shared by tokenizer.cpp (encode/decode) and
// tokenizer_load.cpp (building it from tokenizer.json and tokenizer_config.json).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace dsi::tokenizer {

struct Tokenizer::Impl {
  std::unique_ptr<Normalizer> normalizer;      // null: identity
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // null: the whole segment is one piece
  std::unique_ptr<BpeModel> model;
  AddedVocabulary added;
  std::unique_ptr<PostProcessor> post_processor;  // null: adds nothing
  std::unique_ptr<Decoder> decoder;               // null: tokens joined by " "
  bool byte_level_decoding = false;

  // Per id (0 .. vocab_size-1): token string (added tokens first, then the model), its bytes
  // under ByteLevel decoding, and flags.
  std::vector<std::string> id_token;
  std::vector<std::string> id_bytes;
  std::vector<uint8_t> id_flags;
  static constexpr uint8_t kKnown = 1, kSpecial = 2;

  std::optional<int32_t> bos_id, eos_id, pad_id;
  std::vector<int32_t> no_ids;

  bool Known(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < id_flags.size() && (id_flags[id] & kKnown);
  }
  bool Special(int32_t id) const { return Known(id) && (id_flags[id] & kSpecial); }
};

}  // namespace dsi::tokenizer
