// MPI test program (run under mpirun, any number of ranks): every case runs once on the MPI
// communicator and once on an in-process FakeWorld of the same size, and each rank's
// results must be bitwise equal. Exits 0 on every rank when all cases match.
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/logging.h"
#include "dist/fake_communicator.h"
#include "dist/group_communicators.h"
#include "dist/mpi_communicator.h"
#include "distributed/rank_values.h"

namespace dsi::dist {
namespace {

using testdata::RankValues;
using testdata::RankValuesBF16;

// What a case observed on one rank, as raw bytes.
class Record {
 public:
  template <typename T>
  void Add(const std::vector<T>& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    bytes_.insert(bytes_.end(), p, p + v.size() * sizeof(T));
  }
  template <typename T>
  void AddValue(T v) {
    Add(std::vector<T>{v});
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

using Case = std::function<void(Communicator&, Record&)>;

// Small counts take the gather-and-sum path, large ones the chunked path.
constexpr size_t kCounts[] = {0, 1, 3, 1000, 7168, 70001, 300007};

void ReduceF32(Communicator& comm, Record& out) {
  for (size_t count : kCounts) {
    std::vector<float> v = RankValues(comm.rank(), count, 100 + count);
    comm.AllReduceSum(std::span<float>(v));
    out.Add(v);
  }
}

void ReduceBF16(Communicator& comm, Record& out) {
  for (size_t count : kCounts) {
    std::vector<uint16_t> v = RankValuesBF16(comm.rank(), count, 200 + count);
    comm.AllReduceSum(v.data(), v.size(), DType::kBF16);
    out.Add(v);
  }
}

void GatherAndBroadcast(Communicator& comm, Record& out) {
  const int n = comm.size();
  const int me = comm.rank();
  for (size_t bytes : {size_t{1}, size_t{24}, size_t{100000}}) {
    std::vector<uint8_t> mine(bytes);
    for (size_t i = 0; i < bytes; ++i) mine[i] = static_cast<uint8_t>(me * 31 + i);
    std::vector<uint8_t> all(bytes * n);
    comm.AllGather(mine.data(), all.data(), bytes);
    out.Add(all);
    std::vector<uint8_t> in_place(bytes * n, 0xee);
    std::copy(mine.begin(), mine.end(), in_place.begin() + me * bytes);
    comm.AllGather(in_place.data() + me * bytes, in_place.data(), bytes);
    out.Add(in_place);
    for (int root = 0; root < n; ++root) {
      std::vector<uint8_t> b = mine;
      comm.Broadcast(b.data(), b.size(), root);
      out.Add(b);
    }
  }
  comm.Barrier();
}

void PointToPoint(Communicator& comm, Record& out) {
  const int n = comm.size();
  if (n == 1) return;
  const int me = comm.rank();
  const int next = (me + 1) % n;
  const int prev = (me + n - 1) % n;
  // 1 MiB goes through Open MPI's rendezvous protocol, 8 bytes through the eager one.
  for (size_t count : {size_t{2}, size_t{1} << 18}) {
    std::vector<float> send = RankValues(me, count, 300);
    std::vector<float> recv(count);
    if (me % 2 == 0) {
      comm.Send(send.data(), count * 4, next, /*tag=*/7);
      comm.Recv(recv.data(), count * 4, prev, /*tag=*/7);
    } else {
      comm.Recv(recv.data(), count * 4, prev, 7);
      comm.Send(send.data(), count * 4, next, 7);
    }
    out.Add(recv);
  }
  if (me == 0) {
    for (int src = n - 1; src >= 1; --src) {
      int32_t v = 0;
      comm.Recv(&v, sizeof(v), src, /*tag=*/src);
      out.AddValue(v);
    }
  } else {
    const int32_t v = -me;
    comm.Send(&v, sizeof(v), 0, /*tag=*/me);
  }
}

void Groups(Communicator& world_comm, Record& out) {
  const int size = world_comm.size();
  for (int tp = 1; tp <= size; ++tp) {
    for (int pp = 1; tp * pp <= size; ++pp) {
      if (size % (tp * pp) != 0) continue;
      const World world = *World::Create(size, world_comm.rank(), {.tp = tp, .pp = pp});
      const GroupCommunicators groups = GroupCommunicators::Create(world, world_comm);
      for (Group g : kAllGroups) {
        std::vector<float> v = RankValues(world.rank(), 513, 400 + tp);
        groups.Get(g).AllReduceSum(std::span<float>(v));
        out.Add(v);
        out.AddValue(groups.Get(g).rank());
        out.AddValue(groups.Get(g).size());
      }
    }
  }
}

void ManySteps(Communicator& comm, Record& out) {
  std::vector<float> v(4096);
  for (int step = 0; step < 50; ++step) {
    v = RankValues(comm.rank(), 4096, 500 + step);
    comm.AllReduceSum(std::span<float>(v));
    int32_t token = comm.rank() == step % comm.size() ? step : -1;
    comm.Broadcast(&token, sizeof(token), step % comm.size());
    out.AddValue(v[step]);
    out.AddValue(token);
  }
}

// The left fold in rank order computed here from the inputs, so the program checks the
// specification directly too, not only agreement with the fake.
bool ReduceMatchesSpec(int size, const Record& mpi) {
  size_t offset = 0;
  for (size_t count : kCounts) {
    std::vector<std::vector<float>> parts;
    for (int r = 0; r < size; ++r) parts.push_back(RankValues(r, count, 100 + count));
    std::vector<float> sum = parts[0];
    for (size_t i = 0; i < count; ++i) {
      for (int r = 1; r < size; ++r) sum[i] += parts[r][i];
    }
    if (std::memcmp(mpi.bytes().data() + offset, sum.data(), count * 4) != 0) return false;
    offset += count * 4;
  }
  return offset == mpi.bytes().size();
}

// Every rank posts its receive first, then sends (1 MiB: rendezvous) and waits: with blocking
// Recvs after the Sends this ring would deadlock; posted receives let every Send complete.
// A second posted receive from the same source and tag takes the second message.
void PostedReceives(Communicator& comm, Record& out) {
  const int n = comm.size();
  if (n == 1) return;
  const int me = comm.rank();
  const int next = (me + 1) % n;
  const int prev = (me + n - 1) % n;
  const size_t count = size_t{1} << 18;
  std::vector<float> first(count), second(2);
  auto a = comm.PostRecv(first.data(), count * 4, prev, /*tag=*/9);
  auto b = comm.PostRecv(second.data(), 2 * 4, prev, /*tag=*/9);
  const std::vector<float> big = RankValues(me, count, 500), small = RankValues(me, 2, 600);
  comm.Send(big.data(), count * 4, next, 9);
  comm.Send(small.data(), 2 * 4, next, 9);
  a->Wait();
  b->Wait();
  out.Add(first);
  out.Add(second);
}

int Run(MpiSession& session) {
  const std::vector<std::pair<const char*, Case>> cases = {
      {"AllReduceSum f32", ReduceF32},
      {"AllReduceSum bf16", ReduceBF16},
      {"AllGather/Broadcast/Barrier", GatherAndBroadcast},
      {"Send/Recv", PointToPoint},
      {"PostRecv", PostedReceives},
      {"GroupCommunicators", Groups},
      {"50 mixed steps", ManySteps},
  };
  std::unique_ptr<Communicator> world = session.WorldCommunicator();
  const int me = world->rank();
  const int n = world->size();
  int failures = 0;
  for (const auto& [name, run] : cases) {
    Record mpi;
    run(*world, mpi);
    std::vector<Record> fake(n);
    const Status status = RunOnFakeRanks(n, [&](Communicator& c) { run(c, fake[c.rank()]); });
    if (!status.ok()) {
      DSI_LOG(Error) << name << ": the fake world failed: " << status.ToString();
      ++failures;
    } else if (mpi.bytes() != fake[me].bytes()) {
      DSI_LOG(Error) << name << ": MPI results (" << mpi.bytes().size()
                     << " bytes) differ from the fake's (" << fake[me].bytes().size() << ")";
      ++failures;
    }
    if (std::string(name) == "AllReduceSum f32" && !ReduceMatchesSpec(n, mpi)) {
      DSI_LOG(Error) << name << ": MPI sums are not the left fold in rank order";
      ++failures;
    }
  }
  float total = static_cast<float>(failures);
  world->AllReduceSum(std::span<float>(&total, 1));
  if (me == 0) {
    std::printf("dist_mpi_test: %zu cases on %d ranks: %s\n", cases.size(), n,
                total == 0 ? "MPI results bitwise equal to the fake" : "FAILED");
  }
  return total == 0 ? 0 : 1;
}

}  // namespace
}  // namespace dsi::dist

int main(int argc, char** argv) {
  auto session = dsi::dist::MpiSession::Init(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "dist_mpi_test: %s\n", session.status().ToString().c_str());
    return 2;
  }
  return dsi::dist::Run(**session);
}
