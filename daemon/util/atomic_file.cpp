#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <system_error>

namespace feedd {
namespace fs = std::filesystem;

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

int open_folder(const fs::path& dir) {
  return ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool fsync_folder(const fs::path& dir) {
  const int fd = open_folder(dir);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool write_fully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

namespace {

// The folder part of a file path as a string ("" for a bare name): cheaper than a
// filesystem::path, which splits into components, for each of tens of thousands of files.
std::string folder_of(const std::string& file) {
  const auto slash = file.rfind('/');
  if (slash == std::string::npos) return "";
  return file.substr(0, slash == 0 ? 1 : slash);
}

// The unnamed-file budget. kUnset: derive from RLIMIT_NOFILE at first use.
constexpr long kUnset = -1;
std::atomic<long> g_fd_budget{kUnset};
std::atomic<long> g_fds_open{0};
std::atomic<int> g_fail_tmpfile{0};
// linkat(fd, "", …, AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH before Linux 6.10 (since then, the
// opener's own credentials suffice); without, the link goes through /proc/self/fd/N, whose path
// walk costs about what the saved directory operations gain. Set once the first fails and the
// second works.
std::atomic<bool> g_link_via_proc{false};

long fd_budget() {
  long budget = g_fd_budget.load(std::memory_order_relaxed);
  if (budget != kUnset) return budget;
  rlimit lim{};
  long soft = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    soft = lim.rlim_cur == RLIM_INFINITY ? (1L << 20) : static_cast<long>(lim.rlim_cur);
  }
  // The reserve: the server's 512 connections, curl's 8 transfers and resolver, SQLite's
  // database, WAL and shm, logs, image fetches, with a margin; and an eighth of the limit. Under
  // the systemd unit's 1024 that leaves 256: a daemon cycle's new posts, not a cold cycle's.
  budget = std::max(0L, soft - 640 - soft / 8);
  long expected = kUnset;
  g_fd_budget.compare_exchange_strong(expected, budget, std::memory_order_relaxed);
  return g_fd_budget.load(std::memory_order_relaxed);
}

bool take_fd() {
  const long budget = fd_budget();
  if (g_fds_open.fetch_add(1, std::memory_order_relaxed) < budget) return true;
  g_fds_open.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void give_fd() {
  g_fds_open.fetch_sub(1, std::memory_order_relaxed);
}

// An unnamed file in `dir`; -1 with errno on failure.
int open_unnamed(const std::string& dir) {
  if (const int err = g_fail_tmpfile.load(std::memory_order_relaxed)) {
    errno = err;
    return -1;
  }
  return ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
}

// Errors of an O_TMPFILE open that mean "not this way" rather than "cannot write here": a
// kernel without it (EISDIR: it sees O_DIRECTORY), a file system without it, or no descriptor
// to spare (a named temporary needs one only while it is written).
bool tmpfile_unusable(int err) {
  return err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == EMFILE || err == ENFILE;
}

// Gives the unnamed file `fd` the name `name`; false with errno on failure (EEXIST when the
// name is taken).
bool link_unnamed(int fd, const std::string& name) {
  if (!g_link_via_proc.load(std::memory_order_relaxed)) {
    if (::linkat(fd, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) == 0) return true;
    if (errno != ENOENT && errno != EPERM) return false;
  }
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return false;
  }
  g_link_via_proc.store(true, std::memory_order_relaxed);
  return true;
}

std::uint32_t new_tag() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return 1 + static_cast<std::uint32_t>(rng() % 999999999ULL);
}

}  // namespace

long reserve_staging_descriptors() {
  static std::once_flag once;
  static long asked = 0;
  std::call_once(once, [] {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return;
    // What is open now (the lowest free descriptor is a fair bound at startup) plus the budget.
    const int probe = ::open("/", O_PATH | O_CLOEXEC);
    if (probe < 0) return;
    const long want = std::min({static_cast<long>(probe) + 1 + fd_budget(), kMaxReservedDescriptors,
                                static_cast<long>(lim.rlim_cur)});
    // F_DUPFD takes the lowest free descriptor at or above its argument, so the table must grow
    // to hold `want` slots; it never shrinks, and the duplicate is closed at once.
    if (want > probe + 1) {
      const int top = ::fcntl(probe, F_DUPFD_CLOEXEC, static_cast<int>(want - 1));
      if (top >= 0) {
        ::close(top);
        asked = want;
      }
    }
    ::close(probe);
  });
  return asked;
}

void set_staging_fd_budget(long files) {
  g_fd_budget.store(files < 0 ? kUnset : files, std::memory_order_relaxed);
}

void fail_tmpfile_open_for_testing(int err) {
  g_fail_tmpfile.store(err, std::memory_order_relaxed);
}

StagedFile::StagedFile(const StagedFile& other)
    : path(other.path), tag(other.tag), synced(other.synced), result(other.result) {
  if (other.fd < 0) return;
  // Counted but not limited: a copy is rare (callers move) and must not fail for the budget.
  fd = ::fcntl(other.fd, F_DUPFD_CLOEXEC, 0);
  if (fd >= 0) {
    g_fds_open.fetch_add(1, std::memory_order_relaxed);
  } else {
    tag = 0;
    result.ok = false;
    result.error = path + ": " + errno_text(errno);
  }
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path(std::move(other.path)),
      tag(std::exchange(other.tag, 0)),
      fd(std::exchange(other.fd, -1)),
      synced(other.synced),
      result(std::move(other.result)) {}

StagedFile& StagedFile::operator=(const StagedFile& other) {
  if (this != &other) *this = StagedFile(other);
  return *this;
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this == &other) return *this;
  close_fd();
  path = std::move(other.path);
  tag = std::exchange(other.tag, 0);
  fd = std::exchange(other.fd, -1);
  synced = other.synced;
  result = std::move(other.result);
  return *this;
}

StagedFile::~StagedFile() {
  close_fd();
}

void StagedFile::close_fd() noexcept {
  if (fd < 0) return;
  ::close(fd);
  fd = -1;
  give_fd();
}

std::string StagedFile::temp() const {
  return path + "." + std::to_string(tag) + std::string(kTempSuffix);
}

StagedFile stage_file(const fs::path& path, std::string_view bytes, bool compare) {
  StagedFile staged{path.native(), 0, -1, false, {}};
  auto& r = staged.result;
  bool exists = false;
  if (compare) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    exists = !ec;
    std::string current;
    if (exists && size == bytes.size() && read_file(path, current, bytes.size() + 1) &&
        current == bytes) {
      r.ok = true;
      return staged;
    }
  }
  staged.tag = new_tag();
  // The folder usually exists: create it only when the first open says it does not, which
  // saves a stat per file. A bare "name" has no parent to create.
  auto create_folder = [&] {
    if (path.parent_path().empty()) return false;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) r.error = path.parent_path().string() + ": " + ec.message();
    return !ec;
  };
  int fd = -1;
  // An existing target is replaced through a named temporary either way: naming the unnamed
  // file first would only move the directory insert from here to publishing.
  if (!exists && take_fd()) {
    const std::string dir = folder_of(staged.path);
    fd = open_unnamed(dir);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR) && create_folder()) {
      fd = open_unnamed(dir);
    }
    if (fd < 0) {
      const int err = errno;
      give_fd();
      if (!r.error.empty() || !tmpfile_unusable(err)) {
        staged.tag = 0;
        if (r.error.empty()) r.error = path.string() + ": " + errno_text(err);
        return staged;
      }
    }
  }
  if (fd >= 0) {
    staged.fd = fd;
    if (!write_fully(fd, bytes)) {
      r.error = path.string() + ": " + errno_text(errno);
      staged.close_fd();
      staged.tag = 0;
    }
    return staged;
  }
  const std::string tmp = staged.temp();
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR) && r.error.empty() && create_folder()) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd < 0) {
    staged.tag = 0;
    if (r.error.empty()) r.error = tmp + ": " + errno_text(errno);
    return staged;
  }
  const bool written = write_fully(fd, bytes);
  const int write_errno = errno;
  if (::close(fd) != 0 || !written) {
    staged.tag = 0;
    r.error = path.string() + ": " + errno_text(written ? errno : write_errno);
    ::unlink(tmp.c_str());
  }
  return staged;
}

