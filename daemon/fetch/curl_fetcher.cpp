// make_curl_fetcher(): the libcurl multi implementation of Fetcher.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "fetch/fetcher.hpp"
#include "fetch/http_headers.hpp"
#include "lib/curl/address_guard.hpp"
#include "lib/curl/easy.hpp"
#include "lib/curl/multi.hpp"
#include "lib/curl/slist.hpp"
#include "lib/curl/url.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::fetch {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxStatusLine = 256;
constexpr std::size_t kMaxContentType = 256;

// One in-flight request. Heap-allocated and never moved: libcurl holds pointers into it
// (callbacks' user data, the error buffer, the header list).
struct Transfer {
  std::size_t index = 0;
  const Request* request = nullptr;
  std::string host_key;
  std::size_t max_body = 0;
  lib::CurlEasy easy;
  lib::CurlSlist headers;
  std::optional<lib::AddressGuard> guard;  // with Limits::refuse_private_addresses
  std::string body;
  std::string status_line;  // of the latest response (redirects and 1xx replace it)
  bool too_large = false;
  bool error_body = false;  // body of a 4xx/5xx: aborted unread
  char errbuf[CURL_ERROR_SIZE] = {};
  Clock::time_point started;

  static size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * count;
    long status = 0;
    curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) {
      // Nobody parses an error page; stop instead of downloading (or drip-feeding) it.
      t->error_body = true;
      return 0;
    }
    if (status >= 300) return len;  // body of a redirect: not ours to keep
    // libcurl calls us with decoded data, so this caps the size after decompression and a
    // gzip bomb is stopped after at most max_body + one chunk.
    if (len > t->max_body - t->body.size()) {
      t->too_large = true;
      return 0;  // anything but `len` aborts the transfer with CURLE_WRITE_ERROR
    }
    if (t->body.empty()) {
      // The body arrives in chunks of a few KB: make room for all of it at once rather than
      // growing (and copying) it a dozen times. The declared length is only a hint (a
      // compressed body decodes to more), never more than max_body (CURLOPT_MAXFILESIZE_LARGE
      // refused a larger one already).
      curl_off_t declared = -1;
      curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &declared);
      if (declared > 0 && static_cast<std::size_t>(declared) <= t->max_body) {
        t->body.reserve(static_cast<std::size_t>(declared));
      }
    }
    t->body.append(data, len);
    return len;
  }

  static size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * count;
    std::string_view line(data, len);
    // Every response of a redirect chain starts with its status line; the named headers are
    // read later through curl_easy_header, which already tracks the last response.
    if (line.starts_with("HTTP/")) t->status_line = line.substr(0, kMaxStatusLine);
    return len;
  }
};

std::string seconds_text(std::chrono::seconds s) {
  return std::to_string(s.count()) + " s";
}

// Validator from a response header, or "" if absent or unfit to be sent back later.
std::string response_validator(const lib::CurlEasy& easy, const char* name) {
  auto v = easy.header(name);
  if (!v || !is_safe_header_value(*v)) return {};
  return *v;
}

std::string network_reason(CURLcode code, const char* errbuf) {
  const std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      // libcurl's text already reads "Could not resolve host: NAME".
      return detail.starts_with("Could not resolve")
                 ? "could not resolve" + detail.substr(std::strlen("Could not resolve"))
                 : "could not resolve host: " + detail;
    case CURLE_COULDNT_CONNECT:
      return "could not connect: " + detail;
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "unsupported protocol: " + detail;
    case CURLE_URL_MALFORMAT:
      return "invalid URL: " + detail;
    case CURLE_FILE_COULDNT_READ_FILE:
      return "could not read file: " + detail;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      return "TLS error: " + detail;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return "connection failed: " + detail;
    case CURLE_BAD_CONTENT_ENCODING:
      return "bad content encoding: " + detail;
    default:
      return detail;
  }
}

