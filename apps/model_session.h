// Pieces shared by the commands that run a model (run, chat, perplexity, bench): the
// compute-dtype option, the parallel layout options, and ModelSession, which brings up one
// rank of a job — MPI when launched by mpirun, the world layout, this rank's pipeline stage
// and tensor shard of the model, its KV cache and the ModelRunner — and a callback that
// reports a failed Status.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "dist/group_communicators.h"
#include "dist/mpi_communicator.h"
#include "dist/timed_communicator.h"
#include "dist/world.h"
#include "kv_cache/kv_cache.h"
#include "loader/weight_loader.h"
#include "models/causal_lm.h"
#include "runtime/model_runner.h"

namespace dsi::apps {

// "f32" or "bf16"; anything else is an InvalidArgument naming --dtype.
Result<DType> ParseComputeDType(const std::string& dtype);

// A KV cache for `model` with room for `tokens` tokens (16-token blocks).
Result<std::unique_ptr<kv_cache::KvCache>> CreateKvCache(const models::CausalLM& model,
                                                         int64_t tokens);

// Makes `cmd` run `fn`; a failed Status is printed as "<command>: <error>" and exits with 2.
void SetStatusCallback(CLI::App* cmd, int& exit_code, std::function<Status()> fn);

// --tp --pp --dp --ep --pp-layers --micro-batches.
struct ParallelArgs {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int ep = 0;  // 0: tp
  std::string pp_layers;  // "4,4,3": layers per stage; empty: balanced by cost
  int micro_batches = 0;  // 0: pp (one per stage when pipelining, else 1)
};
void AddParallelOptions(CLI::App* cmd, ParallelArgs& args);

struct SessionOptions {
  std::string model_dir;
  models::ModelOptions model;  // dtype, threads; the parallel fields are filled in here
  ParallelArgs parallel;
  int64_t kv_tokens = 4096;
  // The command's options that every rank must agree on (checked at start-up).
  std::string fingerprint;
};

class ModelSession {
 public:
  // Every rank calls it. Under mpirun: MPI start-up, the layout checked against the number of
  // ranks before anything is loaded, the ranks' model and options compared, then each rank
  // loads only its stage and shard. A rank that fails makes every rank return an error.
  static Result<std::unique_ptr<ModelSession>> Open(const SessionOptions& options);
  ~ModelSession();

  runtime::ModelRunner& runner() { return *runner_; }
  const dist::World& world() const { return world_; }
  const models::ModelConfig& config() const { return model_->config(); }
  double load_seconds() const { return load_seconds_; }
  // Weight bytes each world rank loaded (every rank knows every rank's figure).
  const std::vector<int64_t>& rank_weight_bytes() const { return rank_weight_bytes_; }
  // Time this rank spent in tensor-parallel collectives (the model's communicator).
  dist::TimedCommunicator* tensor_timer() { return tensor_timer_.get(); }
  // Collective over the world (a no-op on one process): every rank's value, in rank order.
  std::vector<double> GatherDoubles(double value);

 private:
  ModelSession() = default;
  Status Start(const SessionOptions& options);

  // Declared in the order of construction; destroyed in reverse (runner first, MPI last).
  std::unique_ptr<dist::MpiSession> mpi_;
  std::unique_ptr<dist::Communicator> world_comm_;
  std::optional<dist::GroupCommunicators> groups_;
  dist::World world_ = dist::World::Single();
  std::unique_ptr<dist::TimedCommunicator> tensor_timer_;
  std::unique_ptr<models::CausalLM> model_;
  std::unique_ptr<kv_cache::KvCache> cache_;
  std::unique_ptr<runtime::ModelRunner> runner_;
  double load_seconds_ = 0;
  std::vector<int64_t> rank_weight_bytes_;
};

}  // namespace dsi::apps
