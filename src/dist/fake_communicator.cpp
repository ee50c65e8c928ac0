// The operations of FakeCommunicator: collectives meet in a numbered Slot of their group,
// point-to-point messages wait in the group's mailbox until received.
#include "dist/fake_communicator.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "core/logging.h"
#include "dist/fake_internal.h"
#include "dist/reduce_order.h"

namespace dsi::dist::fake_internal {

void FakeCommunicator::Require(std::unique_lock<std::mutex>& lock, bool ok,
                               const std::string& message) {
  if (!ok) {
    group_->universe->FailAndThrowLocked("rank " + std::to_string(universe_rank()) + " on " +
                                         group_->Name() + ": " + message);
  }
}

void FakeCommunicator::Collective(const std::string& signature, const void* in, void* out,
                                  const std::function<void(Slot&)>& work, int color, int key) {
  Universe& u = *group_->universe;
  std::unique_lock<std::mutex> lock(u.mu);
  if (u.failure) throw FakeWorldAborted(*u.failure);
  const uint64_t seq = next_seq_++;
  const int n = size();
  Slot& slot = group_->slots[seq];
  if (slot.arrived == 0) {
    slot.signature = signature;
    slot.first_rank = rank_;
    slot.in.assign(n, nullptr);
    slot.out.assign(n, nullptr);
    slot.colors.assign(n, 0);
    slot.keys.assign(n, 0);
  } else if (slot.signature != signature) {
    std::ostringstream s;
    s << "collective #" << seq << " on " << group_->Name() << " does not match: rank "
      << slot.first_rank << " called " << slot.signature << " but rank " << rank_ << " called "
      << signature;
    u.FailAndThrowLocked(s.str());
  }
  slot.in[rank_] = in;
  slot.out[rank_] = out;
  slot.colors[rank_] = color;
  slot.keys[rank_] = key;
  ++slot.arrived;
  u.cv.notify_all();
  const std::string where = signature + " #" + std::to_string(seq) + " on " + group_->Name();
  u.Wait(lock, universe_rank(), where, [&slot, n] { return slot.arrived == n; });
  work(slot);
  ++slot.done;
  u.cv.notify_all();
  u.Wait(lock, universe_rank(), where + " (leaving)", [&slot, n] { return slot.done == n; });
  if (++slot.left == n) group_->slots.erase(seq);
}

void FakeCommunicator::AllReduceSum(void* data, size_t count, DType dtype) {
  {
    std::unique_lock<std::mutex> lock(group_->universe->mu);
    Require(lock, dtype == DType::kF32 || dtype == DType::kBF16,
            "AllReduceSum supports F32 and BF16, got " + std::string(DTypeName(dtype)));
  }
  const size_t bytes = count * DTypeSize(dtype);
  const std::string signature =
      "AllReduceSum(" + std::string(DTypeName(dtype)) + ", count " + std::to_string(count) + ")";
  Collective(signature, data, data, [&](Slot& slot) {
    // The first rank to get here sums once for everyone; every rank then copies the result.
    // Nobody writes its own buffer before the sum is complete, because the sum happens
    // under the lock before any copy.
    if (!slot.result_ready) {
      slot.reduced.resize(bytes);
      if (dtype == DType::kF32) {
        std::vector<const float*> parts;
        for (const void* p : slot.in) parts.push_back(static_cast<const float*>(p));
        SumInRankOrder(parts.data(), size(), count, reinterpret_cast<float*>(slot.reduced.data()));
      } else {
        std::vector<const uint16_t*> parts;
        for (const void* p : slot.in) parts.push_back(static_cast<const uint16_t*>(p));
        SumInRankOrderBF16(parts.data(), size(), count,
                           reinterpret_cast<uint16_t*>(slot.reduced.data()));
      }
      slot.result_ready = true;
    }
    if (bytes > 0) std::memcpy(data, slot.reduced.data(), bytes);
  });
}

void FakeCommunicator::AllGather(const void* send, void* recv, size_t bytes_per_rank) {
  auto* recv_bytes = static_cast<uint8_t*>(recv);
  Collective("AllGather(" + std::to_string(bytes_per_rank) + " bytes per rank)", send, recv,
             [&](Slot& slot) {
               for (int r = 0; r < size(); ++r) {
                 uint8_t* dst = recv_bytes + r * bytes_per_rank;
                 if (slot.in[r] != dst && bytes_per_rank > 0) {
                   std::memcpy(dst, slot.in[r], bytes_per_rank);
                 }
               }
             });
}

void FakeCommunicator::Broadcast(void* data, size_t bytes, int root) {
  {
    std::unique_lock<std::mutex> lock(group_->universe->mu);
    Require(
        lock, root >= 0 && root < size(),
        "Broadcast root " + std::to_string(root) + " outside a group of " + std::to_string(size()));
  }
  Collective("Broadcast(" + std::to_string(bytes) + " bytes, root " + std::to_string(root) + ")",
             data, data, [&](Slot& slot) {
               if (rank_ != root && bytes > 0) std::memcpy(data, slot.in[root], bytes);
             });
}

void FakeCommunicator::Barrier() {
  Collective("Barrier()", nullptr, nullptr, [](Slot&) {});
}

std::unique_ptr<Communicator> FakeCommunicator::Split(int color, int key) {
  {
    std::unique_lock<std::mutex> lock(group_->universe->mu);
    Require(lock, color >= 0, "Split color must be >= 0, got " + std::to_string(color));
  }
  std::shared_ptr<Group> new_group;
  int new_rank = -1;
  Collective(
      "Split()", nullptr, nullptr,
      [&](Slot& slot) {
        if (!slot.result_ready) {
          // Members of each color ordered by (key, old rank), as MPI_Comm_split does.
          std::map<int, std::vector<std::pair<int, int>>> by_color;
          for (int r = 0; r < size(); ++r) by_color[slot.colors[r]].emplace_back(slot.keys[r], r);
          slot.split_groups.resize(size());
          slot.split_ranks.resize(size());
          for (auto& [c, members] : by_color) {
            std::sort(members.begin(), members.end());
            auto group = std::make_shared<Group>();
            group->universe = group_->universe;
            group->id = group_->universe->next_group_id++;
            for (size_t i = 0; i < members.size(); ++i) {
              const int old_rank = members[i].second;
              group->members.push_back(group_->members[old_rank]);
              slot.split_groups[old_rank] = group;
              slot.split_ranks[old_rank] = static_cast<int>(i);
            }
          }
          slot.result_ready = true;
        }
        new_group = slot.split_groups[rank_];
        new_rank = slot.split_ranks[rank_];
      },
      color, key);
  auto comm = std::make_unique<FakeCommunicator>(std::move(new_group), new_rank);
  comm->set_label(label() + "/split");
  return comm;
}

void FakeCommunicator::Send(const void* data, size_t bytes, int dest, int tag) {
  Universe& u = *group_->universe;
  std::unique_lock<std::mutex> lock(u.mu);
  if (u.failure) throw FakeWorldAborted(*u.failure);
  Require(lock, dest >= 0 && dest < size() && dest != rank_,
          "Send to rank " + std::to_string(dest) + " (a peer in [0, " + std::to_string(size()) +
              ") other than itself)");
  Require(lock, tag >= 0 && tag <= kMaxTag,
          "Send tag " + std::to_string(tag) + " outside [0, " + std::to_string(kMaxTag) + "]");
  // A posted receive takes the message at once (the earliest posted one: MPI's order).
  for (PostedRecv& p : group_->posted) {
    if (p.done || p.source != rank_ || p.dest != dest || p.tag != tag) continue;
    Require(lock, p.bytes == bytes,
            "Send of " + std::to_string(bytes) + " bytes to rank " + std::to_string(dest) +
                " tag " + std::to_string(tag) + " matched a PostRecv of " +
                std::to_string(p.bytes) + " bytes");
    if (bytes > 0) std::memcpy(p.data, data, bytes);
    p.done = true;
    u.cv.notify_all();
    return;
  }
  auto it = group_->mailbox.insert(group_->mailbox.end(),
                                   Message{rank_, dest, tag, data, bytes, /*taken=*/false});
  u.cv.notify_all();
  const std::string where = "Send(" + std::to_string(bytes) + " bytes to rank " +
                            std::to_string(dest) + ", tag " + std::to_string(tag) + ") on " +
                            group_->Name();
  try {
    u.Wait(lock, universe_rank(), where, [it] { return it->taken; });
  } catch (...) {
    group_->mailbox.erase(it);  // its buffer is about to go away with the unwinding frame
    throw;
  }
  group_->mailbox.erase(it);
}

void FakeCommunicator::Recv(void* data, size_t bytes, int source, int tag) {
  Universe& u = *group_->universe;
  std::unique_lock<std::mutex> lock(u.mu);
  if (u.failure) throw FakeWorldAborted(*u.failure);
  Require(lock, source >= 0 && source < size() && source != rank_,
          "Recv from rank " + std::to_string(source) + " (a peer in [0, " + std::to_string(size()) +
              ") other than itself)");
  // Messages from one source with one tag are received in the order they were sent.
  const auto find = [this, source, tag]() -> Message* {
    for (Message& m : group_->mailbox) {
      if (!m.taken && m.source == source && m.dest == rank_ && m.tag == tag) return &m;
    }
    return nullptr;
  };
  const std::string where = "Recv(" + std::to_string(bytes) + " bytes from rank " +
                            std::to_string(source) + ", tag " + std::to_string(tag) + ") on " +
                            group_->Name();
  u.Wait(lock, universe_rank(), where, [&find] { return find() != nullptr; });
  Message* m = find();
  Require(lock, m->bytes == bytes,
          "Recv of " + std::to_string(bytes) + " bytes from rank " + std::to_string(source) +
              " tag " + std::to_string(tag) + " matched a Send of " + std::to_string(m->bytes) +
              " bytes");
  if (bytes > 0) std::memcpy(data, m->data, bytes);
  m->taken = true;
  u.cv.notify_all();
}

namespace {

class FakeRecvRequest final : public RecvRequest {
 public:
  FakeRecvRequest(std::shared_ptr<Group> group, std::list<PostedRecv>::iterator posted,
                  int universe_rank, std::string where)
      : group_(std::move(group)), posted_(posted), universe_rank_(universe_rank),
        where_(std::move(where)) {}
  ~FakeRecvRequest() override {
    if (waited_) return;
    std::lock_guard<std::mutex> lock(group_->universe->mu);
    group_->posted.erase(posted_);  // cancelled
  }
  void Wait() override {
    Universe& u = *group_->universe;
    std::unique_lock<std::mutex> lock(u.mu);
    const auto it = posted_;
    u.Wait(lock, universe_rank_, where_, [it] { return it->done; });
    group_->posted.erase(posted_);
    waited_ = true;
  }

