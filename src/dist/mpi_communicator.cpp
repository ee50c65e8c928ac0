// The MPI Communicator over Open MPI: collectives move bytes only and every sum is done by
// SumInRankOrder, so results are bitwise those of the fake (see [NOTE: fixed reduction
// order]); plus MpiSession start-up, the abort hook and the launcher check.
#include "dist/mpi_communicator.h"

#include <cstdlib>

#include "core/logging.h"

#if DSI_HAVE_MPI
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "dist/reduce_order.h"
#endif

namespace dsi::dist {

bool MpiSession::LaunchedByMpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

#if !DSI_HAVE_MPI

bool MpiSession::Available() { return false; }

Result<std::unique_ptr<MpiSession>> MpiSession::Init(int*, char***, const MpiOptions&) {
  return Unsupported(
      "this build of dsinfer has no MPI; install libopenmpi-dev and rebuild to run on "
      "several ranks");
}

MpiSession::~MpiSession() = default;

std::unique_ptr<Communicator> MpiSession::WorldCommunicator() {
  DSI_CHECK(false) << "no MPI in this build";
  return nullptr;
}

#else  // DSI_HAVE_MPI

namespace {

// Per-call byte limits: MPI counts are ints. Every piece boundary depends only on the
// arguments, never on the rank, so all ranks cut the same pieces.
constexpr size_t kMaxPieceBytes = size_t{1} << 28;
// Reductions whose gathered size (bytes × ranks) is at most this use one Allgather and a
// local sum on every rank (one latency); larger ones use Alltoallv + Allgatherv (each rank
// sums one chunk; ~2 × bytes moved per rank instead of ranks × bytes). Both give the same
// bits: only where the sum is computed changes, never its order.
constexpr size_t kGatherReduceMaxBytes = size_t{256} << 10;

void AbortAllRanks() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, 1);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, std::shared_ptr<Watchdog> watchdog)
      : comm_(comm), watchdog_(std::move(watchdog)) {
    Check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    Check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    Check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void AllReduceSum(void* data, size_t count, DType dtype) override {
    DSI_CHECK(dtype == DType::kF32 || dtype == DType::kBF16)
        << "AllReduceSum supports F32 and BF16, got " << DTypeName(dtype);
    const size_t esize = DTypeSize(dtype);
    if (size_ == 1 || count == 0) return;
    auto scope = Watchdog::Watch(watchdog_.get(), "AllReduceSum", label().c_str(), count * esize);
    const size_t piece_elems = kMaxPieceBytes / esize;
    auto* bytes = static_cast<uint8_t*>(data);
    for (size_t begin = 0; begin < count; begin += piece_elems) {
      const size_t n = std::min(piece_elems, count - begin);
      if (n * esize * size_ <= kGatherReduceMaxBytes) {
        ReduceByGather(bytes + begin * esize, n, dtype);
      } else {
        ReduceByChunks(bytes + begin * esize, n, dtype);
      }
    }
  }
  using Communicator::AllReduceSum;

  void AllGather(const void* send, void* recv, size_t bytes_per_rank) override {
    DSI_CHECK(bytes_per_rank <= INT_MAX)
        << "AllGather of " << bytes_per_rank << " bytes per rank exceeds MPI's int count";
    auto scope = Watchdog::Watch(watchdog_.get(), "AllGather", label().c_str(), bytes_per_rank);
    auto* mine = static_cast<uint8_t*>(recv) + rank_ * bytes_per_rank;
    const int n = static_cast<int>(bytes_per_rank);
    // MPI forbids aliasing send and receive buffers; the in-place form says "my slot
    // already holds my contribution".
    const void* sendbuf = send == mine ? MPI_IN_PLACE : send;
    Check(MPI_Allgather(sendbuf, n, MPI_BYTE, recv, n, MPI_BYTE, comm_), "MPI_Allgather");
  }

  void Broadcast(void* data, size_t bytes, int root) override {
    DSI_CHECK(root >= 0 && root < size_)
        << "Broadcast root " << root << " outside the " << label() << " group of " << size_;
    auto scope = Watchdog::Watch(watchdog_.get(), "Broadcast", label().c_str(), bytes);
    auto* p = static_cast<uint8_t*>(data);
    for (size_t begin = 0; begin < bytes; begin += kMaxPieceBytes) {
      const int n = static_cast<int>(std::min(kMaxPieceBytes, bytes - begin));
      Check(MPI_Bcast(p + begin, n, MPI_BYTE, root, comm_), "MPI_Bcast");
    }
  }

  void Send(const void* data, size_t bytes, int dest, int tag) override {
    CheckPeer(dest, tag, bytes, "Send to");
    auto scope = Watchdog::Watch(watchdog_.get(), "Send", label().c_str(), bytes);
    Check(MPI_Send(data, static_cast<int>(bytes), MPI_BYTE, dest, tag, comm_), "MPI_Send");
  }

  void Recv(void* data, size_t bytes, int source, int tag) override {
    CheckPeer(source, tag, bytes, "Recv from");
    auto scope = Watchdog::Watch(watchdog_.get(), "Recv", label().c_str(), bytes);
    MPI_Status status;
    Check(MPI_Recv(data, static_cast<int>(bytes), MPI_BYTE, source, tag, comm_, &status),
          "MPI_Recv");
    int received = 0;
    Check(MPI_Get_count(&status, MPI_BYTE, &received), "MPI_Get_count");
    DSI_CHECK(static_cast<size_t>(received) == bytes)
        << "Recv from rank " << source << " tag " << tag << " on the " << label()
        << " group expected " << bytes << " bytes but the Send had " << received;
  }

  std::unique_ptr<RecvRequest> PostRecv(void* data, size_t bytes, int source, int tag) override {
    CheckPeer(source, tag, bytes, "PostRecv from");
    auto request = std::make_unique<MpiRecvRequest>(*this, bytes, source, tag);
    Check(MPI_Irecv(data, static_cast<int>(bytes), MPI_BYTE, source, tag, comm_,
                    &request->request),
          "MPI_Irecv");
    return request;
  }

  void Barrier() override {
    auto scope = Watchdog::Watch(watchdog_.get(), "Barrier", label().c_str(), 0);
    Check(MPI_Barrier(comm_), "MPI_Barrier");
  }

  std::unique_ptr<Communicator> Split(int color, int key) override {
    DSI_CHECK(color >= 0) << "Split color must be >= 0, got " << color;
    auto scope = Watchdog::Watch(watchdog_.get(), "Split", label().c_str(), 0);
    MPI_Comm split;
    Check(MPI_Comm_split(comm_, color, key, &split), "MPI_Comm_split");
    auto comm = std::make_unique<MpiCommunicator>(split, watchdog_);
    comm->set_label(label() + "/split");
    return comm;
  }

 private:
  struct MpiRecvRequest final : RecvRequest {
    MpiRecvRequest(const MpiCommunicator& comm, size_t bytes, int source, int tag)
        : comm(comm), bytes(bytes), source(source), tag(tag) {}
    ~MpiRecvRequest() override {
      if (request == MPI_REQUEST_NULL) return;
      MPI_Cancel(&request);
      MPI_Wait(&request, MPI_STATUS_IGNORE);
    }
    void Wait() override {
      auto scope = Watchdog::Watch(comm.watchdog_.get(), "Recv", comm.label().c_str(), bytes);
      MPI_Status status;
      comm.Check(MPI_Wait(&request, &status), "MPI_Wait");
      int received = 0;
      comm.Check(MPI_Get_count(&status, MPI_BYTE, &received), "MPI_Get_count");
      DSI_CHECK(static_cast<size_t>(received) == bytes)
          << "PostRecv from rank " << source << " tag " << tag << " on the " << comm.label()
          << " group expected " << bytes << " bytes but the Send had " << received;
    }
    const MpiCommunicator& comm;
    size_t bytes;
    int source, tag;
    MPI_Request request = MPI_REQUEST_NULL;
  };

  void Check(int rc, const char* call) const {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, text, &length);
    DSI_CHECK(false) << call << " on the " << label() << " group (rank " << rank_ << " of " << size_
                     << ") failed: " << std::string(text, length);
  }

  void CheckPeer(int peer, int tag, size_t bytes, const char* what) const {
    DSI_CHECK(peer >= 0 && peer < size_ && peer != rank_)
        << what << " rank " << peer << ": not a peer in the " << label() << " group of " << size_
        << " (this is rank " << rank_ << ")";
    DSI_CHECK(tag >= 0 && tag <= kMaxTag) << "tag " << tag << " outside [0, " << kMaxTag << "]";
    DSI_CHECK(bytes <= INT_MAX) << bytes << " bytes exceed MPI's int count; split the message";
  }

  // Every rank gathers every rank's values and sums them all locally.
  void ReduceByGather(uint8_t* data, size_t count, DType dtype) {
    const size_t bytes = count * DTypeSize(dtype);
    scratch_.resize(bytes * size_);
    Check(MPI_Allgather(data, static_cast<int>(bytes), MPI_BYTE, scratch_.data(),
                        static_cast<int>(bytes), MPI_BYTE, comm_),
          "MPI_Allgather");
    SumParts(scratch_.data(), bytes, count, dtype, data);
  }

  // Rank r receives chunk r of every rank (Alltoallv), sums it, and the summed chunks are
  // gathered back into every rank's buffer (Allgatherv in place).
  void ReduceByChunks(uint8_t* data, size_t count, DType dtype) {
    const size_t esize = DTypeSize(dtype);
    const ChunkRange mine = Chunk(count, size_, rank_);
    const size_t mine_bytes = mine.size() * esize;
    send_counts_.resize(size_);
    send_displs_.resize(size_);
    recv_counts_.resize(size_);
    recv_displs_.resize(size_);
    for (int r = 0; r < size_; ++r) {
      const ChunkRange c = Chunk(count, size_, r);
      send_counts_[r] = static_cast<int>(c.size() * esize);
      send_displs_[r] = static_cast<int>(c.begin * esize);
      recv_counts_[r] = static_cast<int>(mine_bytes);
      recv_displs_[r] = static_cast<int>(r * mine_bytes);
    }
    scratch_.resize(mine_bytes * size_);
    Check(MPI_Alltoallv(data, send_counts_.data(), send_displs_.data(), MPI_BYTE, scratch_.data(),
                        recv_counts_.data(), recv_displs_.data(), MPI_BYTE, comm_),
          "MPI_Alltoallv");
    SumParts(scratch_.data(), mine_bytes, mine.size(), dtype, data + mine.begin * esize);
    // The chunk layout of the gather is the send layout of the scatter.
    Check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, send_counts_.data(),
                         send_displs_.data(), MPI_BYTE, comm_),
          "MPI_Allgatherv");
  }

  // `gathered` holds size_ parts of part_bytes each, in rank order.
  void SumParts(const uint8_t* gathered, size_t part_bytes, size_t count, DType dtype,
                uint8_t* out) {
    if (dtype == DType::kF32) {
      f32_parts_.resize(size_);
      for (int r = 0; r < size_; ++r) {
        f32_parts_[r] = reinterpret_cast<const float*>(gathered + r * part_bytes);
      }
      SumInRankOrder(f32_parts_.data(), size_, count, reinterpret_cast<float*>(out));
    } else {
      bf16_parts_.resize(size_);
      for (int r = 0; r < size_; ++r) {
        bf16_parts_[r] = reinterpret_cast<const uint16_t*>(gathered + r * part_bytes);
      }
      SumInRankOrderBF16(bf16_parts_.data(), size_, count, reinterpret_cast<uint16_t*>(out));
    }
  }

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::shared_ptr<Watchdog> watchdog_;
  // Reused between calls so a steady stream of reductions does not allocate.
  std::vector<uint8_t> scratch_;
  std::vector<int> send_counts_, send_displs_, recv_counts_, recv_displs_;
  std::vector<const float*> f32_parts_;
  std::vector<const uint16_t*> bf16_parts_;
};

}  // namespace

