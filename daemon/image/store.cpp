#include "image/store.hpp"

#include <system_error>

#include "lib/crypto/sha256.hpp"
#include "util/atomic_file.hpp"
#include "util/image_name.hpp"

namespace feedd::image {

namespace {
constexpr std::size_t kHashDigits = 32;  // 128 bits: no collision among any number we keep
}

std::string ImageStore::file_name(std::string_view bytes, ImageType type) {
  return lib::sha256_hex(bytes).substr(0, kHashDigits) + "." + extension(type);
}

Stored ImageStore::put(std::string_view bytes, ImageType type) const {
  Stored s;
  try {
    s.file = file_name(bytes, type);
  } catch (const std::exception& e) {
    s.error = e.what();
    return s;
  }
  if (contains(s.file)) {
    s.ok = true;
    return s;
  }
  const WriteResult w = write_file_atomic(folder_ / s.file, bytes);
  s.ok = w.ok;
  if (!w.ok) {
    s.error = w.error;
    s.file.clear();
  }
  return s;
}

bool ImageStore::contains(std::string_view file) const {
  std::error_code ec;
  return is_image_file_name(file) && std::filesystem::is_regular_file(folder_ / file, ec);
}

std::size_t ImageStore::prune(const std::set<std::string>& referenced) const {
  std::size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_image_file_name(name) || referenced.contains(name)) continue;
    std::error_code rm;
    if (std::filesystem::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace feedd::image
