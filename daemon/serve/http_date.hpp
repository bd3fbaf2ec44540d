#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace feedd::serve {

// "Sun, 06 Nov 1994 08:49:37 GMT" (the IMF-fixdate of RFC 9110 §5.6.7) → time; nullopt for
// anything else, trailing text included. Thread-safe, does not throw.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

}  // namespace feedd::serve
