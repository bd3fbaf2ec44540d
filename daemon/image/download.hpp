#pragma once
// `images: download`: fetches the images of new articles, keeps those sniff() accepts in the
// ImageStore, and says per article which image became which file, which may be retried on a
// later cycle and which never will be. The I/O is the Fetcher's and the store's; the caps and
// the fates are decided here, so the cycle only records them.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "fetch/fetcher.hpp"
#include "image/referer.hpp"
#include "image/store.hpp"

namespace feedd::image {

struct Caps {
  std::size_t images_per_article = 30;
  std::size_t bytes_per_article = 32u << 20;
  std::size_t bytes_per_cycle = 256u << 20;
  // Images fetched at once by one fetch_all (the Fetcher's per-host and total limits apply
  // within it). The cycle cap is checked between waves, so one cycle fetches at most
  // bytes_per_cycle + wave × the per-image cap.
  std::size_t wave = 32;
};

struct Wanted {
  std::string article;            // the caller's key for the article
  std::vector<std::string> urls;  // its images' absolute URLs, in document order
};

enum class Fate {
  kStored,  // `file` holds it
  kRetry,   // a passing failure (network, 5xx, 429, the cycle cap): try again next cycle
  kGiveUp,  // never will be (not an image, too large, 4xx, refused address, article caps)
};

struct ImageOutcome {
  std::string url;
  Fate fate = Fate::kRetry;
  std::string file;    // with kStored
  std::string reason;  // otherwise: "HTTP 404 Not Found", "not an image (text/html)", ...
};

struct ArticleOutcome {
  std::string article;
  std::vector<ImageOutcome> images;  // one per distinct URL of Wanted::urls, in that order
};

// Fetches every distinct URL of `wanted` once, through `fetcher` (which carries the per-image
// size and time limits, the Referer map and the SSRF guard: see fetch::Limits), in waves, and
// stores what sniff() accepts. Results are in the order of `wanted`. Blocks until done; the
// cycle calls it after the posts are written, so images never hold a post back. Failures are
// outcomes; throws only what on the way the Fetcher does (std::bad_alloc).
std::vector<ArticleOutcome> download(fetch::Fetcher& fetcher, const ImageStore& store,
                                     const std::vector<Wanted>& wanted, const Caps& caps);

// How images are fetched, from the config (`referer:`, `image_private_hosts:`, the caps).
struct FetchOptions {
  RefererMap referers;
  bool private_hosts = false;  // image_private_hosts: lifts the SSRF guard
  std::size_t max_image_bytes = 16u << 20;
  std::chrono::seconds timeout{30};
  int max_parallel = 8;
  int max_per_host = 2;
  std::vector<std::string> exempt_endpoints;  // tests: see fetch::Limits
};

// The Limits of the image fetcher: the SSRF guard on unless private_hosts, image types in
// Accept, the Referer from the map. A fetcher of its own (not the feeds'), so that no
// connection the feeds' fetcher opened to a private address is ever reused for an image.
fetch::Limits image_fetch_limits(const FetchOptions& options);

// "stored", "retry", "give up": for logs.
const char* fate_name(Fate fate);

}  // namespace feedd::image
