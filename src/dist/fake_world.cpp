// FakeWorld and RunOnFakeRanks: the shared universe of an in-process world, its waits with
// deadlock detection, and the thread harness that turns any failure into a Status.
#include <sstream>
#include <thread>

#include "core/logging.h"
#include "dist/fake_communicator.h"
#include "dist/fake_internal.h"

namespace dsi::dist {
namespace fake_internal {

void Universe::Wait(std::unique_lock<std::mutex>& lock, int rank, std::string what,
                    const std::function<bool()>& ready) {
  RankState& me = ranks[rank];
  if (me.ready != nullptr) {
    FailAndThrowLocked("rank " + std::to_string(rank) + " entered " + what +
                       " while already waiting in " + me.waiting_in +
                       ": a rank of a FakeWorld must be driven by one thread");
  }
  while (true) {
    if (failure) throw FakeWorldAborted(*failure);
    if (ready()) return;
    me.ready = &ready;
    me.waiting_in = what;
    if (DeadlockedLocked()) {
      const std::string message = "deadlock: " + DescribeRanksLocked();
      me.ready = nullptr;
      FailAndThrowLocked(message);
    }
    cv.wait(lock);
    me.ready = nullptr;
  }
}

void Universe::FailLocked(const std::string& message) {
  if (!failure) failure = message;
  cv.notify_all();
}

void Universe::FailAndThrowLocked(const std::string& message) {
  FailLocked(message);
  throw FakeWorldAborted(*failure);
}

bool Universe::DeadlockedLocked() const {
  bool anyone_waiting = false;
  for (const RankState& r : ranks) {
    if (r.finished) continue;
    if (r.ready == nullptr || (*r.ready)()) return false;  // running, or able to go on
    anyone_waiting = true;
  }
  return anyone_waiting;
}

std::string Universe::DescribeRanksLocked() const {
  std::ostringstream s;
  for (size_t r = 0; r < ranks.size(); ++r) {
    if (r > 0) s << "; ";
    s << "rank " << r << " ";
    if (ranks[r].finished) {
      s << "has returned";
    } else if (ranks[r].ready != nullptr) {
      s << "waits in " << ranks[r].waiting_in;
    } else {
      s << "is running";
    }
  }
  return s.str();
}

std::string Group::Name() const {
  std::ostringstream s;
  s << "group " << id << " [ranks ";
  for (size_t i = 0; i < members.size(); ++i) s << (i ? "," : "") << members[i];
  s << "]";
  return s.str();
}

}  // namespace fake_internal

using fake_internal::FakeCommunicator;
using fake_internal::Group;
using fake_internal::Universe;

FakeWorld::FakeWorld(int size) : universe_(std::make_shared<Universe>(size)) {
  DSI_CHECK(size >= 1) << "a FakeWorld needs at least one rank, got " << size;
  auto group = std::make_shared<Group>();
  group->universe = universe_;
  group->id = 0;
  for (int r = 0; r < size; ++r) group->members.push_back(r);
  for (int r = 0; r < size; ++r) comms_.push_back(std::make_unique<FakeCommunicator>(group, r));
}

FakeWorld::~FakeWorld() = default;

void FakeWorld::Abort(const std::string& message) {
  std::lock_guard<std::mutex> lock(universe_->mu);
  universe_->FailLocked(message);
}

void FakeWorld::MarkFinished(int rank) {
  std::lock_guard<std::mutex> lock(universe_->mu);
  universe_->ranks.at(rank).finished = true;
  if (!universe_->failure && universe_->DeadlockedLocked()) {
    universe_->FailLocked("deadlock: " + universe_->DescribeRanksLocked());
  }
  universe_->cv.notify_all();
}

std::optional<std::string> FakeWorld::failure() const {
  std::lock_guard<std::mutex> lock(universe_->mu);
  return universe_->failure;
}

Status RunOnFakeRanks(int n, const std::function<void(Communicator&)>& fn) {
  if (n < 1)
    return InvalidArgument("RunOnFakeRanks needs at least one rank, got " + std::to_string(n));
  FakeWorld world(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&world, &fn, r] {
      try {
        fn(world.comm(r));
      } catch (const FakeWorldAborted&) {
        // A consequence of a failure already recorded (by a peer or by this rank's own
        // mismatched call); nothing to add.
      } catch (const std::exception& e) {
        world.Abort("rank " + std::to_string(r) + " threw: " + e.what());
      } catch (...) {
        world.Abort("rank " + std::to_string(r) + " threw a non-standard exception");
      }
      world.MarkFinished(r);
    });
  }
  for (std::thread& t : threads) t.join();
  if (std::optional<std::string> failure = world.failure()) {
    return Internal("fake world of " + std::to_string(n) + " ranks failed: " + *failure);
  }
  return Status::Ok();
}

}  // namespace dsi::dist
