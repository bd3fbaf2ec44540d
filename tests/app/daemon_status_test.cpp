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

  const auto s = build_status(cfg, store, scheduler, counters, t0 + 1s);
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

}  // namespace
}  // namespace feedd::app
