// World: where one rank sits in the dp × pp × tp layout (design.md §4) and which ranks
// share each of its groups. Pure arithmetic: no MPI, no threads; every communicator
// implementation builds its sub-groups from the colors and keys computed here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace dsi::dist {

// Sizes as the user gives them (--tp, --pp, --dp, --ep).
struct ParallelConfig {
  int tp = 1;
  int pp = 1;
  int dp = 0;  // 0: world_size / (tp * pp)
  int ep = 0;  // 0: same as tp (experts partitioned over the whole tp group)
};

// The groups a rank belongs to. Each is a set of ranks that runs collectives together;
// the rank's index inside a group is World::GroupKey(group).
enum class Group {
  kWorld,         // every rank, in rank order
  kReplica,       // the tp × pp ranks of one data-parallel replica (BatchPlan broadcast)
  kTensor,        // same replica and stage; indexed by tp_rank
  kPipeline,      // same replica and tp_rank; indexed by pp_rank (stage neighbours)
  kData,          // same (pp_rank, tp_rank) in every replica; indexed by dp_rank
  kExpert,        // the ep ranks inside a tp group that partition the experts
  kExpertTensor,  // the tp / ep ranks inside a tp group that split one expert's matrices
};
inline constexpr Group kAllGroups[] = {Group::kWorld,       Group::kReplica, Group::kTensor,
                                       Group::kPipeline,    Group::kData,    Group::kExpert,
                                       Group::kExpertTensor};
const char* GroupName(Group group);  // "tensor", "pipeline", ...

// [NOTE: rank layout] tp is innermost, then pp, then dp:
//   tp_rank = rank % tp, pp_rank = (rank / tp) % pp, dp_rank = rank / (tp * pp).
// A tp group is therefore tp consecutive ranks, which Open MPI's default by-slot mapping
// places on one host, so the chattiest collectives stay in shared memory.
//
// [NOTE: expert layout] Experts live inside a tp group (pp stages own different layers and
// dp replicas are independent, so no other group could share an expert's work). The tp group
// is viewed as ep × etp with etp = tp / ep: ep_rank = tp_rank / etp picks which slice of
// the experts a rank owns, etp_rank = tp_rank % etp picks its shard of each owned expert's
// intermediate dimension. ep = tp (the default) gives whole experts per rank; ep = 1 gives
// Megatron-style tensor-parallel experts. Either way every rank ends the MoE layer with a
// partial sum for every token, so one all-reduce over the tp group combines them.
class World {
 public:
  // Validates the layout: sizes ≥ 1, tp × pp × dp == world_size, ep divides tp.
  static Result<World> Create(int world_size, int rank, const ParallelConfig& config);
  // A world of one rank (tp = pp = dp = ep = 1).
  static World Single();

  int rank() const { return rank_; }
  int size() const { return size_; }
  int tp() const { return tp_; }
  int pp() const { return pp_; }
  int dp() const { return dp_; }
  int ep() const { return ep_; }
  int etp() const { return tp_ / ep_; }
  int tp_rank() const { return rank_ % tp_; }
  int pp_rank() const { return (rank_ / tp_) % pp_; }
  int dp_rank() const { return rank_ / (tp_ * pp_); }
  int ep_rank() const { return tp_rank() / etp(); }
  int etp_rank() const { return tp_rank() % etp(); }

  // The world rank at the given coordinates.
  int RankAt(int dp_rank, int pp_rank, int tp_rank) const;
  // Rank 0 of this rank's replica: it runs the replica's scheduler and broadcasts plans.
  int ReplicaRoot() const { return RankAt(dp_rank(), 0, 0); }
  bool IsReplicaRoot() const { return rank_ == ReplicaRoot(); }
  bool IsFirstStage() const { return pp_rank() == 0; }
  bool IsLastStage() const { return pp_rank() == pp_ - 1; }
  // Pipeline neighbours (world ranks) in the same replica with the same tp_rank;
  // nullopt at the ends of the pipeline.
  std::optional<int> PrevStageRank() const;
  std::optional<int> NextStageRank() const;

  // World ranks of this rank's group, ordered by their index in the group.
  std::vector<int> GroupRanks(Group group) const;
  // Ranks with equal color form one group; inside it they are ordered by key, and key is
  // also the rank's index (so GroupRanks(g)[GroupKey(g)] == rank()). Same meaning as the
  // arguments of MPI_Comm_split.
  int GroupColor(Group group) const;
  int GroupKey(Group group) const;
  int GroupSize(Group group) const;

  // "rank 5 of 8 (dp 1/2, pp 0/2, tp 1/2, ep 1/2)" for logs and errors.
  std::string ToString() const;

 private:
  World(int size, int rank, int tp, int pp, int dp, int ep)
      : size_(size), rank_(rank), tp_(tp), pp_(pp), dp_(dp), ep_(ep) {}
  // The world at another rank with the same layout.
  World AtRank(int rank) const { return World(size_, rank, tp_, pp_, dp_, ep_); }

  int size_;
  int rank_;
  int tp_;
  int pp_;
  int dp_;
  int ep_;
};

}  // namespace dsi::dist
