// The typed conveniences of Communicator and the size-1 SingleProcessCommunicator.
#include "dist/communicator.h"

#include <cstring>

#include "core/logging.h"

namespace dsi::dist {

void Communicator::AllReduceSum(const Tensor& tensor) {
  DSI_CHECK(tensor.IsContiguous())
      << "AllReduceSum needs a contiguous tensor, got shape " << tensor.shape().ToString();
  AllReduceSum(tensor.data(), static_cast<size_t>(tensor.NumElements()), tensor.dtype());
}

void SingleProcessCommunicator::AllReduceSum(void* data, size_t count, DType dtype) {
  // The sum over one rank is the value itself (a bf16 value widened to f32 and rounded
  // back is unchanged), so there is nothing to do beyond the dtype check every
  // implementation makes.
  DSI_CHECK(dtype == DType::kF32 || dtype == DType::kBF16)
      << "AllReduceSum supports F32 and BF16, got " << DTypeName(dtype);
}

void SingleProcessCommunicator::AllGather(const void* send, void* recv, size_t bytes_per_rank) {
  if (send != recv && bytes_per_rank > 0) std::memmove(recv, send, bytes_per_rank);
}

void SingleProcessCommunicator::Broadcast(void* data, size_t bytes, int root) {
  DSI_CHECK_EQ(root, 0) << "Broadcast root outside a communicator of size 1";
}

void SingleProcessCommunicator::Send(const void* data, size_t bytes, int dest, int tag) {
  DSI_CHECK(false) << "Send to rank " << dest << " in a communicator of size 1: a rank never "
                   << "sends to itself (it would wait for its own Recv)";
}

std::unique_ptr<RecvRequest> SingleProcessCommunicator::PostRecv(void*, size_t, int source, int) {
  DSI_CHECK(false) << "PostRecv from rank " << source << " in a communicator of size 1";
  return nullptr;
}

void SingleProcessCommunicator::Recv(void* data, size_t bytes, int source, int tag) {
  DSI_CHECK(false) << "Recv from rank " << source << " in a communicator of size 1";
}

std::unique_ptr<Communicator> SingleProcessCommunicator::Split(int color, int key) {
  DSI_CHECK(color >= 0) << "Split color must be >= 0, got " << color;
  return std::make_unique<SingleProcessCommunicator>();
}

}  // namespace dsi::dist
