#pragma once
// Pure helpers that turn HTTP response details into fetch Result fields. No I/O; the time is
// passed in. Exposed for unit tests; the curl fetcher is their only production user.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::fetch {

// Upper bound applied to Retry-After and max-age: a hostile or broken server must not be able
// to silence a channel for years.
inline constexpr std::chrono::seconds kMaxServerDelay{7 * 24 * 3600};

// Retry-After value: delta-seconds ("120") or an HTTP-date (any form curl_getdate accepts).
// A date in the past gives 0 s; values are clamped to kMaxServerDelay. nullopt if unparseable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::sys_seconds now);

// max-age from a Cache-Control value ("public, max-age=600"), clamped to kMaxServerDelay.
// nullopt when absent or malformed. Directive names are case-insensitive.
std::optional<std::chrono::seconds> parse_max_age(std::string_view cache_control);

// Reason phrase of a status line ("HTTP/1.1 404 Not Found" → "Not Found"); "" when there is
// none (HTTP/2 has none).
std::string status_line_reason(std::string_view status_line);

// Standard reason phrase for common status codes, "" for others. Fallback for HTTP/2.
const char* standard_reason(long status);

// "HTTP 404 Not Found" / "HTTP 599" from a status and an optional reason phrase.
std::string describe_status(long status, std::string_view reason_phrase);

// "16 MiB", "512 KiB", "1000 bytes": exact, for messages.
std::string describe_size(std::size_t bytes);

// True when `value` can be sent as a request header value: bounded length, no control bytes
// (so a stored validator can never inject a header).
bool is_safe_header_value(std::string_view value);

}  // namespace feedd::fetch
