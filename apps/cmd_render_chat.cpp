// `dsinfer render-chat`: renders a conversation with a model's chat template and prints the
// prompt, as transformers' tokenizer.apply_chat_template(messages, tokenize=False) does.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "chat_template/chat_template.h"
#include "commands.h"

namespace dsi::apps {
namespace {

struct RenderChatOptions {
  std::string model_dir;
  std::string messages_path;
  std::string tools_path;
  std::string template_name;
  std::string extra_json;
  bool add_generation_prompt = false;
  bool json_output = false;
};

Result<nlohmann::ordered_json> ReadJsonFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  auto j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(path + " is not valid JSON");
  return j;
}

Result<std::string> RenderChat(const RenderChatOptions& o) {
  using chat_template::ChatTemplate;
  DSI_ASSIGN_OR_RETURN(chat_template::ChatTemplateConfig config,
                       chat_template::LoadChatTemplateConfig(o.model_dir));
  DSI_ASSIGN_OR_RETURN(std::string source, config.Select(o.template_name));
  Result<ChatTemplate> tmpl = ChatTemplate::Parse(std::move(source));
  if (!tmpl.ok()) return tmpl.status().WithContext("chat template of " + config.source_file);

  DSI_ASSIGN_OR_RETURN(nlohmann::ordered_json input, ReadJsonFile(o.messages_path));
  nlohmann::ordered_json messages = input;
  nlohmann::ordered_json tools = nullptr;
  if (input.is_object()) {  // {"messages": [...], "tools": [...]} as in an OpenAI request
    if (!input.contains("messages")) {
      return InvalidArgument(o.messages_path +
                             ": expected an array of messages or an object "
                             "with \"messages\"");
    }
    messages = input["messages"];
    if (input.contains("tools")) tools = input["tools"];
  }
  if (!o.tools_path.empty()) {
    DSI_ASSIGN_OR_RETURN(tools, ReadJsonFile(o.tools_path));
  }
  nlohmann::ordered_json extra = nullptr;
  if (!o.extra_json.empty()) {
    extra = nlohmann::ordered_json::parse(o.extra_json, nullptr, /*allow_exceptions=*/false);
    if (extra.is_discarded() || !extra.is_object()) {
      return InvalidArgument("--extra must be a JSON object, e.g. '{\"thinking\": true}'");
    }
  }
  Result<std::string> prompt = chat_template::ApplyChatTemplate(
      *tmpl, messages, tools, o.add_generation_prompt, config.special_tokens, extra);
  if (!prompt.ok()) return prompt.status().WithContext("rendering " + config.source_file);
  return prompt;
}

}  // namespace

void RegisterRenderChat(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RenderChatOptions>();
  CLI::App* cmd = app.add_subcommand(
      "render-chat",
      "Render messages with MODEL_DIR's chat template (chat_template.jinja or "
      "tokenizer_config.json) and print the prompt exactly, without a trailing newline.");
  cmd->add_option("model_dir", opts->model_dir, "Model directory")->required();
  cmd->add_option("messages", opts->messages_path,
                  "JSON file ('-' for stdin): an array of OpenAI-style messages, or an object "
                  "with \"messages\" and optional \"tools\"")
      ->required();
  cmd->add_flag("--add-generation-prompt", opts->add_generation_prompt,
                "End with the assistant turn's opening, as for generation");
  cmd->add_option("--tools", opts->tools_path, "JSON file with the tools array");
  cmd->add_option("--template-name", opts->template_name,
                  "Named template when the model has several (default: \"default\", else the "
                  "first)");
  cmd->add_option("--extra", opts->extra_json,
                  "JSON object of extra template variables, e.g. '{\"thinking\": true}'");
  cmd->add_flag("--json", opts->json_output, "Print the prompt as a JSON string");
  cmd->callback([opts, &exit_code] {
    Result<std::string> prompt = RenderChat(*opts);
    if (!prompt.ok()) {
      std::cerr << "render-chat: " << prompt.status().ToString() << "\n";
      exit_code = 1;
      return;
    }
    if (opts->json_output) {
      std::cout << nlohmann::json(*prompt).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace)
                << "\n";
    } else {
      std::cout << *prompt << std::flush;
    }
    exit_code = 0;
  });
}

}  // namespace dsi::apps
