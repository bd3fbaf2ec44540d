#include "notify/webhook.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "lib/curl/easy.hpp"
#include "lib/curl/slist.hpp"
#include "lib/curl/url.hpp"

namespace feedd::notify {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
}

constexpr long kPostTimeoutSeconds = 30;
constexpr std::size_t kMaxResponseBytes = std::size_t{64} * 1024;

std::size_t discard(char*, std::size_t size, std::size_t n, void* seen) {
  // The answer is not read, only bounded: a server streaming forever ends the transfer.
  auto& total = *static_cast<std::size_t*>(seen);
  total += size * n;
  return total > kMaxResponseBytes ? 0 : size * n;
}

}  // namespace

std::string webhook_body(const std::vector<NewPost>& posts) {
  std::string out = "{\"new_posts\":" + std::to_string(posts.size()) + ",\"articles\":[";
  for (std::size_t i = 0; i < posts.size(); ++i) {
    const NewPost& p = posts[i];
    if (i > 0) out += ',';
    out += "{\"title\":";
    append_json_string(out, p.title);
    out += ",\"link\":";
    append_json_string(out, p.link);
    out += ",\"categories\":[";
    for (std::size_t j = 0; j < p.categories.size(); ++j) {
      if (j > 0) out += ',';
      append_json_string(out, p.categories[j]);
    }
    out += "],\"file\":";
    append_json_string(out, p.file);
    out += '}';
  }
  return out + "]}";
}

void WebhookQueue::push(std::string body, TimePoint now) {
  if (items_.size() >= kCapacity) {
    items_.pop_front();
    ++stats_.dropped;
  }
  items_.push_back({std::move(body), now, 0});
  stats_.queued = items_.size();
}

std::optional<std::string> WebhookQueue::due(TimePoint now) const {
  if (items_.empty() || items_.front().due > now) return std::nullopt;
  return items_.front().body;
}

void WebhookQueue::report(bool ok, TimePoint now) {
  if (items_.empty()) return;
  Item& head = items_.front();
  if (ok) {
    ++stats_.delivered;
    items_.pop_front();
  } else {
    ++stats_.failures;
    if (++head.failures >= kMaxAttempts) {
      ++stats_.dropped;
      items_.pop_front();
    } else {
      auto backoff = kFirstBackoff;
      for (int i = 1; i < head.failures && backoff < kMaxBackoff; ++i)
        backoff *= 2;
      head.due = now + std::min(backoff, kMaxBackoff);
    }
  }
  stats_.queued = items_.size();
}

std::optional<WebhookQueue::TimePoint> WebhookQueue::next_due() const {
  if (items_.empty()) return std::nullopt;
  return items_.front().due;
}

Poster make_curl_poster() {
  return [](const std::string& url, const std::string& body) -> std::string {
    try {
      lib::CurlEasy e;
      lib::CurlSlist headers;
      headers.append("Content-Type: application/json; charset=utf-8");
      std::size_t seen = 0;
      e.set(CURLOPT_URL, url);
      e.set(CURLOPT_PROTOCOLS_STR, "http,https");
      e.set(CURLOPT_NOSIGNAL, 1L);
      e.set(CURLOPT_TIMEOUT, kPostTimeoutSeconds);
      e.set(CURLOPT_HTTPHEADER, headers.get());
      e.set(CURLOPT_POSTFIELDS, body.c_str());
      e.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      e.set(CURLOPT_WRITEFUNCTION, &discard);
      e.set(CURLOPT_WRITEDATA, static_cast<void*>(&seen));
      const CURLcode rc = e.perform();
      if (rc != CURLE_OK) return curl_easy_strerror(rc);
      const long status = e.info<long>(CURLINFO_RESPONSE_CODE);
      if (status < 200 || status > 299) return "HTTP " + std::to_string(status);
      return {};
    } catch (const std::exception& ex) {
      return ex.what();
    }
  };
}

WebhookSender::WebhookSender(std::string url, Poster poster)
    : url_(std::move(url)),
      poster_(std::move(poster)),
      thread_([this](const std::stop_token& stop) { loop(stop); }) {}

WebhookSender::~WebhookSender() {
  thread_.request_stop();
  wake_.notify_all();
}

void WebhookSender::post(std::string body) {
  {
    std::lock_guard lock(mutex_);
    const auto dropped = queue_.stats().dropped;
    queue_.push(std::move(body), std::chrono::steady_clock::now());
    if (queue_.stats().dropped != dropped)
      spdlog::warn("webhook: queue full, the oldest POST dropped");
  }
  wake_.notify_all();
}

void WebhookSender::wait_idle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  idle_.wait_for(lock, limit, [&] { return !queue_.next_due() && !sending_; });
}

WebhookStats WebhookSender::stats() const {
  std::lock_guard lock(mutex_);
  return queue_.stats();
}

void WebhookSender::loop(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    auto body = queue_.due(now);
    if (!body) {
      if (auto next = queue_.next_due()) {
        wake_.wait_until(lock, stop, *next, [] { return false; });
      } else {
        idle_.notify_all();
        wake_.wait(lock, stop, [&] { return queue_.next_due().has_value(); });
      }
      continue;
    }
    sending_ = true;
    lock.unlock();
    const std::string error = poster_(url_, *body);
    lock.lock();
    sending_ = false;
    if (!error.empty()) spdlog::warn("webhook: {}: {}", lib::redact_url(url_), error);
    queue_.report(error.empty(), std::chrono::steady_clock::now());
    idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace feedd::notify
