// `dsinfer bench [MODEL_DIR]`: offline throughput of one parallel layout (llama-bench style):
// a batch of random prompts is prefilled, then decoded greedily one token per sequence per
// step, in groups that take turns so that pipeline stages work on different groups at once
// (runtime::GreedyBatch); repeated, with the median and range. Per rank it reports the weights it
// loaded (against the single-process figure), the time in tensor-parallel collectives, and
// the pipeline bubble: the share of its step time a stage spent waiting for its neighbours.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "commands.h"
#include "model_session.h"
#include "models/model_stats.h"
#include "runtime/batch_decode.h"

namespace dsi::apps {
namespace {

struct BenchArgs {
  std::string model_dir = DSI_DEFAULT_MODEL_DIR;
  int prompt_len = 128;
  int gen_len = 32;
  int batch = 4;
  int repeat = 3;
  std::string dtype = "bf16";
  int threads = 0;
  uint64_t seed = 0;
  std::string json_path;
  int in_flight = 0;  // 0: --pp
  runtime::ParallelArgs parallel;
};

struct Summary {
  double median = 0, min = 0, max = 0;
};
Summary Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

Status Bench(const BenchArgs& a) {
  if (a.prompt_len < 1 || a.gen_len < 0 || a.batch < 1 || a.repeat < 1) {
    return InvalidArgument(
        "bench needs --prompt-len >= 1, --gen-len >= 0, --batch >= 1, "
        "--repeat >= 1");
  }
  runtime::SessionOptions o;
  o.model_dir = a.model_dir;
  DSI_ASSIGN_OR_RETURN(o.model.compute_dtype, ParseComputeDType(a.dtype));
  o.model.gemm_threads = a.threads;
  o.model.max_tokens_per_step = static_cast<int64_t>(a.batch) * a.prompt_len;
  o.parallel = a.parallel;
  o.kv_tokens = static_cast<int64_t>(a.batch) * (a.prompt_len + a.gen_len + 16);
  o.fingerprint = "bench";
  DSI_ASSIGN_OR_RETURN(std::unique_ptr<RankSession> session, RankSession::Open(o));
  const int groups = std::max(1, a.in_flight > 0 ? a.in_flight : a.parallel.pp);
  runtime::ModelSession& ms = session->model();
  runtime::ModelRunner& runner = session->runner();

  std::vector<double> prefill, decode;
  Status status = Status::Ok();
  if (runner.is_driver()) {
    std::mt19937_64 rng(a.seed);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(ms.config().vocab_size - 1));
    std::vector<std::vector<int32_t>> prompts(a.batch, std::vector<int32_t>(a.prompt_len));
    for (auto& p : prompts) std::generate(p.begin(), p.end(), [&] { return id(rng); });
    // Prefill, then gen_len decode steps per sequence, in `groups` groups taking turns.
    runtime::BatchDecodeTimes t;
    status = runtime::GreedyBatch(runner, prompts, std::min(a.gen_len, 4) + 1, groups, &t)
                 .status();  // warm-up
    if (status.ok()) runner.ResetStats();
    for (int r = 0; r < a.repeat && status.ok(); ++r) {
      status = runtime::GreedyBatch(runner, prompts, a.gen_len + 1, groups, &t).status();
      prefill.push_back(static_cast<double>(a.batch) * a.prompt_len / t.prefill_seconds);
      decode.push_back(static_cast<double>(a.batch) * a.gen_len /
                       std::max(t.decode_seconds, 1e-12));
    }
    runner.Shutdown();
  } else {
    DSI_RETURN_IF_ERROR(runner.Follow());
  }
  // Every rank's figures, gathered on all ranks (collectives: every rank takes part).
  const runtime::RunnerStats& st = runner.stats();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const std::vector<double> step_s = ms.GatherDoubles(st.step_seconds);
  const std::vector<double> forward_s = ms.GatherDoubles(st.forward_seconds);
  const std::vector<double> coll_s = ms.GatherDoubles(st.collective_seconds);
  const std::vector<double> wait_s = ms.GatherDoubles(st.pipeline_wait_seconds);
  const std::vector<double> rss_kb = ms.GatherDoubles(static_cast<double>(usage.ru_maxrss));
  if (!runner.is_driver()) return Status::Ok();
  DSI_RETURN_IF_ERROR(status);

