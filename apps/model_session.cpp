// Shared helpers of the model-running commands.
#include "model_session.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

namespace dsi::apps {
namespace {

// When one rank of a job dies, mpirun ends the others with SIGTERM; each says so on stderr
// (preformatted: only async-signal-safe calls in the handler).
char g_term_message[160];

void OnTerminate(int) {
  const ssize_t written = write(STDERR_FILENO, g_term_message, std::strlen(g_term_message));
  (void)written;
  _exit(128 + SIGTERM);
}

void ExplainTermination(int rank) {
  std::snprintf(g_term_message, sizeof(g_term_message),
                "dsinfer rank %d: stopped by mpirun (SIGTERM): another rank failed or the job "
                "was cancelled; see mpirun's message\n",
                rank);
  std::signal(SIGTERM, OnTerminate);
}

}  // namespace

Result<DType> ParseComputeDType(const std::string& dtype) {
  if (dtype == "f32") return DType::kF32;
  if (dtype == "bf16") return DType::kBF16;
  return InvalidArgument("--dtype must be f32 or bf16, got '" + dtype + "'");
}

void SetStatusCallback(CLI::App* cmd, int& exit_code, std::function<Status()> fn) {
  cmd->callback([cmd, &exit_code, fn = std::move(fn)] {
    const Status s = fn();
    if (!s.ok()) {
      // One write per line, so the ranks of a job do not interleave their messages; ranks
      // other than 0 say which they are.
      const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
      const std::string who =
          rank != nullptr && std::string(rank) != "0" ? "[rank " + std::string(rank) + "] " : "";
      std::cerr << (who + cmd->get_name() + ": " + s.ToString() + "\n") << std::flush;
      exit_code = 2;
    }
  });
}

void AddParallelOptions(CLI::App* cmd, runtime::ParallelArgs& a) {
  cmd->add_option("--tp", a.tp, "Tensor-parallel ranks per replica (run under mpirun)")
      ->capture_default_str();
  cmd->add_option("--pp", a.pp, "Pipeline stages per replica")->capture_default_str();
  cmd->add_option("--dp", a.dp, "Data-parallel replicas; tp x pp x dp = mpirun -np")
      ->capture_default_str();
  cmd->add_option("--ep", a.ep, "Expert-parallel ranks inside a tp group (divides tp; 0 = tp)")
      ->capture_default_str();
  cmd->add_option("--pp-layers", a.pp_layers,
                  "Decoder layers per pipeline stage, e.g. 4,4,3 (default: balanced by cost)");
  cmd->add_option("--micro-batches", a.micro_batches,
                  "Micro-batches per step and replica (0 = --pp)")
      ->capture_default_str();
}

Result<std::unique_ptr<RankSession>> RankSession::Open(const runtime::SessionOptions& options) {
  std::unique_ptr<RankSession> s(new RankSession());
  runtime::SessionOptions o = options;
  if (dist::MpiSession::LaunchedByMpirun()) {
    DSI_ASSIGN_OR_RETURN(s->mpi_, dist::MpiSession::Init(nullptr, nullptr));
    s->world_ = s->mpi_->WorldCommunicator();
    ExplainTermination(s->mpi_->rank());
    // Ranks sharing a host share its cores: GEMM threads default to cores / local ranks.
    const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const int local_ranks = local ? std::max(1, std::atoi(local)) : 1;
    if (o.model.gemm_threads == 0 && local_ranks > 1) {
      o.model.gemm_threads =
          std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local_ranks);
    }
  }
  DSI_ASSIGN_OR_RETURN(s->model_, runtime::ModelSession::Open(o, s->world_.get()));
  return s;
}

RankSession::~RankSession() = default;

}  // namespace dsi::apps
