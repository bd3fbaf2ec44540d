#pragma once
// Failover between RSSHub instances: which to try, in which order, for a `route:` channel.
// Pure: time is passed in. Not thread-safe (the cycle's thread owns it).
#include <chrono>
#include <cstddef>
#include <vector>

namespace feedd::schedule {

// Whether a failed fetch from an instance says the instance (not the route) is unwell: no
// answer (network error, timeout), a server error (5xx), or the "access denied" pages RSSHub
// and the CDNs in front of it give a fetcher they turn away (403, 429).
bool instance_failure(bool answered, long http_status);

// The health of `count` instances in config order. An instance that fails is skipped for a
// while: 1 min after its first failure in a row, doubling up to 1 h; a success clears it.
class InstanceHealth {
 public:
  using Time = std::chrono::sys_seconds;
  static constexpr std::chrono::seconds kFirstBackoff{60};
  static constexpr std::chrono::seconds kMaxBackoff{3600};

  explicit InstanceHealth(std::size_t count = 0) : state_(count) {}

  // Instance indices to try at `now`, in order: those not skipped, in config order; when every
  // one is skipped, the one whose backoff ends first alone (a channel is never left unpolled).
  std::vector<std::size_t> order(Time now) const;
  void failed(std::size_t i, Time now);
  void succeeded(std::size_t i);
  bool skipped(std::size_t i, Time now) const;
  std::size_t size() const { return state_.size(); }

 private:
  struct State {
    int failures = 0;
    Time until{};
  };
  std::vector<State> state_;
};

}  // namespace feedd::schedule
