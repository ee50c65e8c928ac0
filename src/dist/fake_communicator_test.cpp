// Tests of the in-process fake world: every operation for 1-4 ranks, sums in the fixed
// rank order (f32 and bf16), sub-groups, and the failures it must report instead of hanging.
#include "dist/fake_communicator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>

#include "dist/group_communicators.h"
#include "distributed/rank_values.h"

namespace dsi::dist {
namespace {

using testdata::RankValues;
using testdata::RankValuesBF16;

constexpr size_t kCount = 1037;  // not a multiple of any vector width or block size

// The specification of the sum, written out: f32, left to right in rank order, starting
// from rank 0's value.
std::vector<float> LeftFold(int n, size_t count, uint64_t seed, bool reverse = false) {
  std::vector<std::vector<float>> parts;
  for (int r = 0; r < n; ++r) parts.push_back(RankValues(reverse ? n - 1 - r : r, count, seed));
  std::vector<float> sum = parts[0];
  for (size_t i = 0; i < count; ++i) {
    for (int k = 1; k < n; ++k) sum[i] += parts[k][i];
  }
  return sum;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

class FakeWorldTest : public ::testing::TestWithParam<int> {};

TEST_P(FakeWorldTest, AllReduceSumF32IsTheLeftFoldInRankOrder) {
  const int n = GetParam();
  const std::vector<float> expected = LeftFold(n, kCount, /*seed=*/7);
  if (n >= 3) {
    // The data must be able to tell orders apart, or this test could not fail.
    EXPECT_FALSE(SameBits(expected, LeftFold(n, kCount, 7, /*reverse=*/true)));
  }
  std::vector<std::vector<float>> results(n);
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                std::vector<float> data = RankValues(comm.rank(), kCount, 7);
                comm.AllReduceSum(std::span<float>(data));
                results[comm.rank()] = data;
              }).ok());
  for (int r = 0; r < n; ++r) EXPECT_TRUE(SameBits(results[r], expected)) << "rank " << r;
}

TEST_P(FakeWorldTest, AllReduceSumBF16SumsInF32AndRoundsOnce) {
  const int n = GetParam();
  std::vector<std::vector<uint16_t>> parts;
  for (int r = 0; r < n; ++r) parts.push_back(RankValuesBF16(r, kCount, 11));
  std::vector<uint16_t> expected(kCount);
  std::vector<uint16_t> rounded_each_step(kCount);
  for (size_t i = 0; i < kCount; ++i) {
    float acc = BF16ToF32(parts[0][i]);
    float stepwise = acc;
    for (int r = 1; r < n; ++r) {
      const float v = BF16ToF32(parts[r][i]);
      acc += v;
      stepwise = BF16ToF32(F32ToBF16(stepwise + v));
    }
    expected[i] = F32ToBF16(acc);
    rounded_each_step[i] = F32ToBF16(stepwise);
  }
  if (n >= 3) {
    EXPECT_NE(expected, rounded_each_step);  // the data detects bf16 accumulation
  }
  std::vector<std::vector<uint16_t>> results(n);
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                std::vector<uint16_t> data = RankValuesBF16(comm.rank(), kCount, 11);
                Tensor t(data.data(), DType::kBF16, {11, 94});  // [11, 94] bf16 + 3 spare
                comm.AllReduceSum(t);
                comm.AllReduceSum(data.data() + 1034, 3, DType::kBF16);
                results[comm.rank()] = data;
              }).ok());
  for (int r = 0; r < n; ++r) EXPECT_EQ(results[r], expected) << "rank " << r;
}

TEST_P(FakeWorldTest, NegativeZeroAndEmptyReductionsSurvive) {
  const int n = GetParam();
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                float z = -0.0f;
                comm.AllReduceSum(std::span<float>(&z, 1));
                EXPECT_TRUE(std::signbit(z)) << "-0 + ... + -0 must stay -0";
                comm.AllReduceSum(nullptr, 0, DType::kF32);
              }).ok());
}

