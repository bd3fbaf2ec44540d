#include "fetch/fetcher.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "fetch/fixture_server.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::fetch {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kData = std::string(FEEDD_TEST_DATA) + "/fetch";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Limits test_limits() {
  Limits l;
  l.max_parallel = 4;
  l.max_per_host = 4;
  l.connect_timeout = 2s;
  l.total_timeout = 2s;
  l.max_body = 1u << 20;
  l.max_redirects = 3;
  return l;
}

// A port on loopback that nothing listens on while this lives: bound but never listened on, so
// a connection is refused, and no other process can take the port meanwhile (one released
// before use could be taken under `ctest -j`).
class ClosedPort {
 public:
  ClosedPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int fd_;
  int port_ = 0;
};

class FetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The suite talks to loopback only; a proxy from the environment must not get in between.
    for (const char* v : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
      unsetenv(v);
    }
    log_dir_ =
        new fs::path(fs::temp_directory_path() / ("feedd-fetch-test-" + std::to_string(getpid())));
    fs::create_directories(*log_dir_);
    server_ = new test::FixtureServer(kData, (*log_dir_ / "requests.log").string());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    fs::remove_all(*log_dir_);
    delete log_dir_;
  }

  static Result fetch_one(const std::string& url, Limits limits = test_limits(),
                          Validators validators = {}) {
    auto fetcher = make_curl_fetcher(std::move(limits));
    auto results = fetcher->fetch_all({Request{"k", url, std::move(validators)}});
    EXPECT_EQ(results.size(), 1u);
    return results.at(0);
  }
  static std::string url(const std::string& path) { return server_->url(path); }
  static size_t log_count(const std::string& line) {
    auto lines = server_->log_lines();
    return static_cast<size_t>(std::count(lines.begin(), lines.end(), line));
  }

  static inline test::FixtureServer* server_ = nullptr;
  static inline fs::path* log_dir_ = nullptr;
};

TEST_F(FetcherTest, Ok200WithValidatorsAndContentType) {
  const Result r = fetch_one(url("/feed.xml"));
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.reason;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.reason, "HTTP 200 OK");
  EXPECT_EQ(r.body, read_file(kData + "/feed.xml"));
  EXPECT_EQ(r.content_type, "application/xml");
  EXPECT_EQ(r.effective_url, url("/feed.xml"));
  EXPECT_TRUE(r.validators.etag.starts_with("\"")) << r.validators.etag;
  EXPECT_TRUE(r.validators.last_modified.ends_with(" GMT")) << r.validators.last_modified;
  EXPECT_FALSE(r.max_age.has_value());
  EXPECT_FALSE(r.retry_after.has_value());
}

TEST_F(FetcherTest, ConditionalGetRoundTrip) {
  const Result first = fetch_one(url("/feed.xml?cond=1"));
  ASSERT_EQ(first.outcome, Outcome::kOk);
  ASSERT_FALSE(first.validators.etag.empty());

  struct Case {
    const char* name;
    Validators sent;
    Outcome want;
  };
  const std::vector<Case> cases = {
      {"both", first.validators, Outcome::kNotModified},
      {"etag only", {first.validators.etag, ""}, Outcome::kNotModified},
      {"last-modified only", {"", first.validators.last_modified}, Outcome::kNotModified},
      // If-None-Match wins: a stale ETag means a full response even with a fresh date.
      {"stale etag", {"\"stale\"", first.validators.last_modified}, Outcome::kOk},
      {"none", {}, Outcome::kOk},
  };
  for (const auto& c : cases) {
    const Result r = fetch_one(url("/feed.xml?cond=1"), test_limits(), c.sent);
    EXPECT_EQ(r.outcome, c.want) << c.name << ": " << r.reason;
    if (c.want == Outcome::kNotModified) {
      EXPECT_EQ(r.http_status, 304) << c.name;
      EXPECT_EQ(r.reason, "HTTP 304 Not Modified") << c.name;
      EXPECT_TRUE(r.ok()) << c.name;
      EXPECT_TRUE(r.body.empty()) << c.name;
      EXPECT_EQ(r.validators, first.validators) << c.name;  // refreshed from the 304
    } else {
      EXPECT_EQ(r.body, first.body) << c.name;
      EXPECT_EQ(r.validators, first.validators) << c.name;
    }
  }
  EXPECT_EQ(log_count("GET /feed.xml?cond=1 304"), 3u);
}

