#pragma once
// The daemon's HTTP API as a pure router: Request → Response over an ApiContext the daemon
// implements. Kept apart from the daemon so tests can call it with any peer (e.g. a
// non-loopback one) and any state.
//
//   GET|HEAD /feeds/….xml, /feeds.opml   generated views only (ETag, 304, gzip)
//   GET  /                               status page
//   GET  /healthz                        "ok"
//   GET  /metrics                        Prometheus text format
//   POST /refresh[?channel=PATH…]        202 + JSON {"id":N,...}; 303 → / for HTML forms
//   GET  /refresh/N                      JSON progress of refresh N
//   GET|HEAD /images/hash.ext            downloaded images (images: download): <hash>.<ext>
//   GET|HEAD /img/signature/url          proxied images (images: proxy): route_async only;
//                                        (signature: HMAC-SHA256 hex; url: base64url, unpadded)
//                                        403 for a bad signature, 404 for a malformed path
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/refresh_tracker.hpp"
#include "image/proxy.hpp"
#include "serve/http.hpp"
#include "serve/status.hpp"

namespace feedd::app {

struct RefreshTicket {
  std::uint64_t id = 0;
  std::vector<std::string> channels;  // accepted paths
  std::vector<std::string> unknown;   // requested paths that are not configured
};

// Called on the daemon's event-loop thread only.
class ApiContext {
 public:
  virtual ~ApiContext() = default;
  virtual const serve::ViewMap& views() const = 0;
  virtual serve::StatusSnapshot status() const = 0;
  virtual const std::string& refresh_token() const = 0;
  // Marks channels (all when empty) due now. Nothing is scheduled when any path is unknown.
  virtual RefreshTicket request_refresh(const std::vector<std::string>& channels) = 0;
  // JSON body for GET /refresh/N, nullopt when N is unknown.
  virtual std::optional<std::string> refresh_progress(std::uint64_t id) const = 0;
  // The folder of downloaded images (<output>/images) served under /images/; empty (the
  // default) serves none.
  virtual std::filesystem::path image_folder() const { return {}; }
  // images: proxy — the signer of /img/ paths and the cache of the images fetched; nullptr
  // (the default: /img/ is 404) in the other modes.
  virtual const image::UrlSigner* image_signer() const { return nullptr; }
  virtual image::ProxyCache* image_cache() { return nullptr; }
  // images: proxy — fetches the signed `url` off the loop thread (image::ProxyFetcher);
  // `done` runs once, on the loop thread.
  // The default (no proxy) answers 503 at once.
  virtual void fetch_image(std::string url, std::function<void(image::ProxyReply)> done);
};

serve::Response route(ApiContext& ctx, const serve::Request& request);

// route(), and /img/ (images: proxy), whose misses are answered after the upstream fetch:
// `respond` runs once, on the loop thread (now or after ctx.fetch_image).
void route_async(ApiContext& ctx, const serve::Request& request,
                 std::function<void(serve::Response)> respond);

// True when `request` may trigger a refresh: a loopback peer, or "Authorization: Bearer
// <token>" matching a configured non-empty token (compared in constant time).
bool refresh_allowed(const serve::Request& request, const std::string& token);

// A JSON string literal (quoted, escaped) for `s` (UTF-8 passed through).
std::string json_string(std::string_view s);

// Every JSON body of /refresh is built below, in http_api.cpp, and nowhere else.

// The 202 body of POST /refresh: {"id":N,"status":"/refresh/N","channels":[…accepted…]}.
std::string refresh_ticket_json(const RefreshTicket& ticket);

// The 404 body of POST /refresh naming unknown channels:
// {"error":"unknown channel","unknown":[…]}.
std::string unknown_channels_json(const std::vector<std::string>& unknown);

// The body of GET /refresh/N: {"id":N,"done":…,"channels":[{"channel":…,"done":…, and when done
// "outcome","new","error"}…]}; a removed channel is done with outcome "removed".
std::string refresh_progress_json(const RefreshProgress& progress);

}  // namespace feedd::app
