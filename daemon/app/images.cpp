#include "app/images.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "article/article_file.hpp"
#include "lib/crypto/hmac.hpp"
#include "lib/curl/url.hpp"
#include "util/atomic_file.hpp"

namespace feedd::app {
namespace {

constexpr int kMaxPendingPerRun = 5000;  // rows read per run; the rest wait for the next

image::Caps caps_of(const config::Config& c) {
  image::Caps caps;
  caps.images_per_article = static_cast<std::size_t>(c.image_max_per_article);
  caps.bytes_per_article = static_cast<std::size_t>(c.image_article_mb) << 20;
  caps.bytes_per_cycle = static_cast<std::size_t>(c.image_cycle_mb) << 20;
  return caps;
}

// The URL an <img> was written with → the image's own URL: image_proxy comes off again
// (rewrite_img put it on http:// images), anything else is its own.
std::string original_of(const std::string& written, const std::string& image_proxy) {
  if (!image_proxy.empty() && written.starts_with(image_proxy)) {
    if (auto u = lib::web_url(written.substr(image_proxy.size()))) return *u;
  }
  return written;
}

}  // namespace

ImagePass::ImagePass(const config::Config& config, store::Store& store,
                     std::unique_ptr<fetch::Fetcher> fetcher)
    : config_(config),
      store_(store),
      fetcher_(std::move(fetcher)),
      files_(config.output / "images") {}

void ImagePass::record(const article::Article& a) {
  if (config_.image_max_per_article <= 0) return;
  std::vector<std::string> written;
  article::RewriteOptions options{.base_url = a.link, .image_proxy = config_.image_proxy};
  options.iframe_hosts = config_.iframe_hosts;
  options.image_url = [&](const std::string& url) -> std::optional<std::string> {
    written.push_back(url);
    return std::nullopt;
  };
  // The body is already rewritten: this pass only reads back what its images were written as.
  article::rewrite_html(a.html, options);
  std::set<std::string> seen;
  int position = 0;
  for (const std::string& w : written) {
    if (article::is_local_image_path(w) || w.starts_with(config_.image_base) ||
        !seen.insert(w).second) {
      continue;
    }
    if (position >= config_.image_max_per_article) break;
    // rewrite_img saw the written src before image_proxy: for an http:// image that is the
    // proxied URL only when the stored body holds it so.
    store_.set_article_image({a.hash, original_of(w, config_.image_proxy), w, "",
                              store::ImageState::kPending, 0, "", position++});
  }
}

ImagePassReport ImagePass::run(const std::function<void(store::Store&)>& in_transaction) {
  const auto started = std::chrono::steady_clock::now();
  ImagePassReport report;
  std::vector<store::ArticleImage> rows;
  try {
    rows = store_.pending_images(kMaxPendingPerRun);
  } catch (const store::StoreError& e) {
    report.error = std::string("store: ") + e.what();
    return report;
  }
  if (rows.empty()) return report;

  std::vector<image::Wanted> wanted;
  std::map<std::pair<std::string, std::string>, const store::ArticleImage*> row_of;
  for (const auto& r : rows) {
    if (wanted.empty() || wanted.back().article != r.hash) wanted.push_back({r.hash, {}});
    wanted.back().urls.push_back(r.url);
    row_of.emplace(std::make_pair(r.hash, r.url), &r);
  }
  const auto outcomes = image::download(*fetcher_, files_, wanted, caps_of(config_));

  std::vector<std::string> rewritten;
  try {
    store::Store::Transaction tx(store_);
    for (const image::ArticleOutcome& article : outcomes) {
      std::map<std::string, std::string> local;  // written → image_base + file
      for (const image::ImageOutcome& o : article.images) {
        const auto found = row_of.find({article.article, o.url});
        if (found == row_of.end()) continue;
        // Cut short by shutdown: not the image's fault, so it costs no attempt.
        if (o.fate == image::Fate::kRetry && cancelled_) continue;
        store::ArticleImage row = *found->second;
        ++row.attempts;
        row.reason = o.reason;
        if (o.fate == image::Fate::kStored) {
          row.state = store::ImageState::kStored;
          row.file = o.file;
          local[row.written] = config_.image_base + o.file;
          ++report.stored;
        } else if (o.fate == image::Fate::kGiveUp || row.attempts >= kMaxImageAttempts) {
          row.state = store::ImageState::kGivenUp;
          ++report.given_up;
          spdlog::warn("image {} of post {}: {} (kept as it was)", lib::redact_url(o.url),
                       article.article, o.reason);
        } else {
          ++report.retry;
          spdlog::info("image {} of post {}: {} (retried next cycle)", lib::redact_url(o.url),
                       article.article, o.reason);
        }
        store_.set_article_image(row);
      }
      if (local.empty()) continue;
      auto a = store_.article(article.article);
      if (!a) continue;
      article::RewriteOptions options{.base_url = a->link, .image_proxy = config_.image_proxy};
      options.iframe_hosts = config_.iframe_hosts;
      options.image_url = [&](const std::string& url) -> std::optional<std::string> {
        // Images that arrived on an earlier run stay as they are: mapped to themselves, so
        // that image_proxy does not take an http:// image_base for an upstream image.
        if (url.starts_with(config_.image_base)) return url;
        const auto it = local.find(url);
        if (it == local.end()) return std::nullopt;
        return it->second;
      };
      const article::RewriteResult r = article::rewrite_html(a->html, options);
      std::string image = a->image;
      if (const auto it = local.find(image); it != local.end()) image = it->second;
      store_.set_article_body(a->hash, r.html, image);
      for (auto& path : store_.article_channels(a->hash))
        report.touched.insert(std::move(path));
      rewritten.push_back(a->hash);
    }
    if (!rewritten.empty() && in_transaction) in_transaction(store_);
    tx.commit();
  } catch (const store::StoreError& e) {
    report.error = std::string("store: ") + e.what();
    report.touched.clear();
    return report;
  }

  std::vector<FileWrite> posts;
  try {
    for (const auto& hash : rewritten) {
      if (auto a = store_.article(hash)) {
        posts.push_back(
            {config_.output / "posts" / (hash + ".md"), article::render_article_file(*a)});
      }
    }
  } catch (const store::StoreError& e) {
    report.error = std::string("store: ") + e.what();
  }
  for (const WriteResult& w : write_files_atomic(posts)) {
    if (w.changed) ++report.posts_written;
    if (!w.ok && report.error.empty()) report.error = w.error;
  }
  if (report.stored + report.given_up + report.retry > 0) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    spdlog::info("images: {} stored, {} to retry, {} given up; {} posts rewritten in {} ms",
                 report.stored, report.retry, report.given_up, report.posts_written, ms);
  }
  return report;
}

