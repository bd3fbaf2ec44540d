#include "util/work_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(WorkPool, PendingWorkIsBounded) {
  WorkPool pool(1, 4);
  std::atomic<int> in_queue{0};
  int max_seen = 0;
  for (int i = 0; i < 40; ++i) {
    ++in_queue;
    max_seen = std::max(max_seen, in_queue.load());
    pool.submit([&]() -> WorkPool::Continuation { return [&] { --in_queue; }; });
  }
  pool.drain(true);
  EXPECT_EQ(in_queue.load(), 0);
  EXPECT_LE(max_seen, 5);  // submit() drained before queuing past the bound
}

TEST(WorkPool, ExceptionsFromWorkAreRethrownByDrain) {
  WorkPool pool(2);
  pool.submit([]() -> WorkPool::Continuation { throw std::runtime_error("boom"); });
  EXPECT_THROW(pool.drain(true), std::runtime_error);
}

}  // namespace
}  // namespace feedd
