// Splits the world communicator into the groups of a World (see world.h).
#include "dist/group_communicators.h"

#include "core/logging.h"

namespace dsi::dist {

GroupCommunicators GroupCommunicators::Create(const World& world, Communicator& world_comm) {
  DSI_CHECK(world_comm.size() == world.size() && world_comm.rank() == world.rank())
      << "communicator rank " << world_comm.rank() << " of " << world_comm.size()
      << " does not match " << world.ToString();
  GroupCommunicators groups;
  // Every rank splits in the same (kAllGroups) order, as collectives require.
  for (size_t i = 0; i < kNumGroups; ++i) {
    const Group group = kAllGroups[i];
    groups.comms_[i] = world_comm.Split(world.GroupColor(group), world.GroupKey(group));
    groups.comms_[i]->set_label(GroupName(group));
    DSI_CHECK(groups.comms_[i]->rank() == world.GroupKey(group) &&
              groups.comms_[i]->size() == world.GroupSize(group))
        << GroupName(group) << " group: got rank " << groups.comms_[i]->rank() << " of "
        << groups.comms_[i]->size() << " for " << world.ToString();
  }
  return groups;
}

Communicator& GroupCommunicators::Get(Group group) const {
  for (size_t i = 0; i < kNumGroups; ++i) {
    if (kAllGroups[i] == group) return *comms_[i];
  }
  DSI_CHECK(false) << "unknown group " << static_cast<int>(group);
  return *comms_[0];
}

}  // namespace dsi::dist
