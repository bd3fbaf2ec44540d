// The server on a loopback port, driven by real clients (Beast and raw bytes) from the test
// thread while the server's io_context runs on its own thread.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "serve/http.hpp"

namespace feedd::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class TestServer {
 public:
  explicit TestServer(Limits limits, std::string host = "127.0.0.1")
      : server_(std::make_unique<Server>(io_, limits, [this](const Request& r, auto respond) {
          handle(r, std::move(respond));
        })) {
    server_->listen(host, 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestServer() {
    io_.stop();
    thread_.join();
    server_.reset();  // the io_context is not running: allowed from this thread
  }

  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  // How many "/slow" requests have reached the handler: the server has read them whole.
  int slow_requests() const { return slow_requests_; }

  // Runs `f` on the io_context thread and waits for it.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

 private:
  void handle(const Request& r, std::function<void(Response)> respond) {
    if (r.path == "/slow") ++slow_requests_;
    if (r.path == "/async" || r.path == "/slow") {
      auto timer = std::make_shared<asio::steady_timer>(io_, r.path == "/slow" ? 500ms : 100ms);
      timer->async_wait([timer, respond](error_code) { respond(text_response(200, "late")); });
      return;
    }
    if (r.path == "/never") return;  // drops `respond`: the server must answer 503 itself
    if (r.path == "/throw") throw std::runtime_error("boom");
    if (r.path == "/inject") {
      Response resp = text_response(200, "ok");
      resp.headers.emplace_back("X-Note", "a\r\nInjected: 1");
      resp.headers.emplace_back("Bad Name", "x");
      resp.headers.emplace_back("Content-Length", "999");
      respond(std::move(resp));
      return;
    }
    auto header = [&](const std::string& name) {
      auto it = r.headers.find(name);
      return it == r.headers.end() ? std::string("-") : it->second;
    };
    respond(text_response(200, r.method + " " + r.path + "|" + r.query + "|" + r.peer + "|" +
                                   (r.peer_loopback ? "loopback" : "remote") + "|" +
                                   header("x-custom") + "|" + r.body));
  }

  asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> slow_requests_ = 0;
};

using Reply = http::response<http::string_body>;

// A blocking-style client with deadlines: every operation runs its own io_context for at most
// `timeout`, so a server bug fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port, std::string host = "127.0.0.1") {
    socket_.connect(tcp::endpoint(asio::ip::make_address(host), port));
  }

  void send(std::string_view raw) { asio::write(socket_, asio::buffer(raw)); }

  void request(std::string method, std::string target,
               std::map<std::string, std::string> headers = {}, std::string body = "") {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "feedd.test");
    for (const auto& [name, value] : headers)
      req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(socket_, req);
  }

  error_code read(Reply& out, bool head = false, Clock::duration timeout = 5s) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    error_code result = asio::error::timed_out;
    run(
        [&](auto done) {
          http::async_read(socket_, buffer_, parser, [&, done](error_code ec, std::size_t) {
            result = ec;
            done();
          });
        },
        timeout);
    if (!result) out = parser.release();
    return result;
  }

  Reply get(std::string target, std::map<std::string, std::string> headers = {}) {
    request("GET", std::move(target), std::move(headers));
    Reply r;
    EXPECT_FALSE(read(r)) << "reading the response";
    return r;
  }

  // Reads until the server closes: eof / reset, or timed_out when it does not within `timeout`.
  error_code wait_closed(Clock::duration timeout) {
    error_code result;
    std::function<void(std::function<void()>)> loop;
    const bool finished = run(
        [&](auto done) {
          loop = [&](std::function<void()> finish) {
            socket_.async_read_some(asio::buffer(scratch_),
                                    [&, finish](error_code ec, std::size_t) {
                                      if (ec) {
                                        result = ec;
                                        return finish();
                                      }
                                      loop(finish);
                                    });
          };
          loop(done);
        },
        timeout);
    // Not operation_aborted, which the cancelled read reports: that reads like an error.
    return finished ? result : asio::error::timed_out;
  }

  void close() { socket_.close(); }

 private:
  // Runs what `start` begins until it calls done, for at most `timeout`; false when it timed out
  // (the operation is then cancelled).
  template <class Start>
  bool run(Start start, Clock::duration timeout) {
    bool finished = false;
    io_.restart();
    start([&finished] { finished = true; });
    io_.run_for(timeout);
    if (finished) return true;
    error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    return false;
  }

  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
  std::array<char, 4096> scratch_{};
};

