// ThreadPool implementation: generation counter + condition variables.
#include "core/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include "core/logging.h"

namespace dsi {

bool PinCurrentThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

ThreadPool::ThreadPool(int num_threads, std::vector<int> cpus) : num_threads_(num_threads) {
  DSI_CHECK(num_threads >= 1) << "thread pool needs at least one thread";
  DSI_CHECK(cpus.empty() || static_cast<int>(cpus.size()) >= num_threads)
      << cpus.size() << " cpus for " << num_threads << " threads";
  if (!cpus.empty() && !PinCurrentThread(cpus[0])) {
    DSI_LOG(Warning) << "could not pin thread 0 to cpu " << cpus[0];
  }
  for (int i = 1; i < num_threads; ++i) {
    threads_.emplace_back([this, i, cpu = cpus.empty() ? -1 : cpus[i]] {
      if (cpu >= 0 && !PinCurrentThread(cpu)) {
        DSI_LOG(Warning) << "could not pin thread " << i << " to cpu " << cpu;
      }
      WorkerLoop(i);
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::RunShare(int index) {
  const int64_t begin = n_ * index / num_threads_;
  const int64_t end = n_ * (index + 1) / num_threads_;
  if (begin < end) (*fn_)(begin, end, index);
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    RunShare(index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  if (num_threads_ == 1 || n == 1) {
    fn(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    n_ = n;
    fn_ = &fn;
    pending_ = num_threads_ - 1;
    ++generation_;
  }
  work_cv_.notify_all();
  RunShare(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  fn_ = nullptr;
}

}  // namespace dsi
