#include "fetch/http_headers.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "util/ascii.hpp"

namespace feedd::fetch {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Non-negative decimal integer, saturating at kMaxServerDelay so huge values cannot overflow.
std::optional<std::chrono::seconds> parse_delta_seconds(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = std::min<long long>(v * 10 + (c - '0'), kMaxServerDelay.count());
  }
  return std::chrono::seconds(v);
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::sys_seconds now) {
  value = trim(value);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    if (auto s = parse_delta_seconds(value)) return s;
  }
  const std::string date(value);
  const time_t t = curl_getdate(date.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  const auto delta = std::chrono::seconds(t) - now.time_since_epoch();
  return std::clamp(delta, std::chrono::seconds(0), kMaxServerDelay);
}

std::optional<std::chrono::seconds> parse_max_age(std::string_view cache_control) {
  if (cache_control.size() > 4096) return std::nullopt;
  std::optional<std::chrono::seconds> result;
  while (!cache_control.empty()) {
    const auto comma = cache_control.find(',');
    std::string_view directive = trim(cache_control.substr(0, comma));
    cache_control =
        comma == std::string_view::npos ? std::string_view{} : cache_control.substr(comma + 1);
    const auto eq = directive.find('=');
    if (eq == std::string_view::npos || !ascii_iequals(trim(directive.substr(0, eq)), "max-age")) {
      continue;
    }
    std::string_view arg = trim(directive.substr(eq + 1));
    // RFC 9111 prefers the token form but recipients should accept a quoted one.
    if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') {
      arg = arg.substr(1, arg.size() - 2);
    }
    auto v = parse_delta_seconds(arg);
    if (!v) return std::nullopt;  // a malformed max-age makes the response stale (RFC 9111 4.2.1)
    if (!result) result = v;      // the first occurrence wins
  }
  return result;
}

std::string status_line_reason(std::string_view line) {
  line = trim(line);
  // "HTTP/x.y SP 3DIGIT SP reason"
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return {};
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return {};
  std::string reason(trim(line.substr(sp2 + 1)).substr(0, 80));
  // Upstream text ends up in logs and on the status page: keep it printable.
  for (char& c : reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return reason;
}

const char* standard_reason(long status) {
  switch (status) {
    case 200:
      return "OK";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 451:
      return "Unavailable For Legal Reasons";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string describe_status(long status, std::string_view reason_phrase) {
  std::string s = "HTTP " + std::to_string(status);
  std::string_view reason = reason_phrase.empty() ? standard_reason(status) : reason_phrase;
  if (!reason.empty()) {
    s += ' ';
    s += reason;
  }
  return s;
}

std::string describe_size(std::size_t bytes) {
  constexpr std::size_t kKiB = 1024, kMiB = 1024 * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

bool is_safe_header_value(std::string_view value) {
  if (value.size() > 1024) return false;
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

}  // namespace feedd::fetch
