#pragma once
// When each channel is polled next. Pure state machine: time comes in as arguments and the
// jitter source is injected, so tests drive it without sleeping or randomness.
// Threading: not thread-safe; the daemon uses it from its event loop only.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace feedd::schedule {

using Clock = std::chrono::sys_seconds;

struct ChannelPlan {
  std::string path;                 // top/source/channel
  std::chrono::seconds interval{};  // the configured poll interval (> 0)
};

// What a finished poll tells the scheduler.
struct PollOutcome {
  bool ok = false;                                  // 2xx or 304 (and parsed)
  std::optional<std::chrono::seconds> retry_after;  // 429/503 Retry-After
  std::optional<std::chrono::seconds> ttl;          // RSS <ttl>
  std::optional<std::chrono::seconds> max_age;      // Cache-Control: max-age
};

struct ChannelInfo {
  Clock next{};            // when it is due
  bool in_flight = false;  // handed out by take_due(), not yet completed()
  int consecutive_failures = 0;
  bool refresh_requested = false;
};

class Scheduler {
 public:
  // `jitter` returns a uniform value in [-1, 1]; every wait is scaled by 1 + 0.1 × jitter().
  explicit Scheduler(std::function<double()> jitter);

  // Replaces the channel set (start-up and reload). New channels are due at `now`; removed
  // ones are forgotten (an in-flight poll of a removed channel is ignored when it completes);
  // kept channels keep their next time; when their interval changed, a healthy idle one is
  // re-clamped to at most now + the new interval (a failing one keeps its backoff/Retry-After).
  void set_channels(const std::vector<ChannelPlan>& plans, Clock now);

  // Marks these channels (all when empty) due now. Unknown paths are returned (not an error
  // for the caller to hide: the HTTP API reports them). A channel in flight is polled again as
  // soon as that poll completes.
  std::vector<std::string> request_now(const std::vector<std::string>& paths, Clock now);

  // Channels due at `now` and not in flight, in path order; they become in flight.
  std::vector<std::string> take_due(Clock now);

  // Records a finished poll and computes the next time:
  //   ok:    interval, lengthened (never shortened) by ttl / max-age up to 24 h; failures reset.
  //   error: interval × 2^n (n = consecutive failures, 1 for the first), at most 24 h, and at
  //          least retry_after when given (itself capped at 7 days).
  // Every wait gets ±10% jitter; before jitter a wait never falls below the interval, after it
  // never below 1 s, and jitter never takes it below retry_after. A refresh requested while in
  // flight makes the channel due at `now` whatever the outcome. Ignored for unknown channels and
  // channels not in flight.
  void completed(const std::string& path, const PollOutcome& outcome, Clock now);

  // The earliest `next` among channels not in flight; nullopt when there is none.
  std::optional<Clock> next_wakeup() const;

  const ChannelInfo* info(const std::string& path) const;

 private:
  struct Entry {
    ChannelPlan plan;
    ChannelInfo info;
  };
  std::chrono::seconds jittered(std::chrono::seconds wait) const;

  std::function<double()> jitter_;
  std::map<std::string, Entry> channels_;
};

}  // namespace feedd::schedule