TEST_F(FetcherTest, OkWithoutValidatorsForgetsTheOldOnes) {
  const Result r =
      fetch_one(url("/feed.xml?novalidators=1"), test_limits(), {"\"old\"", "Mon, 01 Jan 2001"});
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.validators, Validators{});
}

TEST_F(FetcherTest, HttpErrors) {
  const std::vector<std::pair<int, std::string>> cases = {
      {404, "HTTP 404 Not Found"},
      {410, "HTTP 410 Gone"},
      {500, "HTTP 500 Internal Server Error"},
      {403, "HTTP 403 Forbidden"},
  };
  const Validators sent{"\"v\"", ""};
  for (const auto& [code, reason] : cases) {
    const Result r = fetch_one(url("/status/" + std::to_string(code)), test_limits(), sent);
    EXPECT_EQ(r.outcome, Outcome::kHttpError) << code;
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.http_status, code);
    EXPECT_EQ(r.reason, reason);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.validators, sent) << "an error keeps the request's validators";
  }
  // A missing file is a 404 from the file route too.
  EXPECT_EQ(fetch_one(url("/no-such-feed.xml")).http_status, 404);
}

TEST_F(FetcherTest, RetryAfterSecondsAndDate) {
  Result r = fetch_one(url("/status/429?retry_after=120"));
  EXPECT_EQ(r.outcome, Outcome::kHttpError);
  EXPECT_EQ(r.reason, "HTTP 429 Too Many Requests");
  EXPECT_EQ(r.retry_after, std::optional(120s));

  const std::string date = format_rfc822_gmt(now_seconds() + 300s);
  std::string encoded;
  for (char c : date) {
    if (c == ' ') {
      encoded.append("%20");
    } else if (c == ',') {
      encoded.append("%2C");
    } else {
      encoded.push_back(c);
    }
  }
  r = fetch_one(url("/status/503?retry_after=" + encoded));
  EXPECT_EQ(r.http_status, 503);
  ASSERT_TRUE(r.retry_after.has_value()) << date;
  EXPECT_GE(*r.retry_after, 290s);
  EXPECT_LE(*r.retry_after, 300s);

  // Only 429/503 carry a meaningful Retry-After.
  EXPECT_FALSE(fetch_one(url("/status/404?retry_after=60")).retry_after.has_value());
}

TEST_F(FetcherTest, CacheControlMaxAge) {
  const Result r = fetch_one(url("/feed.xml?max_age=600"));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.max_age, std::optional(600s));
}

TEST_F(FetcherTest, RedirectChainWithinLimit) {
  const Result r = fetch_one(url("/redirect/3"));
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.reason;
  EXPECT_EQ(r.effective_url, url("/redirect/0"));
  EXPECT_EQ(r.url, url("/redirect/3"));
  EXPECT_NE(r.body.find("Fixture redirect target"), std::string::npos);

  const Result to_file = fetch_one(url("/redirect/1?to=/feed.xml"));
  EXPECT_EQ(to_file.outcome, Outcome::kOk) << to_file.reason;
  EXPECT_EQ(to_file.effective_url, url("/feed.xml"));
  EXPECT_EQ(to_file.body, read_file(kData + "/feed.xml"));
}

TEST_F(FetcherTest, TooManyRedirectsAndLoops) {
  for (const char* path : {"/redirect/4", "/redirect-loop"}) {
    const Result r = fetch_one(url(path));
    EXPECT_EQ(r.outcome, Outcome::kNetworkError) << path;
    EXPECT_EQ(r.reason, "too many redirects (3)") << path;
    EXPECT_TRUE(r.body.empty());
  }
}

TEST_F(FetcherTest, RedirectToFileIsRefused) {
  const std::string target = "file://" + kData + "/feed.xml";
  const Result r = fetch_one(url("/redirect/0?to=" + target));
  EXPECT_EQ(r.outcome, Outcome::kNetworkError) << r.reason;
  EXPECT_EQ(r.reason, "redirect refused: only http and https may be redirected to");
  EXPECT_TRUE(r.body.empty());
}

