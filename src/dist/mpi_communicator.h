// MpiSession: MPI start-up and shut-down for a process launched by mpirun (Open MPI), the
// abort hook that makes a failed DSI_CHECK end every rank, and the MPI Communicator.
// mpi.h stays inside the .cpp, so nothing above src/dist sees MPI types.
#pragma once

#include <memory>

#include "core/status.h"
#include "dist/communicator.h"
#include "dist/watchdog.h"

namespace dsi::dist {

// [NOTE: peer failure] How a job ends when one rank fails, as measured with Open MPI 4.1.4
// (Debian) by tests/distributed/expect_job_failure.sh:
// * A rank dies (abort(), a signal, exit(n != 0), or exit(0) without MPI_Finalize) while
//   its peers wait in a collective: mpirun notices the process is gone, kills the other
//   ranks (SIGTERM, then SIGKILL) and exits non-zero with a banner naming the rank and the
//   signal or exit code. Nothing on our side is needed; the job ends about a second after
//   the death.
// * A DSI_CHECK fails: the log line (file:line, rank, reason) is written and flushed, then
//   the abort hook installed by MpiSession::Init calls MPI_Abort(MPI_COMM_WORLD, 1); mpirun
//   kills every rank and exits 1. Open MPI 4.1.4 sometimes loses its own "MPI_ABORT was
//   invoked" banner (it logs "ORTE_ERROR_LOG: Data unpack would read past end of buffer"
//   instead), so the DSI_CHECK line is the message to rely on.
// * An MPI call returns an error: communicators use MPI_ERRORS_RETURN and every return code
//   goes through a DSI_CHECK naming the call, the group and MPI's error string.
// * A rank hangs (endless loop, waits for a message that never comes) while alive: MPI
//   cannot tell this from a slow peer. The Watchdog ends the job once a call has been
//   blocked longer than MpiOptions::collective_timeout_s (or DSI_COLLECTIVE_TIMEOUT_S).
//   It is off by default because some waits are legitimately unbounded: ranks that wait in
//   the plan Broadcast while the server is idle, or at a Barrier while rank 0 loads
//   weights. An engine that enables it must keep such waits shorter than the timeout
//   (e.g. rank 0 broadcasts an empty plan as a heartbeat while idle).
struct MpiOptions {
  // Seconds one collective or Send/Recv may stay blocked before the job is ended;
  // 0 = no watchdog. DSI_COLLECTIVE_TIMEOUT_S, when set, overrides it.
  double collective_timeout_s = 0;
};

class MpiSession {
 public:
  // Whether this build has MPI (Open MPI found by CMake).
  static bool Available();
  // Whether this process was started by mpirun/srun (the launcher's environment is set).
  // Single-process runs should use SingleProcessCommunicator instead of initializing MPI.
  static bool LaunchedByMpirun();

  // MPI_Init_thread asking for MPI_THREAD_MULTIPLE (the watchdog and DSI_CHECKs on worker
  // threads may call MPI_Abort); sets the log rank and installs the abort hook. At most
  // one session per process.
  static Result<std::unique_ptr<MpiSession>> Init(int* argc, char*** argv,
                                                  const MpiOptions& options = {});
  // MPI_Finalize. Communicators from this session should be destroyed first (one left
  // over afterwards skips MPI_Comm_free).
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // A new communicator over every rank (a duplicate of MPI_COMM_WORLD), labelled "world".
  std::unique_ptr<Communicator> WorldCommunicator();
  // The watchdog shared by this session's communicators; null when off.
  Watchdog* watchdog() const { return watchdog_.get(); }

 private:
  MpiSession(int rank, int size, std::shared_ptr<Watchdog> watchdog)
      : rank_(rank), size_(size), watchdog_(std::move(watchdog)) {}

  int rank_;
  int size_;
  std::shared_ptr<Watchdog> watchdog_;
};

}  // namespace dsi::dist
