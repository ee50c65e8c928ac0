// MPI fault-injection program for expect_job_failure.sh: rank 1 fails in the way the mode
// names while every other rank waits in a collective; the job must end on its own with a
// non-zero exit and a message that says what happened.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/logging.h"
#include "dist/mpi_communicator.h"

int main(int argc, char** argv) {
  using dsi::dist::MpiSession;
  auto session = MpiSession::Init(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "dist_fault_test: %s\n", session.status().ToString().c_str());
    return 2;
  }
  const char* mode = argc > 1 ? argv[1] : "ok";
  bool known = false;
  for (const char* m : {"ok", "abort", "check", "exit", "exit0", "hang"}) {
    known = known || std::strcmp(mode, m) == 0;
  }
  if (!known) {
    std::fprintf(stderr, "dist_fault_test: unknown mode %s (ok|abort|check|exit|exit0|hang)\n",
                 mode);
    return 2;
  }
  std::unique_ptr<dsi::dist::Communicator> world = (*session)->WorldCommunicator();
  float x = 1.0f;
  world->AllReduceSum(std::span<float>(&x, 1));  // everyone is up and connected
  if (world->rank() == 1 && std::strcmp(mode, "ok") != 0) {
    // Give the other ranks time to block inside the next collective.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::fprintf(stderr, "dist_fault_test: rank 1 fails now (mode %s, t=%.3f)\n", mode, now);
    std::fflush(stderr);
    if (!std::strcmp(mode, "abort")) std::abort();
    if (!std::strcmp(mode, "check")) DSI_CHECK(x < 0) << "injected failure on rank 1";
    if (!std::strcmp(mode, "exit")) std::exit(3);   // no MPI_Finalize
    if (!std::strcmp(mode, "exit0")) std::exit(0);  // no MPI_Finalize, "success"
    if (!std::strcmp(mode, "hang")) {
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  world->AllReduceSum(std::span<float>(&x, 1));
  world.reset();
  if ((*session)->rank() == 0) std::printf("dist_fault_test %s: finished normally\n", mode);
  return 0;
}