class CurlFetcher final : public Fetcher {
 public:
  explicit CurlFetcher(Limits limits) : limits_(std::move(limits)) {
    limits_.max_parallel = std::max(1, limits_.max_parallel);
    limits_.max_per_host = std::max(1, limits_.max_per_host);
    limits_.max_redirects = std::max(0, limits_.max_redirects);
    if (limits_.user_agent.empty()) limits_.user_agent = kUserAgent;
    if (limits_.accept.empty()) {
      limits_.accept =
          "application/rss+xml, application/atom+xml, application/rdf+xml, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";
    }
    // Our own queue already enforces both limits (so a queued transfer's timeout does not
    // start ticking inside libcurl); these make libcurl's connection pool agree with it.
    multi_.set(CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(limits_.max_parallel));
    multi_.set(CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(limits_.max_per_host));
  }

  std::vector<Result> fetch_all(const std::vector<Request>& requests,
                                const std::function<void(Result&)>& on_result) override;

  void cancel() override {
    cancelled_ = true;
    // Ends a curl_multi_poll() in progress at once instead of after its timeout.
    curl_multi_wakeup(multi_.get());
  }

 private:
  class Batch;

  std::unique_ptr<Transfer> make_transfer(std::size_t index, const Request& request);
  Result finish(Transfer& t, CURLcode code) const;

  Limits limits_;
  lib::CurlMulti multi_;
  std::atomic<bool> cancelled_{false};
};

// One fetch_all call: every request ends in exactly one result, reported through on_result as
// it ends. Requests wait per host, in request order. `ready_` holds the hosts that have a
// request waiting and a connection to spare, by the index of their first waiting request: the
// next transfer is always the earliest request that may start, and finding it costs the same
// whether three or three thousand channels share a host (RSSHub). Scanning one queue for it,
// parsing every waiting URL each time, was quadratic in the channels of a host.
class CurlFetcher::Batch {
 public:
  // Queues the fetchable requests by host; the others wait for fail_invalid.
  Batch(CurlFetcher& fetcher, const std::vector<Request>& requests,
        const std::function<void(Result&)>& on_result);
  // Detaches whatever is still running if fetch_all is left by an exception (e.g. from
  // on_result).
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Ends every request whose URL cannot be fetched, in request order.
  void fail_invalid();
  // Starts the earliest waiting requests while the limits allow.
  void start_ready();
  // Turns every finished transfer into its result and makes its host ready for the next one.
  void collect_done();
  // Ends every running transfer and then every waiting request (in request order, as they
  // would have started) as cancelled.
  void cancel_rest();
  bool idle() const { return active_.empty(); }
  // The results, by request index; the Batch is spent.
  std::vector<Result> take_results() { return std::move(results_); }

 private:
  // Stores the result of request `index` and reports it through on_result.
  void complete(Result r, std::size_t index);
  // A result for a request that never got a response.
  void failed(std::size_t index, Outcome outcome, std::string reason);
  // Puts `host` in ready_ when it has a request waiting and a connection to spare.
  void mark_ready(const std::string& host);

  CurlFetcher& fetcher_;
  const std::vector<Request>& requests_;
  const std::function<void(Result&)>& on_result_;
  std::vector<Result> results_;
  std::map<std::string, int> per_host_;
  std::map<CURL*, std::unique_ptr<Transfer>> active_;
  std::map<std::string, std::deque<std::size_t>> waiting_;
  std::set<std::pair<std::size_t, std::string>> ready_;
  std::vector<std::size_t> invalid_;
};

