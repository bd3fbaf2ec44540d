#include "schedule/instances.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace feedd::schedule {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;

TEST(InstanceFailure, WhichFailuresAreTheInstances) {
  struct Case {
    bool answered;
    long status;
    bool want;
  };
  const std::vector<Case> cases = {
      {false, 0, true},   {true, 500, true},  {true, 502, true},  {true, 503, true},
      {true, 403, true},  {true, 429, true},  {true, 404, false}, {true, 400, false},
      {true, 410, false}, {true, 200, false}, {true, 304, false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(instance_failure(c.answered, c.status), c.want) << c.answered << " " << c.status;
}

TEST(InstanceHealth, AFailedInstanceIsSkippedForAWhileWithDoublingBackoff) {
  const InstanceHealth::Time t0{std::chrono::seconds{1'700'000'000}};
  InstanceHealth h(3);
  EXPECT_THAT(h.order(t0), ElementsAre(0, 1, 2));
  h.failed(0, t0);
  EXPECT_THAT(h.order(t0), ElementsAre(1, 2));
  EXPECT_THAT(h.order(t0 + 59s), ElementsAre(1, 2));
  EXPECT_THAT(h.order(t0 + 60s), ElementsAre(0, 1, 2));  // back in its place after 1 min
  h.failed(0, t0 + 60s);
  EXPECT_TRUE(h.skipped(0, t0 + 60s + 119s));
  EXPECT_FALSE(h.skipped(0, t0 + 60s + 120s));  // 2 min after the second failure in a row
  h.succeeded(0);
  EXPECT_FALSE(h.skipped(0, t0 + 61s));
  h.failed(0, t0);
  EXPECT_TRUE(h.skipped(0, t0 + 59s));  // a success resets the backoff to 1 min

  // Capped at 1 h.
  InstanceHealth capped(1);
  for (int i = 0; i < 20; ++i)
    capped.failed(0, t0);
  EXPECT_TRUE(capped.skipped(0, t0 + 3599s));
  EXPECT_FALSE(capped.skipped(0, t0 + 3600s));
}

TEST(InstanceHealth, EverySkippedStillLeavesTheOneBackSoonest) {
  const InstanceHealth::Time t0{std::chrono::seconds{1'700'000'000}};
  InstanceHealth h(3);
  h.failed(2, t0);
  h.failed(0, t0 + 10s);
  h.failed(1, t0 + 20s);
  EXPECT_THAT(h.order(t0 + 30s), ElementsAre(2));
  EXPECT_THAT(InstanceHealth(0).order(t0), ElementsAre());
}

}  // namespace
}  // namespace feedd::schedule
