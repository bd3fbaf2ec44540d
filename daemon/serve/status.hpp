#pragma once
// What the status page and /metrics show, as values, and their renderers. Pure functions:
// the daemon fills a StatusSnapshot on its loop and renders it per request.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace feedd::serve {

struct FeedLink {
  std::string title;  // "新媒体 › ZAKER"
  std::string url;    // absolute subscribe URL (base_url + file)
  std::string path;   // node path in slugs ("" = all)
  int depth = 0;      // 0 all, 1 top, 2 source, 3 channel
};

struct ChannelStatus {
  std::string path;      // top/source/channel
  std::string title;     // "新媒体 › ZAKER › source"
  std::string url;       // upstream URL, redacted
  std::string instance;  // the RSSHub instance that served it last (redacted); "" for a url:
  std::optional<std::chrono::sys_seconds> last_poll;
  std::optional<std::chrono::sys_seconds> next_poll;
  std::string last_outcome;  // "ok", "not_modified", "http_error", ... "" never polled
  std::string last_error;
  int consecutive_failures = 0;
  int articles = 0;
  bool polling = false;
};

struct StatusSnapshot {
  std::string version;
  std::chrono::sys_seconds now{};
  std::chrono::sys_seconds started{};
  std::vector<FeedLink> feeds;
  std::vector<ChannelStatus> channels;
  int total_articles = 0;
  double last_cycle_seconds = 0;
  std::optional<std::chrono::sys_seconds> last_cycle_end;
  std::map<std::string, std::uint64_t> fetches_by_outcome;  // outcome → count since start
  // (channel path, rule name) → items that rule dropped since start (issue 14).
  std::map<std::pair<std::string, std::string>, std::uint64_t> drops_by_rule;
  std::uint64_t http_requests = 0;
  bool refresh_needs_token = false;   // the page's buttons work from loopback only otherwise
  std::vector<std::string> warnings;  // configuration problems to show at the top of the page
  // on_new_posts and webhook, as of the last cycle's end.
  std::uint64_t hook_runs = 0, hook_failures = 0;
  std::uint64_t webhook_delivered = 0, webhook_failures = 0, webhook_dropped = 0;
};

// The status page: self-contained HTML+CSS (no external resources, works offline, readable on
// a phone and in dark mode), the feed tree with subscribe links and
// <link rel="alternate" type="application/atom+xml"> autodiscovery, a channel table, and
// "Refresh now" forms (POST /refresh, all and per channel). Every string is HTML-escaped.
std::string render_status_page(const StatusSnapshot& s);

// Prometheus text exposition format 0.0.4 (HELP/TYPE lines, label values escaped):
// feedd_fetches_total{outcome}, feedd_articles_stored, feedd_last_cycle_duration_seconds,
// feedd_channel_consecutive_failures{channel}, feedd_channel_articles{channel},
// feedd_http_requests_total, feedd_start_time_seconds, feedd_build_info{version},
// feedd_channel_rsshub_instance{channel,instance} (1 for the instance that served each route),
// feedd_hook_runs_total{result}, feedd_webhook_posts_total{result},
// feedd_items_dropped_total{channel,rule}.
std::string render_metrics(const StatusSnapshot& s);

}  // namespace feedd::serve
