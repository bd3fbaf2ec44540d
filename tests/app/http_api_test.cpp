// The daemon's HTTP router over a fake ApiContext: who may refresh (loopback, bearer token),
// what each route answers for each method, and that only generated views are ever served.
#include <gtest/gtest.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/http_api.hpp"
#include "serve/http.hpp"

namespace feedd::app {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "fixture-token-not-a-secret";

class FakeContext : public ApiContext {
 public:
  FakeContext() {
    const std::chrono::sys_seconds t{1626307200s};
    views_["/feeds/all.xml"] = std::make_shared<const serve::View>(
        serve::make_view("application/atom+xml; charset=utf-8", "<feed>all</feed>", t));
    views_["/feeds/xinmeiti/zaker.xml"] = std::make_shared<const serve::View>(
        serve::make_view("application/atom+xml; charset=utf-8", "<feed>zaker</feed>", t));
    views_["/feeds.opml"] = std::make_shared<const serve::View>(
        serve::make_view("text/x-opml; charset=utf-8", "<opml/>", t));
  }

  const serve::ViewMap& views() const override { return views_; }
  serve::StatusSnapshot status() const override {
    serve::StatusSnapshot s;
    s.version = "test";
    s.feeds.push_back({"All", "http://feeds.test/feeds/all.xml", "", 0});
    s.fetches_by_outcome["ok"] = 3;
    return s;
  }
  const std::string& refresh_token() const override { return token; }
  RefreshTicket request_refresh(const std::vector<std::string>& channels) override {
    requests.push_back(channels);
    RefreshTicket t;
    for (const auto& c : channels) {
      if (!known.count(c)) t.unknown.push_back(c);
    }
    if (!t.unknown.empty()) return t;
    t.id = 41 + requests.size();
    t.channels = channels.empty() ? std::vector<std::string>(known.begin(), known.end()) : channels;
    return t;
  }
  std::optional<std::string> refresh_progress(std::uint64_t id) const override {
    if (id != 7) return std::nullopt;
    return R"({"id":7,"done":true,"channels":[]})";
  }
  std::filesystem::path image_folder() const override { return images; }

  std::string token;
  std::set<std::string> known = {"xinmeiti/guokr/scientific", "xinmeiti/zaker/source"};
  std::vector<std::vector<std::string>> requests;  // every request_refresh call
  std::filesystem::path images;                    // "" = not images: download