TEST_F(FetcherTest, SlowAndDripHitTheTotalTimeout) {
  // One fetcher throughout, so later requests ride on a reused keep-alive connection (which
  // reports no connect time: the reason must still say "timed out", not "connect").
  auto fetcher = make_curl_fetcher(test_limits());
  ASSERT_EQ(fetcher->fetch_all({{"warm", url("/feed.xml"), {}}}).at(0).outcome, Outcome::kOk);
  for (const char* path : {"/slow", "/drip?bytes=30", "/slow"}) {
    const auto start = std::chrono::steady_clock::now();
    const Result r = fetcher->fetch_all({{"k", url(path), {}}}).at(0);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.outcome, Outcome::kTimeout) << path << ": " << r.reason;
    EXPECT_EQ(r.reason, "timed out after 2 s") << path;
    EXPECT_TRUE(r.body.empty()) << path;
    EXPECT_GE(r.elapsed, 1900ms) << path;
    EXPECT_LT(took, 5s) << path;
  }
}

TEST_F(FetcherTest, CancelEndsTransfersInProgressAndLaterCalls) {
  Limits limits = test_limits();
  limits.total_timeout = 60s;  // far longer than the test may take: only cancel() can end it
  auto fetcher = make_curl_fetcher(limits);
  std::chrono::steady_clock::time_point cancelled;
  std::thread canceller([&] {
    // Cancel once the server has every request: all three transfers are under way.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline &&
           !(log_count("GET /slow?c=cancel-a -") == 1 &&
             log_count("GET /drip?bytes=30&c=cancel-b 200") == 1 &&
             log_count("GET /slow?c=cancel-c -") == 1)) {
      std::this_thread::sleep_for(10ms);
    }
    cancelled = std::chrono::steady_clock::now();
    fetcher->cancel();
  });
  const auto results = fetcher->fetch_all({{"a", url("/slow?c=cancel-a"), {}},
                                           {"b", url("/drip?bytes=30&c=cancel-b"), {}},
                                           {"c", url("/slow?c=cancel-c"), {}}});
  const auto returned = std::chrono::steady_clock::now();
  canceller.join();
  EXPECT_LT(returned - cancelled, 10s);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_EQ(r.outcome, Outcome::kCancelled) << r.key;
    EXPECT_FALSE(r.ok()) << r.key;
  }
  const auto later = fetcher->fetch_all({{"d", url("/feed.xml"), {}}});
  EXPECT_EQ(later.at(0).outcome, Outcome::kCancelled);
}

TEST_F(FetcherTest, TooLarge) {
  struct Case {
    std::string path;
    Outcome want;
  };
  const std::vector<Case> cases = {
      {"/big?bytes=2097152", Outcome::kTooLarge},
      {"/big?bytes=2097152&nolength=1", Outcome::kTooLarge},
      {"/big?bytes=1048576", Outcome::kOk},  // exactly the cap
      {"/big?bytes=1048576&nolength=1", Outcome::kOk},
      {"/big?bytes=1048577&nolength=1", Outcome::kTooLarge},
      // A declared length over the cap is refused before the (very slow) body: not a timeout.
      {"/drip?bytes=2000000", Outcome::kTooLarge},
  };
  for (const auto& c : cases) {
    const Result r = fetch_one(url(c.path));
    EXPECT_EQ(r.outcome, c.want) << c.path << ": " << r.reason;
    if (c.want == Outcome::kTooLarge) {
      EXPECT_EQ(r.reason, "body larger than 1 MiB") << c.path;
      EXPECT_TRUE(r.body.empty()) << c.path;
    } else {
      EXPECT_EQ(r.body.size(), 1048576u) << c.path;
    }
  }
}

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST_F(FetcherTest, GzipBombStopsAtTheCap) {
  const long before = max_rss_kib();
  const Result r = fetch_one(url("/gzip-bomb?mb=200"));
  EXPECT_EQ(r.outcome, Outcome::kTooLarge) << r.reason;
  EXPECT_EQ(r.reason, "body larger than 1 MiB");
  EXPECT_TRUE(r.body.empty());
  // Inflating it all would take 200 MiB; stopping at the cap costs a few.
  EXPECT_LT(max_rss_kib() - before, 32 * 1024);
}

TEST_F(FetcherTest, GzipIsDecoded) {
  const Result r = fetch_one(url("/feed.xml?gzip=1"));
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.reason;
  EXPECT_EQ(r.body, read_file(kData + "/feed.xml"));
  EXPECT_EQ(log_count("GET /feed.xml?gzip=1 200 gzip"), 1u) << "the body really was gzipped";
}

