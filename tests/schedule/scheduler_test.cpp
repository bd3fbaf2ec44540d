#include "schedule/scheduler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace feedd::schedule {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;
using Strings = std::vector<std::string>;

constexpr Clock kT0{std::chrono::sys_days{std::chrono::year{2024} / 1 / 1}};

PollOutcome outcome(bool ok, std::optional<seconds> retry_after = std::nullopt,
                    std::optional<seconds> ttl = std::nullopt,
                    std::optional<seconds> max_age = std::nullopt) {
  PollOutcome o;
  o.ok = ok;
  o.retry_after = retry_after;
  o.ttl = ttl;
  o.max_age = max_age;
  return o;
}
PollOutcome ok() {
  return outcome(true);
}
PollOutcome failed(std::optional<seconds> retry_after = std::nullopt) {
  return outcome(false, retry_after);
}

// Owns the value the injected jitter source returns, so each case picks -1, 0 or +1.
class SchedulerTest : public ::testing::Test {
 protected:
  double jitter_ = 0.0;
  Scheduler sched_{[this] { return jitter_; }};

  // A fresh channel "a" with `interval`, taken at kT0 and completed with `outcomes` in turn, each
  // poll starting when the previous wait ended. Returns the last wait.
  seconds run(seconds interval, const std::vector<PollOutcome>& outcomes) {
    sched_.set_channels({}, kT0);  // forget any earlier run's state
    sched_.set_channels({{"a", interval}}, kT0);
    Clock now = kT0;
    seconds wait{};
    for (const auto& outcome : outcomes) {
      EXPECT_EQ(sched_.take_due(now), Strings{"a"});
      sched_.completed("a", outcome, now);
      wait = sched_.info("a")->next - now;
      now = sched_.info("a")->next;
    }
    return wait;
  }
};

TEST_F(SchedulerTest, EveryChannelIsDueAtStartInPathOrder) {
  sched_.set_channels({{"b/x/y", 30min}, {"a/x/y", 1h}, {"a/x/z", 5min}}, kT0);
  EXPECT_EQ(sched_.next_wakeup(), kT0);
  EXPECT_EQ(sched_.take_due(kT0 - 1s), Strings{});
  EXPECT_EQ(sched_.take_due(kT0), (Strings{"a/x/y", "a/x/z", "b/x/y"}));
  for (const auto* path : {"a/x/y", "a/x/z", "b/x/y"}) {
    ASSERT_NE(sched_.info(path), nullptr) << path;
    EXPECT_TRUE(sched_.info(path)->in_flight) << path;
  }
  EXPECT_EQ(sched_.info("nope"), nullptr);
}

TEST_F(SchedulerTest, SuccessWaitsTheIntervalWithTenPercentJitter) {
  struct Case {
    seconds interval;
    double jitter;
    seconds want;
  };
  const std::vector<Case> cases = {
      {30min, 0.0, 30min}, {30min, -1.0, 27min}, {30min, 1.0, 33min}, {10s, -1.0, 9s},
      {10s, 1.0, 11s},     {48h, 0.0, 48h},      {1s, -1.0, 1s},  // never below 1 s
      {0s, 0.0, 1s},  // a zero interval (contract violation) still waits
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << "interval " << c.interval.count() << "s jitter " << c.jitter);
    jitter_ = c.jitter;
    // Three polls in a row: the interval is steady, not drifting.
    EXPECT_EQ(run(c.interval, {ok()}), c.want);
    EXPECT_EQ(run(c.interval, {ok(), ok(), ok()}), c.want);
  }
}

