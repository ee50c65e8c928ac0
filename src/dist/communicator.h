// Communicator: the collectives and point-to-point transfers that ranks of one group use.
// Implementations: SingleProcessCommunicator (size 1), FakeWorld (N threads, unit tests)
// and the MPI one (mpi_communicator.h). Model code sees only this interface (design.md §4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "core/dtype.h"
#include "core/tensor.h"

namespace dsi::dist {

// Tags of Send/Recv must lie in [0, kMaxTag] (the smallest MPI_TAG_UB the standard allows).
inline constexpr int kMaxTag = 32767;

// Rules shared by every implementation:
// * All ranks of a communicator call its collectives in the same order with matching
//   arguments (count, dtype, root); a mismatch is a bug (the fake reports it, MPI may hang
//   or abort).
// * One communicator is used by one thread at a time. Different communicators (e.g. the
//   tensor and the pipeline group) may be used from different threads.
// * Failures of the transport are not recoverable: they end the whole job with a message
//   (DSI_CHECK, which aborts every rank through the MPI abort hook). There is no Status to
//   check after a collective.
// * Sums follow [NOTE: fixed reduction order] (reduce_order.h), so every rank gets bitwise
//   the same result, on every run, in every implementation.
// A receive posted by Communicator::PostRecv. Wait blocks until the data is in the buffer.
// Destroying a request that was not waited for cancels the receive.
class RecvRequest {
 public:
  virtual ~RecvRequest() = default;
  virtual void Wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  // In place: data[i] = sum over ranks in rank order (see [NOTE: fixed reduction order]).
  // dtype is kF32, or kBF16 (raw uint16_t bits, summed in f32, rounded once at the end).
  virtual void AllReduceSum(void* data, size_t count, DType dtype) = 0;
  // recv[r * bytes_per_rank, (r + 1) * bytes_per_rank) receives rank r's `send`. `send` may
  // be exactly this rank's slot inside `recv` (in-place gather) but may not overlap it
  // otherwise.
  virtual void AllGather(const void* send, void* recv, size_t bytes_per_rank) = 0;
  // Copies `bytes` bytes of rank `root`'s `data` into every rank's `data`.
  virtual void Broadcast(void* data, size_t bytes, int root) = 0;
  // Blocking point-to-point transfer to another rank. Send may block until the matching
  // Recv starts (MPI does for large messages; the fake always does), so pair them so that
  // neither side waits for the other. Recv must name the same byte count as the Send.
  virtual void Send(const void* data, size_t bytes, int dest, int tag) = 0;
  virtual void Recv(void* data, size_t bytes, int source, int tag) = 0;
  // Posts a receive and returns at once: a matching Send can then complete while this rank
  // does other work (e.g. rank 0 computing its pipeline stage while the last stage returns
  // an earlier step's results). `data` must stay valid until Wait returns. Messages from one
  // source with one tag match posted receives and Recvs in the order they were posted.
  virtual std::unique_ptr<RecvRequest> PostRecv(void* data, size_t bytes, int source, int tag) = 0;
  virtual void Barrier() = 0;
  // Collective: ranks passing the same color (≥ 0) form a new communicator in which they
  // are ordered by key (ties by rank), as MPI_Comm_split. See GroupCommunicators for the
  // groups of a World.
  virtual std::unique_ptr<Communicator> Split(int color, int key) = 0;

  // A name for messages and the watchdog ("tensor"); GroupCommunicators names its groups.
  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }

  // Typed conveniences over the calls above.
  void AllReduceSum(std::span<float> data) { AllReduceSum(data.data(), data.size(), DType::kF32); }
  // A contiguous kF32 or kBF16 tensor, reduced in place.
  void AllReduceSum(const Tensor& tensor);

 private:
  std::string label_ = "world";
};

// The communicator of a process that is the whole world: every collective is a copy or
// nothing, so single-process runs take the same code path as parallel ones.
class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void AllReduceSum(void* data, size_t count, DType dtype) override;
  using Communicator::AllReduceSum;
  void AllGather(const void* send, void* recv, size_t bytes_per_rank) override;
  void Broadcast(void* data, size_t bytes, int root) override;
  void Send(const void* data, size_t bytes, int dest, int tag) override;
  void Recv(void* data, size_t bytes, int source, int tag) override;
  std::unique_ptr<RecvRequest> PostRecv(void* data, size_t bytes, int source, int tag) override;
  void Barrier() override {}
  std::unique_ptr<Communicator> Split(int color, int key) override;
};

}  // namespace dsi::dist