 private:
  serve::ViewMap views_;
};

// A request as the server hands it over: path decoded with serve::decode_path.
serve::Request make_request(std::string method, std::string target, bool loopback = true) {
  serve::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  const auto q = r.target.find('?');
  r.path = serve::decode_path(std::string_view(r.target).substr(0, q));
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.peer = loopback ? "127.0.0.1" : "192.0.2.10";
  r.peer_loopback = loopback;
  return r;
}

std::string header(const serve::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

struct RefreshCase {
  std::string name;
  bool loopback;
  std::string token;          // configured
  std::string authorization;  // sent; "" = none
  int status;
};

TEST(HttpApiRefresh, WhoMayRefresh) {
  const std::vector<RefreshCase> cases = {
      {"loopback, no token configured", true, "", "", 202},
      {"loopback, token configured, none sent", true, kToken, "", 202},
      {"remote, no token configured", false, "", "", 403},
      {"remote, no token configured, empty bearer sent", false, "", "Bearer ", 403},
      {"remote, token configured, none sent", false, kToken, "", 403},
      {"remote, wrong token", false, kToken, "Bearer wrong-token-of-other-size", 403},
      {"remote, wrong token of the same size", false, kToken,
       std::string("Bearer ") + std::string(std::string(kToken).size(), 'x'), 403},
      {"remote, token as a prefix", false, kToken, std::string("Bearer ") + kToken + "x", 403},
      {"remote, token without the scheme", false, kToken, kToken, 403},
      {"remote, token with another scheme", false, kToken, std::string("Basic ") + kToken, 403},
      {"remote, right token", false, kToken, std::string("Bearer ") + kToken, 202},
      // Regression: the scheme name was compared case-sensitively (RFC 9110 says it is not).
      {"remote, right token, scheme in lower case", false, kToken, std::string("bearer ") + kToken,
       202},
      {"remote, right token, scheme in upper case", false, kToken, std::string("BEARER ") + kToken,
       202},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeContext ctx;
    ctx.token = c.token;
    auto req = make_request("POST", "/refresh", c.loopback);
    if (!c.authorization.empty()) req.headers["authorization"] = c.authorization;
    EXPECT_EQ(refresh_allowed(req, c.token), c.status == 202);
    const auto r = route(ctx, req);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(header(r, "Content-Type").substr(0, 16), "application/json");
    if (c.status == 403) {
      EXPECT_TRUE(ctx.requests.empty()) << "a refused refresh must not schedule anything";
    } else {
      ASSERT_EQ(ctx.requests.size(), 1u);
      EXPECT_EQ(r.body, R"({"id":42,"status":"/refresh/42","channels":)"
                        R"(["xinmeiti/guokr/scientific","xinmeiti/zaker/source"]})");
      EXPECT_EQ(header(r, "Location"), "/refresh/42");
    }
  }
}

TEST(HttpApiRefresh, ChannelsFromTheQuery) {
  FakeContext ctx;
  const auto r =
      route(ctx, make_request("POST", "/refresh?channel=xinmeiti%2Fzaker%2Fsource&x=1&channel="));
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(ctx.requests.size(), 1u);
  EXPECT_EQ(ctx.requests[0], std::vector<std::string>{"xinmeiti/zaker/source"});
  EXPECT_EQ(r.body, R"({"id":42,"status":"/refresh/42","channels":["xinmeiti/zaker/source"]})");
}

TEST(HttpApiRefresh, UnknownChannelIs404AndNamesIt) {
  FakeContext ctx;
  const auto r = route(ctx, make_request("POST",
                                         "/refresh?channel=xinmeiti/zaker/source"
                                         "&channel=no/such/%22channel%22"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"unknown channel","unknown":["no/such/\"channel\""]})");
}

TEST(HttpApiRefresh, FormPostRedirectsToTheStatusPage) {
  FakeContext ctx;
  auto req = make_request("POST", "/refresh");
  req.headers["content-type"] = "application/x-www-form-urlencoded";
  req.body = "channel=xinmeiti%2Fguokr%2Fscientific";
  const auto r = route(ctx, req);
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(header(r, "Location"), "/");
  ASSERT_EQ(ctx.requests.size(), 1u);
  EXPECT_EQ(ctx.requests[0], std::vector<std::string>{"xinmeiti/guokr/scientific"});

  // The form's body is not read for other content types.
  FakeContext plain;
  req.headers["content-type"] = "text/plain";
  EXPECT_EQ(route(plain, req).status, 202);
  ASSERT_EQ(plain.requests.size(), 1u);
  EXPECT_TRUE(plain.requests[0].empty());

  // A form from a remote peer without the token is refused, not redirected.
  FakeContext remote;
  auto far = req;
  far.headers["content-type"] = "application/x-www-form-urlencoded";
  far.peer_loopback = false;
  far.peer = "192.0.2.10";
  EXPECT_EQ(route(remote, far).status, 403);
  EXPECT_TRUE(remote.requests.empty());
}

TEST(HttpApiRefresh, Progress) {
  FakeContext ctx;
  const auto ok = route(ctx, make_request("GET", "/refresh/7"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"id":7,"done":true,"channels":[]})");
  for (const char* target : {"/refresh/8", "/refresh/", "/refresh/abc", "/refresh/7x",
                             "/refresh/-7", "/refresh/+7", "/refresh/99999999999999999999999"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(route(ctx, make_request("GET", target)).status, 404);
  }
}

struct MethodCase {
  std::string method;
  std::string target;
  int status;
  std::string allow;  // expected Allow header for 405s
};

TEST(HttpApiRoute, Methods) {
  const std::vector<MethodCase> cases = {
      {"GET", "/", 200, ""},
      {"HEAD", "/", 200, ""},
      {"POST", "/", 405, "GET, HEAD"},
      {"GET", "/healthz", 200, ""},
      {"PUT", "/healthz", 405, "GET, HEAD"},
      {"GET", "/metrics", 200, ""},
      {"POST", "/metrics", 405, "GET, HEAD"},
      {"GET", "/refresh", 405, "POST"},
      {"HEAD", "/refresh", 405, "POST"},
      {"DELETE", "/refresh", 405, "POST"},
      {"POST", "/refresh/7", 405, "GET, HEAD"},
      {"GET", "/feeds/all.xml", 200, ""},
      {"HEAD", "/feeds.opml", 200, ""},
      {"POST", "/feeds/all.xml", 405, "GET, HEAD"},
      {"DELETE", "/feeds.opml", 405, "GET, HEAD"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    FakeContext ctx;
    const auto r = route(ctx, make_request(c.method, c.target));
    EXPECT_EQ(r.status, c.status) << r.body;
    if (c.status == 405) {
      EXPECT_EQ(header(r, "Allow"), c.allow);
      EXPECT_TRUE(ctx.requests.empty());
    }
  }
}

TEST(HttpApiRoute, Bodies) {
  FakeContext ctx;
  const auto health = route(ctx, make_request("GET", "/healthz"));
  EXPECT_EQ(health.body, "ok\n");
  const auto metrics = route(ctx, make_request("GET", "/metrics"));
  EXPECT_EQ(header(metrics, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("feedd_fetches_total{outcome=\"ok\"} 3\n"), std::string::npos)
      << metrics.body;
  const auto page = route(ctx, make_request("GET", "/"));
  EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("http://feeds.test/feeds/all.xml"), std::string::npos);
  const auto feed = route(ctx, make_request("GET", "/feeds/xinmeiti/zaker.xml?utm=1"));
  EXPECT_EQ(feed.status, 200);
  EXPECT_EQ(feed.body, "<feed>zaker</feed>");
  EXPECT_EQ(header(feed, "Content-Type"), "application/atom+xml; charset=utf-8");
  auto cond = make_request("GET", "/feeds/xinmeiti/zaker.xml");
  cond.headers["if-none-match"] = header(feed, "ETag");
  EXPECT_EQ(route(ctx, cond).status, 304);
}

// Only exact view paths are served; every other spelling is 404 (or 400 when the server
// could not decode it safely, path ""), whatever lies on disk.
TEST(HttpApiRoute, OnlyViewsAreServed) {
  const std::vector<std::string> targets = {
      "/feeds/../feedd.db",
      "/feeds/%2e%2e/feedd.db",
      "/feeds/..%2ffeedd.db",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/feeds.opml/..",
      "/feeds/xinmeiti/../all.xml",
      "/feeds//all.xml",
      "/feeds/all.xml/",
      "/feeds/ALL.xml",
      "/feeds/all.xml%00",
      "/feeds/",
      "/feeds",
      "/feeds.opml.bak",
      "/posts/0123456789abcdef.md",
      "/feedd.db",
      "/output/feeds/all.xml",
      "/refreshx",
      "/healthz/",
  };
  for (const auto& t : targets) {
    SCOPED_TRACE(t);
    FakeContext ctx;
    const auto r = route(ctx, make_request("GET", t));
    EXPECT_TRUE(r.status == 404 || r.status == 400) << r.status;
    EXPECT_EQ(r.body.find("<feed>"), std::string::npos);
  }
  // Raw (undecoded) traversal paths that reach the router anyway still match no view.
  for (const std::string p :
       {"/feeds/../feedd.db", "/feeds/xinmeiti/../all.xml", "/feeds/./all.xml"}) {
    SCOPED_TRACE(p);
    FakeContext ctx;
    auto req = make_request("GET", "/");
    req.path = p;
    EXPECT_EQ(route(ctx, req).status, 404);
  }
  FakeContext ctx;
  auto empty = make_request("GET", "/feeds/%zz");
  ASSERT_EQ(empty.path, "");
  EXPECT_EQ(route(ctx, empty).status, 400);
}

// GET /images/<hash>.<ext>: only in download mode, only the names ImageStore writes; the rest
// of the output folder stays out of reach.
TEST(HttpApiRoute, ImagesOnlyInDownloadModeAndOnlyImageNames) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("feedd_http_images_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "images");
  const std::string name = "0123456789abcdef0123456789abcdef.gif";
  std::ofstream(dir / "images" / name) << "GIF89a";
  std::ofstream(dir / "feedd.db") << "secret";
  FakeContext ctx;
  EXPECT_EQ(route(ctx, make_request("GET", "/images/" + name)).status, 404);
  ctx.images = dir / "images";
  const auto ok = route(ctx, make_request("GET", "/images/" + name));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "GIF89a");
  EXPECT_EQ(header(ok, "Content-Type"), "image/gif");
  for (const std::string& t :
       std::vector<std::string>{"/images/../feedd.db", "/images/%2e%2e/feedd.db", "/images/",
                                "/images/x.gif", "/images/" + name + "/"}) {
    SCOPED_TRACE(t);
    const auto r = route(ctx, make_request("GET", t));
    EXPECT_TRUE(r.status == 404 || r.status == 400) << r.status;
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

// images: proxy — a context with a signer, a cache and a scripted upstream.
class ProxyContext : public FakeContext {
 public:
  explicit ProxyContext(const std::filesystem::path& dir) : cache(dir, 1 << 20) {}
  const image::UrlSigner* image_signer() const override { return &signer; }
  image::ProxyCache* image_cache() override { return &cache; }
  void fetch_image(std::string url, std::function<void(image::ProxyReply)> done) override {
    fetched.push_back(url);
    done(reply(url));
  }
  image::UrlSigner signer{std::string(32, 'k')};
  image::ProxyCache cache;
  std::vector<std::string> fetched;
  std::function<image::ProxyReply(const std::string&)> reply;
};

serve::Response route_now(ApiContext& ctx, const serve::Request& req) {
  std::optional<serve::Response> out;
  route_async(ctx, req, [&](serve::Response r) { out = std::move(r); });
  EXPECT_TRUE(out) << "no response";
  return out ? *out : serve::Response{};
}

TEST(HttpApiRoute, ProxiedImagesOnlyWithTheirSignature) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("feedd_http_proxy_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ProxyContext ctx(dir);
  const std::string url = "https://wx1.sinaimg.cn/large/a.gif";
  ctx.reply = [&](const std::string& u) -> image::ProxyReply {
    if (u != url) return {502, "", "HTTP 404 Not Found"};
    return {200, ctx.cache.put(u, image::ImageType::kGif, "GIF89a"), ""};
  };
  const std::string path = "/" + ctx.signer.path(url);
  const std::string missing = "/" + ctx.signer.path("https://wx1.sinaimg.cn/gone.gif");
  std::string tampered = path;
  tampered[5] = tampered[5] == '0' ? '1' : '0';
  struct Case {
    std::string method, target;
    int status;
    std::size_t fetched;  // upstream requests so far
  };
  const Case cases[] = {
      {"GET", path, 200, 1},     {"GET", path, 200, 1},  // the second from the cache
      {"HEAD", path, 200, 1},    {"POST", path, 405, 1},   {"GET", tampered, 403, 1},
      {"GET", "/img/x", 404, 1}, {"GET", "/img/", 404, 1}, {"GET", missing, 502, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    const auto r = route_now(ctx, make_request(c.method, c.target));
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(ctx.fetched.size(), c.fetched);
    if (c.status == 200) {
      EXPECT_EQ(r.body, "GIF89a");
      EXPECT_EQ(header(r, "Content-Type"), "image/gif");
      EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
    }
  }
  // Without a proxy (the other modes) /img/ is not served at all.
  FakeContext plain;
  EXPECT_EQ(route_now(plain, make_request("GET", path)).status, 404);
  std::filesystem::remove_all(dir);
}

TEST(HttpApi, JsonString) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", R"("")"},
      {"plain/path", R"("plain/path")"},
      {"a\"b\\c", R"("a\"b\\c")"},
      {"line\nnext\r\ttab", R"("line\nnext\r\ttab")"},
      {std::string("nul\0bell\x07", 9), R"("nul\u0000bell\u0007")"},
      {"新媒体 › ZAKER", "\"新媒体 › ZAKER\""},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(json_string(in), out);
  }
}

// The /refresh bodies built by their own functions: the same bytes the router answers with.
TEST(HttpApi, RefreshJsonBodies) {
  struct Case {
    std::string name;
    std::string json;
    std::string expected;
  };
  RefreshTicket none;
  none.id = 3;
  RefreshTicket two;
  two.id = 12;
  two.channels = {"a/b/c", "x/\"y\"/z"};
  const std::vector<Case> cases = {
      {"no channel", refresh_ticket_json(none), R"({"id":3,"status":"/refresh/3","channels":[]})"},
      {"two channels", refresh_ticket_json(two),
       R"({"id":12,"status":"/refresh/12","channels":["a/b/c","x/\"y\"/z"]})"},
      {"one unknown", unknown_channels_json({"nope"}),
       R"({"error":"unknown channel","unknown":["nope"]})"},
      {"two unknown", unknown_channels_json({"a", "b\n"}),
       R"({"error":"unknown channel","unknown":["a","b\n"]})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.json, c.expected);
  }
}

}  // namespace
}  // namespace feedd::app
