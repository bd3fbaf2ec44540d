#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

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

WriteResult write_file_atomic(const fs::path& path, std::string_view bytes) {
  WriteResult r;
  if (same_content(path, bytes)) {
    r.ok = true;
    return r;
  }
  std::error_code ec;
  // A bare "name" has no parent to create, and create_directories("") is an error (EINVAL).
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  if (ec) {
    r.error = path.parent_path().string() + ": " + ec.message();
    return r;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const fs::path tmp =
      path.string() + "." + std::to_string(rng() % 1000000000ULL) + std::string(kTempSuffix);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    r.error = tmp.string() + ": " + errno_text(errno);
    return r;
  }
  // fsync before rename: after a crash the new name never points at a partial file.
  const bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
  const int write_errno = errno;
  if (::close(fd) != 0 || !written) {
    r.error = path.string() + ": " + errno_text(written ? errno : write_errno);
    ::unlink(tmp.c_str());
    return r;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    r.error = path.string() + ": " + errno_text(errno);
    ::unlink(tmp.c_str());
    return r;
  }
  r.ok = true;
  r.changed = true;
  return r;
}

bool read_file(const fs::path& path, std::string& out, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.clear();
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) return false;
  }
  return !in.bad();
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
