#pragma once
// `feedd refresh [CHANNEL…]`: the command-line client of a running daemon. It asks the daemon
// at `listen` to poll now (POST /refresh), follows the refresh (GET /refresh/N) until every
// channel has a result, and prints one line per channel. Protocol: daemon/app/http_api.hpp.
#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace feedd::app {

// Requests a refresh of `channels` (all when empty) and waits for it, polling every 250 ms, for
// at most `timeout` in all. Each argument is a channel path ("xinmeiti/zaker/source") or, when
// it names a top or source of `cfg` ("xinmeiti", "xinmeiti/zaker"), every channel under it.
//
// Writes to `out` one line per channel, in the daemon's order:
//   "a/b/c: 3 new", "a/b/c: not modified", "a/b/c: failed: HTTP 404 Not Found"
// and diagnostics to `err`. Text from the daemon is printed with control characters replaced.
// Sends "Authorization: Bearer <cfg.refresh_token>" when the token is set; never prints it.
//
// Returns 0 when the refresh finished (also when channels failed: their lines say so), 1 when
// no daemon answers, the daemon refuses (403), answers something unexpected, or `timeout`
// passes first, 2 when the daemon does not know a requested channel.
// Blocking; never throws. Parses the daemon's JSON on the calling thread's stack, so run it on
// a thread with the usual (≥ 2 MiB) stack.
int cmd_refresh(const config::Config& cfg, const std::vector<std::string>& channels,
                std::ostream& out, std::ostream& err,
                std::chrono::seconds timeout = std::chrono::seconds(600));

// "http://HOST:PORT" to reach a daemon configured with `listen` (validated HOST:PORT). A
// wildcard bind address is reached over loopback: 0.0.0.0 → 127.0.0.1, [::] → [::1].
std::string daemon_url(std::string_view listen);

// The channel paths to request for the command-line arguments `args`: a top or source path of
// `cfg` expands to its channels in file order; anything else is passed on as written (minus
// trailing '/'), for the daemon to accept or report as unknown. Duplicates are dropped.
std::vector<std::string> expand_channel_args(const config::Config& cfg,
                                             const std::vector<std::string>& args);

}  // namespace feedd::app