template <class Pred>
bool eventually(Pred pred, Clock::duration timeout = 3s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

bool is_closed(error_code ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

Limits test_limits() {
  Limits l;
  l.read_timeout = 1s;
  l.idle_timeout = 5s;
  l.handler_timeout = 5s;
  return l;
}

TEST(Server, GetBuildsTheRequest) {
  TestServer ts(test_limits());
  Client c(ts.port());
  const Reply r = c.get("/feeds/a%20b.xml?x=1&y=%41", {{"X-Custom", "hello"}});
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "GET /feeds/a b.xml|x=1&y=%41|127.0.0.1|loopback|hello|\n");
  EXPECT_EQ(r[http::field::server], "feedd");
  EXPECT_EQ(r[http::field::content_length], std::to_string(r.body().size()));
  EXPECT_EQ(r[http::field::content_type], "text/plain; charset=utf-8");
  const std::string date(r[http::field::date]);
  EXPECT_EQ(date.size(), 29u) << date;
  EXPECT_TRUE(date.ends_with(" GMT")) << date;
}

TEST(Server, RequestDetails) {
  TestServer ts(test_limits());
  Client c(ts.port());
  // Repeated headers are joined; names are lower-cased whatever the client sent.
  c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nX-CUSTOM: a\r\nx-custom: b\r\nContent-Length: 4\r\n\r\n"
      "data");
  Reply r;
  ASSERT_FALSE(c.read(r));
  EXPECT_EQ(r.body(), "POST /echo||127.0.0.1|loopback|a, b|data\n");
  // A traversal reaches the handler with an empty path, for it to refuse.
  EXPECT_EQ(c.get("/feeds/%2e%2e/secret").body(), "GET ||127.0.0.1|loopback|-|\n");
}

TEST(Server, KeepAliveServesTwoRequestsOnOneConnection) {
  TestServer ts(test_limits());
  Client c(ts.port());
  EXPECT_EQ(c.get("/one").body(), "GET /one||127.0.0.1|loopback|-|\n");
  EXPECT_EQ(c.get("/two").body(), "GET /two||127.0.0.1|loopback|-|\n");
  EXPECT_TRUE(eventually([&] { return ts.server().requests_served() == 2; }));
  EXPECT_EQ(ts.server().open_connections(), 1u);
}

TEST(Server, HeadSendsHeadersOnlyWithTheGetLength) {
  TestServer ts(test_limits());
  Client c(ts.port());
  const Reply get = c.get("/inject");
  c.request("HEAD", "/inject");
  Reply head;
  ASSERT_FALSE(c.read(head, /*head=*/true));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], std::to_string(get.body().size()));
  EXPECT_TRUE(head.body().empty());
  // Had the body been sent, it would be parsed as the next response and fail.
  EXPECT_EQ(c.get("/after").body(), "GET /after||127.0.0.1|loopback|-|\n");
}