void discard_staged(std::vector<StagedFile>& files) {
  for (auto& f : files) {
    if (!f.staged()) continue;
    if (f.unnamed()) {
      f.close_fd();
    } else {
      ::unlink(f.temp().c_str());
    }
    f.tag = 0;
  }
}

void sync_staged(std::vector<StagedFile>& files) {
  // The data must be on disk before any rename, or a crash could leave a new name pointing at
  // a partial file. One syncfs() per file system does that for the whole batch: an fsync per
  // file costs a disk flush each (seconds for thousands of posts).
  std::vector<dev_t> synced;
  std::vector<std::string> checked;  // folders whose file system is in `synced`
  for (const auto& f : files) {
    if (!f.staged() || f.synced) continue;
    const std::string dir = folder_of(f.path);
    if (std::find(checked.begin(), checked.end(), dir) != checked.end()) continue;
    checked.push_back(dir);
    struct stat info {};
    if (::stat(dir.empty() ? "." : dir.c_str(), &info) != 0) continue;
    if (std::find(synced.begin(), synced.end(), info.st_dev) != synced.end()) continue;
    const int dfd = open_folder(dir);
    const bool ok = dfd >= 0 && ::syncfs(dfd) == 0;
    const int sync_errno = errno;
    if (dfd >= 0) ::close(dfd);
    if (!ok) {
      // Without a successful flush nothing of this batch may replace a good file.
      for (auto& g : files) {
        if (g.staged()) g.result.error = g.path + ": " + errno_text(sync_errno);
      }
      discard_staged(files);
      return;
    }
    synced.push_back(info.st_dev);
  }
  for (auto& f : files)
    f.synced = f.staged();
}

