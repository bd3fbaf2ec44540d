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

ImageStore::Pending ImageStore::stage(std::string_view bytes, ImageType type) const {
  Pending p;
  try {
    p.stored.file = file_name(bytes, type);
  } catch (const std::exception& e) {
    p.stored.error = e.what();
    return p;
  }
  if (contains(p.stored.file)) {
    p.stored.ok = true;
    return p;
  }
  // A new name is new content: nothing to compare with.
  p.staged = stage_file(folder_ / p.stored.file, bytes, /*compare=*/false);
  if (!p.staged.staged()) {  // staging failed (a staged file is ok only once published)
    p.stored.error = p.staged.result.error;
    p.stored.file.clear();
  }
  return p;
}

void ImageStore::publish(std::vector<Pending>& batch) {
  std::vector<StagedFile> staged;
  std::vector<std::size_t> owner;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].staged.staged()) continue;
    staged.push_back(std::move(batch[i].staged));
    owner.push_back(i);
  }
  publish_staged(staged);
  for (std::size_t k = 0; k < staged.size(); ++k) {
    Pending& p = batch[owner[k]];
    p.stored.ok = staged[k].result.ok;
    if (!p.stored.ok) {
      p.stored.error = staged[k].result.error;
      p.stored.file.clear();
    }
    p.staged = std::move(staged[k]);
  }
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
