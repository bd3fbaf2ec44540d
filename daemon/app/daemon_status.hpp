#pragma once
// What the status page and /metrics show, assembled from the parts that know it. The store part
// is read on the worker thread (it owns the store) and travels to the loop as a value; the
// snapshot is built on the loop thread (it owns the scheduler and the counters).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "config/config.hpp"
#include "notify/notifier.hpp"
#include "schedule/scheduler.hpp"
#include "serve/status.hpp"
#include "store/store.hpp"

namespace feedd::app {

// What the worker learns from the store for the status page, after each cycle.
struct StoreSnapshot {
  std::map<std::string, store::ChannelState> states;
  std::map<std::string, int> articles;
  int total = 0;
  notify::NotifyStats notify;  // the hook's and webhook's counters, as of the snapshot
};

// Worker thread. A store error is logged and leaves the snapshot partial; it never throws.
StoreSnapshot snapshot_store(const config::Config& config, store::Store& store);

// The loop's running totals.
struct DaemonCounters {
  std::chrono::sys_seconds started{};
  double last_cycle_seconds = 0;
  std::optional<std::chrono::sys_seconds> last_cycle_end;
  std::map<std::string, std::uint64_t> fetches_by_outcome;
  std::uint64_t http_requests = 0;
  // (channel, rules::RuleSet::drop_label) → items dropped since start, for /metrics.
  std::map<std::pair<std::string, std::string>, std::uint64_t> drops_by_rule;
};

// Adds one poll's ChannelReport::drops of `path` to `counters`. A config has at most one name
// per rule (+ 1) and channel, but reloads can rename rules: past kMaxDropSeries series, new
// names count as "other".
inline constexpr std::size_t kMaxDropSeries = 10000;
void count_drops(DaemonCounters& counters, const std::string& path,
                 const std::map<std::string, int>& drops);

// Loop thread: pure over its arguments.
serve::StatusSnapshot build_status(const config::Config& config, const StoreSnapshot& store,
                                   const schedule::Scheduler& scheduler,
                                   const DaemonCounters& counters, std::chrono::sys_seconds now);

}  // namespace feedd::app
