#pragma once
// sd_notify(3) through libsystemd: readiness, reload, status and watchdog messages to the
// service manager. Every call is a no-op when NOTIFY_SOCKET is unset (not under systemd), and
// never throws: a lost notification must not take the daemon down.
#include <chrono>
#include <optional>
#include <string>

namespace feedd::lib {

// Sends `state` (e.g. "READY=1", "STATUS=...") as is.
void sd_notify_state(const std::string& state);

// "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now>" as systemd's Type=notify-reload wants.
void sd_notify_reloading();

// The state sd_notify_reloading() sends, for callers that send through a sink of their own.
std::string sd_reloading_state();

// The watchdog period the manager expects (WATCHDOG_USEC for this PID), or nullopt.
std::optional<std::chrono::microseconds> sd_watchdog_period();

}  // namespace feedd::lib
