#pragma once
// `images: download` in the cycle (issue 13), kept apart from the Pipeline so that it plugs
// into whatever shape the cycle has: record() the images of each new article inside the
// cycle's transaction, run() after the cycle's posts and feeds are in place (images never
// hold a post back), prune() after articles are pruned.
//
// Threading: one thread at a time, the thread that owns the store (like the Pipeline).
// Errors: failed images are outcomes, logged once and retried on later cycles up to
// kMaxImageAttempts; store failures throw store::StoreError from record() (the cycle rolls
// back) and are caught and reported by run() and prune().
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "article/article.hpp"
#include "config/config.hpp"
#include "fetch/fetcher.hpp"
#include "image/download.hpp"
#include "image/proxy.hpp"
#include "store/store.hpp"

namespace feedd::app {

// A failing image is fetched on this many cycles before it is given up.
inline constexpr int kMaxImageAttempts = 5;

struct ImagePassReport {
  int stored = 0;    // images that became files this run
  int retry = 0;     // will be tried again
  int given_up = 0;  // never will be
  int posts_written = 0;
  std::set<std::string> touched;  // channel paths listing a rewritten article
  std::string error;              // store or file failure; "" otherwise
};

class ImagePass {
 public:
  // `config` and `store` must outlive the pass; it owns `fetcher` (the image fetcher: see
  // image::image_fetch_limits; a fake one in tests).
  ImagePass(const config::Config& config, store::Store& store,
            std::unique_ptr<fetch::Fetcher> fetcher);

  // Records the images of the new article `a` (already stored, in the open transaction) as
  // pending: each <img>'s URL as written in its body (image_proxy taken off again), in
  // document order, at most image_max_per_article. Throws store::StoreError.
  void record(const article::Article& a);

  // Fetches the pending images, records their fates, and rewrites the articles whose images
  // arrived — the store rows in one transaction, then their post files. `in_transaction`
  // (optional) is called in that transaction when an article was rewritten: the cycle marks
  // its views behind the store there (ViewWriter::mark_behind).
  ImagePassReport run(const std::function<void(store::Store&)>& in_transaction = {});

  // Removes the files of <output>/images that no stored article references. Returns how many.
  std::size_t prune();

  // Shutting down: a run in progress returns promptly and starts no other wave, and later
  // runs fetch nothing; images it did not get keep their attempts. Thread-safe, irreversible.
  void cancel() {
    cancelled_ = true;
    fetcher_->cancel();
  }

 private:
  const config::Config& config_;
  store::Store& store_;
  std::unique_ptr<fetch::Fetcher> fetcher_;
  image::ImageStore files_;
  std::atomic<bool> cancelled_{false};
};

// The real one: a curl fetcher of its own with the SSRF guard (unless image_private_hosts),
// the referer: map, the per-image size cap. nullptr unless `images: download`.
std::unique_ptr<ImagePass> make_image_pass(const config::Config& config, store::Store& store);

// How images are fetched, from the config (referer:, image_private_hosts:, image_max_mb:):
// the same for images: download and images: proxy.
image::FetchOptions image_fetch_options(const config::Config& config);

// images: proxy — the HMAC key of image::UrlSigner: the store's meta "image_proxy_key" (hex),
// 32 random bytes made and stored on first use, so signed URLs in posts outlive restarts.
// The store's thread; throws store::StoreError (and std::runtime_error if the CSPRNG fails).
std::string image_proxy_key(store::Store& store);

// images: proxy — the article's image_url mapping: an http(s) URL → <base_url>img/<sig>/<url>;
// nullopt (left as it is) for anything else. `signer` is copied in; thread-safe.
std::function<std::optional<std::string>(const std::string&)> proxied_image_url(
    image::UrlSigner signer, std::string base_url);

// `feedd check`'s lines about images: the mode and where the posts' images point, the caps,
// the referer: map and the SSRF guard; each line ends with '\n'. URLs redacted. Pure.
std::string describe_images(const config::Config& config);

// images: proxy — where the daemon caches proxied images: beside the store.
std::filesystem::path image_cache_folder(const config::Config& config);

}  // namespace feedd::app
