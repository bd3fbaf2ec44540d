#pragma once
// Time values and their wire formats. Every stage takes "now" as a parameter instead of
// reading a clock, so tests control time.
#include <chrono>
#include <string>

namespace feedd {

using SysTime = std::chrono::sys_seconds;

// "Fri, 21 May 2021 14:00:00 GMT" (RFC 822/1123, always GMT). Used in article front-matter
// and HTTP headers.
std::string format_rfc822_gmt(SysTime t);

// "2021-05-21T14:00:00Z" (RFC 3339, UTC). Used in Atom.
std::string format_rfc3339(SysTime t);

// The real clock, for the edges (main, daemon loop) only.
SysTime now_seconds();

}  // namespace feedd
