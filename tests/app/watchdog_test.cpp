// The service manager messages: the watchdog kick interval, what each notification says, that
// kicks repeat until stopping(), and that the notifier refuses calls off its loop thread.
#include "app/watchdog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace feedd::app {
namespace {

using std::chrono::microseconds;
using ::testing::ElementsAre;
using ::testing::MatchesRegex;

struct IntervalCase {
  microseconds period;
  microseconds kick;
};

TEST(Watchdog, KickIntervalIsHalfThePeriod) {
  const std::vector<IntervalCase> cases = {
      {microseconds(1'000'000), microseconds(500'000)},
      {microseconds(200'000), microseconds(100'000)},
      {microseconds(3'000'001), microseconds(1'500'000)},
      {microseconds(2'000), microseconds(1'000)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.period.count());
    EXPECT_EQ(watchdog_kick_interval(c.period), c.kick);
  }
}

// Regression: half of a WATCHDOG_USEC of 1 was a 0 µs timer, re-armed back to back, so the
// loop the watchdog watches did nothing but kick.
TEST(Watchdog, TinyWatchdogUsecDoesNotSpinTheLoop) {
  for (const auto period : {microseconds(0), microseconds(1), microseconds(1'999)}) {
    SCOPED_TRACE(period.count());
    EXPECT_EQ(watchdog_kick_interval(period), kMinWatchdogKick);
  }
}

// Runs `body` on `loop` and the loop until it runs out of work (bounded against a hang).
template <class F>
void on_loop(boost::asio::io_context& loop, F body) {
  boost::asio::post(loop, body);
  loop.run_for(std::chrono::seconds(30));
}

TEST(ServiceNotifier, EachNotificationSaysWhatTheUnitExpects) {
  boost::asio::io_context loop;
  std::vector<std::string> sent;
  ServiceNotifier notifier(loop, [&](const std::string& s) { sent.push_back(s); });
  on_loop(loop, [&] {
    notifier.ready("started, first poll under way");
    notifier.status("3 channels, 2 ok");
    notifier.reloading();
    notifier.ready("reload failed: kept the previous configuration");
    notifier.stopping();
  });
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[0], "READY=1\nSTATUS=started, first poll under way");
  EXPECT_EQ(sent[1], "STATUS=3 channels, 2 ok");
  EXPECT_THAT(sent[2], MatchesRegex("RELOADING=1\nMONOTONIC_USEC=[0-9]+"));
  EXPECT_EQ(sent[3], "READY=1\nSTATUS=reload failed: kept the previous configuration");
  EXPECT_EQ(sent[4], "STOPPING=1");
}

TEST(ServiceNotifier, KicksRepeatUntilStopping) {
  boost::asio::io_context loop;
  std::vector<std::string> sent;
  ServiceNotifier notifier(loop, [&](const std::string& s) {
    sent.push_back(s);
    // Stops from a later handler, as the daemon's shutdown does.
    if (sent.size() == 3) boost::asio::post(loop, [&] { notifier.stopping(); });
  });
  on_loop(loop, [&] { notifier.start_watchdog(microseconds(2'000)); });
  // The loop ran out of work: no kick is pending after STOPPING=1.
  EXPECT_THAT(sent, ElementsAre("WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"));
}

TEST(ServiceNotifier, NoWatchdogNoKicks) {
  boost::asio::io_context loop;
  std::vector<std::string> sent;
  ServiceNotifier notifier(loop, [&](const std::string& s) { sent.push_back(s); });
  on_loop(loop, [&] { notifier.start_watchdog(std::nullopt); });
  EXPECT_TRUE(sent.empty());
}

TEST(ServiceNotifierDeathTest, CallsOffTheLoopAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  boost::asio::io_context loop;
  ServiceNotifier notifier(loop, [](const std::string&) {});
  EXPECT_DEATH(notifier.ready("x"), "");
  EXPECT_DEATH(notifier.start_watchdog(microseconds(1'000'000)), "");
}

}  // namespace
}  // namespace feedd::app