bool MpiSession::Available() { return true; }

Result<std::unique_ptr<MpiSession>> MpiSession::Init(int* argc, char*** argv,
                                                     const MpiOptions& options) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return Internal("MPI is already initialized; create one MpiSession only");
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    return Status(ErrorCode::kUnavailable, "MPI_Init_thread failed; run under mpirun (Open MPI)");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  SetLogRank(rank);
  SetAbortHook(&AbortAllRanks);
  if (provided < MPI_THREAD_MULTIPLE) {
    DSI_LOG(Warning) << "MPI provides thread level " << provided << " < MPI_THREAD_MULTIPLE ("
                     << MPI_THREAD_MULTIPLE
                     << "): an abort from a worker or watchdog thread is not guaranteed";
  }
  std::shared_ptr<Watchdog> watchdog;
  const double timeout_s = CollectiveTimeoutFromEnv(options.collective_timeout_s);
  if (timeout_s > 0) watchdog = std::make_shared<Watchdog>(timeout_s);
  return std::unique_ptr<MpiSession>(new MpiSession(rank, size, std::move(watchdog)));
}

MpiSession::~MpiSession() {
  watchdog_.reset();
  SetAbortHook(nullptr);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::unique_ptr<Communicator> MpiSession::WorldCommunicator() {
  MPI_Comm dup;
  const int rc = MPI_Comm_dup(MPI_COMM_WORLD, &dup);
  DSI_CHECK(rc == MPI_SUCCESS) << "MPI_Comm_dup of MPI_COMM_WORLD failed (code " << rc << ")";
  return std::make_unique<MpiCommunicator>(dup, watchdog_);
}

#endif  // DSI_HAVE_MPI

}  // namespace dsi::dist
