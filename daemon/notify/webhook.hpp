#pragma once
// The webhook: one JSON POST per cycle that wrote posts, retried with backoff from a bounded
// queue on a thread of its own, so that a cycle never waits for it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace feedd::notify {

// A post this cycle wrote, as the webhook and the hook learn of it.
struct NewPost {
  std::string title;
  std::string link;                     // "" when the article has none
  std::vector<std::string> categories;  // top, source, channel names
  std::string file;                     // the post's file name, e.g. 0123456789abcdef.md
};

// {"new_posts":N,"articles":[{"title":…,"link":…,"categories":[…],"file":…},…]}: UTF-8 JSON,
// strings escaped (controls as \uXXXX, so invalid bytes cannot break the document's framing).
std::string webhook_body(const std::vector<NewPost>& posts);

struct WebhookStats {
  std::uint64_t delivered = 0;  // POSTs answered 2xx
  std::uint64_t failures = 0;   // failed attempts (network error, timeout, non-2xx)
  std::uint64_t dropped = 0;    // bodies given up on: queue full, or every attempt failed
  std::size_t queued = 0;       // bodies waiting now
};

// The retry schedule, pure (time passed in): bodies leave in the order queued; the head is
// retried after 2 s, 4 s, 8 s … (doubling, at most 1 h) and dropped after kMaxAttempts
// failures; at most kCapacity bodies wait, the oldest dropped for a new one. Not thread-safe.
class WebhookQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kCapacity = 100;
  static constexpr int kMaxAttempts = 10;
  static constexpr std::chrono::seconds kFirstBackoff{2};
  static constexpr std::chrono::seconds kMaxBackoff{3600};

  void push(std::string body, TimePoint now);
  // The body to POST now, if the head is due; then report() exactly once.
  std::optional<std::string> due(TimePoint now) const;
  // The outcome of POSTing due()'s body.
  void report(bool ok, TimePoint now);
  // When the head is due; nullopt when empty.
  std::optional<TimePoint> next_due() const;
  const WebhookStats& stats() const { return stats_; }

 private:
  struct Item {
    std::string body;
    TimePoint due;
    int failures = 0;
  };
  std::deque<Item> items_;
  WebhookStats stats_;
};

// POSTs `body` (application/json) to `url`; "" when answered 2xx, else why not (URLs
// redacted). Blocking, bounded by its own timeout.
using Poster = std::function<std::string(const std::string& url, const std::string& body)>;

// libcurl, 30 s in all, no redirects followed, no proxy from the environment unless set.
Poster make_curl_poster();

// Owns the queue and a thread that POSTs from it; failures are logged (URL redacted) and
// counted. Thread-safe: post(), wait_idle() and stats() from any thread.
class WebhookSender {
 public:
  WebhookSender(std::string url, Poster poster);
  ~WebhookSender();  // stops at once; queued bodies are dropped
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void post(std::string body);  // returns at once
  // Blocks until the queue is empty or `limit` has passed (`feedd once`: one attempt each, not
  // the whole retry schedule).
  void wait_idle(std::chrono::milliseconds limit);
  WebhookStats stats() const;

 private:
  void loop(const std::stop_token& stop);

  const std::string url_;
  Poster poster_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::condition_variable idle_;
  WebhookQueue queue_;
  bool sending_ = false;
  std::jthread thread_;  // last: started after, and joined before, the members it uses
};

}  // namespace feedd::notify
