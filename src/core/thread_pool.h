// A fixed pool of worker threads, optionally pinned one per CPU, that runs
// ParallelFor over index ranges. The calling thread takes part as worker 0, so a
// pool of size 1 runs everything inline with no threads at all.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dsi {

class ThreadPool {
 public:
  // `cpus` lists the CPU ids to pin to (one per thread, worker 0 = caller); empty = no pinning.
  explicit ThreadPool(int num_threads, std::vector<int> cpus = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }

  // Calls fn(begin, end, thread_index) over contiguous chunks covering [0, n); blocks until
  // every chunk is done. Chunks are static (thread t gets the t-th share) so results that
  // depend on chunking are reproducible run to run.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void WorkerLoop(int index);
  void RunShare(int index);

  const int num_threads_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  int64_t n_ = 0;
  const std::function<void(int64_t, int64_t, int)>* fn_ = nullptr;
};

// Pins the calling thread to one CPU; returns false if the OS refused.
bool PinCurrentThread(int cpu);

}  // namespace dsi
