#pragma once
// A folder that does not exist yet, built out of sight and put in place whole: a first cycle's
// posts/. Files are written under their final names into a hidden sibling,
// `<parent>/.<name>.<tag><kTempSuffix>`, by one writer thread; flushed with one syncfs; and,
// once the caller may publish (its store has committed), the sibling is renamed onto the target.
//
// Why, against staging each file unnamed (atomic_file.hpp) and linking it after the commit: one
// directory operation per file instead of an unnamed inode on the orphan list plus a link; none
// of it after the commit, where the cycle waits for it; and on one thread, because creating
// files in one folder from several threads makes them spin on the folder's lock (measured on
// ext4, 9,000 posts: ~180 ms of CPU this way, ~240 ms staged and linked).
//
// Crash safety is the staging folder's: until the rename nothing is visible, and
// remove_stale_temporaries() removes a staging folder left by a crash.
//
// Threading: add() from any thread; everything else from one owner thread. Never throws, but
// open() may throw std::system_error when the writer thread cannot start.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace feedd {

class FreshFolder {
 public:
  // How many bytes add() lets wait for the writer before it waits itself.
  static constexpr std::size_t kMaxQueuedBytes = 1u << 20;

  // A builder for `target` when it is missing, or an empty folder that is not a symlink (then
  // replaced by the rename); nullptr when the target has entries or is anything else, and when
  // the staging folder cannot be made (the caller then stages its files one by one).
  static std::unique_ptr<FreshFolder> open(const std::filesystem::path& target);

  // Discards the folder unless it was published.
  ~FreshFolder();
  FreshFolder(const FreshFolder&) = delete;
  FreshFolder& operator=(const FreshFolder&) = delete;

  // Queues the file `name` (one path component) with `bytes`; waits while kMaxQueuedBytes are
  // queued. A name given twice keeps the last bytes. Ignored after flush(). Thread-safe.
  void add(std::string name, std::string bytes);

  // Waits until every queued file is written, then makes them durable: one syncfs of the file
  // system and an fsync of the folder. False when that flush failed: then nothing may be
  // published, the folder is discarded, and the failure counts in failed() (first_error() says
  // why when it is the first). Files that could not be written are counted there too and do
  // not stop the others.
  bool flush();

  // After flush() (after a failed one: nothing, 0): puts the files in place — one rename of the
  // folder, or, when the target was made meanwhile, one rename per file — and fsyncs the parent
  // folder. Returns the files put in place; a failure sets `error` (if empty) and is counted in
  // failed().
  int publish(std::string& error);

  // Removes the staging folder and its files (a rolled-back cycle). Also what the destructor
  // does to a folder not published.
  void discard();

  // Files that could not be written or put in place, and the first reason (path: reason).
  int failed() const { return failed_; }
  const std::string& first_error() const { return first_error_; }
  const std::filesystem::path& staging() const { return staging_; }

 private:
  FreshFolder(std::filesystem::path target, std::filesystem::path staging, int dir_fd);
  void write_loop();
  void stop_writer();
  void fail(const std::string& what, int err);
  int move_each(std::string& error);

  std::filesystem::path target_;
  std::filesystem::path staging_;
  int dir_fd_ = -1;    // the staging folder, for openat() and the flush
  bool done_ = false;  // published or discarded

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  bool stopping_ = false;  // no more add(); the writer leaves once the queue is empty
  int written_ = 0;
  int failed_ = 0;
  std::string first_error_;
  std::thread writer_;  // last: it uses the members above
};

}  // namespace feedd
