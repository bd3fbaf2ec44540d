#pragma once
// The fetch stage: Source + validators → FetchResult. The Fetcher interface lets the
// pipeline and the scheduler run against a fake in tests; make_curl_fetcher() is the real one.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace feedd::fetch {

// HTTP validators remembered per channel for conditional GET.
struct Validators {
  std::string etag;
  std::string last_modified;
  bool operator==(const Validators&) const = default;
};

struct Request {
  std::string key;  // caller's identity for the request (the channel path); echoed back
  std::string url;  // absolute http(s):// or file:// URL
  Validators validators;
};

enum class Outcome {
  kOk,            // 2xx with a body (or a file:// read)
  kNotModified,   // 304: nothing to parse
  kHttpError,     // 4xx/5xx other than 304
  kNetworkError,  // DNS, connect, TLS, reset, redirect loop, bad URL ...
  kTimeout,       // connect or total time limit hit
  kTooLarge,      // body over the cap (after decompression)
  kCancelled,     // Fetcher::cancel() was called before it finished: nothing is known
};

// Stable lower-case names for logs and metrics ("ok", "not_modified", "http_error", ...).
const char* outcome_name(Outcome o);

struct Result {
  std::string key;
  std::string url;            // the URL that was requested (not redacted: redact when logging)
  std::string effective_url;  // after redirects; base URL for relative links
  Outcome outcome = Outcome::kNetworkError;
  long http_status = 0;      // 0 when no HTTP response
  std::string reason;        // human-readable, e.g. "HTTP 404 Not Found", "timed out after 30 s"
  std::string body;          // decompressed; only for kOk
  std::string content_type;  // Content-Type header, for the charset fallback
  Validators validators;     // from this response (kOk), else the request's
  std::optional<std::chrono::seconds> retry_after;  // from 429/503 Retry-After
  std::optional<std::chrono::seconds> max_age;      // from Cache-Control: max-age
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return outcome == Outcome::kOk || outcome == Outcome::kNotModified; }
};

struct Limits {
  int max_parallel = 8;
  int max_per_host = 2;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds total_timeout{30};  // also ends a drip-feed
  std::size_t max_body = 16u << 20;        // after decompression
  int max_redirects = 5;
  std::string user_agent;  // default: kUserAgent ("feedd/<version>")
  std::string accept;      // the Accept header; default: the feed types
  // The Referer for a request's URL, "" for none (image hosts that refuse hotlinks want their
  // own site's). Called on the fetch_all thread; unset: no Referer.
  std::function<std::string(const std::string& url)> referer;
  // The SSRF guard (lib/curl/address_guard.hpp): when true, no connection goes to a loopback,
  // private, link-local, multicast or unspecified address, on any hop; a refused request is a
  // kNetworkError "refused: address A is KIND". For URLs from upstream content (images); feeds'
  // own URLs come from the owner's config and may be anywhere.
  bool refuse_private_addresses = false;
  // Endpoints ("127.0.0.1:8080", "[::1]:8080") the guard lets through all the same: the tests'
  // own loopback servers.
  std::vector<std::string> exempt_endpoints;
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Fetches every request concurrently within the limits; blocks until all are done.
  // `on_result` (optional) is called on the calling thread as each one finishes, in completion
  // order; the returned vector has one Result per request in request order. `on_result` may
  // move the body out (the cycle does, so a big fetch never holds every body at once): the
  // returned Result then has whatever the callback left.
  // Never throws for per-request failures: those are Results.
  virtual std::vector<Result> fetch_all(const std::vector<Request>& requests,
                                        const std::function<void(Result&)>& on_result = {}) = 0;

  // Thread-safe, callable from any thread (the daemon's shutdown path). A fetch_all in
  // progress returns promptly, and every later one at once, with kCancelled for whatever had
  // not finished. Irreversible: a cancelled Fetcher is only good for being destroyed.
  virtual void cancel() = 0;
};

// libcurl multi implementation. Not thread-safe: one fetch_all at a time per instance.
// Throws std::runtime_error if libcurl cannot be initialised.
std::unique_ptr<Fetcher> make_curl_fetcher(Limits limits = {});

}  // namespace feedd::fetch