TEST_P(FakeWorldTest, AllGatherBroadcastBarrier) {
  const int n = GetParam();
  std::atomic<int> arrived{0};
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                const int me = comm.rank();
                // Separate buffers, then in place (my slot already holds my part).
                const std::vector<int32_t> mine = {me, 10 * me, -me};
                std::vector<int32_t> all(3 * n, -1);
                comm.AllGather(mine.data(), all.data(), sizeof(int32_t) * 3);
                std::vector<int32_t> in_place(3 * n, -1);
                std::copy(mine.begin(), mine.end(), in_place.begin() + 3 * me);
                comm.AllGather(in_place.data() + 3 * me, in_place.data(), sizeof(int32_t) * 3);
                for (int r = 0; r < n; ++r) {
                  EXPECT_EQ(all[3 * r + 1], 10 * r);
                  EXPECT_EQ(
                      std::vector<int32_t>(all.begin() + 3 * r, all.begin() + 3 * r + 3),
                      std::vector<int32_t>(in_place.begin() + 3 * r, in_place.begin() + 3 * r + 3));
                }
                for (int root = 0; root < n; ++root) {
                  std::string text = "from rank " + std::to_string(me);
                  text.resize(16, '.');
                  comm.Broadcast(text.data(), text.size(), root);
                  EXPECT_EQ(text.substr(0, 11), "from rank " + std::to_string(root));
                }
                arrived.fetch_add(1);
                comm.Barrier();
                EXPECT_EQ(arrived.load(), n) << "a rank left the barrier before all arrived";
              }).ok());
}

TEST_P(FakeWorldTest, SendRecvRingWithTagsAndFanIn) {
  const int n = GetParam();
  if (n == 1) GTEST_SKIP() << "a rank never sends to itself";
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                const int me = comm.rank();
                const int next = (me + 1) % n;
                const int prev = (me + n - 1) % n;
                // Even ranks send first, odd ranks receive first: no cycle of waiting Sends.
                const uint64_t out = 1000 + me;
                uint64_t in = 0;
                if (me % 2 == 0) {
                  comm.Send(&out, sizeof(out), next, /*tag=*/5);
                  comm.Recv(&in, sizeof(in), prev, /*tag=*/5);
                } else {
                  comm.Recv(&in, sizeof(in), prev, 5);
                  comm.Send(&out, sizeof(out), next, 5);
                }
                EXPECT_EQ(in, 1000u + prev);
                // Rank 0 receives from the highest rank first, whatever order they send in.
                if (me == 0) {
                  for (int src = n - 1; src >= 1; --src) {
                    int32_t v = 0;
                    comm.Recv(&v, sizeof(v), src, /*tag=*/src);
                    EXPECT_EQ(v, -src);
                  }
                } else {
                  const int32_t v = -me;
                  comm.Send(&v, sizeof(v), 0, /*tag=*/me);
                }
              }).ok());
}

TEST_P(FakeWorldTest, PostedReceivesLetEverySendComplete) {
  const int n = GetParam();
  if (n == 1) GTEST_SKIP() << "a rank never sends to itself";
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                const int me = comm.rank();
                const int next = (me + 1) % n;
                const int prev = (me + n - 1) % n;
                // Every rank sends before it waits: only the posted receives avoid a deadlock.
                uint64_t first = 0, second = 0;
                auto a = comm.PostRecv(&first, sizeof(first), prev, /*tag=*/3);
                auto b = comm.PostRecv(&second, sizeof(second), prev, /*tag=*/3);
                const uint64_t one = 10 * me + 1, two = 10 * me + 2;
                comm.Send(&one, sizeof(one), next, 3);
                comm.Send(&two, sizeof(two), next, 3);
                b->Wait();
                a->Wait();
                EXPECT_EQ(first, 10u * prev + 1);
                EXPECT_EQ(second, 10u * prev + 2);
                // A receive posted after the Send (or before: the order is up to the threads)
                // gets the message either way.
                uint64_t late = 0;
                if (me == 0) {
                  comm.Barrier();
                  auto c = comm.PostRecv(&late, sizeof(late), 1, /*tag=*/4);
                  c->Wait();
                  EXPECT_EQ(late, 77u);
                } else if (me == 1) {
                  const uint64_t v = 77;
                  comm.Barrier();
                  comm.Send(&v, sizeof(v), 0, 4);
                } else {
                  comm.Barrier();
                }
              }).ok());
}

TEST_P(FakeWorldTest, ManyMixedOperationsStayInStep) {
  const int n = GetParam();
  ASSERT_TRUE(RunOnFakeRanks(n, [&](Communicator& comm) {
                std::vector<float> v(33);
                for (int step = 0; step < 200; ++step) {
                  std::fill(v.begin(), v.end(), static_cast<float>(comm.rank() + step));
                  comm.AllReduceSum(std::span<float>(v));
                  const float want = static_cast<float>(n * step + n * (n - 1) / 2);
                  ASSERT_EQ(v[step % 33], want) << "step " << step;
                  int32_t token = comm.rank() == step % n ? step : -1;
                  comm.Broadcast(&token, sizeof(token), step % n);
                  ASSERT_EQ(token, step);
                }
              }).ok());
}

INSTANTIATE_TEST_SUITE_P(Ranks, FakeWorldTest, ::testing::Values(1, 2, 3, 4));

