// `feedd refresh` against a fake daemon: the real HTTP server and the real API router
// (app::route) on a loopback port, over an ApiContext whose refreshes finish on cue.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/http_api.hpp"
#include "app/refresh_client.hpp"
#include "config/config.hpp"
#include "serve/http.hpp"

namespace feedd::app {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kFeeds = R"(listen: 127.0.0.1:8080
categories:
  - name: 新媒体
    slug: xinmeiti
    sources:
      - name: ZAKER
        slug: zaker
        channels:
          - name: source
            url: https://example.invalid/zaker/source
      - name: 果壳网
        slug: guokr
        channels:
          - name: 科学人
            slug: scientific
            url: https://example.invalid/guokr/scientific
      - name: 人人都是产品经理
        slug: woshipm
        channels:
          - name: popular
            url: https://example.invalid/woshipm/popular
          - name: latest
            url: https://example.invalid/woshipm/latest
)";

config::Config test_config() {
  auto loaded = config::parse_config(kFeeds, "feeds.yaml");
  if (!loaded.config) throw std::runtime_error("test config: " + loaded.errors.at(0));
  return *loaded.config;
}

struct ChannelResult {
  std::string outcome;
  int new_articles = 0;
  std::string error;
};

// What the daemon reports per channel once a refresh is done.
const std::map<std::string, ChannelResult> kResults = {
    {"xinmeiti/zaker/source", {"ok", 3, ""}},
    {"xinmeiti/guokr/scientific", {"not_modified", 0, ""}},
    {"xinmeiti/woshipm/popular", {"http_error", 0, "HTTP 404 Not Found"}},
    {"xinmeiti/woshipm/latest", {"ok", 0, ""}},
};

enum class Progress { kFinishes, kNeverDone, kForgets, kGarbage, kDeepNesting };

// Answers like the daemon: a refresh is not done at the first poll, done at the second.
class FakeDaemon final : public ApiContext {
 public:
  explicit FakeDaemon(std::string token = "") : token_(std::move(token)) {
    for (const auto* ch : config_.channels())
      known_.push_back(ch->path());
  }

  const serve::ViewMap& views() const override { return views_; }
  serve::StatusSnapshot status() const override { return {}; }
  const std::string& refresh_token() const override { return token_; }

  RefreshTicket request_refresh(const std::vector<std::string>& channels) override {
    std::lock_guard lock(mutex_);
    requested_.push_back(channels);
    RefreshTicket t;
    for (const auto& c : channels) {
      if (std::find(known_.begin(), known_.end(), c) == known_.end()) t.unknown.push_back(c);
    }
    if (!t.unknown.empty()) return t;
    t.id = 40 + requested_.size();
    t.channels = channels.empty() ? known_ : channels;
    tickets_[t.id] = t.channels;
    return t;
  }

  std::optional<std::string> refresh_progress(std::uint64_t id) const override {
    std::lock_guard lock(mutex_);
    const auto it = tickets_.find(id);
    if (it == tickets_.end() || mode_ == Progress::kForgets) return std::nullopt;
    if (mode_ == Progress::kGarbage) return "<html>not json</html>";
    if (mode_ == Progress::kDeepNesting) return std::string(100000, '[') + std::string(100000, ']');
    const bool done = mode_ == Progress::kFinishes && ++polls_ >= 2;
    std::string body = "{\"id\":" + std::to_string(id) + ",\"done\":" + (done ? "true" : "false") +
                       ",\"channels\":[";
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      const auto& path = it->second[i];
      // Before the end only the first channel has its result, as in a real cycle.
      const bool finished = done || i == 0;
      body += (i ? ",{\"channel\":" : "{\"channel\":") + json_string(path) +
              ",\"done\":" + (finished ? "true" : "false");
      if (finished) {
        const auto& r = results_.at(path);
        body += ",\"outcome\":" + json_string(r.outcome) +
                ",\"new\":" + std::to_string(r.new_articles) + ",\"error\":" + json_string(r.error);
      }
      body += "}";
    }
    return body + "]}";
  }

  void set_mode(Progress mode) { mode_ = mode; }
  void set_result(const std::string& path, ChannelResult r) { results_[path] = std::move(r); }
  std::vector<std::vector<std::string>> requested() const {
    std::lock_guard lock(mutex_);
    return requested_;
  }
  int polls() const {
    std::lock_guard lock(mutex_);
    return polls_;
  }

 private:
  config::Config config_ = test_config();
  std::vector<std::string> known_;
  std::map<std::string, ChannelResult> results_ = kResults;
  serve::ViewMap views_;
  std::string token_;
  Progress mode_ = Progress::kFinishes;
  mutable std::mutex mutex_;
  std::vector<std::vector<std::string>> requested_;
  std::map<std::uint64_t, std::vector<std::string>> tickets_;
  mutable int polls_ = 0;
};

