#pragma once
// The daemon's messages to its service manager (sd_notify): readiness, reload, status, stop,
// and the watchdog kicks. Owned by the thread running the event loop it is given: every member
// asserts so. The kicks are sent from that loop on purpose: if the loop wedges, they stop and
// systemd restarts the daemon.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::app {

// The shortest kick interval: a WATCHDOG_USEC of a few microseconds must not become a timer
// that fires back to back and starves the loop it is meant to watch.
inline constexpr std::chrono::microseconds kMinWatchdogKick{1000};

// How often to kick a watchdog that expects a ping every `period` (WATCHDOG_USEC): half of it,
// as sd_watchdog_enabled(3) advises, and at least kMinWatchdogKick.
std::chrono::microseconds watchdog_kick_interval(std::chrono::microseconds period);

class ServiceNotifier {
 public:
  // Receives each message, e.g. "READY=1\nSTATUS=…". Must not throw.
  using Sink = std::function<void(const std::string& state)>;

  // `sink` defaults to lib::sd_notify_state (a no-op outside systemd).
  explicit ServiceNotifier(boost::asio::io_context& loop, Sink sink = {});

  void ready(std::string_view status);   // READY=1 + STATUS=
  void reloading();                      // RELOADING=1 + MONOTONIC_USEC=
  void status(std::string_view status);  // STATUS=
  void stopping();                       // STOPPING=1; the watchdog kicks end

  // Kicks (WATCHDOG=1) at once and then every watchdog_kick_interval(*period) until stopping();
  // nothing when `period` is unset (no watchdog asked for).
  void start_watchdog(std::optional<std::chrono::microseconds> period);

 private:
  void assert_loop(const char* what) const;
  void kick();

  boost::asio::io_context& loop_;
  Sink sink_;
  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};
  bool stopped_ = false;
};

}  // namespace feedd::app
