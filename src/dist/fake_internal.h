// Shared state behind FakeWorld (fake_communicator.h): one Universe per FakeWorld with one
// mutex, the wait/deadlock machinery, and one Group per communicator (the world and every
// Split of it). Private to src/dist.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace dsi::dist::fake_internal {

// Everything the ranks of one FakeWorld share. All fields are guarded by `mu`; so is
// every Group of the universe. One lock for the whole world keeps the fake obviously
// correct; speed does not matter here.
struct Universe {
  explicit Universe(int size) : ranks(size) {}

  struct RankState {
    bool finished = false;
    // While the rank waits: what it waits in, and the condition that lets it go on.
    const std::function<bool()>* ready = nullptr;
    std::string waiting_in;
  };

  // Blocks (releasing `lock`) until ready() holds. Throws FakeWorldAborted when the world
  // has failed or when this wait completes a deadlock (which fails the world).
  void Wait(std::unique_lock<std::mutex>& lock, int rank, std::string what,
            const std::function<bool()>& ready);
  // Records the first failure and wakes every rank. Caller holds `mu`.
  void FailLocked(const std::string& message);
  [[noreturn]] void FailAndThrowLocked(const std::string& message);
  // True when no rank can make progress: each is finished or waits on a false condition.
  bool DeadlockedLocked() const;
  std::string DescribeRanksLocked() const;

  std::mutex mu;
  std::condition_variable cv;
  std::vector<RankState> ranks;
  std::optional<std::string> failure;
  int next_group_id = 1;
};

struct Group;

// One collective in flight: the n-th collective call of each rank of a group meets here.
struct Slot {
  std::string signature;  // "AllReduceSum(F32, count 8)": must match on every rank
  int first_rank = -1;    // who set the signature (for mismatch messages)
  int arrived = 0;
  int done = 0;  // ranks that finished reading peers' buffers
  int left = 0;
  std::vector<const void*> in;
  std::vector<void*> out;
  std::vector<int> colors;  // Split
  std::vector<int> keys;
  bool result_ready = false;
  std::vector<uint8_t> reduced;                      // AllReduceSum result
  std::vector<std::shared_ptr<Group>> split_groups;  // Split result, per rank
  std::vector<int> split_ranks;
};

struct Message {
  int source;
  int dest;
  int tag;
  const void* data;
  size_t bytes;
  bool taken = false;
};

// A receive posted by PostRecv that no Send has filled yet.
struct PostedRecv {
  int source;
  int dest;
  int tag;
  void* data;
  size_t bytes;
  bool done = false;
};

struct Group {
  std::shared_ptr<Universe> universe;
  int id = 0;
  std::vector<int> members;        // universe rank of each group rank
  std::map<uint64_t, Slot> slots;  // by collective sequence number
  std::list<Message> mailbox;      // Sends waiting for their Recv
  std::list<PostedRecv> posted;    // receives waiting for their Send (PostRecv)
  std::string Name() const;        // "group 0 [ranks 0,1,2]"
};

class FakeCommunicator final : public Communicator {
 public:
  FakeCommunicator(std::shared_ptr<Group> group, int rank)
      : group_(std::move(group)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(group_->members.size()); }
  void AllReduceSum(void* data, size_t count, DType dtype) override;
  using Communicator::AllReduceSum;
  void AllGather(const void* send, void* recv, size_t bytes_per_rank) override;
  void Broadcast(void* data, size_t bytes, int root) override;
  void Send(const void* data, size_t bytes, int dest, int tag) override;
  void Recv(void* data, size_t bytes, int source, int tag) override;
  std::unique_ptr<RecvRequest> PostRecv(void* data, size_t bytes, int source, int tag) override;
  void Barrier() override;
  std::unique_ptr<Communicator> Split(int color, int key) override;

 private:
  // The common shape of every collective: meet at slot `next_seq_`, check signatures, wait
  // for all ranks, run `work` (under the lock, once per rank), wait until every rank has
  // run its work (so no buffer is reused while a peer still reads it), leave.
  void Collective(const std::string& signature, const void* in, void* out,
                  const std::function<void(Slot&)>& work, int color = 0, int key = 0);
  int universe_rank() const { return group_->members[rank_]; }
  // Fails the world on a broken precondition instead of aborting the test process.
  void Require(std::unique_lock<std::mutex>& lock, bool ok, const std::string& message);

  std::shared_ptr<Group> group_;
  int rank_;
  uint64_t next_seq_ = 0;
};

}  // namespace dsi::dist::fake_internal
