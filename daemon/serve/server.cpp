#include "serve/http.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <limits>
#include <optional>
#include <unordered_map>

#include "util/ascii.hpp"
#include "util/time.hpp"

namespace feedd::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

bool loopback(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = a.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Header values from the handler must not split the response (CR/LF) or end it early (NUL).
std::string field_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  }
  return out;
}

// Fields the server owns; a handler's copy is dropped so the framing cannot be wrong.
bool server_owned(std::string_view name) {
  for (std::string_view owned :
       {"content-length", "transfer-encoding", "connection", "server", "date", "keep-alive"}) {
    if (ascii_iequals(name, owned)) return true;
  }
  return false;
}

class Session;

struct Core : std::enable_shared_from_this<Core> {
  Core(asio::io_context& io_, Limits limits_, Handler handler_)
      : io(io_), limits(limits_), handler(std::move(handler_)), acceptor(io_), retry_timer(io_) {}

  void accept();
  void on_accept(error_code ec, tcp::socket socket);
  void stop(bool everything);
  void evict_oldest_waiting();

  asio::io_context& io;
  const Limits limits;
  Handler handler;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  bool stopping = false;
  // Atomic so that a monitoring thread may read them; everything else is io-thread only.
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::size_t> open{0};
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

// One connection. Kept alive by its pending operations (each holds a shared_ptr); the
// `respond` callback given to the handler holds only a weak_ptr, so a handler that keeps it
// forever does not keep the connection.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Core> core, tcp::socket socket, std::uint64_t id, std::string peer,
          bool peer_loopback)
      : core_(std::move(core)),
        stream_(std::move(socket)),
        // Whole-request bound on buffered bytes; the parser's limits normally trip first.
        buffer_(core_->limits.max_header_bytes + core_->limits.max_body_bytes + 4096),
        handler_timer_(stream_.get_executor()),
        peer_(std::move(peer)),
        peer_loopback_(peer_loopback),
        id_(id) {}

  ~Session() {
    if (state_ != State::closed) forget();
  }

  void start() { read_request(); }

  // Closes the connection if no request is under way (Server::stop).
  void close_if_idle() {
    const bool nothing_read =
        state_ == State::reading && parser_ && !parser_->got_some() && buffer_.size() == 0;
    if (state_ == State::idle || nothing_read) close();
  }

  // True while the connection only waits for a request (between requests, or one not yet
  // complete): closing it loses no work.
  bool evictable() const { return state_ == State::idle || state_ == State::reading; }

  void close() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    handler_timer_.cancel();
    stream_.close();
    forget();
  }

 private:
  enum class State { idle, reading, handling, writing, lingering, closed };

  void forget() {
    core_->sessions.erase(id_);
    --core_->open;
  }

  // Between keep-alive requests: wait up to idle_timeout for the next request's first byte,
  // then give the whole request read_timeout.
  void wait_for_request() {
    state_ = State::idle;
    if (buffer_.size() > 0) return read_request();  // pipelined
    stream_.expires_after(core_->limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(1024),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (self->state_ != State::idle) return;
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    state_ = State::reading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        core_->limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(core_->limits.max_body_bytes);
    // The deadline is absolute: a client dripping bytes does not extend it.
    stream_.expires_after(core_->limits.read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (state_ != State::reading) return;
    if (!ec) return dispatch();
    // Timeouts and network errors leave nothing to answer on (tcp_stream has closed the
    // socket on timeout); parse errors get a status.
    if (ec == http::error::header_limit) return fail(431, "request header too large");
    if (ec == http::error::body_limit) return fail(413, "request body too large");
    if (ec == http::error::buffer_overflow) {
      return parser_->is_header_done() ? fail(413, "request body too large")
                                       : fail(431, "request header too large");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return fail(400, "bad request");
    }
    close();
  }

  void fail(int status, std::string reason) {
    send(text_response(status, std::move(reason)), 11, false, false);
  }

  void dispatch() {
    auto& msg = parser_->get();
    Request r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    std::string_view target = r.target;
    const std::size_t q = target.find('?');
    r.path = decode_path(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    for (const auto& field : msg) {
      std::string name(field.name_string());
      ascii_lower_in_place(name);
      auto [it, inserted] = r.headers.emplace(std::move(name), std::string(field.value()));
      // Repeated fields are one comma-separated list (RFC 9110 §5.3).
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    r.body = std::move(msg.body());
    r.peer = peer_;
    r.peer_loopback = peer_loopback_;

    head_ = msg.method() == http::verb::head;
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    parser_.reset();

    state_ = State::handling;
    const std::uint64_t seq = ++seq_;
    handler_timer_.expires_after(core_->limits.handler_timeout);
    handler_timer_.async_wait([self = shared_from_this(), seq](error_code ec) {
      if (!ec) self->on_response(seq, text_response(503, "no response in time"), true);
    });
    std::weak_ptr<Session> weak = shared_from_this();
    auto respond = [weak, seq, ex = stream_.get_executor()](Response resp) {
      // Always posted: safe from any thread and never re-enters the session mid-dispatch.
      asio::post(ex, [weak, seq, resp = std::move(resp)]() mutable {
        if (auto self = weak.lock()) self->on_response(seq, std::move(resp), false);
      });
    };
    try {
      core_->handler(r, std::move(respond));
    } catch (...) {
      // A throwing handler must not take the io_context (and the daemon) down with it.
      on_response(seq, text_response(500, "internal error"), true);
    }
  }

  void on_response(std::uint64_t seq, Response resp, bool close_after) {
    if (seq != seq_ || state_ != State::handling) return;  // late, or already answered
    handler_timer_.cancel();
    send(std::move(resp), version_, head_, keep_alive_ && !close_after);
  }

  void send(Response r, unsigned version, bool head, bool keep_alive) {
    state_ = State::writing;
    keep_alive = keep_alive && !core_->stopping;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version);
    const int status = r.status < 100 || r.status > 599 ? 500 : r.status;
    res->result(static_cast<unsigned>(status));
    for (const auto& [name, value] : r.headers) {
      if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char) ||
          server_owned(name)) {
        continue;
      }
      res->insert(name, field_value(value));
    }
    res->set(http::field::server, "feedd");
    res->set(http::field::date, format_rfc822_gmt(now_seconds()));
    if (status >= 200 && status != 204 && status != 304) {
      res->content_length(r.body.size());
      if (!head) res->body() = std::move(r.body);
    }
    res->keep_alive(keep_alive);
    // A client that does not read its response is not allowed to hold the connection either.
    stream_.expires_after(std::max(core_->limits.read_timeout, core_->limits.idle_timeout));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](error_code ec, std::size_t) {
                        self->on_write(ec, keep_alive);
                      });
  }

  void on_write(error_code ec, bool keep_alive) {
    if (state_ != State::writing) return;
    if (ec) return close();
    ++core_->served;
    if (!keep_alive || core_->stopping) return linger();
    wait_for_request();
  }

  // Half-close, then read and discard what the client still sends, so that closing with
  // unread input (e.g. after a 431) does not reset the connection before the client has
  // read our response.
  void linger() {
    state_ = State::lingering;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min(core_->limits.read_timeout, std::chrono::seconds{2}));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (self->state_ != State::lingering) return;
                              self->drained_ += n;
                              if (ec || self->drained_ > (1u << 20)) return self->close();
                              self->drain();
                            });
  }

  std::shared_ptr<Core> core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer handler_timer_;
  std::string peer_;
  bool peer_loopback_;
  std::uint64_t id_;
  std::uint64_t seq_ = 0;
  State state_ = State::reading;
  bool head_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::array<char, 4096> drain_{};
  std::size_t drained_ = 0;
};