// The SSRF guard checks the address of every hop: the first server is let through (as if it
// were public), the redirect to another loopback server is refused before it is connected to.
TEST_F(FetcherTest, GuardRefusesRedirectToLoopback) {
  const fs::path other_log = *log_dir_ / "other.log";
  test::FixtureServer other(kData, other_log.string());
  const std::string first = "127.0.0.1:" + std::to_string(server_->port());
  const std::string second = "127.0.0.1:" + std::to_string(other.port());
  const std::string target = url("/redirect/0?to=" + other.url("/feed.xml"));

  Limits guarded = test_limits();
  guarded.refuse_private_addresses = true;
  guarded.exempt_endpoints = {first};
  const Result refused = fetch_one(target, guarded);
  EXPECT_EQ(refused.outcome, Outcome::kNetworkError);
  EXPECT_EQ(refused.reason, "refused: address 127.0.0.1 is loopback");
  EXPECT_TRUE(other.log_lines().empty());

  // The same chain with the second server exempt too arrives: the refusal was the guard's.
  guarded.exempt_endpoints = {first, second};
  const Result allowed = fetch_one(target, guarded);
  EXPECT_EQ(allowed.outcome, Outcome::kOk) << allowed.reason;
  EXPECT_EQ(allowed.body, read_file(kData + "/feed.xml"));
}

TEST_F(FetcherTest, GuardRefusesLoopbackByNameAndAddressAndFileUrls) {
  Limits guarded = test_limits();
  guarded.refuse_private_addresses = true;
  const std::string port = std::to_string(server_->port());
  for (const std::string& u :
       {"http://127.0.0.1:" + port + "/feed.xml", "http://localhost:" + port + "/feed.xml"}) {
    const Result r = fetch_one(u, guarded);
    EXPECT_EQ(r.outcome, Outcome::kNetworkError) << u;
    EXPECT_TRUE(r.reason.starts_with("refused: address ")) << u << ": " << r.reason;
  }
  const Result file = fetch_one("file://" + kData + "/feed.xml", guarded);
  EXPECT_EQ(file.outcome, Outcome::kNetworkError);
  EXPECT_TRUE(file.body.empty());
  // Unguarded, the same URL is fetched: the refusal above was the guard's.
  EXPECT_EQ(fetch_one(url("/feed.xml")).outcome, Outcome::kOk);
}

TEST_F(FetcherTest, SendsRefererAndAcceptOfTheLimits) {
  Limits images = test_limits();
  images.accept = "image/png";
  images.referer = [](const std::string& u) {
    return u.ends_with("/echo-headers") ? "https://weibo.com/" : "bad\r\nInjected: 1";
  };
  const Result r = fetch_one(url("/echo-headers"), images);
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.reason;
  EXPECT_NE(r.body.find("Referer: https://weibo.com/\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Accept: image/png\n"), std::string::npos) << r.body;
  EXPECT_EQ(fetch_one(url("/echo-headers")).body.find("Referer"), std::string::npos);
  // A Referer that would inject a header is not sent.
  const Result bad = fetch_one(url("/echo-headers?x=1"), images);
  EXPECT_EQ(bad.body.find("Injected"), std::string::npos) << bad.body;
  EXPECT_EQ(bad.body.find("Referer"), std::string::npos) << bad.body;
}

