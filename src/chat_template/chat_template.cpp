// Public API: parse once, render per request; transformers' apply_chat_template context;
// reading a model directory's template and special tokens.
#include "chat_template/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat_template/ast.h"
#include "chat_template/builtins.h"
#include "chat_template/interpreter.h"
#include "chat_template/parser.h"

namespace dsi::chat_template {

Result<ChatTemplate> ChatTemplate::Parse(std::string source) {
  ParserNames names;
  names.has_filter = [](std::string_view n) {
    return FindFilter(n) != nullptr || IsKnownJinjaFilter(n);
  };
  names.has_test = [](std::string_view n) { return FindTest(n) != nullptr; };
  DSI_ASSIGN_OR_RETURN(StmtList program, ParseTemplate(source, names));
  ChatTemplate t;
  t.source_ = std::make_shared<const std::string>(std::move(source));
  t.program_ = std::make_shared<const StmtList>(std::move(program));
  return t;
}

namespace {

Result<std::string> RenderValue(const StmtList& program, const Result<Value>& parsed,
                                const RenderOptions& options) {
  if (!parsed.ok()) return parsed.status().WithContext("chat template context");
  const Value& context = *parsed;
  if (!context.is_dict()) {
    return InvalidArgument("chat template context must be a JSON object, got " +
                           context.TypeName());
  }
  auto globals = std::make_shared<Frame>(nullptr);
  InstallGlobals(*globals);
  auto root = std::make_shared<Frame>(globals);
  for (const auto& [k, v] : context.dict().entries) root->Set(k.str(), v);
  Interpreter interp(options);
  return interp.Run(program, root);
}

}  // namespace

Result<std::string> ChatTemplate::Render(const nlohmann::ordered_json& context,
                                         const RenderOptions& options) const {
  return RenderValue(*program_, Value::FromJson(context), options);
}

Result<std::string> ChatTemplate::Render(const nlohmann::json& context,
                                         const RenderOptions& options) const {
  return RenderValue(*program_, Value::FromJson(context), options);
}

Result<std::string> ApplyChatTemplate(const ChatTemplate& tmpl,
                                      const nlohmann::ordered_json& messages,
                                      const nlohmann::ordered_json& tools,
                                      bool add_generation_prompt,
                                      const nlohmann::ordered_json& special_tokens,
                                      const nlohmann::ordered_json& extra,
                                      const RenderOptions& options) {
  if (!messages.is_array()) return InvalidArgument("messages must be a JSON array");
  if (!tools.is_null() && !tools.is_array()) {
    return InvalidArgument("tools must be a JSON array or null");
  }
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  if (special_tokens.is_object()) {
    for (auto it = special_tokens.begin(); it != special_tokens.end(); ++it) ctx[it.key()] = *it;
  }
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) ctx[it.key()] = *it;
  } else if (!extra.is_null()) {
    return InvalidArgument("extra template arguments must be a JSON object");
  }
  ctx["messages"] = messages;
  ctx["tools"] = tools;
  if (!ctx.contains("documents")) ctx["documents"] = nullptr;
  ctx["add_generation_prompt"] = add_generation_prompt;
  return tmpl.Render(ctx, options);
}

Result<std::string> ApplyChatTemplate(const ChatTemplate& tmpl,
                                      const nlohmann::ordered_json& messages,
                                      const nlohmann::ordered_json& tools,
                                      bool add_generation_prompt, const std::string& bos_token,
                                      const std::string& eos_token,
                                      const nlohmann::ordered_json& extra,
                                      const RenderOptions& options) {
  nlohmann::ordered_json special = {{"bos_token", bos_token}, {"eos_token", eos_token}};
  return ApplyChatTemplate(tmpl, messages, tools, add_generation_prompt, special, extra, options);
}

