// ModelSession: one rank of a job that runs a model — the world layout (checked against the
// number of ranks before anything is loaded), the ranks' agreement on model and options,
// this rank's pipeline stage and tensor shard of the model (only its slice of the weights is
// read), its KV cache and the ModelRunner. A single process is a world of one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "dist/communicator.h"
#include "dist/group_communicators.h"
#include "dist/timed_communicator.h"
#include "dist/world.h"
#include "kv_cache/kv_cache.h"
#include "models/causal_lm.h"
#include "runtime/model_runner.h"

namespace dsi::runtime {

// A KV cache for `model` with room for `tokens` tokens (16-token blocks).
Result<std::unique_ptr<kv_cache::KvCache>> CreateKvCache(const models::CausalLM& model,
                                                         int64_t tokens);

// The layout as the user gives it (--tp --pp --dp --ep --pp-layers --micro-batches).
struct ParallelArgs {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int ep = 0;                       // 0: tp
  std::string pp_layers;            // "4,4,3": layers per stage; empty: balanced by cost
  int micro_batches = 0;            // 0: pp (one per stage when pipelining, else 1)
  int min_micro_batch_tokens = 16;  // see RunnerOptions
};

struct SessionOptions {
  std::string model_dir;
  models::ModelOptions model;  // dtype, threads, scratch sizing; the layout fields are set here
  ParallelArgs parallel;
  int64_t kv_tokens = 4096;
  // The caller's options that every rank must agree on (compared at start-up).
  std::string fingerprint;
};

class ModelSession {
 public:
  // Every rank of `world_comm` calls it (null: a single process). A rank that fails makes
  // every rank return an error; nothing is left waiting.
  static Result<std::unique_ptr<ModelSession>> Open(const SessionOptions& options,
                                                    dist::Communicator* world_comm);
  ~ModelSession();

  ModelRunner& runner() { return *runner_; }
  const dist::World& world() const { return world_; }
  const models::ModelConfig& config() const { return model_->config(); }
  double load_seconds() const { return load_seconds_; }
  // This rank's KV cache bytes per token (its stage's layers, its heads).
  int64_t kv_bytes_per_token() const { return model_->KvSpec().BytesPerToken(); }
  // Weight bytes each world rank loaded (every rank knows every rank's figure).
  const std::vector<int64_t>& rank_weight_bytes() const { return rank_weight_bytes_; }
  // Time this rank spent in tensor-parallel collectives (null on a single process).
  dist::TimedCommunicator* tensor_timer() { return tensor_timer_.get(); }
  // Collective over the world (a copy on one process): every rank's value, in rank order.
  std::vector<double> GatherDoubles(double value);

 private:
  ModelSession() = default;
  Status Start(const SessionOptions& options, dist::Communicator* world_comm);

  // Destroyed in reverse order: the runner (which stops the followers) first.
  std::optional<dist::GroupCommunicators> groups_;
  dist::World world_ = dist::World::Single();
  std::unique_ptr<dist::TimedCommunicator> tensor_timer_;
  std::unique_ptr<models::CausalLM> model_;
  std::unique_ptr<kv_cache::KvCache> cache_;
  std::unique_ptr<ModelRunner> runner_;
  double load_seconds_ = 0;
  std::vector<int64_t> rank_weight_bytes_;
};

}  // namespace dsi::runtime