TEST_F(SchedulerTest, SteadyPollingIsDueExactlyAtNext) {
  sched_.set_channels({{"a", 30min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0), Strings{"a"});
  sched_.completed("a", ok(), kT0 + 2s);
  EXPECT_EQ(sched_.next_wakeup(), kT0 + 2s + 30min);
  EXPECT_EQ(sched_.take_due(kT0 + 2s + 30min - 1s), Strings{});
  EXPECT_EQ(sched_.take_due(kT0 + 2s + 30min), Strings{"a"});
}

TEST_F(SchedulerTest, MisbehavingJitterSourceStaysWithinTenPercent) {
  struct Case {
    double jitter;
    seconds want;
  };
  const std::vector<Case> cases = {
      {5.0, 33min},
      {-7.0, 27min},
      {std::numeric_limits<double>::quiet_NaN(), 30min},
      {std::numeric_limits<double>::infinity(), 30min},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.jitter);
    jitter_ = c.jitter;
    EXPECT_EQ(run(30min, {ok()}), c.want);
  }
}

TEST_F(SchedulerTest, ErrorsBackOffExponentiallyUpTo24Hours) {
  struct Case {
    seconds interval;
    double jitter;
    std::vector<seconds> waits;  // after the 1st, 2nd, … consecutive failure
  };
  const std::vector<Case> cases = {
      {30min, 0.0, {1h, 2h, 4h, 8h, 16h, 24h, 24h, 24h}},
      {1h, 0.0, {2h, 4h, 8h, 16h, 24h, 24h}},
      {5h, 0.0, {10h, 20h, 24h, 24h}},
      {30min, 1.0, {66min, 132min, 264min, 528min, 1056min, 1584min, 1584min}},
      {30min, -1.0, {54min, 108min, 216min, 432min, 864min, 1296min}},
      {48h, 0.0, {48h, 48h}},  // the cap never shortens the interval itself
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << "interval " << c.interval.count() << "s jitter " << c.jitter);
    jitter_ = c.jitter;
    std::vector<PollOutcome> outcomes;
    for (std::size_t n = 1; n <= c.waits.size(); ++n) {
      outcomes.push_back(failed());
      EXPECT_EQ(run(c.interval, outcomes), c.waits[n - 1]) << "failure " << n;
      EXPECT_EQ(sched_.info("a")->consecutive_failures, static_cast<int>(n));
    }
  }
}

TEST_F(SchedulerTest, ALongFailureStreakStaysAt24Hours) {
  sched_.set_channels({{"a", 30min}}, kT0);
  Clock now = kT0;
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(sched_.take_due(now), Strings{"a"});
    sched_.completed("a", failed(), now);
    now = sched_.info("a")->next;
  }
  EXPECT_EQ(sched_.info("a")->consecutive_failures, 200);
  ASSERT_EQ(sched_.take_due(now), Strings{"a"});
  sched_.completed("a", failed(), now);
  EXPECT_EQ(sched_.info("a")->next, now + 24h);
}

TEST_F(SchedulerTest, SuccessResetsTheBackoff) {
  EXPECT_EQ(run(30min, {failed(), failed(), failed(), ok()}), 30min);
  EXPECT_EQ(sched_.info("a")->consecutive_failures, 0);
  // The next failure starts the sequence again at 2×.
  EXPECT_EQ(run(30min, {failed(), failed(), failed(), ok(), failed()}), 1h);
  EXPECT_EQ(sched_.info("a")->consecutive_failures, 1);
}

TEST_F(SchedulerTest, RetryAfterIsAFloorCappedAtSevenDays) {
  struct Case {
    const char* name;
    double jitter;
    int failures_before;  // earlier failures without Retry-After
    std::optional<seconds> retry_after;
    seconds want;
  };
  const std::vector<Case> cases = {
      {"shorter than backoff: backoff wins", 0.0, 0, 10min, 1h},
      {"shorter, jitter -1", -1.0, 0, 10min, 54min},
      {"longer than backoff", 0.0, 0, 5h, 5h},
      {"longer, jitter -1 never undercuts it", -1.0, 0, 5h, 5h},
      {"longer, jitter +1 may lengthen it", 1.0, 0, 5h, 5h + 30min},
      {"longer than the 24 h backoff cap", 0.0, 0, 72h, 72h},
      {"capped at 7 days", 0.0, 0, 30 * 24h, 7 * 24h},
      {"capped, jitter -1", -1.0, 0, 30 * 24h, 7 * 24h},
      {"shorter than a grown backoff", 0.0, 3, 3h, 8h},
      {"longer than a grown backoff", 0.0, 3, 12h, 12h},
      {"zero", 0.0, 0, 0s, 1h},
      {"negative (hostile)", 0.0, 0, -5h, 1h},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    jitter_ = c.jitter;
    std::vector<PollOutcome> outcomes(c.failures_before, failed());
    outcomes.push_back(failed(c.retry_after));
    EXPECT_EQ(run(30min, outcomes), c.want);
  }
}

