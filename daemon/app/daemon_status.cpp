#include "app/daemon_status.hpp"

#include <spdlog/spdlog.h>

#include "emit/emit.hpp"
#include "lib/curl/url.hpp"
#include "version.hpp"

namespace feedd::app {

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
  s.http_requests = counters.http_requests;
  s.refresh_needs_token = !config.refresh_token.empty();
  return s;
}

}  // namespace feedd::app