TEST_F(FetcherTest, SendsUserAgentAcceptEncodingAndConditionalHeaders) {
  Result r =
      fetch_one(url("/echo-headers"), test_limits(), {"\"abc\"", "Wed, 21 Oct 2015 07:28:00 GMT"});
  ASSERT_EQ(r.outcome, Outcome::kOk);
  EXPECT_NE(r.body.find(std::string("User-Agent: feedd/") + kVersion + "\n"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("Accept-Encoding: "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("gzip"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("If-None-Match: \"abc\"\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT\n"), std::string::npos)
      << r.body;

  Limits custom = test_limits();
  custom.user_agent = "custom-agent/2";
  r = fetch_one(url("/echo-headers"), custom);
  EXPECT_NE(r.body.find("User-Agent: custom-agent/2\n"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("If-None-Match"), std::string::npos) << r.body;
}

TEST_F(FetcherTest, StoredValidatorsCannotInjectHeaders) {
  const Result r =
      fetch_one(url("/echo-headers"), test_limits(), {"\"a\"\r\nX-Evil: 1", "x\nX-Evil2: 1"});
  ASSERT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.body.find("X-Evil"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("If-None-Match"), std::string::npos) << r.body;
}

TEST_F(FetcherTest, FileUrls) {
  const std::string path = kData + "/feed.xml";
  Result r = fetch_one("file://" + path);
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.reason;
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.body, read_file(path));

  r = fetch_one("file://" + kData + "/missing.xml");
  EXPECT_EQ(r.outcome, Outcome::kNetworkError);
  EXPECT_TRUE(r.reason.starts_with("could not read file")) << r.reason;

  Limits tiny = test_limits();
  tiny.max_body = 100;
  r = fetch_one("file://" + path, tiny);
  EXPECT_EQ(r.outcome, Outcome::kTooLarge) << r.reason;
  EXPECT_EQ(r.reason, "body larger than 100 bytes");
}

TEST_F(FetcherTest, BadUrlsAreNetworkErrors) {
  for (const std::string u : {"", "not a url", "/feed.xml", "ftp://127.0.0.1/feed.xml",
                              "gopher://127.0.0.1/", "http://", "javascript:alert(1)"}) {
    const Result r = fetch_one(u);
    EXPECT_EQ(r.outcome, Outcome::kNetworkError) << "'" << u << "'";
    EXPECT_EQ(r.http_status, 0);
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST_F(FetcherTest, ConnectionRefusedAndReset) {
  const ClosedPort closed;
  Result r = fetch_one(closed.url("/feed.xml"));
  EXPECT_EQ(r.outcome, Outcome::kNetworkError);
  EXPECT_TRUE(r.reason.starts_with("could not connect: ")) << r.reason;

  r = fetch_one(url("/reset"));
  EXPECT_EQ(r.outcome, Outcome::kNetworkError) << r.reason;
  EXPECT_EQ(r.http_status, 0);
}

TEST_F(FetcherTest, ReasonNeverContainsCredentials) {
  const ClosedPort closed;
  const std::vector<std::string> urls = {
      closed.url("/feed.xml").replace(0, 7, "http://alice:s3cr3t@"),
      "http://alice:s3cr3t@127.0.0.1:" + std::to_string(server_->port()) + "/status/401",
      "http://alice:s3cr3t@127.0.0.1:" + std::to_string(server_->port()) + "/redirect-loop",
      "http://alice:s3cr3t@127.0.0.1:" + std::to_string(server_->port()) + "/slow",
  };
  for (const auto& u : urls) {
    const Result r = fetch_one(u);
    EXPECT_FALSE(r.ok()) << u;
    EXPECT_FALSE(r.reason.empty()) << u;
    EXPECT_EQ(r.reason.find("s3cr3t"), std::string::npos) << r.reason;
  }
}

TEST_F(FetcherTest, ManyRequestsComeBackInRequestOrder) {
  std::vector<Request> requests;
  std::vector<Outcome> want;
  for (int i = 0; i < 24; ++i) {
    // Not "k" + std::to_string(i): g++ 12 reports a false -Wrestrict on that at -O2.
    std::string key = "k";
    key.append(std::to_string(i));
    switch (i % 4) {
      case 0:
        requests.push_back({key, url("/delay?ms=" + std::to_string(150 - 5 * i)), {}});
        want.push_back(Outcome::kOk);
        break;
      case 1:
        requests.push_back({key, url("/feed.xml?n=" + std::to_string(i)), {}});
        want.push_back(Outcome::kOk);
        break;
      case 2:
        requests.push_back({key, url("/status/404"), {}});
        want.push_back(Outcome::kHttpError);
        break;
      default:
        requests.push_back({key, "not a url " + key, {}});
        want.push_back(Outcome::kNetworkError);
    }
  }
  std::map<std::string, int> calls;
  auto fetcher = make_curl_fetcher(test_limits());
  const auto results = fetcher->fetch_all(requests, [&](const Result& r) { ++calls[r.key]; });
  ASSERT_EQ(results.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(results[i].key, requests[i].key);
    EXPECT_EQ(results[i].url, requests[i].url);
    EXPECT_EQ(results[i].outcome, want[i]) << requests[i].url << ": " << results[i].reason;
    EXPECT_EQ(calls[requests[i].key], 1) << requests[i].key;
  }
  EXPECT_EQ(calls.size(), requests.size());

  // The same fetcher serves a second batch, and an empty one.
  EXPECT_EQ(fetcher->fetch_all({requests[1]}).at(0).outcome, Outcome::kOk);
  EXPECT_TRUE(fetcher->fetch_all({}).empty());
}

TEST_F(FetcherTest, ParallelismLimits) {
  struct Case {
    const char* group;
    int max_parallel, max_per_host;
    int at_once;  // how many of the six requests must be in flight together, and no more
  };
  const std::vector<Case> cases = {
      {"per-host-2", 8, 2, 2},
      {"total-2", 2, 8, 2},
      {"six-at-once", 8, 6, 6},
  };
  for (const auto& c : cases) {
    Limits l = test_limits();
    l.max_parallel = c.max_parallel;
    l.max_per_host = c.max_per_host;
    // Six requests to one host, each held at the server until at_once + 1 of them are there
    // together (which the limit must never allow), at most 500 ms; six at once pass as soon as
    // all six are there (at most 1.5 s, within the 2 s total timeout).
    const std::string gate =
        c.at_once == 6 ? "n=6&ms=1500" : "n=" + std::to_string(c.at_once + 1) + "&ms=500";
    std::vector<Request> requests;
    for (int i = 0; i < 6; ++i) {
      requests.push_back(
          {std::to_string(i),
           url("/gate?group=" + std::string(c.group) + "&" + gate + "&tag=" + std::to_string(i)),
           {}});
    }
    const auto results = make_curl_fetcher(l)->fetch_all(requests);
    for (const auto& r : results)
      EXPECT_EQ(r.outcome, Outcome::kOk) << c.group << ": " << r.reason;
    const Result peak = fetch_one(url("/gate-peak?group=" + std::string(c.group)));
    EXPECT_EQ(peak.body, std::to_string(c.at_once) + "\n") << c.group;
  }
}

// Requests wait per host: a host at its connection limit holds back only its own requests, and
// among those that may start, the earliest requested starts first.
TEST_F(FetcherTest, SaturatedHostHoldsBackOnlyItsOwnRequests) {
  Limits l = test_limits();
  l.max_parallel = 8;
  l.max_per_host = 1;
  auto other_host = [](std::string u) {  // same server, another host name
    return u.replace(u.find("127.0.0.1"), 9, "localhost");
  };
  // a1 holds its host until b2 is done (at most 1.5 s): were the b's queued behind the a's, a1
  // would come back first.
  const std::vector<Request> requests = {
      {"a1", url("/gate?group=saturated&ms=1500&tag=a1"), {}},
      {"a2", url("/feed.xml?c=a2"), {}},
      {"a3", url("/feed.xml?c=a3"), {}},
      {"b1", other_host(url("/feed.xml?c=b1")), {}},
      {"b2", other_host(url("/feed.xml?c=b2")), {}},
  };
  std::vector<std::string> order;
  const auto results = make_curl_fetcher(l)->fetch_all(requests, [&](Result& r) {
    order.push_back(r.key);
    if (r.key == "b2") {
      EXPECT_TRUE(fetch_one(url("/gate-open?group=saturated")).ok());
    }
  });
  for (const auto& r : results)
    EXPECT_EQ(r.outcome, Outcome::kOk) << r.key << ": " << r.reason;
  EXPECT_EQ(order, (std::vector<std::string>{"b1", "b2", "a1", "a2", "a3"}));
}

TEST(OutcomeName, StableNames) {
  const std::vector<std::pair<Outcome, std::string>> cases = {
      {Outcome::kOk, "ok"},
      {Outcome::kNotModified, "not_modified"},
      {Outcome::kHttpError, "http_error"},
      {Outcome::kNetworkError, "network_error"},
      {Outcome::kTimeout, "timeout"},
      {Outcome::kTooLarge, "too_large"},
      {Outcome::kCancelled, "cancelled"},
  };
  for (const auto& [o, name] : cases)
    EXPECT_EQ(outcome_name(o), name);
}

}  // namespace
}  // namespace feedd::fetch
