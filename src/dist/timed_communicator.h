// TimedCommunicator: wraps another communicator and adds up the wall time its calls take,
// so benchmarks can report the time a rank spends in collectives (dsinfer bench).
#pragma once

#include <chrono>
#include <memory>

#include "dist/communicator.h"

namespace dsi::dist {

class TimedCommunicator final : public Communicator {
 public:
  // `inner` must outlive this object.
  explicit TimedCommunicator(Communicator& inner) : inner_(inner) { set_label(inner.label()); }

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  void AllReduceSum(void* data, size_t count, DType dtype) override {
    Timed t(*this);
    inner_.AllReduceSum(data, count, dtype);
  }
  using Communicator::AllReduceSum;
  void AllGather(const void* send, void* recv, size_t bytes_per_rank) override {
    Timed t(*this);
    inner_.AllGather(send, recv, bytes_per_rank);
  }
  void Broadcast(void* data, size_t bytes, int root) override {
    Timed t(*this);
    inner_.Broadcast(data, bytes, root);
  }
  void Send(const void* data, size_t bytes, int dest, int tag) override {
    Timed t(*this);
    inner_.Send(data, bytes, dest, tag);
  }
  void Recv(void* data, size_t bytes, int source, int tag) override {
    Timed t(*this);
    inner_.Recv(data, bytes, source, tag);
  }
  std::unique_ptr<RecvRequest> PostRecv(void* data, size_t bytes, int source, int tag) override {
    return inner_.PostRecv(data, bytes, source, tag);
  }
  void Barrier() override {
    Timed t(*this);
    inner_.Barrier();
  }
  std::unique_ptr<Communicator> Split(int color, int key) override {
    return inner_.Split(color, key);
  }

  double seconds() const { return seconds_; }
  int64_t calls() const { return calls_; }
  void ResetTimes() { seconds_ = 0, calls_ = 0; }

 private:
  struct Timed {
    explicit Timed(TimedCommunicator& c) : c(c), start(std::chrono::steady_clock::now()) {}
    ~Timed() {
      c.seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++c.calls_;
    }
    TimedCommunicator& c;
    std::chrono::steady_clock::time_point start;
  };

  Communicator& inner_;
  double seconds_ = 0;
  int64_t calls_ = 0;
};

}  // namespace dsi::dist
