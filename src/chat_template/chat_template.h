// Chat-template rendering as Hugging Face transformers does it: a Jinja template from
// tokenizer_config.json rendered with jinja2's ImmutableSandboxedEnvironment(trim_blocks=True,
// lstrip_blocks=True, loopcontrols), transformers' `tojson`, `raise_exception` and
// `strftime_now`. Our own Jinja implementation (lexer, parser, evaluator) — no Jinja C++
// library is packaged in Debian.
//
//   DSI_ASSIGN_OR_RETURN(ChatTemplate t, ChatTemplate::Parse(source));
//   DSI_ASSIGN_OR_RETURN(std::string prompt,
//                        ApplyChatTemplate(t, messages, tools, /*add_generation_prompt=*/true,
//                                          special_tokens));
#pragma once

#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace dsi::chat_template {

struct Stmt;

struct RenderOptions {
  // Safety limits: rendering stops with an error instead of exhausting memory or time.
  size_t max_output_bytes = size_t{64} << 20;  // also bounds every intermediate string
  size_t max_items = 4'000'000;                // elements of one list built by the template
  int64_t max_loop_iterations = 10'000'000;    // for-loop iterations of one render
  int max_call_depth = 200;                    // nested macro / filter-callback calls
  // Time seen by strftime_now(); nullopt: the local time when it is called.
  std::optional<std::tm> fixed_time;
};

class ChatTemplate {
 public:
  // Syntax errors name the line and column: "syntax error: line 3, column 12: ...".
  static Result<ChatTemplate> Parse(std::string source);

  // Renders with `context` as the template's variables. Use ordered_json to keep the
  // caller's key order (it shows in `tojson` and dict iteration); nlohmann::json sorts keys.
  // Runtime errors (undefined attribute access, type errors, raise_exception) name the line
  // and column too. Thread-safe: one parsed template may render on many threads at once.
  Result<std::string> Render(const nlohmann::ordered_json& context,
                             const RenderOptions& options = {}) const;
  Result<std::string> Render(const nlohmann::json& context,
                             const RenderOptions& options = {}) const;

  const std::string& source() const { return *source_; }

 private:
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const std::vector<std::unique_ptr<Stmt>>> program_;
};

// transformers' apply_chat_template(tokenize=False): renders with messages, tools (null when
// absent), documents (null), add_generation_prompt, every special token from
// tokenizer_config.json (bos_token, eos_token, ...) and `extra` template kwargs (which
// override special tokens, as **kwargs do in transformers).
Result<std::string> ApplyChatTemplate(const ChatTemplate& tmpl,
                                      const nlohmann::ordered_json& messages,
                                      const nlohmann::ordered_json& tools,
                                      bool add_generation_prompt,
                                      const nlohmann::ordered_json& special_tokens,
                                      const nlohmann::ordered_json& extra = nullptr,
                                      const RenderOptions& options = {});

// The same with just the two tokens most templates use.
Result<std::string> ApplyChatTemplate(const ChatTemplate& tmpl,
                                      const nlohmann::ordered_json& messages,
                                      const nlohmann::ordered_json& tools,
                                      bool add_generation_prompt, const std::string& bos_token,
                                      const std::string& eos_token,
                                      const nlohmann::ordered_json& extra = nullptr,
                                      const RenderOptions& options = {});

// What a model directory says about chat templating.
struct ChatTemplateConfig {
  // Named templates in file order; a single template is named "default".
  std::vector<std::pair<std::string, std::string>> templates;
  // Special tokens as strings (AddedToken objects reduced to their content):
  // {"bos_token": "...", "eos_token": "...", "additional_special_tokens": [...]}.
  nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object();
  std::string source_file;  // where the template came from

  // `name` empty: "default" if present, else the first template.
  Result<std::string> Select(const std::string& name) const;
};

// Reads MODEL_DIR/chat_template.jinja when present (newer transformers save it there),
// else tokenizer_config.json's `chat_template` (a string or a list of {name, template});
// special tokens come from tokenizer_config.json, then special_tokens_map.json.
Result<ChatTemplateConfig> LoadChatTemplateConfig(const std::string& model_dir);

}  // namespace dsi::chat_template
