// Watchdog thread: polls the calls in flight and reports the oldest one past its timeout.
#include "dist/watchdog.h"

#include <cstdlib>
#include <sstream>

#include "core/logging.h"

namespace dsi::dist {

Watchdog::Watchdog(double timeout_s, OnTimeout on_timeout)
    : timeout_s_(timeout_s), on_timeout_(std::move(on_timeout)) {
  DSI_CHECK(timeout_s > 0) << "watchdog timeout must be positive, got " << timeout_s;
  if (!on_timeout_) {
    on_timeout_ = [](const std::string& message) { DSI_LOG(Fatal) << message; };
  }
  thread_ = std::thread([this] { Loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Watchdog::Scope::~Scope() {
  if (dog_ != nullptr) dog_->Finish(id_);
}

Watchdog::Scope Watchdog::Watch(const char* op, const char* group, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  calls_.emplace(id, Call{Clock::now(), op, group, bytes});
  return Scope(this, id);
}

void Watchdog::Finish(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(id);
}

bool Watchdog::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

void Watchdog::Loop() {
  // Poll a few times per timeout, at least once a second, so a hang is reported within
  // about timeout_s + min(1 s, timeout_s / 4).
  const auto poll = std::chrono::duration<double>(std::min(1.0, timeout_s_ / 4));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, poll, [this] { return stop_; });
    if (stop_ || fired_ || calls_.empty()) continue;
    // Ids grow with start time, so the first call is the oldest.
    const Call oldest = calls_.begin()->second;
    const double waited = std::chrono::duration<double>(Clock::now() - oldest.start).count();
    if (waited <= timeout_s_) continue;
    fired_ = true;
    std::ostringstream message;
    message << "watchdog: " << oldest.op << " (" << oldest.bytes << " bytes) on the "
            << oldest.group << " group has been blocked for " << static_cast<int>(waited)
            << " s (timeout " << timeout_s_
            << " s, DSI_COLLECTIVE_TIMEOUT_S): a peer rank is hung or is not making the "
               "matching call; ending the job";
    lock.unlock();
    on_timeout_(message.str());
    lock.lock();
  }
}

double CollectiveTimeoutFromEnv(double fallback_s) {
  const char* text = std::getenv("DSI_COLLECTIVE_TIMEOUT_S");
  if (text == nullptr || *text == '\0') return fallback_s;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= 0)) {
    DSI_LOG(Warning) << "ignoring DSI_COLLECTIVE_TIMEOUT_S=" << text
                     << " (want a number of seconds >= 0; 0 disables the watchdog)";
    return fallback_s;
  }
  return value;
}

}  // namespace dsi::dist
