#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <system_error>

namespace feedd {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

bool same_content(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size != bytes.size()) return false;
  std::string current;
  return read_file(path, current, bytes.size() + 1) && current == bytes;
}

bool write_all(int fd, std::string_view bytes) {
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

}  // namespace

namespace {

// Opens a folder for fsync/syncfs; -1 on error.
int open_dir(const fs::path& dir) {
  return ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// The folder part of a file path as a string ("" for a bare name): cheaper than a
// filesystem::path, which splits into components, for each of tens of thousands of files.
std::string folder_of(const std::string& file) {
  const auto slash = file.rfind('/');
  if (slash == std::string::npos) return "";
  return file.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace

std::string StagedFile::temp() const {
  return path + "." + std::to_string(tag) + std::string(kTempSuffix);
}

StagedFile stage_file(const fs::path& path, std::string_view bytes, bool compare) {
  StagedFile staged{path.native(), 0, false, {}};
  auto& r = staged.result;
  if (compare && same_content(path, bytes)) {
    r.ok = true;
    return staged;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  staged.tag = 1 + static_cast<std::uint32_t>(rng() % 999999999ULL);
  const std::string tmp = staged.temp();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  // The folder usually exists: create it only when the first open says it does not, which
  // saves a stat per file. A bare "name" has no parent to create.
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR) && !path.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      staged.tag = 0;
      r.error = path.parent_path().string() + ": " + ec.message();
      return staged;
    }
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd < 0) {
    staged.tag = 0;
    r.error = tmp + ": " + errno_text(errno);
    return staged;
  }
  const bool written = write_all(fd, bytes);
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
    ::unlink(f.temp().c_str());
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
    const int dfd = open_dir(dir);
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

void publish_staged(std::vector<StagedFile>& files) {
  sync_staged(files);
  std::vector<std::string> dirs;
  for (auto& f : files) {
    if (!f.staged()) continue;
    auto& r = f.result;
    const std::string tmp = f.temp();
    f.tag = 0;
    if (::rename(tmp.c_str(), f.path.c_str()) != 0) {
      r.error = f.path + ": " + errno_text(errno);
      ::unlink(tmp.c_str());
      continue;
    }
    r.ok = true;
    r.changed = true;
    std::string dir = folder_of(f.path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(std::move(dir));
  }
  // The renames themselves are directory entries: flushing each folder once makes them
  // survive a power cut, not just a crash of feedd.
  for (const auto& dir : dirs) {
    const int dfd = open_dir(dir);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
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
      std::error_code rm;
      if (fs::remove(it->path(), rm)) ++removed;
    }
  }
  return removed;
}

}  // namespace feedd
