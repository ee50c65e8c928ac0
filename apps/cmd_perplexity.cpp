// `dsinfer perplexity [MODEL_DIR] FILE`: strided-window perplexity of a text file and the
// forward throughput (the `llama-perplexity` of this engine).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "model_session.h"
#include "runtime/perplexity.h"
#include "tokenizer/tokenizer.h"

namespace dsi::apps {
namespace {

struct PerplexityArgs {
  std::string model_dir = DSI_DEFAULT_MODEL_DIR;
  std::string file;
  std::string dtype = "f32";
  int64_t context = 512;
  int64_t stride = 256;
  int threads = 0;
  runtime::ParallelArgs parallel;
};

Status RunPerplexity(const PerplexityArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return NotFound("cannot read text file " + a.file);
  std::ostringstream text;
  text << in.rdbuf();

  runtime::SessionOptions session_options;
  session_options.model_dir = a.model_dir;
  DSI_ASSIGN_OR_RETURN(session_options.model.compute_dtype, ParseComputeDType(a.dtype));
  session_options.model.max_tokens_per_step = a.context;
  session_options.model.gemm_threads = a.threads;
  session_options.parallel = a.parallel;
  session_options.kv_tokens = a.context;
  session_options.fingerprint = "perplexity " + a.file + " " + std::to_string(a.context) + " " +
                                std::to_string(a.stride);
  DSI_ASSIGN_OR_RETURN(std::unique_ptr<RankSession> session, RankSession::Open(session_options));
  if (!session->runner().is_driver()) return session->runner().Follow();
  DSI_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::FromDirectory(a.model_dir));
  tokenizer::EncodeOptions encode;
  encode.add_special_tokens = false;
  const std::vector<int32_t> ids = tok.Encode(text.str(), encode);

  runtime::PerplexityOptions p;
  p.context = a.context;
  p.stride = a.stride;
  if (!tok.bos_id()) return InvalidArgument("the tokenizer has no BOS token to start windows");
  p.bos_id = *tok.bos_id();
  const auto start = std::chrono::steady_clock::now();
  DSI_ASSIGN_OR_RETURN(runtime::PerplexityResult r,
                       runtime::Perplexity(session->runner(), ids, p, [](int64_t done, int64_t n) {
                         std::cerr << "\r" << done << " / " << n << " tokens" << std::flush;
                       }));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "\n";
  std::cout.precision(10);
  std::cout << "perplexity " << r.perplexity << "\n"
            << "total_nll " << r.total_nll << "\n"
            << "tokens_scored " << r.num_scored << "\n"
            << "windows " << r.num_windows << " (context " << a.context << ", stride " << a.stride
            << ")\n";
  std::cout.precision(4);
  std::cout << "speed " << r.tokens_computed / seconds << " tok/s (" << r.tokens_computed
            << " tokens in " << seconds << " s)\n";
  return Status::Ok();
}

}  // namespace

void RegisterPerplexity(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PerplexityArgs>();
  CLI::App* cmd = app.add_subcommand(
      "perplexity", "Perplexity of a text file over strided windows, and tokens/s.");
  cmd->add_option("model_dir", a->model_dir,
                  "Checkpoint directory (default: the model shipped in models/)")
      ->capture_default_str();
  cmd->add_option("--file,-f", a->file, "UTF-8 text file to score")->required();
  cmd->add_option("--dtype", a->dtype, "Compute dtype: f32 or bf16")->capture_default_str();
  cmd->add_option("--context", a->context, "Tokens per window, BOS included")
      ->capture_default_str();
  cmd->add_option("--stride", a->stride, "Tokens between window starts")->capture_default_str();
  cmd->add_option("--threads", a->threads, "GEMM threads (0 = all cores)");
  AddParallelOptions(cmd, a->parallel);
  SetStatusCallback(cmd, exit_code, [a] { return RunPerplexity(*a); });
}

}  // namespace dsi::apps
