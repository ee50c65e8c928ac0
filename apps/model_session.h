// Pieces shared by the commands that run a model (run, chat, perplexity, bench): the
// compute-dtype and parallel-layout options, a callback that reports a failed Status, and
// RankSession, which starts MPI when the process was launched by mpirun and opens this rank's
// runtime::ModelSession.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "dist/mpi_communicator.h"
#include "runtime/model_session.h"

namespace dsi::apps {

// "f32" or "bf16"; anything else is an InvalidArgument naming --dtype.
Result<DType> ParseComputeDType(const std::string& dtype);

// Makes `cmd` run `fn`; a failed Status is printed as "<command>: <error>" and exits with 2.
void SetStatusCallback(CLI::App* cmd, int& exit_code, std::function<Status()> fn);

// --tp --pp --dp --ep --pp-layers --micro-batches.
void AddParallelOptions(CLI::App* cmd, runtime::ParallelArgs& args);

class RankSession {
 public:
  static Result<std::unique_ptr<RankSession>> Open(const runtime::SessionOptions& options);
  ~RankSession();

  runtime::ModelSession& model() { return *model_; }
  runtime::ModelRunner& runner() { return model_->runner(); }

 private:
  RankSession() = default;
  // Destroyed in reverse: the model session, then the world communicator, then MPI.
  std::unique_ptr<dist::MpiSession> mpi_;
  std::unique_ptr<dist::Communicator> world_;
  std::unique_ptr<runtime::ModelSession> model_;
};

}  // namespace dsi::apps