std::unique_ptr<Transfer> CurlFetcher::make_transfer(std::size_t index, const Request& request) {
  auto t = std::make_unique<Transfer>();
  t->index = index;
  t->request = &request;
  t->max_body = limits_.max_body;
  lib::CurlEasy& e = t->easy;
  e.set(CURLOPT_URL, request.url);
  e.set(CURLOPT_PROTOCOLS_STR, "http,https,file");
  // Never let an upstream redirect reach file:// (or anything else) on our side.
  e.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  e.set(CURLOPT_FOLLOWLOCATION, 1L);
  e.set(CURLOPT_MAXREDIRS, static_cast<long>(limits_.max_redirects));
  e.set(CURLOPT_NOSIGNAL, 1L);  // we run in a multi-threaded daemon
  e.set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits_.connect_timeout.count() * 1000));
  e.set(CURLOPT_TIMEOUT_MS, static_cast<long>(limits_.total_timeout.count() * 1000));
  e.set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl can decode
  e.set(CURLOPT_USERAGENT, limits_.user_agent);
  // Rejects a declared Content-Length over the cap before any body byte is read.
  const auto max_off = static_cast<std::size_t>(std::numeric_limits<curl_off_t>::max());
  e.set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(std::min(limits_.max_body, max_off)));
  e.set(CURLOPT_ERRORBUFFER, t->errbuf);
  e.set(CURLOPT_WRITEFUNCTION, &Transfer::on_write);
  e.set(CURLOPT_WRITEDATA, static_cast<void*>(t.get()));
  e.set(CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  e.set(CURLOPT_HEADERDATA, static_cast<void*>(t.get()));
  e.set(CURLOPT_PRIVATE, static_cast<void*>(t.get()));

  if (limits_.refuse_private_addresses) {
    // Upstream content chose this URL: no file:// at all, and every hop's address checked.
    e.set(CURLOPT_PROTOCOLS_STR, "http,https");
    t->guard.emplace(limits_.exempt_endpoints);
    e.guard_addresses(&*t->guard);
  }
  if (limits_.referer) {
    if (const std::string referer = limits_.referer(request.url);
        !referer.empty() && is_safe_header_value(referer)) {
      e.set(CURLOPT_REFERER, referer);
    }
  }
  t->headers.append("Accept: " + limits_.accept);
  // Validators come from the store, i.e. from some earlier upstream: re-check them.
  if (!request.validators.etag.empty() && is_safe_header_value(request.validators.etag)) {
    t->headers.append("If-None-Match: " + request.validators.etag);
  }
  if (!request.validators.last_modified.empty() &&
      is_safe_header_value(request.validators.last_modified)) {
    t->headers.append("If-Modified-Since: " + request.validators.last_modified);
  }
  e.set(CURLOPT_HTTPHEADER, t->headers.get());
  return t;
}