TEST_F(SchedulerTest, RetryAfterOnSuccessIsIgnored) {
  EXPECT_EQ(run(30min, {outcome(true, 5h)}), 30min);
}

TEST_F(SchedulerTest, TtlAndMaxAgeLengthenButNeverShorten) {
  struct Case {
    const char* name;
    double jitter;
    std::optional<seconds> ttl;
    std::optional<seconds> max_age;
    seconds want;
  };
  const std::vector<Case> cases = {
      {"ttl longer", 0.0, 2h, std::nullopt, 2h},
      {"ttl shorter", 0.0, 10min, std::nullopt, 30min},
      {"max-age longer", 0.0, std::nullopt, 3h, 3h},
      {"max-age shorter", 0.0, std::nullopt, 1min, 30min},
      {"both: the longer wins", 0.0, 2h, 5h, 5h},
      {"both shorter", 0.0, 1min, 2min, 30min},
      {"ttl capped at 24 h", 0.0, 48h, std::nullopt, 24h},
      {"max-age capped at 24 h", 0.0, std::nullopt, 365 * 24h, 24h},
      {"ttl with jitter -1", -1.0, 2h, std::nullopt, 108min},
      {"ttl with jitter +1", 1.0, 2h, std::nullopt, 132min},
      {"zero", 0.0, 0s, 0s, 30min},
      {"negative (hostile)", 0.0, -2h, -2h, 30min},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    jitter_ = c.jitter;
    EXPECT_EQ(run(30min, {outcome(true, std::nullopt, c.ttl, c.max_age)}), c.want);
  }
}

TEST_F(SchedulerTest, HintsDoNotApplyToErrors) {
  EXPECT_EQ(run(30min, {outcome(false, std::nullopt, 10h, 10h)}), 1h);
}

