#include "app/daemon_status.hpp"

#include <spdlog/spdlog.h>

#include "emit/emit.hpp"
#include "lib/curl/url.hpp"
#include "version.hpp"

namespace feedd::app {
namespace {

// The configured RSSHub instance that `fetched` (a redacted URL, as the store keeps it) was
// served by, redacted; "" when it is no route's.
std::string instance_of(const config::Config& cfg, const config::Channel& ch,
                        const std::string& fetched) {
  if (ch.route.empty()) return {};
  for (const auto& instance : cfg.rsshub) {
    std::string prefix = lib::redact_url(instance);
    if (!prefix.ends_with('/')) prefix += '/';
    if (fetched.starts_with(prefix)) return lib::redact_url(instance);
  }
  return {};
}

}  // namespace

StoreSnapshot snapshot_store(const config::Config& config, store::Store& store) {
  StoreSnapshot s;
  try {
    for (const auto* ch : config.channels()) {
      if (auto st = store.channel_state(ch->path())) s.states[ch->path()] = *st;
      s.articles[ch->path()] = store.article_count(ch->path());
    }
    s.total = store.total_articles();
  } catch (const std::exception& e) {
    spdlog::error("reading channel states: {}", e.what());
  }
  return s;
}

serve::StatusSnapshot build_status(const config::Config& config, const StoreSnapshot& store,
                                   const schedule::Scheduler& scheduler,
                                   const DaemonCounters& counters, std::chrono::sys_seconds now) {
  serve::StatusSnapshot s;
  s.version = kVersion;
  s.now = now;
  s.started = counters.started;
  for (const auto& node : emit::feed_nodes(config)) {
    s.feeds.push_back({node.title, config.base_url + node.file, node.path, node.depth});
  }
  for (const auto* ch : config.channels()) {
    serve::ChannelStatus c;
    c.path = ch->path();
    c.title = ch->top_name + " › " + ch->source_name + " › " + ch->name;
    c.url = lib::redact_url(ch->url);
    if (auto it = store.states.find(c.path); it != store.states.end()) {
      // What was fetched last: for a route, on the instance that served it.
      if (!it->second.feed_url.empty()) c.url = it->second.feed_url;
      c.instance = instance_of(config, *ch, it->second.feed_url);
      c.last_poll = it->second.last_poll;
      c.last_outcome = it->second.last_outcome;
      c.last_error = it->second.last_error;
      c.consecutive_failures = it->second.consecutive_failures;
    }
    if (auto it = store.articles.find(c.path); it != store.articles.end()) {
      c.articles = it->second;
    }
    if (const auto* info = scheduler.info(c.path)) {
      c.polling = info->in_flight;
      if (!info->in_flight) c.next_poll = info->next;
    }
    s.channels.push_back(std::move(c));
  }
  s.total_articles = store.total;
  s.last_cycle_seconds = counters.last_cycle_seconds;
  s.last_cycle_end = counters.last_cycle_end;
  s.fetches_by_outcome = counters.fetches_by_outcome;
  s.drops_by_rule = counters.drops_by_rule;
  s.http_requests = counters.http_requests;
  s.refresh_needs_token = !config.refresh_token.empty();
  if (config::public_listen_with_loopback_base(config)) {
    s.warnings.push_back("feedd listens on " + config.listen +
                         ", which other machines can reach, but base_url " + config.base_url +
                         " is a loopback address: the links in the feeds and the OPML file "
                         "will not work for them. Set base_url to the public URL.");
  }
  const auto& n = store.notify;
  s.hook_runs = n.hook.runs;
  s.hook_failures = n.hook.failures;
  s.webhook_delivered = n.webhook.delivered;
  s.webhook_failures = n.webhook.failures;
  s.webhook_dropped = n.webhook.dropped;
  return s;
}

void count_drops(DaemonCounters& counters, const std::string& path,
                 const std::map<std::string, int>& drops) {
  auto& series = counters.drops_by_rule;
  for (const auto& [label, n] : drops) {
    auto key = std::make_pair(path, label);
    if (series.size() >= kMaxDropSeries && !series.contains(key)) key.second = "other";
    series[key] += static_cast<std::uint64_t>(n);
  }
}

}  // namespace feedd::app
