// The status snapshot the status page and /metrics render: each channel's line joins the
// config (title, redacted URL), the store snapshot (last poll, articles) and the scheduler
// (polling now, or when next).
#include "app/daemon_status.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace feedd::app {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

constexpr const char* kConfig = R"(base_url: https://feeds.test/
refresh_token: "fixture-not-a-secret"
categories:
  - name: Top
    slug: top
    sources:
      - name: Src
        slug: src
        channels:
          - name: One
            slug: one
            url: https://user:secret@example.com/one.xml
          - name: Two
            slug: two
            url: https://example.com/two.xml
)";

TEST(DaemonStatus, EachChannelJoinsConfigStoreAndSchedule) {
  const auto loaded = config::parse_config(kConfig, "feeds.yaml");
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0]);
  const auto& cfg = *loaded.config;
  const sys_seconds t0{1'700'000'000s};

  StoreSnapshot store;
  store.states["top/src/one"].last_poll = t0 - 60s;
  store.states["top/src/one"].last_outcome = "http_error";
  store.states["top/src/one"].last_error = "HTTP 500";
  store.states["top/src/one"].consecutive_failures = 2;
  store.articles["top/src/one"] = 7;
  store.total = 7;

  schedule::Scheduler scheduler([] { return 0.0; });
  scheduler.set_channels({{"top/src/one", 3600s}, {"top/src/two", 3600s}}, t0);
  ASSERT_EQ(scheduler.take_due(t0).size(), 2u);
  schedule::PollOutcome ok;
  ok.ok = true;
  scheduler.completed("top/src/two", ok, t0);  // "one" stays in flight

  DaemonCounters counters;
  counters.started = t0 - 3600s;
  counters.fetches_by_outcome["ok"] = 4;
  counters.http_requests = 9;
  counters.last_cycle_end = t0;
  count_drops(counters, "top/src/one", {{"#0 drop title /x/", 2}, {"no keep rule matched", 1}});
  count_drops(counters, "top/src/one", {{"#0 drop title /x/", 3}});

  const auto s = build_status(cfg, store, scheduler, counters, t0 + 1s);
  EXPECT_EQ(s.drops_by_rule, (std::map<std::pair<std::string, std::string>, std::uint64_t>{
                                 {{"top/src/one", "#0 drop title /x/"}, 5},
                                 {{"top/src/one", "no keep rule matched"}, 1}}));
  EXPECT_EQ(s.now, t0 + 1s);
  EXPECT_EQ(s.started, t0 - 3600s);
  EXPECT_EQ(s.total_articles, 7);
  EXPECT_EQ(s.http_requests, 9u);
  EXPECT_EQ(s.fetches_by_outcome, counters.fetches_by_outcome);
  EXPECT_EQ(s.last_cycle_end, t0);
  EXPECT_TRUE(s.refresh_needs_token);
  ASSERT_FALSE(s.feeds.empty());
  EXPECT_EQ(s.feeds[0].url.rfind("https://feeds.test/", 0), 0u) << s.feeds[0].url;

  ASSERT_EQ(s.channels.size(), 2u);
  const auto& one = s.channels[0];
  EXPECT_EQ(one.path, "top/src/one");
  EXPECT_EQ(one.title, "Top › Src › One");
  EXPECT_EQ(one.url.find("secret"), std::string::npos) << one.url;
  EXPECT_EQ(one.last_poll, t0 - 60s);
  EXPECT_EQ(one.last_outcome, "http_error");
  EXPECT_EQ(one.last_error, "HTTP 500");
  EXPECT_EQ(one.consecutive_failures, 2);
  EXPECT_EQ(one.articles, 7);
  EXPECT_TRUE(one.polling);
  EXPECT_FALSE(one.next_poll);

  const auto& two = s.channels[1];
  EXPECT_EQ(two.path, "top/src/two");
  EXPECT_EQ(two.articles, 0);
  EXPECT_EQ(two.last_outcome, "");
  EXPECT_FALSE(two.polling);
  EXPECT_EQ(two.next_poll, t0 + 3600s);
}

// Reloads can rename rules without end: the series stop growing at kMaxDropSeries, and new
// names are counted as "other".
TEST(CountDrops, SeriesAreBounded) {
  DaemonCounters counters;
  for (std::size_t i = 0; i < kMaxDropSeries; ++i)
    count_drops(counters, "a/b/c", {{"#" + std::to_string(i), 1}});
  count_drops(counters, "a/b/c", {{"#0", 1}, {"new name", 2}, {"another", 3}});
  EXPECT_EQ(counters.drops_by_rule.size(), kMaxDropSeries + 1);
  EXPECT_EQ((counters.drops_by_rule[{"a/b/c", "#0"}]), 2u);
  EXPECT_EQ((counters.drops_by_rule[{"a/b/c", "other"}]), 5u);
}

}  // namespace
}  // namespace feedd::app

namespace feedd::app {
namespace {

// Issue 12: the instance that served each route (from the URL the store recorded), the
// listen/base_url warning, and the hook and webhook counters.
TEST(DaemonStatus, RsshubInstanceWarningAndNotifyCounters) {
  const auto loaded = config::parse_config(R"(listen: 0.0.0.0:8080
rsshub: [http://127.0.0.1:1200, https://hub.example]
rsshub_key: k3y
categories:
  - name: Top
    slug: top
    sources:
      - name: Src
        slug: src
        channels:
          - {name: R, slug: r, route: /r}
          - {name: U, slug: u, url: 'https://hub.example/u'}
)",
                                           "feeds.yaml");
  ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0]);
  StoreSnapshot store;
  store.states["top/src/r"].feed_url = "https://hub.example/r?key=***";  // failed over
  store.states["top/src/u"].feed_url = "https://hub.example/u";
  store.notify.hook = {3, 1};
  store.notify.webhook.delivered = 2;
  store.notify.webhook.failures = 5;
  store.notify.webhook.dropped = 1;
  schedule::Scheduler scheduler([] { return 0.0; });
  const auto s = build_status(*loaded.config, store, scheduler, {}, sys_seconds{1'700'000'000s});
  ASSERT_EQ(s.channels.size(), 2u);
  EXPECT_EQ(s.channels[0].url, "https://hub.example/r?key=***");
  EXPECT_EQ(s.channels[0].instance, "https://hub.example/");
  EXPECT_EQ(s.channels[1].instance, "");  // a url: is no instance's, whatever its host
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("Set base_url to the public URL."), std::string::npos);
  EXPECT_EQ(s.hook_runs, 3u);
  EXPECT_EQ(s.hook_failures, 1u);
  EXPECT_EQ(s.webhook_delivered, 2u);
  EXPECT_EQ(s.webhook_failures, 5u);
  EXPECT_EQ(s.webhook_dropped, 1u);
}

}  // namespace
}  // namespace feedd::app
