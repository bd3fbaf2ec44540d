#include "lib/curl/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace feedd::lib {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlString {
  char* p = nullptr;
  ~CurlString() { curl_free(p); }
};

std::optional<std::string> get_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  CurlString s;
  if (curl_url_get(u, part, &s.p, flags) != CURLUE_OK || s.p == nullptr) return std::nullopt;
  return std::string(s.p);
}

UrlHandle parse_absolute(std::string_view url) {
  // curl reads a C string: an embedded NUL would silently cut the URL short.
  if (url.find('\0') != std::string_view::npos) return nullptr;
  UrlHandle u(curl_url());
  if (!u) return nullptr;
  const std::string s(url);
  // Only absolute URLs with a scheme; CURLU_NON_SUPPORT_SCHEME lets us see e.g. "mailto:" too.
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return nullptr;
  }
  return u;
}

}  // namespace

std::optional<std::string> resolve_url(std::string_view base, std::string_view ref) {
  const std::string r(ref);
  if (r.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) return std::nullopt;
  if (auto abs = parse_absolute(ref)) {
    // Absolute already (has a scheme): keep as is if curl can render it.
    if (get_part(abs.get(), CURLUPART_SCHEME)) return get_part(abs.get(), CURLUPART_URL);
  }
  auto u = parse_absolute(base);
  if (!u) return std::nullopt;
  if (r.empty() || r.front() == '#') {
    // curl (7.88) resolves "" and "#f" like ".", losing the document and its query; RFC 3986
    // §5.2.2 keeps the base's path and query and only replaces the fragment.
    const char* fragment = r.size() > 1 ? r.c_str() + 1 : nullptr;
    if (curl_url_set(u.get(), CURLUPART_FRAGMENT, fragment, 0) != CURLUE_OK) return std::nullopt;
    return get_part(u.get(), CURLUPART_URL);
  }
  // Setting a relative URL on a handle holding an absolute one resolves it (RFC 3986 5.2).
  if (curl_url_set(u.get(), CURLUPART_URL, r.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return std::nullopt;
  }
  return get_part(u.get(), CURLUPART_URL);
}

bool is_fetchable_url(std::string_view url) {
  auto u = parse_absolute(url);
  if (!u) return false;
  auto scheme = get_part(u.get(), CURLUPART_SCHEME);
  if (!scheme) return false;
  if (*scheme == "file") return true;
  if (*scheme != "http" && *scheme != "https") return false;
  return get_part(u.get(), CURLUPART_HOST).has_value();
}

std::string redact_url(std::string_view url) {
  if (auto u = parse_absolute(url)) {
    curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
    curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
    if (auto s = get_part(u.get(), CURLUPART_URL)) return *s;
  }
  std::string s(url);
  const auto scheme_end = s.find("://");
  if (scheme_end == std::string::npos) return s;
  const auto auth_start = scheme_end + 3;
  const auto path_start = s.find('/', auth_start);
  const auto at = s.rfind('@', path_start == std::string::npos ? s.size() : path_start);
  if (at != std::string::npos && at >= auth_start)
    s.replace(auth_start, at - auth_start + 1, "***@");
  return s;
}

std::string url_host(std::string_view url) {
  auto u = parse_absolute(url);
  if (!u) return {};
  auto host = get_part(u.get(), CURLUPART_HOST);
  if (!host) return {};
  std::string h = *host;
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  return h;
}

}  // namespace feedd::lib
