#include "util/work_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>

namespace feedd {
namespace {

TEST(WorkPool, ContinuationsRunOnTheOwnerThreadAndDrainWaitsForAll) {
  WorkPool pool(3);
  const auto owner = std::this_thread::get_id();
  std::atomic<int> worked{0};
  int applied = 0;  // touched only by continuations: no atomics needed if they run here
  bool all_on_owner = true;
  for (int i = 0; i < 50; ++i) {
    pool.submit([&]() -> WorkPool::Continuation {
      ++worked;
      return [&] {
        all_on_owner = all_on_owner && std::this_thread::get_id() == owner;
        ++applied;
      };
    });
  }
  pool.drain(true);
  EXPECT_EQ(worked.load(), 50);
  EXPECT_EQ(applied, 50);
  EXPECT_TRUE(all_on_owner);
}

TEST(WorkPool, ContinuationsMaySubmitMoreWork) {
  WorkPool pool(2);
  int second_stage = 0;
  for (int i = 0; i < 10; ++i) {
    pool.submit([&]() -> WorkPool::Continuation {
      return
          [&] { pool.submit([&]() -> WorkPool::Continuation { return [&] { ++second_stage; }; }); };
    });
  }
  pool.drain(true);
  EXPECT_EQ(second_stage, 10);
}

// The bound is on work queued and not started (the bodies it holds); submit() waits for a
// worker rather than draining, so nothing is applied until drain().
TEST(WorkPool, PendingWorkIsBounded) {
  WorkPool pool(1, 4);
  std::atomic<int> in_queue{0};  // submitted, not yet started
  int max_seen = 0;
  int applied = 0;
  for (int i = 0; i < 40; ++i) {
    ++in_queue;
    pool.submit([&]() -> WorkPool::Continuation {
      --in_queue;
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the queue fills
      return [&] { ++applied; };
    });
    max_seen = std::max(max_seen, in_queue.load());
  }
  EXPECT_EQ(applied, 0);  // submit() ran no continuation
  pool.drain(true);
  EXPECT_EQ(in_queue.load(), 0);
  EXPECT_EQ(applied, 40);
  EXPECT_LE(max_seen, 5);  // 4 queued + 1 taken by the worker, not yet counted as started
}

// Regression (issue 11): submit() used to drain when the queue was full, so a continuation that
// submitted work could run other continuations inside itself — the cycle's settle loop needed a
// guard against its own re-entry. A continuation now never runs inside another.
TEST(WorkPool, SubmitFromAContinuationNeverRunsAnotherContinuation) {
  WorkPool pool(2, 1);  // a queue of one: every second submit() finds it full
  int depth = 0;
  int max_depth = 0;
  int applied = 0;
  std::function<void(int)> chain = [&](int left) {
    pool.submit([&, left]() -> WorkPool::Continuation {
      return [&, left] {
        max_depth = std::max(max_depth, ++depth);
        ++applied;
        // Several submits per continuation, with the queue full: the old submit() drained here.
        if (left > 0) {
          for (int k = 0; k < 3; ++k)
            chain(left - 1);
        }
        --depth;
      };
    });
  };
  chain(4);
  pool.drain(true);
  EXPECT_EQ(applied, 1 + 3 + 9 + 27 + 81);
  EXPECT_EQ(max_depth, 1);
}

// drain() from a continuation is the re-entry itself: it aborts rather than running it.
TEST(WorkPoolDeathTest, DrainFromAContinuationAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        WorkPool pool(1);
        pool.submit([&]() -> WorkPool::Continuation { return [&] { pool.drain(false); }; });
        pool.drain(true);
      },
      "WorkPool::drain called from a continuation");
}

TEST(WorkPool, ExceptionsFromWorkAreRethrownByDrain) {
  WorkPool pool(2);
  pool.submit([]() -> WorkPool::Continuation { throw std::runtime_error("boom"); });
  EXPECT_THROW(pool.drain(true), std::runtime_error);
}

}  // namespace
}  // namespace feedd