TEST_F(SchedulerTest, AChannelInFlightIsNotHandedOutTwice) {
  sched_.set_channels({{"a", 30min}, {"b", 30min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0), (Strings{"a", "b"}));
  sched_.completed("b", ok(), kT0);
  // Hours later "a" is still running: only "b" comes out again.
  EXPECT_EQ(sched_.take_due(kT0 + 10h), Strings{"b"});
  EXPECT_EQ(sched_.take_due(kT0 + 20h), Strings{});
  EXPECT_EQ(sched_.next_wakeup(), std::nullopt);
  sched_.completed("a", ok(), kT0 + 20h);
  EXPECT_EQ(sched_.take_due(kT0 + 20h + 30min), Strings{"a"});
}

TEST_F(SchedulerTest, ACompletionOfAnIdleChannelIsIgnored) {
  sched_.set_channels({{"a", 30min}}, kT0);
  sched_.completed("a", failed(), kT0);  // never handed out
  EXPECT_EQ(sched_.info("a")->consecutive_failures, 0);
  EXPECT_EQ(sched_.info("a")->next, kT0);
  sched_.completed("unknown", ok(), kT0);
  EXPECT_EQ(sched_.info("unknown"), nullptr);
}

TEST_F(SchedulerTest, RequestNowMakesIdleChannelsDue) {
  struct Case {
    const char* name;
    Strings request;
    Strings want_unknown;
    Strings want_due;
  };
  const std::vector<Case> cases = {
      {"one", {"b"}, {}, {"b"}},
      {"two", {"c", "a"}, {}, {"a", "c"}},
      {"all when empty", {}, {}, {"a", "b", "c"}},
      {"unknown reported once, in order", {"zz", "b", "yy", "zz"}, {"zz", "yy"}, {"b"}},
      {"only unknown", {"nope"}, {"nope"}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Scheduler sched([] { return 0.0; });
    sched.set_channels({{"a", 1h}, {"b", 1h}, {"c", 1h}}, kT0);
    ASSERT_EQ(sched.take_due(kT0).size(), 3u);
    for (const auto* p : {"a", "b", "c"})
      sched.completed(p, ok(), kT0);
    const Clock now = kT0 + 5min;
    EXPECT_EQ(sched.request_now(c.request, now), c.want_unknown);
    EXPECT_EQ(sched.take_due(now), c.want_due);
  }
}

TEST_F(SchedulerTest, RequestNowOverridesBackoffAndDoesNotPostponeADueChannel) {
  sched_.set_channels({{"a", 30min}, {"b", 30min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0), (Strings{"a", "b"}));
  sched_.completed("a", failed(6h), kT0);
  sched_.completed("b", ok(), kT0);
  // An operator's refresh wins over a backoff.
  EXPECT_EQ(sched_.request_now({"a"}, kT0 + 1min), Strings{});
  EXPECT_EQ(sched_.info("a")->next, kT0 + 1min);
  // A channel already overdue keeps its earlier time.
  EXPECT_EQ(sched_.request_now({"b"}, kT0 + 2h), Strings{});
  EXPECT_EQ(sched_.info("b")->next, kT0 + 30min);
}

TEST_F(SchedulerTest, RequestNowOnAChannelInFlightPollsAgainOnCompletion) {
  struct Case {
    const char* name;
    PollOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"ok", ok()},
      {"ok with ttl", outcome(true, std::nullopt, 10h)},
      {"error", failed()},
      {"error with Retry-After", failed(1h)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Scheduler sched([] { return 0.0; });
    sched.set_channels({{"a", 30min}}, kT0);
    ASSERT_EQ(sched.take_due(kT0), Strings{"a"});
    EXPECT_EQ(sched.request_now({"a"}, kT0 + 1s), Strings{});
    EXPECT_TRUE(sched.info("a")->refresh_requested);
    EXPECT_EQ(sched.take_due(kT0 + 1s), Strings{});  // still in flight: not handed out twice
    sched.completed("a", c.outcome, kT0 + 3s);
    EXPECT_FALSE(sched.info("a")->refresh_requested);
    EXPECT_EQ(sched.info("a")->consecutive_failures, c.outcome.ok ? 0 : 1);
    EXPECT_EQ(sched.next_wakeup(), kT0 + 3s);
    EXPECT_EQ(sched.take_due(kT0 + 3s), Strings{"a"});
    // The refresh is used up: the poll after it waits normally.
    sched.completed("a", ok(), kT0 + 4s);
    EXPECT_EQ(sched.info("a")->next, kT0 + 4s + 30min);
  }
}

TEST_F(SchedulerTest, ReloadAddsRemovesAndKeeps) {
  sched_.set_channels({{"keep", 30min}, {"gone", 30min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0), (Strings{"gone", "keep"}));
  sched_.completed("keep", failed(), kT0);
  const ChannelInfo before = *sched_.info("keep");

  const Clock reload = kT0 + 10min;
  sched_.set_channels({{"keep", 30min}, {"new", 1h}}, reload);
  EXPECT_EQ(sched_.info("gone"), nullptr);
  ASSERT_NE(sched_.info("new"), nullptr);
  EXPECT_EQ(sched_.info("new")->next, reload);
  ASSERT_NE(sched_.info("keep"), nullptr);
  EXPECT_EQ(sched_.info("keep")->next, before.next);
  EXPECT_EQ(sched_.info("keep")->consecutive_failures, 1);
  EXPECT_EQ(sched_.take_due(reload), Strings{"new"});

  // The removed channel's poll finishes after the reload: ignored, not resurrected.
  sched_.completed("gone", ok(), reload + 1s);
  EXPECT_EQ(sched_.info("gone"), nullptr);
}

TEST_F(SchedulerTest, ReloadKeepsAChannelInFlight) {
  sched_.set_channels({{"a", 30min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0), Strings{"a"});
  sched_.set_channels({{"a", 1h}}, kT0 + 1min);
  EXPECT_TRUE(sched_.info("a")->in_flight);
  EXPECT_EQ(sched_.take_due(kT0 + 1min), Strings{});
  sched_.completed("a", ok(), kT0 + 2min);
  EXPECT_EQ(sched_.info("a")->next, kT0 + 2min + 1h);  // the new interval
}

TEST_F(SchedulerTest, ARemovedAndReAddedChannelIgnoresTheOldPoll) {
  sched_.set_channels({{"a", 30min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0), Strings{"a"});
  sched_.set_channels({}, kT0 + 1min);
  EXPECT_EQ(sched_.next_wakeup(), std::nullopt);
  sched_.set_channels({{"a", 30min}}, kT0 + 2min);
  sched_.completed("a", failed(), kT0 + 3min);
  EXPECT_EQ(sched_.info("a")->consecutive_failures, 0);
  EXPECT_EQ(sched_.take_due(kT0 + 3min), Strings{"a"});
}

TEST_F(SchedulerTest, ReloadReclampsAChangedInterval) {
  struct Case {
    const char* name;
    PollOutcome last;
    seconds new_interval;
    seconds want_next;  // after kT0; the reload happens at kT0 + 10min
  };
  const std::vector<Case> cases = {
      {"unchanged", ok(), 6h, 6h},
      {"shortened: due within the new interval", ok(), 1h, 70min},
      {"shortened below elapsed time", ok(), 5min, 15min},
      {"lengthened: the earlier time stays", ok(), 12h, 6h},
      {"ttl-lengthened wait, unchanged", outcome(true, std::nullopt, 20h), 6h, 20h},
      {"failing: backoff kept", failed(3 * 24h), 1h, 3 * 24h},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Scheduler sched([] { return 0.0; });
    sched.set_channels({{"a", 6h}}, kT0);
    ASSERT_EQ(sched.take_due(kT0), Strings{"a"});
    sched.completed("a", c.last, kT0);
    sched.set_channels({{"a", c.new_interval}}, kT0 + 10min);
    EXPECT_EQ(sched.info("a")->next, kT0 + c.want_next);
  }
}

TEST_F(SchedulerTest, NextWakeupIsTheEarliestChannelNotInFlight) {
  EXPECT_EQ(sched_.next_wakeup(), std::nullopt);  // no channels
  sched_.set_channels({{"a", 10min}, {"b", 20min}, {"c", 5min}}, kT0);
  ASSERT_EQ(sched_.take_due(kT0).size(), 3u);
  EXPECT_EQ(sched_.next_wakeup(), std::nullopt);  // all in flight
  sched_.completed("b", ok(), kT0);
  EXPECT_EQ(sched_.next_wakeup(), kT0 + 20min);
  sched_.completed("a", ok(), kT0);
  EXPECT_EQ(sched_.next_wakeup(), kT0 + 10min);
  // "c" would be earliest, but it is in flight until it completes.
  EXPECT_EQ(sched_.take_due(kT0 + 10min), Strings{"a"});
  EXPECT_EQ(sched_.next_wakeup(), kT0 + 20min);
  sched_.completed("c", ok(), kT0 + 11min);
  EXPECT_EQ(sched_.next_wakeup(), kT0 + 16min);
}

}  // namespace
}  // namespace feedd::schedule
