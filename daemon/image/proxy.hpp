#pragma once
// `images: proxy`: the daemon serves `/img/<signature>/<encoded url>` itself. UrlSigner makes
// and checks those paths (so feedd fetches only URLs it wrote into a post: no open proxy);
// ProxyCache keeps the fetched images on disk, bounded in bytes, least recently used evicted.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fetch/fetcher.hpp"
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

struct ProxyReply {
  int status = 502;  // 200: `file` is in the cache; 502: upstream failed or not an image; 503
  std::string file;
  std::string reason;  // otherwise, for the response body and the log
};

// Fetches proxied images on a thread of its own, so the HTTP server's loop never waits on an
// upstream. Requests queue (at most `max_queue`; beyond that, or once cancelled, they are
// answered 503 at once); the thread takes up to `batch` distinct URLs at a time and fetches
// them through `fetcher` (image_fetch_limits: SSRF guard, Referer, size and time caps), so at
// most `batch` upstream requests run at once. What sniff() accepts goes into `cache`.
class ProxyFetcher {
 public:
  using Done = std::function<void(ProxyReply)>;
  // `cache` must outlive this object.
  ProxyFetcher(std::unique_ptr<fetch::Fetcher> fetcher, ProxyCache& cache,
               std::size_t max_queue = 256, std::size_t batch = 8);
  // Cancels and joins the thread; queued requests are answered 503.
  ~ProxyFetcher();
  ProxyFetcher(const ProxyFetcher&) = delete;
  ProxyFetcher& operator=(const ProxyFetcher&) = delete;

  // Any thread. `done` runs exactly once: on the fetcher's thread, or on the calling thread
  // when the request is refused at once. The caller posts it back to its own thread.
  void request(std::string url, Done done);
  // Any thread: the fetch in progress ends as cancelled, later requests are refused. Idempotent.
  void cancel();

 private:
  void run();
  ProxyReply fetched(fetch::Result& result);

  std::unique_ptr<fetch::Fetcher> fetcher_;
  ProxyCache& cache_;
  std::size_t max_queue_;
  std::size_t batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, Done>> queue_;
  bool cancelled_ = false;
  std::thread thread_;
};

}  // namespace feedd::image
