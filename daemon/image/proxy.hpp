#pragma once
// `images: proxy`: the daemon serves `/img/<signature>/<encoded url>` itself. UrlSigner makes
// and checks those paths (so feedd fetches only URLs it wrote into a post: no open proxy);
// ProxyCache keeps the fetched images on disk, bounded in bytes, least recently used evicted.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "image/sniff.hpp"

namespace feedd::image {

// Signs image URLs with HMAC-SHA256 under a secret key (the store keeps it: app/images.hpp
// image_proxy_key). Pure and immutable: thread-safe. Never throws but std::bad_alloc and
// libcrypto's own failures.
class UrlSigner {
 public:
  explicit UrlSigner(std::string key) : key_(std::move(key)) {}

  // "img/<64 hex HMAC of url>/<url as base64url, unpadded>": relative, the caller prefixes
  // base_url. base64url keeps the URL's '/', '?', '%' and '#' out of the path, so the server's
  // path decoding cannot change it.
  std::string path(std::string_view url) const;

  struct Checked {
    int status = 404;  // 200: `url` is the signed URL; 403: bad signature; 404: malformed
    std::string url;
  };
  // Checks the part of a request path after "/img/": "<signature>/<encoded url>". The
  // signature is compared in constant time.
  Checked check(std::string_view rest) const;

 private:
  std::string key_;
};

std::string base64url_encode(std::string_view bytes);
// nullopt when `text` holds anything but the base64url alphabet or has an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

// Fetched images on disk, `<folder>/<32 hex of SHA-256(url)>.<ext>` (is_image_file_name, so
// serve::serve_image_file serves them), bounded in bytes: put() evicts the least recently used
// files until the total fits. Recency is kept in memory; a restart orders the files by their
// modification time. Thread-safe (one mutex). Filesystem failures are not thrown: put() then
// returns "", get() nullopt.
class ProxyCache {
 public:
  // Creates `folder` if missing and indexes the files already in it.
  ProxyCache(std::filesystem::path folder, std::uintmax_t max_bytes);

  const std::filesystem::path& folder() const { return folder_; }
  // The file name of `url` when cached (and marks it used), else nullopt.
  std::optional<std::string> get(std::string_view url);
  // Stores `body` as `url`'s image of type `type`; returns its file name, "" when it could not
  // be written or is larger than the whole bound.
  std::string put(std::string_view url, ImageType type, std::string_view body);
  std::uintmax_t total_bytes() const;

 private:
  struct Entry {
    std::uintmax_t size = 0;
    std::uint64_t used = 0;  // a tick of tick_: larger is more recent
  };
  void evict_locked(std::uintmax_t need);

  std::filesystem::path folder_;
  std::uintmax_t max_bytes_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // by file name
  std::uintmax_t total_ = 0;
  std::uint64_t tick_ = 0;
};

}  // namespace feedd::image