namespace {

// Gives a staged file its target's name: links an unnamed file (through a temporary name
// renamed over the target when the target exists), renames a named temporary. Clears the tag,
// closes the descriptor, removes the temporary on failure; false with errno on failure.
bool put_in_place(StagedFile& f) {
  const std::string tmp = f.temp();
  f.tag = 0;
  bool ok = false;
  int err = 0;
  if (f.unnamed()) {
    ok = link_unnamed(f.fd, f.path);
    // Linking never replaces a file: to replace one, the file gets a temporary name first.
    if (!ok && errno == EEXIST && link_unnamed(f.fd, tmp)) {
      ok = ::rename(tmp.c_str(), f.path.c_str()) == 0;
      err = errno;
      if (!ok) ::unlink(tmp.c_str());
    } else {
      err = errno;
    }
    f.close_fd();
  } else {
    ok = ::rename(tmp.c_str(), f.path.c_str()) == 0;
    err = errno;
    if (!ok) ::unlink(tmp.c_str());
  }
  errno = err;
  return ok;
}

}  // namespace

void publish_staged(std::vector<StagedFile>& files) {
  sync_staged(files);
  std::vector<std::string> dirs;
  for (auto& f : files) {
    if (!f.staged()) continue;
    auto& r = f.result;
    if (!put_in_place(f)) {
      r.error = f.path + ": " + errno_text(errno);
      continue;
    }
    r.ok = true;
    r.changed = true;
    std::string dir = folder_of(f.path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(std::move(dir));
  }
  // The renames themselves are directory entries: flushing each folder once makes them
  // survive a power cut, not just a crash of feedd.
  for (const auto& dir : dirs)
    fsync_folder(dir);
}

std::vector<WriteResult> write_files_atomic(const std::vector<FileWrite>& files) {
  std::vector<StagedFile> staged;
  staged.reserve(files.size());
  for (const auto& f : files)
    staged.push_back(stage_file(f.path, f.bytes));
  publish_staged(staged);
  std::vector<WriteResult> results;
  results.reserve(staged.size());
  for (auto& s : staged)
    results.push_back(std::move(s.result));
  return results;
}

WriteResult write_file_atomic(const fs::path& path, std::string_view bytes) {
  return write_files_atomic({{path, std::string(bytes)}}).front();
}

bool read_file(const fs::path& path, std::string& out, std::size_t max_bytes, std::string* error) {
  auto fail = [error](std::string reason) {
    if (error) *error = std::move(reason);
    return false;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(errno_text(errno));
  out.clear();
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) return fail("larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (in.bad()) return fail(errno_text(errno));
  return true;
}

int remove_stale_temporaries(const fs::path& dir) {
  int removed = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.size() > kTempSuffix.size() && name.ends_with(kTempSuffix)) {
      // A folder is a FreshFolder's staging, left by a crash before its rename: it goes whole,
      // and nothing under it is looked at again.
      std::error_code rm;
      if (it->is_directory(rm)) {
        it.disable_recursion_pending();
        if (fs::remove_all(it->path(), rm) > 0 && !rm) ++removed;
      } else if (fs::remove(it->path(), rm)) {
        ++removed;
      }
    }
  }
  return removed;
}

}  // namespace feedd
