// ModelRunner: the model as rank 0 drives it, whatever the parallel layout (design.md §3-§4).
// Rank 0 (the driver) names sequences by id and asks for steps: new tokens of several
// sequences and the results of some of their rows. Every rank holds one runner around its
// pipeline stage of the model and its KV cache: rank 0 broadcasts each step's StepPlan, every
// rank of the replica that holds a sequence runs its stage over the plan's tokens cut into
// micro-batches, passing hidden states to the next stage, and the last stage sends the
// results back to rank 0. On a single process the same code runs with no messages.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "dist/group_communicators.h"
#include "dist/timed_communicator.h"
#include "dist/world.h"
#include "kv_cache/kv_cache.h"
#include "models/causal_lm.h"
#include "runtime/sampler.h"
#include "runtime/step_plan.h"

namespace dsi::runtime {

struct RunnerOptions {
  // A replica's tokens of one step are cut into this many micro-batches so that pipeline
  // stages overlap; 1 without pipelining.
  int micro_batches = 1;
  // Fewer micro-batches when pieces would be smaller than this: a small step (decode) reads
  // every weight once per piece, and its GEMMs are bound by that reading (BENCHMARKS.md).
  int min_micro_batch_tokens = 16;
  // The model's tensor-parallel communicator, when timed: its time goes into the stats.
  const dist::TimedCommunicator* tensor_timer = nullptr;
};

// New tokens of one sequence (they continue its cache) and the rows whose results are wanted.
struct RunnerChunk {
  int32_t seq = 0;
  std::span<const int32_t> tokens;
  int32_t row_begin = 0;
  int32_t row_end = 0;
};

// Results of the requested rows, in chunk order then row order.
struct StepResults {
  std::vector<float> logits;     // kLogits: [rows, vocab]
  std::vector<int32_t> tokens;   // kArgMax, kSample: [rows]
  std::vector<double> logprobs;  // kNextLogProb: [rows] natural log
};

// What this rank's steps cost (bench, bubble): wall time of its steps, of its stage's forward
// passes (tensor-parallel collectives included), in those collectives, and blocked in
// pipeline transfers (a stage waiting for its neighbours is idle).
struct RunnerStats {
  int64_t steps = 0;
  int64_t tokens = 0;  // tokens this rank's replica computed
  double step_seconds = 0;
  double forward_seconds = 0;
  double collective_seconds = 0;
  double pipeline_wait_seconds = 0;
};

class ModelRunner {
 public:
  // groups: the job's communicators, or null for a single process (world must then be
  // World::Single()). model/cache: this rank's stage; all must outlive the runner.
  ModelRunner(const dist::World& world, const dist::GroupCommunicators* groups,
              models::CausalLM& model, kv_cache::KvCache& cache, const RunnerOptions& options);
  // The driver sends the followers home (Shutdown) if it has not yet.
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  const dist::World& world() const { return world_; }
  bool is_driver() const { return world_.rank() == 0; }
  int num_replicas() const { return world_.dp(); }
  int64_t vocab_size() const { return model_.config().vocab_size; }

  // ---- Driver only (world rank 0).
  // A new, empty sequence; its replica is chosen at its first step (the least loaded in
  // cached tokens).
  int32_t NewSequence();
  int64_t NumTokens(int32_t seq) const;
  // The data-parallel replica that holds the sequence; -1 before its first step.
  int ReplicaOf(int32_t seq) const;
  // Applied at the start of the next step: forget the sequence (its KV blocks go back), or
  // keep only its first num_tokens tokens.
  void Release(int32_t seq);
  void Truncate(int32_t seq, int64_t num_tokens);
  // Applied at the start of the next step: how ResultKind::kSample draws the sequence's next
  // tokens. The last pipeline stage samples; its generator is seeded with `seed` the first
  // time and continues afterwards. Tokens from index prompt_end on count as generated.
  void SetSampling(int32_t seq, const SamplingParams& params, int64_t prompt_end, uint64_t seed);
  // One step over `chunks` (distinct sequences). ResourceExhausted when a replica's KV cache
  // is full: nothing is computed for that replica and its sequences keep their tokens.
  Status Step(std::span<const RunnerChunk> chunks, ResultKind kind, StepResults& results);
  // Step in two halves, for keeping several steps in flight (e.g. groups of sequences that
  // decode in turn, so that pipeline stages work on different groups at once): Submit sends
  // the plan and runs rank 0's own part; Collect returns the oldest submitted step's results
  // (or its error). Step = Submit + Collect with nothing else in flight.
  Status Submit(std::span<const RunnerChunk> chunks, ResultKind kind);
  Status Collect(StepResults& results);
  int in_flight() const { return static_cast<int>(in_flight_.size()); }
  // Ends every follower's Follow loop; the runner cannot step afterwards.
  void Shutdown();