void Core::accept() {
  acceptor.async_accept(io, [self = shared_from_this()](error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void Core::on_accept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || stopping || !acceptor.is_open()) return;
  if (ec) {
    // E.g. EMFILE: retrying at once would spin.
    retry_timer.expires_after(std::chrono::milliseconds(100));
    retry_timer.async_wait([self = shared_from_this()](error_code e) {
      if (!e && !self->stopping) self->accept();
    });
    return;
  }
  error_code peer_ec;
  const tcp::endpoint remote = socket.remote_endpoint(peer_ec);
  if (!peer_ec && open >= limits.max_connections) evict_oldest_waiting();
  if (peer_ec || open >= limits.max_connections) {
    error_code ignored;
    socket.close(ignored);
  } else {
    const std::uint64_t id = next_id++;
    auto session =
        std::make_shared<Session>(shared_from_this(), std::move(socket), id,
                                  remote.address().to_string(), loopback(remote.address()));
    sessions.emplace(id, session);
    ++open;
    session->start();
  }
  accept();
}

void Core::evict_oldest_waiting() {
  // At the limit, the connection that has waited longest without a request in progress makes
  // room: idle or trickling clients cannot lock out a reader, and no response is cut off.
  std::shared_ptr<Session> oldest;
  std::uint64_t oldest_id = 0;
  for (auto& [id, weak] : sessions) {
    auto s = weak.lock();
    if (s && s->evictable() && (!oldest || id < oldest_id)) {
      oldest = std::move(s);
      oldest_id = id;
    }
  }
  if (oldest) oldest->close();
}

void Core::stop(bool everything) {
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  retry_timer.cancel();
  // Collect first: closing a session erases it from the map.
  std::vector<std::shared_ptr<Session>> live;
  for (auto& [id, weak] : sessions) {
    if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) {
    if (everything) {
      s->close();
    } else {
      s->close_if_idle();
    }
  }
}

}  // namespace

struct Server::Impl : Core {
  using Core::Core;
};

bool is_loopback_address(std::string_view address) {
  error_code ec;
  const auto a = asio::ip::make_address(std::string(address), ec);
  return !ec && loopback(a);
}

Server::Server(asio::io_context& io, Limits limits, Handler handler)
    : impl_(std::make_shared<Impl>(io, limits, std::move(handler))) {}

Server::~Server() {
  impl_->stop(true);
}

void Server::listen(const std::string& host, std::uint16_t port) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  tcp::endpoint endpoint;
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(impl_->io);
    const auto results = resolver.resolve(host, std::to_string(port));  // throws
    if (results.empty()) {
      throw boost::system::system_error(asio::error::host_not_found, "resolve " + host);
    }
    endpoint = *results.begin();
  }
  tcp::acceptor& a = impl_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(endpoint);
  a.listen(asio::socket_base::max_listen_connections);
  impl_->stopping = false;
  impl_->accept();
}

std::uint16_t Server::port() const {
  error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void Server::stop() {
  impl_->stop(false);
}

std::uint64_t Server::requests_served() const {
  return impl_->served.load();
}

std::size_t Server::open_connections() const {
  return impl_->open.load();
}

}  // namespace feedd::serve
