#pragma once
// The serve stage: a small HTTP/1.1 server (Boost.Beast on Boost.Asio) plus pure helpers for
// what it serves. The server knows nothing of feeds: the app gives it one Handler. Static
// content is served only from a ViewMap — the allowlist of files feedd generated — so no
// request path can ever reach the file system.
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace feedd::serve {

struct Request {
  std::string method;  // "GET", "HEAD", "POST", ...
  std::string target;  // raw request target, e.g. "/feeds/all.xml?x=1"
  std::string path;    // target's path, percent-decoded; "" when it is malformed
  std::string query;   // raw query string without '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string peer;  // remote address, e.g. "127.0.0.1" or "::1"
  bool peer_loopback = false;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type etc.
  std::string body;  // for HEAD, the server sends headers only (Content-Length kept)
};

// Called on the io_context thread for every complete request. `respond` may be called later
// (asynchronously, from the io_context thread) but exactly once.
using Handler = std::function<void(const Request&, std::function<void(Response)> respond)>;

struct Limits {
  std::size_t max_header_bytes = std::size_t{8} * 1024;  // → 431
  std::size_t max_body_bytes = std::size_t{16} * 1024;   // → 413
  // At the limit a new connection evicts the one that has waited longest without a request
  // in progress; when every connection is busy, it is closed at once.
  std::size_t max_connections = 512;
  std::chrono::seconds read_timeout{10};  // a request must arrive whole within this → 408/close
  std::chrono::seconds idle_timeout{30};  // keep-alive idle connections are closed after this
  std::chrono::seconds handler_timeout{120};  // a response not given by then → 503
};

// Owns its acceptor and connections. Construct, listen(), then run the io_context.
// Threading: all methods must be called on the io_context's thread (or before it runs).
class Server {
 public:
  Server(boost::asio::io_context& io, Limits limits, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds `host:port` (port 0 = any free port) and starts accepting. Throws
  // boost::system::system_error when the address cannot be bound (start-up error).
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const;

  // Stops accepting and closes idle connections; requests in progress finish.
  void stop();

  std::uint64_t requests_served() const;
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A generated file that may be served. Held compressed: feeds are what a daemon keeps in
// memory (a few hundred KB each, a tenth of that gzipped), and nearly every reader asks for
// gzip; the others get the bytes inflated for their request.
struct View {
  std::string content_type;  // e.g. "application/atom+xml; charset=utf-8"
  std::string etag;          // strong, quoted: "\"<hex>\""
  std::chrono::sys_seconds last_modified{};
  std::size_t size = 0;   // of the bytes as generated
  std::string gzip_body;  // those bytes gzip-compressed; "" when `body` holds them instead
  std::string body;       // the bytes themselves, only when they could not be compressed
};

// Builds a View: ETag from a hash of `body`, gzip precomputed.
View make_view(std::string content_type, std::string body, std::chrono::sys_seconds modified);

// The bytes a View was made from. Never throws but std::bad_alloc.
std::string identity_body(const View& view);

// URL path ("/feeds/all.xml") → View. Lookups are exact after percent-decoding; nothing else.
using ViewMap = std::map<std::string, std::shared_ptr<const View>>;

// GET/HEAD of a view with ETag / Last-Modified, 304 on If-None-Match / If-Modified-Since,
// gzip when Accept-Encoding allows it (Vary: Accept-Encoding). Other methods → 405.
// The gzip representation carries its own strong tag, "<hex>-gzip"; If-None-Match accepts
// either. For HEAD the body is kept: the server sends only its length.
Response serve_view(const View& view, const Request& request);

// GET/HEAD of a downloaded image (`images: download`), `<folder>/<name>`. Only a name that
// is_image_file_name (util/image_name.hpp) is looked up, so no request reaches any other file;
// anything else is 404. The name is a hash of the content: it is the ETag (304 on a match),
// and the response may be cached for a year as immutable. Served with nosniff and a CSP that
// lets the bytes run nothing. Reads the file on the calling thread, at most 64 MiB (larger is
// 404: feedd never writes one). Other methods → 405. Never throws but std::bad_alloc.
Response serve_image_file(const std::filesystem::path& folder, std::string_view name,
                          const Request& request);

// Percent-decodes a URL path; "" when it is malformed or could escape: bad %xx, NUL (and any
// other control character), '\\', "." or ".." segments, "//" — checked after decoding, so
// "%2e%2e" and "%2f" count. Decodes once: "%252e" is the literal name "%2e".
std::string decode_path(std::string_view raw_path);

// True for 127.0.0.0/8, ::1 and IPv4-mapped ::ffff:127.x.y.z; false for anything else,
// including text that is not an address.
bool is_loopback_address(std::string_view address);

// Plain responses: text/plain body with the reason, or JSON.
Response text_response(int status, std::string body);
Response json_response(int status, std::string body);

}  // namespace feedd::serve
