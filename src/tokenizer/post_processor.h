// tokenizer.json "post_processor" for single sequences: TemplateProcessing, ByteLevel (ids
// unchanged), BertProcessing, RobertaProcessing and Sequence. Only encode(..., add_special_tokens)
// calls it; all of them reduce to "these ids before, these ids after".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/json_util.h"

namespace dsi::tokenizer {

class PostProcessor {
 public:
  PostProcessor(std::vector<int32_t> prefix, std::vector<int32_t> suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  void Process(std::vector<int32_t>& ids) const {
    ids.insert(ids.begin(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  }
  const std::vector<int32_t>& prefix() const { return prefix_; }
  const std::vector<int32_t>& suffix() const { return suffix_; }

 private:
  std::vector<int32_t> prefix_;
  std::vector<int32_t> suffix_;
};

// nullptr when the post-processor adds nothing (ByteLevel).
Result<std::unique_ptr<PostProcessor>> ParsePostProcessor(const Json& spec, const std::string& path);

}  // namespace dsi::tokenizer
