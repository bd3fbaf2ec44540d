#include "app/http_api.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <charconv>
#include <cstdio>

#include "util/ascii.hpp"

namespace feedd::app {
namespace {

// Decodes one application/x-www-form-urlencoded / query component ('+' is a space).
std::string decode_component(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      const auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc{} && r.ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> query_values(std::string_view query, std::string_view key) {
  std::vector<std::string> values;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (decode_component(pair.substr(0, eq)) == key && eq != std::string_view::npos) {
      auto v = decode_component(pair.substr(eq + 1));
      if (!v.empty()) values.push_back(std::move(v));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return values;
}

serve::Response html_response(std::string body) {
  serve::Response r;
  r.status = 200;
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}};
  r.body = std::move(body);
  return r;
}

serve::Response method_not_allowed(const char* allow) {
  auto r = serve::text_response(405, "method not allowed\n");
  r.headers.emplace_back("Allow", allow);
  return r;
}

serve::Response refresh(ApiContext& ctx, const serve::Request& req) {
  if (!refresh_allowed(req, ctx.refresh_token())) {
    return serve::json_response(
        403, R"({"error":"refresh is allowed from loopback or with the refresh token"})");
  }
  auto channels = query_values(req.query, "channel");
  const auto ct = req.headers.find("content-type");
  const bool form =
      ct != req.headers.end() && ct->second.starts_with("application/x-www-form-urlencoded");
  if (form) {
    for (auto& c : query_values(req.body, "channel"))
      channels.push_back(std::move(c));
  }
  const auto ticket = ctx.request_refresh(channels);
  if (!ticket.unknown.empty()) {
    return serve::json_response(404, unknown_channels_json(ticket.unknown));
  }
  if (form) {
    // A person pressed "Refresh now" on the status page: back to the page.
    serve::Response r;
    r.status = 303;
    r.headers = {{"Location", "/"}, {"Content-Type", "text/plain; charset=utf-8"}};
    r.body = "refresh " + std::to_string(ticket.id) + " accepted\n";
    return r;
  }
  auto r = serve::json_response(202, refresh_ticket_json(ticket));
  r.headers.emplace_back("Location", "/refresh/" + std::to_string(ticket.id));
  return r;
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? "," : "") + json_string(items[i]);
  }
  return out + "]";
}

}  // namespace

std::string refresh_ticket_json(const RefreshTicket& ticket) {
  const auto id = std::to_string(ticket.id);
  return "{\"id\":" + id + ",\"status\":\"/refresh/" + id +
         "\",\"channels\":" + json_array(ticket.channels) + "}";
}

std::string unknown_channels_json(const std::vector<std::string>& unknown) {
  return R"({"error":"unknown channel","unknown":)" + json_array(unknown) + "}";
}

std::string refresh_progress_json(const RefreshProgress& progress) {
  std::string channels;
  for (const ChannelProgress& c : progress.channels) {
    if (!channels.empty()) channels += ",";
    channels +=
        "{\"channel\":" + json_string(c.channel) + ",\"done\":" + (c.done() ? "true" : "false");
    if (c.removed) {
      channels += R"(,"outcome":"removed","new":0,"error":"channel removed by a reload")";
    } else if (c.result) {
      channels += ",\"outcome\":" + json_string(c.result->outcome) +
                  ",\"new\":" + std::to_string(c.result->new_articles) +
                  ",\"error\":" + json_string(c.result->error);
    }
    channels += "}";
  }
  return "{\"id\":" + std::to_string(progress.id) +
         ",\"done\":" + (progress.done() ? "true" : "false") + ",\"channels\":[" + channels + "]}";
}

bool refresh_allowed(const serve::Request& request, const std::string& token) {
  if (request.peer_loopback) return true;
  if (token.empty()) return false;
  const auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return false;
  // The scheme name is case-insensitive (RFC 9110 11.1); the token is compared in constant
  // time so its bytes cannot be probed by timing.
  const std::string_view value = it->second;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() != kScheme.size() + token.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (ascii_lower(value[i]) != kScheme[i]) return false;
  }
  return CRYPTO_memcmp(value.data() + kScheme.size(), token.data(), token.size()) == 0;
}

serve::Response route(ApiContext& ctx, const serve::Request& req) {
  const std::string& path = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (path.empty()) return serve::text_response(400, "bad request path\n");

  if (path == "/feeds.opml" || path.starts_with("/feeds/")) {
    const auto& views = ctx.views();
    const auto it = views.find(path);
    if (it == views.end()) return serve::text_response(404, "not found\n");
    return serve::serve_view(*it->second, req);
  }
  if (path.starts_with("/images/")) {
    const auto folder = ctx.image_folder();
    if (folder.empty()) return serve::text_response(404, "not found\n");
    return serve::serve_image_file(folder, std::string_view(path).substr(8), req);
  }
  if (path == "/") {
    if (!get) return method_not_allowed("GET, HEAD");
    return html_response(serve::render_status_page(ctx.status()));
  }
  if (path == "/healthz") {
    if (!get) return method_not_allowed("GET, HEAD");
    return serve::text_response(200, "ok\n");
  }
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET, HEAD");
    auto r = serve::text_response(200, serve::render_metrics(ctx.status()));
    r.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
    return r;
  }
  if (path == "/refresh") {
    if (req.method != "POST") return method_not_allowed("POST");
    return refresh(ctx, req);
  }
  if (path.starts_with("/refresh/")) {
    if (!get) return method_not_allowed("GET, HEAD");
    std::uint64_t id = 0;
    const auto digits = std::string_view(path).substr(9);
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size()) {
      return serve::text_response(404, "not found\n");
    }
    if (auto body = ctx.refresh_progress(id)) return serve::json_response(200, *body);
    return serve::json_response(404, R"({"error":"unknown refresh id"})");
  }
  return serve::text_response(404, "not found\n");
}

// By value: the overrides move both on. NOLINTNEXTLINE(performance-unnecessary-value-param)
void ApiContext::fetch_image(std::string /*url*/, std::function<void(image::ProxyReply)> done) {
  const auto answer = std::move(done);  // taken: it runs once
  answer({503, "", "no image proxy"});
}

void route_async(ApiContext& ctx, const serve::Request& req,
                 std::function<void(serve::Response)> respond) {
  const image::UrlSigner* signer = ctx.image_signer();
  image::ProxyCache* cache = ctx.image_cache();
  if (!req.path.starts_with("/img/") || signer == nullptr || cache == nullptr) {
    return respond(route(ctx, req));
  }
  if (req.method != "GET" && req.method != "HEAD") return respond(method_not_allowed("GET, HEAD"));
  const auto checked = signer->check(std::string_view(req.path).substr(5));
  if (checked.status == 403) return respond(serve::text_response(403, "bad signature\n"));
  if (checked.status != 200) return respond(serve::text_response(404, "not found\n"));
  if (const auto file = cache->get(checked.url)) {
    return respond(serve::serve_image_file(cache->folder(), *file, req));
  }
  ctx.fetch_image(checked.url, [folder = cache->folder(), req,
                                respond = std::move(respond)](const image::ProxyReply& reply) {
    if (reply.status == 200) return respond(serve::serve_image_file(folder, reply.file, req));
    respond(serve::text_response(reply.status, reply.reason + "\n"));
  });
}

}  // namespace feedd::app