// The fake daemon served on a loopback port by the project's server, on its own thread.
// `remote` makes every request look as if it came from another host, so the token matters.
class TestDaemon {
 public:
  explicit TestDaemon(FakeDaemon& api, bool remote = false, const std::string& host = "127.0.0.1")
      : server_(std::make_unique<serve::Server>(
            io_, serve::Limits{}, [this, &api, remote](const serve::Request& r, auto respond) {
              serve::Request seen = r;
              if (remote) seen.peer_loopback = false;
              {
                std::lock_guard lock(mutex_);
                requests_.push_back(seen);
                arrivals_.push_back(std::chrono::steady_clock::now());
              }
              respond(route(api, seen));
            })) {
    server_->listen(host, 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestDaemon() {
    io_.stop();
    thread_.join();
    server_.reset();  // the io_context is not running: allowed from this thread
  }

  std::uint16_t port() const { return server_->port(); }

  std::vector<serve::Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // When each of requests() arrived.
  std::vector<std::chrono::steady_clock::time_point> arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }

 private:
  asio::io_context io_;
  std::unique_ptr<serve::Server> server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<serve::Request> requests_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

struct Run {
  int status = -1;
  std::string out;
  std::string err;
  std::chrono::milliseconds took{0};
};

Run refresh(const config::Config& cfg, const std::vector<std::string>& args,
            std::chrono::seconds timeout = 10s) {
  std::ostringstream out, err;
  const auto start = std::chrono::steady_clock::now();
  Run r;
  r.status = cmd_refresh(cfg, args, out, err, timeout);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  r.out = out.str();
  r.err = err.str();
  return r;
}

config::Config config_for(std::uint16_t port, const std::string& token = "",
                          const std::string& host = "127.0.0.1") {
  auto cfg = test_config();
  cfg.listen = host + ":" + std::to_string(port);
  cfg.refresh_token = token;
  return cfg;
}

std::string header(const serve::Request& r, const std::string& name) {
  const auto it = r.headers.find(name);
  return it == r.headers.end() ? "<none>" : it->second;
}

TEST(RefreshClient, RefreshesEveryChannelAndPrintsOneLineEach) {
  FakeDaemon api;
  TestDaemon daemon(api);
  const auto r = refresh(config_for(daemon.port()), {});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "xinmeiti/zaker/source: 3 new\n"
            "xinmeiti/guokr/scientific: not modified\n"
            "xinmeiti/woshipm/popular: failed: HTTP 404 Not Found\n"
            "xinmeiti/woshipm/latest: 0 new\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(api.polls(), 2);  // waited through the unfinished state
  ASSERT_EQ(api.requested().size(), 1u);
  EXPECT_TRUE(api.requested()[0].empty());  // no channel = all

  const auto requests = daemon.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/refresh");
  EXPECT_EQ(header(requests[0], "authorization"), "<none>");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/refresh/41");
  EXPECT_EQ(requests[2].target, "/refresh/41");
}

TEST(RefreshClient, RequestsTheNamedChannelsAndExpandsSources) {
  FakeDaemon api;
  TestDaemon daemon(api);
  const auto r = refresh(config_for(daemon.port()),
                         {"xinmeiti/guokr/scientific", "xinmeiti/woshipm/", "xinmeiti/guokr"});
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(api.requested().size(), 1u);
  EXPECT_EQ(api.requested()[0],
            (std::vector<std::string>{"xinmeiti/guokr/scientific", "xinmeiti/woshipm/popular",
                                      "xinmeiti/woshipm/latest"}));
  EXPECT_EQ(r.out,
            "xinmeiti/guokr/scientific: not modified\n"
            "xinmeiti/woshipm/popular: failed: HTTP 404 Not Found\n"
            "xinmeiti/woshipm/latest: 0 new\n");
}

TEST(RefreshClient, ExpandChannelArgs) {
  const auto cfg = test_config();
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {{}, {}},
      {{"xinmeiti/zaker/source"}, {"xinmeiti/zaker/source"}},
      {{"xinmeiti/zaker"}, {"xinmeiti/zaker/source"}},
      {{"xinmeiti"},
       {"xinmeiti/zaker/source", "xinmeiti/guokr/scientific", "xinmeiti/woshipm/popular",
        "xinmeiti/woshipm/latest"}},
      {{"xinmeiti/woshipm//", "xinmeiti/woshipm/latest"},
       {"xinmeiti/woshipm/popular", "xinmeiti/woshipm/latest"}},
      {{"xinmeiti/zak"}, {"xinmeiti/zak"}},  // a prefix of a slug is not a source
      {{"nope/x/y", "nope/x/y"}, {"nope/x/y"}},
      {{"/"}, {""}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(expand_channel_args(cfg, c.args), c.want) << ::testing::PrintToString(c.args);
  }
}

TEST(RefreshClient, DaemonUrl) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"127.0.0.1:8080", "http://127.0.0.1:8080"}, {"[::1]:8080", "http://[::1]:8080"},
      {"0.0.0.0:9000", "http://127.0.0.1:9000"},   {"[::]:9000", "http://[::1]:9000"},
      {"localhost:80", "http://localhost:80"},     {"192.0.2.7:8080", "http://192.0.2.7:8080"},
  };
  for (const auto& [listen, want] : cases)
    EXPECT_EQ(daemon_url(listen), want) << listen;
}

