// ModelRunner: plan broadcast, the micro-batched pipeline of one replica, and the return of
// the last stage's results to rank 0.
#include "runtime/model_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#include "core/logging.h"
#include "runtime/sampler.h"

namespace dsi::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr int kResultTag = 1;

size_t RowBytes(ResultKind kind, int64_t vocab) {
  switch (kind) {
    case ResultKind::kLogits:
      return static_cast<size_t>(vocab) * sizeof(float);
    case ResultKind::kArgMax:
    case ResultKind::kSample:
      return sizeof(int32_t);
    case ResultKind::kNextLogProb:
      return sizeof(double);
  }
  return 0;
}

// log softmax(row)[target], in double.
double LogProb(const float* row, int64_t vocab, int32_t target) {
  const float max_logit = *std::max_element(row, row + vocab);
  double sum = 0.0;
  for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - max_logit);
  return static_cast<double>(row[target]) - max_logit - std::log(sum);
}

template <typename T>
void Append(std::vector<uint8_t>& out, const T& value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

}  // namespace

ModelRunner::ModelRunner(const dist::World& world, const dist::GroupCommunicators* groups,
                         models::CausalLM& model, kv_cache::KvCache& cache,
                         const RunnerOptions& options)
    : world_(world),
      groups_(groups),
      model_(model),
      cache_(cache),
      options_(options),
      sampler_(static_cast<int>(model.config().vocab_size)) {
  DSI_CHECK(groups_ != nullptr || world_.size() == 1) << "a parallel runner needs communicators";
  replica_load_.assign(world_.dp(), 0);
  replica_result_rows_.resize(world_.dp());
  cursor_.resize(world_.dp());
}

ModelRunner::~ModelRunner() {
  if (is_driver()) Shutdown();
}

int32_t ModelRunner::NewSequence() {
  DSI_CHECK(is_driver());
  const int32_t id = next_seq_++;
  seqs_.emplace(id, SeqInfo{});
  return id;
}

ModelRunner::SeqInfo& ModelRunner::Seq(int32_t seq) {
  const auto it = seqs_.find(seq);
  DSI_CHECK(it != seqs_.end()) << "unknown sequence " << seq;
  return it->second;
}

int64_t ModelRunner::NumTokens(int32_t seq) const { return Seq(seq).num_tokens; }

int ModelRunner::ReplicaOf(int32_t seq) const { return Seq(seq).replica; }

void ModelRunner::Release(int32_t seq) {
  const SeqInfo& info = Seq(seq);
  if (info.replica >= 0) replica_load_[info.replica] -= info.num_tokens;
  // The ranks hold state for it once it has stepped or has a sampler.
  if (info.replica >= 0 || info.has_sampler) pending_edits_.push_back({seq, -1});
  seqs_.erase(seq);
}

void ModelRunner::SetSampling(int32_t seq, const SamplingParams& params, int64_t prompt_end,
                              uint64_t seed) {
  Seq(seq).has_sampler = true;
  pending_samplers_.push_back({seq, static_cast<int32_t>(prompt_end), seed, params});
}

void ModelRunner::Truncate(int32_t seq, int64_t num_tokens) {
  SeqInfo& info = Seq(seq);
  DSI_CHECK(num_tokens >= 0 && num_tokens <= info.num_tokens);
  if (info.replica < 0) return;
  replica_load_[info.replica] -= info.num_tokens - num_tokens;
  info.num_tokens = num_tokens;
  pending_edits_.push_back({seq, static_cast<int32_t>(num_tokens)});
}

Status ModelRunner::Step(std::span<const RunnerChunk> chunks, ResultKind kind,
                         StepResults& results) {
  DSI_CHECK(in_flight_.empty()) << "Step with submitted steps not collected";
  DSI_RETURN_IF_ERROR(Submit(chunks, kind));
  return Collect(results);
}

