// EarlyWriteback: flushes on its period until stopped, and stops at once.
#include "util/writeback.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace feedd {
namespace {

using namespace std::chrono_literals;

TEST(EarlyWriteback, FlushesEachPeriodUntilStopped) {
  const auto dir = std::filesystem::temp_directory_path();
  EarlyWriteback writeback({dir, dir / "missing-folder", dir}, 5ms);
  std::this_thread::sleep_for(100ms);
  writeback.stop();
  const int flushes = writeback.flushes();
  EXPECT_GE(flushes, 2);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(writeback.flushes(), flushes);  // none after stop()
}

TEST(EarlyWriteback, StopsWithoutWaitingForThePeriod) {
  const auto start = std::chrono::steady_clock::now();
  { EarlyWriteback writeback({std::filesystem::temp_directory_path()}, 1h); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10min);  // joined, not after an hour
}

TEST(EarlyWriteback, NoFolderNoThread) {
  EarlyWriteback writeback({"/nonexistent/feedd-writeback"}, 1ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(writeback.flushes(), 0);
}

}  // namespace
}  // namespace feedd