Result<std::string> ChatTemplateConfig::Select(const std::string& name) const {
  if (templates.empty()) return NotFound("no chat template in " + source_file);
  const std::string want = name.empty() ? "default" : name;
  for (const auto& [n, t] : templates) {
    if (n == want) return t;
  }
  if (name.empty()) return templates.front().second;
  std::string names;
  for (const auto& [n, t] : templates) names += (names.empty() ? "" : ", ") + n;
  return NotFound("no chat template named '" + name + "' in " + source_file +
                  " (available: " + names + ")");
}

namespace {

namespace fs = std::filesystem;

Result<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<nlohmann::ordered_json> ReadJson(const fs::path& path) {
  DSI_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corrupt(path.string() + " is not valid JSON");
  return j;
}

// A special token is a string or an AddedToken object {"content": ...}.
std::optional<std::string> TokenText(const nlohmann::ordered_json& t) {
  if (t.is_string()) return t.get<std::string>();
  if (t.is_object() && t.contains("content") && t["content"].is_string()) {
    return t["content"].get<std::string>();
  }
  return std::nullopt;
}

void CollectSpecialTokens(const nlohmann::ordered_json& j, nlohmann::ordered_json& out) {
  static const char* kNames[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                 "pad_token", "cls_token", "mask_token"};
  for (const char* n : kNames) {
    if (out.contains(n) || !j.contains(n)) continue;
    if (auto text = TokenText(j[n])) out[n] = *text;
  }
  if (!out.contains("additional_special_tokens") && j.contains("additional_special_tokens") &&
      j["additional_special_tokens"].is_array()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& t : j["additional_special_tokens"]) {
      if (auto text = TokenText(t)) list.push_back(*text);
    }
    out["additional_special_tokens"] = list;
  }
}

}  // namespace

Result<ChatTemplateConfig> LoadChatTemplateConfig(const std::string& model_dir) {
  const fs::path dir(model_dir);
  const fs::path config_path = dir / "tokenizer_config.json";
  ChatTemplateConfig config;
  nlohmann::ordered_json tokenizer_config = nlohmann::ordered_json::object();
  if (fs::exists(config_path)) {
    DSI_ASSIGN_OR_RETURN(tokenizer_config, ReadJson(config_path));
    if (!tokenizer_config.is_object()) return Corrupt(config_path.string() + ": not a JSON object");
    CollectSpecialTokens(tokenizer_config, config.special_tokens);
  }
  const fs::path map_path = dir / "special_tokens_map.json";
  if (fs::exists(map_path)) {
    DSI_ASSIGN_OR_RETURN(nlohmann::ordered_json m, ReadJson(map_path));
    if (m.is_object()) CollectSpecialTokens(m, config.special_tokens);
  }
  const fs::path jinja_path = dir / "chat_template.jinja";
  if (fs::exists(jinja_path)) {
    DSI_ASSIGN_OR_RETURN(std::string text, ReadText(jinja_path));
    config.templates.emplace_back("default", std::move(text));
    config.source_file = jinja_path.string();
    return config;
  }
  config.source_file = config_path.string();
  if (!fs::exists(config_path)) {
    return NotFound("no tokenizer_config.json or chat_template.jinja in " + model_dir);
  }
  if (!tokenizer_config.contains("chat_template") || tokenizer_config["chat_template"].is_null()) {
    return NotFound(config_path.string() + " has no chat_template");
  }
  const auto& ct = tokenizer_config["chat_template"];
  if (ct.is_string()) {
    config.templates.emplace_back("default", ct.get<std::string>());
  } else if (ct.is_array()) {
    for (const auto& entry : ct) {
      if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
          !entry["name"].is_string() || !entry["template"].is_string()) {
        return Corrupt(config_path.string() +
                       ": chat_template list entries must be {\"name\": ..., \"template\": ...}");
      }
      config.templates.emplace_back(entry["name"].get<std::string>(),
                                    entry["template"].get<std::string>());
    }
  } else {
    return Corrupt(config_path.string() + ": chat_template must be a string or a list");
  }
  return config;
}

}  // namespace dsi::chat_template