Result CurlFetcher::finish(Transfer& t, CURLcode code) const {
  const Request& req = *t.request;
  lib::CurlEasy& e = t.easy;
  Result r;
  r.key = req.key;
  r.url = req.url;
  r.validators = req.validators;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t.started);
  const char* effective = e.info<char*>(CURLINFO_EFFECTIVE_URL);
  r.effective_url = effective != nullptr ? effective : req.url;
  r.http_status = e.info<long>(CURLINFO_RESPONSE_CODE);
  if (const char* ct = e.info<char*>(CURLINFO_CONTENT_TYPE);
      ct != nullptr && std::strlen(ct) <= kMaxContentType && is_safe_header_value(ct)) {
    r.content_type = ct;
  }
  const long status = r.http_status;
  const bool is_http = status != 0;

  if (is_http && (status == 429 || status == 503)) {
    if (auto v = e.header("Retry-After")) r.retry_after = parse_retry_after(*v, now_seconds());
  }
  const std::string http_reason = describe_status(status, status_line_reason(t.status_line));

  if (is_http && status >= 400) {
    // Whatever happened to the body (we abort it on purpose), the status is the news.
    r.outcome = Outcome::kHttpError;
    r.reason = http_reason;
  } else if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    r.outcome = Outcome::kTooLarge;
    r.reason = "body larger than " + describe_size(limits_.max_body);
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    r.outcome = Outcome::kTimeout;
    // A reused connection reports a connect time of 0, so also look at pretransfer.
    const bool connected = is_http || e.info<curl_off_t>(CURLINFO_CONNECT_TIME_T) > 0 ||
                           e.info<curl_off_t>(CURLINFO_PRETRANSFER_TIME_T) > 0;
    r.reason = connected ? "timed out after " + seconds_text(limits_.total_timeout)
                         : "connect timed out after " + seconds_text(limits_.connect_timeout);
  } else if (code == CURLE_TOO_MANY_REDIRECTS) {
    r.outcome = Outcome::kNetworkError;
    r.reason = "too many redirects (" + std::to_string(limits_.max_redirects) + ")";
  } else if (code == CURLE_UNSUPPORTED_PROTOCOL && e.info<long>(CURLINFO_REDIRECT_COUNT) > 0) {
    r.outcome = Outcome::kNetworkError;
    r.reason = "redirect refused: only http and https may be redirected to";
  } else if (code == CURLE_COULDNT_CONNECT && t.guard && !t.guard->refused().empty()) {
    r.outcome = Outcome::kNetworkError;
    r.reason = "refused: " + t.guard->refused();
  } else if (code != CURLE_OK) {
    r.outcome = Outcome::kNetworkError;
    r.reason = network_reason(code, t.errbuf);
  } else if (!is_http) {
    r.outcome = Outcome::kOk;  // file://
    r.reason = "read " + describe_size(t.body.size());
    r.body = std::move(t.body);
  } else if (status == 304) {
    r.outcome = Outcome::kNotModified;
    r.reason = http_reason;
    // A 304 may carry refreshed validators (RFC 9110 15.4.5); keep ours where it does not.
    if (auto etag = response_validator(e, "ETag"); !etag.empty()) r.validators.etag = etag;
    if (auto lm = response_validator(e, "Last-Modified"); !lm.empty()) {
      r.validators.last_modified = lm;
    }
    if (auto cc = e.header("Cache-Control")) r.max_age = parse_max_age(*cc);
  } else if (status >= 200 && status < 300) {
    r.outcome = Outcome::kOk;
    r.reason = http_reason;
    r.body = std::move(t.body);
    // The response's own validators, even when absent: stale ones would only cost a 200.
    r.validators = {response_validator(e, "ETag"), response_validator(e, "Last-Modified")};
    if (auto cc = e.header("Cache-Control")) r.max_age = parse_max_age(*cc);
  } else {
    // 1xx/3xx as final answer: e.g. a redirect without Location.
    r.outcome = Outcome::kHttpError;
    r.reason = http_reason;
  }
  r.reason = lib::redact_secrets_in(std::move(r.reason), req.url);
  return r;
}

CurlFetcher::Batch::Batch(CurlFetcher& fetcher, const std::vector<Request>& requests,
                          const std::function<void(Result&)>& on_result)
    : fetcher_(fetcher), requests_(requests), on_result_(on_result), results_(requests.size()) {
  for (std::size_t i = 0; i < requests_.size(); ++i) {
    if (!lib::is_fetchable_url(requests_[i].url)) {
      invalid_.push_back(i);
      continue;
    }
    auto& q = waiting_[lib::url_host(requests_[i].url)];
    q.push_back(i);
  }
  for (const auto& [host, q] : waiting_)
    ready_.emplace(q.front(), host);
}

CurlFetcher::Batch::~Batch() {
  for (auto& [handle, t] : active_)
    curl_multi_remove_handle(fetcher_.multi_.get(), handle);
}

void CurlFetcher::Batch::complete(Result r, std::size_t index) {
  results_[index] = std::move(r);
  if (on_result_) on_result_(results_[index]);
}

void CurlFetcher::Batch::failed(std::size_t index, Outcome outcome, std::string reason) {
  const Request& req = requests_[index];
  Result r;
  r.key = req.key;
  r.url = req.url;
  r.effective_url = req.url;
  r.validators = req.validators;
  r.outcome = outcome;
  r.reason = std::move(reason);
  complete(std::move(r), index);
}

