// The daemon's signals: which action each one maps to, and that SignalWatcher delivers them on
// the loop thread, in the order they come, and none after a stop.
#include "app/signals.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <vector>

namespace feedd::app {
namespace {

struct SignalCase {
  int sig;
  SignalAction action;
  const char* name;
};

TEST(Signals, EachSignalMapsToItsAction) {
  const std::vector<SignalCase> cases = {
      {SIGHUP, SignalAction::reload, "SIGHUP"},   {SIGUSR1, SignalAction::refresh_all, "SIGUSR1"},
      {SIGTERM, SignalAction::stop, "SIGTERM"},   {SIGINT, SignalAction::stop, "SIGINT"},
      {SIGUSR2, SignalAction::none, "signal 12"}, {SIGPIPE, SignalAction::none, "signal 13"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(signal_action(c.sig), c.action);
    EXPECT_EQ(signal_name(c.sig), c.name);
  }
}

// Each handler raises the next signal, so the order is the test's, not the kernel's. The
// SIGUSR1 raised after SIGTERM must not reach the handler: a stop is the last signal handled.
TEST(SignalWatcher, DeliversOnTheLoopUntilAStop) {
  boost::asio::io_context loop;
  SignalWatcher watcher(loop);
  std::vector<SignalAction> seen;
  bool on_loop = true;
  boost::asio::post(loop, [&] {
    watcher.start([&](SignalAction action, int) {
      on_loop = on_loop && loop.get_executor().running_in_this_thread();
      seen.push_back(action);
      if (action == SignalAction::reload) std::raise(SIGUSR1);
      if (action == SignalAction::refresh_all) std::raise(SIGTERM);
      if (action == SignalAction::stop) std::raise(SIGUSR1);
    });
    std::raise(SIGHUP);
  });
  // With no wait pending after the stop the loop runs out of work; the bound only keeps a
  // broken watcher from hanging the test.
  loop.run_for(std::chrono::seconds(30));
  EXPECT_EQ(seen, (std::vector<SignalAction>{SignalAction::reload, SignalAction::refresh_all,
                                             SignalAction::stop}));
  EXPECT_TRUE(on_loop);
}

TEST(SignalWatcher, CancelEndsTheWait) {
  boost::asio::io_context loop;
  SignalWatcher watcher(loop);
  int calls = 0;
  boost::asio::post(loop, [&] {
    watcher.start([&](SignalAction, int) { ++calls; });
    watcher.cancel();
  });
  loop.run_for(std::chrono::seconds(30));
  EXPECT_TRUE(loop.stopped());  // out of work: the cancelled wait is gone
  EXPECT_EQ(calls, 0);
}

TEST(SignalWatcherDeathTest, StartOutsideTheLoopAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  boost::asio::io_context loop;
  SignalWatcher watcher(loop);
  EXPECT_DEATH(watcher.start([](SignalAction, int) {}), "");
}

}  // namespace
}  // namespace feedd::app
