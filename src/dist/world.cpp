// Rank arithmetic and layout validation for World; see [NOTE: rank layout] in world.h.
#include "dist/world.h"

#include <algorithm>
#include <sstream>
#include <utility>

#include "core/logging.h"

namespace dsi::dist {

const char* GroupName(Group group) {
  switch (group) {
    case Group::kWorld:
      return "world";
    case Group::kReplica:
      return "replica";
    case Group::kTensor:
      return "tensor";
    case Group::kPipeline:
      return "pipeline";
    case Group::kData:
      return "data";
    case Group::kExpert:
      return "expert";
    case Group::kExpertTensor:
      return "expert-tensor";
  }
  return "?";
}

Result<World> World::Create(int world_size, int rank, const ParallelConfig& config) {
  const auto layout = [&] {
    std::ostringstream s;
    s << "tp=" << config.tp << " pp=" << config.pp << " dp=" << config.dp << " ep=" << config.ep;
    return s.str();
  };
  if (world_size < 1) {
    return InvalidArgument("world size must be at least 1, got " + std::to_string(world_size));
  }
  if (rank < 0 || rank >= world_size) {
    return InvalidArgument("rank " + std::to_string(rank) + " is outside a world of " +
                           std::to_string(world_size) + " ranks");
  }
  for (auto [name, value] : {std::pair{"tp", config.tp}, std::pair{"pp", config.pp}}) {
    if (value < 1) {
      return InvalidArgument(std::string("parallel layout ") + layout() + ": " + name +
                             " must be at least 1, got " + std::to_string(value));
    }
  }
  if (config.dp < 0 || config.ep < 0) {
    return InvalidArgument("parallel layout " + layout() +
                           ": dp and ep must be at least 1 (or 0 to derive them)");
  }
  const int per_replica = config.tp * config.pp;
  int dp = config.dp;
  if (dp == 0) {
    if (world_size % per_replica != 0) {
      return InvalidArgument("parallel layout " + layout() +
                             ": a replica needs tp × pp = " + std::to_string(per_replica) +
                             " ranks, which does not divide the " + std::to_string(world_size) +
                             " ranks started (mpirun -np); start a multiple of " +
                             std::to_string(per_replica) + " ranks");
    }
    dp = world_size / per_replica;
  } else if (per_replica * dp != world_size) {
    return InvalidArgument(
        "parallel layout " + layout() + ": tp × pp × dp = " + std::to_string(config.tp) + " × " +
        std::to_string(config.pp) + " × " + std::to_string(dp) + " = " +
        std::to_string(per_replica * dp) + " ranks, but " + std::to_string(world_size) +
        " ranks were started (mpirun -np); the product must equal the "
        "number of ranks");
  }
  const int ep = config.ep == 0 ? config.tp : config.ep;
  if (config.tp % ep != 0) {
    return InvalidArgument("parallel layout " + layout() + ": ep=" + std::to_string(ep) +
                           " must divide tp=" + std::to_string(config.tp) +
                           " (experts are partitioned inside a tensor-parallel group: ep ranks "
                           "each own a slice of the experts, tp / ep ranks split each expert)");
  }
  return World(world_size, rank, config.tp, config.pp, dp, ep);
}

World World::Single() { return World(1, 0, 1, 1, 1, 1); }

int World::RankAt(int dp_rank, int pp_rank, int tp_rank) const {
  DSI_CHECK(dp_rank >= 0 && dp_rank < dp_ && pp_rank >= 0 && pp_rank < pp_ && tp_rank >= 0 &&
            tp_rank < tp_)
      << "coordinates dp " << dp_rank << " pp " << pp_rank << " tp " << tp_rank << " outside "
      << ToString();
  return (dp_rank * pp_ + pp_rank) * tp_ + tp_rank;
}

std::optional<int> World::PrevStageRank() const {
  if (IsFirstStage()) return std::nullopt;
  return RankAt(dp_rank(), pp_rank() - 1, tp_rank());
}

std::optional<int> World::NextStageRank() const {
  if (IsLastStage()) return std::nullopt;
  return RankAt(dp_rank(), pp_rank() + 1, tp_rank());
}

int World::GroupColor(Group group) const {
  switch (group) {
    case Group::kWorld:
      return 0;
    case Group::kReplica:
      return dp_rank();
    case Group::kTensor:
      return rank_ / tp_;
    case Group::kPipeline:
      return dp_rank() * tp_ + tp_rank();
    case Group::kData:
      return rank_ % (tp_ * pp_);
    case Group::kExpert:
      return (rank_ / tp_) * etp() + etp_rank();
    case Group::kExpertTensor:
      return (rank_ / tp_) * ep_ + ep_rank();
  }
  DSI_CHECK(false) << "unknown group " << static_cast<int>(group);
  return -1;
}

int World::GroupKey(Group group) const {
  switch (group) {
    case Group::kWorld:
      return rank_;
    case Group::kReplica:
      return rank_ % (tp_ * pp_);
    case Group::kTensor:
      return tp_rank();
    case Group::kPipeline:
      return pp_rank();
    case Group::kData:
      return dp_rank();
    case Group::kExpert:
      return ep_rank();
    case Group::kExpertTensor:
      return etp_rank();
  }
  DSI_CHECK(false) << "unknown group " << static_cast<int>(group);
  return -1;
}

int World::GroupSize(Group group) const {
  switch (group) {
    case Group::kWorld:
      return size_;
    case Group::kReplica:
      return tp_ * pp_;
    case Group::kTensor:
      return tp_;
    case Group::kPipeline:
      return pp_;
    case Group::kData:
      return dp_;
    case Group::kExpert:
      return ep_;
    case Group::kExpertTensor:
      return etp();
  }
  DSI_CHECK(false) << "unknown group " << static_cast<int>(group);
  return -1;
}

std::vector<int> World::GroupRanks(Group group) const {
  // Written from the color/key definition rather than a closed form, so that the ranks
  // listed here are by construction the ones an MPI_Comm_split with those colors groups.
  const int color = GroupColor(group);
  std::vector<std::pair<int, int>> members;  // (key, rank)
  for (int r = 0; r < size_; ++r) {
    const World other = AtRank(r);
    if (other.GroupColor(group) == color) members.emplace_back(other.GroupKey(group), r);
  }
  std::sort(members.begin(), members.end());
  std::vector<int> ranks;
  ranks.reserve(members.size());
  for (const auto& [key, r] : members) ranks.push_back(r);
  return ranks;
}

std::string World::ToString() const {
  std::ostringstream s;
  s << "rank " << rank_ << " of " << size_ << " (dp " << dp_rank() << "/" << dp_ << ", pp "
    << pp_rank() << "/" << pp_ << ", tp " << tp_rank() << "/" << tp_ << ", ep " << ep_rank() << "/"
    << ep_ << ")";
  return s.str();
}

}  // namespace dsi::dist
