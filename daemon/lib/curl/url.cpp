#include "lib/curl/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "util/ascii.hpp"

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

// Query parameters that carry credentials (RSSHub's key and access_key, OAuth's code and
// token, the usual apikey): their values never leave feedd. Lower-case; compared decoded and
// case-insensitively.
constexpr std::array<std::string_view, 5> kSecretParameters = {"key", "code", "token", "access_key",
                                                               "apikey"};
constexpr std::string_view kRedacted = "***";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Bytes a URL written into HTML, XML, YAML or Markdown must not carry raw: anything but
// printable ASCII, and the characters RFC 3986 never allows unescaped. '%' stays: it starts
// the escapes already there (a stray one is harmless to every reader).
bool must_escape(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F) return true;
  switch (c) {
    case '"':
    case '<':
    case '>':
    case '`':
    case '{':
    case '}':
    case '|':
    case '^':
    case '\\':
      return true;
    default:
      return false;
  }
}

std::string escape_unsafe(std::string_view part) {
  static constexpr char kHex[] = "0123456789abcdef";  // as curl writes its own escapes
  std::string out;
  out.reserve(part.size());
  for (const char ch : part) {
    const auto c = static_cast<unsigned char>(ch);
    if (must_escape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

// RFC 3986 scheme ":", as curl tells an absolute URL from a relative reference.
bool has_scheme(std::string_view url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return false;
  for (const char c : url.substr(1)) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return false;
}

// `url` as a browser reads it before parsing, or nullopt when nothing (or a NUL) is left.
std::optional<std::string> cleaned_url(std::string_view url) {
  // A browser strips leading and trailing C0 controls and spaces, and drops tabs and newlines
  // anywhere in a URL; curl refuses them. Do as the browser does, so that we check what it
  // would load.
  std::string cleaned;
  cleaned.reserve(url.size());
  for (const char c : url) {
    if (c != '\t' && c != '\n' && c != '\r') cleaned += c;
  }
  const auto is_blank = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  const auto first = std::find_if_not(cleaned.begin(), cleaned.end(), is_blank);
  const auto last = std::find_if_not(cleaned.rbegin(), cleaned.rend(), is_blank).base();
  if (first >= last || cleaned.find('\0') != std::string::npos) return std::nullopt;
  cleaned = std::string(first, last);
  // Browsers read a backslash before the query as a slash in http(s) URLs, curl does not:
  // "https://evil.example\\@good.example/" is evil.example to a browser, good.example to curl.
  // Take the browser's reading, so that the URL we check is the one that is loaded.
  for (char& c : cleaned) {
    if (c == '?' || c == '#') break;
    if (c == '\\') c = '/';
  }
  return cleaned;
}

// web_url() on the cleaned, non-empty `cleaned`, through curl.
std::optional<std::string> web_url_through_curl(std::string cleaned, std::string_view base) {
  UrlHandle u(curl_url());
  if (!u) return std::nullopt;
  // Spaces and non-ASCII inside are allowed in and escaped; browsers accept both.
  constexpr unsigned kFlags = CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE | CURLU_ALLOW_SPACE;
  // The base is parsed only for a relative reference (most URLs in bodies are absolute).
  if (!base.empty() && !has_scheme(cleaned)) {
    const std::string b(base);
    if (curl_url_set(u.get(), CURLUPART_URL, b.c_str(), kFlags) != CURLUE_OK) return std::nullopt;
    if (cleaned.front() == '#') {
      // As in resolve_url: curl 7.88 would resolve "#f" like ".", losing the base's document.
      if (curl_url_set(u.get(), CURLUPART_FRAGMENT, cleaned.c_str() + 1, CURLU_URLENCODE) !=
          CURLUE_OK) {
        return std::nullopt;
      }
      cleaned.clear();
    }
  }
  if (!cleaned.empty() &&
      curl_url_set(u.get(), CURLUPART_URL, cleaned.c_str(), kFlags) != CURLUE_OK) {
    return std::nullopt;
  }
  // curl writes the scheme lower-case: the URL it gives tells the scheme without another get.
  auto written = get_part(u.get(), CURLUPART_URL);
  if (!written || !(written->starts_with("http://") || written->starts_with("https://"))) {
    return std::nullopt;
  }
  // Hosts must be ASCII already: curl 7.88 converts an IDN to punycode through libidn2 in the
  // process locale, so the result would depend on the environment. Such hosts are rare here;
  // their URLs are dropped rather than written in a form a reader may not resolve.
  const auto host = get_part(u.get(), CURLUPART_HOST);
  if (!host || host->empty() || std::any_of(host->begin(), host->end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return must_escape(b) || c == '%' || c == '\'' || c == '&';
      })) {
    return std::nullopt;
  }
  // Only what needs changing is set again: each set and get costs allocations or a parse.
  bool changed = false;
  if (std::any_of(host->begin(), host->end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    const std::string lower_host = ascii_lower(*host);
    if (curl_url_set(u.get(), CURLUPART_HOST, lower_host.c_str(), 0) != CURLUE_OK) {
      return std::nullopt;
    }
    changed = true;
  }
  // A login can only come with an '@' (in the reference or, resolved against it, the base).
  const bool may_have_login =
      cleaned.find('@') != std::string::npos || base.find('@') != std::string_view::npos;
  if (may_have_login &&
      (get_part(u.get(), CURLUPART_USER) || get_part(u.get(), CURLUPART_PASSWORD))) {
    if (curl_url_set(u.get(), CURLUPART_USER, nullptr, 0) != CURLUE_OK ||
        curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0) != CURLUE_OK) {
      return std::nullopt;
    }
    changed = true;
  }
  if (changed) written = get_part(u.get(), CURLUPART_URL);
  if (!written || std::none_of(written->begin(), written->end(),
                               [](char c) { return must_escape(static_cast<unsigned char>(c)); })) {
    return written;
  }
  for (const CURLUPart part : {CURLUPART_PATH, CURLUPART_QUERY, CURLUPART_FRAGMENT}) {
    const auto value = get_part(u.get(), part);
    if (!value) continue;  // absent
    const std::string escaped = escape_unsafe(*value);
    if (escaped != *value &&
        curl_url_set(u.get(), part, escaped.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
      return std::nullopt;
    }
  }
  return get_part(u.get(), CURLUPART_URL);
}

}  // namespace

std::optional<std::string> web_url(std::string_view url, std::string_view base) {
  // Most URLs in bodies are absolute and already in curl's form: those skip the parse, the
  // gets and their allocations (17% of the article workers' time went into curl here).
  if (detail::is_canonical_web_url(url)) return std::string(url);
  auto cleaned = cleaned_url(url);
  if (!cleaned) return std::nullopt;
  if (detail::is_canonical_web_url(*cleaned)) return cleaned;
  return web_url_through_curl(std::move(*cleaned), base);
}

namespace detail {

std::optional<std::string> web_url_via_curl(std::string_view url, std::string_view base) {
  auto cleaned = cleaned_url(url);
  if (!cleaned) return std::nullopt;
  return web_url_through_curl(std::move(*cleaned), base);
}

bool is_canonical_web_url(std::string_view url) {
  // Far below curl's own limit (8,000,000): longer ones are rare enough to go through curl.
  constexpr std::size_t kMaxLength = 65536;
  constexpr std::size_t kMaxHost = 253;
  if (url.size() > kMaxLength) return false;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  const auto host_end = rest.find('/');
  // No path: curl writes a "/" (and a port, userinfo or a query right after the host is refused).
  if (host_end == std::string_view::npos || host_end == 0 || host_end > kMaxHost) return false;
  const std::string_view host = rest.substr(0, host_end);
  std::size_t label_start = 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '.') {
      if (i == label_start) return false;  // empty label, leading dot
      label_start = i + 1;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  // A trailing dot, or a last label that does not start with a letter: curl would read
  // "1234", "0x7f.1" or "10.1" as an IPv4 address and write it normalised.
  if (label_start >= host.size() || host[label_start] < 'a' || host[label_start] > 'z') {
    return false;
  }
  const auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  // The bytes that stand for themselves in path, query and fragment alike (1), and the ones
  // with a rule of their own (2); every other byte sends the URL to curl.
  static constexpr auto kClass = [] {
    std::array<unsigned char, 256> t{};
    for (const char c : std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-._~!$&'()*+,;=:@")) {
      t[static_cast<unsigned char>(c)] = 1;
    }
    for (const char c : std::string_view("%/?#"))
      t[static_cast<unsigned char>(c)] = 2;
    return t;
  }();
  enum class Part { path, query, fragment };
  Part part = Part::path;
  const std::string_view tail = rest.substr(host_end);
  for (std::size_t i = 0; i < tail.size(); ++i) {
    const char c = tail[i];
    const unsigned char cls = kClass[static_cast<unsigned char>(c)];
    if (cls == 1) continue;
    if (cls == 0) return false;
    switch (c) {
      case '%':
        if (i + 2 >= tail.size() || !hex(tail[i + 1]) || !hex(tail[i + 2])) return false;
        i += 2;
        break;
      case '/':
        // Dot segments curl would remove, and empty segments: none in the path.
        if (part == Part::path && i + 1 < tail.size()) {
          const std::string_view next = tail.substr(i + 1);
          if (next.starts_with('/') || next.starts_with('.') || next.starts_with("%2e") ||
              next.starts_with("%2E")) {
            return false;
          }
        }
        break;
      case '?':
        if (part == Part::path) {
          // curl drops an empty query.
          if (i + 1 == tail.size() || tail[i + 1] == '#') return false;
          part = Part::query;
        }
        break;
      default:  // '#'
        // curl drops an empty fragment.
        if (part == Part::fragment || i + 1 == tail.size()) return false;
        part = Part::fragment;
        break;
    }
  }
  return true;
}

}  // namespace detail

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

namespace {

bool is_secret_parameter(std::string_view name) {
  // A server decodes %XX in a parameter name, so "k%65y" is "key" to it and must be to us.
  std::string decoded;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const bool escape = name[i] == '%' && i + 2 < name.size() && hex_value(name[i + 1]) >= 0 &&
                        hex_value(name[i + 2]) >= 0;
    if (escape) {
      decoded +=
          ascii_lower(static_cast<char>(hex_value(name[i + 1]) * 16 + hex_value(name[i + 2])));
      i += 2;
    } else {
      decoded += ascii_lower(name[i]);
    }
  }
  return std::find(kSecretParameters.begin(), kSecretParameters.end(), decoded) !=
         kSecretParameters.end();
}

std::string redact_query(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    const auto eq = param.find('=');
    if (start > 0) out += '&';
    if (eq != std::string_view::npos && is_secret_parameter(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1)).append(kRedacted);
    } else {
      out.append(param);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  if (auto u = parse_absolute(url)) {
    curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
    curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
    bool query_ok = true;
    if (auto query = get_part(u.get(), CURLUPART_QUERY)) {
      const std::string redacted = redact_query(*query);
      query_ok = redacted == *query ||
                 curl_url_set(u.get(), CURLUPART_QUERY, redacted.c_str(), 0) == CURLUE_OK;
    }
    if (auto s = get_part(u.get(), CURLUPART_URL); s && query_ok) return *s;
  }
  // Unparseable: the same two redactions on the text, so that no secret slips through a URL
  // curl refuses (a space in the host, say).
  std::string s(url);
  const auto scheme_end = s.find("://");
  if (scheme_end != std::string::npos) {
    const auto auth_start = scheme_end + 3;
    const auto authority_end = s.find_first_of("/?#", auth_start);
    const auto at = s.rfind('@', authority_end == std::string::npos ? s.size() : authority_end);
    if (at != std::string::npos && at >= auth_start)
      s.replace(auth_start, at - auth_start + 1, "***@");
  }
  const auto q = s.find('?');
  if (q == std::string::npos) return s;
  const auto fragment = s.find('#', q);
  const auto q_end = fragment == std::string::npos ? s.size() : fragment;
  return s.substr(0, q + 1) + redact_query(std::string_view(s).substr(q + 1, q_end - q - 1)) +
         s.substr(q_end);
}

std::string redact_secrets_in(std::string text, std::string_view url) {
  std::vector<std::string_view> secrets;
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    const auto auth_start = scheme_end + 3;
    const auto authority_end = url.find_first_of("/?#", auth_start);
    const auto at =
        url.rfind('@', authority_end == std::string_view::npos ? url.size() : authority_end);
    if (at != std::string_view::npos && at >= auth_start) {
      const std::string_view userinfo = url.substr(auth_start, at - auth_start);
      secrets.push_back(userinfo);
      if (const auto colon = userinfo.find(':'); colon != std::string_view::npos)
        secrets.push_back(userinfo.substr(colon + 1));
    }
  }
  if (const auto q = url.find('?'); q != std::string_view::npos) {
    std::string_view query = url.substr(q + 1, url.find('#', q) - q - 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      const auto eq = param.find('=');
      if (eq != std::string_view::npos && is_secret_parameter(param.substr(0, eq)))
        secrets.push_back(param.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  for (const std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + kRedacted.size())) {
      text.replace(pos, secret.size(), kRedacted);
    }
  }
  return text;
}

std::optional<std::string> with_query_parameter(std::string_view url, std::string_view name,
                                                std::string_view value) {
  auto u = parse_absolute(url);
  if (!u || name.find('\0') != std::string_view::npos ||
      value.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  // With CURLU_URLENCODE curl escapes the value but keeps the first '=', so a name without one
  // and an '=' or '&' inside the value are safe.
  const std::string param = std::string(name) + "=" + std::string(value);
  if (curl_url_set(u.get(), CURLUPART_QUERY, param.c_str(), CURLU_APPENDQUERY | CURLU_URLENCODE) !=
      CURLUE_OK) {
    return std::nullopt;
  }
  return get_part(u.get(), CURLUPART_URL);
}

std::string url_host(std::string_view url) {
  auto u = parse_absolute(url);
  if (!u) return {};
  auto host = get_part(u.get(), CURLUPART_HOST);
  if (!host) return {};
  std::string h = *host;
  ascii_lower_in_place(h);
  return h;
}

bool is_site_path(std::string_view path) {
  constexpr std::size_t kMaxSitePath = 2048;
  if (!path.starts_with('/') || path.starts_with("//") || path.size() > kMaxSitePath ||
      path.find("..") != std::string_view::npos) {
    return false;
  }
  const auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    if (c == '-' || c == '.' || c == '_' || c == '~' || c == '/') continue;
    if (c == '%' && i + 2 < path.size() && hex(path[i + 1]) && hex(path[i + 2])) continue;
    return false;
  }
  return true;
}

}  // namespace feedd::lib
