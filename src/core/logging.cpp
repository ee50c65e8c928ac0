// Log sink: one line per message to stderr, prefixed with level, rank and source location.
#include "core/logging.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dsi {
namespace {

std::atomic<int> g_rank{-1};
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<AbortHook> g_abort_hook{nullptr};
std::mutex g_write_mutex;

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 'D';
    case LogLevel::kInfo: return 'I';
    case LogLevel::kWarning: return 'W';
    case LogLevel::kError: return 'E';
    case LogLevel::kFatal: return 'F';
  }
  return '?';
}

}  // namespace

void SetLogRank(int rank) { g_rank = rank; }
int LogRank() { return g_rank; }
void SetMinLogLevel(LogLevel level) { g_min_level = static_cast<int>(level); }
LogLevel MinLogLevel() { return static_cast<LogLevel>(g_min_level.load()); }
void SetAbortHook(AbortHook hook) { g_abort_hook = hook; }

LogMessage::LogMessage(LogLevel level, const char* file, int line) : level_(level) {
  const char* base = std::strrchr(file, '/');
  stream_ << LevelLetter(level);
  if (g_rank >= 0) stream_ << " [r" << g_rank << "]";
  stream_ << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogMessage::~LogMessage() {
  {
    std::lock_guard<std::mutex> lock(g_write_mutex);
    std::string text = stream_.str();
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  }
  if (level_ == LogLevel::kFatal) {
    if (AbortHook hook = g_abort_hook.load()) hook();
    std::abort();
  }
}

}  // namespace dsi