TEST(RefreshClient, WildcardListenAddressIsReachedOverLoopback) {
  FakeDaemon api;
  TestDaemon daemon(api);
  const auto r = refresh(config_for(daemon.port(), "", "0.0.0.0"), {"xinmeiti/zaker/source"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "xinmeiti/zaker/source: 3 new\n");
}

TEST(RefreshClient, Ipv6Loopback) {
  FakeDaemon api;
  std::unique_ptr<TestDaemon> daemon;
  try {
    daemon = std::make_unique<TestDaemon>(api, false, "::1");
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  const auto r = refresh(config_for(daemon->port(), "", "[::1]"), {"xinmeiti/zaker/source"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "xinmeiti/zaker/source: 3 new\n");
}

TEST(RefreshClient, UnknownChannelIsExit2AndNamed) {
  FakeDaemon api;
  TestDaemon daemon(api);
  // Characters that mean something in a query string must arrive as written.
  const auto r = refresh(config_for(daemon.port()), {"xinmeiti/zaker/source", "a&b/c d/e=f+g%"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unknown channel: a&b/c d/e=f+g%\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("xinmeiti/zaker/source"), std::string::npos) << r.err;
  ASSERT_EQ(api.requested().size(), 1u);
  EXPECT_EQ(api.requested()[0],
            (std::vector<std::string>{"xinmeiti/zaker/source", "a&b/c d/e=f+g%"}));
  EXPECT_EQ(daemon.requests().size(), 1u);  // nothing to wait for
}

TEST(RefreshClient, EmptyChannelNameIsAUsageErrorNotARefreshOfEverything) {
  FakeDaemon api;
  TestDaemon daemon(api);
  const auto r = refresh(config_for(daemon.port()), {"/"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("empty channel name"), std::string::npos) << r.err;
  EXPECT_TRUE(daemon.requests().empty());
}

TEST(RefreshClient, RemotePeerWithoutTokenIsRefused) {
  FakeDaemon api("s3cret-token");
  TestDaemon daemon(api, /*remote=*/true);
  const auto r = refresh(config_for(daemon.port()), {});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("403"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set refresh_token"), std::string::npos) << r.err;
  EXPECT_TRUE(api.requested().empty());
}

TEST(RefreshClient, RemotePeerWithWrongTokenIsRefusedAndTheTokenIsNotPrinted) {
  FakeDaemon api("s3cret-token");
  TestDaemon daemon(api, /*remote=*/true);
  const auto r = refresh(config_for(daemon.port(), "wrong-token"), {});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("did not accept the refresh_token"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-token"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("wrong-token"), std::string::npos) << r.out;
  ASSERT_EQ(daemon.requests().size(), 1u);
  EXPECT_EQ(header(daemon.requests()[0], "authorization"), "Bearer wrong-token");
}

TEST(RefreshClient, BearerTokenIsSentWhenConfigured) {
  FakeDaemon api("s3cret-token");
  TestDaemon daemon(api, /*remote=*/true);
  const auto r = refresh(config_for(daemon.port(), "s3cret-token"), {"xinmeiti/zaker/source"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "xinmeiti/zaker/source: 3 new\n");
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos);
  const auto requests = daemon.requests();
  ASSERT_GE(requests.size(), 2u);
  for (const auto& req : requests)
    EXPECT_EQ(header(req, "authorization"), "Bearer s3cret-token") << req.target;
}

TEST(RefreshClient, TokenThatWouldSplitTheHeaderIsRefused) {
  const auto r = refresh(config_for(1, "abc\r\nX-Evil: 1"), {});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.find("X-Evil"), std::string::npos) << r.err;
}

TEST(RefreshClient, NoDaemonIsExit1WithAPlainMessage) {
  // A port bound but never listened on: connecting is refused, and while the socket is held no
  // other test can take the port (one released before use could be taken under `ctest -j`).
  asio::io_context io;
  asio::ip::tcp::acceptor bound(io);
  const asio::ip::tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
  bound.open(loopback.protocol());
  bound.bind(loopback);
  const std::uint16_t port = bound.local_endpoint().port();
  const auto r = refresh(config_for(port), {});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "feedd refresh: no daemon answers at http://127.0.0.1:" + std::to_string(port) +
                       " (is \"feedd run\" running?)\n");
}

TEST(RefreshClient, GivesUpAfterTheTimeoutAndPrintsWhatFinished) {
  FakeDaemon api;
  api.set_mode(Progress::kNeverDone);
  TestDaemon daemon(api);
  const auto r = refresh(config_for(daemon.port()), {}, 1s);
  EXPECT_EQ(r.status, 1);
  EXPECT_GE(r.took, 1s);
  EXPECT_LT(r.took, 6s);  // near the 1 s asked for (the margin is for a loaded machine)
  EXPECT_EQ(r.out, "xinmeiti/zaker/source: 3 new\n");
  EXPECT_NE(r.err.find("not finished after 1 s (1 of 4 channels done)"), std::string::npos)
      << r.err;
  // Polled at the 250 ms pace, not in a busy loop: about four times in the second, at least
  // 250 ms apart. A loaded machine may poll less often, so only a second poll is required.
  const auto arrivals = daemon.arrivals();
  ASSERT_GE(arrivals.size(), 3u);  // POST /refresh and at least two polls
  EXPECT_LE(arrivals.size() - 1, 5u);
  for (std::size_t i = 2; i < arrivals.size(); ++i) {
    EXPECT_GE(arrivals[i] - arrivals[i - 1], 240ms) << "poll " << i;
  }
}

TEST(RefreshClient, BadProgressAnswersAreFailuresNotCrashes) {
  const std::vector<std::pair<Progress, std::string>> cases = {
      {Progress::kForgets, "no longer knows refresh 41"},
      {Progress::kGarbage, "unexpected answer"},
      {Progress::kDeepNesting, "unexpected answer"},
  };
  for (const auto& [mode, message] : cases) {
    FakeDaemon api;
    api.set_mode(mode);
    TestDaemon daemon(api);
    const auto r = refresh(config_for(daemon.port()), {});
    EXPECT_EQ(r.status, 1) << message;
    EXPECT_EQ(r.out, "") << message;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

TEST(RefreshClient, DaemonTextIsPrintedWithoutControlCharacters) {
  FakeDaemon api;
  api.set_result("xinmeiti/zaker/source", {"network_error", 0, "reset\x1b[2J\r\nby peer"});
  api.set_result("xinmeiti/guokr/scientific", {"parse_error", 0, ""});
  TestDaemon daemon(api);
  const auto r =
      refresh(config_for(daemon.port()), {"xinmeiti/zaker/source", "xinmeiti/guokr/scientific"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "xinmeiti/zaker/source: failed: reset?[2J??by peer\n"
            "xinmeiti/guokr/scientific: failed: parse_error\n");
}

}  // namespace
}  // namespace feedd::app
