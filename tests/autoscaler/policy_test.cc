// The autoscaler's pure policy.
#include "autoscaler/policy.h"

#include <gtest/gtest.h>

namespace tandem::autoscaler {
namespace {

const std::vector<Tier> kTiers = {
    {"spot", 0, 16, 0.10, true},
    {"on-demand", 0, 4, 0.38, false},
};

std::vector<int> desired(const ScaleDecision& d) {
  std::vector<int> out;
  for (const auto& t : d.tiers) out.push_back(t.desired);
  return out;
}

TEST(Policy, EmptyQueueWantsTheMinimumAndStartsNothing) {
  auto d = decide(kTiers, {}, {3, 2}, 1);
  EXPECT_EQ(d.demand, 0);
  EXPECT_EQ(desired(d), (std::vector<int>{0, 0}));
  EXPECT_EQ(d.to_start(), 0);  // live workers leave by themselves; never stopped here
}

TEST(Policy, TheBaseTierFillsFirst) {
  auto d = decide(kTiers, {3, 0, 0}, {}, 1);
  EXPECT_EQ(desired(d), (std::vector<int>{0, 3}));
  d = decide(kTiers, {10, 0, 0}, {}, 1);
  EXPECT_EQ(desired(d), (std::vector<int>{6, 4}));
}

TEST(Policy, EveryTierIsClampedToItsMax) {
  auto d = decide(kTiers, {1000, 0, 0}, {}, 1);
  EXPECT_EQ(desired(d), (std::vector<int>{16, 4}));
  EXPECT_NE(d.reason.find("980 more would fit"), std::string::npos) << d.reason;
}

TEST(Policy, MinimumsHoldEvenWhenIdle) {
  std::vector<Tier> tiers = {{"base", 2, 4, 0.4, false}, {"burst", 1, 8, 0.1, true}};
  EXPECT_EQ(desired(decide(tiers, {}, {}, 1)), (std::vector<int>{2, 1}));
  EXPECT_EQ(desired(decide(tiers, {5, 0, 0}, {}, 1)), (std::vector<int>{4, 1}));
}

TEST(Policy, RunningAndDelayedJobsCountAsDemand) {
  auto d = decide(kTiers, {0, 5, 2}, {}, 1);
  EXPECT_EQ(d.demand, 7);
  EXPECT_EQ(desired(d), (std::vector<int>{3, 4}));
}

TEST(Policy, SlotsDivideTheDemandRoundingUp) {
  auto d = decide(kTiers, {9, 0, 0}, {}, 4);
  EXPECT_EQ(d.demand, 3);
  EXPECT_EQ(desired(d), (std::vector<int>{0, 3}));
}

TEST(Policy, OnlyTheMissingWorkersAreStarted) {
  auto d = decide(kTiers, {10, 0, 0}, {2, 4}, 1);
  EXPECT_EQ(d.tiers[0].start, 4);
  EXPECT_EQ(d.tiers[1].start, 0);
  EXPECT_EQ(d.to_start(), 4);
  d = decide(kTiers, {1, 0, 0}, {5, 4}, 1);  // more live than desired: nothing stopped
  EXPECT_EQ(d.to_start(), 0);
}

TEST(Policy, NonsenseLimitsAreTreatedSafely) {
  std::vector<Tier> tiers = {{"odd", 5, 2, 0, false}, {"neg", -3, -1, 0, true}};
  auto d = decide(tiers, {100, -4, 0}, {-1}, 0);
  EXPECT_EQ(desired(d), (std::vector<int>{2, 0}));
  EXPECT_EQ(d.demand, 100);
}

TEST(Policy, TheReasonSaysWhy) {
  auto d = decide(kTiers, {6, 1, 0}, {0, 1}, 1);
  EXPECT_NE(d.reason.find("7 job(s) (6 waiting, 1 running, 0 to retry) need 7 worker(s)"),
            std::string::npos)
      << d.reason;
  EXPECT_NE(d.reason.find("on-demand 4/4 (+3)"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("spot 3/16 (+3)"), std::string::npos) << d.reason;
}

}  // namespace
}  // namespace tandem::autoscaler
