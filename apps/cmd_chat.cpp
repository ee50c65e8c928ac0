// `dsinfer chat [MODEL_DIR]`: interactive chat on stdin/stdout. Each turn is rendered with the
// model's chat template; when the cached tokens are a prefix of the new prompt's tokens only
// the new part is computed, so the conversation's KV cache carries over between turns.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "chat_template/chat_template.h"
#include "commands.h"
#include "model_session.h"
#include "runtime/generator.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace dsi::apps {
namespace {

struct ChatOptions {
  std::string model_dir = DSI_DEFAULT_MODEL_DIR;
  std::string system;
  int max_new_tokens = 256;
  std::string dtype = "bf16";
  float temperature = 0.7f;
  float top_p = 0.9f;
  uint64_t seed = 0;
  int64_t kv_tokens = 4096;
  runtime::ParallelArgs parallel;
};

Status Chat(const ChatOptions& o) {
  runtime::SessionOptions session_options;
  session_options.model_dir = o.model_dir;
  DSI_ASSIGN_OR_RETURN(session_options.model.compute_dtype, ParseComputeDType(o.dtype));
  session_options.parallel = o.parallel;
  session_options.kv_tokens = o.kv_tokens;
  session_options.fingerprint = "chat";
  DSI_ASSIGN_OR_RETURN(std::unique_ptr<RankSession> session, RankSession::Open(session_options));
  if (!session->runner().is_driver()) return session->runner().Follow();
  DSI_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::FromDirectory(o.model_dir));
  DSI_ASSIGN_OR_RETURN(chat_template::ChatTemplateConfig config,
                       chat_template::LoadChatTemplateConfig(o.model_dir));
  DSI_ASSIGN_OR_RETURN(std::string source, config.Select(""));
  DSI_ASSIGN_OR_RETURN(chat_template::ChatTemplate tmpl,
                       chat_template::ChatTemplate::Parse(std::move(source)));
  runtime::Generator generator(session->runner(), o.seed);
  runtime::GenerateOptions gen;
  gen.max_new_tokens = o.max_new_tokens;
  gen.sampling.temperature = o.temperature;
  gen.sampling.top_p = o.top_p;
  if (tok.eos_id()) gen.stop_ids.push_back(*tok.eos_id());

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!o.system.empty()) messages.push_back({{"role", "system"}, {"content", o.system}});
  tokenizer::EncodeOptions encode;
  encode.add_special_tokens = false;  // the rendered template already holds BOS
  std::string line;
  while (std::cout << "> " << std::flush, std::getline(std::cin, line)) {
    if (line == "/exit") break;
    if (line.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    DSI_ASSIGN_OR_RETURN(
        std::string prompt,
        chat_template::ApplyChatTemplate(tmpl, messages, nullptr, true, config.special_tokens));
    const std::vector<int32_t> ids = tok.Encode(prompt, encode);
    // Reuse the cached tokens up to the first difference (re-tokenizing an answer can differ
    // from the sampled ids), always leaving at least one new token to compute.
    const std::span<const int32_t> cached = generator.history();
    const size_t limit = std::min(cached.size(), ids.size() - 1);
    size_t reuse = 0;
    while (reuse < limit && cached[reuse] == ids[reuse]) ++reuse;
    generator.Truncate(static_cast<int64_t>(reuse));
    if (static_cast<int64_t>(ids.size()) + o.max_new_tokens > o.kv_tokens) {
      return ResourceExhausted("the conversation (" + std::to_string(ids.size()) +
                               " tokens) no longer fits --kv-tokens " +
                               std::to_string(o.kv_tokens));
    }
    tokenizer::StreamDecoder stream(tok, /*skip_special_tokens=*/true);
    std::vector<int32_t> answer;
    DSI_ASSIGN_OR_RETURN(
        runtime::GenerateStats stats,
        generator.Generate(std::span<const int32_t>(ids).subspan(reuse), gen, [&](int32_t t) {
          answer.push_back(t);
          std::cout << stream.Step(t) << std::flush;
          return true;
        }));
    std::cout << stream.Finish() << "\n";
    std::cerr << "[" << stats.prompt_tokens << " new prompt tokens (" << reuse
              << " reused from the cache), " << stats.generated_tokens << " generated, "
              << stats.generated_tokens / std::max(stats.decode_seconds, 1e-9) << " tok/s]\n";
    messages.push_back(
        {{"role", "assistant"}, {"content", tok.Decode(answer, /*skip_special_tokens=*/true)}});
  }
  return Status::Ok();
}

}  // namespace

void RegisterChat(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ChatOptions>();
  CLI::App* cmd = app.add_subcommand(
      "chat", "Interactive chat with the model's chat template; /exit or end of input quits.");
  cmd->add_option("model_dir", o->model_dir,
                  "Checkpoint directory (default: the model shipped in models/)")
      ->capture_default_str();
  cmd->add_option("--system", o->system, "System prompt");
  cmd->add_option("-n,--max-new-tokens", o->max_new_tokens, "Tokens per answer at most")
      ->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "Compute dtype: f32 or bf16")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling mass")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Sampling seed")->capture_default_str();
  cmd->add_option("--kv-tokens", o->kv_tokens, "KV cache capacity in tokens")
      ->capture_default_str();
  AddParallelOptions(cmd, o->parallel);
  SetStatusCallback(cmd, exit_code, [o] { return Chat(*o); });
}

}  // namespace dsi::apps
