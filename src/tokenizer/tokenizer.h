// A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) in C++, giving the same ids
// as PyPI `tokenizers`: added tokens, normalizer, pre-tokenizer, BPE model, post-processor and
// decoder as the file describes them. Thread-safe: Encode/Decode may run concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dsi::tokenizer {

struct EncodeOptions {
  // Apply the post-processor (BOS / EOS), like HF encode(..., add_special_tokens=True). Rendered
  // chat templates already contain the BOS text: encode them with false.
  bool add_special_tokens = true;
  // Encode special added tokens found in the text as ordinary text (HF encode_special_tokens,
  // transformers split_special_tokens), e.g. for untrusted user content.
  bool split_special_tokens = false;
};

class Tokenizer {
 public:
  // Reads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json.
  static Result<Tokenizer> FromDirectory(const std::filesystem::path& dir);
  // `tokenizer_config_json` may be empty. `source` names the file in error messages.
  static Result<Tokenizer> FromJson(std::string_view tokenizer_json,
                                    std::string_view tokenizer_config_json = {},
                                    std::string_view source = "tokenizer.json");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Bytes that are not valid UTF-8 are first replaced by U+FFFD (maximal-subpart rule, as
  // Python's bytes.decode("utf-8", errors="replace"); HF itself only accepts str). Texts over
  // 64 MiB are refused (logged; no ids): split them first.
  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Unknown ids are skipped, as in HF.
  std::string Decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  std::optional<int32_t> TokenToId(std::string_view token) const;
  // The token's vocabulary string (e.g. "Ġworld"), or nullopt for an unknown id.
  std::optional<std::string> IdToToken(int32_t id) const;
  bool IsSpecial(int32_t id) const;
  // One past the largest id of the vocabulary and the added tokens.
  int32_t vocab_size() const;
  // From tokenizer_config.json (bos_token, eos_token, pad_token), when given.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  // Ids the post-processor puts before / after a sequence when add_special_tokens is set.
  const std::vector<int32_t>& prefix_ids() const;
  const std::vector<int32_t>& suffix_ids() const;

  // For StreamDecoder: true when the decoder is a plain ByteLevel decoder, so decoding is
  // "concatenate each token's bytes, then lossy UTF-8".
  bool byte_level_decoding() const;
  // Appends the bytes of `id` under byte-level decoding; false (nothing appended) when the id
  // is unknown or skipped as special.
  bool AppendTokenBytes(int32_t id, bool skip_special_tokens, std::string& out) const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsi::tokenizer
