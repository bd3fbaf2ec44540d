// GCC 12 reports a false -Wmaybe-uninitialized inside date::from_stream (a `long double S` that
// is only read after being written); this file holds nothing but that call.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "serve/http_date.hpp"

#include <date/date.h>

#include <locale>
#include <sstream>
#include <string>

namespace feedd::serve {

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  std::istringstream in{std::string(text)};
  in.imbue(std::locale::classic());  // day and month names are English whatever the locale
  std::chrono::sys_seconds t{};
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", t);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return t;
}

}  // namespace feedd::serve
