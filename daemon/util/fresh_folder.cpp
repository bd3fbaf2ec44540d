#include "util/fresh_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>

#include "util/atomic_file.hpp"

namespace feedd {
namespace fs = std::filesystem;

namespace {

// Whether `target` may be built fresh: missing, or an empty real folder.
bool is_fresh_target(const fs::path& target) {
  std::error_code ec;
  const auto st = fs::symlink_status(target, ec);
  if (st.type() == fs::file_type::not_found) return true;
  if (ec || st.type() != fs::file_type::directory) return false;
  return fs::is_empty(target, ec) && !ec;
}

}  // namespace

std::unique_ptr<FreshFolder> FreshFolder::open(const fs::path& target) {
  if (target.filename().empty() || !is_fresh_target(target)) return nullptr;
  const fs::path parent = target.parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return nullptr;
  std::random_device rd;
  const fs::path staging =
      parent / ("." + target.filename().string() + "." + std::to_string(1 + rd() % 999999999u) +
                std::string(kTempSuffix));
  if (::mkdir(staging.c_str(), 0755) != 0) return nullptr;
  const int fd = open_folder(staging);
  if (fd < 0) {
    ::rmdir(staging.c_str());
    return nullptr;
  }
  return std::unique_ptr<FreshFolder>(new FreshFolder(target, staging, fd));
}

FreshFolder::FreshFolder(fs::path target, fs::path staging, int dir_fd)
    : target_(std::move(target)), staging_(std::move(staging)), dir_fd_(dir_fd) {
  try {
    writer_ = std::thread([this] { write_loop(); });
  } catch (...) {
    discard();
    throw;
  }
}

FreshFolder::~FreshFolder() {
  if (!done_) discard();
}

void FreshFolder::add(std::string name, std::string bytes) {
  std::unique_lock lock(mutex_);
  // The writer takes the queue down by at least one file whenever it waits, so a file larger
  // than the bound alone still gets in once the queue is empty.
  changed_.wait(lock,
                [this] { return stopping_ || queue_.empty() || queued_bytes_ < kMaxQueuedBytes; });
  if (stopping_) return;
  queued_bytes_ += bytes.size();
  queue_.emplace_back(std::move(name), std::move(bytes));
  lock.unlock();
  changed_.notify_all();
}

void FreshFolder::write_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    auto [name, bytes] = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= bytes.size();
    lock.unlock();
    changed_.notify_all();
    // Relative to the folder's descriptor: no walk of the path for each of thousands of files.
    int err = 0;
    bool again = false;  // the name was added before: replaced, not counted twice
    int fd = -1;
    if (name.find('/') != std::string::npos) {
      errno = EINVAL;
    } else {
      fd = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 && errno == EEXIST) {
        again = true;
        fd = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
      }
    }
    if (fd < 0) {
      err = errno;
    } else {
      if (!write_fully(fd, bytes)) err = errno;
      if (::close(fd) != 0 && err == 0) err = errno;
      if (err != 0) ::unlinkat(dir_fd_, name.c_str(), 0);  // no partial file gets published
    }
    lock.lock();
    if (err != 0) {
      fail((staging_ / name).string(), err);
      if (again) --written_;  // its earlier bytes went with the partial file
    } else if (!again) {
      ++written_;
    }
  }
}

void FreshFolder::fail(const std::string& what, int err) {
  if (failed_++ == 0) first_error_ = what + ": " + errno_text(err);
}

void FreshFolder::stop_writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
}

bool FreshFolder::flush() {
  stop_writer();  // it writes every queued file before it leaves
  // The data must be on disk before the folder gets its name, or a crash could leave posts that
  // are empty or cut short; one syncfs covers every file, the fsync the folder's entries.
  if (::syncfs(dir_fd_) != 0 || ::fsync(dir_fd_) != 0) {
    fail(staging_.string(), errno);
    discard();
    return false;
  }
  return true;
}

int FreshFolder::move_each(std::string& error) {
  const int target_fd = open_folder(target_);
  if (target_fd < 0) {
    fail(target_.string(), errno);
    if (error.empty()) error = first_error_;
    return 0;
  }
  int placed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(staging_, ec)) {
    const std::string name = e.path().filename().string();
    if (::renameat(dir_fd_, name.c_str(), target_fd, name.c_str()) == 0) {
      ++placed;
    } else {
      fail((target_ / name).string(), errno);
    }
  }
  if (ec) fail(staging_.string(), ec.value());
  ::fsync(target_fd);
  ::close(target_fd);
  return placed;
}

int FreshFolder::publish(std::string& error) {
  if (done_) return 0;
  stop_writer();
  int placed = written_;
  if (::rename(staging_.c_str(), target_.c_str()) == 0) {
    ::close(dir_fd_);
    dir_fd_ = -1;
    done_ = true;
  } else {
    // The target was made meanwhile (and has entries, or is not a folder we may replace): the
    // files go into it one by one, replacing what has their names, as the store says they must.
    placed = move_each(error);
    discard();
  }
  // The rename is an entry of the parent: flushed, it survives a power cut, not just a crash.
  fsync_folder(target_.parent_path());
  if (failed_ > 0 && error.empty()) error = first_error_;
  return placed;
}

void FreshFolder::discard() {
  stop_writer();
  if (dir_fd_ >= 0) {
    ::close(dir_fd_);
    dir_fd_ = -1;
  }
  std::error_code ec;
  fs::remove_all(staging_, ec);
  done_ = true;
}

}  // namespace feedd
