// tokenizer.json "decoder": ByteLevel, Sequence, Replace, ByteFallback, Fuse, Strip, BPEDecoder —
// each a decode_chain step over token strings as in HF tokenizers; the result is the
// concatenation of the final strings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/json_util.h"

namespace dsi::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites `tokens` in place (HF Decoder::decode_chain).
  virtual void DecodeChain(std::vector<std::string>& tokens) const = 0;
  // True for a plain ByteLevel decoder, which Tokenizer decodes through its byte table directly.
  virtual bool IsByteLevel() const { return false; }
};

Result<std::unique_ptr<Decoder>> ParseDecoder(const Json& spec, const std::string& path);

}  // namespace dsi::tokenizer
