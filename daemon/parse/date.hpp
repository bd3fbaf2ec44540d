#pragma once
// Dates as real feeds write them. Pure and thread-safe; never throws.
#include <chrono>
#include <optional>
#include <string_view>

namespace feedd::parse {

// Accepts RFC 822/1123 with the usual variants (named zones GMT/UT/UTC/EST…PDT/military,
// numeric offsets, no seconds, no weekday, 2-digit years, extra spaces, missing zone), RFC 3339 /
// W3C-DTF (date only, no seconds, fractions, Z or ±hh:mm), "2021-10-28 14:08:07" without a zone,
// and Unix timestamps (10 or 13 digits). A date without a zone is read in `timezone` (IANA
// name; unknown names fall back to UTC). nullopt when nothing sensible can be read.
std::optional<std::chrono::sys_seconds> parse_date(std::string_view text,
                                                   std::string_view timezone = "Asia/Shanghai");

}  // namespace feedd::parse
