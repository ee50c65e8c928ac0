// tokenizer.json "normalizer": Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents,
// Replace, Prepend — each as HF tokenizers defines it. Normalization runs on each text segment
// between added tokens (HF: AddedVocabulary::extract_and_normalize).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tokenizer/json_util.h"

namespace dsi::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Appends the normalized form of `in` (valid UTF-8) to `out`.
  virtual void Normalize(std::string_view in, std::string& out) const = 0;
};

// Builds the normalizer described by `spec` (a JSON object at `path`). Returns nullptr for
// components that never change text (an empty Sequence), so callers can skip the step.
Result<std::unique_ptr<Normalizer>> ParseNormalizer(const Json& spec, const std::string& path);

}  // namespace dsi::tokenizer
