#include "image/proxy.hpp"

#include <algorithm>
#include <array>
#include <system_error>
#include <utility>
#include <vector>

#include "lib/crypto/hmac.hpp"
#include "lib/crypto/sha256.hpp"
#include "util/atomic_file.hpp"
#include "util/image_name.hpp"

namespace feedd::image {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kSignatureHex = 64;
// A URL longer than this is never signed by a post (lib::web_url bounds them far lower), so a
// longer path is malformed before any HMAC is computed.
constexpr std::size_t kMaxEncoded = 8192;

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

int value_of(char c) {
  const auto at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (left == 2) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value_of(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero: one URL has exactly one encoding.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string UrlSigner::path(std::string_view url) const {
  return "img/" + hex(lib::hmac_sha256(key_, url)) + "/" + base64url_encode(url);
}

UrlSigner::Checked UrlSigner::check(std::string_view rest) const {
  const auto slash = rest.find('/');
  if (slash != kSignatureHex || rest.size() - slash - 1 > kMaxEncoded) return {};
  const auto url = base64url_decode(rest.substr(slash + 1));
  if (!url || url->empty()) return {};
  const std::string expected = hex(lib::hmac_sha256(key_, *url));
  if (!lib::constant_time_equal(expected, rest.substr(0, slash))) return {403, {}};
  return {200, *url};
}

ProxyCache::ProxyCache(std::filesystem::path folder, std::uintmax_t max_bytes)
    : folder_(std::move(folder)), max_bytes_(max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  struct Found {
    std::string name;
    std::uintmax_t size;
    std::filesystem::file_time_type mtime;
  };
  std::vector<Found> found;
  for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_image_file_name(name)) continue;
    std::error_code e1, e2;
    const auto size = it->file_size(e1);
    const auto mtime = it->last_write_time(e2);
    if (!e1 && !e2) found.push_back({name, size, mtime});
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime < b.mtime; });
  for (const Found& f : found) {
    entries_[f.name] = {f.size, ++tick_};
    total_ += f.size;
  }
  const std::lock_guard lock(mutex_);
  evict_locked(0);
}

std::optional<std::string> ProxyCache::get(std::string_view url) {
  const std::string prefix = lib::sha256_hex(url).substr(0, 32) + ".";
  const std::lock_guard lock(mutex_);
  const auto it = entries_.lower_bound(prefix);
  if (it == entries_.end() || !it->first.starts_with(prefix)) return std::nullopt;
  it->second.used = ++tick_;
  // The file may have gone (removed by hand): then it is a miss, and forgotten.
  std::error_code ec;
  if (!std::filesystem::exists(folder_ / it->first, ec)) {
    total_ -= it->second.size;
    entries_.erase(it);
    return std::nullopt;
  }
  return it->first;
}

std::string ProxyCache::put(std::string_view url, ImageType type, std::string_view body) {
  if (body.size() > max_bytes_) return "";
  std::string name = lib::sha256_hex(url).substr(0, 32) + "." + extension(type);
  const std::lock_guard lock(mutex_);
  if (const auto it = entries_.find(name); it != entries_.end()) {
    total_ -= it->second.size;
    entries_.erase(it);
  }
  evict_locked(body.size());
  if (!write_file_atomic(folder_ / name, body).ok) return "";
  entries_[name] = {body.size(), ++tick_};
  total_ += body.size();
  return name;
}

std::uintmax_t ProxyCache::total_bytes() const {
  const std::lock_guard lock(mutex_);
  return total_;
}

void ProxyCache::evict_locked(std::uintmax_t need) {
  while (!entries_.empty() && total_ + need > max_bytes_) {
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    std::error_code ec;
    std::filesystem::remove(folder_ / oldest->first, ec);
    total_ -= oldest->second.size;
    entries_.erase(oldest);
  }
}

}  // namespace feedd::image

namespace feedd::image {

ProxyFetcher::ProxyFetcher(std::unique_ptr<fetch::Fetcher> fetcher, ProxyCache& cache,
                           std::size_t max_queue, std::size_t batch)
    : fetcher_(std::move(fetcher)),
      cache_(cache),
      max_queue_(max_queue),
      batch_(std::max<std::size_t>(batch, 1)),
      thread_([this] { run(); }) {}

ProxyFetcher::~ProxyFetcher() {
  cancel();
  thread_.join();
}

void ProxyFetcher::request(std::string url, Done done) {
  {
    const std::lock_guard lock(mutex_);
    if (!cancelled_ && queue_.size() < max_queue_) {
      queue_.emplace_back(std::move(url), std::move(done));
      wake_.notify_one();
      return;
    }
  }
  done({503, "", "image proxy busy or shutting down"});
}

void ProxyFetcher::cancel() {
  {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  wake_.notify_all();
  fetcher_->cancel();
}

ProxyReply ProxyFetcher::fetched(fetch::Result& result) {
  if (result.outcome == fetch::Outcome::kCancelled) return {503, "", "shutting down"};
  if (result.outcome != fetch::Outcome::kOk) {
    return {502, "", result.reason.empty() ? fetch::outcome_name(result.outcome) : result.reason};
  }
  const Sniffed sniffed = sniff(result.body, result.content_type);
  if (!sniffed.type) return {502, "", sniffed.reason};
  std::string file = cache_.put(result.url, *sniffed.type, result.body);
  if (file.empty()) return {502, "", "cannot cache the image"};
  return {200, std::move(file), ""};
}

void ProxyFetcher::run() {
  for (;;) {
    std::vector<std::pair<std::string, Done>> taken;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return cancelled_ || !queue_.empty(); });
      if (cancelled_) {
        auto left = std::exchange(queue_, {});
        lock.unlock();
        for (auto& [url, done] : left)
          done({503, "", "shutting down"});
        return;
      }
      // Up to batch_ distinct URLs; every queued request for one of them rides along.
      std::vector<std::string> urls;
      for (auto it = queue_.begin(); it != queue_.end();) {
        const bool known = std::find(urls.begin(), urls.end(), it->first) != urls.end();
        if (known || urls.size() < batch_) {
          if (!known) urls.push_back(it->first);
          taken.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }
    std::map<std::string, ProxyReply> replies;
    std::vector<fetch::Request> requests;
    for (const auto& [url, done] : taken) {
      if (replies.contains(url)) continue;
      // An earlier batch may have fetched it since the request was queued.
      if (auto file = cache_.get(url)) {
        replies[url] = {200, std::move(*file), ""};
      } else {
        replies[url] = {503, "", "not fetched"};
        requests.push_back({url, url, {}});
      }
    }
    if (!requests.empty()) {
      fetcher_->fetch_all(requests, [&](fetch::Result& r) { replies[r.key] = fetched(r); });
    }
    for (auto& [url, done] : taken)
      done(replies[url]);
  }
}

}  // namespace feedd::image