TEST(Server, OversizedHeaderIs431) {
  TestServer ts(test_limits());
  Client c(ts.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
  Reply r;
  ASSERT_FALSE(c.read(r));
  EXPECT_EQ(r.result_int(), 431);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(is_closed(c.wait_closed(3s)));
}

TEST(Server, OversizedBodyIs413) {
  TestServer ts(test_limits());
  Client c(ts.port());
  c.request("POST", "/refresh", {}, std::string(20 * 1024, 'b'));
  Reply r;
  ASSERT_FALSE(c.read(r));
  EXPECT_EQ(r.result_int(), 413);
  EXPECT_TRUE(is_closed(c.wait_closed(3s)));
}

TEST(Server, MalformedRequestsAre400) {
  const std::vector<std::string> cases = {
      "GARBAGE\r\n\r\n",
      "GET /\r\n\r\n",
      "GET / HTTP/9.9.9\r\n\r\n",
      "G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
  };
  TestServer ts(test_limits());
  for (const auto& raw : cases) {
    SCOPED_TRACE(raw);
    Client c(ts.port());
    c.send(raw);
    Reply r;
    ASSERT_FALSE(c.read(r));
    EXPECT_EQ(r.result_int(), 400);
    EXPECT_TRUE(is_closed(c.wait_closed(3s)));
  }
}

// Limits whose read_timeout stands apart from every other timeout, so that a connection closed
// by another one (idle, handler) cannot pass for one closed by the read timeout.
Limits read_timeout_limits(std::chrono::seconds read_timeout) {
  Limits l = test_limits();
  l.read_timeout = read_timeout;
  l.idle_timeout = 60s;
  l.handler_timeout = 60s;
  return l;
}

TEST(Server, SlowClientIsClosedWhileOthersAreServed) {
  TestServer ts(read_timeout_limits(2s));
  Client slow(ts.port());
  const auto start = Clock::now();
  slow.send("GET / HTTP/1.1\r\nHost: x\r\nX-Drip: aaa");
  Client fast(ts.port());
  EXPECT_EQ(fast.get("/fast").result_int(), 200);
  // Served while the slow one still hangs: a server busy with it would answer only once it closed.
  EXPECT_EQ(slow.wait_closed(1ms), asio::error::timed_out);
  const error_code ec = slow.wait_closed(20s);
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(is_closed(ec)) << ec.message();
  EXPECT_GE(elapsed, 1900ms);
  EXPECT_LT(elapsed, 10s);  // the read timeout, far below the others (60 s)
  // The fast client's keep-alive connection is still usable.
  EXPECT_EQ(fast.get("/again").result_int(), 200);
}

TEST(Server, DrippingDoesNotExtendTheDeadline) {
  // A byte every 100 ms for up to 6 s: a server that restarted its 1 s read timeout on every byte
  // would keep the connection open all that time.
  TestServer ts(read_timeout_limits(1s));
  Client slow(ts.port());
  slow.send("GET / HTTP/1.1\r\nX-A: ");
  const auto start = Clock::now();
  error_code ec = asio::error::timed_out;
  while (ec == asio::error::timed_out && Clock::now() - start < 6s) {
    ec = slow.wait_closed(100ms);
    if (ec != asio::error::timed_out) break;
    try {
      slow.send("a");
    } catch (const boost::system::system_error& e) {
      ec = e.code();  // the server closed between the read and this write
    }
  }
  const auto closed_after = Clock::now() - start;
  EXPECT_TRUE(is_closed(ec) || ec == asio::error::broken_pipe) << ec.message();
  EXPECT_GE(closed_after, 900ms);
  EXPECT_LT(closed_after, 5s);  // about read_timeout after the first byte, not after the last
  EXPECT_TRUE(eventually([&] { return ts.server().open_connections() == 0; }));
}

TEST(Server, AsynchronousHandlerResponse) {
  TestServer ts(test_limits());
  Client c(ts.port());
  const auto start = Clock::now();
  const Reply r = c.get("/async");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "late\n");
  EXPECT_GE(Clock::now() - start, 90ms);
  EXPECT_EQ(c.get("/sync").result_int(), 200);  // the connection stays usable
}

TEST(Server, HandlerThatNeverRespondsGets503) {
  Limits l = test_limits();
  l.handler_timeout = 1s;
  TestServer ts(l);
  Client c(ts.port());
  const auto start = Clock::now();
  const Reply r = c.get("/never");
  EXPECT_EQ(r.result_int(), 503);
  EXPECT_GE(Clock::now() - start, 900ms);
  EXPECT_TRUE(eventually([&] { return ts.server().open_connections() == 0; }));
}