std::size_t ImagePass::prune() {
  try {
    const auto files = store_.image_files();
    return files_.prune(std::set<std::string>(files.begin(), files.end()));
  } catch (const store::StoreError& e) {
    spdlog::error("pruning images: {}", e.what());
    return 0;
  }
}

std::unique_ptr<ImagePass> make_image_pass(const config::Config& config, store::Store& store) {
  if (config.images != config::ImageMode::download) return nullptr;
  return std::make_unique<ImagePass>(
      config, store,
      fetch::make_curl_fetcher(image::image_fetch_limits(image_fetch_options(config))));
}

image::FetchOptions image_fetch_options(const config::Config& config) {
  image::FetchOptions o;
  o.referers = image::RefererMap(config.referer);
  o.private_hosts = config.image_private_hosts;
  o.max_image_bytes = static_cast<std::size_t>(config.image_max_mb) << 20;
  return o;
}

std::string image_proxy_key(store::Store& store) {
  static constexpr std::string_view kKey = "image_proxy_key";
  static constexpr char kHex[] = "0123456789abcdef";
  const auto from_hex = [](std::string_view hex) -> std::optional<std::string> {
    if (hex.size() != 64) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const auto hi = std::string_view(kHex).find(hex[i]);
      const auto lo = std::string_view(kHex).find(hex[i + 1]);
      if (hi == std::string_view::npos || lo == std::string_view::npos) return std::nullopt;
      out += static_cast<char>(hi << 4 | lo);
    }
    return out;
  };
  if (const auto stored = store.meta(kKey)) {
    if (auto key = from_hex(*stored)) return *key;
    spdlog::warn(
        "store: meta {} is not 64 hex digits; making a new key (old /img/ links stop working)",
        kKey);
  }
  std::string key = lib::random_bytes(32);
  std::string hex;
  for (const char c : key) {
    hex += kHex[static_cast<unsigned char>(c) >> 4];
    hex += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  store.set_meta(kKey, hex);
  return key;
}

std::function<std::optional<std::string>(const std::string&)> proxied_image_url(
    image::UrlSigner signer, std::string base_url) {
  return [signer = std::move(signer),
          base = std::move(base_url)](const std::string& url) -> std::optional<std::string> {
    if (!url.starts_with("http://") && !url.starts_with("https://")) return std::nullopt;
    return base + signer.path(url);
  };
}

std::string describe_images(const config::Config& c) {
  const auto mib = [](int n) { return std::to_string(n) + " MiB"; };
  std::string out = "images: " + std::string(config::image_mode_name(c.images));
  switch (c.images) {
    case config::ImageMode::hotlink:
      return out + (c.image_proxy.empty()
                        ? " (original URLs)\n"
                        : " (http:// ones through " + lib::redact_url(c.image_proxy) + ")\n");
    case config::ImageMode::download:
      out += " → " + lib::redact_url(c.image_base) +
             "<hash>.<ext>; caps: " + std::to_string(c.image_max_per_article) + " images and " +
             mib(c.image_article_mb) + " per article, " + mib(c.image_max_mb) + " per image, " +
             mib(c.image_cycle_mb) + " per cycle\n";
      break;
    case config::ImageMode::proxy:
      out += " → " + lib::redact_url(c.base_url) +
             "img/<signature>/<url>; cache: " + image_cache_folder(c).string() + ", " +
             mib(c.image_cache_mb) + "; caps: " + mib(c.image_max_mb) + " per image\n";
      break;
  }
  if (c.referer.empty()) out += "referer: none\n";
  for (const auto& [host, referer] : c.referer)
    out += "referer: " + host + " → " + lib::redact_url(referer) + "\n";
  out += c.image_private_hosts
             ? "image_private_hosts: true (images may come from loopback and private addresses)\n"
             : "image_private_hosts: false (no image from loopback, private, link-local or "
               "multicast addresses)\n";
  return out;
}

std::filesystem::path image_cache_folder(const config::Config& config) {
  return config.state.parent_path() / "image-cache";
}

}  // namespace feedd::app