  // ---- Every other rank: executes the driver's plans until it shuts down.
  Status Follow();

  const RunnerStats& stats() const { return stats_; }
  // Driver: zeroes the stats of every rank (applied in order with the steps).
  void ResetStats();

 private:
  struct SeqInfo {
    int replica = -1;  // -1 until its first step
    int64_t num_tokens = 0;
    bool has_sampler = false;  // SetSampling was called
  };
  // The last stage's sampling state of a sequence (PlanSampler).
  struct SeqSampler {
    SamplingParams params;
    Rng rng;
    int64_t prompt_end = 0;
  };
  // A submitted step: its plan and, per replica, the reply [int32 code][result rows] and the
  // posted receive that fills it (none for rank 0's own replica).
  struct InFlight {
    StepPlan plan;
    std::vector<std::vector<uint8_t>> replies;
    std::vector<std::unique_ptr<dist::RecvRequest>> requests;
  };
  // The driver's record of a sequence; DSI_CHECKs that it exists.
  SeqInfo& Seq(int32_t seq);
  const SeqInfo& Seq(int32_t seq) const { return const_cast<ModelRunner*>(this)->Seq(seq); }
  // Runs this rank's part of a plan (edits, its replica's stage) and, on the last stage's tp
  // rank 0 of another rank than 0, sends the replica's reply to rank 0.
  Status Execute(const StepPlan& plan);
  int ResultRank(int replica) const { return world_.RankAt(replica, world_.pp() - 1, 0); }
  // This rank's replica: reserve cache, run the micro-batches through the stage; on the last
  // stage, fill result_ with the requested rows' results.
  Status RunReplica(const StepPlan& plan);
  Status RunMicroBatch(const StepPlan& plan, int64_t begin, int64_t end, int tag);
  void Broadcast(std::vector<int32_t>& words);
  // Rank 0: a plan that carries only `op` (reset stats, shut down) to every rank.
  void BroadcastOp(PlanOp op);
  bool parallel() const { return groups_ != nullptr && world_.size() > 1; }

  dist::World world_;
  const dist::GroupCommunicators* groups_;
  models::CausalLM& model_;
  kv_cache::KvCache& cache_;
  RunnerOptions options_;
  RunnerStats stats_;
  std::unordered_map<int32_t, kv_cache::SequenceKv> local_;  // this replica's sequences
  // Last stage: every token of this replica's sequences, and their samplers.
  std::unordered_map<int32_t, std::vector<int32_t>> history_;
  std::unordered_map<int32_t, SeqSampler> samplers_;
  Sampler sampler_;

  // Driver bookkeeping.
  std::unordered_map<int32_t, SeqInfo> seqs_;
  std::vector<int64_t> replica_load_;  // cached tokens per replica, steps in flight included
  std::vector<int32_t> step_seqs_;     // this step's sequences, sorted
  std::vector<PlanEdit> pending_edits_;
  std::vector<PlanSampler> pending_samplers_;
  int32_t next_seq_ = 0;
  bool shut_down_ = false;

  // Per-step buffers, reused (no allocation once they have grown).
  std::vector<int32_t> words_;
  std::vector<int32_t> mine_;        // indices of this replica's chunks in the plan
  std::vector<int64_t> mine_start_;  // offset of each of those chunks in plan.tokens
  std::vector<int32_t> ids_, positions_, token_seq_, rows_, next_tokens_, chunk_ends_, row_seqs_;
  std::vector<kv_cache::SequenceKv*> batch_seqs_;
  std::vector<uint8_t> stage_in_, stage_out_;
  std::vector<float> logits_;
  std::vector<uint8_t> replica_rows_;         // the last stage's result rows for its replica
  std::deque<InFlight> in_flight_;            // rank 0: submitted steps, oldest first
  std::vector<InFlight> spare_;               // rank 0: collected entries, reused
  std::vector<uint8_t> reply_;                // result rank: the reply it sends
  std::vector<int32_t> failed_replicas_;      // rank 0: replicas whose cache was full
  std::vector<int64_t> replica_result_rows_;  // rank 0: result rows per replica, -1: none
  std::vector<size_t> cursor_;                // rank 0: bytes taken from each replica
};

}  // namespace dsi::runtime