void CurlFetcher::Batch::mark_ready(const std::string& host) {
  const auto w = waiting_.find(host);
  if (w == waiting_.end() || w->second.empty()) return;
  const auto used = per_host_.find(host);
  if (used != per_host_.end() && used->second >= fetcher_.limits_.max_per_host) return;
  ready_.emplace(w->second.front(), host);
}

void CurlFetcher::Batch::fail_invalid() {
  for (const std::size_t index : invalid_) {
    failed(index, Outcome::kNetworkError,
           "invalid URL (only absolute http, https and file URLs are fetched)");
  }
}

void CurlFetcher::Batch::start_ready() {
  const auto max_parallel = static_cast<std::size_t>(fetcher_.limits_.max_parallel);
  while (!ready_.empty() && active_.size() < max_parallel) {
    const std::string host = ready_.begin()->second;  // set elements are const: a copy
    ready_.erase(ready_.begin());
    auto& q = waiting_[host];
    const std::size_t index = q.front();
    q.pop_front();
    std::unique_ptr<Transfer> t;
    try {
      t = fetcher_.make_transfer(index, requests_[index]);
      t->host_key = host;
      t->started = Clock::now();
      fetcher_.multi_.add(t->easy);
    } catch (const std::exception& ex) {
      mark_ready(host);
      failed(index, Outcome::kNetworkError, std::string("cannot start transfer: ") + ex.what());
      continue;
    }
    ++per_host_[host];
    CURL* handle = t->easy.get();
    active_.emplace(handle, std::move(t));
    mark_ready(host);
  }
}

void CurlFetcher::Batch::collect_done() {
  while (CURLMsg* msg = fetcher_.multi_.info_read()) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* handle = msg->easy_handle;
    const CURLcode code = msg->data.result;  // msg dies with the next multi call
    auto node = active_.extract(handle);
    if (node.empty()) continue;
    std::unique_ptr<Transfer> t = std::move(node.mapped());
    fetcher_.multi_.remove(t->easy);
    if (--per_host_[t->host_key] == 0) per_host_.erase(t->host_key);
    mark_ready(t->host_key);
    Result r = fetcher_.finish(*t, code);
    const std::size_t index = t->index;
    t.reset();
    complete(std::move(r), index);
  }
}

void CurlFetcher::Batch::cancel_rest() {
  constexpr std::string_view kReason = "cancelled (shutting down)";
  for (auto& [handle, t] : active_) {
    curl_multi_remove_handle(fetcher_.multi_.get(), handle);
    failed(t->index, Outcome::kCancelled, std::string(kReason));
  }
  active_.clear();
  std::vector<std::size_t> rest;
  for (auto& [host, q] : waiting_) {
    rest.insert(rest.end(), q.begin(), q.end());
    q.clear();
  }
  std::sort(rest.begin(), rest.end());
  for (const std::size_t index : rest)
    failed(index, Outcome::kCancelled, std::string(kReason));
  ready_.clear();
}

std::vector<Result> CurlFetcher::fetch_all(const std::vector<Request>& requests,
                                           const std::function<void(Result&)>& on_result) {
  Batch batch(*this, requests, on_result);
  batch.fail_invalid();
  if (cancelled_) batch.cancel_rest();
  batch.start_ready();
  while (!batch.idle()) {
    if (cancelled_) {
      batch.cancel_rest();
      break;
    }
    multi_.perform();
    batch.collect_done();
    batch.start_ready();
    if (!batch.idle()) multi_.poll(std::chrono::milliseconds(1000));
  }
  return batch.take_results();
}

}  // namespace

std::unique_ptr<Fetcher> make_curl_fetcher(Limits limits) {
  return std::make_unique<CurlFetcher>(std::move(limits));
}

}  // namespace feedd::fetch
