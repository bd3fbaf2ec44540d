#include "util/writeback.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "util/atomic_file.hpp"

namespace feedd {

EarlyWriteback::EarlyWriteback(const std::vector<std::filesystem::path>& folders,
                               std::chrono::milliseconds period)
    : period_(period) {
  std::vector<dev_t> devices;
  for (const auto& folder : folders) {
    const int fd = open_folder(folder);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) != 0 ||
        std::find(devices.begin(), devices.end(), st.st_dev) != devices.end()) {
      ::close(fd);
      continue;
    }
    devices.push_back(st.st_dev);
    fds_.push_back(fd);
  }
  if (!fds_.empty()) thread_ = std::thread([this] { run(); });
}

EarlyWriteback::~EarlyWriteback() {
  stop();
  for (const int fd : fds_)
    ::close(fd);
}

void EarlyWriteback::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int EarlyWriteback::flushes() const {
  const std::lock_guard lock(mutex_);
  return flushes_;
}

void EarlyWriteback::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    // Errors are left to the closing flushes, which report them.
    for (const int fd : fds_)
      ::syncfs(fd);
    lock.lock();
    ++flushes_;
  }
}

}  // namespace feedd
