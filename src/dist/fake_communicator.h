// An in-process world of N ranks run as N threads sharing memory, for unit tests of
// tensor-parallel layers: same Communicator interface as MPI, same sums bit for bit, plus
// checks MPI does not make (mismatched collectives, deadlocks, a rank that returned early).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/status.h"
#include "dist/communicator.h"

namespace dsi::dist {

namespace fake_internal {
struct Universe;
}

// Thrown out of a blocked or later operation of every rank once the fake world has failed
// (a rank threw, collectives did not match, or the ranks deadlocked). RunOnFakeRanks
// catches it; code driving a FakeWorld by hand must let it unwind its rank's thread.
class FakeWorldAborted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// N communicators that rendezvous through shared state. Rank r's communicator must be used
// by one thread (normally one thread per rank). Differences from MPI, all deliberate:
// * Send always waits until the matching Recv has copied the data (the strictest behaviour
//   MPI allows), so an ordering that would deadlock under MPI deadlocks here too, where it
//   is detected and reported instead of hanging.
// * Mismatched collectives (different op, count, dtype or root at the same position in the
//   sequence) and mismatched Send/Recv sizes fail the world with a message naming both.
// * A deadlock (every rank that has not finished is waiting and none can proceed) fails
//   the world with each rank's pending operation.
class FakeWorld {
 public:
  explicit FakeWorld(int size);
  ~FakeWorld();
  FakeWorld(const FakeWorld&) = delete;
  FakeWorld& operator=(const FakeWorld&) = delete;

  int size() const { return static_cast<int>(comms_.size()); }
  Communicator& comm(int rank) { return *comms_.at(rank); }

  // Fails the world: every rank blocked now or later throws FakeWorldAborted(message).
  // The first failure's message is kept.
  void Abort(const std::string& message);
  // Rank `rank` has returned: a peer waiting for it can never proceed (a deadlock).
  void MarkFinished(int rank);
  // The first failure, if any.
  std::optional<std::string> failure() const;

 private:
  std::shared_ptr<fake_internal::Universe> universe_;
  std::vector<std::unique_ptr<Communicator>> comms_;
};

// Runs fn(comm of rank r) on n threads of a fresh FakeWorld and joins them. Returns OK when
// every rank returned normally; otherwise an Internal status whose message names the first
// failure ("rank 1 threw: ...", a collective mismatch, or a deadlock such as a rank that
// returned (e.g. a failed ASSERT_*) while its peers wait for it). Never hangs on a rank that
// leaves early; an endless loop inside fn is not detected.
[[nodiscard]] Status RunOnFakeRanks(int n, const std::function<void(Communicator&)>& fn);

}  // namespace dsi::dist