Status ModelRunner::Submit(std::span<const RunnerChunk> chunks, ResultKind kind) {
  DSI_CHECK(is_driver() && !shut_down_);
  const int64_t vocab = vocab_size();
  step_seqs_.clear();
  for (const RunnerChunk& c : chunks) step_seqs_.push_back(c.seq);
  std::sort(step_seqs_.begin(), step_seqs_.end());
  if (std::adjacent_find(step_seqs_.begin(), step_seqs_.end()) != step_seqs_.end()) {
    return InvalidArgument("step: a sequence appears in two chunks");
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    const RunnerChunk& c = chunks[i];
    const auto where = [i] { return "step chunk " + std::to_string(i) + ": "; };
    const auto info = seqs_.find(c.seq);
    if (info == seqs_.end()) {
      return InvalidArgument(where() + "unknown sequence " + std::to_string(c.seq));
    }
    if (kind == ResultKind::kSample && !info->second.has_sampler) {
      return InvalidArgument(where() + "sequence " + std::to_string(c.seq) +
                             " has no sampler (SetSampling)");
    }
    const int32_t n = static_cast<int32_t>(c.tokens.size());
    const int32_t last_row = kind == ResultKind::kNextLogProb ? n - 1 : n;
    const bool sample_rows_ok =
        kind != ResultKind::kSample || (c.row_begin == n - 1 && c.row_end == n);
    if (n == 0 || c.row_begin < 0 || c.row_begin > c.row_end || c.row_end > last_row ||
        !sample_rows_ok) {
      return InvalidArgument(where() + "rows [" + std::to_string(c.row_begin) + ", " +
                             std::to_string(c.row_end) + ") do not fit " + std::to_string(n) +
                             " tokens");
    }
    for (int32_t t : c.tokens) {
      if (t < 0 || t >= vocab) {
        return InvalidArgument(where() + "token id " + std::to_string(t) +
                               " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
      }
    }
  }
  if (chunks.empty()) return InvalidArgument("step: no chunks");

  if (spare_.empty()) spare_.emplace_back();
  in_flight_.push_back(std::move(spare_.back()));
  spare_.pop_back();
  InFlight& f = in_flight_.back();
  StepPlan& plan = f.plan;
  plan.Clear();
  plan.kind = kind;
  plan.edits.swap(pending_edits_);
  pending_edits_.clear();
  plan.samplers.swap(pending_samplers_);
  pending_samplers_.clear();
  for (const RunnerChunk& c : chunks) {
    SeqInfo& info = seqs_.at(c.seq);
    if (info.replica < 0) {
      const auto least = std::min_element(replica_load_.begin(), replica_load_.end());
      info.replica = static_cast<int>(least - replica_load_.begin());
    }
    // Counted now so that steps in flight steer new sequences too; undone if the step fails.
    replica_load_[info.replica] += static_cast<int64_t>(c.tokens.size());
    plan.chunks.push_back(
        {c.seq, info.replica, static_cast<int32_t>(c.tokens.size()), c.row_begin, c.row_end});
    plan.tokens.insert(plan.tokens.end(), c.tokens.begin(), c.tokens.end());
  }
  if (parallel()) {
    words_ = plan.Encode();
    Broadcast(words_);
  }
  // Receives for the replicas whose last stage is another rank are posted before rank 0 runs
  // its own stage, so their results can arrive while it computes (or runs later steps).
  const size_t row_bytes = RowBytes(kind, vocab_size());
  f.replies.resize(world_.dp());
  f.requests.resize(world_.dp());
  std::fill(replica_result_rows_.begin(), replica_result_rows_.end(), -1);
  for (const PlanChunk& c : plan.chunks) {
    int64_t& rows = replica_result_rows_[c.replica];
    rows = std::max<int64_t>(rows, 0) + (c.row_end - c.row_begin);
  }
  for (int r = 0; r < world_.dp(); ++r) {
    f.requests[r].reset();
    f.replies[r].clear();
    if (replica_result_rows_[r] < 0) continue;  // no chunks there
    f.replies[r].resize(sizeof(int32_t) + replica_result_rows_[r] * row_bytes);
    const int source = ResultRank(r);
    if (source != 0) {
      f.requests[r] =
          groups_->world().PostRecv(f.replies[r].data(), f.replies[r].size(), source, kResultTag);
    }
  }
  const Status local = Execute(plan);
  if (!local.ok() && local.code() != ErrorCode::kResourceExhausted) {
    // Only on one process (a parallel job ends instead): drop the step.
    Status status = local;
    for (const PlanChunk& c : plan.chunks) replica_load_[c.replica] -= c.num_tokens;
    spare_.push_back(std::move(in_flight_.back()));
    in_flight_.pop_back();
    return status;
  }
  if (ResultRank(world_.dp_rank()) == 0 && !mine_.empty()) {
    std::vector<uint8_t>& reply = f.replies[world_.dp_rank()];
    reply.assign(sizeof(int32_t), 0);
    const int32_t code = local.ok() ? 0 : 1;
    std::memcpy(reply.data(), &code, sizeof(code));
    reply.insert(reply.end(), replica_rows_.begin(), replica_rows_.end());
  }
  return Status::Ok();
}

void ModelRunner::ResetStats() {
  DSI_CHECK(is_driver() && !shut_down_ && in_flight_.empty());
  stats_ = {};
  BroadcastOp(PlanOp::kResetStats);
}

void ModelRunner::Shutdown() {
  if (!is_driver() || shut_down_) return;
  // Steps still in flight finish first, so no rank is left sending a reply nobody receives.
  StepResults ignored;
  while (!in_flight_.empty()) (void)Collect(ignored);
  shut_down_ = true;
  BroadcastOp(PlanOp::kShutdown);
}

void ModelRunner::BroadcastOp(PlanOp op) {
  if (!parallel()) return;
  StepPlan plan;
  plan.op = op;
  words_ = plan.Encode();
  Broadcast(words_);
}

Status ModelRunner::Follow() {
  DSI_CHECK(!is_driver()) << "rank 0 drives the runner";
  for (;;) {
    Broadcast(words_);
    Result<StepPlan> plan = StepPlan::Decode(words_);
    DSI_CHECK(plan.ok()) << plan.status().ToString();
    if (plan->op == PlanOp::kShutdown) return Status::Ok();
    if (plan->op == PlanOp::kResetStats) {
      stats_ = {};
      continue;
    }
    const Status status = Execute(*plan);
    // A full cache is reported to rank 0 and the job goes on; other failures already ended it.
    if (!status.ok() && status.code() != ErrorCode::kResourceExhausted) return status;
  }
}

void ModelRunner::Broadcast(std::vector<int32_t>& words) {
  dist::Communicator& comm = groups_->world();
  int64_t size = static_cast<int64_t>(words.size());
  comm.Broadcast(&size, sizeof(size), 0);
  words.resize(size);
  comm.Broadcast(words.data(), words.size() * sizeof(int32_t), 0);
}

Status ModelRunner::Execute(const StepPlan& plan) {
  const Clock::time_point start = Clock::now();
  for (const PlanEdit& e : plan.edits) {
    if (e.num_tokens < 0) samplers_.erase(e.seq);
    const auto it = local_.find(e.seq);
    if (it == local_.end()) continue;  // held by another replica
    if (e.num_tokens < 0) {
      local_.erase(it);
      history_.erase(e.seq);
    } else {
      it->second.set_num_tokens(e.num_tokens);
      if (history_.contains(e.seq)) history_[e.seq].resize(e.num_tokens);
    }
  }
  if (model_.last_stage()) {
    for (const PlanSampler& p : plan.samplers) {
      auto it = samplers_.find(p.seq);
      if (it == samplers_.end()) {
        it = samplers_.emplace(p.seq, SeqSampler{p.params, Rng(p.seed), 0}).first;
      }
      it->second.params = p.params;
      it->second.prompt_end = p.prompt_end;
    }
  }
  const double collectives = options_.tensor_timer ? options_.tensor_timer->seconds() : 0.0;
  const Status status = RunReplica(plan);
  ++stats_.steps;
  stats_.step_seconds += SecondsSince(start);
  if (options_.tensor_timer) {
    stats_.collective_seconds += options_.tensor_timer->seconds() - collectives;
  }
  // A replica whose cache is full fails alike on all its ranks before any message; anything
  // else on a rank of a parallel job leaves its peers waiting, so it ends the job.
  if (parallel()) {
    DSI_CHECK(status.ok() || status.code() == ErrorCode::kResourceExhausted)
        << "step failed on " << world_.ToString() << ": " << status.ToString();
  }

  // The last stage's tp rank 0 returns the replica's results to rank 0: [int32 code][rows],
  // always the size rank 0 expects (the rows are left zero when the step failed).
  if (world_.rank() == ResultRank(world_.dp_rank()) && !is_driver() && !mine_.empty()) {
    const int32_t code = status.ok() ? 0 : 1;
    int64_t rows = 0;
    for (int32_t i : mine_) rows += plan.chunks[i].row_end - plan.chunks[i].row_begin;
    reply_.assign(sizeof(int32_t) + rows * RowBytes(plan.kind, vocab_size()), 0);
    std::memcpy(reply_.data(), &code, sizeof(code));
    if (code == 0) {
      DSI_CHECK(reply_.size() == sizeof(int32_t) + replica_rows_.size());
      std::memcpy(reply_.data() + sizeof(int32_t), replica_rows_.data(), replica_rows_.size());
    }
    groups_->world().Send(reply_.data(), reply_.size(), 0, kResultTag);
  }
  return status;
}

Status ModelRunner::Collect(StepResults& results) {
  DSI_CHECK(is_driver() && !in_flight_.empty()) << "Collect without a submitted step";
  InFlight& f = in_flight_.front();
  const StepPlan& plan = f.plan;
  const size_t row_bytes = RowBytes(plan.kind, vocab_size());
  failed_replicas_.clear();
  for (int r = 0; r < world_.dp(); ++r) {
    if (f.replies[r].empty()) continue;  // no chunks there
    if (f.requests[r]) f.requests[r]->Wait();
    int32_t code = 0;
    std::memcpy(&code, f.replies[r].data(), sizeof(code));
    if (code != 0) failed_replicas_.push_back(r);
  }
  for (const PlanChunk& c : plan.chunks) {
    const bool failed = std::find(failed_replicas_.begin(), failed_replicas_.end(), c.replica) !=
                        failed_replicas_.end();
    if (failed) {
      replica_load_[c.replica] -= c.num_tokens;
    } else if (const auto it = seqs_.find(c.seq); it != seqs_.end()) {
      it->second.num_tokens += c.num_tokens;
    }
  }
  Status status = Status::Ok();
  if (!failed_replicas_.empty()) {
    const std::string which =
        world_.dp() > 1 ? " of data-parallel replica " + std::to_string(failed_replicas_[0]) : "";
    status = ResourceExhausted("the KV cache" + which +
                               " has no room for this step's tokens (raise --kv-tokens)");
  } else {
    // Replica rows are in the order of that replica's chunks; interleave them in plan order.
    const size_t total = plan.NumResultRows() * row_bytes;
    uint8_t* to = nullptr;
    switch (plan.kind) {
      case ResultKind::kLogits:
        results.logits.resize(total / sizeof(float));
        to = reinterpret_cast<uint8_t*>(results.logits.data());
        break;
      case ResultKind::kArgMax:
      case ResultKind::kSample:
        results.tokens.resize(total / sizeof(int32_t));
        to = reinterpret_cast<uint8_t*>(results.tokens.data());
        break;
      case ResultKind::kNextLogProb:
        results.logprobs.resize(total / sizeof(double));
        to = reinterpret_cast<uint8_t*>(results.logprobs.data());
        break;
    }
    std::fill(cursor_.begin(), cursor_.end(), sizeof(int32_t));
    for (const PlanChunk& c : plan.chunks) {
      const size_t bytes = (c.row_end - c.row_begin) * row_bytes;
      std::memcpy(to, f.replies[c.replica].data() + cursor_[c.replica], bytes);
      to += bytes;
      cursor_[c.replica] += bytes;
    }
  }
  spare_.push_back(std::move(in_flight_.front()));
  in_flight_.pop_front();
  return status;
}

Status ModelRunner::RunReplica(const StepPlan& plan) {
  mine_.clear();
  mine_start_.clear();
  replica_rows_.clear();
  int64_t offset = 0, total = 0;
  for (size_t i = 0; i < plan.chunks.size(); ++i) {
    const PlanChunk& c = plan.chunks[i];
    if (c.replica == world_.dp_rank()) {
      mine_.push_back(static_cast<int32_t>(i));
      mine_start_.push_back(offset);
      total += c.num_tokens;
    }
    offset += c.num_tokens;
  }
  if (mine_.empty()) return Status::Ok();
  // Room for every chunk first, so that a full cache fails on every rank of the replica
  // before any of them sends a message.
  for (int32_t i : mine_) {
    const PlanChunk& c = plan.chunks[i];
    auto it = local_.find(c.seq);
    if (it == local_.end()) it = local_.emplace(c.seq, cache_.NewSequence()).first;
    DSI_RETURN_IF_ERROR(it->second.Reserve(it->second.num_tokens() + c.num_tokens));
  }
  const int64_t pieces = std::clamp<int64_t>(
      options_.micro_batches, 1,
      std::max<int64_t>(1, total / std::max(1, options_.min_micro_batch_tokens)));
  for (int64_t m = 0; m < pieces; ++m) {
    DSI_RETURN_IF_ERROR(RunMicroBatch(plan, total * m / pieces, total * (m + 1) / pieces,
                                      static_cast<int>(m % dist::kMaxTag)));
  }
  stats_.tokens += total;
  return Status::Ok();
}

// Tokens [begin, end) of this replica's token stream (its chunks, concatenated in order).
Status ModelRunner::RunMicroBatch(const StepPlan& plan, int64_t begin, int64_t end, int tag) {
  ids_.clear();
  positions_.clear();
  token_seq_.clear();
  rows_.clear();
  next_tokens_.clear();
  batch_seqs_.clear();
  chunk_ends_.clear();
  row_seqs_.clear();
  int64_t stream = 0;  // where the current chunk starts in the replica's stream
  for (size_t k = 0; k < mine_.size(); ++k) {
    const PlanChunk& c = plan.chunks[mine_[k]];
    const int64_t lo = std::max(begin, stream), hi = std::min(end, stream + c.num_tokens);
    if (lo < hi) {
      kv_cache::SequenceKv* seq = &local_.at(c.seq);
      const int32_t s = static_cast<int32_t>(batch_seqs_.size());
      batch_seqs_.push_back(seq);
      chunk_ends_.push_back(static_cast<int32_t>(seq->num_tokens() + (stream + c.num_tokens - lo)));
      const int32_t* tokens = plan.tokens.data() + mine_start_[k];
      if (model_.last_stage()) {
        std::vector<int32_t>& history = history_[c.seq];
        history.insert(history.end(), tokens + (lo - stream), tokens + (hi - stream));
      }
      for (int64_t t = lo; t < hi; ++t) {
        const int64_t row = t - stream;  // row inside the chunk
        ids_.push_back(tokens[row]);
        positions_.push_back(static_cast<int32_t>(seq->num_tokens() + (t - lo)));
        token_seq_.push_back(s);
        if (row >= c.row_begin && row < c.row_end) {
          rows_.push_back(static_cast<int32_t>(ids_.size() - 1));
          next_tokens_.push_back(row + 1 < c.num_tokens ? tokens[row + 1] : -1);
          row_seqs_.push_back(c.seq);
        }
      }
    }
    stream += c.num_tokens;
  }
  const models::ModelConfig& config = model_.config();
  const int64_t n = static_cast<int64_t>(ids_.size());
  const size_t stage_bytes = n * config.hidden_size * DTypeSize(model_.options().compute_dtype);
  dist::Communicator* pipe = world_.pp() > 1 ? &groups_->pipeline() : nullptr;
  Tensor input;
  if (!model_.first_stage()) {
    stage_in_.resize(stage_bytes);
    const Clock::time_point wait = Clock::now();
    pipe->Recv(stage_in_.data(), stage_bytes, world_.pp_rank() - 1, tag);
    stats_.pipeline_wait_seconds += SecondsSince(wait);
    input = Tensor(stage_in_.data(), model_.options().compute_dtype, {n, config.hidden_size});
  }
  Tensor output;
  if (model_.last_stage()) {
    logits_.resize(rows_.size() * config.vocab_size);
    output = Tensor(logits_.data(), DType::kF32,
                    {static_cast<int64_t>(rows_.size()), config.vocab_size});
  } else {
    stage_out_.resize(stage_bytes);
    output = Tensor(stage_out_.data(), model_.options().compute_dtype, {n, config.hidden_size});
  }
  models::ForwardBatch batch;
  batch.token_ids = ids_;
  batch.positions = positions_;
  batch.token_seq = token_seq_;
  batch.sequences = batch_seqs_;
  batch.logit_rows = rows_;
  batch.chunk_ends = chunk_ends_;
  const Clock::time_point forward = Clock::now();
  DSI_RETURN_IF_ERROR(model_.ForwardStage(batch, cache_, input, output));
  stats_.forward_seconds += SecondsSince(forward);
  if (!model_.last_stage()) {
    const Clock::time_point wait = Clock::now();
    pipe->Send(stage_out_.data(), stage_bytes, world_.pp_rank() + 1, tag);
    stats_.pipeline_wait_seconds += SecondsSince(wait);
    return Status::Ok();
  }
  const int64_t vocab = config.vocab_size;
  for (size_t r = 0; r < rows_.size(); ++r) {
    float* row = logits_.data() + r * vocab;
    switch (plan.kind) {
      case ResultKind::kLogits: {
        const uint8_t* bytes = reinterpret_cast<const uint8_t*>(row);
        replica_rows_.insert(replica_rows_.end(), bytes, bytes + vocab * sizeof(float));
        break;
      }
      case ResultKind::kArgMax:
        Append(replica_rows_, ArgMax(std::span<const float>(row, vocab)));
        break;
      case ResultKind::kNextLogProb:
        Append(replica_rows_, LogProb(row, vocab, next_tokens_[r]));
        break;
      case ResultKind::kSample: {
        const auto it = samplers_.find(row_seqs_[r]);
        if (it == samplers_.end()) {
          return InvalidArgument("sequence " + std::to_string(row_seqs_[r]) +
                                 " has no sampler (SetSampling)");
        }
        SeqSampler& s = it->second;
        const std::span<const int32_t> all = history_.at(row_seqs_[r]);
        const size_t split = std::min<size_t>(s.prompt_end, all.size());
        Append(replica_rows_, sampler_.Sample(std::span<float>(row, vocab), s.params,
                                              all.first(split), all.subspan(split), s.rng));
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace dsi::runtime
