// The start-up of one rank: layout, agreement, stage and shard loading, cache and runner.
#include "runtime/model_session.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/logging.h"
#include "loader/weight_loader.h"
#include "models/pipeline_stages.h"

namespace dsi::runtime {
namespace {

// FNV-1a: the same on every host, unlike std::hash.
uint64_t Fingerprint(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

Result<std::string> ReadConfigText(const std::filesystem::path& dir) {
  std::ifstream in(dir / "config.json", std::ios::binary);
  if (!in) return NotFound((dir / "config.json").string() + ": cannot open");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

Result<std::unique_ptr<kv_cache::KvCache>> CreateKvCache(const models::CausalLM& model,
                                                         int64_t tokens) {
  constexpr int32_t kBlockSize = 16;
  return kv_cache::KvCache::Create(model.KvSpec(), kBlockSize,
                                   (tokens + kBlockSize - 1) / kBlockSize);
}

Result<std::unique_ptr<ModelSession>> ModelSession::Open(const SessionOptions& options,
                                                         dist::Communicator* world_comm) {
  std::unique_ptr<ModelSession> session(new ModelSession());
  DSI_RETURN_IF_ERROR(session->Start(options, world_comm));
  return session;
}

ModelSession::~ModelSession() = default;

std::vector<double> ModelSession::GatherDoubles(double value) {
  std::vector<double> all(world_.size(), value);
  if (groups_) groups_->world().AllGather(&value, all.data(), sizeof(double));
  return all;
}

Status ModelSession::Start(const SessionOptions& o, dist::Communicator* world_comm) {
  const ParallelArgs& p = o.parallel;
  const int size = world_comm ? world_comm->size() : 1;
  const int rank = world_comm ? world_comm->rank() : 0;
  // The layout is checked against the number of ranks before anything else.
  DSI_ASSIGN_OR_RETURN(world_, dist::World::Create(size, rank, {p.tp, p.pp, p.dp, p.ep}));
  if (size > 1) groups_.emplace(dist::GroupCommunicators::Create(world_, *world_comm));
  // Every rank must run the same model with the same options. A rank that cannot read the
  // config still takes part (with a print no other rank has), so nobody is left waiting.
  const Result<std::string> config_text = ReadConfigText(o.model_dir);
  std::ostringstream mine;
  std::vector<std::string> files;  // the weight files' names and sizes
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(o.model_dir, ec)) {
    if (entry.path().extension() == ".safetensors") {
      files.push_back(entry.path().filename().string() + ":" + std::to_string(entry.file_size(ec)));
    }
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) mine << f << '\n';
  mine << (config_text.ok() ? *config_text : config_text.status().ToString()) << '\n'
       << o.fingerprint << " dtype=" << DTypeName(o.model.compute_dtype) << " tp=" << p.tp
       << " pp=" << p.pp << " dp=" << p.dp << " ep=" << p.ep << " pp_layers=" << p.pp_layers
       << " micro=" << p.micro_batches << " kv=" << o.kv_tokens;
  const std::vector<double> prints =
      GatherDoubles(static_cast<double>(Fingerprint(mine.str()) >> 12));
  if (!config_text.ok()) return config_text.status();
  for (int r = 1; r < world_.size(); ++r) {
    if (prints[r] != prints[0]) {
      return InvalidArgument("rank " + std::to_string(r) +
                             " runs another model (config.json, weight files) or other options "
                             "than rank 0; "
                             "every rank must get the same command line and files");
    }
  }

  // This rank's stage and shard; a failure on any rank fails every rank.
  const auto start = std::chrono::steady_clock::now();
  loader::LoadStats stats;
  Status status = [&]() -> Status {
    DSI_ASSIGN_OR_RETURN(const models::ModelConfig config, models::LoadModelConfig(o.model_dir));
    DSI_ASSIGN_OR_RETURN(const std::vector<int64_t> counts, models::ParseLayerCounts(p.pp_layers));
    DSI_ASSIGN_OR_RETURN(const std::vector<models::StageLayers> stages,
                         models::PlanPipelineStages(config, p.pp, counts));
    models::ModelOptions model_options = o.model;
    model_options.layer_begin = stages[world_.pp_rank()].begin;
    model_options.layer_end = stages[world_.pp_rank()].end;
    model_options.ep = p.ep;
    if (groups_) {
      tensor_timer_ = std::make_unique<dist::TimedCommunicator>(groups_->tensor());
      model_options.tp = tensor_timer_.get();
    }
    DSI_ASSIGN_OR_RETURN(model_, loader::LoadModel(o.model_dir, model_options, &stats));
    DSI_ASSIGN_OR_RETURN(cache_, CreateKvCache(*model_, o.kv_tokens));
    return Status::Ok();
  }();
  const std::vector<double> failed = GatherDoubles(status.ok() ? 0.0 : 1.0);
  if (!status.ok()) return status;
  for (int r = 0; r < world_.size(); ++r) {
    if (failed[r] != 0.0) {
      return Status(ErrorCode::kUnavailable,
                    "rank " + std::to_string(r) +
                        " could not load its part of the model (its message says why)");
    }
  }
  load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<double> bytes = GatherDoubles(static_cast<double>(stats.bytes_written));
  rank_weight_bytes_.assign(bytes.begin(), bytes.end());
  RunnerOptions runner_options;
  runner_options.micro_batches = p.micro_batches > 0 ? p.micro_batches : p.pp;
  runner_options.min_micro_batch_tokens = p.min_micro_batch_tokens;
  runner_options.tensor_timer = tensor_timer_.get();
  runner_ = std::make_unique<ModelRunner>(world_, groups_ ? &*groups_ : nullptr, *model_, *cache_,
                                          runner_options);
  return Status::Ok();
}

}  // namespace dsi::runtime