TEST(FakeWorldGroupsTest, SplitGroupsFollowTheWorldLayout) {
  for (const ParallelConfig& config :
       {ParallelConfig{.tp = 2, .pp = 2}, ParallelConfig{.tp = 2, .pp = 1},
        ParallelConfig{.tp = 4, .pp = 1, .dp = 0, .ep = 2}, ParallelConfig{.tp = 1, .pp = 4}}) {
    SCOPED_TRACE("tp " + std::to_string(config.tp) + " pp " + std::to_string(config.pp));
    ASSERT_TRUE(RunOnFakeRanks(4, [&](Communicator& world_comm) {
                  const World world = *World::Create(4, world_comm.rank(), config);
                  const GroupCommunicators groups = GroupCommunicators::Create(world, world_comm);
                  for (Group g : kAllGroups) {
                    // Each group's sum of world ranks is the sum over exactly its members.
                    float x = static_cast<float>(world.rank());
                    groups.Get(g).AllReduceSum(std::span<float>(&x, 1));
                    int expected = 0;
                    for (int r : world.GroupRanks(g)) expected += r;
                    EXPECT_EQ(x, static_cast<float>(expected)) << GroupName(g);
                    EXPECT_EQ(groups.Get(g).label(), GroupName(g));
                  }
                  // Pipeline neighbours talk through the pipeline group by stage index.
                  Communicator& pp = groups.pipeline();
                  int32_t from_prev = -1;
                  const int32_t me = world.rank();
                  if (!world.IsFirstStage()) pp.Recv(&from_prev, 4, pp.rank() - 1, 0);
                  if (!world.IsLastStage()) pp.Send(&me, 4, pp.rank() + 1, 0);
                  EXPECT_EQ(from_prev, world.PrevStageRank().value_or(-1));
                }).ok());
  }
}

void ExpectFailure(int n, const std::function<void(Communicator&)>& fn,
                   std::vector<std::string> parts) {
  const Status status = RunOnFakeRanks(n, fn);
  ASSERT_FALSE(status.ok());
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), std::string::npos)
        << "\"" << status.message() << "\" lacks \"" << part << "\"";
  }
}

TEST(FakeWorldFailureTest, ReportsInsteadOfHanging) {
  // Collectives that do not match.
  ExpectFailure(2,
                [](Communicator& c) {
                  float x[4] = {};
                  if (c.rank() == 0)
                    c.AllReduceSum(std::span<float>(x, 4));
                  else
                    c.Broadcast(x, 16, 0);
                },
                {"does not match", "AllReduceSum(F32, count 4)", "Broadcast(16 bytes, root 0)"});
  ExpectFailure(3,
                [](Communicator& c) {
                  float x[4] = {};
                  c.AllReduceSum(std::span<float>(x, c.rank() == 2 ? 3 : 4));
                },
                {"count 3", "count 4"});
  // A cycle of Recvs.
  ExpectFailure(2,
                [](Communicator& c) {
                  int v = 0;
                  c.Recv(&v, 4, 1 - c.rank(), 0);
                },
                {"deadlock", "rank 0 waits in Recv(4 bytes from rank 1", "rank 1 waits in Recv"});
  // A rank that returns early (as after a failed ASSERT_*) while its peers wait.
  ExpectFailure(3,
                [](Communicator& c) {
                  if (c.rank() == 1) return;
                  c.Barrier();
                },
                {"deadlock", "rank 1 has returned", "rank 0 waits in Barrier()"});
  // A rank that throws: its peers are released and the message names it.
  ExpectFailure(4,
                [](Communicator& c) {
                  if (c.rank() == 2) throw std::runtime_error("boom");
                  float x = 1;
                  c.AllReduceSum(std::span<float>(&x, 1));
                },
                {"rank 2 threw: boom"});
  // Sizes that disagree, bad peers and bad dtypes.
  ExpectFailure(2,
                [](Communicator& c) {
                  char buf[8] = {};
                  if (c.rank() == 0)
                    c.Send(buf, 8, 1, 3);
                  else
                    c.Recv(buf, 4, 0, 3);
                },
                {"Recv of 4 bytes", "Send of 8 bytes"});
  ExpectFailure(2,
                [](Communicator& c) {
                  char b = 0;
                  c.Send(&b, 1, c.rank(), 0);
                },
                {"Send to rank"});
  ExpectFailure(2,
                [](Communicator& c) {
                  int32_t x = 0;
                  c.AllReduceSum(&x, 1, DType::kI32);
                },
                {"supports F32 and BF16, got I32"});
  EXPECT_FALSE(RunOnFakeRanks(0, [](Communicator&) {}).ok());
}

}  // namespace
}  // namespace dsi::dist
