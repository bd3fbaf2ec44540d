#pragma once
// `feedd run`: the daemon. One Boost.Asio event loop owns timers, signals, the scheduler and
// the HTTP server; cycles (fetch → parse → store → write views) run on one worker thread and
// hand their results back to the loop, so fetching never blocks serving.
//
// Signals (handled inside the loop): SIGHUP reloads the config (validated in full first; on
// error the old one stays), SIGUSR1 refreshes every channel, SIGTERM/SIGINT stop accepting,
// give in-flight work at most 5 s, and exit 0. SIGPIPE is ignored.
// systemd: READY=1, RELOADING=1 + MONOTONIC_USEC, STATUS=, WATCHDOG=1 (from the loop).
//
// Parts (daemon.cpp's Daemon drives them; each asserts its thread at its entry points):
//   loop thread    SignalWatcher (signals.hpp), ServiceNotifier (watchdog.hpp), reload_config
//                  (reload.hpp), build_status (daemon_status.hpp), RefreshTracker, the scheduler,
//                  the HTTP server and route() (http_api.hpp)
//   worker thread  DaemonWorker (daemon_worker.hpp): store, fetcher, pipeline
#include <filesystem>

namespace feedd::app {

// Runs until SIGTERM/SIGINT. Returns the exit status: 0 after a clean stop, 1 when the store
// cannot be opened or the listen address cannot be bound, 2 for config errors.
int run_daemon(const std::filesystem::path& config_path);

}  // namespace feedd::app