  const dist::World& w = ms.world();
  const double single_bytes =
      static_cast<double>(models::WeightBytesIn(ms.config(), o.model.compute_dtype));
  const Summary pre = Summarize(prefill), dec = Summarize(decode);
  const int micro = a.parallel.micro_batches > 0 ? a.parallel.micro_batches : a.parallel.pp;
  std::printf(
      "layout tp=%d pp=%d dp=%d ep=%d (%d ranks), micro-batches %d, %d group(s) in "
      "flight, %s, batch %d, prompt %d, gen %d, %d repeats\n",
      w.tp(), w.pp(), w.dp(), w.ep(), w.size(), micro, std::min(groups, a.batch), a.dtype.c_str(),
      a.batch, a.prompt_len, a.gen_len, a.repeat);
  std::printf("prefill %.1f tok/s (median; %.1f-%.1f)   decode %.1f tok/s (median; %.1f-%.1f)\n",
              pre.median, pre.min, pre.max, dec.median, dec.min, dec.max);
  std::printf(
      "rank  dp pp tp  weights MiB (x single)  peak RSS MiB  forward s  collectives s "
      "(%%)  pipeline wait s (bubble %%)\n");
  nlohmann::json ranks = nlohmann::json::array();
  for (int r = 0; r < w.size(); ++r) {
    const double bytes = static_cast<double>(ms.rank_weight_bytes()[r]);
    const double step = std::max(step_s[r], 1e-12);
    std::printf(
        "%4d  %2d %2d %2d  %10.2f (%.3f)  %12.1f  %9.3f  %9.3f (%4.1f%%)  %9.3f (%4.1f%%)\n", r,
        r / (w.tp() * w.pp()), (r / w.tp()) % w.pp(), r % w.tp(), bytes / 1048576.0,
        bytes / single_bytes, rss_kb[r] / 1024.0, forward_s[r], coll_s[r], 100.0 * coll_s[r] / step,
        wait_s[r], 100.0 * wait_s[r] / step);
    ranks.push_back({{"rank", r},
                     {"weight_bytes", bytes},
                     {"weight_share_of_single", bytes / single_bytes},
                     {"peak_rss_kib", rss_kb[r]},
                     {"step_s", step_s[r]},
                     {"forward_s", forward_s[r]},
                     {"collective_s", coll_s[r]},
                     {"pipeline_wait_s", wait_s[r]},
                     {"bubble", wait_s[r] / step}});
  }
  if (w.pp() > 1) {
    std::printf(
        "GPipe bubble for %d stages and %d micro-batches per step: (p-1)/(m+p-1) = %.1f%%\n",
        w.pp(), micro, 100.0 * (w.pp() - 1) / (micro + w.pp() - 1));
  }
  if (!a.json_path.empty()) {
    const nlohmann::json j = {
        {"layout", {{"tp", w.tp()}, {"pp", w.pp()}, {"dp", w.dp()}, {"ep", w.ep()}}},
        {"micro_batches", micro},
        {"groups_in_flight", std::min(groups, a.batch)},
        {"dtype", a.dtype},
        {"batch", a.batch},
        {"prompt_len", a.prompt_len},
        {"gen_len", a.gen_len},
        {"prefill_tok_s", {{"median", pre.median}, {"min", pre.min}, {"max", pre.max}}},
        {"decode_tok_s", {{"median", dec.median}, {"min", dec.min}, {"max", dec.max}}},
        {"single_process_weight_bytes", single_bytes},
        {"ranks", ranks}};
    std::ofstream(a.json_path) << j.dump(2) << "\n";
  }
  return Status::Ok();
}

}  // namespace

void RegisterBench(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd =
      app.add_subcommand("bench",
                         "Offline prefill/decode throughput of a parallel layout, with per-rank "
                         "weights, collective time and pipeline bubble.");
  cmd->add_option("model_dir", a->model_dir,
                  "Checkpoint directory (default: the model shipped in models/)")
      ->capture_default_str();
  cmd->add_option("--prompt-len", a->prompt_len, "Prompt tokens per sequence")
      ->capture_default_str();
  cmd->add_option("--gen-len", a->gen_len, "Generated tokens per sequence")->capture_default_str();
  cmd->add_option("--batch", a->batch, "Sequences per step")->capture_default_str();
  cmd->add_option("--repeat", a->repeat, "Measured repetitions (after one warm-up)")
      ->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "Compute dtype: f32 or bf16")->capture_default_str();
  cmd->add_option("--threads", a->threads, "GEMM threads per rank (0 = OpenMP default)");
  cmd->add_option("--seed", a->seed, "Seed of the random prompts")->capture_default_str();
  cmd->add_option("--json", a->json_path, "Also write the results to this JSON file");
  cmd->add_option("--in-flight", a->in_flight,
                  "Groups of sequences taking turns, one step each in flight (0 = --pp)")
      ->capture_default_str();
  AddParallelOptions(cmd, a->parallel);
  SetStatusCallback(cmd, exit_code, [a] { return Bench(*a); });
}

}  // namespace dsi::apps
