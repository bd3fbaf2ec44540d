#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "serve/status.hpp"

namespace feedd::serve {
namespace {

using namespace std::chrono_literals;

const std::chrono::sys_seconds kNow = std::chrono::sys_days{std::chrono::year{2024} / 3 / 9} + 12h;

StatusSnapshot snapshot() {
  StatusSnapshot s;
  s.version = "0.1.0";
  s.now = kNow;
  s.started = kNow - 26h - 3min;
  s.feeds = {
      {"All articles", "http://feeds.test/feeds/all.xml", "", 0},
      {"新媒体", "http://feeds.test/feeds/xinmeiti.xml", "xinmeiti", 1},
      {"新媒体 › ZAKER", "http://feeds.test/feeds/xinmeiti/zaker.xml", "xinmeiti/zaker", 2},
      {"新媒体 › ZAKER › source", "http://feeds.test/feeds/xinmeiti/zaker/source.xml",
       "xinmeiti/zaker/source", 3},
      {"科技", "http://feeds.test/feeds/keji.xml", "keji", 1},
  };
  ChannelStatus ok;
  ok.path = "xinmeiti/zaker/source";
  ok.title = "新媒体 › ZAKER › source";
  ok.url = "https://rsshub.test/zaker/source/1";
  ok.last_poll = kNow - 5min;
  ok.next_poll = kNow + 25min;
  ok.last_outcome = "ok";
  ok.articles = 12;
  ChannelStatus bad;
  bad.path = "keji/evil/x";
  bad.title = "<script>alert(1)</script> & \"quotes\"";
  bad.url = "javascript:alert('x')";
  bad.last_outcome = "http_error";
  bad.last_error = "HTTP 500: <img src=x onerror=alert(2)>";
  bad.consecutive_failures = 3;
  bad.articles = 0;
  s.channels = {ok, bad};
  s.total_articles = 42;
  s.fetches_by_outcome = {{"ok", 10}, {"http_error", 3}};
  s.drops_by_rule = {{{"xinmeiti/zaker/source", "#0 drop title /广告|推广/"}, 4},
                     {{"xinmeiti/zaker/source", "no keep rule matched"}, 1},
                     {{"keji/evil/x", "#1 drop link /\"x\"\\\n/"}, 2}};
  s.http_requests = 7;
  s.last_cycle_seconds = 1.25;
  s.last_cycle_end = kNow - 5min;
  return s;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(StatusPage, SelfContainedAndResponsive) {
  const std::string html = render_status_page(snapshot());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"),
            std::string::npos);
  EXPECT_NE(html.find("prefers-color-scheme: dark"), std::string::npos);
  // No external resources: nothing loaded from elsewhere.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("stylesheet"), std::string::npos);
  EXPECT_EQ(html.find(" src=\""), std::string::npos);
  EXPECT_EQ(count(html, "<ul"), count(html, "</ul>"));
  EXPECT_EQ(count(html, "<li "), count(html, "</li>"));
  EXPECT_EQ(count(html, "<tr"), count(html, "</tr>"));
  EXPECT_EQ(count(html, "<form"), count(html, "</form>"));
}

TEST(StatusPage, EscapesEverythingFromStrangers) {
  const std::string html = render_status_page(snapshot());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("HTTP 500: &lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  // A javascript: URL is shown, never linked.
  EXPECT_EQ(html.find("href=\"javascript:"), std::string::npos);
  EXPECT_NE(html.find("javascript:alert(&#39;x&#39;)"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"https://rsshub.test/zaker/source/1\""), std::string::npos);
}

TEST(StatusPage, FeedLinksAndAutodiscovery) {
  const StatusSnapshot s = snapshot();
  const std::string html = render_status_page(s);
  const auto head_end = html.find("</head>");
  ASSERT_NE(head_end, std::string::npos);
  for (const FeedLink& f : s.feeds) {
    SCOPED_TRACE(f.url);
    const std::string alternate = "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"" +
                                  f.title + "\" href=\"" + f.url + "\">";
    EXPECT_LT(html.find(alternate), head_end);
    // find() gives npos, which is past head_end too, when the link is missing.
    const auto link = html.find("<a href=\"" + f.url + "\">" + f.title + "</a>", head_end);
    EXPECT_NE(link, std::string::npos) << "no link to the feed in the body";
  }
  // The tree nests: all › top › source › channel, then back out to the next top.
  const auto zaker = html.find("data-path=\"xinmeiti/zaker\"");
  const auto source = html.find("data-path=\"xinmeiti/zaker/source\"");
  const auto keji = html.find("data-path=\"keji\"");
  ASSERT_NE(source, std::string::npos);
  EXPECT_EQ(html.substr(zaker, source - zaker).find("<ul>"),
            html.substr(zaker, source - zaker).rfind("<ul>"));
  EXPECT_EQ(count(html.substr(source, keji - source), "</ul></li>"), 2u);
}

TEST(StatusPage, ChannelTableAndRefreshForms) {
  const std::string html = render_status_page(snapshot());
  EXPECT_EQ(count(html, "<form method=\"post\" action=\"/refresh\">"), 1u);
  EXPECT_NE(html.find("id=\"refresh-all\""), std::string::npos);
  EXPECT_NE(html.find("<form method=\"post\" action=\"/refresh?channel=xinmeiti/zaker/source\">"),
            std::string::npos);
  EXPECT_NE(html.find("<form method=\"post\" action=\"/refresh?channel=keji/evil/x\">"),
            std::string::npos);
  EXPECT_EQ(count(html, "<tr class=\"channel\""), 2u);
  EXPECT_NE(html.find("<tr class=\"channel\" data-path=\"xinmeiti/zaker/source\">"),
            std::string::npos);
  EXPECT_EQ(count(html, "class=\"last-poll\""), 2u);
  // UTC time plus a relative hint; a never-polled value shows a dash.
  EXPECT_NE(html.find("<td class=\"last-poll\"><time datetime=\"2024-03-09T11:55:00Z\">"
                      "2024-03-09 11:55:00</time> <span class=\"rel\">(5 min ago)</span>"),
            std::string::npos);
  EXPECT_NE(html.find("2024-03-09 12:25:00</time> <span class=\"rel\">(in 25 min)</span>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"last-poll\"><span class=\"none\">—</span>"), std::string::npos);
  EXPECT_NE(html.find("http_error <span class=\"failures\">×3</span>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"articles\">12</td>"), std::string::npos);
}

TEST(StatusPage, FooterAndTokenNote) {
  StatusSnapshot s = snapshot();
  std::string html = render_status_page(s);
  EXPECT_NE(html.find("<span id=\"version\">0.1.0</span>"), std::string::npos);
  EXPECT_NE(html.find("<span id=\"uptime\">1 d 2 h</span>"), std::string::npos);
  EXPECT_NE(html.find("<span id=\"total-articles\">42</span>"), std::string::npos);
  EXPECT_EQ(html.find("refresh token"), std::string::npos);
  s.refresh_needs_token = true;
  html = render_status_page(s);
  EXPECT_NE(html.find("refresh token"), std::string::npos);
}

TEST(StatusPage, EmptySnapshotAndHostileDepths) {
  StatusSnapshot s;
  std::string html = render_status_page(s);
  EXPECT_NE(html.find("No feeds yet."), std::string::npos);
  s.feeds = {{"a", "http://x/a", "a", 2},
             {"b", "http://x/b", "b", 7},
             {"c", "http://x/c", "c", -4},
             {"d", "http://x/d", "d", 3}};
  html = render_status_page(s);
  EXPECT_EQ(count(html, "<ul"), count(html, "</ul>"));
  EXPECT_EQ(count(html, "<li "), count(html, "</li>"));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(Metrics, Golden) {
  StatusSnapshot s = snapshot();
  // Order-independence: the renderer sorts channels by path.
  std::swap(s.channels[0], s.channels[1]);
  s.channels.push_back(s.channels[0]);  // a duplicate path is rendered once, the first wins
  s.channels.back().articles = 99;
  s.fetches_by_outcome["odd \"one\"\\\nx"] = 1;
  s.started = std::chrono::sys_seconds{1710000000s};
  s.version = "0.1.0";
  if (std::getenv("FEEDD_UPDATE_GOLDEN") != nullptr)
    std::ofstream(FEEDD_TEST_DATA "/serve/metrics.prom", std::ios::binary) << render_metrics(s);
  const std::string golden = read_file(FEEDD_TEST_DATA "/serve/metrics.prom");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(render_metrics(s), golden);
}

TEST(Metrics, WellFormedLines) {
  const std::string text = render_metrics(snapshot());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string line;
  std::set<std::string> types;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(types.insert(name).second) << "duplicate family " << name;
      if (line.ends_with(" counter")) {
        EXPECT_TRUE(name.ends_with("_total")) << name;
      }
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    // A sample belongs to the family declared last.
    ASSERT_FALSE(types.empty());
    EXPECT_EQ(line.rfind("feedd_", 0), 0u) << line;
  }
  EXPECT_EQ(types.size(), 12u);
}

}  // namespace
}  // namespace feedd::serve

namespace feedd::serve {
namespace {

// Issue 12: which RSSHub instance served each channel, on the page and in /metrics; the
// configuration warnings at the top of the page; hook and webhook counters.
TEST(StatusPage, RsshubInstanceWarningsAndNotifyCounters) {
  StatusSnapshot s = snapshot();
  s.channels[0].instance = "http://127.0.0.1:1200/";
  s.warnings = {"\"listen\" accepts <other> machines"};
  s.hook_runs = 3;
  s.hook_failures = 1;
  s.webhook_delivered = 2;
  s.webhook_failures = 4;
  s.webhook_dropped = 1;
  const std::string html = render_status_page(s);
  EXPECT_NE(html.find("<p class=\"warning\" role=\"alert\">⚠ &quot;listen&quot; accepts "
                      "&lt;other&gt; machines</p>"),
            std::string::npos);
  EXPECT_NE(html.find(" <span class=\"instance muted\">via <code>http://127.0.0.1:1200/</code>"
                      "</span></td>"),
            std::string::npos);
  EXPECT_EQ(count(html, "class=\"instance"), 1u);
  EXPECT_EQ(render_status_page(snapshot()).find("class=\"warning\""), std::string::npos);

  const std::string m = render_metrics(s);
  EXPECT_NE(m.find("feedd_channel_rsshub_instance{channel=\"xinmeiti/zaker/source\",instance="
                   "\"http://127.0.0.1:1200/\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("feedd_hook_runs_total{result=\"ok\"} 2\n"), std::string::npos);
  EXPECT_NE(m.find("feedd_hook_runs_total{result=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("feedd_webhook_posts_total{result=\"delivered\"} 2\n"), std::string::npos);
  EXPECT_NE(m.find("feedd_webhook_posts_total{result=\"failed\"} 4\n"), std::string::npos);
  EXPECT_NE(m.find("feedd_webhook_posts_total{result=\"dropped\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace feedd::serve