 private:
  std::shared_ptr<Group> group_;
  std::list<PostedRecv>::iterator posted_;
  int universe_rank_;
  std::string where_;
  bool waited_ = false;
};

}  // namespace

std::unique_ptr<RecvRequest> FakeCommunicator::PostRecv(void* data, size_t bytes, int source,
                                                        int tag) {
  Universe& u = *group_->universe;
  std::unique_lock<std::mutex> lock(u.mu);
  if (u.failure) throw FakeWorldAborted(*u.failure);
  Require(lock, source >= 0 && source < size() && source != rank_,
          "PostRecv from rank " + std::to_string(source) + " (a peer in [0, " +
              std::to_string(size()) + ") other than itself)");
  auto posted = group_->posted.insert(group_->posted.end(),
                                      PostedRecv{source, rank_, tag, data, bytes, false});
  // A Send already waiting in the mailbox is taken now, in send order.
  for (Message& m : group_->mailbox) {
    if (m.taken || m.source != source || m.dest != rank_ || m.tag != tag) continue;
    Require(lock, m.bytes == bytes,
            "PostRecv of " + std::to_string(bytes) + " bytes from rank " + std::to_string(source) +
                " tag " + std::to_string(tag) + " matched a Send of " + std::to_string(m.bytes) +
                " bytes");
    if (bytes > 0) std::memcpy(data, m.data, bytes);
    m.taken = true;
    posted->done = true;
    u.cv.notify_all();
    break;
  }
  return std::make_unique<FakeRecvRequest>(
      group_, posted, universe_rank(),
      "Wait for PostRecv(" + std::to_string(bytes) + " bytes from rank " + std::to_string(source) +
          ", tag " + std::to_string(tag) + ") on " + group_->Name());
}

}  // namespace dsi::dist::fake_internal
