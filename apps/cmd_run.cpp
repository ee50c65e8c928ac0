// `dsinfer run MODEL_DIR -p "prompt"`: one-shot generation streamed to stdout, with prefill
// and decode speed on stderr. Without a tokenizer.json (e.g. a bare checkpoint) the prompt is
// given as ids and the generated ids are printed.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "commands.h"
#include "model_session.h"
#include "models/config.h"
#include "runtime/generator.h"
#include "runtime/stop_strings.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace dsi::apps {
namespace {

struct RunOptions {
  std::string model_dir;
  std::string prompt;
  std::string prompt_ids;
  int max_new_tokens = 128;
  std::string dtype = "bf16";
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  uint64_t seed = 0;
  bool ignore_eos = false;
  std::vector<std::string> stop;
  int threads = 0;
  int64_t kv_tokens = 4096;
  runtime::ParallelArgs parallel;
};

Result<std::vector<int32_t>> ParseIds(const std::string& text) {
  std::vector<int32_t> ids;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    try {
      size_t used = 0;
      const long v = std::stol(word, &used);
      if (used != word.size()) throw std::invalid_argument(word);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return InvalidArgument("--prompt-ids: '" + word + "' is not an integer token id");
    }
  }
  return ids;
}

// EOS ids from generation_config.json when present, else from config.json.
std::vector<int32_t> StopIds(const std::filesystem::path& dir, const models::ModelConfig& config) {
  std::vector<int32_t> ids;
  Result<nlohmann::json> gen = models::ReadJsonFile(dir / "generation_config.json");
  if (gen.ok() && gen->contains("eos_token_id")) {
    const nlohmann::json& eos = (*gen)["eos_token_id"];
    if (eos.is_number_integer()) ids.push_back(eos.get<int32_t>());
    if (eos.is_array()) {
      for (const auto& e : eos) {
        if (e.is_number_integer()) ids.push_back(e.get<int32_t>());
      }
    }
    return ids;
  }
  for (int64_t e : config.eos_token_ids) ids.push_back(static_cast<int32_t>(e));
  return ids;
}

Status Run(const RunOptions& o) {
  const std::filesystem::path dir = o.model_dir;
  runtime::SessionOptions session_options;
  session_options.model_dir = o.model_dir;
  DSI_ASSIGN_OR_RETURN(session_options.model.compute_dtype, ParseComputeDType(o.dtype));
  session_options.model.gemm_threads = o.threads;
  session_options.parallel = o.parallel;
  session_options.kv_tokens = o.kv_tokens;
  session_options.fingerprint = "run";
  DSI_ASSIGN_OR_RETURN(std::unique_ptr<RankSession> session, RankSession::Open(session_options));
  if (!session->runner().is_driver()) return session->runner().Follow();
  const double load_s = session->model().load_seconds();

  std::optional<tokenizer::Tokenizer> tok;
  std::vector<int32_t> prompt;
  if (!o.prompt_ids.empty()) {
    DSI_ASSIGN_OR_RETURN(prompt, ParseIds(o.prompt_ids));
  } else {
    if (!std::filesystem::exists(dir / "tokenizer.json")) {
      return InvalidArgument(dir.string() +
                             " has no tokenizer.json: give the prompt as --prompt-ids");
    }
    DSI_ASSIGN_OR_RETURN(tokenizer::Tokenizer t, tokenizer::Tokenizer::FromDirectory(dir));
    tok.emplace(std::move(t));
    prompt = tok->Encode(o.prompt);
  }
  if (prompt.empty()) return InvalidArgument("the prompt is empty: give -p TEXT or --prompt-ids");
  if (static_cast<int64_t>(prompt.size()) + o.max_new_tokens > o.kv_tokens) {
    return OutOfRange("prompt (" + std::to_string(prompt.size()) + " tokens) + -n " +
                      std::to_string(o.max_new_tokens) + " exceeds --kv-tokens " +
                      std::to_string(o.kv_tokens));
  }

  runtime::Generator generator(session->runner(), o.seed);
  runtime::GenerateOptions gen;
  gen.max_new_tokens = o.max_new_tokens;
  gen.sampling.temperature = o.temperature;
  gen.sampling.top_k = o.top_k;
  gen.sampling.top_p = o.top_p;
  gen.sampling.min_p = o.min_p;
  gen.sampling.repetition_penalty = o.repetition_penalty;
  if (!o.ignore_eos) gen.stop_ids = StopIds(dir, session->model().config());

  std::optional<tokenizer::StreamDecoder> stream;
  if (tok) {
    stream.emplace(*tok, /*skip_special_tokens=*/true);
    std::cout << o.prompt << std::flush;
  }
  bool first = true;
  runtime::StopStringFilter stops(o.stop);
  DSI_ASSIGN_OR_RETURN(runtime::GenerateStats stats,
                       generator.Generate(prompt, gen, [&](int32_t token) {
                         if (stream) {
                           std::cout << stops.Push(stream->Step(token)) << std::flush;
                           return !stops.stopped();
                         }
                         std::cout << (first ? "" : " ") << token << std::flush;
                         first = false;
                         return true;
                       }));
  if (stream && !stops.stopped()) std::cout << stops.Push(stream->Finish()) << stops.Flush();
  std::cout << "\n";
  std::cerr << "load " << load_s << " s; prefill " << stats.prompt_tokens << " tokens in "
            << stats.prefill_seconds << " s ("
            << stats.prompt_tokens / std::max(stats.prefill_seconds, 1e-9) << " tok/s); decode "
            << stats.generated_tokens << " tokens in " << stats.decode_seconds << " s ("
            << stats.generated_tokens / std::max(stats.decode_seconds, 1e-9)
            << " tok/s); finish: " << stats.finish_reason << "\n";
  return Status::Ok();
}

}  // namespace

void RegisterRun(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Generate text for one prompt, streamed to stdout; speed is printed to stderr.");
  o->model_dir = DSI_DEFAULT_MODEL_DIR;
  cmd->add_option("model_dir", o->model_dir,
                  "Hugging Face checkpoint directory (default: the model shipped in models/)")
      ->capture_default_str();
  cmd->add_option("-p,--prompt", o->prompt, "Prompt text (needs tokenizer.json)");
  cmd->add_option("--prompt-ids", o->prompt_ids, "Prompt as space-separated token ids");
  cmd->add_option("-n,--max-new-tokens", o->max_new_tokens, "Tokens to generate")
      ->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "Compute dtype: f32 or bf16")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "Keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling mass (1 = off)");
  cmd->add_option("--min-p", o->min_p, "Drop tokens below min_p x the top probability");
  cmd->add_option("--repetition-penalty", o->repetition_penalty, "HF repetition penalty");
  cmd->add_option("--seed", o->seed, "Sampling seed: same seed, same output")
      ->capture_default_str();
  cmd->add_flag("--ignore-eos", o->ignore_eos, "Do not stop at the EOS token");
  cmd->add_option("--stop", o->stop, "Stop when this text appears (repeatable); not printed");
  cmd->add_option("--threads", o->threads, "GEMM threads (0 = all cores)");
  cmd->add_option("--kv-tokens", o->kv_tokens, "KV cache capacity in tokens")
      ->capture_default_str();
  AddParallelOptions(cmd, o->parallel);
  SetStatusCallback(cmd, exit_code, [o] { return Run(*o); });
}

}  // namespace dsi::apps
