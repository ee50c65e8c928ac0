// Tests of World: rank ↔ coordinates for every layout of up to 8 ranks, the members of each
// group, pipeline neighbours, and the validation messages.
#include "dist/world.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace dsi::dist {
namespace {

struct Coords {
  int dp, pp, tp;
};

// Every (world size, tp, pp, ep) with world size ≤ 8, tp × pp dividing it and ep dividing tp.
std::vector<std::tuple<int, ParallelConfig>> AllLayouts() {
  std::vector<std::tuple<int, ParallelConfig>> layouts;
  for (int size = 1; size <= 8; ++size) {
    for (int tp = 1; tp <= size; ++tp) {
      for (int pp = 1; tp * pp <= size; ++pp) {
        if (size % (tp * pp) != 0) continue;
        for (int ep = 1; ep <= tp; ++ep) {
          if (tp % ep == 0) layouts.emplace_back(size, ParallelConfig{tp, pp, 0, ep});
        }
      }
    }
  }
  return layouts;
}

std::string Describe(int size, const ParallelConfig& c) {
  return "size " + std::to_string(size) + " tp " + std::to_string(c.tp) + " pp " +
         std::to_string(c.pp) + " ep " + std::to_string(c.ep);
}

TEST(WorldTest, CoordinatesFollowNestedOrderDpPpTp) {
  const auto layouts = AllLayouts();
  ASSERT_GT(layouts.size(), 30u);
  for (const auto& [size, config] : layouts) {
    SCOPED_TRACE(Describe(size, config));
    const int dp = size / (config.tp * config.pp);
    // Oracle: ranks are numbered by nested loops with tp innermost (design.md §4).
    int rank = 0;
    for (int d = 0; d < dp; ++d) {
      for (int p = 0; p < config.pp; ++p) {
        for (int t = 0; t < config.tp; ++t, ++rank) {
          Result<World> w = World::Create(size, rank, config);
          ASSERT_TRUE(w.ok()) << w.status().ToString();
          EXPECT_EQ(w->dp(), dp);
          EXPECT_EQ(w->dp_rank(), d);
          EXPECT_EQ(w->pp_rank(), p);
          EXPECT_EQ(w->tp_rank(), t);
          EXPECT_EQ(w->RankAt(d, p, t), rank);
          EXPECT_EQ(w->ep_rank() * w->etp() + w->etp_rank(), t);
          EXPECT_EQ(w->ReplicaRoot(), w->RankAt(d, 0, 0));
        }
      }
    }
    EXPECT_EQ(rank, size);
  }
}

TEST(WorldTest, GroupsHoldExactlyTheRanksThatShareTheOtherCoordinates) {
  for (const auto& [size, config] : AllLayouts()) {
    SCOPED_TRACE(Describe(size, config));
    std::vector<World> worlds;
    for (int r = 0; r < size; ++r) worlds.push_back(*World::Create(size, r, config));
    // For each group: which coordinates must be equal, and which one orders the members.
    struct Rule {
      Group group;
      std::function<std::vector<int>(const World&)> fixed;
      std::function<int(const World&)> order;
    };
    const std::vector<Rule> rules = {
        {Group::kWorld, [](const World&) { return std::vector<int>{}; },
         [](const World& w) { return w.rank(); }},
        {Group::kReplica, [](const World& w) { return std::vector<int>{w.dp_rank()}; },
         [](const World& w) { return w.pp_rank() * w.tp() + w.tp_rank(); }},
        {Group::kTensor,
         [](const World& w) {
           return std::vector<int>{w.dp_rank(), w.pp_rank()};
         },
         [](const World& w) { return w.tp_rank(); }},
        {Group::kPipeline,
         [](const World& w) {
           return std::vector<int>{w.dp_rank(), w.tp_rank()};
         },
         [](const World& w) { return w.pp_rank(); }},
        {Group::kData,
         [](const World& w) {
           return std::vector<int>{w.pp_rank(), w.tp_rank()};
         },
         [](const World& w) { return w.dp_rank(); }},
        {Group::kExpert,
         [](const World& w) {
           return std::vector<int>{w.dp_rank(), w.pp_rank(), w.etp_rank()};
         },
         [](const World& w) { return w.ep_rank(); }},
        {Group::kExpertTensor,
         [](const World& w) {
           return std::vector<int>{w.dp_rank(), w.pp_rank(), w.ep_rank()};
         },
         [](const World& w) { return w.etp_rank(); }},
    };
    for (const Rule& rule : rules) {
      SCOPED_TRACE(GroupName(rule.group));
      for (const World& w : worlds) {
        std::vector<std::pair<int, int>> expected;  // (order, rank)
        for (const World& other : worlds) {
          if (rule.fixed(other) == rule.fixed(w))
            expected.emplace_back(rule.order(other), other.rank());
        }
        std::sort(expected.begin(), expected.end());
        std::vector<int> expected_ranks;
        for (const auto& [order, r] : expected) expected_ranks.push_back(r);
        EXPECT_EQ(w.GroupRanks(rule.group), expected_ranks) << "rank " << w.rank();
        EXPECT_EQ(w.GroupSize(rule.group), static_cast<int>(expected_ranks.size()));
        EXPECT_EQ(expected_ranks.at(w.GroupKey(rule.group)), w.rank());
      }
    }
    EXPECT_EQ(worlds[0].GroupSize(Group::kExpert) * worlds[0].GroupSize(Group::kExpertTensor),
              config.tp);
  }
}

TEST(WorldTest, PipelineNeighboursShareReplicaAndTpRank) {
  for (const auto& [size, config] : AllLayouts()) {
    SCOPED_TRACE(Describe(size, config));
    for (int r = 0; r < size; ++r) {
      const World w = *World::Create(size, r, config);
      const std::vector<int> stages = w.GroupRanks(Group::kPipeline);
      const int k = w.pp_rank();
      EXPECT_EQ(w.IsFirstStage(), k == 0);
      EXPECT_EQ(w.IsLastStage(), k == w.pp() - 1);
      EXPECT_EQ(w.PrevStageRank(), k > 0 ? std::optional<int>(stages[k - 1]) : std::nullopt);
      EXPECT_EQ(w.NextStageRank(),
                k + 1 < w.pp() ? std::optional<int>(stages[k + 1]) : std::nullopt);
    }
  }
}

TEST(WorldTest, DesignExampleAndDefaults) {
  // design.md §4 with tp 2, pp 2, dp 2: rank 5 = 1 + 2 × (0 + 2 × 1).
  const World w = *World::Create(8, 5, {.tp = 2, .pp = 2, .dp = 2});
  EXPECT_EQ(w.tp_rank(), 1);
  EXPECT_EQ(w.pp_rank(), 0);
  EXPECT_EQ(w.dp_rank(), 1);
  EXPECT_EQ(w.ep(), 2);  // ep defaults to tp
  EXPECT_EQ(w.ep_rank(), 1);
  EXPECT_EQ(w.etp(), 1);
  EXPECT_EQ(w.ReplicaRoot(), 4);
  EXPECT_EQ(w.NextStageRank(), std::optional<int>(7));
  EXPECT_EQ(w.GroupRanks(Group::kTensor), (std::vector<int>{4, 5}));
  EXPECT_EQ(w.GroupRanks(Group::kData), (std::vector<int>{1, 5}));
  EXPECT_EQ(w.ToString(), "rank 5 of 8 (dp 1/2, pp 0/2, tp 1/2, ep 1/2)");

  const World single = World::Single();
  EXPECT_EQ(single.size(), 1);
  EXPECT_TRUE(single.IsFirstStage() && single.IsLastStage() && single.IsReplicaRoot());
  for (Group g : kAllGroups) EXPECT_EQ(single.GroupRanks(g), std::vector<int>{0});
}

void ExpectError(int size, int rank, ParallelConfig config, std::vector<std::string> parts) {
  Result<World> w = World::Create(size, rank, config);
  ASSERT_FALSE(w.ok()) << Describe(size, config);
  EXPECT_EQ(w.status().code(), ErrorCode::kInvalidArgument);
  for (const std::string& part : parts) {
    EXPECT_NE(w.status().message().find(part), std::string::npos)
        << "message \"" << w.status().message() << "\" lacks \"" << part << "\"";
  }
}

TEST(WorldTest, RejectsBadLayoutsWithMessagesNamingTheSizes) {
  ExpectError(6, 0, {.tp = 2, .pp = 2, .dp = 1}, {"2 × 2 × 1 = 4 ranks", "6 ranks"});
  ExpectError(6, 0, {.tp = 4, .pp = 1}, {"tp × pp = 4", "6 ranks"});
  ExpectError(4, 0, {.tp = 4, .pp = 1, .dp = 0, .ep = 3}, {"ep=3", "divide tp=4"});
  ExpectError(4, 0, {.tp = 2, .pp = 1, .dp = 2, .ep = 4}, {"ep=4", "divide tp=2"});
  ExpectError(4, 0, {.tp = 0}, {"tp must be at least 1, got 0"});
  ExpectError(4, 0, {.tp = 1, .pp = -1}, {"pp must be at least 1, got -1"});
  ExpectError(4, 0, {.tp = 1, .pp = 1, .dp = -2}, {"dp and ep"});
  ExpectError(4, 4, {.tp = 4}, {"rank 4 is outside a world of 4 ranks"});
  ExpectError(0, 0, {}, {"world size must be at least 1"});
  // The same sizes in an order that does multiply out are fine.
  EXPECT_TRUE(World::Create(6, 5, {.tp = 2, .pp = 1, .dp = 3}).ok());
  EXPECT_TRUE(World::Create(4, 3, {.tp = 4, .pp = 1, .dp = 0, .ep = 1}).ok());
}

}  // namespace
}  // namespace dsi::dist
