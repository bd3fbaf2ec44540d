#include "schedule/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace feedd::schedule {

namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr seconds kMaxLengthened = hours(24);  // backoff and ttl/max-age
constexpr seconds kMaxRetryAfter = hours(24 * 7);

seconds effective_interval(const ChannelPlan& plan) {
  return std::max(plan.interval, seconds(1));
}

// interval × 2^failures, at most 24 h, but never below the interval itself (which may be longer
// than 24 h). Doubling stops at the cap, so a long failure streak cannot overflow.
seconds backoff(seconds interval, int failures) {
  seconds wait = interval;
  for (int i = 0; i < failures && wait < kMaxLengthened; ++i)
    wait *= 2;
  return std::max(interval, std::min(wait, kMaxLengthened));
}

}  // namespace

Scheduler::Scheduler(std::function<double()> jitter) : jitter_(std::move(jitter)) {}

void Scheduler::set_channels(const std::vector<ChannelPlan>& plans, Clock now) {
  std::map<std::string, Entry> next;
  for (const auto& plan : plans) {
    auto old = channels_.find(plan.path);
    if (old == channels_.end()) {
      next.insert_or_assign(plan.path, Entry{plan, ChannelInfo{.next = now}});
      continue;
    }
    Entry kept = old->second;
    const bool changed = effective_interval(kept.plan) != effective_interval(plan);
    kept.plan = plan;
    // A shorter interval takes effect now instead of after a wait planned with the old one.
    // A failing channel keeps its time: it may carry a Retry-After we must honour.
    if (changed && !kept.info.in_flight && kept.info.consecutive_failures == 0) {
      kept.info.next = std::min(kept.info.next, now + effective_interval(plan));
    }
    next.insert_or_assign(plan.path, std::move(kept));
  }
  channels_ = std::move(next);
}

std::vector<std::string> Scheduler::request_now(const std::vector<std::string>& paths, Clock now) {
  auto mark = [now](ChannelInfo& info) {
    if (info.in_flight) {
      info.refresh_requested = true;
    } else {
      info.next = std::min(info.next, now);
    }
  };
  std::vector<std::string> unknown;
  if (paths.empty()) {
    for (auto& [path, entry] : channels_)
      mark(entry.info);
    return unknown;
  }
  std::set<std::string> reported;
  for (const auto& path : paths) {
    auto it = channels_.find(path);
    if (it != channels_.end()) {
      mark(it->second.info);
    } else if (reported.insert(path).second) {
      unknown.push_back(path);
    }
  }
  return unknown;
}

std::vector<std::string> Scheduler::take_due(Clock now) {
  std::vector<std::string> due;
  for (auto& [path, entry] : channels_) {
    if (entry.info.in_flight || entry.info.next > now) continue;
    entry.info.in_flight = true;
    due.push_back(path);
  }
  return due;
}

void Scheduler::completed(const std::string& path, const PollOutcome& outcome, Clock now) {
  auto it = channels_.find(path);
  // Not in flight: the channel was removed (and maybe re-added) while the poll ran; this
  // result belongs to a channel the scheduler no longer tracks.
  if (it == channels_.end() || !it->second.info.in_flight) return;
  ChannelInfo& info = it->second.info;
  const seconds interval = effective_interval(it->second.plan);
  info.in_flight = false;

  seconds wait{};
  if (outcome.ok) {
    info.consecutive_failures = 0;
    seconds base = interval;
    // Upstream hints may only make us poll less often, never more.
    for (const auto& hint : {outcome.ttl, outcome.max_age}) {
      if (hint) base = std::max(base, std::min(*hint, kMaxLengthened));
    }
    wait = jittered(base);
  } else {
    // Saturate: a channel failing for years must not overflow the counter.
    if (info.consecutive_failures < 1'000'000) ++info.consecutive_failures;
    seconds base = backoff(interval, info.consecutive_failures);
    if (!outcome.retry_after) {
      wait = jittered(base);
    } else {
      // Retry-After is a floor: jitter may push the wait beyond it but never below it.
      const seconds retry = std::min(*outcome.retry_after, kMaxRetryAfter);
      wait = std::max(jittered(std::max(base, retry)), retry);
    }
  }

  if (info.refresh_requested) {
    // Someone asked for a refresh while this poll ran: it did not see that request.
    info.refresh_requested = false;
    info.next = now;
  } else {
    info.next = now + wait;
  }
}

std::optional<Clock> Scheduler::next_wakeup() const {
  std::optional<Clock> earliest;
  for (const auto& [path, entry] : channels_) {
    if (entry.info.in_flight) continue;
    if (!earliest || entry.info.next < *earliest) earliest = entry.info.next;
  }
  return earliest;
}

const ChannelInfo* Scheduler::info(const std::string& path) const {
  auto it = channels_.find(path);
  return it == channels_.end() ? nullptr : &it->second.info;
}

seconds Scheduler::jittered(seconds wait) const {
  double j = jitter_ ? jitter_() : 0.0;
  // The source is injected: keep a misbehaving one (NaN, out of range) inside the contract.
  if (!std::isfinite(j)) j = 0.0;
  j = std::clamp(j, -1.0, 1.0);
  const auto scaled =
      static_cast<seconds::rep>(std::llround(static_cast<double>(wait.count()) * (1.0 + 0.1 * j)));
  return std::max(seconds(scaled), seconds(1));
}

}  // namespace feedd::schedule
