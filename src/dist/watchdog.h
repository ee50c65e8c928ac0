// Watchdog: ends the job with a clear message when a communication call stays blocked
// longer than a timeout, the one failure Open MPI does not catch by itself: a peer that
// hangs instead of dying (see [NOTE: peer failure] in mpi_communicator.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace dsi::dist {

class Watchdog {
 public:
  using OnTimeout = std::function<void(const std::string& message)>;

  // Fires when a watched call has been in flight for more than timeout_s (> 0). on_timeout
  // runs once, on the watchdog's own thread; the default logs the message at Fatal level,
  // which runs the abort hook (MPI_Abort under MPI) and so ends every rank.
  explicit Watchdog(double timeout_s, OnTimeout on_timeout = nullptr);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Marks one call in flight until destroyed. A Scope of a null watchdog watches nothing.
  class Scope {
   public:
    Scope(Watchdog* dog, uint64_t id) : dog_(dog), id_(id) {}
    Scope(Scope&& other) noexcept : dog_(other.dog_), id_(other.id_) { other.dog_ = nullptr; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Scope& operator=(Scope&&) = delete;
    ~Scope();

   private:
    Watchdog* dog_;
    uint64_t id_;
  };
  // `op` and `group` must be string literals or otherwise outlive the call.
  [[nodiscard]] Scope Watch(const char* op, const char* group, size_t bytes);
  static Scope Watch(Watchdog* dog, const char* op, const char* group, size_t bytes) {
    return dog ? dog->Watch(op, group, bytes) : Scope(nullptr, 0);
  }

  double timeout_s() const { return timeout_s_; }
  bool fired() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Call {
    Clock::time_point start;
    const char* op;
    const char* group;
    size_t bytes;
  };
  void Loop();
  void Finish(uint64_t id);

  const double timeout_s_;
  OnTimeout on_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Call> calls_;
  uint64_t next_id_ = 1;
  bool stop_ = false;
  bool fired_ = false;
  std::thread thread_;
};

// The timeout the MPI communicator uses: DSI_COLLECTIVE_TIMEOUT_S when set (seconds; 0
// turns the watchdog off), else `fallback_s` (0 = no watchdog).
double CollectiveTimeoutFromEnv(double fallback_s);

}  // namespace dsi::dist
