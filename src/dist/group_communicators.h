// GroupCommunicators: one communicator per Group of a World, split from the world
// communicator with the colors and keys World computes. Works on any implementation (MPI,
// fake, single process), so the group wiring is tested without MPI.
#pragma once

#include <array>
#include <memory>

#include "dist/communicator.h"
#include "dist/world.h"

namespace dsi::dist {

class GroupCommunicators {
 public:
  // Collective over `world_comm`: every rank calls it with the same layout. world_comm's
  // rank and size must be the World's. The returned communicators do not refer to
  // world_comm afterwards (kWorld gets its own split-off copy).
  static GroupCommunicators Create(const World& world, Communicator& world_comm);

  Communicator& Get(Group group) const;
  Communicator& world() const { return Get(Group::kWorld); }
  Communicator& replica() const { return Get(Group::kReplica); }
  Communicator& tensor() const { return Get(Group::kTensor); }
  Communicator& pipeline() const { return Get(Group::kPipeline); }
  Communicator& data() const { return Get(Group::kData); }
  Communicator& expert() const { return Get(Group::kExpert); }
  Communicator& expert_tensor() const { return Get(Group::kExpertTensor); }

 private:
  static constexpr size_t kNumGroups = std::size(kAllGroups);
  std::array<std::unique_ptr<Communicator>, kNumGroups> comms_;
};

}  // namespace dsi::dist
