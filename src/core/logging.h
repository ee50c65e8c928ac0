// Rank-prefixed logging and DSI_CHECK for broken invariants. A failed check logs
// file:line and the rank, then calls the abort hook (MPI_Abort once dist/ installs it)
// so that no other rank hangs in a collective.
#pragma once

#include <sstream>
#include <string>

namespace dsi {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError, kFatal };

// Rank shown in every log line ("[r1]"); -1 (the default) shows no rank.
void SetLogRank(int rank);
int LogRank();
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// Called by a failed DSI_CHECK after logging; the default is std::abort.
using AbortHook = void (*)();
void SetAbortHook(AbortHook hook);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();  // writes the line; a kFatal message then aborts
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Swallows the stream when a check passes or a level is filtered.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace dsi

#define DSI_LOG(level)                                                  \
  (::dsi::LogLevel::k##level < ::dsi::MinLogLevel())                   \
      ? (void)0                                                         \
      : ::dsi::LogVoidify() &                                           \
            ::dsi::LogMessage(::dsi::LogLevel::k##level, __FILE__, __LINE__).stream()

#define DSI_CHECK(cond)                                                               \
  (cond) ? (void)0                                                                    \
         : ::dsi::LogVoidify() & ::dsi::LogMessage(::dsi::LogLevel::kFatal, __FILE__, \
                                                   __LINE__)                          \
                                         .stream()                                    \
                                     << "check failed: " #cond " "

#define DSI_CHECK_EQ(a, b) DSI_CHECK((a) == (b)) << "(" << (a) << " vs " << (b) << ") "
#define DSI_CHECK_LT(a, b) DSI_CHECK((a) < (b)) << "(" << (a) << " vs " << (b) << ") "
#define DSI_CHECK_LE(a, b) DSI_CHECK((a) <= (b)) << "(" << (a) << " vs " << (b) << ") "