TEST(Server, ThrowingHandlerGets500AndTheServerLives) {
  TestServer ts(test_limits());
  Client c(ts.port());
  EXPECT_EQ(c.get("/throw").result_int(), 500);
  Client d(ts.port());
  EXPECT_EQ(d.get("/ok").result_int(), 200);
}

TEST(Server, HandlerHeadersCannotSplitOrReframe) {
  TestServer ts(test_limits());
  Client c(ts.port());
  const Reply r = c.get("/inject");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r["X-Note"], "aInjected: 1");
  EXPECT_EQ(r.count("Injected"), 0u);
  EXPECT_EQ(r.count("Bad Name"), 0u);
  EXPECT_EQ(r[http::field::content_length], "3");
  EXPECT_EQ(r.body(), "ok\n");
}

TEST(Server, MaxConnectionsEvictsTheLongestWaitingIdleConnection) {
  // Regression: at the limit a new reader was closed at once while idle sockets squatted the
  // slots until their timeouts (a thousand idle connections locked everyone out).
  Limits l = test_limits();
  l.max_connections = 2;
  TestServer ts(l);
  auto a = std::make_unique<Client>(ts.port());
  Client b(ts.port());
  EXPECT_EQ(a->get("/a").result_int(), 200);
  EXPECT_EQ(b.get("/b").result_int(), 200);
  ASSERT_EQ(ts.server().open_connections(), 2u);
  Client c(ts.port());
  EXPECT_EQ(c.get("/c").result_int(), 200);
  EXPECT_TRUE(is_closed(a->wait_closed(2s)));  // the oldest waiting one made room
  EXPECT_LE(ts.server().open_connections(), 2u);
  EXPECT_EQ(c.get("/c2").result_int(), 200);
}

TEST(Server, MaxConnectionsRefusesWhenEveryConnectionIsBusy) {
  Limits l = test_limits();
  l.max_connections = 2;
  TestServer ts(l);
  Client x(ts.port());
  Client y(ts.port());
  x.request("GET", "/slow");
  y.request("GET", "/slow");
  ASSERT_TRUE(eventually([&] { return ts.slow_requests() == 2; }));  // both are busy
  Client refused(ts.port());  // the kernel accepts; nothing may be evicted, so it is closed
  EXPECT_TRUE(is_closed(refused.wait_closed(2s)));
  Reply r;
  ASSERT_FALSE(x.read(r));
  EXPECT_EQ(r.result_int(), 200);
}

TEST(Server, StopClosesIdleConnectionsAndFinishesRequestsInProgress) {
  TestServer ts(test_limits());
  Client idle(ts.port());
  EXPECT_EQ(idle.get("/first").result_int(), 200);
  Client busy(ts.port());
  busy.request("GET", "/slow");
  ASSERT_TRUE(eventually([&] { return ts.slow_requests() == 1; }));  // a request in progress
  ts.on_io([&] {
    ts.server().stop();
    return 0;
  });
  EXPECT_TRUE(is_closed(idle.wait_closed(2s)));
  Reply r;
  ASSERT_FALSE(busy.read(r));
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "late\n");
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(is_closed(busy.wait_closed(3s)));
  EXPECT_THROW(Client late(ts.port()), boost::system::system_error);
}

TEST(Server, Ipv6Loopback) {
  std::unique_ptr<TestServer> ts;
  try {
    ts = std::make_unique<TestServer>(test_limits(), "::1");
  } catch (const boost::system::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  Client c(ts->port(), "::1");
  EXPECT_EQ(c.get("/v6").body(), "GET /v6||::1|loopback|-|\n");
}

TEST(Server, ListenOnABusyPortThrows) {
  TestServer ts(test_limits());
  asio::io_context io;
  Server other(io, test_limits(), [](const Request&, auto) {});
  EXPECT_THROW(other.listen("127.0.0.1", ts.port()), boost::system::system_error);
  EXPECT_THROW(other.listen("no.such.host.invalid", 0), boost::system::system_error);
}

}  // namespace
}  // namespace feedd::serve
