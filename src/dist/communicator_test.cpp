// Tests of the pieces under every communicator: the fixed-order sum, chunking, the
// single-process communicator, and the watchdog.
#include "dist/communicator.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <mutex>

#include "dist/reduce_order.h"
#include "dist/watchdog.h"
#include "distributed/rank_values.h"

namespace dsi::dist {
namespace {

using testdata::RankValues;

bool SameBits(const std::vector<float>& a, const float* b) {
  return a.empty() || std::memcmp(a.data(), b, a.size() * sizeof(float)) == 0;
}

TEST(SumInRankOrderTest, EqualsSequentialLeftFoldAndAllowsAliasing) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{511}, size_t{512}, size_t{1537}}) {
    for (int n : {1, 2, 3, 5}) {
      std::vector<std::vector<float>> parts;
      for (int r = 0; r < n; ++r) parts.push_back(RankValues(r, count, 3));
      std::vector<float> expected(count);
      for (size_t i = 0; i < count; ++i) {
        float acc = parts[0][i];
        for (int r = 1; r < n; ++r) acc += parts[r][i];
        expected[i] = acc;
      }
      std::vector<const float*> ptrs;
      for (auto& p : parts) ptrs.push_back(p.data());
      std::vector<float> out(count);
      SumInRankOrder(ptrs.data(), n, count, out.data());
      EXPECT_TRUE(SameBits(expected, out.data())) << count << " " << n;
      // Writing over the last part (the MPI path writes into a rank's own buffer).
      SumInRankOrder(ptrs.data(), n, count, parts[n - 1].data());
      EXPECT_TRUE(SameBits(expected, parts[n - 1].data()));
    }
  }
}

TEST(SumInRankOrderTest, BF16MatchesF32SumRoundedOnce) {
  const size_t count = 700;
  std::vector<std::vector<uint16_t>> parts;
  for (int r = 0; r < 4; ++r) parts.push_back(testdata::RankValuesBF16(r, count, 5));
  std::vector<const uint16_t*> ptrs;
  for (auto& p : parts) ptrs.push_back(p.data());
  std::vector<uint16_t> out(count);
  SumInRankOrderBF16(ptrs.data(), 4, count, out.data());
  for (size_t i = 0; i < count; ++i) {
    float acc = BF16ToF32(parts[0][i]);
    for (int r = 1; r < 4; ++r) acc += BF16ToF32(parts[r][i]);
    ASSERT_EQ(out[i], F32ToBF16(acc)) << i;
  }
}

TEST(ChunkTest, ChunksTileTheRangeEvenly) {
  for (size_t count = 0; count <= 20; ++count) {
    for (int n = 1; n <= 5; ++n) {
      size_t next = 0;
      for (int i = 0; i < n; ++i) {
        const ChunkRange c = Chunk(count, n, i);
        EXPECT_EQ(c.begin, next);
        EXPECT_TRUE(c.size() == count / n || c.size() == count / n + 1);
        next = c.end;
      }
      EXPECT_EQ(next, count);
    }
  }
}

TEST(SingleProcessCommunicatorTest, EveryOperationIsIdentity) {
  SingleProcessCommunicator comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  std::vector<float> v = RankValues(0, 9, 1);
  const std::vector<float> before = v;
  comm.AllReduceSum(std::span<float>(v));
  EXPECT_EQ(v, before);
  std::vector<uint16_t> b = {0x3f80, 0x8000, 0x7fc0};
  comm.AllReduceSum(b.data(), b.size(), DType::kBF16);
  EXPECT_EQ(b, (std::vector<uint16_t>{0x3f80, 0x8000, 0x7fc0}));
  int32_t send = 42, recv = 0;
  comm.AllGather(&send, &recv, sizeof(send));
  EXPECT_EQ(recv, 42);
  comm.Broadcast(&send, sizeof(send), 0);
  comm.Barrier();
  std::unique_ptr<Communicator> split = comm.Split(3, 7);
  EXPECT_EQ(split->size(), 1);
  EXPECT_EQ(split->rank(), 0);
}

TEST(WatchdogTest, FiresOnceForACallBlockedPastTheTimeout) {
  std::mutex mu;
  std::condition_variable cv;
  std::string message;
  Watchdog dog(/*timeout_s=*/0.05, [&](const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    message = m;
    cv.notify_all();
  });
  {
    // A "collective" that only finishes once the watchdog has complained.
    Watchdog::Scope scope = dog.Watch("AllReduceSum", "tensor", 4096);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return !message.empty(); });
  }
  EXPECT_TRUE(dog.fired());
  EXPECT_NE(message.find("AllReduceSum (4096 bytes) on the tensor group"), std::string::npos)
      << message;
  EXPECT_NE(message.find("DSI_COLLECTIVE_TIMEOUT_S"), std::string::npos);
}

TEST(WatchdogTest, QuietWhileCallsFinishInTime) {
  bool fired = false;
  {
    Watchdog dog(/*timeout_s=*/3600, [&](const std::string&) { fired = true; });
    for (int i = 0; i < 100; ++i) Watchdog::Scope scope = dog.Watch("Barrier", "world", 0);
    Watchdog::Scope none = Watchdog::Watch(nullptr, "Barrier", "world", 0);  // no watchdog
  }
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace dsi::dist
