#include "util/time.hpp"

#include <date/date.h>

namespace feedd {

std::string format_rfc822_gmt(SysTime t) {
  return date::format("%a, %d %b %Y %H:%M:%S GMT", t);
}

std::string format_rfc3339(SysTime t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", t);
}

SysTime now_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace feedd
