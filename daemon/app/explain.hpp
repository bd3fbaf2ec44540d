#pragma once
// `feedd check --explain CHANNEL`: one fetch of one channel, and for each item what its rules
// would do, without changing anything (no store, no files, no validators: a plain GET).
// Threading: the caller's thread; `fetcher` is used for one fetch_all.
#include <chrono>
#include <ostream>
#include <string_view>

#include "config/config.hpp"
#include "fetch/fetcher.hpp"

namespace feedd::app {

// Prints to `out`:
//   top/source/channel: URL (redacted)
//   rules:                                  (or "rules: none")
//     #0 drop title /广告/ (feeds.yaml:12)
//   items: 3 (1 kept, 2 dropped)
//     keep  TITLE
//     drop  TITLE  [#0 drop title /广告/ (feeds.yaml:12)]
//     drop  TITLE  [no keep rule matched]
//     skip  (no title)
// Titles are as the post would have them (one line). Returns kExitOk, kExitFailed (fetch or
// parse failed: the reason on `err`) or kExitUsage (no channel has that path: said on `err`).
// `now` stands in for missing item dates only. Never throws but std::bad_alloc.
int explain_channel(const config::Config& config, std::string_view path, fetch::Fetcher& fetcher,
                    std::chrono::sys_seconds now, std::ostream& out, std::ostream& err);

}  // namespace feedd::app
